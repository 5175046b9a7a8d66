package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/google/uuid"
)

// TestPostgresReadsPendingRecordsInIndexOrder: a push's read of its connection's pending records
// walks synced_records_pending in the read's order and stops at the batch, on a database whose
// statistics know nothing yet (a new database, or a backlog issued since the last ANALYZE): a plan
// that sorts reads every pending record of the connection for each batch.
func TestPostgresReadsPendingRecordsInIndexOrder(t *testing.T) {
	t.Parallel()
	s := newPostgresWithoutStatistics(t)
	for _, except := range [][]string{nil, {"a", "b"}} {
		q, args := s.pendingRecordsSQL("conn", booksync.ObjectReceivable, 50, except, false)
		plan := explainPostgres(t, s, q, args)
		if strings.Contains(plan, "Sort") || !strings.Contains(plan, "synced_records_pending") {
			t.Errorf("pending records, except %v: the plan sorts or does not use synced_records_pending:\n%s", except, plan)
		}
	}
}

// TestPostgresLooksUpTheNumberAnIssueTakes: an issue's check that no receivable holds the number it
// takes (one given by hand) looks that number up in the entity's document ids, on a database whose
// statistics know nothing yet; a plan that reads the entity's issued receivables to compare their
// numbers costs each issue, with the entity's counter locked, as much as the entity has issued.
func TestPostgresLooksUpTheNumberAnIssueTakes(t *testing.T) {
	t.Parallel()
	s := newPostgresWithoutStatistics(t)
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: uuid.NewString(), Type: booksync.ReceivableTypeInvoice,
		Status: booksync.StatusIssued, Currency: "EUR", CreatedAt: at, UpdatedAt: at}
	row, err := encodeReceivable(r)
	if err != nil {
		t.Fatal(err)
	}
	args := updateReceivableArgs(r, row)
	args[4] = "INV-"
	args = append(args, "number-mark")
	guards := map[string]string{
		"in a transaction":                     "",
		"in a transaction, no connection read": noConnectionSinceSQL("$14"),
		"alone (IssueAlone)":                   aloneGuardSQL(),
	}
	for name, guard := range guards {
		q := numberedWriteSQL("next_document_number", guard, "$19") + " SELECT n.digits, EXISTS (SELECT 1 FROM w) FROM n"
		plan := explainPostgres(t, s, q, args)
		lines := strings.Split(plan, "\n")
		lookups, byNumber := 0, 0
		for i, line := range lines {
			if strings.Contains(line, " on receivables t ") && i+1 < len(lines) {
				lookups++
				if next := lines[i+1]; strings.Contains(next, "Index Cond:") && strings.Contains(next, "document_id = ") {
					byNumber++
				}
			}
		}
		if lookups == 0 || byNumber != lookups {
			t.Errorf("the issue's number, %s: the receivables holding it are not looked up by it:\n%s", name, plan)
		}
	}
}

// newPostgresWithoutStatistics returns a store on a new, migrated PostgreSQL database: its planner
// knows nothing of its tables yet, as after a backlog issued since the last ANALYZE.
func newPostgresWithoutStatistics(t *testing.T) *Store {
	t.Helper()
	s, err := OpenAndMigrate(context.Background(), pgtest.NewDatabase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// explainPostgres returns PostgreSQL's plan of q with args.
func explainPostgres(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.writer.QueryContext(context.Background(), "EXPLAIN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
