-- Only a credit note is based on an invoice: the index of based_on holds the credit notes alone
-- (based_on <> ''), so that creating an invoice writes one index fewer. The reads by based_on say
-- that they look for a value (Store.CreditNoteIDsTx, the list's lookups), which lets SQLite use it.
DROP INDEX receivables_entity_based_on;
CREATE INDEX receivables_entity_based_on ON receivables (entity_id, based_on, id) WHERE based_on <> '';
