package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
)

// issuedEvent is the event the invoicing service writes for an issue at at.
func issuedEvent(at time.Time) store.IssueEvent {
	return func(r *booksync.Receivable, object json.RawMessage) booksync.Event {
		return booksync.ReceivableEventJSON(r, booksync.EventIssued, at, object)
	}
}

// issuedEvents counts the issued events of the receivable id.
func issuedEvents(t *testing.T, s *store.Store, id string) int {
	t.Helper()
	var n int
	if err := s.Writer().QueryRowContext(context.Background(), "SELECT count(*) FROM events WHERE object_id = $1 AND action = $2",
		id, booksync.EventObjectReceivable+"."+booksync.EventIssued).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantUntouched fails the test unless the draft r is stored as it was, with no issued event, and
// the entity's counter still gives want to the next issue, in a transaction that reads whether the
// entity has a connection.
func wantUntouched(t *testing.T, s *store.Store, r *booksync.Receivable, want string) {
	t.Helper()
	stored, err := s.Receivable(context.Background(), r.EntityID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != booksync.StatusDraft || stored.DocumentID != nil && *stored.DocumentID != "" || stored.Version != r.Version || issuedEvents(t, s, r.ID) != 0 {
		t.Fatalf("after IssueAlone wrote nothing, the draft is %s, number %v, version %d (want %d), %d issued events",
			stored.Status, stored.DocumentID, stored.Version, r.Version, issuedEvents(t, s, r.ID))
	}
	ctx := context.Background()
	next := newDraft(t, s, r.EntityID, booksync.ReceivableTypeInvoice, r.CreatedAt)
	var got *booksync.Receivable
	if err := s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := s.ActiveConnectionTx(ctx, tx, r.EntityID)
		none := booksync.ErrorCode(err) == booksync.ENOTFOUND
		if err != nil && !none {
			return err
		}
		if got, err = s.StartIssueTx(ctx, tx, r.EntityID, next.ID, r.CreatedAt); err != nil {
			return err
		}
		return s.FinishIssueTx(ctx, tx, got, issuedEvent(r.CreatedAt), none)
	}); err != nil {
		t.Fatal(err)
	}
	if got.DocumentID == nil || *got.DocumentID != want {
		t.Fatalf("the next issue took %v, want %s: the counter moved on with nothing written", got.DocumentID, want)
	}
}

// IssueAlone issues an invoice in one statement of its own only where that is all its issue
// needs, and otherwise writes nothing at all: not the invoice, not its event, and not the entity's
// counter, whose next number stays for the issue in a transaction that follows.
func TestIssueAloneWritesAllOrNothing(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		prepare func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable
		next    string // the number the next issue takes after IssueAlone wrote nothing
	}{
		{"a webhook subscription may want the event", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			ws := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: ent.PartnerID, ObjectType: "receivable",
				EventTypes: []string{"created"}, URL: "https://example.com/h", Status: booksync.SubscriptionEnabled}
			if err := s.CreateSubscription(context.Background(), ws, "sealed"); err != nil {
				t.Fatal(err)
			}
			return r
		}, "INV-00001"},
		{"the entity has a connection", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			c := newConnectionOf(ent.ID, booksync.PlatformXero, booksync.ConnectionConnected, at)
			if err := s.CreateConnection(context.Background(), c, uuid.NewString()); err != nil {
				t.Fatal(err)
			}
			return r
		}, "INV-00001"},
		{"the invoice changed since it was read", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			read := *r
			memo := "changed"
			r.Memo = &memo
			if err := s.UpdateReceivable(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			return &read
		}, "INV-00001"},
		{"its number was given by hand", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			other := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			doc := "INV-00001"
			other.DocumentID = &doc
			if err := s.UpdateReceivable(context.Background(), other); err != nil {
				t.Fatal(err)
			}
			return r
		}, "INV-00002"},
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()

			ent := newPartnerEntity(t, s, booksync.Settings{})
			r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			issue, err := store.StartIssueOf(r, at)
			if err != nil {
				t.Fatal(err)
			}
			done, err := s.IssueAlone(ctx, issue, issuedEvent(at))
			if err != nil {
				t.Fatal(err)
			}
			if d.name == "SQLite" {
				// SQLite issues in the transactions of its one writer.
				if done {
					t.Fatal("IssueAlone issued on SQLite")
				}
				wantUntouched(t, s, r, "INV-00001")
				return
			}
			stored, err := s.Receivable(ctx, ent.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !done || issue.DocumentID == nil || *issue.DocumentID != "INV-00001" || issue.Version != 2 ||
				stored.Status != booksync.StatusIssued || *stored.DocumentID != "INV-00001" || stored.Version != 2 || issuedEvents(t, s, r.ID) != 1 {
				t.Fatalf("IssueAlone = %v, %+v; stored %+v with %d issued events; want INV-00001 issued, version 2, one event",
					done, issue, stored, issuedEvents(t, s, r.ID))
			}
			next := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			if got := issueWithEvent(t, s, ent.ID, next.ID, at); *got.DocumentID != "INV-00002" {
				t.Fatalf("the issue after IssueAlone took %s, want INV-00002", *got.DocumentID)
			}

			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					ent := newPartnerEntity(t, s, booksync.Settings{})
					r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
					read := c.prepare(t, s, ent, r)
					issue, err := store.StartIssueOf(read, at)
					if err != nil {
						t.Fatal(err)
					}
					if done, err := s.IssueAlone(ctx, issue, issuedEvent(at)); done || err != nil || issue.DocumentID != nil {
						t.Fatalf("IssueAlone = %v, %v, number %v; want nothing written", done, err, issue.DocumentID)
					}
					stored, err := s.Receivable(ctx, ent.ID, r.ID)
					if err != nil {
						t.Fatal(err)
					}
					wantUntouched(t, s, stored, c.next)
				})
			}
		})
	}
}

// An invoice that changes while IssueAlone's statement waits for the entity's counter, after the
// statement saw it unchanged: the statement takes the number only to find it cannot write the
// invoice with it, and fails on purpose (booksync_refuse_issue), so that the counter does not move
// on with nothing written and no number goes missing from the entity's sequence.
func TestIssueAloneGivesUpANumberItCannotUse(t *testing.T) {
	t.Parallel()
	s := openPostgres(t, store.Options{})
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ent := newPartnerEntity(t, s, booksync.Settings{})
	r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)

	// Another transaction holds the counter while the invoice changes.
	locked, release := make(chan struct{}), make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	held := make(chan error, 1)
	go func() {
		held <- s.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE entity_counters SET next_document_number = next_document_number WHERE entity_id = $1", ent.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-held:
		t.Fatalf("the counter's holder ended before it held it: %v", err)
	}

	type outcome struct {
		done bool
		err  error
	}
	issued := make(chan outcome, 1)
	issue, err := store.StartIssueOf(r, at)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		done, err := s.IssueAlone(ctx, issue, issuedEvent(at))
		issued <- outcome{done, err}
	}()
	if got, ended := pgtest.LockWaitOr(t, s.Reader(), issued); ended {
		t.Fatalf("IssueAlone = %+v before the counter was released: it did not wait for it", got)
	}
	changed := *r
	memo := "changed while the issue waited"
	changed.Memo = &memo
	if err := s.UpdateReceivable(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	close(release)
	released = true
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if got := <-issued; got.done || got.err != nil || issue.DocumentID != nil {
		t.Fatalf("IssueAlone = %+v, number %v; want nothing written", got, issue.DocumentID)
	}
	stored, err := s.Receivable(ctx, ent.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Memo == nil || *stored.Memo != memo {
		t.Fatalf("the invoice lost its change: memo %v", stored.Memo)
	}
	wantUntouched(t, s, stored, "INV-00001")
}
