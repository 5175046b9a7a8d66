-- A record in error that is pushed again after its cause was fixed in the books is pushed after a
-- sync has pulled the books again, so that the push sees the fix. sync_served_at is when a sync
-- last finished its pull with no request for another one left: while a sync requested at
-- sync_requested_at has not been served (sync_served_at < sync_requested_at), a push leaves alone
-- the records changed at or before the request, and the sync's own push takes them after its pull.
ALTER TABLE accounting_connections ADD COLUMN sync_served_at INTEGER NOT NULL DEFAULT 0;
-- A request made before this version is taken as served: no record waits for it.
UPDATE accounting_connections SET sync_served_at = sync_requested_at;
