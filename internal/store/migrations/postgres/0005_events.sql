-- Events and webhooks: each event is written in the transaction of the change that causes it (an
-- outbox), with one delivery per webhook subscription that wants it and a River job that sends it.

CREATE TABLE webhook_subscriptions (
	id            TEXT COLLATE "C" PRIMARY KEY,
	partner_id    TEXT COLLATE "C" NOT NULL REFERENCES partners (id),
	object_type   TEXT COLLATE "C" NOT NULL,
	url           TEXT COLLATE "C" NOT NULL,
	status        TEXT COLLATE "C" NOT NULL,
	-- secret is the signing secret, sealed with AES-256-GCM: the database alone does not reveal it.
	secret        TEXT NOT NULL,
	-- failing_since is when the receiver began to fail (0 while it succeeds).
	failing_since BIGINT NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_partner_created_at ON webhook_subscriptions (partner_id, created_at, id);
CREATE INDEX webhook_subscriptions_partner_updated_at ON webhook_subscriptions (partner_id, updated_at, id);
CREATE INDEX webhook_subscriptions_match ON webhook_subscriptions (partner_id, object_type, status);

CREATE TABLE events (
	id          TEXT COLLATE "C" PRIMARY KEY,
	entity_id   TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	partner_id  TEXT COLLATE "C" NOT NULL REFERENCES partners (id),
	object_type TEXT COLLATE "C" NOT NULL,
	object_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
	action      TEXT COLLATE "C" NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	data        TEXT NOT NULL
);
CREATE INDEX events_entity_created_at ON events (entity_id, created_at, id);
CREATE INDEX events_entity_object ON events (entity_id, object_type, created_at, id);

CREATE TABLE webhook_deliveries (
	id                   TEXT COLLATE "C" PRIMARY KEY,
	event_id             TEXT COLLATE "C" NOT NULL REFERENCES events (id),
	subscription_id      TEXT COLLATE "C" NOT NULL,
	entity_id            TEXT COLLATE "C" NOT NULL,
	object_type          TEXT COLLATE "C" NOT NULL,
	event_action         TEXT COLLATE "C" NOT NULL,
	url                  TEXT COLLATE "C" NOT NULL,
	requests_made_count  BIGINT NOT NULL DEFAULT 0,
	-- response_status_code is 0 and was_successful -1 until the first attempt ends.
	response_status_code BIGINT NOT NULL DEFAULT 0,
	response             TEXT NOT NULL DEFAULT '',
	was_successful       BIGINT NOT NULL DEFAULT -1,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event_subscription ON webhook_deliveries (event_id, subscription_id);
CREATE INDEX webhook_deliveries_entity_created_at ON webhook_deliveries (entity_id, created_at, id);
CREATE INDEX webhook_deliveries_entity_updated_at ON webhook_deliveries (entity_id, updated_at, id);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, was_successful);
