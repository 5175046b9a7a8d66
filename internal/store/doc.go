// Package store keeps booksync's objects in SQLite (modernc.org/sqlite, the zero-setup default) or
// PostgreSQL (pgx through database/sql, for running on several machines), behind one *Store that
// implements api.Store.
//
// Both databases run the same hand-written SQL: modernc binds $1, $2, ... by position, so one query
// text serves both, and the few differences (row locks, substring search) live in a small dialect
// value. Each table has a column per field that its list filters or sorts by, named as the
// booksync.ListSpec names the field, plus a data column with the whole object as JSON; lists use
// keyset paging on (sort column, id), so a deep page costs what the first one does.
//
// On SQLite a Store holds two pools. The writer has exactly one connection, used for every write
// and by River, so that enqueueing a job can share a write transaction and River never meets
// SQLITE_BUSY. The reader has several read-only connections for API reads, which WAL lets run
// beside the writer, so a read never queues behind a long write transaction. On PostgreSQL one pool
// serves both.
//
// Open connects; Migrate (idempotent, and serialised across processes on PostgreSQL by an advisory
// lock) applies booksync's migrations and River's. Errors follow one scheme on both databases: a
// unique violation is ErrAlreadyExists, a missing or foreign object is a *NotFoundError, a status
// that forbids the operation a *StatusError, a lost race ErrVersionConflict or ErrTokenChanged, and
// a list query its list does not take a *QueryError. Each carries its application error code
// (ENOTFOUND, ECONFLICT, EVALIDATION); the words users read are the API's.
//
// Package storetest holds the behaviour suite that both databases must pass.
package store
