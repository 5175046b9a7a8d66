package app_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// euroSale creates a customer and a product priced in cur, and issues an invoice of two of them at
// the VAT rate (basis points); it returns the invoice's id, number and booksync's totals in minor
// units.
func (c *client) euroSale(cur string, vat int) (id, number string, total, tax int64) {
	c.s.t.Helper()
	var cp struct {
		ID   string `json:"id"`
		Addr string `json:"default_billing_address_id"`
	}
	c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": "Kunde " + uuid.NewString()[:8] + " GmbH", "is_customer": true, "is_vendor": false, "email": "ap@kunde.example",
		"address": map[string]any{"country": "DE", "city": "Berlin", "postal_code": "10117", "line1": "Unter den Linden 1"}}}, 201, &cp)
	var p struct{ ID string }
	c.do("POST", "/products", map[string]any{"name": "Beratung " + uuid.NewString()[:8], "type": "service", "price": map[string]any{"currency": cur, "value": 12345}}, 201, &p)
	id, number = c.issue(refs{cp.ID, cp.Addr, p.ID}, map[string]any{"currency": cur}, line(p.ID, 2, vat))
	var inv struct {
		TotalAmount    int64 `json:"total_amount"`
		TotalVATAmount int64 `json:"total_vat_amount"`
	}
	c.do("GET", "/receivables/"+id, nil, 200, &inv)
	return id, number, inv.TotalAmount, inv.TotalVATAmount
}

// minor is a books amount in minor units of a two-decimal currency.
func minor(t *testing.T, d decimal.Decimal) int64 {
	t.Helper()
	m := d.Shift(2)
	if !m.IsInteger() {
		t.Fatalf("%s is not a whole number of cents", d)
	}
	return m.IntPart()
}

// sandboxPost posts a JSON body to a sandbox page with the partner's bearer token, as a script
// does.
func (c *client) sandboxPost(path, body string) string {
	c.s.t.Helper()
	req, _ := http.NewRequest("POST", c.s.url+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		c.s.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b.String())
	}
	return b.String()
}

// TestGermanEntityInXero connects a German entity to Xero with a plain consent (no country
// chosen): booksync's connection_url names the entity's country, so the organisation is a German
// one in EUR, and a 19% invoice pushes with booksync's totals.
func TestGermanEntityInXero(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntityIn("DE")
		_, tenant := c.connect()
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": c.idByName("/ledger_accounts", "Sales")}}}, 200, nil)
		id, number, total, tax := c.euroSale("EUR", 1900)
		if rec := c.record("receivable", id); rec.SyncStatus != "done" {
			t.Fatalf("EUR invoice in a German organisation: %s", rec)
		}
		books := s.app.XeroSandbox.Invoices(tenant)
		if len(books) != 1 || books[0].InvoiceNumber != number || books[0].CurrencyCode != "EUR" || books[0].CurrencyRate.String() != "1" {
			t.Fatalf("books: %+v", books)
		}
		if got := minor(t, books[0].Total.Decimal); got != total {
			t.Errorf("total in Xero %d, booksync %d", got, total)
		}
		if got := minor(t, books[0].TotalTax.Decimal); got != tax {
			t.Errorf("tax in Xero %d, booksync %d", got, tax)
		}
		if books[0].LineItems[0].TaxType != "TAX001" {
			t.Errorf("line tax type %s, want TAX001 (19%%)", books[0].LineItems[0].TaxType)
		}
	})
}

// TestEuroInvoiceAfterMultiCurrency: a GB entity's EUR invoice is refused by Xero and QuickBooks
// until the partner's script enables the currency in the sandbox; after that an EUR invoice is
// booked in EUR with the sandbox's exchange rate, with booksync's totals.
func TestEuroInvoiceAfterMultiCurrency(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		t.Run("xero", func(t *testing.T) {
			c := s.partner().newEntity()
			_, tenant := c.connect()
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": c.idByName("/ledger_accounts", "Sales")}}}, 200, nil)
			id, number, total, tax := c.euroSale("EUR", 2000)
			rec := c.record("receivable", id)
			if rec.SyncStatus != "error" || rec.Errors.Status != "currency_not_enabled" ||
				!strings.Contains(rec.Errors.Details[0].Fix, "/sandbox/xero/orgs/{tenant}/currencies") {
				t.Fatalf("EUR invoice before multi-currency: %s", rec)
			}
			// The fix made in the books, the same invoice pushed again goes through (its request
			// is not answered with the refusal stored for the first push's idempotency key).
			c.sandboxPost("/sandbox/xero/orgs/"+tenant+"/currencies", `{"code": "EUR"}`)
			if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
				t.Fatalf("EUR invoice pushed again after multi-currency: %s", rec)
			}
			books := s.app.XeroSandbox.Invoices(tenant)
			if len(books) != 1 || books[0].InvoiceNumber != number || books[0].CurrencyCode != "EUR" || books[0].CurrencyRate.String() != "1.176471" {
				t.Fatalf("books: %+v", books)
			}
			if minor(t, books[0].Total.Decimal) != total || minor(t, books[0].TotalTax.Decimal) != tax {
				t.Errorf("Xero %s/%s, booksync %d/%d", books[0].Total, books[0].TotalTax, total, tax)
			}
		})
		t.Run("quickbooks", func(t *testing.T) {
			c := s.partner().newEntity()
			c.connectPlatform("quickbooks", url.Values{})
			companies := s.app.QuickBooksSandbox.Companies()
			realm := companies[len(companies)-1]
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": c.idByName("/ledger_accounts", "Sales of Product Income")}}}, 200, nil)
			id, number, total, tax := c.euroSale("EUR", 2000)
			rec := c.record("receivable", id)
			if rec.SyncStatus != "error" || !strings.Contains(rec.Errors.Details[0].Fix, "/sandbox/quickbooks/companies/{realm}/multicurrency") {
				t.Fatalf("EUR invoice before multicurrency: %s", rec)
			}
			c.sandboxPost("/sandbox/quickbooks/companies/"+realm+"/multicurrency", "")
			if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
				t.Fatalf("EUR invoice pushed again after multicurrency: %s", rec)
			}
			books := s.app.QuickBooksSandbox.Invoices(realm)
			if len(books) != 1 || books[0].DocNumber != number || books[0].CurrencyRef.Value != "EUR" || books[0].ExchangeRate.String() != "0.85" {
				t.Fatalf("books: %+v", books)
			}
			if minor(t, books[0].TotalAmt.Decimal) != total || minor(t, books[0].TxnTaxDetail.TotalTax.Decimal) != tax {
				t.Errorf("QuickBooks %s/%s, booksync %d/%d", books[0].TotalAmt, books[0].TxnTaxDetail.TotalTax, total, tax)
			}
		})
	})
}
