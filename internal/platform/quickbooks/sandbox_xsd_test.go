package quickbooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
	"github.com/shopspring/decimal"
	"golang.org/x/oauth2"
)

// xsdTransport checks every JSON object booksync's built-in QuickBooks sandbox answers with
// against Intuit's XSDs, the way the fake server checks the client's requests.
type xsdTransport struct {
	t    *testing.T
	seen map[string]int
}

func (x *xsdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(r.URL.Path, "/v3/company/") {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		x.t.Errorf("%s: answer is not a JSON object", r.URL.Path)
		return resp, nil
	}
	for key, raw := range top {
		typ := key
		switch key {
		case "time":
			continue
		case "QueryResponse":
			var q map[string]json.RawMessage
			_ = json.Unmarshal(raw, &q)
			for entity, rows := range q {
				if entity == "startPosition" || entity == "maxResults" || entity == "totalCount" {
					continue
				}
				x.check(r, entity, rows)
			}
			continue
		case "BatchItemResponse":
			var items []map[string]json.RawMessage
			_ = json.Unmarshal(raw, &items)
			for _, it := range items {
				for entity, obj := range it {
					if entity != "bId" && entity != "Fault" {
						x.check(r, entity, obj)
					}
				}
			}
			continue
		}
		x.check(r, typ, raw)
	}
	return resp, nil
}

func (x *xsdTransport) check(r *http.Request, typ string, raw json.RawMessage) {
	x.seen[typ]++
	if problems := checkBody(x.t, typ, raw); len(problems) > 0 {
		x.t.Errorf("%s %s: the sandbox's %s is not Intuit's shape: %v", r.Method, r.URL.Path, typ, problems)
	}
}

// TestSandboxSpeaksIntuitsSchema drives the client against booksync's QuickBooks sandbox and
// checks every object the sandbox returns against the XSDs: customers, items, invoices, payments,
// tax codes and rates, accounts, company info and preferences.
func TestSandboxSpeaksIntuitsSchema(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := qbsandbox.New(ctx, qbsandbox.Options{BaseURL: "http://" + srv.Listener.Addr().String(), Store: sandbox.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	defer srv.Close()

	// Consent, then exchange the code, as booksync does.
	cfg := oauth2.Config{ClientID: "booksync", ClientSecret: "s", Endpoint: Endpoint(sb.AuthURL(), sb.TokenURL()),
		RedirectURL: "http://booksync.test/oauth/callback", Scopes: Scopes}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(cfg.AuthCodeURL("st"), url.Values{"consent": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	resp.Body.Close()
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	xt := &xsdTransport{t: t, seen: map[string]int{}}
	httpClient := oauth2.NewClient(context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: xt}), cfg.TokenSource(ctx, tok))
	c := New(Config{BaseURL: sb.APIURL(), RealmID: loc.Query().Get("realmId"), HTTPClient: httpClient})

	if _, err := c.Org(ctx); err != nil {
		t.Fatal(err)
	}
	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := c.LedgerAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sales, bank string
	for _, a := range accounts {
		if a.Name == "Sales of Product Income" {
			sales = a.Code
		}
		if a.IsBank {
			bank = a.Code
		}
	}
	contacts, err := c.PushContacts(ctx, []platform.Contact{{Ref: "c1", Name: "Acme Ltd", Email: "ap@acme.example"}})
	if err != nil || contacts[0].Err != nil {
		t.Fatal(err, contacts)
	}
	if res, err := c.PushItems(ctx, []platform.Item{{Ref: "p1", Code: "SKU-1", Name: "Widget", UnitPrice: 1000, Currency: "GBP", AccountCode: sales, TaxCode: rates[0].Code}}); err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	inv := platform.Invoice{Ref: "r1", Number: "INV-1", ContactID: contacts[0].PlatformID, Date: "2026-11-25", Currency: "GBP",
		Lines: []platform.InvoiceLine{{Description: "Widget", ItemCode: "SKU-1", Quantity: decimal.NewFromInt(2), UnitAmount: 1000,
			AccountCode: sales, TaxCode: rates[0].Code, LineAmount: 2000, TaxAmount: 400}},
		Expected: platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}}
	res, err := c.PushInvoices(ctx, []platform.Invoice{inv})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if pr, err := c.PushPayments(ctx, []platform.Payment{{Ref: "pay1", InvoiceID: res[0].PlatformID, AccountCode: bank, Date: "2026-11-25", Amount: 1000, Currency: "GBP"}}); err != nil || pr[0].Err != nil {
		t.Fatal(err, pr)
	}
	if _, err := c.Invoices(ctx, platform.InvoiceQuery{Page: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoice(ctx, res[0].PlatformID); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"Customer", "Item", "Invoice", "Payment", "TaxCode", "TaxRate", "Account"} {
		if xt.seen[typ] == 0 {
			t.Errorf("no %s answer was checked", typ)
		}
	}
}
