-- data_version names the shape of the JSON in a receivable's data column, as the store wrote it
-- (receivableDataVersion in internal/store/receivable.go). GET /receivables serves data as it is
-- when it has today's shape and decodes and encodes the others; rows written before this column
-- existed are 0, and are served in today's shape like any older one.
ALTER TABLE receivables ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
