package app_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/store"
	"github.com/shopspring/decimal"
)

// TestXeroStory tells the whole story over HTTP: connect, pull, push, each failure cause with
// its fix and retry, the tax-rate override, payments, invoices issued before connecting, sync on
// demand and reading invoices back.
func TestXeroStory(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r := c.customerAndProduct("Acme Trading Ltd", nil)

		// Issued before the entity connects: not pushed by itself.
		early, _ := c.issue(r, nil, line(r.product, 1, 2000))

		connID, tenant := c.connect()
		var conn struct {
			LastPull *string `json:"last_pull"`
		}
		c.do("GET", "/accounting_connections/"+connID, nil, 200, &conn)
		if conn.LastPull == nil {
			t.Fatal("last_pull not set after the initial sync")
		}
		sales := c.idByName("/ledger_accounts", "Sales")
		bank := c.idByName("/ledger_accounts", "Business Bank Account")

		rec := c.record("receivable", early)
		if rec.SyncStatus != "error" || rec.Errors.Status != "issued_before_connection" {
			t.Fatalf("early invoice record: %+v", rec)
		}

		// 1. No ledger account anywhere: an error that says so and how to fix it.
		inv1, num1 := c.issue(r, nil, line(r.product, 2.5, 2000))
		rec = c.record("receivable", inv1)
		if rec.SyncStatus != "error" || rec.Errors.Status != "ledger_account_not_set" ||
			!strings.HasPrefix(rec.Errors.Message, "Ledger account is not set") ||
			!strings.Contains(rec.Errors.Details[0].Fix, "accounting.ledger_account_ids.products") {
			t.Fatalf("missing ledger account: %+v", rec.Errors)
		}
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
		rec = c.pushAgain(rec)
		if rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
			t.Fatalf("after fixing the ledger account: %s", rec)
		}
		books := s.app.XeroSandbox.Invoices(tenant)
		if len(books) != 1 || books[0].InvoiceNumber != num1 || books[0].InvoiceID != *rec.PlatformObjectID {
			t.Fatalf("books after first push: %+v", books)
		}
		// 2.5 x 123.45 = 308.625 -> 308.63; VAT 20% = 61.73; total 370.36.
		if !books[0].Total.Equal(decimal.RequireFromString("370.36")) || !books[0].TotalTax.Equal(decimal.RequireFromString("61.73")) {
			t.Fatalf("totals in the books: %s %s", books[0].Total, books[0].TotalTax)
		}
		cust := c.record("customer", r.counterpart)
		prod := c.record("product", r.product)
		if cust.SyncStatus != "done" || prod.SyncStatus != "done" || len(s.app.XeroSandbox.Contacts(tenant)) != 1 {
			t.Fatalf("customer and product records: %+v %+v", cust, prod)
		}

		// 2. A tax rate the books do not have.
		inv2, _ := c.issue(r, nil, line(r.product, 1, 700))
		rec = c.record("receivable", inv2)
		if rec.SyncStatus != "error" || rec.Errors.Status != "tax_rate_not_found" || !strings.HasPrefix(rec.Errors.Message, "Tax rate does not exist") {
			t.Fatalf("unknown tax rate: %+v", rec.Errors)
		}
		if _, err := s.app.XeroSandbox.AddTaxRate(context.Background(), tenant, "7% (VAT on Income)", newAmount("7")); err != nil {
			t.Fatal(err)
		}
		c.do("POST", "/accounting_connections/"+connID+"/sync", nil, 202, nil)
		c.waitFor("the 7% rate to be pulled", func() bool {
			var l struct {
				Data []struct {
					EffectiveTaxRate int64 `json:"effective_tax_rate"`
				}
			}
			c.do("GET", "/accounting_tax_rates", nil, 200, &l)
			for _, d := range l.Data {
				if d.EffectiveTaxRate == 700 {
					return true
				}
			}
			return false
		})
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("after adding the 7%% rate: %+v", rec)
		}

		// 3. accounting_tax_rate_id decides, even against the default choice for 0%.
		exempt := c.idByName("/accounting_tax_rates", "Exempt Income")
		l := line(r.product, 1, 0)
		l["accounting_tax_rate_id"] = exempt
		inv3, num3 := c.issue(r, nil, l, line(r.product, 1, 0))
		if rec = c.record("receivable", inv3); rec.SyncStatus != "done" {
			t.Fatalf("override: %+v", rec)
		}
		for _, b := range s.app.XeroSandbox.Invoices(tenant) {
			if b.InvoiceNumber == num3 && (b.LineItems[0].TaxType != "EXEMPTOUTPUT" || b.LineItems[1].TaxType != "ZERORATEDOUTPUT") {
				t.Fatalf("tax types of the override invoice: %s %s", b.LineItems[0].TaxType, b.LineItems[1].TaxType)
			}
		}

		// 4. A deduction needs accounting.tax_ids.deductions.
		inv4, num4 := c.issue(r, map[string]any{"deduction_amount": 1000, "deduction_memo": "Withholding"}, line(r.product, 1, 2000))
		rec = c.record("receivable", inv4)
		if rec.SyncStatus != "error" || rec.Errors.Status != "deduction_tax_rate_not_set" {
			t.Fatalf("deduction without setting: %+v", rec.Errors)
		}
		noVAT := c.idByName("/accounting_tax_rates", "No VAT")
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{"tax_ids": map[string]any{"deductions": noVAT}}}, 200, nil)
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("deduction after setting: %+v", rec)
		}
		for _, b := range s.app.XeroSandbox.Invoices(tenant) {
			// 123.45 + 24.69 VAT - 10.00 deduction = 138.14 owed.
			if b.InvoiceNumber == num4 && !b.Total.Equal(decimal.RequireFromString("138.14")) {
				t.Fatalf("deduction invoice total in the books: %s", b.Total)
			}
		}

		// The early invoice is sent when its record is pushed.
		rec = c.record("receivable", early)
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("early invoice after push: %+v", rec)
		}

		// 5. A payment of a pushed invoice lands in the bank account.
		var pay struct{ ID string }
		c.do("POST", "/payment_records", map[string]any{"amount": 10000, "currency": "GBP", "object": map[string]any{"id": inv1, "type": "receivable"}}, 201, &pay)
		if rec = c.record("payment_record", pay.ID); rec.SyncStatus != "done" {
			t.Fatalf("payment record: %+v", rec)
		}
		if ps := s.app.XeroSandbox.Payments(tenant); len(ps) != 1 || !ps[0].Amount.Equal(decimal.RequireFromString("100")) {
			t.Fatalf("payments in the books: %+v", ps)
		}

		// Every invoice is in the books exactly once.
		seen := map[string]int{}
		for _, b := range s.app.XeroSandbox.Invoices(tenant) {
			seen[b.InvoiceNumber]++
		}
		if len(seen) != 5 {
			t.Fatalf("invoices in the books: %v", seen)
		}
		for n, k := range seen {
			if k != 1 {
				t.Fatalf("invoice %s is in the books %d times", n, k)
			}
		}

		// Read-through.
		var remote struct {
			Data []struct {
				ID            string `json:"id"`
				InvoiceNumber string `json:"invoice_number"`
			}
		}
		c.do("GET", "/accounting/receivables?limit=10", nil, 200, &remote)
		if len(remote.Data) != 5 {
			t.Fatalf("read-through list: %d invoices", len(remote.Data))
		}
		var one struct {
			InvoiceNumber string `json:"invoice_number"`
			Lines         []any  `json:"lines"`
		}
		c.do("GET", "/accounting/receivables/"+remote.Data[0].ID, nil, 200, &one)
		if one.InvoiceNumber != remote.Data[0].InvoiceNumber || len(one.Lines) == 0 {
			t.Fatalf("read-through one: %+v", one)
		}

		// The metrics count what the pushes settled.
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`booksync_synced_records_total{object_type="receivable",outcome="done",platform="xero"}`,
			`booksync_synced_records_total{object_type="receivable",outcome="ledger_account_not_set",platform="xero"} 1`,
			`booksync_http_requests_total{operation="post_receivables_id_issue",status="200"}`} {
			if !strings.Contains(string(body), want) {
				t.Fatalf("/metrics lacks %s", want)
			}
		}
		// On SQLite they show how busy the one writer has been; PostgreSQL has no such writer.
		sqlite := s.app.Store.Dialect() == store.DialectSQLite
		for _, name := range []string{"booksync_sqlite_writer_transactions_total", "booksync_sqlite_writer_calls_total",
			"booksync_sqlite_writer_busy_seconds_total", "booksync_sqlite_writer_commit_seconds_total"} {
			shown, value := false, 0.0
			for _, line := range strings.Split(string(body), "\n") {
				if v, ok := strings.CutPrefix(line, name+" "); ok {
					shown = true
					value, _ = strconv.ParseFloat(v, 64)
				}
			}
			if shown != sqlite || (sqlite && value <= 0) {
				t.Fatalf("/metrics on %s: %s shown %v, value %g", s.app.Store.Dialect(), name, shown, value)
			}
		}

		// Synced records: object_type is required; another entity sees none of them.
		c.do("GET", "/accounting_synced_records", nil, 422, nil)
		other := s.partner().newEntity()
		other.do("GET", "/accounting_synced_records/"+rec.ID, nil, 404, nil)
		other.do("POST", "/accounting_synced_records/"+rec.ID+"/push", nil, 404, nil)
		other.do("GET", "/accounting_connections/"+connID, nil, 404, nil)
		// One active connection per entity.
		c.do("POST", "/accounting_connections", nil, 409, nil)
		c.do("POST", "/accounting_connections/"+connID+"/disconnect", nil, 200, nil)
		c.do("POST", "/accounting_connections/"+connID+"/sync", nil, 409, nil)
	})
}
