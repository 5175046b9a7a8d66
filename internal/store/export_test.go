package store

// What the tests of package store_test read of a Store's insides.

import (
	"time"

	"github.com/booksync/booksync"
)

// ReceivableRow returns the columns of r that CreateReceivable computes (its document id, issue
// date, data, lines, data version and the lines as the API encodes them), so that the benchmarks can
// load invoices in bulk as booksync stores them.
func ReceivableRow(r *booksync.Receivable) (documentID string, issueDate int64, data, lines string, dataVersion int, apiLines string, err error) {
	row, err := encodeReceivable(r)
	return row.documentID, row.issueDate, row.data, row.lines, row.dataVersion, row.apiLines, err
}

// ReceivableDataVersion is the version of the shape the store writes invoices' data in.
const ReceivableDataVersion = receivableDataVersion

// QueuedCalls returns how many InTx calls wait for a turn (some may have left already).
func QueuedCalls(s *Store) int {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	return len(s.batches.queue)
}

// SetWALTruncateFrames sets the WAL length at which the SQLite store's checkpointer truncates it.
func SetWALTruncateFrames(s *Store, frames int) { s.ckpt.truncAt.Store(int64(frames)) }

// WatchTruncations has f told each truncating checkpoint's wait for readers and the writer, and
// whether they outlasted it.
func WatchTruncations(s *Store, f func(wait time.Duration, busy bool)) { s.ckpt.watch.Store(&f) }

// TruncateWaitFirst is how long the first of truncating checkpoints in a row waits.
const TruncateWaitFirst = truncateWaitFirst

// AuthCacheOn reports whether s keeps what TokenEntity reads (on PostgreSQL, once its listener
// listens).
func AuthCacheOn(s *Store) bool {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	return s.auth.on
}

// AuthCached reports whether s keeps a row of TokenEntity for the token's hash and the entity.
func AuthCached(s *Store, tokenHash []byte, entityID string) bool {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	_, ok := s.auth.rows[authKey{token: string(tokenHash), entity: entityID}]
	return ok
}

// SetAuthCacheTTL sets how long s uses a row TokenEntity read.
func SetAuthCacheTTL(s *Store, ttl time.Duration) {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	s.auth.ttl = ttl
}

// BeforeAuthCachePut has f run after each of TokenEntity's reads, before it keeps what it read.
func BeforeAuthCachePut(s *Store, f func()) { s.auth.beforePut = f }

// ForgetEventTargets forgets the subscriptions that the events of the batch that runs now read, as
// a write of subscriptions in the batch does.
func ForgetEventTargets(s *Store) { s.targets.forget() }

// SubscriptionReads returns how many times, on SQLite, an event read its partner's subscriptions.
func SubscriptionReads(s *Store) int64 { return s.targets.reads.Load() }
