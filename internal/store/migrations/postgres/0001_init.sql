-- booksync schema, PostgreSQL dialect: the same tables and indexes as the SQLite one. Times are
-- unix microseconds (UTC) in BIGINT, not timestamptz, so that cursors and comparisons are the same
-- integers on both databases. Text columns that lists sort by use COLLATE "C" so that PostgreSQL
-- orders them byte-wise, as SQLite does. data stays TEXT rather than JSONB, which would reorder the
-- keys of settings kept verbatim for the caller.

CREATE TABLE partners (
	id          TEXT COLLATE "C" PRIMARY KEY,
	name        TEXT COLLATE "C" NOT NULL DEFAULT '',
	secret_hash BYTEA   NOT NULL,
	created_at  BIGINT NOT NULL
);

CREATE TABLE access_tokens (
	token_hash BYTEA   PRIMARY KEY,
	partner_id TEXT COLLATE "C" NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
	expires_at BIGINT NOT NULL,
	revoked    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_partner_id ON access_tokens (partner_id);

CREATE TABLE entities (
	id                   TEXT COLLATE "C" PRIMARY KEY,
	partner_id           TEXT COLLATE "C" NOT NULL REFERENCES partners (id),
	type                 TEXT COLLATE "C" NOT NULL DEFAULT '',
	status               TEXT COLLATE "C" NOT NULL DEFAULT '',
	email                TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	data                 TEXT    NOT NULL,
	settings             TEXT    NOT NULL DEFAULT '{}',
	next_document_number BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX entities_partner_created_at ON entities (partner_id, created_at, id);
CREATE INDEX entities_partner_updated_at ON entities (partner_id, updated_at, id);

CREATE TABLE counterparts (
	id               TEXT COLLATE "C" PRIMARY KEY,
	entity_id        TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	type             TEXT COLLATE "C" NOT NULL DEFAULT '',
	counterpart_name TEXT COLLATE "C" NOT NULL DEFAULT '',
	is_customer      BIGINT NOT NULL DEFAULT 0,
	is_vendor        BIGINT NOT NULL DEFAULT 0,
	email            TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	deleted_at       BIGINT,
	data             TEXT    NOT NULL
);
CREATE INDEX counterparts_entity_created_at ON counterparts (entity_id, created_at, id);
CREATE INDEX counterparts_entity_name ON counterparts (entity_id, counterpart_name, id);

-- seq keeps insertion order, which is how addresses are listed ("oldest first").
CREATE TABLE counterpart_addresses (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT COLLATE "C" NOT NULL UNIQUE,
	counterpart_id TEXT COLLATE "C" NOT NULL REFERENCES counterparts (id),
	data           TEXT    NOT NULL
);
CREATE INDEX counterpart_addresses_counterpart ON counterpart_addresses (counterpart_id, seq);

CREATE TABLE products (
	id         TEXT COLLATE "C" PRIMARY KEY,
	entity_id  TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	name       TEXT COLLATE "C" NOT NULL DEFAULT '',
	type       TEXT COLLATE "C" NOT NULL DEFAULT '',
	currency   TEXT COLLATE "C" NOT NULL DEFAULT '',
	price      BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	deleted_at BIGINT,
	data       TEXT    NOT NULL
);
CREATE INDEX products_entity_created_at ON products (entity_id, created_at, id);
CREATE INDEX products_entity_name ON products (entity_id, name, id);

CREATE TABLE receivables (
	id                  TEXT COLLATE "C" PRIMARY KEY,
	entity_id           TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	type                TEXT COLLATE "C" NOT NULL DEFAULT '',
	status              TEXT COLLATE "C" NOT NULL DEFAULT '',
	counterpart_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
	counterpart_name    TEXT COLLATE "C" NOT NULL DEFAULT '',
	document_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
	currency            TEXT COLLATE "C" NOT NULL DEFAULT '',
	total_amount        BIGINT NOT NULL DEFAULT 0,
	discounted_subtotal BIGINT NOT NULL DEFAULT 0,
	issue_date          BIGINT NOT NULL DEFAULT 0,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	version             BIGINT NOT NULL DEFAULT 1,
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
	id          TEXT COLLATE "C" PRIMARY KEY,
	entity_id   TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	object_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	status      TEXT COLLATE "C" NOT NULL DEFAULT '',
	is_external BIGINT NOT NULL DEFAULT 0,
	amount      BIGINT NOT NULL DEFAULT 0,
	paid_at     BIGINT NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	data        TEXT    NOT NULL
);
CREATE INDEX payment_records_entity_created_at ON payment_records (entity_id, created_at, id);
CREATE INDEX payment_records_entity_paid_at ON payment_records (entity_id, paid_at, id);
CREATE INDEX payment_records_entity_amount ON payment_records (entity_id, amount, id);
CREATE INDEX payment_records_entity_object_id ON payment_records (entity_id, object_id);
