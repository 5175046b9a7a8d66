// Package syncer is booksync's sync engine: it keeps each entity's books in step with booksync.
//
// Data flows one way. Issuing an invoice (or recording a payment of a pushed one) writes a pending
// synced record and queues a push job for the entity's connection (Engine.QueuePushTx) in the same
// transaction, which internal/invoicing opens, so a push is never lost and never queued for an
// invoice that was not issued. Jobs run on River, on SQLite or PostgreSQL alike:
//
//   - push: pushes a connection's pending records in batches, customers and products before the
//     invoices that need them, then payments. One push per connection runs at a time (a lease on
//     the connection row, so this holds across processes). The lease of a killed process lapses
//     within the job timeout, and on SQLite, whose file one process owns, it is released at start.
//     Each batch reads the entity's settings and the pulled tax rates and accounts afresh, and a
//     record's outcome is written only if the record was not pushed again meanwhile, so a record
//     pushed again after its cause was fixed never gets the old error back.
//   - sync: pulls the connection's tax rates and ledger accounts (and its organisation), then
//     pushes. The initial sync after connecting, the hourly syncs and POST .../sync share it; it
//     is unique per connection, so it is never queued twice.
//   - sweep: every minute, queues the sync of each connection whose hour is up (a next_sync_at
//     column, not one periodic job per connection) and a push for any connection whose pending
//     records have waited too long.
//
// No database transaction is held open across a call to an accounting system: a push reads what
// it needs, calls the connector, then writes each result in its own short transaction.
//
// Failures follow their class (internal/platform): a problem the user must fix puts the record in
// error with the cause and the fix and is not retried until the record is pushed again; a transient
// failure or an unknown outcome is retried with backoff, and because connectors look objects up by
// their natural key before creating them, a retry never creates a duplicate; a rate limit snoozes
// the job for the time the accounting system asked, without using an attempt; a refused token is
// refreshed once (single-flight per connection, the rotated refresh token stored before it is
// used), and a revoked grant makes the connection deauthorized with an error that says to reconnect.
package syncer
