package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/booksync/booksync"
	"github.com/google/uuid"
)

// A read of an entity's rows by their ids looks each id up, whatever the entity holds. SQLite
// keeps no statistics, and guesses that an entity has about ten rows: for more ids than that it
// read the entity's whole index instead, so that the engine, reading a batch of 50 invoices of a
// backlog of 100,000, read 100,000 index entries each time.
func TestSQLiteLooksUpEachIDOfAList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := OpenAndMigrate(ctx, filepath.Join(t.TempDir(), "plans.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	var ids []any
	for range 50 {
		ids = append(ids, uuid.NewString())
	}
	byIDs := []booksync.Filter{{Field: "id", Op: booksync.OpIn, Values: ids}}
	after := &booksync.Cursor{Key: int64(1), ID: uuid.NewString()}
	type query struct {
		sql  string
		args []any
	}
	listSQL := func(lq listQuery, err error) query {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return query{lq.sql, lq.args}
	}
	entityAndIDs := append([]any{uuid.NewString()}, ids...)
	entity := uuid.NewString()
	queries := map[string]query{
		"ReceivablesByID":    {receivablesByIDSQL(s.d, len(ids)), entityAndIDs},
		"EventDeliveries":    {eventDeliveriesSQL(s.d, len(ids)), entityAndIDs},
		"receivables?id__in": listSQL(buildListQuery(s.d, receivableJSONList, entity, booksync.ListQuery{Filters: byIDs, Limit: 100})),
		"receivables?id__in, by amount, after a cursor": listSQL(buildListQuery(s.d, receivableJSONList, entity,
			booksync.ListQuery{Filters: byIDs, Sort: "total_amount", Limit: 100, After: after})),
		"products?id__in":     listSQL(buildListQuery(s.d, productList, entity, booksync.ListQuery{Filters: byIDs, Limit: 100})),
		"counterparts?id__in": listSQL(buildListQuery(s.d, counterpartList, entity, booksync.ListQuery{Filters: byIDs, Limit: 100})),
	}

	for name, q := range queries {
		rows, err := s.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		searches := 0
		for _, step := range plan {
			if strings.HasPrefix(step, "SEARCH") || strings.HasPrefix(step, "SCAN") {
				searches++
				if !strings.HasSuffix(step, "(id=?)") && !strings.HasSuffix(step, "(event_id=?)") {
					t.Errorf("%s: %q reads more than the ids; whole plan %q", name, step, plan)
				}
			}
		}
		if searches == 0 {
			t.Errorf("%s: no search in plan %q", name, plan)
		}
	}
}
