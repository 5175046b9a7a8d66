package pgtest

import (
	"database/sql"
	"testing"
	"time"
)

// LockWaitOr waits until a transaction on db's database waits for a lock, and then returns the
// zero value and false, or until c delivers, and then returns what it delivered and true. A test
// that races two transactions uses it to know that one waits for the other. It polls; it has no
// time limit of its own.
func LockWaitOr[T any](tb testing.TB, db *sql.DB, c <-chan T) (T, bool) {
	tb.Helper()
	for {
		select {
		case v := <-c:
			return v, true
		case <-time.After(5 * time.Millisecond):
		}
		var waiting int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			tb.Fatal(err)
		}
		if waiting > 0 {
			var zero T
			return zero, false
		}
	}
}
