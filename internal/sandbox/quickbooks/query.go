package quickbooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

const (
	defaultMaxResults = 100
	maxMaxResults     = 1000
)

// cond is one condition of a where clause: field op value(s).
type cond struct {
	field  string
	op     string // = != < > <= >= in like
	values []string
}

// query is a parsed QuickBooks query statement.
type query struct {
	entity  string
	count   bool
	where   []cond
	orderBy []string // field names; "-" prefix for DESC
	start   int
	max     int
}

// tokenize splits a statement into words, quoted strings (kept with their
// quotes) and punctuation.
func tokenize(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		ch := rune(s[i])
		switch {
		case unicode.IsSpace(ch):
			i++
		case ch == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					b.WriteByte(s[j])
					continue
				}
				if s[j] == '\'' {
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string starting at %d", i)
			}
			out = append(out, b.String())
			i = j + 1
		case strings.ContainsRune("(),*", ch):
			out = append(out, string(ch))
			i++
		case strings.ContainsRune("=<>!", ch):
			j := i + 1
			for j < len(s) && strings.ContainsRune("=<>", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("(),*=<>!'", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}

func parseError(format string, args ...any) *qbFault {
	return validationFault("4000", "Error parsing query", "QueryParserError: "+fmt.Sprintf(format, args...), "")
}

// parseQuery reads select * | count(*) from X [where c and c ...]
// [orderby f [asc|desc], ...] [startposition n] [maxresults n].
func parseQuery(stmt string) (*query, *qbFault) {
	toks, err := tokenize(stmt)
	if err != nil {
		return nil, parseError("%v", err)
	}
	pos := 0
	peek := func() string {
		if pos < len(toks) {
			return toks[pos]
		}
		return ""
	}
	next := func() string { t := peek(); pos++; return t }
	is := func(t, kw string) bool { return strings.EqualFold(t, kw) }
	q := &query{start: 1, max: defaultMaxResults}
	if !is(next(), "select") {
		return nil, parseError("Encountered %q; the statement must start with select", stmt)
	}
	switch t := next(); {
	case t == "*":
	case is(t, "count"):
		if next() != "(" || next() != "*" || next() != ")" {
			return nil, parseError("expected count(*)")
		}
		q.count = true
	default:
		// A field list: accept it and return whole objects, as the sandbox
		// does not project fields.
		for peek() != "" && !is(peek(), "from") {
			next()
		}
	}
	if !is(next(), "from") {
		return nil, parseError("expected from")
	}
	q.entity = entityNames[strings.ToLower(next())]
	if q.entity == "" {
		return nil, validationFault("4001", "Invalid query", "QueryValidationError: the sandbox cannot query "+toks[pos-1], "")
	}
	if is(peek(), "where") {
		next()
		for {
			c := cond{field: next(), op: strings.ToLower(next())}
			if c.field == "" {
				return nil, parseError("expected a field after where/and")
			}
			switch c.op {
			case "=", "!=", "<", ">", "<=", ">=", "like":
				v := next()
				if v == "" {
					return nil, parseError("expected a value after %s %s", c.field, c.op)
				}
				c.values = []string{unquote(v)}
			case "in":
				if next() != "(" {
					return nil, parseError("expected ( after in")
				}
				for {
					v := next()
					if v == "" {
						return nil, parseError("unterminated in (...) list")
					}
					c.values = append(c.values, unquote(v))
					if sep := next(); sep == ")" {
						break
					} else if sep != "," {
						return nil, parseError("expected , or ) in in (...) list, got %q", sep)
					}
				}
			default:
				return nil, parseError("unsupported operator %q after %s", c.op, c.field)
			}
			q.where = append(q.where, c)
			if !is(peek(), "and") {
				break
			}
			next()
		}
	}
	if is(peek(), "orderby") || is(peek(), "order") {
		if is(next(), "order") && !is(next(), "by") {
			return nil, parseError("expected order by")
		}
		for {
			f := next()
			if f == "" {
				return nil, parseError("expected a field after orderby")
			}
			if is(peek(), "desc") {
				next()
				f = "-" + f
			} else if is(peek(), "asc") {
				next()
			}
			q.orderBy = append(q.orderBy, f)
			if peek() != "," {
				break
			}
			next()
		}
	}
	for peek() != "" {
		kw := next()
		n, err := strconv.Atoi(next())
		switch {
		case err != nil:
			return nil, parseError("expected a number after %s", kw)
		case is(kw, "startposition"):
			if n < 1 {
				return nil, parseError("STARTPOSITION must be 1 or more")
			}
			q.start = n
		case is(kw, "maxresults"):
			if n < 1 {
				return nil, parseError("MAXRESULTS must be 1 or more")
			}
			q.max = min(n, maxMaxResults)
		default:
			return nil, parseError("Encountered %q", kw)
		}
	}
	return q, nil
}

func unquote(v string) string {
	if strings.HasPrefix(v, "'") {
		return v[1:]
	}
	return v
}

// rows returns the entity's objects in Id order; callers hold the lock.
func (s *Sandbox) rows(c *company, entity string) []any {
	var out []any
	add := func(v any) { out = append(out, v) }
	switch entity {
	case "Customer":
		for _, v := range byID(c.customers, func(v *Customer) string { return v.ID }) {
			add(v)
		}
	case "Item":
		for _, v := range byID(c.items, func(v *Item) string { return v.ID }) {
			add(v)
		}
	case "Invoice":
		for _, v := range s.allInvoices(c) {
			add(v)
		}
	case "Payment":
		for _, v := range byID(c.payments, func(v *Payment) string { return v.ID }) {
			add(v)
		}
	case "CreditMemo":
		for _, v := range byID(c.creditMemos, func(v *CreditMemo) string { return v.ID }) {
			add(v)
		}
	case "Vendor":
		for _, v := range byID(c.vendors, func(v *Vendor) string { return v.ID }) {
			add(v)
		}
	case "Bill":
		for _, v := range byID(c.bills, func(v *Bill) string { return v.ID }) {
			add(v)
		}
	case "Account":
		for _, v := range c.meta.Accounts {
			add(v)
		}
	case "TaxCode":
		for _, v := range c.meta.TaxCodes {
			add(v)
		}
	case "TaxRate":
		for _, v := range c.meta.TaxRates {
			add(v)
		}
	case "CompanyInfo":
		add(&c.meta.Info)
	case "Preferences":
		add(&c.meta.Prefs)
	}
	return out
}

// queryInvoices returns the company's invoices in Id order that may match the query: its
// conditions on Id and DocNumber (= and in) are checked against the entries, so that only those
// invoices are read from the Store; the query checks every condition on what is read.
func (s *Sandbox) queryInvoices(c *company, q *query) []any {
	keep := func(e *invoiceEntry) bool {
		for _, cd := range q.where {
			var v string
			switch {
			case strings.EqualFold(cd.field, "Id"):
				v = e.id
			case strings.EqualFold(cd.field, "DocNumber"):
				v = e.docNumber
			default:
				continue
			}
			switch cd.op {
			case "=":
				if compare(v, cd.values[0]) != 0 {
					return false
				}
			case "in":
				if !slices.ContainsFunc(cd.values, func(x string) bool { return compare(v, x) == 0 }) {
					return false
				}
			}
		}
		return true
	}
	var out []any
	for _, inv := range s.invoicesOf(c, invoiceEntries(c, keep)) {
		out = append(out, inv)
	}
	return out
}

// hasActive lists the name-list entities whose queries return only active
// objects unless the where clause mentions Active, as in QuickBooks.
var hasActive = map[string]bool{"Customer": true, "Item": true, "Account": true, "TaxCode": true, "TaxRate": true, "Vendor": true}

// field reads a dotted, case-insensitive path from an object's JSON form; a
// reference (CustomerRef) reads as its value.
func field(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		found := false
		for k, v := range m {
			if strings.EqualFold(k, p) {
				cur, found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	if m, ok := cur.(map[string]any); ok {
		cur = m["value"]
	}
	return cur, true
}

func parseQBTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05", dateLayout} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// compare orders an object's value against a literal: times as times,
// numbers as numbers, anything else as case-insensitive text.
func compare(v any, lit string) int {
	s := fmt.Sprint(v)
	if v == nil {
		s = ""
	}
	if a, ok := parseQBTime(s); ok {
		if b, ok := parseQBTime(lit); ok {
			return a.Compare(b)
		}
	}
	if a, err := decimal.NewFromString(s); err == nil {
		if b, err := decimal.NewFromString(lit); err == nil {
			return a.Cmp(b)
		}
	}
	return strings.Compare(strings.ToLower(s), strings.ToLower(lit))
}

func like(v any, pattern string) bool {
	s, p := strings.ToLower(fmt.Sprint(v)), strings.ToLower(pattern)
	switch {
	case strings.HasPrefix(p, "%") && strings.HasSuffix(p, "%") && len(p) > 1:
		return strings.Contains(s, p[1:len(p)-1])
	case strings.HasPrefix(p, "%"):
		return strings.HasSuffix(s, p[1:])
	case strings.HasSuffix(p, "%"):
		return strings.HasPrefix(s, p[:len(p)-1])
	}
	return s == p
}

func (q *query) match(obj map[string]any) (bool, *qbFault) {
	for _, c := range q.where {
		v, ok := field(obj, c.field)
		if !ok && !nullable(c.field) {
			return false, validationFault("4001", "Invalid query", "QueryValidationError: property '"+c.field+"' is not queryable", "")
		}
		var hit bool
		switch c.op {
		case "=":
			hit = compare(v, c.values[0]) == 0
		case "!=":
			hit = compare(v, c.values[0]) != 0
		case "<":
			hit = compare(v, c.values[0]) < 0
		case ">":
			hit = compare(v, c.values[0]) > 0
		case "<=":
			hit = compare(v, c.values[0]) <= 0
		case ">=":
			hit = compare(v, c.values[0]) >= 0
		case "like":
			hit = like(v, c.values[0])
		case "in":
			hit = slices.ContainsFunc(c.values, func(x string) bool { return compare(v, x) == 0 })
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

// nullable lists fields an object may omit (omitempty) that are still queryable.
func nullable(f string) bool {
	switch strings.ToLower(f) {
	case "docnumber", "displayname", "name", "companyname", "givenname", "familyname", "sku", "acctnum",
		"primaryemailaddr", "active", "id", "txndate", "duedate", "customerref", "type",
		"metadata.lastupdatedtime", "metadata.createtime", "paymentrefnum", "balance", "totalamt":
		return true
	}
	return false
}

// runQuery executes a statement and returns the QueryResponse element.
func (s *Sandbox) runQuery(c *company, stmt string) (map[string]any, *qbFault) {
	if strings.TrimSpace(stmt) == "" {
		return nil, requiredMissing("query")
	}
	q, f := parseQuery(stmt)
	if f != nil {
		return nil, f
	}
	mentionsActive := slices.ContainsFunc(q.where, func(c cond) bool { return strings.EqualFold(c.field, "Active") })
	type row struct {
		v   any
		obj map[string]any
	}
	var hits []row
	rows := s.rows(c, q.entity)
	if q.entity == "Invoice" {
		rows = s.queryInvoices(c, q)
	}
	for _, v := range rows {
		b, _ := json.Marshal(v)
		var obj map[string]any
		_ = json.Unmarshal(b, &obj)
		if hasActive[q.entity] && !mentionsActive && obj["Active"] == false {
			continue
		}
		ok, f := q.match(obj)
		if f != nil {
			return nil, f
		}
		if ok {
			hits = append(hits, row{v, obj})
		}
	}
	if q.count {
		return map[string]any{"totalCount": len(hits)}, nil
	}
	if len(q.orderBy) > 0 {
		slices.SortStableFunc(hits, func(a, b row) int {
			for _, f := range q.orderBy {
				desc := strings.HasPrefix(f, "-")
				f = strings.TrimPrefix(f, "-")
				va, _ := field(a.obj, f)
				vb, _ := field(b.obj, f)
				r := compare(va, fmt.Sprint(vb))
				if desc {
					r = -r
				}
				if r != 0 {
					return r
				}
			}
			return 0
		})
	}
	from := min(q.start-1, len(hits))
	to := min(from+q.max, len(hits))
	page := hits[from:to]
	if len(page) == 0 {
		return map[string]any{}, nil
	}
	list := make([]any, len(page))
	for i, r := range page {
		list[i] = r.v
	}
	return map[string]any{q.entity: list, "startPosition": q.start, "maxResults": len(list)}, nil
}

// runBatch executes a BatchItemRequest: each item independently, in order.
// Item failures come back as a Fault inside the item, and the call is 200.
func (s *Sandbox) runBatch(c *company, body []byte) (map[string]any, *qbFault) {
	var req struct {
		BatchItemRequest []map[string]json.RawMessage `json:"BatchItemRequest"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, invalidProperty(err.Error())
	}
	switch n := len(req.BatchItemRequest); {
	case n == 0:
		return nil, requiredMissing("BatchItemRequest")
	case n > maxBatchItems:
		return nil, validationFault("6000", "A business validation error has occurred while processing your request",
			fmt.Sprintf("Business Validation Error: a batch may hold at most %d BatchItemRequest items, not %d.", maxBatchItems, n), "BatchItemRequest")
	}
	out := make([]map[string]any, 0, len(req.BatchItemRequest))
	seen := map[string]bool{}
	for _, item := range req.BatchItemRequest {
		var bID, op, stmt string
		_ = json.Unmarshal(item["bId"], &bID)
		_ = json.Unmarshal(item["operation"], &op)
		_ = json.Unmarshal(item["Query"], &stmt)
		res := map[string]any{"bId": bID}
		out = append(out, res)
		if bID == "" || seen[bID] {
			res["Fault"] = validationFault("6000", "A business validation error has occurred while processing your request",
				"Business Validation Error: every BatchItemRequest needs a unique bId.", "bId")
			continue
		}
		seen[bID] = true
		if _, ok := item["Query"]; ok {
			qr, f := s.runQuery(c, stmt)
			if f != nil {
				res["Fault"] = f
			} else {
				res["QueryResponse"] = qr
			}
			continue
		}
		var name string
		for k := range item {
			if writable[k] {
				name = k
			}
		}
		if name == "" {
			res["Fault"] = unsupported("batch item without Query or an entity the sandbox writes")
			continue
		}
		v, f := s.writeEntity(c, name, op, item[name])
		if f != nil {
			res["Fault"] = f
		} else {
			res[name] = v
		}
	}
	return map[string]any{"BatchItemResponse": out, "time": s.timeString()}, nil
}
