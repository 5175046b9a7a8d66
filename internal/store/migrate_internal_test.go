package store

import (
	"slices"
	"testing"
)

// Both dialects must apply the same schema versions, so a database can move between them and the
// code can assume one schema.
func TestMigrationVersionsMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	versions := func(dialect string) []int {
		ms, err := loadMigrations(dialect)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, m := range ms {
			out = append(out, m.Version)
		}
		return out
	}
	sqlite, postgres := versions(DialectSQLite), versions(DialectPostgres)
	if len(sqlite) == 0 || !slices.Equal(sqlite, postgres) {
		t.Fatalf("sqlite versions %v, postgres versions %v", sqlite, postgres)
	}
}
