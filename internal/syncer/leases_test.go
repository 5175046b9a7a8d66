package syncer_test

import (
	"context"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/riverqueue/river/rivertype"
)

// rescuedPush is a push job queued without PushArgs' uniqueness, as when River rescues the push
// of a process that died while pushing and that process's push is in fact still running.
type rescuedPush struct {
	ConnectionID string `json:"connection_id"`
}

// Kind makes the job a push.
func (rescuedPush) Kind() string { return "push" }

// TestTwoPushesOfAConnectionNeverRunAtOnce runs a second push job of a connection while the first
// is in the books: the second waits for the push lease, gives up and is snoozed, without pushing
// anything, and the invoice issued meanwhile is pushed once the first push has finished.
func TestTwoPushesOfAConnectionNeverRunAtOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		entered, release := make(chan struct{}), make(chan struct{})
		books.PushInvoicesFn = log.wrap(func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			if call == 1 {
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
			}
			return acceptAll(invs), nil
		})
		b, _ := startedEngine(t, dsn, books, engineOptions{})

		first := b.issue("")
		<-entered
		second := b.issue("")
		res, err := b.e.River().Insert(b.ctx, rescuedPush{ConnectionID: b.conn.ID}, nil)
		must(t, err)
		rescued := res.Job.ID
		// The second push tries the lease for a while, then snoozes its job: it ran, and waits to
		// run again without having used an attempt.
		b.pushJob(rescued-1, "the second push to be snoozed", func(j *rivertype.JobRow) bool {
			return j.ID == rescued && j.AttemptedAt != nil && j.Attempt == 0 && j.State != rivertype.JobStateRunning
		})
		if n := len(log.pushes()); n != 1 {
			t.Fatalf("the books got %d pushes while the first was running, want 1", n)
		}
		if rec := b.record(second); rec.SyncStatus != booksync.SyncStatusPending {
			t.Fatalf("the invoice issued during the first push: %s, want pending", rec.SyncStatus)
		}

		close(release)
		for _, inv := range []string{first, second} {
			if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
				t.Fatalf("record of %s: %s %+v", inv, rec.SyncStatus, rec.Errors)
			}
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if log.most != 1 {
			t.Fatalf("%d pushes were in the books at once, want 1", log.most)
		}
	})
}
