-- VAT ids: the VAT (or GST) registration numbers of an entity (counterpart_id empty) and of its
-- counterparts. GET /vat_rates reads them to choose the rates that apply to a sale.

CREATE TABLE vat_ids (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE,
	entity_id      TEXT    NOT NULL REFERENCES entities (id),
	counterpart_id TEXT    NOT NULL DEFAULT '',
	data           TEXT    NOT NULL
);
CREATE INDEX vat_ids_owner ON vat_ids (entity_id, counterpart_id, seq);
