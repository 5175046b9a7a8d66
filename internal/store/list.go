package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

// maxLimit is the largest page a list serves, as Monite's API allows.
const maxLimit = 250

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// listTable says how one object's list reads its table.
type listTable[T any] struct {
	spec  booksync.ListSpec
	table string
	scope string // the column that must equal the scope id: entity_id or partner_id
	where string // an extra condition, such as "deleted_at IS NULL", or ""
	// lookups are the columns whose equality names few of the scope's rows and that an index
	// of (scope, column) finds: a list filtered by one sorts the rows it finds (see
	// dialect.sortOnly) rather than read the scope in the sort's order. The index may hold only
	// the rows with a value (WHERE column <> ''): a lookup says that it looks for such rows.
	lookups []string
	// globalLookups are lookups whose index does not begin with the scope, such as a delivery's
	// event_id: the scope only filters what the index finds, as a list of ids does (see
	// dialect.byIDs).
	globalLookups []string
	// sameSorts maps a sort to a column that holds the same value in every row and has the
	// scope's index, such as an event's created_at for its updated_at (events never change).
	sameSorts map[string]string
	columns   string // what scan reads, after the sort key
	// scan reads one row; extra are the destinations of the columns before s.columns.
	scan func(sc scanner, extra ...any) (T, error)
}

// list returns one page of t's rows in scope: the filters become the WHERE clause, and paging is
// keyset on (sort column, id), so that a page deep in a long list costs what the first one does
// and concurrent inserts never shift a page. It asks for one row more than the limit to learn
// whether another page follows. A query that t.spec does not allow is refused with a *QueryError:
// the API checks each query against the spec before it gets here, and the store checks again
// rather than build SQL from a query it cannot vouch for.
func list[T any](ctx context.Context, db *sql.DB, d dialect, t listTable[T], scopeID string, q booksync.ListQuery) (booksync.Page[T], error) {
	var page booksync.Page[T]
	lq, err := buildListQuery(d, t, scopeID, q)
	if err != nil {
		return page, err
	}
	sortKind, backward, cursor := lq.sortKind, lq.backward, lq.cursor
	rows, err := db.QueryContext(ctx, lq.sql, lq.args...)
	if err != nil {
		return page, fmt.Errorf("store: list %s: %w", t.table, err)
	}
	defer rows.Close()
	type keyed struct {
		item T
		key  any
		id   string
	}
	got := make([]keyed, 0, q.Limit+1)
	for rows.Next() {
		var ks, id string
		var ki int64
		var dest any = &ki
		if isTextKind(sortKind) {
			dest = &ks
		}
		item, err := t.scan(rows, dest, &id)
		if err != nil {
			return page, fmt.Errorf("store: list %s: %w", t.table, err)
		}
		var key any = ki
		if isTextKind(sortKind) {
			key = ks
		}
		got = append(got, keyed{item, key, id})
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("store: list %s: %w", t.table, err)
	}

	more := len(got) > q.Limit
	if more {
		got = got[:q.Limit]
	}
	if backward {
		slices.Reverse(got)
	}
	page.Items = make([]T, len(got))
	for i, g := range got {
		page.Items[i] = g.item
	}
	if len(got) == 0 {
		return page, nil
	}
	first, last := got[0], got[len(got)-1]
	switch {
	case backward:
		// The cursor's own row lies after this page.
		page.Next = &booksync.Cursor{Key: last.key, ID: last.id}
		if more {
			page.Prev = &booksync.Cursor{Key: first.key, ID: first.id}
		}
	default:
		if more {
			page.Next = &booksync.Cursor{Key: last.key, ID: last.id}
		}
		// After a cursor, the cursor's own row lies before this page.
		if cursor != nil {
			page.Prev = &booksync.Cursor{Key: first.key, ID: first.id}
		}
	}
	return page, nil
}

// listQuery is the SQL of one page of a list, with what reading its rows needs.
type listQuery struct {
	sql      string
	args     []any
	sortKind booksync.FieldKind
	backward bool             // the rows come in the opposite order and are reversed
	cursor   *booksync.Cursor // the page starts after (or, backward, before) this row
}

// buildListQuery checks q against t's spec and builds the SQL of its page (see list).
func buildListQuery[T any](d dialect, t listTable[T], scopeID string, q booksync.ListQuery) (listQuery, error) {
	spec, scope := t.spec, t.scope
	sortCol := q.Sort
	if sortCol == "" {
		sortCol = spec.DefaultSort
	}
	if !slices.Contains(spec.Sorts, sortCol) {
		return listQuery{}, &QueryError{Field: "sort", Reason: QueryBadSort, Allowed: spec.Sorts}
	}
	sortKind := spec.Fields[sortCol]
	if col, ok := t.sameSorts[sortCol]; ok {
		sortCol = col
	}
	desc := false
	switch q.Order {
	case "", booksync.OrderAsc:
	case booksync.OrderDesc:
		desc = true
	default:
		return listQuery{}, &QueryError{Field: "order", Reason: QueryBadOrder}
	}
	if q.Limit < 1 || q.Limit > maxLimit {
		return listQuery{}, &QueryError{Field: "limit", Reason: QueryBadLimit, Max: maxLimit}
	}
	if q.After != nil && q.Before != nil {
		return listQuery{}, &QueryError{Field: "pagination_token", Reason: QueryTwoCursors}
	}

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if slices.ContainsFunc(q.Filters, func(f booksync.Filter) bool { return f.Field == "id" && f.Op == booksync.OpIn }) {
		scope = d.byIDs + scope // the ids are looked up, not the scope's rows read (see dialect.byIDs)
	}
	sortKey, sortID := sortCol, "id"
	// An empty value is no lookup: it names every row without one (every draft's document_id).
	isLookup := func(f booksync.Filter, cols []string) bool {
		return (f.Op == booksync.OpEq || f.Op == booksync.OpIn) && slices.Contains(cols, f.Field) &&
			!slices.Contains(f.Values, any(""))
	}
	lookup := func(cols []string) bool {
		return slices.ContainsFunc(q.Filters, func(f booksync.Filter) bool { return isLookup(f, cols) })
	}
	if lookup(t.lookups) || lookup(t.globalLookups) {
		sortKey, sortID = d.sortOnly+sortCol, d.sortOnly+"id"
	}
	if lookup(t.globalLookups) && !strings.HasPrefix(scope, d.byIDs) {
		scope = d.byIDs + scope
	}
	conds := []string{scope + " = " + arg(scopeID)}
	if t.where != "" {
		conds = append(conds, t.where)
	}
	for _, f := range q.Filters {
		cond, err := filterSQL(d, spec, f, arg)
		if err != nil {
			return listQuery{}, err
		}
		conds = append(conds, cond)
		if isLookup(f, t.lookups) && isTextKind(spec.Fields[f.Field]) {
			// What the values name, an index of the rows with a value only finds too.
			conds = append(conds, f.Field+" <> ''")
		}
	}

	// Going back (Before), read in the opposite order and reverse the rows afterwards.
	backward := q.Before != nil
	cursor := q.After
	if backward {
		cursor = q.Before
	}
	scanDesc := desc != backward
	if cursor != nil {
		key, err := cursorKey(sortKind, cursor.Key)
		if err != nil {
			return listQuery{}, err
		}
		op := ">"
		if scanDesc {
			op = "<"
		}
		conds = append(conds, fmt.Sprintf("(%s, %s) %s (%s, %s)", sortKey, sortID, op, arg(key), arg(cursor.ID)))
	}
	dir := "ASC"
	if scanDesc {
		dir = "DESC"
	}
	// The sort key and id come first: they make the cursors.
	query := fmt.Sprintf("SELECT %s, id, %s FROM %s WHERE %s ORDER BY %s %s, %s %s %s",
		sortCol, t.columns, t.table, strings.Join(conds, " AND "), sortKey, dir, sortID, dir, d.limitSQL(q.Limit+1, arg))

	return listQuery{sql: query, args: args, sortKind: sortKind, backward: backward, cursor: cursor}, nil
}

func isTextKind(k booksync.FieldKind) bool {
	return k == booksync.KindString || k == booksync.KindUUID || k == booksync.KindEnum
}

// filterSQL turns one filter into a condition, after checking it against the list's spec.
func filterSQL(d dialect, spec booksync.ListSpec, f booksync.Filter, arg func(any) string) (string, error) {
	param := f.Field
	if f.Op != booksync.OpEq {
		param += "__" + string(f.Op)
	}
	kind, ok := spec.Fields[f.Field]
	if !ok || !slices.Contains(spec.Ops[f.Field], f.Op) {
		return "", &QueryError{Field: param, Reason: QueryNoFilter, Op: f.Op}
	}
	if len(f.Values) == 0 || (f.Op != booksync.OpIn && len(f.Values) != 1) {
		return "", &QueryError{Field: param, Reason: QueryValueCount, Op: f.Op}
	}
	vals := make([]any, len(f.Values))
	for i, v := range f.Values {
		c, ok := columnValue(kind, v)
		if !ok {
			return "", &QueryError{Field: param, Reason: QueryBadValue, Op: f.Op, Kind: kind, Value: v}
		}
		vals[i] = c
	}
	col := f.Field
	switch f.Op {
	case booksync.OpEq:
		return col + " = " + arg(vals[0]), nil
	case booksync.OpIn:
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = arg(v)
		}
		return col + " IN (" + strings.Join(ph, ", ") + ")", nil
	case booksync.OpGt:
		return col + " > " + arg(vals[0]), nil
	case booksync.OpLt:
		return col + " < " + arg(vals[0]), nil
	case booksync.OpGte:
		return col + " >= " + arg(vals[0]), nil
	case booksync.OpLte:
		return col + " <= " + arg(vals[0]), nil
	case booksync.OpContains, booksync.OpIContains:
		if !isTextKind(kind) {
			return "", &QueryError{Field: param, Reason: QueryNotText, Op: f.Op, Kind: kind}
		}
		if f.Op == booksync.OpContains {
			return d.contains(col, arg(vals[0])), nil
		}
		return d.icontains(col, arg(vals[0])), nil
	}
	return "", &QueryError{Field: param, Reason: QueryBadOperator, Op: f.Op}
}

// columnValue converts a filter value to what the column stores: text for text kinds, unix
// microseconds for times, 0 or 1 for booleans, int64 for integers. It reports false for a value
// that does not fit the kind.
func columnValue(kind booksync.FieldKind, v any) (any, bool) {
	switch kind {
	case booksync.KindString, booksync.KindUUID, booksync.KindEnum:
		s, ok := v.(string)
		return s, ok
	case booksync.KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, false
		}
		if b {
			return int64(1), true
		}
		return int64(0), true
	case booksync.KindTime:
		if t, ok := v.(time.Time); ok {
			return t.UnixMicro(), true
		}
		return intValue(v)
	case booksync.KindInt:
		return intValue(v)
	}
	return nil, false
}

// intValue accepts the integer shapes a decoded value may have: int, int64, an integral float64 or
// a json.Number (what encoding/json gives for a number decoded into any).
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
	}
	return 0, false
}

// cursorKey checks a cursor's key against the sort field's kind and returns it as stored.
func cursorKey(kind booksync.FieldKind, key any) (any, error) {
	var v any
	ok := false
	if isTextKind(kind) {
		v, ok = key.(string)
	} else {
		v, ok = intValue(key)
	}
	if !ok {
		return nil, &QueryError{Field: "pagination_token", Reason: QueryBadCursor, Kind: kind, Value: key}
	}
	return v, nil
}
