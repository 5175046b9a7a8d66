package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
)

// TestPushRecordRereadsARecordSettledMeanwhile: a push settles a record (done, with its id in the
// books) after PushRecord read it in error and before PushRecord writes it. PushRecord must not
// write back what it read: it reads the record again and marks the done record to be pushed again,
// keeping its id in the books, and queues a push, not a sync, since nothing failed.
//
// On PostgreSQL a row lock holds PushRecord's write until the settle commits; SQLite's one writer
// cannot be held between another writer's read and write from outside.
func TestPushRecordRereadsARecordSettledMeanwhile(t *testing.T) {
	t.Parallel()
	b := newTestEngine(t, pgtest.NewDatabase(t), fakeBooks(), engineOptions{})
	b.start()
	// No default sales account: the invoice's push fails with the fix to set one.
	rec := b.settled(b.issue(""))
	if rec.SyncStatus != booksync.SyncStatusError {
		t.Fatalf("the first push: %s %+v", rec.SyncStatus, rec.Errors)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	must(t, b.e.Stop(stopCtx)) // nothing pushes from here but what the test does

	db := b.st.Writer()
	hold, err := db.BeginTx(b.ctx, nil)
	must(t, err)
	defer func() { _ = hold.Rollback() }()
	if _, err := hold.ExecContext(b.ctx, "SELECT id FROM synced_records WHERE id = $1 FOR UPDATE", rec.ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		rec *booksync.SyncedRecord
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID)
		done <- result{r, err}
	}()
	// PushRecord has read the record in error and waits for the lock to write it.
	b.waitFor("PushRecord to wait for the record's lock", func() bool {
		select {
		case r := <-done:
			t.Fatalf("PushRecord returned (%v) before it waited for the record's lock", r.err)
		default:
		}
		var waiting bool
		must(t, db.QueryRowContext(b.ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE synced_records%')`).Scan(&waiting))
		return waiting
	})
	// A push settles the record meanwhile.
	settled, inBooks := *rec, "books-invoice-1"
	settled.SyncStatus, settled.Errors, settled.PlatformObjectID = booksync.SyncStatusDone, nil, &inBooks
	settled.UpdatedAt = rec.UpdatedAt.Add(time.Second)
	must(t, b.st.UpdateSyncedRecordTx(b.ctx, hold, &settled))
	must(t, hold.Commit())

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	got := b.record(rec.ObjectID)
	if got.SyncStatus != booksync.SyncStatusPending || got.PlatformObjectID == nil || *got.PlatformObjectID != "books-invoice-1" {
		t.Fatalf("after PushRecord: %s, id in the books %v; want pending with the id the push settled", got.SyncStatus, got.PlatformObjectID)
	}
	if got.WaitsForPull {
		t.Fatal("the record waits for a sync's pull, as a record in error would: PushRecord wrote what it read before the push settled it")
	}
}
