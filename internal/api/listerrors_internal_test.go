package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/apispec"
	"github.com/booksync/booksync/internal/store"
)

// listDetail is one item of a 422's detail, as a client reads it.
type listDetail struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// answer writes err as the API answers it and returns the status and the 422's only detail.
func answer(t *testing.T, err error) (int, listDetail) {
	t.Helper()
	w := httptest.NewRecorder()
	(&Server{}).writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), err)
	var body struct{ Detail []listDetail }
	if e := json.Unmarshal(w.Body.Bytes(), &body); e != nil {
		t.Fatalf("%v: %v", err, e)
	}
	if len(body.Detail) != 1 {
		return w.Code, listDetail{}
	}
	return w.Code, body.Detail[0]
}

// TestListQueryTexts: a list's query parameters are checked before the store sees them, and each
// mistake is answered with a 422 naming the parameter in the words clients have always read.
func TestListQueryTexts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		query string
		want  listDetail
	}{
		{"limit=x", listDetail{[]any{"query", "limit"}, `Input should be a valid integer, got "x".`, "int_parsing"}},
		{"limit=0", listDetail{[]any{"query", "limit"}, "limit must be between 1 and 250, got 0.", "less_than_equal"}},
		{"limit=251", listDetail{[]any{"query", "limit"}, "limit must be between 1 and 250, got 251.", "less_than_equal"}},
		{"order=up", listDetail{[]any{"query", "order"}, `Input should be 'asc' or 'desc', got "up".`, "enum"}},
		{"sort=colour", listDetail{[]any{"query", "sort"}, `Input should be one of 'created_at', 'document_id', 'status', 'counterpart_id', 'counterpart_name', 'total_amount', 'discounted_subtotal', 'issue_date', got "colour".`, "enum"}},
		{"colour=red", listDetail{[]any{"query", "colour"}, `Unknown query parameter "colour"; this list accepts 'based_on', 'counterpart_id', 'counterpart_name', 'counterpart_name__contains', 'counterpart_name__icontains', 'created_at__gt', 'created_at__gte', 'created_at__lt', 'created_at__lte', 'discounted_subtotal', 'discounted_subtotal__gt', 'discounted_subtotal__gte', 'discounted_subtotal__lt', 'discounted_subtotal__lte', 'document_id', 'document_id__contains', 'document_id__icontains', 'id__in', 'issue_date__gt', 'issue_date__gte', 'issue_date__lt', 'issue_date__lte', 'limit', 'order', 'pagination_token', 'sort', 'status', 'status__in', 'total_amount', 'total_amount__gt', 'total_amount__gte', 'total_amount__lt', 'total_amount__lte', 'type'.`, "extra_forbidden"}},
		{"status__gt=draft", listDetail{[]any{"query", "status__gt"}, `Unknown query parameter "status__gt"; this list accepts 'based_on', 'counterpart_id', 'counterpart_name', 'counterpart_name__contains', 'counterpart_name__icontains', 'created_at__gt', 'created_at__gte', 'created_at__lt', 'created_at__lte', 'discounted_subtotal', 'discounted_subtotal__gt', 'discounted_subtotal__gte', 'discounted_subtotal__lt', 'discounted_subtotal__lte', 'document_id', 'document_id__contains', 'document_id__icontains', 'id__in', 'issue_date__gt', 'issue_date__gte', 'issue_date__lt', 'issue_date__lte', 'limit', 'order', 'pagination_token', 'sort', 'status', 'status__in', 'total_amount', 'total_amount__gt', 'total_amount__gte', 'total_amount__lt', 'total_amount__lte', 'type'.`, "extra_forbidden"}},
		{"created_at__gt=yesterday", listDetail{[]any{"query", "created_at__gt"}, `Input should be an RFC 3339 date-time such as 2024-05-25T12:00:00Z, got "yesterday".`, "value_error"}},
		{"counterpart_id=12", listDetail{[]any{"query", "counterpart_id"}, `Input should be a valid UUID, got "12".`, "value_error"}},
		{"total_amount=ten", listDetail{[]any{"query", "total_amount"}, `Input should be a valid integer, got "ten".`, "value_error"}},
		{"status=nope", listDetail{[]any{"query", "status"}, `Input should be 'draft', 'issuing', 'issued', 'failed', 'accepted', 'expired', 'declined', 'recurring', 'partially_paid', 'paid', 'overdue', 'uncollectible' or 'canceled', got "nope".`, "enum"}},
		{"status__in=draft,nope", listDetail{[]any{"query", "status__in"}, `Input should be 'draft', 'issuing', 'issued', 'failed', 'accepted', 'expired', 'declined', 'recurring', 'partially_paid', 'paid', 'overdue', 'uncollectible' or 'canceled', got "nope".`, "enum"}},
		{"type=bill", listDetail{[]any{"query", "type"}, `Input should be 'quote', 'invoice' or 'credit_note', got "bill".`, "enum"}},
		{"pagination_token=garbage", listDetail{[]any{"query", "pagination_token"}, "pagination_token is not valid: use a next_pagination_token or prev_pagination_token exactly as a list returned it.", "value_error"}},
		// A well-formed token whose key does not fit the sort of the query it carries.
		{"pagination_token=" + encodePageToken(pageToken{Query: "sort=total_amount", Key: "ten", ID: "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"}),
			listDetail{[]any{"query", "pagination_token"}, "pagination_token is not valid.", "value_error"}},
		{"pagination_token=" + encodePageToken(pageToken{Query: "sort=colour", Key: "x", ID: "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"}),
			listDetail{[]any{"query", "pagination_token"}, "pagination_token is not valid.", "value_error"}},
	}
	v, err := apispec.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{validator: v}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/receivables?"+c.query, nil)
		_, err := s.parseList(r.WithContext(context.WithValue(r.Context(), ctxOperation, "get_receivables")), booksync.ReceivableList, 250)
		if err == nil {
			t.Errorf("%s: no error", c.query)
			continue
		}
		status, got := answer(t, err)
		if status != http.StatusUnprocessableEntity || !sameDetail(got, c.want) {
			t.Errorf("%s: %d %+v\nwant 422 %+v", c.query, status, got, c.want)
		}
	}
}

// TestStoreListQueryTexts: the store checks each query again, and a query that gets past the API
// but not the store is answered with a 422 in the words it has always had.
func TestStoreListQueryTexts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "booksync.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const entityID = "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"
	filter := func(field string, op booksync.FilterOp, vals ...any) []booksync.Filter {
		return []booksync.Filter{{Field: field, Op: op, Values: vals}}
	}
	cursor := func(key any) *booksync.Cursor { return &booksync.Cursor{Key: key, ID: entityID} }
	cases := []struct {
		name string
		q    booksync.ListQuery
		want listDetail
	}{
		{"sort", booksync.ListQuery{Limit: 10, Sort: "memo"},
			listDetail{[]any{"query", "sort"}, "Input should be one of: created_at, document_id, status, counterpart_id, counterpart_name, total_amount, discounted_subtotal, issue_date.", "enum"}},
		{"order", booksync.ListQuery{Limit: 10, Order: "sideways"},
			listDetail{[]any{"query", "order"}, "Input should be 'asc' or 'desc'.", "enum"}},
		{"limit 0", booksync.ListQuery{Limit: 0},
			listDetail{[]any{"query", "limit"}, "Input should be between 1 and 250.", "value_error"}},
		{"limit 251", booksync.ListQuery{Limit: 251},
			listDetail{[]any{"query", "limit"}, "Input should be between 1 and 250.", "value_error"}},
		{"both cursors", booksync.ListQuery{Limit: 10, After: cursor(int64(1)), Before: cursor(int64(1))},
			listDetail{[]any{"query", "pagination_token"}, "A page cannot start both after and before a cursor.", "value_error"}},
		{"text cursor on a time", booksync.ListQuery{Limit: 10, After: cursor("not a time")},
			listDetail{[]any{"query", "pagination_token"}, "The pagination token does not fit this list's sort order.", "value_error"}},
		{"number cursor on text", booksync.ListQuery{Limit: 10, Sort: "document_id", Before: cursor(int64(5))},
			listDetail{[]any{"query", "pagination_token"}, "The pagination token does not fit this list's sort order.", "value_error"}},
		{"not a field", booksync.ListQuery{Limit: 10, Filters: filter("memo", booksync.OpEq, "x")},
			listDetail{[]any{"query", "memo"}, "Filtering by memo is not supported.", "value_error"}},
		{"operator not allowed", booksync.ListQuery{Limit: 10, Filters: filter("status", booksync.OpGt, "x")},
			listDetail{[]any{"query", "status__gt"}, "Filtering by status__gt is not supported.", "value_error"}},
		{"several values", booksync.ListQuery{Limit: 10, Filters: filter("status", booksync.OpEq, "a", "b")},
			listDetail{[]any{"query", "status"}, "Expected exactly one value.", "value_error"}},
		{"in without values", booksync.ListQuery{Limit: 10, Filters: filter("status", booksync.OpIn)},
			listDetail{[]any{"query", "status__in"}, "Expected exactly one value.", "value_error"}},
		{"text for an integer", booksync.ListQuery{Limit: 10, Filters: filter("total_amount", booksync.OpGte, "100")},
			listDetail{[]any{"query", "total_amount__gte"}, "Expected an integer, got 100.", "value_error"}},
		{"fraction for a time", booksync.ListQuery{Limit: 10, Filters: filter("created_at", booksync.OpGt, 1.5)},
			listDetail{[]any{"query", "created_at__gt"}, "Expected an integer, got 1.5.", "value_error"}},
		{"integer for text", booksync.ListQuery{Limit: 10, Filters: filter("counterpart_name", booksync.OpIContains, int64(100))},
			listDetail{[]any{"query", "counterpart_name__icontains"}, "Expected a string, got int64.", "value_error"}},
	}
	for _, c := range cases {
		_, err := st.Receivables(ctx, entityID, c.q)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		status, got := answer(t, err)
		if status != http.StatusUnprocessableEntity || !sameDetail(got, c.want) {
			t.Errorf("%s: %d %+v\nwant 422 %+v", c.name, status, got, c.want)
		}
	}
	// A boolean field given something else.
	_, err = st.Counterparts(ctx, entityID, booksync.ListQuery{Limit: 10, Filters: filter("is_customer", booksync.OpEq, "yes")})
	want := listDetail{[]any{"query", "is_customer"}, "Expected a boolean, got string.", "value_error"}
	if status, got := answer(t, err); status != http.StatusUnprocessableEntity || !sameDetail(got, want) {
		t.Errorf("boolean: %d %+v\nwant 422 %+v", status, got, want)
	}
}

// TestStoreQueryErrorsNoSpecAllows: the refusals no list's spec can lead to today (a text
// operator on a number, an unknown operator or field kind) still get a 422 that says what is wrong.
func TestStoreQueryErrorsNoSpecAllows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want listDetail
	}{
		{&store.QueryError{Field: "price__contains", Reason: store.QueryNotText, Op: booksync.OpContains, Kind: booksync.KindInt},
			listDetail{[]any{"query", "price__contains"}, "Only text fields support contains.", "value_error"}},
		{&store.QueryError{Field: "price__near", Reason: store.QueryBadOperator, Op: "near"},
			listDetail{[]any{"query", "price__near"}, `Unknown filter operator "near".`, "value_error"}},
		{fmt.Errorf("list: %w", &store.QueryError{Field: "price", Reason: store.QueryBadValue, Kind: 0, Value: "x"}),
			listDetail{[]any{"query", "price"}, "Unknown field kind 0.", "value_error"}},
	}
	for _, c := range cases {
		if status, got := answer(t, c.err); status != http.StatusUnprocessableEntity || !sameDetail(got, c.want) {
			t.Errorf("%v: %d %+v\nwant 422 %+v", c.err, status, got, c.want)
		}
	}
}

// TestListSpecsFitTheStore: what parseList lets through each list's spec is what the store takes:
// the default sort is a sort, every sort and filter is a field, and only text fields take the text
// operators.
func TestListSpecsFitTheStore(t *testing.T) {
	t.Parallel()
	text := map[booksync.FieldKind]bool{booksync.KindString: true, booksync.KindUUID: true, booksync.KindEnum: true}
	known := []booksync.FilterOp{booksync.OpEq, booksync.OpIn, booksync.OpGt, booksync.OpLt, booksync.OpGte,
		booksync.OpLte, booksync.OpContains, booksync.OpIContains}
	for name, spec := range booksync.ListSpecs {
		if !slices.Contains(spec.Sorts, spec.DefaultSort) {
			t.Errorf("%s: default sort %q is not a sort", name, spec.DefaultSort)
		}
		for _, s := range spec.Sorts {
			if spec.Fields[s] == 0 {
				t.Errorf("%s: sort %q is not a field", name, s)
			}
		}
		for field, ops := range spec.Ops {
			kind := spec.Fields[field]
			if kind == 0 {
				t.Errorf("%s: filter %q is not a field", name, field)
			}
			for _, op := range ops {
				if !slices.Contains(known, op) {
					t.Errorf("%s: %s has unknown operator %q", name, field, op)
				}
				if (op == booksync.OpContains || op == booksync.OpIContains) && !text[kind] {
					t.Errorf("%s: %s takes %s but is not text", name, field, op)
				}
			}
		}
	}
}

func sameDetail(a, b listDetail) bool {
	if a.Msg != b.Msg || a.Type != b.Type || len(a.Loc) != len(b.Loc) {
		return false
	}
	for i := range a.Loc {
		if a.Loc[i] != b.Loc[i] {
			return false
		}
	}
	return true
}

// TestEnumFiltersHaveServedEnums: every filter of a list that takes one of a fixed set of words has
// its set in the served document, which parseList checks each value against; a filter without one
// would answer a mistyped value with an empty list instead of a 422.
func TestEnumFiltersHaveServedEnums(t *testing.T) {
	t.Parallel()
	v, err := apispec.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for op, spec := range booksync.ListSpecs {
		for field, ops := range spec.Ops {
			if spec.Fields[field] != booksync.KindEnum {
				continue
			}
			for _, fop := range ops {
				param := field
				if fop != booksync.OpEq {
					param += "__" + string(fop)
				}
				if v.ValidateQueryEnum(op, param, "no such word") == nil {
					t.Errorf("%s: the served document gives %s no enum", op, param)
				}
			}
		}
	}
}
