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
	s := openPlanStore(t)

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
		plan := explainSQLite(t, s, q.sql, q.args)
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

// explainSQLite returns the steps of SQLite's plan of q.
func explainSQLite(t *testing.T, s *Store, q string, args []any) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// A read of the few rows a filter names finds them through their index, however many rows the
// entity holds: SQLite, guessing every entity small, read the entity's rows in the sort's order
// instead (so that they needed no sort) and filtered them, which for a filter that matches few or
// none of an entity's 100,000 invoices read all 100,000. The same holds for the checks the engine
// makes at each push and each tick of its scheduler.
func TestSQLiteReadsWhatAFilterNames(t *testing.T) {
	t.Parallel()
	s := openPlanStore(t)

	entity, id := uuid.NewString(), uuid.NewString()
	after := &booksync.Cursor{Key: int64(1), ID: uuid.NewString()}
	eq := func(field string, v any) []booksync.Filter {
		return []booksync.Filter{{Field: field, Op: booksync.OpEq, Values: []any{v}}}
	}
	type query struct {
		sql  string
		args []any
		// each search of table must read through want
		table, want string
	}
	list := func(table, want string) func(lq listQuery, err error) query {
		return func(lq listQuery, err error) query {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return query{lq.sql, lq.args, table, want}
		}
	}
	byDocument := list("receivables", "receivables_entity_document_id_unique (entity_id=? AND document_id=?)")
	byBasis := list("receivables", "receivables_entity_based_on (entity_id=? AND based_on=?)")
	byInvoice := list("payment_records", "payment_records_entity_object_id (entity_id=? AND object_id=?)")
	byEvent := list("webhook_deliveries", "webhook_deliveries_event_subscription (event_id=?)")
	active := list("ac", "(id=?)")
	queries := map[string]query{
		"receivables?document_id": byDocument(buildListQuery(s.d, receivableJSONList, entity,
			booksync.ListQuery{Filters: eq("document_id", "INV-1"), Limit: 100})),
		"receivables?document_id, by amount, after a cursor": byDocument(buildListQuery(s.d, receivableList, entity,
			booksync.ListQuery{Filters: eq("document_id", "INV-1"), Sort: "total_amount", Limit: 100, After: after})),
		"receivables?based_on, before a cursor": byBasis(buildListQuery(s.d, receivableJSONList, entity,
			booksync.ListQuery{Filters: eq("based_on", id), Limit: 100, Before: after})),
		"counterparts?counterpart_name": list("counterparts", "counterparts_entity_name (entity_id=? AND counterpart_name=?)")(
			buildListQuery(s.d, counterpartList, entity, booksync.ListQuery{Filters: eq("counterpart_name", "Acme"), Limit: 100})),
		"products?name, after a cursor": list("products", "products_entity_name (entity_id=? AND name=?)")(
			buildListQuery(s.d, productList, entity, booksync.ListQuery{Filters: eq("name", "Widget"), Limit: 100, After: after})),
		"payment_records?object_id": byInvoice(buildListQuery(s.d, paymentList, entity,
			booksync.ListQuery{Filters: eq("object_id", id), Limit: 100})),
		"payment_records?object_id__in, by amount": byInvoice(buildListQuery(s.d, paymentList, entity,
			booksync.ListQuery{Filters: []booksync.Filter{{Field: "object_id", Op: booksync.OpIn, Values: []any{id, uuid.NewString()}}},
				Sort: "amount", Limit: 100})),
		"PaymentRecordsOfTx": {paymentsOfSQL(s.d), []any{entity, id}, "payment_records",
			"payment_records_entity_object_id (entity_id=? AND object_id=?)"},
		"webhook_deliveries?event_id": byEvent(buildListQuery(s.d, deliveryList, entity,
			booksync.ListQuery{Filters: eq("event_id", id), Limit: 100})),
		"webhook_deliveries?event_id, by update, after a cursor": byEvent(buildListQuery(s.d, deliveryList, entity,
			booksync.ListQuery{Filters: eq("event_id", id), Sort: "updated_at", Limit: 100, After: after})),
		// An entity's pulled rows are those of its active connection, looked up by id rather
		// than every entity's active connection read.
		"accounting_tax_rates": active(buildListQuery(s.d, taxRateList, entity, booksync.ListQuery{Limit: 100})),
		"ledger_accounts":      active(buildListQuery(s.d, ledgerAccountList, entity, booksync.ListQuery{Limit: 100})),
		"Pulled": {"SELECT " + pulledColumns + " FROM accounting_tax_rates WHERE entity_id = $1 AND " + activeOnly + " ORDER BY id",
			[]any{entity}, "ac", "(id=?)"},
		// The scheduler's tick asks each connection for one stale pending record, not for all.
		"ConnectionsWithPendingBefore": {pendingBeforeSQL, []any{booksync.SyncStatusPending, int64(1), booksync.ConnectionConnected},
			"r", "USING INDEX synced_records_pending (connection_id=?"},
	}

	for name, q := range queries {
		plan := explainSQLite(t, s, q.sql, q.args)
		found := false
		for _, step := range plan {
			if strings.Contains(step, "TEMP B-TREE FOR DISTINCT") {
				t.Errorf("%s: %q reads every match to drop the repeats; whole plan %q", name, step, plan)
			}
			if !strings.HasPrefix(step, "SEARCH "+q.table+" ") && !strings.HasPrefix(step, "SCAN "+q.table+" ") {
				continue
			}
			found = true
			if !strings.Contains(step, q.want) {
				t.Errorf("%s: %q reads more than the filter names (want %q); whole plan %q", name, step, q.want, plan)
			}
		}
		if !found {
			t.Errorf("%s: no read of %s in plan %q", name, q.table, plan)
		}
	}
}

// The events of an entity, sorted by update, are read in the order of an index, not all read and
// sorted: an event is written once, and its updated_at is its created_at.
func TestSQLiteReadsEventsByUpdateInOrder(t *testing.T) {
	t.Parallel()
	s := openPlanStore(t)
	after := &booksync.Cursor{Key: int64(1), ID: uuid.NewString()}
	for name, q := range map[string]booksync.ListQuery{
		"events?sort=updated_at":                          {Sort: "updated_at", Limit: 100},
		"events?sort=updated_at&order=desc, after a page": {Sort: "updated_at", Order: booksync.OrderDesc, Limit: 100, After: after},
		"events?object_type&sort=updated_at": {Sort: "updated_at", Limit: 100,
			Filters: []booksync.Filter{{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}}}},
	} {
		lq, err := buildListQuery(s.d, eventList, uuid.NewString(), q)
		if err != nil {
			t.Fatal(err)
		}
		plan := explainSQLite(t, s, lq.sql, lq.args)
		for _, step := range plan {
			if strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s: %q sorts every event of the entity; whole plan %q", name, step, plan)
			}
		}
	}
}

// A filter on an empty value names every row without one (every draft has document_id ""), not a
// few: those rows are read in the sort's order, a page at a time, and not all read and sorted for
// each page.
func TestSQLiteReadsAnEmptyFilterInSortOrder(t *testing.T) {
	t.Parallel()
	s := openPlanStore(t)
	after := &booksync.Cursor{Key: int64(1), ID: uuid.NewString()}
	lq, err := buildListQuery(s.d, receivableJSONList, uuid.NewString(), booksync.ListQuery{
		Filters: []booksync.Filter{{Field: "document_id", Op: booksync.OpEq, Values: []any{""}}}, Limit: 100, After: after})
	if err != nil {
		t.Fatal(err)
	}
	plan := explainSQLite(t, s, lq.sql, lq.args)
	for _, step := range plan {
		if strings.Contains(step, "TEMP B-TREE") {
			t.Errorf("receivables?document_id=: %q sorts every draft of the entity; whole plan %q", step, plan)
		}
	}
}

// openPlanStore opens a migrated SQLite store whose plans a test explains.
func openPlanStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenAndMigrate(context.Background(), filepath.Join(t.TempDir(), "plans.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSQLiteWritesLimitsIntoTheSQL checks that on SQLite a list's LIMIT is a number in its SQL and
// not a bound parameter, and that PostgreSQL binds it. SQLite reads a bound LIMIT while it plans and
// prepares the statement again whenever the parameter is bound, so a limit bound as a parameter
// would cost every run of a cached statement a new parse and plan (see dialect.limitInSQL).
func TestSQLiteWritesLimitsIntoTheSQL(t *testing.T) {
	q := booksync.ListQuery{Limit: 10}
	for _, tc := range []struct {
		d        dialect
		wantSQL  string
		wantArgs int // the entity id, and the limit where it is bound
	}{
		{sqliteDialect, "LIMIT 11", 1},
		{postgresDialect, "LIMIT $2", 2},
	} {
		lq, err := buildListQuery(tc.d, receivableJSONList, "entity", q)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(lq.sql, tc.wantSQL) || len(lq.args) != tc.wantArgs {
			t.Errorf("%s: the list query ends %q with %d arguments; want %q and %d", tc.d.name,
				lq.sql[max(0, len(lq.sql)-20):], len(lq.args), tc.wantSQL, tc.wantArgs)
		}
	}
}
