package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/shopspring/decimal"
)

// connectPlatform connects the entity to a new sandbox company of a platform, pressing Allow on
// the consent page with the given extra form fields, and waits for the initial pull.
func (c *client) connectPlatform(platform string, form url.Values) string {
	c.s.t.Helper()
	var conn struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		Platform      string `json:"platform"`
		ConnectionURL string `json:"connection_url"`
	}
	c.do("POST", "/accounting_connections", map[string]any{"platform": platform}, 201, &conn)
	if form == nil {
		form = url.Values{}
	}
	form.Set("consent", "allow")
	resp, err := http.PostForm(conn.ConnectionURL, form)
	if err != nil {
		c.s.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "connected") {
		c.s.t.Fatalf("after consent: %d %s", resp.StatusCode, body)
	}
	c.do("GET", "/accounting_connections/"+conn.ID, nil, 200, &conn)
	if conn.Status != "connected" {
		c.s.t.Fatalf("status after consent: %s", conn.Status)
	}
	c.waitFor("the initial pull", func() bool {
		var l struct{ Data []any }
		c.do("GET", "/accounting_tax_rates", nil, 200, &l)
		return len(l.Data) > 0
	})
	return conn.ID
}

// TestQuickBooksStory pushes invoices into the QuickBooks sandbox, a UK company (tax codes per
// line) and a US company with automated sales tax, and checks what QuickBooks books.
func TestQuickBooksStory(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		for _, region := range []string{"uk", "us"} {
			c := s.partner().newEntity()
			c.connectPlatform("quickbooks", url.Values{"company": {region}})
			companies := s.app.QuickBooksSandbox.Companies()
			realm := companies[len(companies)-1]
			sales := c.idByName("/ledger_accounts", "Sales of Product Income")
			bank := c.idByName("/ledger_accounts", "Checking")
			// Sales do not go to a bank account: booksync refuses it before it reaches the books.
			body := c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": bank}}}, 422, nil)
			if text := string(body); !strings.Contains(text, "ledger account "+bank+" (Checking) cannot take sales: it is a bank account") {
				t.Fatalf("bank account for products: %s", text)
			}
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
			r := c.customerAndProduct("Acme Trading Ltd", nil)

			currency, rate := "GBP", 2000
			if region == "us" {
				// 8.87%: QuickBooks computes US sales tax itself; booksync's figure is booked.
				currency, rate = "USD", 887
			}
			inline := func(qty float64, rate int) map[string]any {
				return map[string]any{"quantity": qty, "tax_rate_value": rate,
					"product": map[string]any{"name": "Consulting", "price": map[string]any{"currency": currency, "value": 12345}}}
			}
			id, num := c.issue(r, map[string]any{"currency": currency}, inline(2.5, rate), inline(1, 0))
			rec := c.record("receivable", id)
			if rec.SyncStatus != "done" {
				t.Fatalf("%s: invoice record %s", region, rec)
			}
			var inv struct {
				TotalAmount    int64 `json:"total_amount"`
				TotalVATAmount int64 `json:"total_vat_amount"`
			}
			c.do("GET", "/receivables/"+id, nil, 200, &inv)
			found := false
			for _, b := range s.app.QuickBooksSandbox.Invoices(realm) {
				if b.DocNumber != num {
					continue
				}
				found = true
				want := decimal.New(inv.TotalAmount, -2)
				if !b.TotalAmt.Equal(want) {
					t.Errorf("%s: QuickBooks TotalAmt %s, booksync %s", region, b.TotalAmt, want)
				}
			}
			if !found {
				t.Fatalf("%s: invoice %s is not in QuickBooks", region, num)
			}
			var pay struct{ ID string }
			c.do("POST", "/payment_records", map[string]any{"amount": 1000, "currency": currency, "object": map[string]any{"id": id, "type": "receivable"}}, 201, &pay)
			if rec := c.record("payment_record", pay.ID); rec.SyncStatus != "done" {
				t.Fatalf("%s: payment record %s", region, rec)
			}
			// Read back through booksync.
			var remote struct {
				Data []struct {
					InvoiceNumber string `json:"invoice_number"`
				}
			}
			c.do("GET", "/accounting/receivables", nil, 200, &remote)
			if len(remote.Data) != 1 || remote.Data[0].InvoiceNumber != num {
				t.Fatalf("%s: read-through %+v", region, remote.Data)
			}
		}
	})
}

// TestQuickBooksFaultsEndExactlyOnce makes the QuickBooks sandbox fail (server errors, and a
// batch stored but never answered) and checks that every invoice is in QuickBooks exactly once.
func TestQuickBooksFaultsEndExactlyOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		c.connectPlatform("quickbooks", nil)
		companies := s.app.QuickBooksSandbox.Companies()
		realm := companies[len(companies)-1]
		sales := c.idByName("/ledger_accounts", "Sales of Product Income")
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": sales}}}, 200, nil)
		r := c.customerAndProduct("Faulty Customer Ltd", nil)
		var ids []string
		for _, f := range []sandbox.Fault{
			{Kind: sandbox.FaultServerError, Count: 2},
			{Kind: sandbox.FaultTimeoutAfterStore, Count: 1, Path: "/batch"},
		} {
			c.armFault("quickbooks", realm, map[string]any{"kind": f.Kind, "count": f.Count, "path": f.Path})
			for i := 0; i < 3; i++ {
				id, _ := c.issue(r, nil, line(r.product, float64(i+1), 2000))
				ids = append(ids, id)
			}
			for _, id := range ids[len(ids)-3:] {
				if rec := c.record("receivable", id); rec.SyncStatus != "done" {
					t.Fatalf("after %s: record %s", f.Kind, rec)
				}
			}
			if n := s.app.QuickBooksSandbox.PendingFaults(realm); n != 0 {
				t.Fatalf("%d %s faults never fired", n, f.Kind)
			}
		}
		seen := map[string]int{}
		for _, b := range s.app.QuickBooksSandbox.Invoices(realm) {
			seen[b.DocNumber]++
		}
		if len(seen) != len(ids) {
			t.Fatalf("%d invoices issued, %d in QuickBooks", len(ids), len(seen))
		}
		for n, k := range seen {
			if k != 1 {
				t.Fatalf("invoice %s is in QuickBooks %d times", n, k)
			}
		}
	})
}
