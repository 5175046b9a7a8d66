-- An entity's counters get a row of their own: the next invoice and credit note numbers, which
-- every issue takes, and the connection epoch. PostgreSQL's migration 0011 says why: there, each
-- issue left a dead version of the entity's wide row behind. SQLite keeps the same schema, and
-- an issue here now rewrites a narrow row instead of the entity's.
--
-- connection_epoch counts the connections an entity has had. Creating one moves it on, with the
-- counters' row locked, in the connection's own transaction. An issue that read that its entity
-- has no connection takes its number only while the epoch is what it was when the issue's last
-- statement began, and no connection exists: otherwise the connection appeared after the issue read
-- it, possibly too late for the connect's look for invoices issued before it to see the invoice,
-- and the issue runs again, now with the connection (see FinishIssueTx).
CREATE TABLE entity_counters (
	entity_id               TEXT PRIMARY KEY REFERENCES entities (id),
	next_document_number    INTEGER NOT NULL DEFAULT 1,
	next_credit_note_number INTEGER NOT NULL DEFAULT 1,
	connection_epoch        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO entity_counters (entity_id, next_document_number, next_credit_note_number)
	SELECT id, next_document_number, next_credit_note_number FROM entities;
ALTER TABLE entities DROP COLUMN next_document_number;
ALTER TABLE entities DROP COLUMN next_credit_note_number;
