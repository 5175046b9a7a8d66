// Package pgtest gives each test its own fresh, empty PostgreSQL database.
//
// booksync runs on SQLite by default and on PostgreSQL to scale out, and the
// store, River job and sync code must behave the same on both. Those tests
// therefore need a real PostgreSQL server: a fake would hide dialect and
// locking differences, and one shared database would let parallel tests see
// each other's rows. Creating a database per test (CREATE DATABASE copies the
// template in tens of milliseconds) isolates tests completely, works with
// t.Parallel, and needs no clean-up code in the tests.
//
// The server comes from the environment variable BOOKSYNC_TEST_POSTGRES_URL,
// a postgres:// URL whose role may create databases. `make test` sets it after
// starting a private test cluster with scripts/ensure-postgres, so a plain
// `make test` never skips these tests. When the variable is unset, tests that
// ask for a database are skipped, or fail when CI or BOOKSYNC_REQUIRE_POSTGRES
// is set (`make test` sets the latter), so a missing server is never silently
// ignored where it matters.
//
// Typical use:
//
//	func TestStorePostgres(t *testing.T) {
//		t.Parallel()
//		db, err := sql.Open("pgx", pgtest.NewDatabase(t))
//		...
//	}
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers database/sql driver "pgx"
)

// Environment variables read by this package.
const (
	// EnvURL names the server tests create their databases on.
	EnvURL = "BOOKSYNC_TEST_POSTGRES_URL"
	// EnvRequire, when non-empty (like CI), turns a missing EnvURL into a failure.
	EnvRequire = "BOOKSYNC_REQUIRE_POSTGRES"
)

// Prefix starts the name of every database NewDatabase creates.
const Prefix = "booksync_test_"

// staleAfter is how old a leftover test database (from a killed test
// process) must be before any later test process drops it.
const staleAfter = 24 * time.Hour

// AdminURL returns the URL of the test server (BOOKSYNC_TEST_POSTGRES_URL),
// whose role may create databases. Without it, the test is skipped, or fails
// when CI or BOOKSYNC_REQUIRE_POSTGRES is set.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		fatal, msg := missingServer(os.Getenv)
		if fatal {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return u
}

// missingServer says what to do when EnvURL is unset.
func missingServer(getenv func(string) string) (fatal bool, msg string) {
	const hint = "run `make test`, which starts PostgreSQL with scripts/ensure-postgres, " +
		"or run: export \"$(scripts/ensure-postgres | tail -n 1)\""
	if getenv("CI") != "" || getenv(EnvRequire) != "" {
		return true, "PostgreSQL test server required (CI or " + EnvRequire + " is set) but " + EnvURL + " is unset; " + hint
	}
	return false, "skipping: needs PostgreSQL; " + EnvURL + " is unset; " + hint
}

// NewDatabase creates an empty database on the test server for this test and
// returns its URL (the server URL with the database name replaced). The
// database is dropped, with any connections still open to it, when the test
// and its subtests finish. Safe to call from parallel tests.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	serverURL := AdminURL(tb)
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: %s must be a postgres:// URL, got %q", EnvURL, serverURL)
	}
	admin, err := adminDB(serverURL)
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", u.Redacted(), err)
	}
	sweepOnce.Do(func() { sweepStale(admin) })

	name := newName(time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		tb.Fatalf("pgtest: create database %s on %s: %v", name, u.Redacted(), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	dbURL := *u
	dbURL.Path = "/" + name
	dbURL.RawPath = ""
	return dbURL.String()
}

var (
	adminMu  sync.Mutex
	adminDBs = map[string]*sql.DB{}

	sweepOnce sync.Once
)

// adminDB returns a connection pool to the server database, shared by all
// tests of the process (never closed: it lives as long as the test binary).
func adminDB(serverURL string) (*sql.DB, error) {
	adminMu.Lock()
	defer adminMu.Unlock()
	if db, ok := adminDBs[serverURL]; ok {
		return db, nil
	}
	db, err := sql.Open("pgx", serverURL)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(30 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	adminDBs[serverURL] = db
	return db, nil
}

func dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
	return err
}

// newName returns Prefix + creation time (hex Unix seconds) + random hex. The
// time lets later processes recognise databases leaked by killed tests.
func newName(now time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprintf("%s%x_%s", Prefix, now.Unix(), hex.EncodeToString(b[:]))
}

var nameRE = regexp.MustCompile(`^` + Prefix + `([0-9a-f]+)_[0-9a-f]+$`)

// sweepStale drops test databases created more than staleAfter ago, which
// only a killed test process can leave behind. Best effort: errors are ignored.
func sweepStale(admin *sql.DB) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'booksync\_test\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			break
		}
		m := nameRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		sec, err := strconv.ParseInt(m[1], 16, 64)
		if err == nil && time.Since(time.Unix(sec, 0)) > staleAfter {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		_ = dropDatabase(ctx, admin, name)
	}
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
