-- A push reads its connection's pending records oldest first, ORDER BY created_at, id, a batch at a
-- time. The index ended at created_at, so the order needed a sort; with statistics that called the
-- table small (a new database, or a backlog issued since the last ANALYZE), PostgreSQL read every
-- pending record of the connection to sort them, for each batch: 15,000 rows a batch while a backlog
-- of 20,000 drained. With id in the index, the index gives the order, and each batch reads its batch.
-- The new index is built before the old one is dropped: while it is built, reads of synced_records
-- go on and writes wait; the drop and the rename hold the table for a moment only.
CREATE INDEX synced_records_pending_ordered ON synced_records (connection_id, sync_status, auto, object_type, created_at, id);
DROP INDEX synced_records_pending;
ALTER INDEX synced_records_pending_ordered RENAME TO synced_records_pending;
