-- booksync schema, SQLite dialect. Times are unix microseconds (UTC); ids are UUID text. Every
-- column a list sorts or filters by is NOT NULL with a default, so keyset comparisons never meet
-- NULL. The whole object lives in data as JSON; the other columns exist to be queried.

CREATE TABLE partners (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL DEFAULT '',
	secret_hash BLOB    NOT NULL,
	created_at  INTEGER NOT NULL
);

CREATE TABLE access_tokens (
	token_hash BLOB    PRIMARY KEY,
	partner_id TEXT    NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_partner_id ON access_tokens (partner_id);

CREATE TABLE entities (
	id                   TEXT    PRIMARY KEY,
	partner_id           TEXT    NOT NULL REFERENCES partners (id),
	type                 TEXT    NOT NULL DEFAULT '',
	status               TEXT    NOT NULL DEFAULT '',
	email                TEXT    NOT NULL DEFAULT '',
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	data                 TEXT    NOT NULL,
	settings             TEXT    NOT NULL DEFAULT '{}',
	next_document_number INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX entities_partner_created_at ON entities (partner_id, created_at, id);
CREATE INDEX entities_partner_updated_at ON entities (partner_id, updated_at, id);

CREATE TABLE counterparts (
	id               TEXT    PRIMARY KEY,
	entity_id        TEXT    NOT NULL REFERENCES entities (id),
	type             TEXT    NOT NULL DEFAULT '',
	counterpart_name TEXT    NOT NULL DEFAULT '',
	is_customer      INTEGER NOT NULL DEFAULT 0,
	is_vendor        INTEGER NOT NULL DEFAULT 0,
	email            TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	deleted_at       INTEGER,
	data             TEXT    NOT NULL
);
CREATE INDEX counterparts_entity_created_at ON counterparts (entity_id, created_at, id);
CREATE INDEX counterparts_entity_name ON counterparts (entity_id, counterpart_name, id);

-- seq keeps insertion order, which is how addresses are listed ("oldest first").
CREATE TABLE counterpart_addresses (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE,
	counterpart_id TEXT    NOT NULL REFERENCES counterparts (id),
	data           TEXT    NOT NULL
);
CREATE INDEX counterpart_addresses_counterpart ON counterpart_addresses (counterpart_id, seq);

CREATE TABLE products (
	id         TEXT    PRIMARY KEY,
	entity_id  TEXT    NOT NULL REFERENCES entities (id),
	name       TEXT    NOT NULL DEFAULT '',
	type       TEXT    NOT NULL DEFAULT '',
	currency   TEXT    NOT NULL DEFAULT '',
	price      INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	deleted_at INTEGER,
	data       TEXT    NOT NULL
);
CREATE INDEX products_entity_created_at ON products (entity_id, created_at, id);
CREATE INDEX products_entity_name ON products (entity_id, name, id);

CREATE TABLE receivables (
	id                  TEXT    PRIMARY KEY,
	entity_id           TEXT    NOT NULL REFERENCES entities (id),
	type                TEXT    NOT NULL DEFAULT '',
	status              TEXT    NOT NULL DEFAULT '',
	counterpart_id      TEXT    NOT NULL DEFAULT '',
	counterpart_name    TEXT    NOT NULL DEFAULT '',
	document_id         TEXT    NOT NULL DEFAULT '',
	currency            TEXT    NOT NULL DEFAULT '',
	total_amount        INTEGER NOT NULL DEFAULT 0,
	discounted_subtotal INTEGER NOT NULL DEFAULT 0,
	issue_date          INTEGER NOT NULL DEFAULT 0,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	version             INTEGER NOT NULL DEFAULT 1,
	data                TEXT    NOT NULL,
	lines               TEXT    NOT NULL DEFAULT '[]'
);
-- An entity's document numbers are unique: accounting systems match invoices by them.
CREATE UNIQUE INDEX receivables_entity_document_id_unique ON receivables (entity_id, document_id) WHERE document_id <> '';
CREATE INDEX receivables_entity_created_at ON receivables (entity_id, created_at, id);
CREATE INDEX receivables_entity_document_id ON receivables (entity_id, document_id, id);
CREATE INDEX receivables_entity_status ON receivables (entity_id, status, id);
CREATE INDEX receivables_entity_counterpart_id ON receivables (entity_id, counterpart_id, id);
CREATE INDEX receivables_entity_counterpart_name ON receivables (entity_id, counterpart_name, id);
CREATE INDEX receivables_entity_total_amount ON receivables (entity_id, total_amount, id);
CREATE INDEX receivables_entity_discounted_subtotal ON receivables (entity_id, discounted_subtotal, id);
CREATE INDEX receivables_entity_issue_date ON receivables (entity_id, issue_date, id);

CREATE TABLE payment_records (
	id          TEXT    PRIMARY KEY,
	entity_id   TEXT    NOT NULL REFERENCES entities (id),
	object_id   TEXT    NOT NULL DEFAULT '',
	status      TEXT    NOT NULL DEFAULT '',
	is_external INTEGER NOT NULL DEFAULT 0,
	amount      INTEGER NOT NULL DEFAULT 0,
	paid_at     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	data        TEXT    NOT NULL
);
CREATE INDEX payment_records_entity_created_at ON payment_records (entity_id, created_at, id);
CREATE INDEX payment_records_entity_paid_at ON payment_records (entity_id, paid_at, id);
CREATE INDEX payment_records_entity_amount ON payment_records (entity_id, amount, id);
CREATE INDEX payment_records_entity_object_id ON payment_records (entity_id, object_id);
