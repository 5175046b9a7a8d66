-- VAT ids: the VAT (or GST) registration numbers of an entity (counterpart_id empty) and of its
-- counterparts. GET /vat_rates reads them to choose the rates that apply to a sale.

CREATE TABLE vat_ids (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT COLLATE "C" NOT NULL UNIQUE,
	entity_id      TEXT COLLATE "C" NOT NULL REFERENCES entities (id),
	counterpart_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	data           TEXT NOT NULL
);
CREATE INDEX vat_ids_owner ON vat_ids (entity_id, counterpart_id, seq);
