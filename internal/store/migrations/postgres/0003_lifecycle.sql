-- The invoice's life after the push: where the last pull of each connection's changes stopped,
-- the books' id of each synced object (to find booksync's object from a change in the books), and
-- the payments that came from the books, each once.

ALTER TABLE accounting_connections ADD COLUMN pull_cursor TEXT COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE synced_records ADD COLUMN platform_object_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE synced_records SET platform_object_id = COALESCE(data::jsonb ->> 'platform_object_id', '');
CREATE INDEX synced_records_platform_object ON synced_records (connection_id, object_type, platform_object_id);

-- source is 'accounting_system' for a payment made in the books and pulled from them (never pushed
-- back); ledger_id is the books' id of that payment: one payment there may pay several invoices, each
-- part pulled once.
ALTER TABLE payment_records ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE payment_records ADD COLUMN connection_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE payment_records ADD COLUMN ledger_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payment_records_ledger ON payment_records (connection_id, ledger_id, object_id) WHERE ledger_id <> '';

-- Changes pulled from the books that booksync could not apply yet: a payment that may be one
-- booksync is still pushing, or one that disagrees with booksync's invoice. Each pull tries them
-- again before the new changes, until they apply or the books delete them.
CREATE TABLE held_changes (
	connection_id TEXT COLLATE "C" NOT NULL REFERENCES accounting_connections (id),
	change_key    TEXT COLLATE "C" NOT NULL,
	data          TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	PRIMARY KEY (connection_id, change_key)
);
