package app_test

import (
	"strings"
	"testing"
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
		c.do("POST", "/accounting_synced_records/"+rec.ID+"/push", nil, 200, nil)
		rec = c.record("receivable", inv)
		if rec.SyncStatus != "done" {
			t.Fatalf("after PATCH /products/%s: %s", r.product, rec)
		}
		books := s.app.XeroSandbox.Invoices(tenant)
		if len(books) != 1 || books[0].InvoiceNumber != num || books[0].LineItems[0].AccountCode != "200" {
			t.Fatalf("books: %+v", books)
		}
	})
}
