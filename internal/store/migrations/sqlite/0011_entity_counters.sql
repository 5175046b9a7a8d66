-- An entity's counters get a row of their own: the next invoice and credit note numbers, which
-- every issue takes, and the connection epoch. In the entity's row, each issue left a dead
-- version of that wide row behind (on PostgreSQL, often with a new index entry, as the page had no
-- room for the new version beside the old), and every statement that looked the entity up
-- afterwards (the foreign key check of each invoice, event and synced record written, the push's
-- read of the partner) stepped over all of them until a vacuum: a backlog's push spent most of
-- its database time there. The counters' row is narrow, and its pages keep half their space free,
-- so that an update stays in its page and leaves no index entry.
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
