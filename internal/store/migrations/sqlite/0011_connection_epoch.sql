-- connection_epoch counts the connections an entity has had. Creating one moves it on, with the
-- entity's row locked, in the connection's own transaction. An issue that read that its entity
-- has no connection takes its number only while the epoch is what it was when the issue's last
-- statement began, and no connection exists: otherwise the connection appeared after the issue read
-- it, possibly too late for the connect's look for invoices issued before it to see the invoice,
-- and the issue runs again, now with the connection (see FinishIssueTx).
ALTER TABLE entities ADD COLUMN connection_epoch INTEGER NOT NULL DEFAULT 0;
