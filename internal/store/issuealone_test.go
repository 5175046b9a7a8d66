package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
)

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

// wantUntouched fails the test unless the draft r is stored at r's version, unnumbered, with no
// issued event, and the entity's counter still gives number next to the next issue.
func wantUntouched(t *testing.T, s *store.Store, r *booksync.Receivable, next int64) {
	t.Helper()
	stored, err := s.Receivable(context.Background(), r.EntityID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != booksync.StatusDraft || stored.DocumentID != nil && *stored.DocumentID != "" || stored.Version != r.Version || issuedEvents(t, s, r.ID) != 0 {
		t.Fatalf("after IssueAlone wrote nothing, the draft is %s, number %v, version %d (want %d), %d issued events",
			stored.Status, stored.DocumentID, stored.Version, r.Version, issuedEvents(t, s, r.ID))
	}
	var n int64
	if err := s.Writer().QueryRowContext(context.Background(), "SELECT next_document_number FROM entity_counters WHERE entity_id = $1",
		r.EntityID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != next {
		t.Fatalf("the entity's next number is %d, want %d: the counter moved on with nothing written", n, next)
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
		next    int64 // the entity's next number after IssueAlone wrote nothing
	}{
		{"a webhook subscription may want the event", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			ws := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: ent.PartnerID, ObjectType: "receivable",
				EventTypes: []string{"created"}, URL: "https://example.com/h", Status: booksync.SubscriptionEnabled}
			if err := s.CreateSubscription(context.Background(), ws, "sealed"); err != nil {
				t.Fatal(err)
			}
			return r
		}, 1},
		{"the entity has a connection", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			c := newConnectionOf(ent.ID, booksync.PlatformXero, booksync.ConnectionConnected, at)
			if err := s.CreateConnection(context.Background(), c, uuid.NewString()); err != nil {
				t.Fatal(err)
			}
			return r
		}, 1},
		{"the invoice changed since it was read", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			read := *r
			memo := "changed"
			r.Memo = &memo
			if err := s.UpdateReceivable(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			return &read
		}, 1},
		{"its number was given by hand", func(t *testing.T, s *store.Store, ent *booksync.Entity, r *booksync.Receivable) *booksync.Receivable {
			other := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			doc := "INV-00001"
			other.DocumentID = &doc
			if err := s.UpdateReceivable(context.Background(), other); err != nil {
				t.Fatal(err)
			}
			return r
		}, 1},
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
				wantUntouched(t, s, r, 1)
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
					wantUntouched(t, s, r, c.next) // r as prepare left it: changed, or as created

				})
			}
		})
	}
}

// newPostgresDraft returns a store on a new PostgreSQL database with a draft invoice of a new
// entity, and the time it was made at.
func newPostgresDraft(t *testing.T) (*store.Store, *booksync.Receivable, time.Time) {
	t.Helper()
	s := openPostgres(t, store.Options{})
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ent := newPartnerEntity(t, s, booksync.Settings{})
	return s, newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at), at
}

// aloneOutcome is what IssueAlone returned.
type aloneOutcome struct {
	done bool
	err  error
}

// issueAloneWaiting runs IssueAlone of issue in a goroutine, and returns once its statement waits
// for a lock (the entity's counter, which the test holds); its outcome comes on the channel.
func issueAloneWaiting(t *testing.T, s *store.Store, issue *booksync.Receivable, at time.Time) <-chan aloneOutcome {
	t.Helper()
	issued := make(chan aloneOutcome, 1)
	go func() {
		done, err := s.IssueAlone(context.Background(), issue, issuedEvent(at))
		issued <- aloneOutcome{done, err}
	}()
	if got, ended := pgtest.LockWaitOr(t, s.Reader(), issued); ended {
		t.Fatalf("IssueAlone = %+v while the test held the entity's counter: it did not wait for it", got)
	}
	return issued
}

// An invoice that changes while IssueAlone's statement waits for the entity's counter, after the
// statement saw it unchanged: the statement takes the number only to find it cannot write the
// invoice with it, and fails on purpose (booksync_refuse_issue), so that the counter does not move
// on with nothing written and no number goes missing from the entity's sequence.
func TestIssueAloneGivesUpANumberItCannotUse(t *testing.T) {
	t.Parallel()
	s, r, at := newPostgresDraft(t)
	ctx := context.Background()

	// Another transaction holds the counter while the invoice changes.
	tx, err := s.Writer().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE entity_counters SET next_document_number = next_document_number WHERE entity_id = $1", r.EntityID); err != nil {
		t.Fatal(err)
	}
	issue, err := store.StartIssueOf(r, at)
	if err != nil {
		t.Fatal(err)
	}
	issued := issueAloneWaiting(t, s, issue, at)
	changed := *r
	memo := "changed while the issue waited"
	changed.Memo = &memo
	if err := s.UpdateReceivable(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := <-issued; got.done || got.err != nil || issue.DocumentID != nil {
		t.Fatalf("IssueAlone = %+v, number %v; want nothing written", got, issue.DocumentID)
	}
	stored, err := s.Receivable(ctx, r.EntityID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Memo == nil || *stored.Memo != memo {
		t.Fatalf("the invoice lost its change: memo %v", stored.Memo)
	}
	wantUntouched(t, s, &changed, 1)
}

// A connection created while IssueAlone's statement waits for the entity's counter (a connect
// holds it while it moves the entity's connection epoch on): the statement, which saw no
// connection as it began, takes no number and writes nothing, so that the invoice is issued in a
// transaction that gives it its record in the connection.
func TestIssueAloneWhileTheEntityConnects(t *testing.T) {
	t.Parallel()
	s, r, at := newPostgresDraft(t)
	ctx := context.Background()
	issue, err := store.StartIssueOf(r, at)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.Writer().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := s.CreateConnectionTx(ctx, tx, newConnectionOf(r.EntityID, booksync.PlatformGnuCash, booksync.ConnectionConnected, at), ""); err != nil {
		t.Fatal(err)
	}
	issued := issueAloneWaiting(t, s, issue, at)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := <-issued; got.done || got.err != nil {
		t.Fatalf("IssueAlone = %+v; want nothing written", got)
	}
	wantUntouched(t, s, r, 1)
}
