package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/store"
	"modernc.org/sqlite"
)

// The SQLite writer does not checkpoint in its commits, and the store's checkpointer keeps the WAL
// bounded even while readers always hold a snapshot, which keeps SQLite from starting the WAL over
// by itself.
func TestSQLiteWALStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "booksync.db")
	s, err := store.OpenAndMigrate(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.Writer().QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint is %d (%v), want 0", auto, err)
	}
	// A bound of 256 frames (1 MiB of 4 KiB pages), where the writes below make more than 32 MiB
	// of pages.
	const frames = 256
	store.SetWALTruncateFrames(s, frames)
	if _, err := s.Writer().Exec("CREATE TABLE wal_rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}

	// Two read transactions on two connections relay: the next begins before the last ends, so
	// that a snapshot is always held.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		var conns [2]*sql.Conn
		for i := range conns {
			c, err := s.Reader().Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			conns[i] = c
		}
		var held *sql.Tx
		for i := 0; ; i++ {
			select {
			case <-stop:
				if held != nil {
					held.Rollback()
				}
				return
			default:
			}
			tx, err := conns[i%2].BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				t.Error(err)
				return
			}
			var n int
			if err := tx.QueryRow("SELECT COUNT(*) FROM wal_rows").Scan(&n); err != nil {
				t.Error(err)
				return
			}
			if held != nil {
				held.Rollback()
			}
			held = tx
		}
	}()

	wal := path + "-wal"
	var mu sync.Mutex
	largest := int64(0)
	var writers sync.WaitGroup
	for range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for range 512 {
				data := make([]byte, 16<<10)
				rand.Read(data)
				if err := s.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.Exec("INSERT INTO wal_rows (data) VALUES ($1)", data)
					return err
				}); err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(wal); err == nil {
					mu.Lock()
					largest = max(largest, fi.Size())
					mu.Unlock()
				}
			}
		}()
	}
	writers.Wait()

	// How far the WAL outgrows the bound meanwhile depends on how much is written before the
	// checkpointer gets a CPU (about 10 MiB on an idle machine; it passes 48 MiB without
	// checkpoints). What must hold on any machine: while the readers still always hold a
	// snapshot, which keeps SQLite from starting the WAL over by itself, the checkpointer brings it
	// back within the bound.
	waitFor(t, func() bool {
		fi, err := os.Stat(wal)
		return err == nil && fi.Size() <= frames*4096+32<<10
	})
	close(stop)
	readers.Wait()
	t.Logf("the WAL's largest size: %d bytes", largest)
	var n int
	if err := s.Reader().QueryRow("SELECT COUNT(*) FROM wal_rows").Scan(&n); err != nil || n != 4*512 {
		t.Fatalf("%d rows (%v), want %d", n, err, 4*512)
	}
}

// A reader that holds an old snapshot for long makes the truncating checkpoint, which holds new
// writers back while it waits for that reader, wait briefly at first and longer each time in a
// row, and once the reader ends the WAL is truncated and the next wait is brief again.
func TestTruncatingCheckpointWaitsLongerForALongReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openWithWALBound(t, 64)
	type attempt struct {
		wait time.Duration
		busy bool
	}
	var mu sync.Mutex
	var attempts []attempt
	store.WatchTruncations(s, func(wait time.Duration, busy bool) {
		mu.Lock()
		attempts = append(attempts, attempt{wait, busy})
		mu.Unlock()
	})
	seen := func() []attempt {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(attempts)
	}
	write := func() {
		t.Helper()
		data := make([]byte, 64<<10)
		rand.Read(data)
		if err := s.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec("INSERT INTO wal_rows (data) VALUES ($1)", data)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Writer().Exec("CREATE TABLE wal_rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	write()

	// The reader's snapshot keeps every frame written after it in the WAL. (A truncating checkpoint
	// may still be running from the writes before; the waits from the first one the reader holds
	// back are checked.)
	reader, err := s.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT COUNT(*) FROM wal_rows").Scan(&n); err != nil {
		t.Fatal(err)
	}
	from := len(seen())
	for range 16 {
		write()
	}
	held := func() []attempt {
		all := seen()[from:]
		i := slices.IndexFunc(all, func(a attempt) bool { return a.busy })
		if i < 0 {
			return nil
		}
		return all[i:]
	}
	waitFor(t, func() bool { return len(held()) >= 3 })
	for i, a := range held()[:3] {
		if want := store.TruncateWaitFirst << i; !a.busy || a.wait != want {
			t.Fatalf("truncating checkpoint %d while the reader holds its snapshot: waited %v, busy %v; want %v, busy", i+1, a.wait, a.busy, want)
		}
	}
	reader.Rollback()
	waitFor(t, func() bool {
		all := seen()
		return len(all) > 0 && !all[len(all)-1].busy
	})
	// The WAL was truncated: grown again, it gets a truncating checkpoint that waits briefly.
	from = len(seen())
	for range 16 {
		write()
	}
	waitFor(t, func() bool { return len(seen()) > from })
	if a := seen()[from]; a.wait != store.TruncateWaitFirst || a.busy {
		t.Fatalf("the first truncating checkpoint after the reader ended waited %v (busy %v), want %v and done", a.wait, a.busy, store.TruncateWaitFirst)
	}
}

// A truncating checkpoint starts the WAL over, and a SQLite connection that finds the WAL started
// over by another connection discards its whole page cache. The checkpointer truncates on the
// writer's own connection, so the writer keeps the pages it has read: reading them again after a
// truncation costs it no reads from the file.
func TestTruncatingCheckpointKeepsTheWritersCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openWithWALBound(t, 64)
	var mu sync.Mutex
	truncations := 0
	store.WatchTruncations(s, func(_ time.Duration, busy bool) {
		if !busy {
			mu.Lock()
			truncations++
			mu.Unlock()
		}
	})
	truncated := func() int {
		mu.Lock()
		defer mu.Unlock()
		return truncations
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if err := s.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(query, args...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The writer's reads: every page of kept, in a write transaction as the writer's callers read.
	var pageSize int
	if err := s.Writer().QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	exec("CREATE TABLE kept (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
	exec("CREATE TABLE churn (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
	exec("CREATE TABLE sums (n INTEGER NOT NULL)")
	exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO kept (data) SELECT randomblob(1000) FROM n")
	pages := 2000 * 1000 / pageSize
	scan := func() (misses int) {
		t.Helper()
		before := writerCacheMisses(t, s)
		exec("INSERT INTO sums (n) SELECT sum(length(data)) FROM kept")
		return writerCacheMisses(t, s) - before
	}

	// A truncation, then the pages read once into the writer's cache.
	waitFor(t, func() bool { return truncated() >= 1 })
	scan()
	// Another truncation, caused by one commit of more than 64 frames to another table.
	from := truncated()
	exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4) INSERT INTO churn (data) SELECT randomblob(100000) FROM n")
	waitFor(t, func() bool { return truncated() > from })
	if misses := scan(); misses > pages/10 {
		t.Fatalf("reading %d pages again after a truncation missed the writer's cache %d times, want (almost) none", pages, misses)
	}
	// The truncation set the writer's busy timeout to its wait; it is the writer's own again.
	var timeout int
	if err := s.Writer().QueryRow("PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout != 10000 {
		t.Fatalf("the writer's busy timeout after a truncation: %d ms (%v), want 10000", timeout, err)
	}
}

// openWithWALBound opens a migrated SQLite store in a temporary folder whose checkpointer truncates
// the WAL once it is frames long, and closes it when the test ends.
func openWithWALBound(t *testing.T, frames int) *store.Store {
	t.Helper()
	s, err := store.OpenAndMigrate(context.Background(), filepath.Join(t.TempDir(), "booksync.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store.SetWALTruncateFrames(s, frames)
	return s
}

// writerCacheMisses returns how many pages the SQLite writer's connection has looked for in its
// page cache and read from the file instead.
func writerCacheMisses(t *testing.T, s *store.Store) int {
	t.Helper()
	conn, err := s.Writer().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if !ok {
			return fmt.Errorf("the writer's connection %T has no status counters", dc)
		}
		n, _, err = st.Status(sqlite.DBStatusCacheMiss, false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
