package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

func withLimits(o *sandbox.Options) { o.Limits, o.TimeScale = true, 60 }

func TestRateLimitPerMinute(t *testing.T) {
	b := setup(t, withLimits).connect()
	for i := 1; i <= 60; i++ {
		r := b.api("GET", "/Accounts", nil).MustStatus(t, 200)
		if got, want := r.Header.Get("X-MinLimit-Remaining"), itoa(60-i); got != want {
			t.Fatalf("call %d: X-MinLimit-Remaining %s, want %s", i, got, want)
		}
		if r.Header.Get("X-DayLimit-Remaining") != itoa(5000-i) || r.Header.Get("X-AppMinLimit-Remaining") == "" {
			t.Fatalf("call %d: day/app headers %v", i, r.Header)
		}
	}
	r := b.api("GET", "/Accounts", nil).MustStatus(t, 429)
	// TimeScale 60 makes the minute last one second.
	if r.Header.Get("X-Rate-Limit-Problem") != "minute" || r.Header.Get("Retry-After") != "1" || r.Header.Get("X-MinLimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", r.Header)
	}
	// Other organisations have their own budget.
	other := setup(t, withLimits).connect()
	other.api("GET", "/Accounts", nil).MustStatus(t, 200)

	b.Clock.Advance(time.Second)
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)
}

func TestRateLimitPerDay(t *testing.T) {
	b := setup(t, withLimits).connect()
	// 5,000 calls spaced over the (scaled) day, recorded directly to keep the test fast.
	b.sb.srv.Lock()
	o := b.sb.orgs[b.tenant]
	start := b.Clock.Now().Add(-20 * time.Minute)
	for i := range 5000 {
		o.limiter.day = append(o.limiter.day, start.Add(time.Duration(i)*time.Millisecond))
	}
	b.sb.srv.Unlock()
	r := b.api("GET", "/Accounts", nil).MustStatus(t, 429)
	// The scaled day is 24 minutes; the oldest call leaves it in 4 minutes.
	if r.Header.Get("X-Rate-Limit-Problem") != "day" || r.Header.Get("Retry-After") != "240" || r.Header.Get("X-DayLimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", r.Header)
	}
}

func TestRateLimitConcurrent(t *testing.T) {
	b := setup(t, withLimits).connect()
	entered := make(chan struct{}, 5)
	release := make(chan struct{})
	b.sb.beforeServe = func(string) {
		entered <- struct{}{}
		<-release
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", b.sb.APIURL()+"/Accounts", nil)
			req.Header.Set("Authorization", "Bearer "+b.access)
			req.Header.Set("xero-tenant-id", b.tenant)
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
	for range 5 {
		<-entered
	}
	r := b.api("GET", "/Accounts", nil).MustStatus(t, 429)
	if r.Header.Get("X-Rate-Limit-Problem") != "concurrent" || r.Header.Get("Retry-After") == "" {
		t.Errorf("429 headers %v", r.Header)
	}
	close(release)
	wg.Wait()
	b.sb.beforeServe = nil
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)
}

func TestFaultServerError(t *testing.T) {
	b := withContact(t)
	b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultServerError, Count: 2, Path: "/Invoices"})
	body := invoices(invoice("INV-F", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2")))
	b.api("GET", "/Contacts", nil).MustStatus(t, 200) // other paths unaffected
	b.api("PUT", "/Invoices", body).MustStatus(t, 500)
	b.api("PUT", "/Invoices", body).MustStatus(t, 500)
	if n := len(b.sb.Invoices(b.tenant)); n != 0 {
		t.Fatalf("a 500 stored %d invoices", n)
	}
	b.api("PUT", "/Invoices", body).MustStatus(t, 200)
	if n := len(b.sb.Invoices(b.tenant)); n != 1 {
		t.Fatalf("%d invoices", n)
	}
}

func TestFaultRateLimitOverHTTP(t *testing.T) {
	b := setup(t).connect()
	postFault(t, b, map[string]any{"tenant_id": b.tenant, "kind": "rate_limit", "count": 1})
	r := b.api("GET", "/Accounts", nil).MustStatus(t, 429)
	if r.Header.Get("Retry-After") != "1" || r.Header.Get("X-Rate-Limit-Problem") != "minute" {
		t.Fatalf("headers %v", r.Header)
	}
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)
}

func postFault(t *testing.T, b *bundle, f map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(f)
	req, _ := http.NewRequest(http.MethodPost, b.Server.URL+"/faults", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer token-a")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /faults: %d", resp.StatusCode)
	}
}

func TestFaultTimeoutAfterStore(t *testing.T) {
	b := withContact(t)
	b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Count: 1})
	body := invoices(invoice("INV-T", "Acme Ltd", "Exclusive", line("x", 1, 10, "200", "OUTPUT2")))
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("PUT", b.sb.APIURL()+"/Invoices?summarizeErrors=false", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+b.access)
	req.Header.Set("xero-tenant-id", b.tenant)
	req.Header.Set("Idempotency-Key", "k-1")
	// A fresh connection: Go's transport silently retries a request that has
	// an Idempotency-Key when a reused keep-alive connection drops, which
	// would hide the fault (and is what a connector gets in production).
	fresh := &http.Client{Transport: &http.Transport{}}
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want a dropped connection", resp.StatusCode)
	}
	if n := len(b.sb.Invoices(b.tenant)); n != 1 {
		t.Fatalf("%d invoices stored, want the write applied", n)
	}
	// The client can find it by number, and a retry with the key replays.
	found := decodeKey[Invoice](t, b.api("GET", "/Invoices?InvoiceNumbers=INV-T", nil).MustStatus(t, 200), "Invoices")
	if len(found) != 1 {
		t.Fatal("lookup by number after unknown outcome")
	}
	retry := decodeKey[Invoice](t, b.api("PUT", "/Invoices?summarizeErrors=false", body, header("Idempotency-Key", "k-1")).MustStatus(t, 200), "Invoices")
	if retry[0].HasErrors || retry[0].InvoiceID != found[0].InvoiceID || len(b.sb.Invoices(b.tenant)) != 1 {
		t.Fatalf("retry %+v", retry[0])
	}
}

func TestFaultRevoke(t *testing.T) {
	b := setup(t).connect()
	b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultRevoke})
	b.api("GET", "/Accounts", nil).MustStatus(t, 401)
	if status, body := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", status, body)
	}
}

func TestCallsCountsAPICalls(t *testing.T) {
	b := setup(t).connect()
	for range 3 {
		b.api("GET", "/TaxRates", nil).MustStatus(t, 200)
	}
	if n := b.sb.Calls(b.tenant); n != 3 {
		t.Fatalf("Calls = %d, want 3", n)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	b := withContact(t)
	inv := createInvoice(t, b, "/Invoices", invoice("INV-P1", "Acme Ltd", "Inclusive", line("x", 1, 12, "200", "OUTPUT2")))
	b.api("PUT", "/Payments", map[string]any{"Payments": []any{map[string]any{
		"Invoice": map[string]any{"InvoiceID": inv.InvoiceID}, "Account": map[string]any{"Code": "090"}, "Amount": 2}}}).MustStatus(t, 200)
	b.api("PUT", "/Items", map[string]any{"Items": []any{map[string]any{"Code": "A1"}}}).MustStatus(t, 200)
	if _, err := b.sb.AddTaxRate(context.Background(), b.tenant, "Reduced 12.5%", sandbox.NewAmount("12.5")); err != nil {
		t.Fatal(err)
	}
	auto := invoice("", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2"))
	delete(auto, "InvoiceNumber")
	if got := createInvoice(t, b, "/Invoices", auto); got.InvoiceNumber != "INV-0001" {
		t.Errorf("auto number %q", got.InvoiceNumber)
	}
	key := header("Idempotency-Key", "persisted")
	body := invoices(invoice("INV-P2", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "TAX001")))
	first := b.api("PUT", "/Invoices", body, key).MustStatus(t, 200)

	// A new sandbox on the same store: same data, same tokens, same replays.
	reopened, err := New(context.Background(), sandbox.Options{BaseURL: b.Server.URL, Store: b.Store, Now: b.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	old := b.sb
	b.sb = reopened
	swapHandler(t, b, reopened)
	for _, check := range []struct {
		name     string
		old, new any
	}{
		{"invoices", old.Invoices(b.tenant), reopened.Invoices(b.tenant)},
		{"contacts", old.Contacts(b.tenant), reopened.Contacts(b.tenant)},
		{"items", old.Items(b.tenant), reopened.Items(b.tenant)},
		{"payments", old.Payments(b.tenant), reopened.Payments(b.tenant)},
		{"tax rates", old.TaxRates(b.tenant), reopened.TaxRates(b.tenant)},
		{"accounts", old.Accounts(b.tenant), reopened.Accounts(b.tenant)},
	} {
		o, _ := json.Marshal(check.old)
		n, _ := json.Marshal(check.new)
		if string(o) != string(n) {
			t.Errorf("%s differ after reload:\n%s\n%s", check.name, o, n)
		}
	}
	if got := reopened.Invoices(b.tenant)[0]; got.AmountPaid.String() != "2" || got.Total.String() != "12" {
		t.Errorf("reloaded invoice %+v", got)
	}
	again := b.api("PUT", "/Invoices", body, key).MustStatus(t, 200)
	if string(again.Body) != string(first.Body) {
		t.Error("idempotent replay lost on reload")
	}
	b.refreshTokens()
	if conns := b.connections(b.access); len(conns) != 1 || conns[0]["tenantId"] != b.tenant {
		t.Errorf("connections after reload %v", conns)
	}
	// Generated invoice numbers continue from the persisted counter.
	if got := createInvoice(t, b, "/Invoices", auto); got.InvoiceNumber != "INV-0002" {
		t.Errorf("auto number %q", got.InvoiceNumber)
	}
}

// swapHandler points the bundle's test server at another sandbox.
func swapHandler(t *testing.T, b *bundle, sb *Sandbox) {
	t.Helper()
	b.Server.Config.Handler = sb.Handler()
}

func TestOrgPages(t *testing.T) {
	b := withContact(t)
	createInvoice(t, b, "/Invoices", invoice("INV-WEB", "Acme Ltd", "Exclusive", line("x", 1, 10, "200", "OUTPUT2")))
	get := func(path string) string {
		status, page := b.page("GET", path, "token-a", nil)
		if status != 200 {
			t.Fatalf("GET %s: %d", path, status)
		}
		return page
	}
	if list := get("/orgs"); !strings.Contains(list, "Demo Company (UK)") || !strings.Contains(list, "/orgs/"+b.tenant) {
		t.Fatalf("org list:\n%s", list)
	}
	page := get("/orgs/" + b.tenant)
	for _, want := range []string{"INV-WEB", "Acme Ltd", "12.00", "20% (VAT on Income)", "Business Bank Account"} {
		if !strings.Contains(page, want) {
			t.Errorf("org page lacks %q", want)
		}
	}

	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest("POST", b.Server.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer token-a")
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := post("/orgs/"+b.tenant+"/tax_rates", url.Values{"name": {"Reduced"}, "rate": {"12.5"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != b.Server.URL+"/orgs/"+b.tenant {
		t.Fatalf("add tax rate: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	rates := decodeKey[TaxRate](t, b.api("GET", `/TaxRates?where=TaxType%3D%3D%22TAX001%22`, nil).MustStatus(t, 200), "TaxRates")
	if len(rates) != 1 || rates[0].Name != "Reduced" || rates[0].EffectiveRate.String() != "12.5" {
		t.Fatalf("new tax rate %+v", rates)
	}
	inv := createInvoice(t, b, "/Invoices", invoice("INV-R", "Acme Ltd", "Exclusive", line("x", 1, 10, "200", "TAX001")))
	if inv.TotalTax.StringFixed(2) != "1.25" {
		t.Errorf("tax at the new rate %s", inv.TotalTax)
	}
	if status, page := b.page("POST", "/orgs/"+b.tenant+"/tax_rates", "token-a", url.Values{"name": {"Reduced"}, "rate": {"5"}}); status != 400 || !strings.Contains(page, "Reduced") {
		t.Errorf("duplicate tax rate name: %d, want 400 with the page and its message", status)
	}

	// Archiving a rate makes invoices that use it fail validation.
	if resp := post("/orgs/"+b.tenant+"/tax_rates/TAX001/archive", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("archive: %d", resp.StatusCode)
	}
	r := b.api("PUT", "/Invoices", invoices(invoice("INV-R2", "Acme Ltd", "Exclusive", line("x", 1, 10, "200", "TAX001")))).MustStatus(t, 400)
	if !strings.Contains(string(r.Body), "The TaxType code 'TAX001' does not exist") {
		t.Errorf("archived rate: %s", r.Body)
	}

	c := b.sb.Contacts(b.tenant)[0]
	post("/orgs/"+b.tenant+"/contacts/"+c.ContactID, url.Values{"name": {"Acme Holdings Ltd"}, "email": {"ar@acme.test"}})
	if got := b.sb.Contacts(b.tenant)[0]; got.Name != "Acme Holdings Ltd" || got.EmailAddress != "ar@acme.test" {
		t.Errorf("edited contact %+v", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
