package booksync

import "slices"

// Order is the direction of a list: asc (the default) or desc.
type Order string

// Orders of a list.
const (
	OrderAsc  Order = "asc"
	OrderDesc Order = "desc"
)

// FilterOp is how a filter compares a field, named by the suffix of its query parameter (`__gt`,
// `__in`, ...; none means equality).
type FilterOp string

// Filter operators.
const (
	OpEq        FilterOp = ""
	OpIn        FilterOp = "in"
	OpGt        FilterOp = "gt"
	OpLt        FilterOp = "lt"
	OpGte       FilterOp = "gte"
	OpLte       FilterOp = "lte"
	OpContains  FilterOp = "contains"
	OpIContains FilterOp = "icontains"
)

// Filter narrows a list to objects whose Field compares with Values by Op. Values hold string,
// int64, bool or time.Time values according to the field's kind; OpIn has one or more, every other
// operator exactly one.
type Filter struct {
	Field  string
	Op     FilterOp
	Values []any
}

// Cursor is a position in a sorted list: the sort key and id of a row. Keyset paging starts after
// (or, going back, before) it, so deep pages cost what the first does.
type Cursor struct {
	Key any    // string or int64, by the sort field's kind
	ID  string // the row id, which breaks ties
}

// ListQuery asks for one page of a list.
type ListQuery struct {
	Filters []Filter
	Sort    string // a sortable field; "" means the list's default
	Order   Order
	Limit   int
	After   *Cursor // rows after this cursor in list order
	Before  *Cursor // rows before this cursor in list order (a previous page)
}

// Page is one page of a list, with cursors to the rows just past each end when more rows exist.
type Page[T any] struct {
	Items []T
	Next  *Cursor // the last item's cursor, when a later page exists
	Prev  *Cursor // the first item's cursor, when an earlier page exists
}

// FieldKind is the type of a filterable or sortable field, which decides how its query parameter
// is parsed and how its cursor key is encoded.
type FieldKind int

// Field kinds.
const (
	KindString FieldKind = iota + 1 // free text; supports contains and icontains
	KindUUID                        // an object id
	KindEnum                        // one of a fixed set of words
	KindInt                         // an integer, such as an amount in minor units
	KindBool                        // true or false
	KindTime                        // an RFC 3339 date-time, stored as unix microseconds
)

// ListSpec says which fields of a list can be filtered and sorted. Field names are the names of the
// query parameters (without the operator suffix) and of the store's columns.
type ListSpec struct {
	Fields      map[string]FieldKind
	Ops         map[string][]FilterOp // operators each field accepts
	Sorts       []string              // fields a list may be sorted by
	DefaultSort string
}

var (
	eqIn     = []FilterOp{OpEq, OpIn}
	ranges   = []FilterOp{OpGt, OpLt, OpGte, OpLte}
	rangesEq = []FilterOp{OpEq, OpGt, OpLt, OpGte, OpLte}
	text     = []FilterOp{OpEq, OpContains, OpIContains}
)

// EntityList is what GET /entities filters and sorts by.
var EntityList = ListSpec{
	Fields: map[string]FieldKind{"id": KindUUID, "type": KindEnum, "status": KindEnum, "email": KindString,
		"created_at": KindTime, "updated_at": KindTime},
	Ops: map[string][]FilterOp{"id": {OpIn}, "type": {OpEq}, "status": {OpEq}, "email": eqIn,
		"created_at": ranges},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "created_at",
}

// CounterpartList is what GET /counterparts filters and sorts by.
var CounterpartList = ListSpec{
	Fields: map[string]FieldKind{"id": KindUUID, "type": KindEnum, "counterpart_name": KindString,
		"is_customer": KindBool, "is_vendor": KindBool, "email": KindString, "created_at": KindTime},
	Ops: map[string][]FilterOp{"id": {OpIn}, "type": {OpEq}, "counterpart_name": text,
		"is_customer": {OpEq}, "is_vendor": {OpEq}, "email": text, "created_at": ranges},
	Sorts:       []string{"counterpart_name", "created_at"},
	DefaultSort: "created_at",
}

// ProductList is what GET /products filters and sorts by.
var ProductList = ListSpec{
	Fields: map[string]FieldKind{"id": KindUUID, "name": KindString, "type": KindEnum, "currency": KindEnum,
		"price": KindInt, "created_at": KindTime},
	Ops: map[string][]FilterOp{"id": {OpIn}, "name": text, "type": {OpEq}, "currency": eqIn,
		"price": rangesEq, "created_at": ranges},
	Sorts:       []string{"name", "created_at"},
	DefaultSort: "created_at",
}

// ReceivableList is what GET /receivables filters and sorts by.
var ReceivableList = ListSpec{
	Fields: map[string]FieldKind{"id": KindUUID, "type": KindEnum, "status": KindEnum, "counterpart_id": KindUUID,
		"counterpart_name": KindString, "document_id": KindString, "currency": KindEnum, "total_amount": KindInt,
		"discounted_subtotal": KindInt, "issue_date": KindTime, "created_at": KindTime, "based_on": KindUUID},
	Ops: map[string][]FilterOp{"id": {OpIn}, "type": {OpEq}, "status": eqIn, "counterpart_id": {OpEq}, "based_on": {OpEq},
		"counterpart_name": text, "document_id": text, "total_amount": rangesEq,
		"discounted_subtotal": rangesEq, "issue_date": ranges, "created_at": ranges},
	Sorts: []string{"created_at", "document_id", "status", "counterpart_id", "counterpart_name", "total_amount",
		"discounted_subtotal", "issue_date"},
	DefaultSort: "created_at",
}

// PaymentRecordList is what GET /payment_records filters and sorts by.
var PaymentRecordList = ListSpec{
	Fields: map[string]FieldKind{"object_id": KindUUID, "status": KindEnum, "is_external": KindBool,
		"amount": KindInt, "paid_at": KindTime, "created_at": KindTime, "updated_at": KindTime},
	Ops: map[string][]FilterOp{"object_id": eqIn, "status": {OpEq}, "is_external": {OpEq},
		"created_at": {OpGt, OpLt}, "updated_at": {OpGt, OpLt}, "paid_at": {OpGt, OpLt}},
	Sorts:       []string{"created_at", "paid_at", "amount"},
	DefaultSort: "created_at",
}

// QueryParams returns the query parameters a list accepts: paging and sorting, then one per
// field and operator (`status`, `status__in`, `created_at__gt`, ...), sorted.
func (s ListSpec) QueryParams() []string {
	out := []string{"limit", "order", "pagination_token", "sort"}
	for f, ops := range s.Ops {
		for _, op := range ops {
			if op == OpEq {
				out = append(out, f)
			} else {
				out = append(out, f+"__"+string(op))
			}
		}
	}
	slices.Sort(out)
	return out
}

// ListSpecs maps the operation id of each list to its spec.
var ListSpecs = map[string]ListSpec{
	"get_entities":        EntityList,
	"get_counterparts":    CounterpartList,
	"get_products":        ProductList,
	"get_receivables":     ReceivableList,
	"get_payment_records": PaymentRecordList,

	"get_accounting_synced_records": SyncedRecordList,
	"get_accounting_tax_rates":      AccountingTaxRateList,
	"get_ledger_accounts":           LedgerAccountList,

	"get_events":                EventList,
	"get_webhook_subscriptions": WebhookSubscriptionList,
	"get_webhook_deliveries":    WebhookDeliveryList,
}
