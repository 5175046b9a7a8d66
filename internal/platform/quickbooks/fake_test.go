package quickbooks

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

const realm = "9130357766900436"

// call is a request the fake received; path is relative to /v3/company/{realm}.
type call struct {
	method, path string
	query        url.Values
	body         []byte
}

// sql returns the query statement of a GET /query.
func (c call) sql() string { return c.query.Get("query") }

// reply is what a fake handler answers.
type reply struct {
	status int
	body   any  // marshalled to JSON ([]byte and json.RawMessage as they are); nil for none
	hijack bool // close the connection without answering
}

// fake is an httptest server speaking QuickBooks' v3 API for one realm. It checks what every
// request must carry (minorversion, Accept, a requestid on writes within its length limit) and
// every write body against the XSDs.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	handle func(c call) reply

	mu    sync.Mutex
	calls []call
}

func newFake(t *testing.T, handle func(c call) reply) *fake {
	t.Helper()
	f := &fake{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) client(cfg Config) *Client {
	cfg.BaseURL = f.srv.URL
	cfg.RealmID = realm
	cfg.HTTPClient = f.srv.Client()
	return New(cfg)
}

func (f *fake) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// count returns how many calls match method and path prefix.
func (f *fake) count(method, prefix string) int {
	n := 0
	for _, c := range f.recorded() {
		if c.method == method && strings.HasPrefix(c.path, prefix) {
			n++
		}
	}
	return n
}

// bodyTypes says which XSD type the body of a POST to a path is.
var bodyTypes = map[string]string{"/batch": "IntuitBatchRequest", "/customer": "Customer", "/item": "Item",
	"/invoice": "Invoice", "/payment": "Payment"}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading body: %v", err)
		return
	}
	prefix := "/v3/company/" + realm
	if !strings.HasPrefix(r.URL.Path, prefix+"/") {
		f.t.Errorf("fake: %s %s is not under %s", r.Method, r.URL.Path, prefix)
		http.Error(w, "no route", http.StatusNotFound)
		return
	}
	c := call{method: r.Method, path: strings.TrimPrefix(r.URL.Path, prefix), query: r.URL.Query(), body: body}
	if got := c.query.Get("minorversion"); got != "75" {
		f.t.Errorf("fake: %s %s: minorversion = %q, want 75", r.Method, c.path, got)
	}
	if r.Header.Get("Accept") != "application/json" {
		f.t.Errorf("fake: %s %s: Accept = %q", r.Method, c.path, r.Header.Get("Accept"))
	}
	if r.Method == http.MethodPost {
		id := c.query.Get("requestid")
		limit := 50
		if c.path == "/batch" {
			limit = 36
		}
		if id == "" || len(id) > limit {
			f.t.Errorf("fake: %s %s: requestid %q missing or longer than %d", r.Method, c.path, id, limit)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("fake: %s %s: Content-Type = %q", r.Method, c.path, r.Header.Get("Content-Type"))
		}
		typ, ok := bodyTypes[c.path]
		if !ok {
			f.t.Errorf("fake: POST %s is not a known endpoint", c.path)
		} else if problems := checkBody(f.t, typ, body); len(problems) > 0 {
			f.t.Errorf("fake: POST %s body violates the XSD:\n  %s\nbody: %s", c.path, strings.Join(problems, "\n  "), body)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()

	rep := f.handle(c)
	if rep.hijack {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			f.t.Errorf("fake: hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	var out []byte
	switch b := rep.body.(type) {
	case nil:
	case []byte:
		out = b
	case json.RawMessage:
		out = b
	case string:
		out = []byte(b)
	default:
		if out, err = json.Marshal(b); err != nil {
			f.t.Errorf("fake: marshal: %v", err)
		}
	}
	if out != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	w.Write(out)
}

// fault builds a Fault answer body.
func fault(typ, code, msg, detail, element string) map[string]any {
	e := map[string]any{"Message": msg, "Detail": detail, "code": code}
	if element != "" {
		e["element"] = element
	}
	return map[string]any{"Fault": map[string]any{"type": typ, "Error": []any{e}}, "time": "2024-03-01T04:00:00.000-08:00"}
}

// queryAnswer wraps rows of entity as a query answer.
func queryAnswer(entity string, rows any) map[string]any {
	qr := map[string]any{"startPosition": 1, "maxResults": 0}
	if b, _ := json.Marshal(rows); string(b) != "null" && string(b) != "[]" {
		qr[entity] = rows
	}
	return map[string]any{"QueryResponse": qr, "time": "2024-03-01T04:00:00.000-08:00"}
}

// company is an in-memory QuickBooks company behind a fake: enough of QuickBooks (queries with
// "in" lists, batch creates with per-item Faults, name uniqueness, totals, requestid replay) to
// test the client's look-ups and per-object results.
type company struct {
	mu        sync.Mutex
	customers []map[string]any
	vendors   []string // display names held by vendors
	items     []map[string]any
	invoices  []map[string]any
	payments  []map[string]any
	replay    map[string][]byte
	seq       int
	// override answers before the company does (ok=false falls through).
	override func(c call) (reply, bool)
}

func newCompany() *company { return &company{replay: map[string][]byte{}} }

func stamp(seq int) map[string]any {
	ts := time.Date(2024, 3, 1, 4, 0, seq, 0, time.FixedZone("PST", -8*3600)).Format(time.RFC3339)
	return map[string]any{"CreateTime": ts, "LastUpdatedTime": ts}
}

func (co *company) serve(c call) reply {
	co.mu.Lock()
	defer co.mu.Unlock()
	if co.override != nil {
		if r, ok := co.override(c); ok {
			return r
		}
	}
	if c.method == http.MethodPost {
		if prev, ok := co.replay[c.query.Get("requestid")]; ok {
			return reply{body: prev}
		}
	}
	r := co.route(c)
	if c.method == http.MethodPost && r.status == 0 {
		out, _ := json.Marshal(r.body)
		co.replay[c.query.Get("requestid")] = out
	}
	return r
}

// condition matches "Field in ('a','b')" and "Field = 'a'" terms of a where clause.
var condition = regexp.MustCompile(`(\w+(?:\.\w+)?)\s+(?:in\s*\(([^)]*)\)|=\s*'((?:[^'\\]|\\.)*)')`)

// where reports whether row satisfies every "in"/"=" condition of sql, case-insensitively, and
// whether inactive rows are wanted.
func where(sql string, row map[string]any) bool {
	_, w, _ := strings.Cut(sql, " where ")
	w, _, _ = strings.Cut(w, " STARTPOSITION")
	wantInactive := strings.Contains(w, "Active in (true, false)")
	if a, ok := row["Active"].(bool); ok && !a && !wantInactive {
		return false
	}
	for _, m := range condition.FindAllStringSubmatch(w, -1) {
		field := m[1]
		if field == "Active" {
			continue
		}
		var vals []string
		if m[2] != "" {
			for _, v := range regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`).FindAllStringSubmatch(m[2], -1) {
				vals = append(vals, strings.ReplaceAll(v[1], `\'`, "'"))
			}
		} else {
			vals = []string{strings.ReplaceAll(m[3], `\'`, "'")}
		}
		got := fmt.Sprint(row[field])
		ok := false
		for _, v := range vals {
			ok = ok || strings.EqualFold(v, got)
		}
		if !ok {
			return false
		}
	}
	return true
}

func (co *company) route(c call) reply {
	switch {
	case c.method == http.MethodGet && c.path == "/query":
		sql := c.sql()
		var rows []map[string]any
		var entity string
		for name, all := range map[string][]map[string]any{"Customer": co.customers, "Item": co.items, "Invoice": co.invoices} {
			if strings.Contains(sql, "from "+name+" ") || strings.HasSuffix(sql, "from "+name) {
				entity = name
				for _, r := range all {
					if where(sql, r) {
						rows = append(rows, r)
					}
				}
			}
		}
		if entity == "" {
			if strings.Contains(sql, "from Account") {
				return reply{body: queryAnswer("Account", []map[string]any{
					{"Id": "79", "Name": "Sales of Product Income", "AcctNum": "4000", "Classification": "Revenue", "AccountType": "Income", "Active": true},
					{"Id": "1", "Name": "Services", "Classification": "Revenue", "AccountType": "Income", "Active": true},
					{"Id": "35", "Name": "Checking", "AcctNum": "1000", "Classification": "Asset", "AccountType": "Bank", "Active": true},
				})}
			}
			if strings.Contains(sql, "from TaxCode") {
				return reply{body: queryAnswer("TaxCode", []map[string]any{
					{"Id": "2", "Name": "20.0% S", "Active": true, "SalesTaxRateList": map[string]any{"TaxRateDetail": []any{map[string]any{"TaxRateRef": map[string]any{"value": "3"}}}}},
					{"Id": "5", "Name": "GST/PST BC", "Active": true, "SalesTaxRateList": map[string]any{"TaxRateDetail": []any{
						map[string]any{"TaxRateRef": map[string]any{"value": "6"}}, map[string]any{"TaxRateRef": map[string]any{"value": "7"}}}}},
				})}
			}
			if strings.Contains(sql, "from TaxRate") {
				return reply{body: queryAnswer("TaxRate", []map[string]any{
					{"Id": "3", "Name": "20.0% S", "RateValue": json.Number("20")},
					{"Id": "6", "Name": "GST", "RateValue": json.Number("5")},
					{"Id": "7", "Name": "PST BC", "RateValue": json.Number("7")},
				})}
			}
			return reply{status: 400, body: fault("ValidationFault", "4000", "Error parsing query", sql, "")}
		}
		return reply{body: queryAnswer(entity, rows)}
	case c.method == http.MethodPost && c.path == "/batch":
		var req struct {
			BatchItemRequest []map[string]json.RawMessage
		}
		if err := json.Unmarshal(c.body, &req); err != nil {
			return reply{status: 400, body: fault("ValidationFault", "2500", "Invalid request", err.Error(), "")}
		}
		var out []any
		for _, item := range req.BatchItemRequest {
			var bID string
			json.Unmarshal(item["bId"], &bID)
			for entity, raw := range item {
				if entity == "bId" || entity == "operation" {
					continue
				}
				obj, f := co.create(entity, raw)
				if f != nil {
					f["bId"] = bID
					out = append(out, f)
				} else {
					out = append(out, map[string]any{"bId": bID, entity: obj})
				}
			}
		}
		return reply{body: map[string]any{"BatchItemResponse": out, "time": "2024-03-01T04:00:00.000-08:00"}}
	}
	return reply{status: 404}
}

// create adds one entity and returns it, or a Fault item (without bId).
func (co *company) create(entity string, raw json.RawMessage) (map[string]any, map[string]any) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var obj map[string]any
	dec.Decode(&obj)
	co.seq++
	obj["Id"], obj["SyncToken"], obj["MetaData"] = strconv.Itoa(100+co.seq), "0", stamp(co.seq)
	switch entity {
	case "Customer":
		name := fmt.Sprint(obj["DisplayName"])
		for _, v := range co.vendors {
			if strings.EqualFold(v, name) {
				return nil, dupName(name)
			}
		}
		for _, cu := range co.customers {
			if strings.EqualFold(fmt.Sprint(cu["DisplayName"]), name) {
				return nil, dupName(name)
			}
		}
		co.customers = append(co.customers, obj)
	case "Item":
		co.items = append(co.items, obj)
	case "Invoice":
		for _, inv := range co.invoices {
			if obj["DocNumber"] != nil && inv["DocNumber"] == obj["DocNumber"] {
				return nil, map[string]any{"Fault": map[string]any{"type": "ValidationFault", "Error": []any{map[string]any{
					"Message": "Duplicate Document Number Error", "Detail": "Duplicate Document Number Error : You must specify a different number. This number has already been used.", "code": "6140"}}}}
			}
		}
		sum, tax := decimal.Zero, decimal.Zero
		for _, l := range obj["Line"].([]any) {
			sum = sum.Add(decimal.RequireFromString(string(l.(map[string]any)["Amount"].(json.Number))))
		}
		if td, ok := obj["TxnTaxDetail"].(map[string]any); ok && td["TotalTax"] != nil {
			tax = decimal.RequireFromString(string(td["TotalTax"].(json.Number)))
		} else {
			obj["TxnTaxDetail"] = map[string]any{"TotalTax": json.Number("0")}
		}
		total := sum.Add(tax)
		// QuickBooks writes amounts with one decimal when it can ("150.0").
		obj["TotalAmt"], obj["Balance"] = json.Number(total.StringFixed(max(1, -total.Exponent()))), json.Number(total.String())
		co.invoices = append(co.invoices, obj)
	case "Payment":
		co.payments = append(co.payments, obj)
	}
	return obj, nil
}

func dupName(name string) map[string]any {
	return map[string]any{"Fault": map[string]any{"type": "ValidationFault", "Error": []any{map[string]any{
		"Message": "Duplicate Name Exists Error", "Detail": "The name supplied already exists. : " + name, "code": "6240"}}}}
}
