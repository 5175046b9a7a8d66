package app_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReverseChargeInEveryBooks: a German entity registered for VAT invoices a French business
// with a VAT id at the reverse-charge rate GET /vat_rates offers. Xero, QuickBooks and GnuCash each
// book the line with their own reverse-charge rate (which their sandboxes and new books have, as
// the platforms set them up), not with the plain zero rate, and the customer carries the VAT id as
// its tax number (in GnuCash, which has no such field, in the customer's notes).
func TestReverseChargeInEveryBooks(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		for _, tc := range []struct{ platform, sales, reverseCharge string }{
			{"xero", "Sales", "VAT 0% reverse charge (EU)"},
			{"quickbooks", "Services", "0.0% ECS"},
			{"gnucash", "Income:Sales", "USt 0% reverse charge (EU)"},
		} {
			c := s.partner().newEntityIn("DE")
			if tc.platform == "gnucash" {
				c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, nil)
				c.waitFor("the initial pull", func() bool {
					var l struct{ Data []any }
					c.do("GET", "/accounting_tax_rates", nil, 200, &l)
					return len(l.Data) > 0
				})
			} else {
				c.connectPlatform(tc.platform, nil)
			}
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": c.idByName("/ledger_accounts", tc.sales)}}}, 200, nil)
			var rates struct {
				Data []struct{ ID, Code, Name string }
			}
			c.do("GET", "/accounting_tax_rates?limit=100", nil, 200, &rates)
			var code string
			for _, r := range rates.Data {
				if r.Name == tc.reverseCharge {
					code = r.Code
				}
			}
			if code == "" {
				t.Fatalf("%s: no tax rate %q in the new books: %+v", tc.platform, tc.reverseCharge, rates.Data)
			}

			c.do("POST", "/entities/"+c.entityID+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE123456789"}, 201, nil)
			var cp struct {
				ID   string `json:"id"`
				Addr string `json:"default_billing_address_id"`
			}
			c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
				"legal_name": "Paris Conseil SAS", "is_customer": true, "is_vendor": false, "email": "ap@paris.example",
				"address": map[string]any{"country": "FR", "city": "Paris", "postal_code": "75001", "line1": "1 Rue de Rivoli"}}}, 201, &cp)
			var vat struct{ ID string }
			c.do("POST", "/counterparts/"+cp.ID+"/vat_ids", map[string]any{"country": "FR", "type": "eu_vat", "value": "FR12345678901"}, 201, &vat)
			var offered struct {
				Data []struct {
					ID    string
					Value int64
				}
			}
			c.do("GET", "/vat_rates?counterpart_id="+cp.ID, nil, 200, &offered)
			if len(offered.Data) != 1 || offered.Data[0].Value != 0 {
				t.Fatalf("rates for a French business with a VAT id: %+v, want the one reverse charge", offered.Data)
			}
			id, number := c.issue(refs{counterpart: cp.ID, address: cp.Addr}, map[string]any{"currency": "EUR", "counterpart_vat_id_id": vat.ID},
				map[string]any{"quantity": 3, "vat_rate_id": offered.Data[0].ID, "product": map[string]any{"name": "Beratung", "type": "service",
					"price": map[string]any{"currency": "EUR", "value": 50000}}})
			if rec := c.record("receivable", id); rec.SyncStatus != "done" {
				t.Fatalf("%s: reverse-charged invoice: %s", tc.platform, rec)
			}

			switch tc.platform {
			case "xero":
				tenants := s.app.XeroSandbox.Tenants()
				tenant := tenants[len(tenants)-1]
				books := s.app.XeroSandbox.Invoices(tenant)
				if len(books) != 1 || books[0].InvoiceNumber != number || books[0].LineItems[0].TaxType != code || !books[0].TotalTax.IsZero() {
					t.Errorf("xero: books %+v, want the line on %s with no tax", books, code)
				}
				contacts := s.app.XeroSandbox.Contacts(tenant)
				if len(contacts) != 1 || contacts[0].TaxNumber != "FR12345678901" {
					t.Errorf("xero: contacts %+v, want the customer with its VAT id as TaxNumber", contacts)
				}
			case "quickbooks":
				realms := s.app.QuickBooksSandbox.Companies()
				realm := realms[len(realms)-1]
				books := s.app.QuickBooksSandbox.Invoices(realm)
				if len(books) != 1 || books[0].DocNumber != number {
					t.Fatalf("quickbooks: books %+v", books)
				}
				for _, l := range books[0].Line {
					if d := l.SalesItemLineDetail; d != nil && (d.TaxCodeRef == nil || d.TaxCodeRef.Value != code) {
						t.Errorf("quickbooks: line tax code %+v, want %s (%s)", d.TaxCodeRef, code, tc.reverseCharge)
					}
				}
				customers := s.app.QuickBooksSandbox.Customers(realm)
				if len(customers) != 1 || customers[0].PrimaryTaxIdentifier != "FR12345678901" {
					t.Errorf("quickbooks: customers %+v, want the VAT id as PrimaryTaxIdentifier", customers)
				}
			case "gnucash":
				out := readBookEntries(t, filepath.Join(s.gnucashDir, c.entityID+".gnucash"))
				if len(out.Invoices) != 1 || len(out.Invoices[0].Entries) != 1 || out.Invoices[0].Entries[0].TaxTable != tc.reverseCharge ||
					out.Invoices[0].Tax != "0" || out.Invoices[0].Total != "1500" {
					t.Errorf("gnucash: the engine reads %+v, want one entry on %q, 1500.00 with no tax", out.Invoices, tc.reverseCharge)
				}
				if len(out.Customers) != 1 || out.Customers[0].Notes != "Tax number: FR12345678901" {
					t.Errorf("gnucash: the engine reads customers %+v, want the VAT id in the customer's notes", out.Customers)
				}
			}
		}
	})
}

// readBookEntries reads a book's invoices and their entries with the real GnuCash engine.
func readBookEntries(t *testing.T, path string) (out struct {
	Customers []struct{ Name, Notes string }
	Invoices  []struct {
		Tax, Total string
		Entries    []struct {
			TaxTable string `json:"taxtable"`
		}
	}
}) {
	t.Helper()
	readWithGnuCash(t, path) // skips, or fails under BOOKSYNC_REQUIRE_GNUCASH, without the engine
	b, err := exec.Command("/usr/bin/python3", filepath.Join("..", "platform", "gnucash", "testdata", "readbook.py"), path).Output()
	if err != nil {
		t.Fatalf("readbook.py: %v", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
