package app_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestGBSalesToTheEUAreExports: a GB entity registered for VAT invoices a German business with a
// VAT id. Since 2021 that sale is an export for UK VAT, so GET /vat_rates offers the 0% export rate
// alone, and Xero, QuickBooks and GnuCash book its goods and services lines on their plain zero
// rate (Xero's Zero Rated Income, QuickBooks' 0.0% Z), never on the EC rates their UK books also
// have (for Northern Ireland's trade in goods with the EU). An export line whose
// accounting_tax_rate_id names an EC reverse-charge rate is refused (422) before the invoice is
// written, as the push would refuse it.
func TestGBSalesToTheEUAreExports(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		for _, tc := range []struct {
			platform, sales, zero string
			ec                    []string
		}{
			{"xero", "Sales", "Zero Rated Income", []string{"Zero Rated EC Goods Income", "Zero Rated EC Services"}},
			{"quickbooks", "Services", "0.0% Z", []string{"0.0% ECG", "0.0% ECS"}},
			{"gnucash", "Income:Sales", "VAT 0%", nil},
		} {
			c := s.partner().newEntityIn("GB")
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
			code := map[string]string{}
			for _, r := range rates.Data {
				code[r.Name] = r.Code
			}
			for _, name := range append([]string{tc.zero}, tc.ec...) {
				if code[name] == "" {
					t.Fatalf("%s: no tax rate %q in the new UK books: %+v", tc.platform, name, rates.Data)
				}
			}

			c.do("POST", "/entities/"+c.entityID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB123456789"}, 201, nil)
			var cp struct {
				ID   string `json:"id"`
				Addr string `json:"default_billing_address_id"`
			}
			c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
				"legal_name": "Berlin Beratung GmbH", "is_customer": true, "is_vendor": false, "email": "ap@berlin.example",
				"address": map[string]any{"country": "DE", "city": "Berlin", "postal_code": "10117", "line1": "Unter den Linden 1"}}}, 201, &cp)
			var vat struct{ ID string }
			c.do("POST", "/counterparts/"+cp.ID+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE811907980"}, 201, &vat)
			var offered struct {
				Data []struct {
					ID         string
					Value      int64
					Components []struct{ Name string }
				}
			}
			c.do("GET", "/vat_rates?counterpart_id="+cp.ID, nil, 200, &offered)
			if len(offered.Data) != 1 || offered.Data[0].Value != 0 || len(offered.Data[0].Components) != 1 ||
				!strings.Contains(offered.Data[0].Components[0].Name, "export") {
				t.Fatalf("rates for a German business from a GB entity: %+v, want the one export rate", offered.Data)
			}
			export := offered.Data[0].ID
			line := func(name, typ string, price int) map[string]any {
				return map[string]any{"quantity": 2, "vat_rate_id": export, "product": map[string]any{"name": name, "type": typ,
					"price": map[string]any{"currency": "GBP", "value": price}}}
			}

			if len(tc.ec) > 0 {
				// An export line pointed at an EC reverse-charge rate of the books: refused, nothing written.
				wrong := line("Consulting", "service", 40000)
				wrong["accounting_tax_rate_id"] = c.idByName("/accounting_tax_rates", tc.ec[1])
				var refusal struct {
					Detail []struct {
						Loc []any
						Msg string
					}
				}
				c.do("POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": cp.ID,
					"counterpart_billing_address_id": cp.Addr, "counterpart_vat_id_id": vat.ID, "line_items": []any{wrong}},
					http.StatusUnprocessableEntity, &refusal)
				if len(refusal.Detail) != 1 || !strings.Contains(refusal.Detail[0].Msg, "is an export") ||
					!strings.Contains(refusal.Detail[0].Msg, tc.zero) || strings.Contains(refusal.Detail[0].Msg, "use one of: "+tc.ec[0]) {
					t.Errorf("%s: export line on %s: %+v, want a 422 naming the zero rate that fits", tc.platform, tc.ec[1], refusal)
				}
				var drafts struct{ Data []any }
				if c.do("GET", "/receivables", nil, 200, &drafts); len(drafts.Data) != 0 {
					t.Errorf("%s: the refused invoice was written: %+v", tc.platform, drafts.Data)
				}
			}

			id, number := c.issue(refs{counterpart: cp.ID, address: cp.Addr}, map[string]any{"counterpart_vat_id_id": vat.ID},
				line("Consulting", "service", 40000), line("Printed manuals", "product", 2500))
			if rec := c.record("receivable", id); rec.SyncStatus != "done" {
				t.Fatalf("%s: export invoice: %s", tc.platform, rec)
			}
			switch tc.platform {
			case "xero":
				tenants := s.app.XeroSandbox.Tenants()
				books := s.app.XeroSandbox.Invoices(tenants[len(tenants)-1])
				if len(books) != 1 || books[0].InvoiceNumber != number || len(books[0].LineItems) != 2 || !books[0].TotalTax.IsZero() {
					t.Fatalf("xero: books %+v", books)
				}
				for _, l := range books[0].LineItems {
					if l.TaxType != code[tc.zero] {
						t.Errorf("xero: line %q on %s, want %s (%s)", l.Description, l.TaxType, code[tc.zero], tc.zero)
					}
				}
			case "quickbooks":
				realms := s.app.QuickBooksSandbox.Companies()
				books := s.app.QuickBooksSandbox.Invoices(realms[len(realms)-1])
				if len(books) != 1 || books[0].DocNumber != number {
					t.Fatalf("quickbooks: books %+v", books)
				}
				n := 0
				for _, l := range books[0].Line {
					if d := l.SalesItemLineDetail; d != nil {
						n++
						if d.TaxCodeRef == nil || d.TaxCodeRef.Value != code[tc.zero] {
							t.Errorf("quickbooks: line tax code %+v, want %s (%s)", d.TaxCodeRef, code[tc.zero], tc.zero)
						}
					}
				}
				if n != 2 {
					t.Errorf("quickbooks: %d sales lines, want 2", n)
				}
			case "gnucash":
				out := readBookEntries(t, filepath.Join(s.gnucashDir, c.entityID+".gnucash"))
				if len(out.Invoices) != 1 || len(out.Invoices[0].Entries) != 2 || out.Invoices[0].Tax != "0" || out.Invoices[0].Total != "850" {
					t.Fatalf("gnucash: the engine reads %+v, want two entries, 850.00 with no tax", out.Invoices)
				}
				for _, e := range out.Invoices[0].Entries {
					if e.TaxTable != tc.zero {
						t.Errorf("gnucash: entry on %q, want %q", e.TaxTable, tc.zero)
					}
				}
			}
		}
	})
}
