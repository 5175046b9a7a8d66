package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestFixedProductFixesThePush follows a push error's fix to the letter: an invoice line whose
// catalog product has no ledger account (and no entity default) is refused with a fix that says
// to PATCH the product; after that PATCH, pushing the record again books the invoice.
func TestFixedProductFixesThePush(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		_, tenant := c.connect()
		r := c.customerAndProduct("Acme Trading Ltd", nil)
		inv, num := c.issue(r, nil, line(r.product, 2, 2000))
		rec := c.record("receivable", inv)
		if rec.SyncStatus != "error" || rec.Errors.Status != "ledger_account_not_set" ||
			!strings.Contains(rec.Errors.Details[0].Fix, "PATCH /products/"+r.product) {
			t.Fatalf("line without a ledger account: %s", rec)
		}
		sales := c.idByName("/ledger_accounts", "Sales")
		c.do("PATCH", "/products/"+r.product, map[string]any{"ledger_account_id": sales}, 200, nil)
		rec = c.pushAgain(rec)
		if rec.SyncStatus != "done" {
			t.Fatalf("after PATCH /products/%s: %s", r.product, rec)
		}
		books := s.app.XeroSandbox.Invoices(tenant)
		if len(books) != 1 || books[0].InvoiceNumber != num || books[0].LineItems[0].AccountCode != "200" {
			t.Fatalf("books: %+v", books)
		}
	})
}

// TestDeletedProductFixIsTheDefault: when an issued line's catalog product has been deleted,
// PATCH /products/{id} answers 404, so the push's fix names only the entity default; following it
// books the invoice.
func TestDeletedProductFixIsTheDefault(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		_, tenant := c.connect()
		r := c.customerAndProduct("Acme Trading Ltd", nil)
		inv, num := c.issue(r, nil, line(r.product, 2, 2000))
		c.do("DELETE", "/products/"+r.product, nil, 204, nil)
		c.do("PATCH", "/products/"+r.product, map[string]any{"name": "Gone"}, 404, nil)
		rec := c.record("receivable", inv)
		rec = c.pushAgain(rec)
		sales := c.idByName("/ledger_accounts", "Sales")
		if rec.SyncStatus != "error" || rec.Errors.Status != "ledger_account_not_set" ||
			strings.Contains(rec.Errors.Details[0].Fix, "/products/") ||
			!strings.Contains(rec.Errors.Details[0].Fix, "accounting.ledger_account_ids.products") ||
			!strings.Contains(rec.Errors.Details[0].Fix, "Sales ("+sales+")") {
			t.Fatalf("a deleted product without an account: %s", rec)
		}
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": sales}}}, 200, nil)
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("after setting the default: %s", rec)
		}
		books := s.app.XeroSandbox.Invoices(tenant)
		if len(books) != 1 || books[0].InvoiceNumber != num || books[0].LineItems[0].AccountCode != "200" {
			t.Fatalf("books: %+v", books)
		}
	})
}

// TestTaxRateOverrideNeverBooksAnotherTax pushes a line of 12.34% whose accounting_tax_rate_id
// names a 20% rate into each ledger. Xero (line TaxAmount) and QuickBooks (TxnTaxDetail) book the
// tax booksync sends, so the invoice goes with booksync's figures; GnuCash computes tax from the
// rate, so the invoice is refused before the push with the cause and the fix, and the book stays
// empty. Nowhere does a wrong invoice reach the books.
func TestTaxRateOverrideNeverBooksAnotherTax(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		for _, p := range []struct {
			platform, sales, rate string
			sent                  bool
		}{
			{"xero", "Sales", "20% (VAT on Income)", true},
			{"quickbooks", "Sales of Product Income", "20.0% S", true},
			{"gnucash", "Income:Sales", "VAT 20%", false},
		} {
			c := s.partner().newEntity()
			var realm, tenant string
			switch p.platform {
			case "xero":
				_, tenant = c.connect()
			case "quickbooks":
				c.connectPlatform("quickbooks", nil)
				companies := s.app.QuickBooksSandbox.Companies()
				realm = companies[len(companies)-1]
			default:
				c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, nil)
				c.waitFor("the initial pull", func() bool {
					var l struct{ Data []any }
					c.do("GET", "/accounting_tax_rates", nil, 200, &l)
					return len(l.Data) > 0
				})
			}
			r := c.customerAndProduct("Acme Trading Ltd", ptr(c.idByName("/ledger_accounts", p.sales)))
			twenty := c.idByName("/accounting_tax_rates", p.rate)
			l := line(r.product, 1, 1234)
			l["accounting_tax_rate_id"] = twenty
			id, num := c.issue(r, nil, l)
			rec := c.record("receivable", id)
			var inv struct {
				TotalVATAmount int64 `json:"total_vat_amount"`
			}
			c.do("GET", "/receivables/"+id, nil, 200, &inv)
			if inv.TotalVATAmount != 1523 { // 123.45 x 12.34%
				t.Fatalf("%s: booksync's tax %d", p.platform, inv.TotalVATAmount)
			}
			if p.sent {
				if rec.SyncStatus != "done" {
					t.Fatalf("%s: %s", p.platform, rec)
				}
				if p.platform == "xero" {
					books := s.app.XeroSandbox.Invoices(tenant)
					if len(books) != 1 || books[0].InvoiceNumber != num || books[0].TotalTax.StringFixed(2) != "15.23" || books[0].LineItems[0].TaxType != "OUTPUT2" {
						t.Fatalf("xero: books %+v", books)
					}
					continue
				}
				books := s.app.QuickBooksSandbox.Invoices(realm)
				if len(books) != 1 || books[0].DocNumber != num || books[0].TxnTaxDetail.TotalTax.StringFixed(2) != "15.23" ||
					books[0].TotalAmt.StringFixed(2) != "138.68" {
					t.Fatalf("quickbooks: books %+v", books)
				}
				continue
			}
			if rec.SyncStatus != "error" || rec.Errors.Status != "tax_rate_mismatch" ||
				!strings.HasPrefix(rec.Errors.Message, "Tax rate differs: line 1 (Consulting) is taxed at 12.34% but its accounting_tax_rate_id "+twenty) ||
				rec.Errors.Details[0].Field != "line_items[0].accounting_tax_rate_id" ||
				!strings.Contains(rec.Errors.Details[0].Fix, "/receivables/"+id+"/cancel") {
				t.Fatalf("%s: %s", p.platform, rec)
			}
			if b := readWithGnuCash(t, filepath.Join(s.gnucashDir, c.entityID+".gnucash")); len(b.Invoices) != 0 {
				t.Fatalf("GnuCash holds %d invoices", len(b.Invoices))
			}
		}
	})
}

// TestPurchaseRateOverrideSaysSo: with Xero connected and pulled, a line naming a purchase-only
// rate is refused when the invoice is created (an issued invoice with it could only be canceled),
// saying what the rate is for and which sales rates would do, not "Tax rate does not exist"; so
// is a Xero bank account as the products account, which Xero refuses on invoice lines.
func TestPurchaseRateOverrideSaysSo(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		_, tenant := c.connect()
		r := c.customerAndProduct("Acme Trading Ltd", ptr(c.idByName("/ledger_accounts", "Sales")))
		l := line(r.product, 1, 2000)
		purchase := c.idByName("/accounting_tax_rates", "20% (VAT on Expenses)")
		l["accounting_tax_rate_id"] = purchase
		sales := c.idByName("/accounting_tax_rates", "20% (VAT on Income)")
		body := c.do("POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": r.counterpart,
			"counterpart_billing_address_id": r.address, "line_items": []any{l}}, 422, nil)
		if text := string(body); !strings.Contains(text, `"loc":["body","line_items",0,"accounting_tax_rate_id"]`) ||
			!strings.Contains(text, "line_items[0].accounting_tax_rate_id: tax rate "+purchase+" (20% (VAT on Expenses)) is for purchases only") ||
			!strings.Contains(text, "20% (VAT on Income) ("+sales+", 20%)") {
			t.Fatalf("purchase-only override: %s", text)
		}
		bank := c.idByName("/ledger_accounts", "Business Bank Account")
		body = c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": bank}}}, 422, nil)
		if text := string(body); !strings.Contains(text, "accounting.ledger_account_ids.products: ledger account "+bank+" (Business Bank Account) cannot take sales") ||
			!strings.Contains(text, "Sales ("+c.idByName("/ledger_accounts", "Sales")+")") || strings.Contains(text, c.idByName("/ledger_accounts", "Drawings")) {
			t.Fatalf("bank account for products: %s", text)
		}
		var list struct{ Data []any }
		c.do("GET", "/receivables", nil, 200, &list)
		if len(list.Data) != 0 || len(s.app.XeroSandbox.Invoices(tenant)) != 0 {
			t.Fatalf("a refused invoice was kept: %d invoices, %d in Xero", len(list.Data), len(s.app.XeroSandbox.Invoices(tenant)))
		}
	})
}

// TestIDsSetBeforeConnectingAreCheckedAtPush: ids set while the entity had no connection (a
// product's ledger account, the default products account, the deductions tax rate, a line's
// accounting_tax_rate_id) are not the connection's. Pushing the invoice reports every one of
// them, each with the setting or endpoint to change and the valid choices, and sends nothing.
func TestIDsSetBeforeConnectingAreCheckedAtPush(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		stale := func() string { return uuid.NewString() }
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": stale()}, "tax_ids": map[string]any{"deductions": stale()}}}, 200, nil)
		r := c.customerAndProduct("Acme Trading Ltd", ptr(stale()))
		catalog := line(r.product, 1, 2000)
		catalog["accounting_tax_rate_id"] = stale()
		inline := map[string]any{"quantity": 1, "tax_rate_value": 2000,
			"product": map[string]any{"name": "Travel", "price": map[string]any{"currency": "GBP", "value": 999}}}
		id, _ := c.issue(r, map[string]any{"deduction_amount": 500}, catalog, inline)

		_, tenant := c.connect()
		rec := c.record("receivable", id)
		rec = c.pushAgain(rec)
		if rec.SyncStatus != "error" || rec.Errors == nil {
			t.Fatalf("stale ids: %s", rec)
		}
		sales := "Sales (" + c.idByName("/ledger_accounts", "Sales") + ")"
		vat := "20% (VAT on Income) (" + c.idByName("/accounting_tax_rates", "20% (VAT on Income)") + ", 20%)"
		want := []struct{ field, message, fix, choice string }{
			{"line_items[0].product.ledger_account_id", "Ledger account ", "PATCH /products/" + r.product, sales},
			{"line_items[0].accounting_tax_rate_id", "Tax rate does not exist", "line_items[0].accounting_tax_rate_id", vat},
			{"settings.accounting.ledger_account_ids.products", "Ledger account ", "accounting.ledger_account_ids.products (PATCH /entities/" + c.entityID + "/settings)", sales},
			{"settings.accounting.tax_ids.deductions", "Tax rate does not exist", "accounting.tax_ids.deductions (PATCH /entities/" + c.entityID + "/settings)", vat},
		}
		if len(rec.Errors.Details) != len(want) {
			t.Fatalf("stale ids: %s", rec)
		}
		for i, w := range want {
			d := rec.Errors.Details[i]
			if d.Field != w.field || !strings.HasPrefix(d.Message, w.message) || !strings.Contains(d.Fix, w.fix) || !strings.Contains(d.Fix, w.choice) {
				t.Errorf("detail %d = %+v, want %+v", i, d, w)
			}
		}
		if n, m := len(s.app.XeroSandbox.Invoices(tenant)), len(s.app.XeroSandbox.Contacts(tenant)); n != 0 || m != 0 {
			t.Fatalf("Xero holds %d invoices and %d contacts", n, m)
		}
	})
}
