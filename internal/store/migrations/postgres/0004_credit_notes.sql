-- Credit notes are numbered apart from invoices (CN-00001, ...), so that issuing one leaves no gap
-- in the entity's invoice numbers.
ALTER TABLE entities ADD COLUMN next_credit_note_number BIGINT NOT NULL DEFAULT 1;

-- based_on is the invoice a credit note credits ('' for an invoice): GET /receivables?based_on=
-- lists an invoice's credit notes.
ALTER TABLE receivables ADD COLUMN based_on TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX receivables_entity_based_on ON receivables (entity_id, based_on, id);
