package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/store/storetest"
)

var _ api.Store = (*store.Store)(nil)

// openSQLite returns a migrated store on a new SQLite file in the test's temporary directory.
func openSQLite(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.OpenAndMigrate(context.Background(), filepath.Join(t.TempDir(), "booksync.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres returns a migrated store on a new PostgreSQL database, or skips the test when
// BOOKSYNC_TEST_POSTGRES_URL is unset.
func openPostgres(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.OpenAndMigrate(context.Background(), pgtest.NewDatabase(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dialects are the databases every test below runs on.
var dialects = []struct {
	name string
	open func(t testing.TB, opts store.Options) *store.Store
}{
	{"SQLite", openSQLite},
	{"Postgres", openPostgres},
}

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) *store.Store { return d.open(t, store.Options{}) })
		})
	}
}

func TestMigrateIsIdempotentAndCreatesRiverTables(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := d.open(t, store.Options{})
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			var n int
			if err := s.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != migrationCount(t) {
				t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, migrationCount(t))
			}
			if err := s.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job").Scan(&n); err != nil {
				t.Fatalf("river_job after Migrate: %v", err)
			}
			if err := s.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM river_migration").Scan(&n); err != nil || n == 0 {
				t.Fatalf("river_migration has %d rows (%v)", n, err)
			}
			if got := s.Dialect(); got != map[string]string{"SQLite": "sqlite", "Postgres": "postgres"}[d.name] {
				t.Fatalf("Dialect = %q", got)
			}
		})
	}
}

// Processes that start together (booksync migrate, several booksync serve) must not trip over each
// other's migrations.
func TestMigrateConcurrentlyPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	const n = 4
	stores := make([]*store.Store, n)
	for i := range stores {
		s, err := store.Open(ctx, url, store.Options{PostgresMaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var count int
	if err := stores[0].Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&count); err != nil || count != migrationCount(t) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", count, err, migrationCount(t))
	}
}

// An issue is one step of its caller's transaction: what the caller does after it in the same
// transaction sees the issued row, and a rollback undoes the issue and gives its number back.
func TestIssueRollsBackWithItsTransaction(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := d.open(t, store.Options{})
			e, r := fixture(t, s)
			var seen []string
			issue := func(fail error) error {
				return s.InTx(ctx, func(tx *sql.Tx) error {
					issued, err := s.IssueReceivableTx(ctx, tx, e, r, time.Now())
					if err != nil {
						return err
					}
					var status string
					if err := tx.QueryRowContext(ctx, "SELECT status FROM receivables WHERE id = $1", r).Scan(&status); err != nil {
						return err
					}
					seen = append(seen, status+" "+*issued.DocumentID)
					return fail
				})
			}

			fail := errors.New("enqueue failed")
			if err := issue(fail); !errors.Is(err, fail) {
				t.Fatalf("InTx around a failing step = %v, want the step's error", err)
			}
			got, err := s.Receivable(ctx, e, r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != booksync.StatusDraft || got.DocumentID != nil || got.Version != 1 {
				t.Fatalf("a rolled-back issue left the invoice %s %v version %d", got.Status, got.DocumentID, got.Version)
			}

			if err := issue(nil); err != nil {
				t.Fatal(err)
			}
			// The rolled-back attempt gave its number back.
			if len(seen) != 2 || seen[0] != "issued INV-00001" || seen[1] != "issued INV-00001" {
				t.Fatalf("the transaction saw %q", seen)
			}
		})
	}
}

// fixture creates a partner, an entity and a draft invoice, and returns the entity and invoice ids.
func fixture(t testing.TB, s *store.Store) (entityID, receivableID string) {
	t.Helper()
	ctx := context.Background()
	p := uuid.NewString()
	if err := s.CreatePartner(ctx, booksync.Partner{ID: p}, []byte("h")); err != nil {
		t.Fatal(err)
	}
	e := &booksync.Entity{ID: uuid.NewString(), PartnerID: p, Type: booksync.EntityTypeOrganization,
		Organization: &booksync.Organization{LegalName: "Acme"}}
	if err := s.CreateEntity(ctx, e, booksync.Settings{}); err != nil {
		t.Fatal(err)
	}
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: e.ID, Type: booksync.ReceivableTypeInvoice,
		Status: booksync.StatusDraft, Currency: "EUR", CounterpartName: "Globex"}
	if err := s.CreateReceivable(ctx, r); err != nil {
		t.Fatal(err)
	}
	return e.ID, r.ID
}

// API reads must not queue behind a write transaction: on SQLite they use the reader pool, which
// WAL lets read while the writer's one connection is busy.
func TestSQLiteReadsDoNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t, store.Options{})
	e, r := fixture(t, s)

	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE receivables SET counterpart_name = 'changed' WHERE id = $1", r); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	// A read that waited for the writer would wait until release, which comes after it: the
	// timeout only turns that deadlock into a failure, so it can be generous.
	readCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	got, err := s.Receivable(readCtx, e, r)
	if err != nil {
		t.Fatalf("read during a write transaction: %v", err)
	}
	if got.CounterpartName != "Globex" {
		t.Fatalf("read saw an uncommitted write")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The reader cannot write, even by mistake.
	if _, err := s.Reader().ExecContext(ctx, "DELETE FROM receivables"); err == nil {
		t.Fatal("the reader pool accepted a write")
	}
}

func TestSQLiteOpenChecksPragmas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t, store.Options{})
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := s.Writer().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
	if n := s.Writer().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", n)
	}

	// A file: URI and an in-memory database work too.
	uri := "file:" + filepath.Join(t.TempDir(), "uri.db") + "?cache=private"
	for _, dsn := range []string{uri, ":memory:"} {
		m, err := store.OpenAndMigrate(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		e, r := fixture(t, m)
		if err := m.InTx(ctx, func(tx *sql.Tx) error {
			_, err := m.IssueReceivableTx(ctx, tx, e, r, time.Now())
			return err
		}); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		m.Close()
	}
}

// migrationCount is how many migrations each dialect has (a test checks both have the same).
func migrationCount(t *testing.T) int {
	entries, err := os.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
