-- Accounting sync (PostgreSQL dialect; the same tables as SQLite): connections to accounting systems, what was pulled from them (tax rates, ledger
-- accounts), one synced record per pushed object, and the built-in sandboxes' state.

CREATE TABLE accounting_connections (
	id                 TEXT COLLATE "C" PRIMARY KEY,
	entity_id          TEXT COLLATE "C"    NOT NULL REFERENCES entities (id),
	platform           TEXT COLLATE "C"    NOT NULL,
	status             TEXT COLLATE "C"    NOT NULL,
	-- active is 1 until the connection is disconnected: an entity has one active connection.
	active             BIGINT NOT NULL DEFAULT 1,
	-- state_hash is the SHA-256 of the OAuth state the connection_url carries.
	state_hash         TEXT COLLATE "C"    NOT NULL DEFAULT '',
	tenant_id          TEXT COLLATE "C"    NOT NULL DEFAULT '',
	-- token is the platform's OAuth token, sealed with AES-256-GCM; token_version counts refreshes.
	token              TEXT    NOT NULL DEFAULT '',
	token_version      BIGINT NOT NULL DEFAULT 0,
	-- refresh_lease_until single-flights token refreshes across processes without a transaction
	-- held open over the call to the token endpoint.
	refresh_lease_until BIGINT NOT NULL DEFAULT 0,
	-- push_lease_until keeps two pushes of one connection from running at once, across processes.
	push_lease_until   BIGINT NOT NULL DEFAULT 0,
	-- sync_requested_at is when a sync was last asked for: a sync running then pulls again.
	sync_requested_at  BIGINT NOT NULL DEFAULT 0,
	next_sync_at       BIGINT NOT NULL DEFAULT 0,
	created_at         BIGINT NOT NULL,
	updated_at         BIGINT NOT NULL,
	data               TEXT    NOT NULL
);
CREATE UNIQUE INDEX accounting_connections_one_active ON accounting_connections (entity_id) WHERE active = 1;
CREATE INDEX accounting_connections_entity ON accounting_connections (entity_id, created_at, id);
CREATE INDEX accounting_connections_due ON accounting_connections (status, next_sync_at);
CREATE INDEX accounting_connections_state ON accounting_connections (state_hash);

CREATE TABLE accounting_tax_rates (
	id            TEXT COLLATE "C" PRIMARY KEY,
	entity_id     TEXT COLLATE "C"    NOT NULL REFERENCES entities (id),
	connection_id TEXT COLLATE "C"    NOT NULL REFERENCES accounting_connections (id),
	code          TEXT COLLATE "C"    NOT NULL,
	name          TEXT COLLATE "C"    NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	data          TEXT    NOT NULL
);
CREATE INDEX accounting_tax_rates_entity_name ON accounting_tax_rates (entity_id, name, id);
CREATE INDEX accounting_tax_rates_connection ON accounting_tax_rates (connection_id);

CREATE TABLE ledger_accounts (
	id            TEXT COLLATE "C" PRIMARY KEY,
	entity_id     TEXT COLLATE "C"    NOT NULL REFERENCES entities (id),
	connection_id TEXT COLLATE "C"    NOT NULL REFERENCES accounting_connections (id),
	platform_id   TEXT COLLATE "C"    NOT NULL,
	name          TEXT COLLATE "C"    NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	data          TEXT    NOT NULL
);
CREATE INDEX ledger_accounts_entity_name ON ledger_accounts (entity_id, name, id);
CREATE INDEX ledger_accounts_connection ON ledger_accounts (connection_id);

CREATE TABLE synced_records (
	id                TEXT COLLATE "C" PRIMARY KEY,
	entity_id         TEXT COLLATE "C"    NOT NULL REFERENCES entities (id),
	connection_id     TEXT COLLATE "C"    NOT NULL REFERENCES accounting_connections (id),
	object_type       TEXT COLLATE "C"    NOT NULL,
	object_id         TEXT COLLATE "C"    NOT NULL,
	sync_status       TEXT COLLATE "C"    NOT NULL,
	-- auto is 0 for invoices issued before the entity connected: pushed only on request.
	auto              BIGINT NOT NULL DEFAULT 1,
	-- attempts counts pushes of the object that may have reached the accounting system since it
	-- was last settled; a push of an object with attempts looks it up before creating it.
	attempts          BIGINT NOT NULL DEFAULT 0,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	data              TEXT    NOT NULL
);
CREATE UNIQUE INDEX synced_records_object ON synced_records (connection_id, object_type, object_id);
CREATE INDEX synced_records_entity_created_at ON synced_records (entity_id, object_type, created_at, id);
CREATE INDEX synced_records_entity_updated_at ON synced_records (entity_id, object_type, updated_at, id);
CREATE INDEX synced_records_pending ON synced_records (connection_id, sync_status, auto, object_type, created_at);

CREATE TABLE sandbox_state (
	namespace TEXT COLLATE "C" NOT NULL,
	key       TEXT COLLATE "C" NOT NULL,
	value     TEXT NOT NULL,
	PRIMARY KEY (namespace, key)
);
