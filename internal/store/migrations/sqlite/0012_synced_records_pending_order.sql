-- A push reads its connection's pending records oldest first, ORDER BY created_at, id, a batch at a
-- time, and the index ended at created_at. With id in the index, the index gives the whole order
-- (PostgreSQL's migration 0012 says what its planner did without it).
DROP INDEX synced_records_pending;
CREATE INDEX synced_records_pending ON synced_records (connection_id, sync_status, auto, object_type, created_at, id);
