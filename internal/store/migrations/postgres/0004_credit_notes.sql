-- Credit notes are numbered apart from invoices (CN-00001, ...), so that issuing one leaves no gap
-- in the entity's invoice numbers.
ALTER TABLE entities ADD COLUMN next_credit_note_number BIGINT NOT NULL DEFAULT 1;
