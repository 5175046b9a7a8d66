package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/google/uuid"
)

// An invoice issued while its entity connects must be pushed or found by the connect's look for
// invoices issued before it. On PostgreSQL an issue's transaction that read the connection not yet
// connected holds its row, so that connecting it waits for the issue to commit and then finds the
// invoice issued. (SQLite runs one write transaction at a time, so the two cannot overlap there.)
func TestConnectingWaitsForAnIssueThatReadTheConnection(t *testing.T) {
	t.Parallel()
	s := openPostgres(t, store.Options{})
	ctx := context.Background()
	ent := newPartnerEntity(t, s, booksync.Settings{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newConnectionOf(ent.ID, booksync.PlatformXero, booksync.ConnectionPendingAuth, t0)
	c.TenantID = "" // the OAuth callback finds it
	if err := s.CreateConnection(ctx, c, ""); err != nil {
		t.Fatal(err)
	}
	r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, t0)

	// The issue reads the connection, still pending, and goes on once the connect has started.
	read, goOn := make(chan struct{}), make(chan struct{})
	issued := make(chan error, 1)
	var goneOn bool
	defer func() {
		if !goneOn {
			close(goOn) // a failed test lets the issue's transaction end
		}
	}()
	go func() {
		issued <- s.InTx(ctx, func(tx *sql.Tx) error {
			conn, err := s.ActiveConnectionTx(ctx, tx, ent.ID)
			if err != nil {
				return err
			}
			if conn.Status != booksync.ConnectionPendingAuth {
				return errors.New("the issue read the connection " + conn.Status)
			}
			close(read)
			<-goOn
			issue, err := s.StartIssueTx(ctx, tx, ent.ID, r.ID, t0)
			if err != nil {
				return err
			}
			return s.FinishIssueTx(ctx, tx, issue, nil, false)
		})
	}()
	select {
	case <-read:
	case err := <-issued:
		t.Fatalf("the issue ended before it read the connection: %v", err)
	}

	type connect struct {
		found []string // the invoices issued before the connection, as the connect finds them
		err   error
	}
	connected := make(chan connect, 1)
	go func() {
		var found []string
		err := s.InTx(ctx, func(tx *sql.Tx) error {
			conn := *c
			conn.Status, conn.TenantID, conn.UpdatedAt = booksync.ConnectionConnected, uuid.NewString(), t0.Add(time.Minute)
			if err := s.UpdateConnectionTx(ctx, tx, &conn); err != nil {
				return err
			}
			var err error
			found, err = s.IssuedReceivableIDs(ctx, tx, ent.ID)
			return err
		})
		connected <- connect{found, err}
	}()

	// The connect either ends at once (it did not wait for the issue) or waits for a lock.
	got, ended := pgtest.LockWaitOr(t, s.Reader(), connected)
	close(goOn)
	goneOn = true
	if err := <-issued; err != nil {
		t.Fatal(err)
	}
	if !ended {
		got = <-connected
	}
	if got.err != nil {
		t.Fatal(got.err)
	}
	if !slices.Contains(got.found, r.ID) {
		t.Fatalf("the connect found %v issued before it, not the invoice issued meanwhile (%s): that invoice would be neither pushed nor recorded", got.found, r.ID)
	}
}

// An invoice issued while its entity gets its first connection (local books are connected as
// their connection is created) must be pushed or found by the connect's look for invoices issued
// before it. On PostgreSQL an issue that read that the entity has no connection takes its number
// only if no connection was created since: otherwise it fails with ErrConnectedMeanwhile, writes
// nothing, and runs again (invoicing); and a connect waits for an issue that took its number first,
// so that its look finds the invoice. Each case runs for an invoice numbered by the counter and
// for one numbered by hand.
func TestAnIssueThatReadNoConnectionWhileTheEntityConnects(t *testing.T) {
	t.Parallel()
	for _, handSet := range []bool{false, true} {
		for _, c := range []struct {
			name string
			// connect runs while the issue's transaction is open, after it read that the entity has
			// no connection; it returns, if the connect is to end after the issue's commit, a
			// function that waits for it, and what the issue's number returned.
			connect func(t *testing.T, s *store.Store, c *booksync.Connection, number func() error) (func() error, error)
		}{
			{"connected before the number", func(t *testing.T, s *store.Store, c *booksync.Connection, number func() error) (func() error, error) {
				if err := s.CreateConnection(context.Background(), c, ""); err != nil {
					t.Fatal(err)
				}
				return nil, number()
			}},
			{"the number waits for the connect", func(t *testing.T, s *store.Store, c *booksync.Connection, number func() error) (func() error, error) {
				ctx := context.Background()
				tx, err := s.Writer().BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if err := s.CreateConnectionTx(ctx, tx, c, ""); err != nil {
					t.Fatal(err)
				}
				numbered := make(chan error, 1)
				go func() { numbered <- number() }()
				if err, ended := pgtest.LockWaitOr(t, s.Reader(), numbered); ended {
					t.Fatalf("the number did not wait for the connect: %v", err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				return nil, <-numbered
			}},
			{"the connect waits for the number", func(t *testing.T, s *store.Store, c *booksync.Connection, number func() error) (func() error, error) {
				err := number()
				connected := make(chan error, 1)
				go func() { connected <- s.CreateConnection(context.Background(), c, "") }()
				if err, ended := pgtest.LockWaitOr(t, s.Reader(), connected); ended {
					t.Fatalf("the connect did not wait for the issue: %v", err)
				}
				return func() error { return <-connected }, err
			}},
		} {
			t.Run(fmt.Sprintf("%s, numbered by hand %v", c.name, handSet), func(t *testing.T) {
				t.Parallel()
				s := openPostgres(t, store.Options{})
				ctx := context.Background()
				ent := newPartnerEntity(t, s, booksync.Settings{})
				at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
				r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
				if handSet {
					doc := "HAND-1"
					r.DocumentID, r.UpdatedAt = &doc, at
					if err := s.UpdateReceivable(ctx, r); err != nil {
						t.Fatal(err)
					}
				}
				conn := newConnectionOf(ent.ID, booksync.PlatformGnuCash, booksync.ConnectionConnected, at)

				var connected func() error
				err := s.InTx(ctx, func(tx *sql.Tx) error {
					if _, err := s.ActiveConnectionTx(ctx, tx, ent.ID); !errors.As(err, new(*store.NotFoundError)) {
						return fmt.Errorf("the entity's connection before the connect: %v", err)
					}
					issue, err := s.StartIssueTx(ctx, tx, ent.ID, r.ID, at)
					if err != nil {
						return err
					}
					connected, err = c.connect(t, s, conn, func() error { return s.FinishIssueTx(ctx, tx, issue, nil, true) })
					return err
				})
				stored, rerr := s.Receivable(ctx, ent.ID, r.ID)
				if rerr != nil {
					t.Fatal(rerr)
				}
				if connected == nil {
					// The issue read no connection and one was created before it took its number.
					if !errors.Is(err, store.ErrConnectedMeanwhile) || stored.Status != booksync.StatusDraft {
						t.Fatalf("issue = %v, the invoice %s: want ErrConnectedMeanwhile and a draft, or the invoice would be neither pushed nor recorded", err, stored.Status)
					}
					return
				}
				// The issue took its number first and committed: the connect, which waited, finds it.
				if err != nil || stored.Status != booksync.StatusIssued {
					t.Fatalf("issue = %v, the invoice %s", err, stored.Status)
				}
				if err := connected(); err != nil {
					t.Fatalf("the connect after the issue: %v", err)
				}
				var found []string
				if err := s.InTx(ctx, func(tx *sql.Tx) (err error) { found, err = s.IssuedReceivableIDs(ctx, tx, ent.ID); return err }); err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(found, r.ID) {
					t.Fatalf("the connect found %v issued before it, not %s", found, r.ID)
				}
			})
		}
	}
}

// A sync asked for while a sync finishes must not be lost. The request writes the connection's
// time of request, and its job is not queued when the running sync's job is still running; so the
// finishing sync, on PostgreSQL, reads the request with the connection's row held: it waits for a
// request that has not committed, sees it, and pulls again.
func TestAFinishingSyncWaitsForARequestBeingMade(t *testing.T) {
	t.Parallel()
	s := openPostgres(t, store.Options{})
	ctx := context.Background()
	ent := newPartnerEntity(t, s, booksync.Settings{})
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := newConnectionOf(ent.ID, booksync.PlatformXero, booksync.ConnectionConnected, t0)
	if err := s.CreateConnection(ctx, c, ""); err != nil {
		t.Fatal(err)
	}
	request, err := s.Writer().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer request.Rollback()
	if err := s.RequestSync(ctx, request, c.ID, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	type finish struct {
		again bool
		err   error
	}
	finished := make(chan finish, 1)
	go func() {
		var again bool
		err := s.InTx(ctx, func(tx *sql.Tx) (err error) {
			again, err = s.FinishSyncPull(ctx, tx, c.ID, t0.Add(time.Minute), t0.Add(3*time.Minute))
			return err
		})
		finished <- finish{again, err}
	}()
	got, ended := pgtest.LockWaitOr(t, s.Reader(), finished)
	if err := request.Commit(); err != nil {
		t.Fatal(err)
	}
	if !ended {
		got = <-finished
	}
	if got.err != nil || !got.again {
		t.Fatalf("the finishing sync: again %v, %v; want it to pull again for the request made while it finished", got.again, got.err)
	}
	if ended {
		t.Fatal("the finishing sync did not wait for the request being made")
	}
}
