-- Only a credit note is based on an invoice: the index of based_on holds the credit notes alone
-- (based_on <> ''), so that creating an invoice writes one index fewer. The reads by based_on say
-- that they look for a value (Store.CreditNoteIDsTx, the list's lookups), which lets the planner
-- use it. The new index is built before the old one is dropped (see 0012).
CREATE INDEX receivables_entity_based_on_set ON receivables (entity_id, based_on, id) WHERE based_on <> '';
DROP INDEX receivables_entity_based_on;
ALTER INDEX receivables_entity_based_on_set RENAME TO receivables_entity_based_on;
