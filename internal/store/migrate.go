package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationLockKey is the PostgreSQL advisory lock that serialises Migrate across processes
// (`booksync migrate` and every `booksync serve` run it). Any constant works if nothing else uses
// it; this one is "booksync" in ASCII, read as an integer.
const migrationLockKey int64 = 0x626f6f6b73796e63

// migration is one schema migration file: NNNN_name.sql.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations returns the embedded migrations of a dialect ("sqlite" or "postgres") in version
// order. Both dialects have the same versions.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %q: %w", dialect, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", name, err)
		}
		out = append(out, migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: two %s migrations have version %d", dialect, out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies booksync's pending migrations, recorded in schema_migrations, and then River's
// (rivermigrate, direction up). Running it again does nothing.
//
// On PostgreSQL the whole run holds a transaction-scoped advisory lock, so that processes starting
// together apply each migration once: the second waits, then finds nothing to do. booksync's own
// migrations run inside that transaction (PostgreSQL DDL is transactional); River's run on other
// pool connections, in their own transactions, while the lock is held. On SQLite the transaction
// begins IMMEDIATE, which serialises booksync's migrations; River's follow on the writer
// connection (one process per SQLite file is the supported setup).
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := loadMigrations(s.d.name)
	if err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer tx.Rollback()

	if s.d.name == DialectPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if err := s.applyMigrations(ctx, tx, migrations); err != nil {
		return err
	}
	if s.d.name == DialectPostgres {
		// Still holding the lock: River's migrator uses other pool connections.
		if err := s.migrateRiver(ctx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate: commit: %w", err)
		}
		return nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	// After the commit: the writer's one connection is free again for River.
	return s.migrateRiver(ctx)
}

func (s *Store) applyMigrations(ctx context.Context, tx *sql.Tx, migrations []migration) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT NOT NULL PRIMARY KEY,
	name       TEXT   NOT NULL,
	applied_at BIGINT NOT NULL
)`); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	applied := map[int]string{}
	rows, err := tx.QueryContext(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
		}
		applied[v] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if name, ok := applied[m.Version]; ok {
			// A version is one migration: a database that ran another under its number (a build
			// between releases) does not have this one's schema, and skipping it would fail later.
			if name != m.Name {
				return fmt.Errorf("store: migrate: version %d of this database is %s, but this booksync's is %s; "+
					"it was migrated by another build of booksync and cannot be upgraded by this one", m.Version, name, m.Name)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("store: migrate: apply %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("store: migrate: record %s: %w", m.Name, err)
		}
	}
	return nil
}

func (s *Store) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(s.RiverDriver(), &rivermigrate.Config{Logger: s.opts.Logger})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("store: migrate river: %w", err)
	}
	return nil
}
