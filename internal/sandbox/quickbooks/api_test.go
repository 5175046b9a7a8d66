package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

func TestMinorVersion(t *testing.T) {
	b := setup(t).connect("")
	for _, path := range []string{"/preferences?minorversion=", "/preferences?minorversion=74", "/preferences?minorversion=x"} {
		r := b.api("GET", path, nil).MustStatus(t, 400)
		f := sandboxtest.DecodeKey[qbFault](t, r, "Fault")
		if f.Type != "ValidationFault" || f.Error[0].Message != "minorversion 75 or later is required" {
			t.Fatalf("%s: %s", path, r.Body)
		}
	}
	b.api("GET", "/preferences?minorversion=75", nil).MustStatus(t, 200)
	b.api("GET", "/preferences?minorversion=80", nil).MustStatus(t, 200)
}

func TestQueries(t *testing.T) {
	b := setup(t).connect("")
	for _, n := range []string{"A", "B", "C", "D", "E"} {
		b.customer(n)
		b.Clock.Advance(time.Minute)
	}
	qr := b.query("select * from Customer where DisplayName in ('A', 'C', 'E') STARTPOSITION 2 MAXRESULTS 1")
	var got []Customer
	_ = json.Unmarshal(qr["Customer"], &got)
	if len(got) != 1 || got[0].DisplayName != "C" || string(qr["startPosition"]) != "2" || string(qr["maxResults"]) != "1" {
		t.Fatalf("paged in(): %v", qr)
	}
	qr = b.query("SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '2026-03-14T09:31:30Z'")
	_ = json.Unmarshal(qr["Customer"], &got)
	if len(got) != 3 || got[0].DisplayName != "C" {
		t.Fatalf("LastUpdatedTime: %s", qr["Customer"])
	}
	qr = b.query("select count(*) from Customer")
	if string(qr["totalCount"]) != "5" {
		t.Fatalf("count: %v", qr)
	}
	qr = b.query("select * from Customer where DisplayName = 'nobody'")
	if len(qr) != 0 {
		t.Fatalf("empty result should be an empty QueryResponse: %v", qr)
	}
	// Inactive name-list entities are hidden unless Active is asked for.
	id := sandboxtest.DecodeKey[Customer](t, b.api("POST", "/customer", map[string]any{"DisplayName": "Gone", "Active": false}).MustStatus(t, 200), "Customer").ID
	qr = b.query("select * from Customer where DisplayName = 'Gone'")
	if len(qr) != 0 {
		t.Fatalf("inactive customer returned: %v", qr)
	}
	qr = b.query("select * from Customer where Active = false")
	_ = json.Unmarshal(qr["Customer"], &got)
	if len(got) != 1 || got[0].ID != id {
		t.Fatalf("Active = false: %v", qr)
	}
	// Seeded lists and singletons.
	var codes []TaxCode
	_ = json.Unmarshal(b.query("select * from TaxCode")["TaxCode"], &codes)
	var rates []TaxRate
	_ = json.Unmarshal(b.query("select * from TaxRate where RateValue = '0'")["TaxRate"], &rates)
	// The UK edition's five codes and its two EC codes, five of them 0%.
	if len(codes) != 7 || len(rates) != 5 || codes[5].Name != "0.0% ECG" || codes[6].Name != "0.0% ECS" {
		t.Fatalf("%d tax codes, %d zero rates: %+v", len(codes), len(rates), codes)
	}
	var accts []Account
	_ = json.Unmarshal(b.query("select * from Account where AccountType = 'Accounts Receivable'")["Account"], &accts)
	if len(accts) != 1 || accts[0].AcctNum == "" {
		t.Fatalf("A/R account: %+v", accts)
	}
	if len(b.query("select * from CompanyInfo")["CompanyInfo"]) == 0 || len(b.query("select * from Preferences")["Preferences"]) == 0 {
		t.Fatal("singletons missing")
	}
	// POST /query with the statement as the body.
	r := b.api("POST", "/query", "select * from Item where Name = 'Services'").MustStatus(t, 200)
	if items := sandboxtest.DecodeKey[struct{ Item []Item }](t, r, "QueryResponse").Item; len(items) != 1 || items[0].Type != "Service" {
		t.Fatalf("items %s", r.Body)
	}
	// Errors.
	if code, _ := fault(t, b.api("GET", "/query?query=selec%20*%20from%20Invoice", nil).MustStatus(t, 400)); code != "4000" {
		t.Fatalf("parse error code %s", code)
	}
}

func TestInvoiceQueryByDocNumber(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	for i := 1; i <= 3; i++ {
		b.invoice(invoiceBody(fmt.Sprintf("INV-%d", i), cust, salesLine(10, nil, nil, "2")))
	}
	var got []Invoice
	_ = json.Unmarshal(b.query("select * from Invoice where DocNumber in ('INV-1','INV-3','INV-9')")["Invoice"], &got)
	if len(got) != 2 || got[0].DocNumber != "INV-1" || got[1].DocNumber != "INV-3" {
		t.Fatalf("by DocNumber: %+v", got)
	}
}

func TestRequestIDReplay(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	body := invoiceBody("R-1", cust, salesLine(10, nil, nil, "2"))
	first := b.api("POST", "/invoice?requestid=abc-1", body).MustStatus(t, 200)
	second := b.api("POST", "/invoice?requestid=abc-1", body).MustStatus(t, 200)
	if string(first.Body) != string(second.Body) || len(b.sb.Invoices(b.realm)) != 1 {
		t.Fatalf("replay differs or duplicated:\n%s\n%s", first.Body, second.Body)
	}
	// A new requestid runs again, and this time fails on the DocNumber.
	b.api("POST", "/invoice?requestid=abc-2", body).MustStatus(t, 400)
	// After 24 hours the requestid is forgotten.
	b.Clock.Advance(25 * time.Hour)
	b.refreshTokens()
	b.api("POST", "/invoice?requestid=abc-1", body).MustStatus(t, 400)
}

// refreshTokens swaps the refresh token for a new pair.
func (b *bundle) refreshTokens() {
	b.t.Helper()
	status, tok := b.token(map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}})
	if status != 200 {
		b.t.Fatalf("refresh: %d %v", status, tok)
	}
	b.access, b.refresh = tok["access_token"].(string), tok["refresh_token"].(string)
}

func TestBatchMixedResults(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	b.invoice(invoiceBody("B-0", cust, salesLine(10, nil, nil, "2")))
	req := map[string]any{"BatchItemRequest": []any{
		map[string]any{"bId": "1", "operation": "create", "Invoice": invoiceBody("B-1", cust, salesLine(10, nil, nil, "2"))},
		map[string]any{"bId": "2", "operation": "create", "Invoice": invoiceBody("B-0", cust, salesLine(10, nil, nil, "2"))},
		map[string]any{"bId": "3", "Query": "select * from Invoice where DocNumber in ('B-0','B-1')"},
		map[string]any{"bId": "4", "operation": "create", "Customer": map[string]any{"DisplayName": "Beta Ltd"}},
	}}
	r := b.api("POST", "/batch?requestid=batch-1", req).MustStatus(t, 200)
	items := sandboxtest.DecodeKey[[]map[string]json.RawMessage](t, r, "BatchItemResponse")
	if len(items) != 4 {
		t.Fatalf("items %s", r.Body)
	}
	var inv Invoice
	_ = json.Unmarshal(items[0]["Invoice"], &inv)
	dec(t, inv.TotalAmt, "12")
	var f qbFault
	_ = json.Unmarshal(items[1]["Fault"], &f)
	if f.Type != "ValidationFault" || f.Error[0].Code != "6140" || string(items[1]["bId"]) != `"2"` {
		t.Fatalf("item 2: %s", r.Body)
	}
	var qr struct{ Invoice []Invoice }
	_ = json.Unmarshal(items[2]["QueryResponse"], &qr)
	if len(qr.Invoice) != 2 || items[3]["Customer"] == nil {
		t.Fatalf("items 3-4: %s", r.Body)
	}
	if b.sb.Calls(b.realm) < 4+2 {
		t.Fatalf("batch items must be metered: %d calls", b.sb.Calls(b.realm))
	}
	// More than 30 items fail the whole call.
	var many []any
	for i := range 31 {
		many = append(many, map[string]any{"bId": fmt.Sprint(i), "Query": "select * from Item"})
	}
	if code, _ := fault(t, b.api("POST", "/batch", map[string]any{"BatchItemRequest": many}).MustStatus(t, 400)); code != "6000" {
		t.Fatalf("31 items code %s", code)
	}
}

func withLimits(o *sandbox.Options) { o.Limits, o.TimeScale = true, 60 }

func TestRateLimitPerMinute(t *testing.T) {
	b := setup(t, withLimits).connect("")
	// 500 calls within the (scaled) minute, recorded directly to keep the test fast.
	b.sb.srv.Lock()
	c := b.sb.companies[b.realm]
	for range 499 {
		c.limiter.minute = append(c.limiter.minute, b.Clock.Now())
	}
	b.sb.srv.Unlock()
	b.api("GET", "/preferences", nil).MustStatus(t, 200)
	r := b.api("GET", "/preferences", nil).MustStatus(t, 429)
	f := sandboxtest.DecodeKey[qbFault](t, r, "Fault")
	if f.Type != "ThrottleExceeded" || f.Error[0].Code != "003001" || f.Error[0].Message != "Too Many Requests" || r.Header.Get("Retry-After") != "" {
		t.Fatalf("429: %v %s", r.Header, r.Body)
	}
	// TimeScale 60 makes the minute one second.
	b.Clock.Advance(time.Second)
	b.api("GET", "/preferences", nil).MustStatus(t, 200)
	// Batch items count: 480 used + 30 items exceeds 500.
	b.sb.srv.Lock()
	for range 479 {
		c.limiter.minute = append(c.limiter.minute, b.Clock.Now())
	}
	b.sb.srv.Unlock()
	var items []any
	for i := range 30 {
		items = append(items, map[string]any{"bId": fmt.Sprint(i), "Query": "select * from Item"})
	}
	b.api("POST", "/batch", map[string]any{"BatchItemRequest": items}).MustStatus(t, 429)
	b.api("POST", "/batch", map[string]any{"BatchItemRequest": items[:20]}).MustStatus(t, 200)
}

func TestRateLimitConcurrent(t *testing.T) {
	b := setup(t, withLimits).connect("")
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	b.sb.beforeServe = func(string) {
		entered <- struct{}{}
		<-release
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", b.sb.APIURL()+"/v3/company/"+b.realm+"/preferences?minorversion=75", nil)
			req.Header.Set("Authorization", "Bearer "+b.access)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("held call: %d", resp.StatusCode)
			}
		})
	}
	for range 10 {
		<-entered
	}
	b.api("GET", "/preferences", nil).MustStatus(t, 429)
	close(release)
	wg.Wait()
	b.sb.beforeServe = nil
	b.api("GET", "/preferences", nil).MustStatus(t, 200)
}

func TestFaults(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	body := invoiceBody("F-1", cust, salesLine(10, nil, nil, "2"))

	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/invoice"})
	b.api("GET", "/preferences", nil).MustStatus(t, 200) // path does not match
	r := b.api("POST", "/invoice", body).MustStatus(t, 500)
	if _, typ := fault(t, r); typ != "SystemFault" || len(b.sb.Invoices(b.realm)) != 0 {
		t.Fatalf("server error: %s, %d invoices", typ, len(b.sb.Invoices(b.realm)))
	}

	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 2})
	b.api("GET", "/preferences", nil).MustStatus(t, 429)
	b.api("GET", "/preferences", nil).MustStatus(t, 429)
	b.api("GET", "/preferences", nil).MustStatus(t, 200)

	// Timeout after store: the invoice is saved, the client sees no response;
	// retrying with the same requestid replays the stored answer.
	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore})
	req, _ := http.NewRequest("POST", b.sb.APIURL()+"/v3/company/"+b.realm+"/invoice?minorversion=75&requestid=t-1", jsonBody(body))
	req.Header.Set("Authorization", "Bearer "+b.access)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("timeout fault: got a response %d", resp.StatusCode)
	}
	if b.sb.PendingFaults(b.realm) != 0 || len(b.sb.Invoices(b.realm)) != 1 {
		t.Fatalf("after timeout: %d pending, %d invoices", b.sb.PendingFaults(b.realm), len(b.sb.Invoices(b.realm)))
	}
	b.api("POST", "/invoice?requestid=t-1", body).MustStatus(t, 200)
	if stored, _ := b.Store.LoadSandbox(context.Background(), Namespace); len(stored) == 0 {
		t.Fatal("nothing persisted")
	}

	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultRevoke})
	r = b.api("GET", "/preferences", nil).MustStatus(t, 401)
	if _, typ := fault(t, r); typ != "AuthenticationFault" {
		t.Fatalf("revoked: %s", typ)
	}
	if status, tok := b.token(map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}}); status != 400 || tok["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", status, tok)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	inv := b.invoice(invoiceBody("P-1", cust, salesLine(0.03, nil, nil, "2"), salesLine(0.03, nil, nil, "2")))
	b.api("POST", "/invoice?requestid=keep", invoiceBody("P-2", cust, salesLine(1, nil, nil, "3"))).MustStatus(t, 200)

	again, err := New(context.Background(), sandbox.Options{BaseURL: b.Server.URL, Store: b.Store, Now: b.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Invoices(b.realm); len(got) != 2 || got[0].ID != inv.ID || !got[0].TotalAmt.Equal(inv.TotalAmt.Decimal) {
		t.Fatalf("reloaded invoices %+v", got)
	}
	if len(again.Customers(b.realm)) != 1 || len(again.TaxCodes(b.realm)) != 7 || len(again.Accounts(b.realm)) == 0 || len(again.Items(b.realm)) != 1 {
		t.Fatal("reloaded lists incomplete")
	}
	// Serve from the reloaded sandbox: tokens, ids and requestids survive.
	b.sb = again
	b.Server.Config.Handler = again.Handler()
	r := b.api("POST", "/invoice?requestid=keep", invoiceBody("P-2", cust, salesLine(1, nil, nil, "3"))).MustStatus(t, 200)
	if sandboxtest.DecodeKey[Invoice](t, r, "Invoice").DocNumber != "P-2" || len(again.Invoices(b.realm)) != 2 {
		t.Fatalf("replay after reload: %s", r.Body)
	}
	next := b.invoice(invoiceBody("", cust, salesLine(1, nil, nil, "3")))
	if next.ID != "3" || next.DocNumber != "1001" {
		t.Fatalf("new invoice after reload: Id %s DocNumber %s", next.ID, next.DocNumber)
	}
}

func TestCompanyPages(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme <Ltd>")
	b.invoice(invoiceBody("W-1", cust, salesLine(10, nil, nil, "2")))
	for _, p := range []string{"/companies", "/companies/" + b.realm} {
		if status, page := b.page("GET", p, "token-a", nil); status != 200 || !strings.Contains(page, b.realm) {
			t.Fatalf("%s: %d", p, status)
		}
	}
}
