package store_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/booksync/booksync"
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
	c := &booksync.Connection{ID: uuid.NewString(), EntityID: ent.ID, CreatedAt: t0, UpdatedAt: t0,
		Platform: booksync.PlatformXero, Status: booksync.ConnectionPendingAuth, Errors: []booksync.ConnectionError{}}
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
			return s.FinishIssueTx(ctx, tx, issue, nil)
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
	got, ended := lockWaitOr(t, s, connected)
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

// lockWaitOr waits until a transaction on s's PostgreSQL database waits for a lock, or until c
// delivers, and then returns what c delivered and true. It polls; it has no time limit of its own.
func lockWaitOr[T any](t *testing.T, s *store.Store, c <-chan T) (T, bool) {
	t.Helper()
	for {
		select {
		case v := <-c:
			return v, true
		case <-time.After(5 * time.Millisecond):
		}
		var waiting int
		if err := s.Reader().QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			var zero T
			return zero, false
		}
	}
}
