-- Lookups at scale. GET /accounting_synced_records?object_id= finds an object's records through
-- this index, in the list's order, instead of walking every record of the entity's object type.
CREATE INDEX synced_records_entity_object ON synced_records (entity_id, object_id, object_type, created_at, id);
