package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDatabasesAreIsolated creates two databases, writes in one, and shows the
// other stays empty.
func TestDatabasesAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	urlA, urlB := NewDatabase(t), NewDatabase(t)
	if urlA == urlB {
		t.Fatalf("two calls returned the same database %s", urlA)
	}
	a, b := open(t, urlA), open(t, urlB)

	if _, err := a.ExecContext(ctx, `CREATE TABLE invoices (id int PRIMARY KEY, total bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, `INSERT INTO invoices VALUES (1, 12345)`); err != nil {
		t.Fatal(err)
	}
	var total int64
	if err := a.QueryRowContext(ctx, `SELECT total FROM invoices WHERE id = 1`).Scan(&total); err != nil || total != 12345 {
		t.Fatalf("read back from A: total=%d err=%v", total, err)
	}

	var tables int
	if err := b.QueryRowContext(ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
	).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("database B has %d tables, want 0 (isolation broken)", tables)
	}
	if _, err := b.ExecContext(ctx, `SELECT * FROM invoices`); err == nil {
		t.Fatal("database B sees table invoices created in database A")
	}
}

// TestDatabaseDroppedAfterTest shows the database is gone once its test ends,
// even with a connection still open to it.
func TestDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	admin := open(t, AdminURL(t)) // skips here, before anything needs closing, without a server
	var name string
	var leaked *sql.DB
	t.Run("inner", func(t *testing.T) {
		dbURL := NewDatabase(t)
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, Prefix) {
			t.Fatalf("database name %q lacks prefix %q", name, Prefix)
		}
		// Deliberately not closed before the drop: WITH (FORCE) must cope.
		leaked, err = sql.Open("pgx", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		if err := leaked.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	if leaked != nil {
		defer leaked.Close()
	}
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test finished", name)
	}
}

// TestParallelCreation creates databases concurrently, as parallel tests do.
func TestParallelCreation(t *testing.T) {
	t.Parallel()
	const n = 8
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			dbURL := NewDatabase(t)
			db := open(t, dbURL)
			if _, err := db.Exec(`CREATE TABLE t (x int)`); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[dbURL] {
				t.Errorf("duplicate database %s", dbURL)
			}
			seen[dbURL] = true
		})
	}
}

func TestMissingServer(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name  string
		env   func(string) string
		fatal bool
	}{
		{"local", env(), false},
		{"ci", env("CI", "true"), true},
		{"required", env(EnvRequire, "1"), true},
	} {
		fatal, msg := missingServer(tc.env)
		if fatal != tc.fatal {
			t.Errorf("%s: fatal = %v, want %v", tc.name, fatal, tc.fatal)
		}
		if !strings.Contains(msg, "make test") || !strings.Contains(msg, EnvURL) {
			t.Errorf("%s: message %q should mention `make test` and %s", tc.name, msg, EnvURL)
		}
	}
}

func TestNewName(t *testing.T) {
	now := time.Unix(1700000000, 0)
	a, b := newName(now), newName(now)
	if a == b {
		t.Fatalf("names not unique: %s", a)
	}
	if len(a) > 63 {
		t.Fatalf("name %s longer than PostgreSQL's 63-byte limit", a)
	}
	if m := nameRE.FindStringSubmatch(a); m == nil || m[1] != fmt.Sprintf("%x", now.Unix()) {
		t.Fatalf("name %s does not encode its creation time", a)
	}
}

// TestBackendCPUCountsTheBackendsWork runs a statement that keeps the server busy for a while and
// checks that the CPU time read for the database's backends grew by at least one clock tick.
func TestBackendCPUCountsTheBackendsWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t, NewDatabase(t))
	db.SetMaxOpenConns(1) // one backend, open from the first reading to the last
	before, err := BackendCPU(ctx, db)
	if err != nil {
		if os.Getenv(EnvRequire) == "" {
			t.Skipf("the test server's processes cannot be read here: %v", err)
		}
		t.Fatal(err) // make test starts the server on this machine
	}
	if len(before) != 1 {
		t.Fatalf("backends of the database: %v, want the test's one", before)
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM generate_series(1, 3000000) AS s(i) WHERE i % 7 = 0").Scan(&n); err != nil {
		t.Fatal(err)
	}
	after, err := BackendCPU(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if used := after.Since(before); used < time.Second/userHZ {
		t.Fatalf("the backend used %v of CPU counting %d of 3,000,000 rows; want at least one tick", used, n)
	}
}

func TestParseStatCPU(t *testing.T) {
	// A process name may hold spaces and parentheses; utime is 250 ticks, stime 50.
	line := "4242 (postgres: a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 1 0 100 0 0\n"
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Fatalf("parseStatCPU = %v, want %v", got, want)
	}
	if _, err := parseStatCPU("4242 (postgres"); err == nil {
		t.Fatal("parseStatCPU read a line without its fields")
	}
}
