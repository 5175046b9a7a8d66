-- GET /receivables serves each invoice from its stored JSON. api_lines holds the invoice's line
-- items as the API encodes them, beside data (the rest of the invoice as the API encodes it) and
-- lines (every field of the lines, for booksync itself). data_version names the shape data and
-- api_lines were written in (receivableDataVersion in internal/store/receivable.go): a row of
-- today's shape is served as stored, any other is decoded and encoded again. Rows written before
-- these columns existed are 0, and a migration that changes the lines column must set it to 0.
ALTER TABLE receivables ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receivables ADD COLUMN api_lines TEXT NOT NULL DEFAULT '';
