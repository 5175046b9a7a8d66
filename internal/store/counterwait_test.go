package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
)

// TestAnIssueThatWaitedForTheCounter checks, on PostgreSQL, an issue whose statement waited for the
// entity's counter while another transaction changed a document number: the statement's reads see
// the database as it was before the wait.
//   - A number given up meanwhile (its draft deleted) is the one the issue takes.
//   - A number given to a draft by hand meanwhile makes the issue fail with ErrNumberTaken, which
//     writes nothing, rather than a duplicate number or an error that says the invoice changed.
func TestAnIssueThatWaitedForTheCounter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, change string
		handSet      bool   // the other draft holds INV-00001 before the change
		want         string // the issue's number; "" for ErrNumberTaken
	}{
		{"number given up", "DELETE FROM receivables WHERE id = $1", true, "INV-00001"},
		{"number given by hand", "UPDATE receivables SET document_id = 'INV-00001' WHERE id = $1", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := openPostgres(t, store.Options{})
			ctx := context.Background()
			ent := newPartnerEntity(t, s, booksync.Settings{})
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			other, r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at), newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			if c.handSet {
				if err := s.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, "UPDATE receivables SET document_id = 'INV-00001' WHERE id = $1", other.ID)
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}

			// The other transaction holds the counter and changes the other draft's number.
			locked, release := make(chan struct{}), make(chan struct{})
			released := false
			defer func() {
				if !released {
					close(release) // a failed test lets the change's transaction end
				}
			}()
			changed := make(chan error, 1)
			go func() {
				changed <- s.InTx(ctx, func(tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, "UPDATE entity_counters SET next_document_number = next_document_number WHERE entity_id = $1", ent.ID); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, c.change, other.ID); err != nil {
						return err
					}
					close(locked)
					<-release
					return nil
				})
			}()
			select {
			case <-locked:
			case err := <-changed:
				t.Fatalf("the change ended before it held the counter: %v", err)
			}

			issued := make(chan error, 1)
			var got *booksync.Receivable
			go func() {
				issued <- s.InTx(ctx, func(tx *sql.Tx) error {
					issue, err := s.StartIssueTx(ctx, tx, ent.ID, r.ID, at)
					if err != nil {
						return err
					}
					got = issue
					return s.FinishIssueTx(ctx, tx, issue, nil, false)
				})
			}()
			// The issue waits for the counter, or has ended (it did not wait).
			err, done := pgtest.LockWaitOr(t, s.Reader(), issued)
			close(release)
			released = true
			if cerr := <-changed; cerr != nil {
				t.Fatal(cerr)
			}
			if !done {
				err = <-issued
			}

			stored, rerr := s.Receivable(ctx, ent.ID, r.ID)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if c.want == "" {
				if !errors.Is(err, store.ErrNumberTaken) {
					t.Fatalf("issue = %v, want ErrNumberTaken", err)
				}
				if stored.Status != booksync.StatusDraft || stored.DocumentID != nil && *stored.DocumentID != "" {
					t.Fatalf("after ErrNumberTaken the invoice is %+v, want an unnumbered draft", stored)
				}
				return
			}
			if err != nil {
				t.Fatalf("issue = %v, want %s", err, c.want)
			}
			if got.DocumentID == nil || *got.DocumentID != c.want || stored.DocumentID == nil || *stored.DocumentID != c.want {
				t.Fatalf("issued as %+v, stored as %+v, want %s", got, stored, c.want)
			}
		})
	}
}
