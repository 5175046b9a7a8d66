package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/google/uuid"
)

// books is what a pull stored for an entity's connection: ids of its ledger accounts and tax rates.
type books struct {
	sales, bank, archivedAccount, placeholder, drawings, rate, archivedRate, purchaseRate string
}

// connectBooks gives the session's entity a connected connection whose pull stored a small chart
// of accounts and tax rates, as the engine's pull does, and returns their ids.
func (s *session) connectBooks(status string) books {
	s.h.t.Helper()
	ctx := context.Background()
	tenant := uuid.NewString()
	now := time.Now()
	c := &booksync.Connection{ID: uuid.NewString(), EntityID: s.entityID, Platform: booksync.PlatformXero, Status: status,
		TenantID: tenant, CreatedAt: now, UpdatedAt: now}
	if status == booksync.ConnectionConnected {
		c.LastPull = &now
	}
	if err := s.h.store.CreateConnection(ctx, c, uuid.NewString()); err != nil {
		s.h.t.Fatal(err)
	}
	id := func(kind, key string) string {
		return booksync.StableID(s.entityID, booksync.PlatformXero, tenant, kind, key)
	}
	b := books{sales: id("account", "200"), bank: id("account", "090"), archivedAccount: id("account", "201"),
		placeholder: id("account", "4000"), drawings: id("account", "880"),
		rate: id("tax", "OUTPUT2"), archivedRate: id("tax", "OLD"), purchaseRate: id("tax", "INPUT2")}
	// As the connectors pull them: Type is Monite's (an income account is "Income"), and an
	// account the books refuse on invoice lines says why.
	accounts := []booksync.LedgerAccount{
		{ID: b.sales, PlatformID: "200", Name: "Sales", Type: "Income", Status: "Active"},
		{ID: b.bank, PlatformID: "090", Name: "Business Bank Account", Type: "Asset", Status: "Active", IsBank: true, PaymentsAllowed: true,
			SalesRefusal: "Xero does not book invoice lines to bank accounts"},
		{ID: b.archivedAccount, PlatformID: "201", Name: "Old Sales", Type: "Income", Status: "Archived"},
		{ID: b.placeholder, PlatformID: "4000", Name: "Income", Type: "Income", Status: "Active",
			SalesRefusal: "it is a placeholder in GnuCash, which groups accounts and takes no postings"},
		{ID: b.drawings, PlatformID: "880", Name: "Drawings", Type: "Equity", Status: "Active"},
	}
	rates := []booksync.AccountingTaxRate{
		{ID: b.rate, Code: "OUTPUT2", Name: "20% (VAT on Income)", Status: "Active", EffectiveTaxRate: 2000, TotalTaxRate: 2000, Revenue: true},
		{ID: b.archivedRate, Code: "OLD", Name: "17.5% (old)", Status: "Archived", EffectiveTaxRate: 1750, TotalTaxRate: 1750, Revenue: true},
		{ID: b.purchaseRate, Code: "INPUT2", Name: "20% (VAT on Expenses)", Status: "Active", EffectiveTaxRate: 2000, TotalTaxRate: 2000},
	}
	if err := s.h.store.ReplacePulled(ctx, c, rates, accounts); err != nil {
		s.h.t.Fatal(err)
	}
	return b
}

// TestAccountingIDsAreTheEntitysOwn sets ledger accounts and tax rates in settings, products and
// lines: with connected books, an id that is not one of the entity's own active accounts or rates
// (another entity's or another partner's included) is a 422 naming the field that changes
// nothing; without connected books any id is kept for the push to check.
func TestAccountingIDsAreTheEntitysOwn(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.partner(), h.partner()
		a := alice.newEntity("Alpha Books Ltd", "GB")
		sibling := alice.newEntity("Alpha Sister Ltd", "GB")
		other := bob.newEntity("Bravo Books Ltd", "GB")
		mine, theirs, foreign := a.connectBooks(booksync.ConnectionConnected), sibling.connectBooks(booksync.ConnectionConnected), other.connectBooks(booksync.ConnectionConnected)
		f := a.fixture("GBP", 10000)
		inv := a.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
		settingsPath := "/entities/" + a.entityID + "/settings"
		settings := func() string { return string(a.do("GET", settingsPath, nil, 200, nil).body) }

		type refused struct{ body, field string }
		settingsCases := []refused{
			{`{"accounting": {"ledger_account_ids": {"products": "` + theirs.sales + `"}}}`, "products"},
			{`{"accounting": {"ledger_account_ids": {"products": "` + foreign.sales + `"}}}`, "products"},
			{`{"accounting": {"ledger_account_ids": {"products": "` + uuid.NewString() + `"}}}`, "products"},
			{`{"accounting": {"ledger_account_ids": {"products": "` + mine.archivedAccount + `"}}}`, "products"},
			{`{"accounting": {"ledger_account_ids": {"payments": "` + mine.sales + `"}}}`, "payments"},
			{`{"accounting": {"ledger_account_ids": {"payments": "` + foreign.bank + `"}}}`, "payments"},
			{`{"accounting": {"tax_ids": {"deductions": "` + foreign.rate + `"}}}`, "deductions"},
			{`{"accounting": {"tax_ids": {"deductions": "` + theirs.rate + `"}}}`, "deductions"},
			{`{"accounting": {"tax_ids": {"deductions": "` + mine.archivedRate + `"}}}`, "deductions"},
			// One bad id among good ones changes none of them.
			{`{"vat_mode": "inclusive", "accounting": {"ledger_account_ids": {"products": "` + mine.sales + `", "payments": "` + theirs.bank + `"}}}`, "payments"},
		}
		for _, c := range settingsCases {
			before := settings()
			r := a.raw("PATCH", settingsPath, strings.NewReader(c.body), nil)
			if r.status != 422 || !strings.Contains(string(r.body), `"loc":["body","accounting",`) || !strings.Contains(string(r.body), `"`+c.field+`"]`) {
				t.Errorf("PATCH settings %s: %d %s; want a 422 at %s", c.body, r.status, r.body, c.field)
			}
			if after := settings(); after != before {
				t.Errorf("PATCH settings %s was refused but changed the settings:\n%s\n%s", c.body, before, after)
			}
		}
		var st booksync.Settings
		a.do("PATCH", settingsPath, map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": strings.ToUpper(mine.sales), "payments": mine.bank},
			"tax_ids":            map[string]any{"deductions": mine.rate}}}, 200, &st)
		if *st.Accounting.LedgerAccountIDs.Products != mine.sales || *st.Accounting.LedgerAccountIDs.Payments != mine.bank || *st.Accounting.TaxIDs.Deductions != mine.rate {
			t.Errorf("settings with the entity's own ids: %+v", st.Accounting)
		}

		// Products, catalog and inline, and lines.
		products := func() string { return string(a.do("GET", "/products", nil, 200, nil).body) }
		for _, id := range []string{theirs.sales, foreign.sales, mine.archivedAccount} {
			before := products()
			for _, req := range []struct{ method, path string }{{"POST", "/products"}, {"PATCH", "/products/" + f.productID}} {
				r := a.raw(req.method, req.path, strings.NewReader(`{"name": "P", "price": {"currency": "GBP", "value": 1}, "ledger_account_id": "`+id+`"}`), nil)
				if r.status != 422 || !strings.Contains(string(r.body), `"loc":["body","ledger_account_id"]`) {
					t.Errorf("%s %s with ledger account %s: %d %s", req.method, req.path, id, r.status, r.body)
				}
			}
			if after := products(); after != before {
				t.Errorf("refused product requests changed the products:\n%s\n%s", before, after)
			}
		}
		a.do("PATCH", "/products/"+f.productID, map[string]any{"ledger_account_id": mine.sales}, 200, nil)

		line := func(account, rate string) string {
			return `{"quantity": 1, "tax_rate_value": 2000, "accounting_tax_rate_id": "` + rate + `", "product": {"name": "Inline", "price": {"currency": "GBP", "value": 100}, "ledger_account_id": "` + account + `"}}`
		}
		create := func(l string) string {
			return `{"type": "invoice", "currency": "GBP", "counterpart_id": "` + f.counterpartID + `", "counterpart_billing_address_id": "` + f.addressID + `", "line_items": [` + l + `]}`
		}
		lineCases := []struct{ line, field string }{
			{line(foreign.sales, mine.rate), "ledger_account_id"},
			{line(theirs.sales, mine.rate), "ledger_account_id"},
			{line(mine.sales, foreign.rate), "accounting_tax_rate_id"},
			{line(mine.sales, mine.archivedRate), "accounting_tax_rate_id"},
		}
		for _, c := range lineCases {
			a.mustRefuse("POST", "/receivables", create(c.line), 422, c.field, inv.ID)
			a.mustRefuse("PUT", "/receivables/"+inv.ID+"/line_items", `{"data": [`+c.line+`]}`, 422, c.field, inv.ID)
		}
		var list struct{ Data []any }
		a.do("GET", "/receivables", nil, 200, &list)
		if len(list.Data) != 1 {
			t.Errorf("refused creates left %d invoices, want the 1 fixture", len(list.Data))
		}
		if r := a.raw("POST", "/receivables", strings.NewReader(create(line(mine.sales, mine.rate))), nil); r.status != 201 {
			t.Errorf("a line with the entity's own account and rate: %d %s", r.status, r.body)
		}

		// Without connected books (none, or one still waiting for authorization) any id is kept;
		// the push checks it against the books.
		for _, status := range []string{"", booksync.ConnectionPendingAuth} {
			e := alice.newEntity("Unconnected Ltd", "GB")
			if status != "" {
				e.connectBooks(status)
			}
			e.do("PATCH", "/entities/"+e.entityID+"/settings", map[string]any{"accounting": map[string]any{
				"ledger_account_ids": map[string]any{"products": foreign.sales, "payments": foreign.sales}}}, 200, nil)
			e.do("POST", "/products", map[string]any{"name": "P", "ledger_account_id": theirs.sales}, 201, nil)
		}
	})
}

// TestAccountingIDsThePushWouldRefuse: with the books connected and pulled, an account the books
// refuse on invoice lines (a bank account, a GnuCash placeholder) named for sales, and a
// purchase-only rate named on a line or for deductions, are a 422 when they are set, naming the
// field, why, and what would do (income accounts, sales rates), and change nothing; they would
// otherwise fail every push, or leave an issued invoice that can only be canceled.
func TestAccountingIDsThePushWouldRefuse(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		a := h.partner().newEntity("Alpha Books Ltd", "GB")
		mine := a.connectBooks(booksync.ConnectionConnected)
		f := a.fixture("GBP", 10000)
		inv := a.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
		settingsPath := "/entities/" + a.entityID + "/settings"
		get := func(path string) string { return string(a.do("GET", path, nil, 200, nil).body) }
		salesChoice, rateChoice := "Sales ("+mine.sales+")", "20% (VAT on Income) ("+mine.rate+", 20%)"
		// refused checks a 422 at a field whose message names the field, the cause and the choices,
		// suggesting nothing that would be refused or is not an income account.
		refused := func(method, path, body string, loc, cause, choice string) {
			t.Helper()
			r := a.raw(method, path, strings.NewReader(body), nil)
			text := string(r.body)
			if r.status != 422 || !strings.Contains(text, `"loc":["body",`+loc+`]`) || !strings.Contains(text, cause) || !strings.Contains(text, choice) {
				t.Errorf("%s %s %s: %d %s; want a 422 at %s saying %q and offering %q", method, path, body, r.status, text, loc, cause, choice)
			}
			for _, offer := range strings.Split(text, "; use ")[1:] {
				offer, _, _ = strings.Cut(offer, `"`)
				for _, bad := range []string{mine.bank, mine.placeholder, mine.drawings, mine.purchaseRate} {
					if strings.Contains(offer, bad) {
						t.Errorf("%s %s: the error offers %s: %s", method, path, bad, offer)
					}
				}
			}
		}
		before := get(settingsPath)
		refused("PATCH", settingsPath, `{"accounting": {"ledger_account_ids": {"products": "`+mine.bank+`"}}}`,
			`"accounting","ledger_account_ids","products"`, "accounting.ledger_account_ids.products: ledger account "+mine.bank+" (Business Bank Account) cannot take sales: Xero does not book", salesChoice)
		refused("PATCH", settingsPath, `{"accounting": {"ledger_account_ids": {"products": "`+mine.placeholder+`"}}}`,
			`"accounting","ledger_account_ids","products"`, "cannot take sales: it is a placeholder", salesChoice)
		refused("PATCH", settingsPath, `{"accounting": {"tax_ids": {"deductions": "`+mine.purchaseRate+`"}}}`,
			`"accounting","tax_ids","deductions"`, "accounting.tax_ids.deductions: tax rate "+mine.purchaseRate+" (20% (VAT on Expenses)) is for purchases only", rateChoice)
		if after := get(settingsPath); after != before {
			t.Errorf("refused settings changed them:\n%s\n%s", before, after)
		}

		products := get("/products")
		for _, req := range []struct{ method, path string }{{"POST", "/products"}, {"PATCH", "/products/" + f.productID}} {
			refused(req.method, req.path, `{"name": "P", "price": {"currency": "GBP", "value": 1}, "ledger_account_id": "`+mine.placeholder+`"}`,
				`"ledger_account_id"`, "ledger_account_id: ledger account "+mine.placeholder+" (Income) cannot take sales", salesChoice)
		}
		if after := get("/products"); after != products {
			t.Errorf("refused product requests changed the products:\n%s\n%s", products, after)
		}

		line := func(account, rate string) string {
			return `{"quantity": 1, "tax_rate_value": 2000, "accounting_tax_rate_id": "` + rate + `", "product": {"name": "Inline", "price": {"currency": "GBP", "value": 100}, "ledger_account_id": "` + account + `"}}`
		}
		create := func(l string) string {
			return `{"type": "invoice", "currency": "GBP", "counterpart_id": "` + f.counterpartID + `", "counterpart_billing_address_id": "` + f.addressID + `", "line_items": [` + l + `]}`
		}
		for _, c := range []struct{ line, loc, cause, choice string }{
			{line(mine.bank, mine.rate), `"line_items",0,"product","ledger_account_id"`, "line_items[0].product.ledger_account_id: ledger account " + mine.bank + " (Business Bank Account) cannot take sales", salesChoice},
			{line(mine.sales, mine.purchaseRate), `"line_items",0,"accounting_tax_rate_id"`, "line_items[0].accounting_tax_rate_id: tax rate " + mine.purchaseRate + " (20% (VAT on Expenses)) is for purchases only", rateChoice},
		} {
			snapshot := a.snapshot(inv.ID)
			refused("POST", "/receivables", create(c.line), c.loc, c.cause, c.choice)
			refused("PUT", "/receivables/"+inv.ID+"/line_items", `{"data": [`+c.line+`]}`, strings.Replace(c.loc, `"line_items"`, `"data"`, 1), "", c.choice)
			if after := a.snapshot(inv.ID); after != snapshot {
				t.Errorf("a refused line changed the invoice:\n%s\n%s", snapshot, after)
			}
		}
		var list struct{ Data []any }
		a.do("GET", "/receivables", nil, 200, &list)
		if len(list.Data) != 1 {
			t.Errorf("refused creates left %d invoices, want the 1 fixture", len(list.Data))
		}

		// What the books take is kept, an income account or not: only what they refuse is refused.
		a.do("PATCH", settingsPath, map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": mine.drawings, "payments": mine.bank},
			"tax_ids":            map[string]any{"deductions": mine.rate}}}, 200, nil)
		a.do("PATCH", "/products/"+f.productID, map[string]any{"ledger_account_id": mine.sales}, 200, nil)
	})
}
