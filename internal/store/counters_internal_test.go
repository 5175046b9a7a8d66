package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/pgtest"
)

// TestEntityCountersMigrationKeepsTheNumbers upgrades a database whose entities kept their
// counters in their own rows (before migration 0011): each entity's next invoice and credit note
// numbers carry over to its row of entity_counters, so no number is given twice after the upgrade.
func TestEntityCountersMigrationKeepsTheNumbers(t *testing.T) {
	t.Parallel()
	dsns := map[string]string{"sqlite": filepath.Join(t.TempDir(), "old.db")}
	if os.Getenv("BOOKSYNC_TEST_POSTGRES_URL") != "" {
		dsns["postgres"] = pgtest.NewDatabase(t)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, dsn, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ms, err := loadMigrations(s.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			var before []migration
			for _, m := range ms {
				if m.Version < 11 {
					before = append(before, m)
				}
			}
			tx, err := s.writer.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := s.applyMigrations(ctx, tx, before); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				"INSERT INTO partners (id, name, secret_hash, created_at) VALUES ('p', 'p', '', 1)",
				`INSERT INTO entities (id, partner_id, created_at, updated_at, data, next_document_number, next_credit_note_number)
				VALUES ('busy', 'p', 1, 1, '{}', 42, 7), ('new', 'p', 1, 1, '{}', 1, 1)`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.applyMigrations(ctx, tx, ms); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string][3]int64{"busy": {42, 7, 0}, "new": {1, 1, 0}} {
				var got [3]int64
				if err := tx.QueryRowContext(ctx, `SELECT next_document_number, next_credit_note_number, connection_epoch
				FROM entity_counters WHERE entity_id = $1`, id).Scan(&got[0], &got[1], &got[2]); err != nil {
					t.Fatalf("entity %s: %v", id, err)
				}
				if got != want {
					t.Fatalf("entity %s's counters after the upgrade: %v, want %v", id, got, want)
				}
			}
		})
	}
}

// TestMigrateRefusesAVersionRecordedUnderAnotherName: a database migrated by a build whose
// migration of some version was another one (a build between releases) is refused, not upgraded
// past a schema change it never ran.
func TestMigrateRefusesAVersionRecordedUnderAnotherName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := OpenAndMigrate(ctx, filepath.Join(t.TempDir(), "other.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.writer.ExecContext(ctx, "UPDATE schema_migrations SET name = '0011_something_else' WHERE version = 11"); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "version 11 of this database is 0011_something_else") {
		t.Fatalf("migrating a database with another version 11: %v", err)
	}
}
