package booksync_test

import (
	"strings"
	"testing"

	"github.com/booksync/booksync"
	"github.com/shopspring/decimal"
)

func rate(id, code, name string, value int64) booksync.AccountingTaxRate {
	return booksync.AccountingTaxRate{ID: id, Code: code, Name: name, Status: "Active", EffectiveTaxRate: value, Revenue: true}
}

var ukRates = []booksync.AccountingTaxRate{
	rate("t20", "OUTPUT2", "20% (VAT on Income)", 2000),
	rate("t5", "RROUTPUT", "5% (VAT on Income)", 500),
	rate("tz", "ZERORATEDOUTPUT", "Zero Rated Income", 0),
	rate("te", "EXEMPTOUTPUT", "Exempt Income", 0),
	rate("tn", "NONE", "No VAT", 0),
	{ID: "ti", Code: "INPUT2", Name: "20% (VAT on Expenses)", Status: "Active", EffectiveTaxRate: 2000},
	{ID: "tx", Code: "OLD7", Name: "7% archived", Status: "Archived", EffectiveTaxRate: 700, Revenue: true},
}

var ukAccounts = []booksync.LedgerAccount{
	{ID: "sales", Name: "Sales", Status: "Active", Type: "Income"},
	{ID: "old", Name: "Old Sales", Status: "Archived", Type: "Income"},
	{ID: "income", Name: "Income", Status: "Active", Type: "Income", SalesRefusal: "it is a placeholder in GnuCash, which groups accounts and takes no postings"},
	{ID: "bank", Name: "Bank", Status: "Active", Type: "Asset", IsBank: true},
}

func TestMatchTaxRateIsDeterministic(t *testing.T) {
	name := "Exempt Income"
	cases := []struct {
		value int64
		name  *string
		want  string
		ok    bool
	}{
		{2000, nil, "OUTPUT2", true}, // the expense rate of the same value is not for sales
		{500, nil, "RROUTPUT", true},
		{0, nil, "ZERORATEDOUTPUT", true}, // zero-rated wins over exempt and no VAT
		{0, &name, "EXEMPTOUTPUT", true},  // the line's tax_rate_name wins
		{700, nil, "", false},             // archived rates do not count
		{1250, nil, "", false},
	}
	for _, c := range cases {
		// Whatever order the rates were pulled in, the choice is the same.
		for _, rates := range [][]booksync.AccountingTaxRate{ukRates, reversed(ukRates)} {
			got, ok := booksync.MatchTaxRate(c.value, c.name, rates)
			if ok != c.ok || got.Code != c.want {
				t.Errorf("MatchTaxRate(%d, %v) = %q %v, want %q %v", c.value, c.name, got.Code, ok, c.want, c.ok)
			}
		}
	}
}

func TestMatchTaxRateWithAutomatedSalesTax(t *testing.T) {
	us := []booksync.AccountingTaxRate{rate("tax", "TAX", "Taxable (automated sales tax)", booksync.AutomatedTaxRate), rate("non", "NON", "Non-taxable", 0)}
	for value, want := range map[int64]string{887: "TAX", 2000: "TAX", 0: "NON"} {
		if got, ok := booksync.MatchTaxRate(value, nil, us); !ok || got.Code != want {
			t.Errorf("MatchTaxRate(%d) under automated sales tax = %q %v, want %q", value, got.Code, ok, want)
		}
	}
	// A real rate of the line's value still wins where the books have one.
	if got, _ := booksync.MatchTaxRate(2000, nil, append(us, rate("s", "S20", "Standard", 2000))); got.Code != "S20" {
		t.Errorf("a real 20%% rate lost to the automated code: %q", got.Code)
	}
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func invoiceWith(lines ...booksync.LineItem) *booksync.Receivable {
	return &booksync.Receivable{LineItems: lines}
}

func lineOf(product string, ledger *string, value int64) booksync.LineItem {
	return booksync.LineItem{Quantity: booksync.Quantity{Decimal: decimal.NewFromInt(1)}, TaxRateValue: value,
		Product: booksync.LineProduct{ID: product, Name: product, LedgerAccountID: ledger, Price: booksync.Price{Currency: "GBP", Value: 100}}}
}

func TestPlanInvoicePushRules(t *testing.T) {
	sales, old, nope := "sales", "old", "nope"
	override := "te"
	settingsWith := func(products, deductions *string) booksync.Settings {
		return booksync.Settings{Accounting: &booksync.AccountingSettings{
			LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: products},
			TaxIDs:           &booksync.DefaultAccountingTaxIDs{Deductions: deductions}}}
	}
	ded := int64(500)
	withDeduction := invoiceWith(lineOf("p", &sales, 2000))
	withDeduction.DeductionAmount = &ded
	// A 0% line matches the zero rate by value; its override books it as exempt instead.
	overridden := lineOf("p", &sales, 0)
	overridden.AccountingTaxRateID = &override

	cases := []struct {
		name     string
		inv      *booksync.Receivable
		settings booksync.Settings
		codes    []string // statuses of the details' causes, in order; none means the push may go
		taxCode  string   // tax rate of line 1 when it may go
	}{
		{"product account", invoiceWith(lineOf("p", &sales, 2000)), booksync.Settings{}, nil, "OUTPUT2"},
		{"entity default account", invoiceWith(lineOf("p", nil, 2000)), settingsWith(&sales, nil), nil, "OUTPUT2"},
		{"no account anywhere", invoiceWith(lineOf("p", nil, 2000)), booksync.Settings{}, []string{"Ledger account is not set"}, ""},
		{"unknown account", invoiceWith(lineOf("p", &nope, 2000)), booksync.Settings{}, []string{"does not exist"}, ""},
		{"archived account", invoiceWith(lineOf("p", &old, 2000)), booksync.Settings{}, []string{"is archived"}, ""},
		{"no rate of that value", invoiceWith(lineOf("p", &sales, 700)), booksync.Settings{}, []string{"Tax rate does not exist"}, ""},
		{"override wins", invoiceWith(overridden), booksync.Settings{}, nil, "EXEMPTOUTPUT"},
		{"deduction without setting", withDeduction, booksync.Settings{}, []string{"Deduction tax rate is not set"}, ""},
		{"deduction with setting", withDeduction, settingsWith(nil, ptr("tn")), nil, "OUTPUT2"},
		{"every problem at once", invoiceWith(lineOf("a", nil, 700), lineOf("b", nil, 2000)), booksync.Settings{},
			[]string{"Ledger account is not set for line 1", "Tax rate does not exist", "Ledger account is not set for line 2"}, ""},
	}
	for _, c := range cases {
		plan, serr := booksync.PlanInvoicePush(c.inv, c.settings, ukRates, ukAccounts, booksync.PlanOptions{System: "Xero", TaxAsSent: true})
		if len(c.codes) == 0 {
			if serr != nil {
				t.Errorf("%s: unexpected error %+v", c.name, serr)
				continue
			}
			if plan.Lines[0].TaxRate.Code != c.taxCode {
				t.Errorf("%s: tax rate %q, want %q", c.name, plan.Lines[0].TaxRate.Code, c.taxCode)
			}
			continue
		}
		if serr == nil || len(serr.Details) != len(c.codes) {
			t.Errorf("%s: errors %+v, want %v", c.name, serr, c.codes)
			continue
		}
		for i, want := range c.codes {
			if !strings.Contains(serr.Details[i].Message, want) || serr.Details[i].Fix == "" || serr.Details[i].Field == "" {
				t.Errorf("%s: detail %d = %+v, want %q with a field and a fix", c.name, i, serr.Details[i], want)
			}
		}
		if !strings.HasPrefix(serr.Message, serr.Details[0].Message) {
			t.Errorf("%s: message %q does not start with the first cause", c.name, serr.Message)
		}
	}
}

func ptr(s string) *string { return &s }

func TestPercent(t *testing.T) {
	for v, want := range map[int64]string{2000: "20%", 1250: "12.5%", 0: "0%", 5: "0.05%", 10000: "100%", 1999: "19.99%"} {
		if got := booksync.Percent(v); got != want {
			t.Errorf("Percent(%d) = %q, want %q", v, got, want)
		}
	}
}

// TestPlanInvoicePushRefusesWhatTheBooksWouldGetWrong: every id an invoice or the settings name
// must be one the connected books can take for a sale, and a tax-rate override must give the
// books the invoice's own tax; each refusal says why and names the ids that would do.
func TestPlanInvoicePushRefusesWhatTheBooksWouldGetWrong(t *testing.T) {
	income, nope, purchase, standard := "income", "nope", "ti", "t20"
	inv := func(l booksync.LineItem) *booksync.Receivable {
		r := invoiceWith(l)
		r.ID = "inv1"
		return r
	}
	overridden := func(value int64, id string) booksync.LineItem {
		l := lineOf("p", ptr("sales"), value)
		l.AccountingTaxRateID = &id
		return l
	}
	defaults := func(products, deductions *string) booksync.Settings {
		return booksync.Settings{Accounting: &booksync.AccountingSettings{
			LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: products},
			TaxIDs:           &booksync.DefaultAccountingTaxIDs{Deductions: deductions}}}
	}
	ded := int64(100)
	deducted := inv(lineOf("p", ptr("sales"), 2000))
	deducted.DeductionAmount = &ded
	gnucash := booksync.PlanOptions{System: "GnuCash"}
	xero := booksync.PlanOptions{System: "Xero", TaxAsSent: true}
	cases := []struct {
		name     string
		inv      *booksync.Receivable
		settings booksync.Settings
		opts     booksync.PlanOptions
		status   string
		message  string // the cause, at the start of the message
		field    string
		fix      []string // what the fix must name
	}{
		{"placeholder account on the product", inv(lineOf("p", &income, 2000)), booksync.Settings{}, gnucash,
			"ledger_account_not_usable", "Ledger account income (Income) cannot take sales: it is a placeholder",
			"line_items[0].product.ledger_account_id", []string{"PATCH /products/p", "Sales (sales)"}},
		{"placeholder account as the default", inv(lineOf("p", nil, 2000)), defaults(&income, nil), gnucash,
			"ledger_account_not_usable", "Ledger account income (Income) cannot take sales",
			"settings.accounting.ledger_account_ids.products", []string{"accounting.ledger_account_ids.products", "PATCH /entities/{entity_id}/settings", "Sales (sales)"}},
		{"default account of other books", inv(lineOf("p", nil, 2000)), defaults(&nope, nil), xero,
			"ledger_account_not_found", "Ledger account nope does not exist in the connected books",
			"settings.accounting.ledger_account_ids.products", []string{"accounting.ledger_account_ids.products", "Sales (sales)"}},
		{"line override of other books", inv(overridden(2000, nope)), booksync.Settings{}, xero,
			"tax_rate_not_found", "Tax rate does not exist: accounting_tax_rate_id nope",
			"line_items[0].accounting_tax_rate_id", []string{"POST /receivables/inv1/cancel", "20% (VAT on Income) (t20, 20%)"}},
		{"purchase-only override", inv(overridden(2000, purchase)), booksync.Settings{}, xero,
			"tax_rate_not_for_sales", "Tax rate 20% (VAT on Expenses) (ti) is for purchases only; a line needs a sales rate",
			"line_items[0].accounting_tax_rate_id", []string{"20% (VAT on Income) (t20, 20%)"}},
		{"override of another rate in books that compute tax", inv(overridden(1234, standard)), booksync.Settings{}, gnucash,
			"tax_rate_mismatch", "Tax rate differs: line 1 (p) is taxed at 12.34% but its accounting_tax_rate_id t20 is 20% (VAT on Income) (20%), and GnuCash computes tax",
			"line_items[0].accounting_tax_rate_id", []string{"POST /receivables/inv1/cancel", "12.34%"}},
		{"deductions rate of other books", deducted, defaults(nil, &nope), xero,
			"tax_rate_not_found", "Tax rate does not exist: the deductions tax rate nope (accounting.tax_ids.deductions)",
			"settings.accounting.tax_ids.deductions", []string{"PATCH /entities/{entity_id}/settings", "Zero Rated Income (tz, 0%)"}},
		{"purchase-only deductions rate", deducted, defaults(nil, &purchase), xero,
			"tax_rate_not_for_sales", "Tax rate 20% (VAT on Expenses) (ti) is for purchases only",
			"settings.accounting.tax_ids.deductions", []string{"accounting.tax_ids.deductions"}},
	}
	for _, c := range cases {
		_, serr := booksync.PlanInvoicePush(c.inv, c.settings, ukRates, ukAccounts, c.opts)
		if serr == nil || len(serr.Details) != 1 {
			t.Errorf("%s: errors %+v, want one", c.name, serr)
			continue
		}
		d := serr.Details[0]
		if serr.Status != c.status || !strings.HasPrefix(serr.Message, c.message) || d.Field != c.field {
			t.Errorf("%s: %s %q at %q, want %s %q at %q", c.name, serr.Status, serr.Message, d.Field, c.status, c.message, c.field)
		}
		for _, want := range c.fix {
			if !strings.Contains(d.Fix, want) {
				t.Errorf("%s: fix %q does not name %q", c.name, d.Fix, want)
			}
		}
		// Accounts and rates that would be refused are never offered.
		for _, bad := range []string{"(income)", "(bank)", "(old)", "(ti,", "(tx,"} {
			if strings.Contains(d.Fix, bad) {
				t.Errorf("%s: fix %q offers %s", c.name, d.Fix, bad)
			}
		}
	}

	// Books that book the tax sent take the override; so does automated sales tax, and an
	// override of the line's own rate.
	for _, ok := range []struct {
		name string
		line booksync.LineItem
		opts booksync.PlanOptions
		rate []booksync.AccountingTaxRate
	}{
		{"Xero books the tax sent", overridden(1234, standard), xero, ukRates},
		{"same rate in GnuCash", overridden(2000, standard), gnucash, ukRates},
		{"automated sales tax", overridden(1234, "tax"), gnucash, []booksync.AccountingTaxRate{rate("tax", "TAX", "Taxable", booksync.AutomatedTaxRate)}},
	} {
		if plan, serr := booksync.PlanInvoicePush(inv(ok.line), booksync.Settings{}, ok.rate, ukAccounts, ok.opts); serr != nil || plan.Lines[0].TaxRate.ID != *ok.line.AccountingTaxRateID {
			t.Errorf("%s: %+v %+v", ok.name, plan, serr)
		}
	}
}

func TestPaymentAccountChoicesOfferOnlyAccountsThatTakePayments(t *testing.T) {
	accounts := append([]booksync.LedgerAccount{
		{ID: "card", Name: "Card clearing", Status: "Active", PaymentsAllowed: true},
		{ID: "oldbank", Name: "Old bank", Status: "Archived", IsBank: true, PaymentsAllowed: true},
	}, ukAccounts...)
	accounts[len(accounts)-1].PaymentsAllowed = true // "Bank"
	if got, want := booksync.PaymentAccountChoices(accounts), "one of: Bank (bank), Card clearing (card)"; got != want {
		t.Errorf("PaymentAccountChoices = %q, want %q", got, want)
	}
	if got := booksync.PaymentAccountChoices(ukAccounts[:2]); !strings.HasPrefix(got, "a bank account, once the connected books have one") {
		t.Errorf("no account takes payments: %q", got)
	}
}

// TestInlineProductFixIsOneThatCanBeDone: an issued invoice's inline product cannot be edited, so
// the fix for its missing ledger account names the entity default, never the product itself.
func TestInlineProductFixIsOneThatCanBeDone(t *testing.T) {
	l := lineOf("travel", nil, 2000)
	l.Product.IsInline = true
	_, serr := booksync.PlanInvoicePush(invoiceWith(l), booksync.Settings{}, ukRates, ukAccounts, booksync.PlanOptions{System: "Xero", TaxAsSent: true})
	if serr == nil || len(serr.Details) != 1 {
		t.Fatalf("errors %+v, want one detail", serr)
	}
	fix := serr.Details[0].Fix
	if !strings.Contains(fix, "accounting.ledger_account_ids.products") || strings.Contains(fix, "PATCH /products/") ||
		strings.Contains(fix, "Give the inline product") {
		t.Errorf("fix %q: want the entity default, not an edit of the issued line's product", fix)
	}
}

// TestFixesForAnIssuedLineCreateANewInvoice: a canceled invoice cannot be issued again (issue
// answers 409) nor pushed (invoice_not_pushable), so a fix for a line the issued invoice holds
// wrong says to cancel it and create and issue a new one, whose own record is pushed; it never
// says to issue it again or to push the old record.
func TestFixesForAnIssuedLineCreateANewInvoice(t *testing.T) {
	inline := lineOf("travel", ptr("income"), 2000)
	inline.Product.IsInline = true
	override := func(value int64, id string) booksync.LineItem {
		l := lineOf("p", ptr("sales"), value)
		l.AccountingTaxRateID = &id
		return l
	}
	cases := []struct {
		name string
		line booksync.LineItem
		opts booksync.PlanOptions
		code string
	}{
		{"inline product's account", inline, booksync.PlanOptions{System: "GnuCash"}, "ledger_account_not_usable"},
		{"unknown override", override(2000, "nope"), booksync.PlanOptions{System: "Xero", TaxAsSent: true}, "tax_rate_not_found"},
		{"purchase-only override", override(2000, "ti"), booksync.PlanOptions{System: "Xero", TaxAsSent: true}, "tax_rate_not_for_sales"},
		{"override of another rate", override(1234, "t20"), booksync.PlanOptions{System: "GnuCash"}, "tax_rate_mismatch"},
	}
	for _, c := range cases {
		inv := invoiceWith(c.line)
		inv.ID = "inv1"
		_, serr := booksync.PlanInvoicePush(inv, booksync.Settings{}, ukRates, ukAccounts, c.opts)
		if serr == nil || serr.Status != c.code {
			t.Errorf("%s: %+v, want %s", c.name, serr, c.code)
			continue
		}
		fix := serr.Details[0].Fix
		for _, bad := range []string{"issue it again", "reissue", "push the record again"} {
			if strings.Contains(fix, bad) {
				t.Errorf("%s: fix %q says %q, which cannot be done", c.name, fix, bad)
			}
		}
		for _, want := range []string{"POST /receivables/inv1/cancel", "create and issue a new", "POST /receivables,", "pushed automatically"} {
			if !strings.Contains(fix, want) {
				t.Errorf("%s: fix %q does not say %q", c.name, fix, want)
			}
		}
	}
}

// TestDeletedProductFixNamesTheDefault: when a line's catalog product was deleted after the
// invoice was issued, PATCH /products/{id} answers 404, so the fix names the entity default, and
// setting the default makes the next push go, even where the line's copy names an account the
// books refuse.
func TestDeletedProductFixNamesTheDefault(t *testing.T) {
	xero := booksync.PlanOptions{System: "Xero", TaxAsSent: true}
	for _, copied := range []*string{nil, ptr("old"), ptr("income")} {
		l := lineOf("gone", copied, 2000)
		l.Product.CatalogDeleted = true
		_, serr := booksync.PlanInvoicePush(invoiceWith(l), booksync.Settings{}, ukRates, ukAccounts, xero)
		if serr == nil || len(serr.Details) != 1 {
			t.Errorf("copy %v: %+v, want one error", copied, serr)
			continue
		}
		fix := serr.Details[0].Fix
		if strings.Contains(fix, "/products/") || !strings.Contains(fix, "accounting.ledger_account_ids.products") || !strings.Contains(fix, "Sales (sales)") {
			t.Errorf("copy %v: fix %q, want only the entity default", copied, fix)
		}
		if msg := serr.Details[0].Message; copied != nil && (!strings.Contains(msg, "Ledger account "+*copied+" ") || !strings.Contains(msg, "product was deleted")) {
			t.Errorf("copy %v: message %q does not say why the copy is not used", *copied, msg)
		}
		settings := booksync.Settings{Accounting: &booksync.AccountingSettings{LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: ptr("sales")}}}
		plan, serr := booksync.PlanInvoicePush(invoiceWith(l), settings, ukRates, ukAccounts, xero)
		if serr != nil || plan.Lines[0].LedgerAccount.ID != "sales" {
			t.Errorf("copy %v with the default set: %+v %+v", copied, plan, serr)
		}
	}
	// A deleted product's copy that the books take is still used.
	l := lineOf("gone", ptr("sales"), 2000)
	l.Product.CatalogDeleted = true
	if plan, serr := booksync.PlanInvoicePush(invoiceWith(l), booksync.Settings{}, ukRates, ukAccounts, xero); serr != nil || plan.Lines[0].LedgerAccount.ID != "sales" {
		t.Errorf("usable copy: %+v %+v", plan, serr)
	}
}

// TestFixesReadWellWithNothingToChoose: books with no account or rate that would do get a fix
// that says what to create, not a list reading "one of: none ...".
func TestFixesReadWellWithNothingToChoose(t *testing.T) {
	inv := invoiceWith(lineOf("p", nil, 1234))
	inv.ID = "inv1"
	ded := int64(100)
	inv.DeductionAmount = &ded
	over := lineOf("q", ptr("sales"), 1234)
	over.AccountingTaxRateID = ptr("t20")
	inv.LineItems = append(inv.LineItems, over)
	_, serr := booksync.PlanInvoicePush(inv, booksync.Settings{}, ukRates[5:], ukAccounts[1:], booksync.PlanOptions{System: "GnuCash"})
	if serr == nil || len(serr.Details) < 4 {
		t.Fatalf("errors %+v, want a missing account, rate, override and deduction rate", serr)
	}
	_, serr2 := booksync.PlanInvoicePush(invoiceWith(over), booksync.Settings{}, ukRates, ukAccounts, booksync.PlanOptions{System: "GnuCash"})
	texts := []string{booksync.PaymentAccountChoices(nil)}
	for _, d := range append(serr.Details, serr2.Details...) {
		texts = append(texts, d.Fix, d.Message)
	}
	for _, text := range texts {
		for _, garbled := range []string{"one of: none", "are: none", ": none", "none in the connected books", ") (or", "one of:  "} {
			if strings.Contains(text, garbled) {
				t.Errorf("%q reads %q", text, garbled)
			}
		}
	}
	for _, d := range serr.Details {
		if !strings.Contains(d.Fix, "POST /accounting_connections/{connection_id}/sync") {
			t.Errorf("fix %q does not say how to get what is missing", d.Fix)
		}
	}
}

// TestSalesAccountChoicesOfferOnlyIncomeAccounts: the accounts a fix suggests for sales are the
// income accounts the books take, not every account they would not refuse.
func TestSalesAccountChoicesOfferOnlyIncomeAccounts(t *testing.T) {
	accounts := append([]booksync.LedgerAccount{
		{ID: "drawings", Name: "Drawings", Status: "Active", Type: "Equity"},
		{ID: "ads", Name: "Advertising", Status: "Active", Type: "Expense"},
		{ID: "vat", Name: "Liabilities:VAT Payable", Status: "Active", Type: "Liability"},
		{ID: "other", Name: "Interest Income", Status: "Active", Type: "Income"},
	}, ukAccounts...)
	if got, want := booksync.SalesAccountChoices(accounts), "one of: Interest Income (other), Sales (sales)"; got != want {
		t.Errorf("SalesAccountChoices = %q, want %q", got, want)
	}
	// An active account that is not an income account is suggested nowhere but still taken.
	l := lineOf("p", ptr("vat"), 2000)
	if plan, serr := booksync.PlanInvoicePush(invoiceWith(l), booksync.Settings{}, ukRates, accounts, booksync.PlanOptions{System: "GnuCash"}); serr != nil || plan.Lines[0].LedgerAccount.ID != "vat" {
		t.Errorf("a liability account the books take: %+v %+v", plan, serr)
	}
}

// TestAccountAndRateRules: the one rule the API applies when an id is set and the push when it is
// used.
func TestAccountAndRateRules(t *testing.T) {
	placeholder, bank := ukAccounts[2], ukAccounts[3]
	bank.PaymentsAllowed = true
	bank.SalesRefusal = "Xero does not book invoice lines to bank accounts"
	cases := []struct {
		name string
		got  string
		want string // "" when usable
	}{
		{"sales account for sales", booksync.LedgerAccountUnusable(&ukAccounts[0], booksync.ForSales), ""},
		{"placeholder for sales", booksync.LedgerAccountUnusable(&placeholder, booksync.ForSales), "cannot take sales: it is a placeholder"},
		{"bank for sales", booksync.LedgerAccountUnusable(&bank, booksync.ForSales), "cannot take sales: Xero does not book"},
		{"bank for payments", booksync.LedgerAccountUnusable(&bank, booksync.ForPayments), ""},
		{"sales account for payments", booksync.LedgerAccountUnusable(&ukAccounts[0], booksync.ForPayments), "does not take payments"},
		{"archived for sales", booksync.LedgerAccountUnusable(&ukAccounts[1], booksync.ForSales), "is archived"},
		{"sales rate", booksync.TaxRateUnusable(&ukRates[0]), ""},
		{"purchase rate", booksync.TaxRateUnusable(&ukRates[5]), "is for purchases only"},
		{"archived rate", booksync.TaxRateUnusable(&ukRates[6]), "is archived"},
	}
	for _, c := range cases {
		if (c.want == "") != (c.got == "") || !strings.Contains(c.got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestMatchLineTaxRateByVATKind books a reverse-charged line with the books' reverse-charge rate
// (the one for services or for goods, as the line's product is), an export with an export rate,
// and never a domestic 0% line with a reverse-charge rate.
func TestMatchLineTaxRateByVATKind(t *testing.T) {
	kinded := func(t booksync.AccountingTaxRate, k booksync.VATRateKind) booksync.AccountingTaxRate {
		t.Kind = k
		return t
	}
	rates := append(append([]booksync.AccountingTaxRate{}, ukRates...),
		kinded(rate("ecg", "ECZROUTPUT", "Zero Rated EC Goods Income", 0), booksync.VATRateReverseCharge),
		kinded(rate("ecs", "ECZROUTPUTSERVICES", "Zero Rated EC Services", 0), booksync.VATRateReverseCharge),
		kinded(rate("exp", "EXEMPTEXPORT", "GST Free Exports", 0), booksync.VATRateExport))
	line := func(kind booksync.VATRateKind, productType string) booksync.LineItem {
		return booksync.LineItem{VatRateKind: kind, Product: booksync.LineProduct{Name: "Consulting", Type: productType}}
	}
	for _, c := range []struct {
		line booksync.LineItem
		want string
	}{
		{line(booksync.VATRateReverseCharge, booksync.ProductTypeService), "ECZROUTPUTSERVICES"},
		{line(booksync.VATRateReverseCharge, booksync.ProductTypeProduct), "ECZROUTPUT"},
		{line(booksync.VATRateExport, booksync.ProductTypeProduct), "EXEMPTEXPORT"},
		{line("", booksync.ProductTypeService), "ZERORATEDOUTPUT"},
		{line(booksync.VATRateStandard, booksync.ProductTypeService), "ZERORATEDOUTPUT"},
	} {
		for _, rs := range [][]booksync.AccountingTaxRate{rates, reversed(rates)} {
			if got, ok := booksync.MatchLineTaxRate(c.line, rs); !ok || got.Code != c.want {
				t.Errorf("line of kind %q (%s): rate %q %v, want %q", c.line.VatRateKind, c.line.Product.Type, got.Code, ok, c.want)
			}
		}
	}
	// Books without a reverse-charge rate: the line is not booked as plain zero-rated, and the push
	// says what to create.
	if got, ok := booksync.MatchLineTaxRate(line(booksync.VATRateReverseCharge, booksync.ProductTypeService), ukRates); ok {
		t.Errorf("reverse charge without such a rate in the books: matched %q, want none", got.Code)
	}
	inv := &booksync.Receivable{ID: "inv", LineItems: []booksync.LineItem{line(booksync.VATRateReverseCharge, booksync.ProductTypeService)}}
	acct := "sales"
	inv.LineItems[0].Product.LedgerAccountID = &acct
	_, serr := booksync.PlanInvoicePush(inv, booksync.Settings{}, ukRates, ukAccounts, booksync.PlanOptions{System: "Xero", TaxAsSent: true})
	if serr == nil || len(serr.Details) != 1 || !strings.Contains(serr.Details[0].Message, "reverse-charge") ||
		serr.Details[0].Field != "line_items[0].vat_rate_id" || !strings.Contains(serr.Details[0].Fix, "reverse charge") {
		t.Errorf("push of a reverse-charged line to books without the rate: %+v, want one reverse-charge detail with its fix", serr)
	}
	plan, serr := booksync.PlanInvoicePush(inv, booksync.Settings{}, rates, ukAccounts, booksync.PlanOptions{System: "Xero", TaxAsSent: true})
	if serr != nil || plan.Lines[0].TaxRate.Code != "ECZROUTPUTSERVICES" {
		t.Errorf("push of a reverse-charged service: %+v %v, want ECZROUTPUTSERVICES", plan, serr)
	}
}

func TestTaxRateKindOf(t *testing.T) {
	for name, want := range map[string]booksync.VATRateKind{
		"VAT 0% reverse charge (EU)": booksync.VATRateReverseCharge, "Reverse-Charge 0%": booksync.VATRateReverseCharge,
		"GST-free exports": booksync.VATRateExport, "Zero Rated Income": "", "USt 0%": "",
	} {
		if got := booksync.TaxRateKindOf(name, 0); got != want {
			t.Errorf("TaxRateKindOf(%q) = %q, want %q", name, got, want)
		}
	}
	if got := booksync.TaxRateKindOf("Reverse Charge Expenses (20%)", 2000); got != "" {
		t.Errorf("a 20%% rate named reverse charge: kind %q, want none (a sale reverse-charged carries no VAT)", got)
	}
}

// TestOverrideOfAnotherKindIsRefused: a line's accounting_tax_rate_id always wins, except over what
// the line's VAT rate says the sale is. A reverse-charged line pointed at the standard 20% rate,
// an export at a reverse-charge rate or at 20%, a domestic line at a reverse-charge or export rate
// would each put the sale in the wrong boxes of the VAT return, so the push refuses them before any
// write, with the rates that would do, as is a line that charges tax pointed at a 0% rate or one
// that charges none at a rate that charges tax (whatever its kind); the rate that fits passes, and a
// line with no VAT kind otherwise keeps its override.
func TestOverrideOfAnotherKindIsRefused(t *testing.T) {
	kinded := func(t booksync.AccountingTaxRate, k booksync.VATRateKind) booksync.AccountingTaxRate {
		t.Kind = k
		return t
	}
	rates := append(append([]booksync.AccountingTaxRate{}, ukRates...),
		kinded(rate("ecs", "ECZROUTPUTSERVICES", "Zero Rated EC Services", 0), booksync.VATRateReverseCharge),
		kinded(rate("exp", "EXEMPTEXPORT", "GST Free Exports", 0), booksync.VATRateExport))
	acct := "sales"
	push := func(kind booksync.VATRateKind, value int64, override string, opts booksync.PlanOptions) (booksync.InvoicePlan, *booksync.SyncError) {
		l := lineOf("Consulting", &acct, value)
		l.VatRateKind, l.AccountingTaxRateID = kind, &override
		inv := invoiceWith(l)
		inv.ID = "inv"
		return booksync.PlanInvoicePush(inv, booksync.Settings{}, rates, ukAccounts, opts)
	}
	for _, opts := range []booksync.PlanOptions{{System: "Xero", TaxAsSent: true}, {System: "GnuCash"}} {
		for _, c := range []struct {
			kind     booksync.VATRateKind
			value    int64
			override string
			says     string // in the message; "" when the override fits
			choices  string // the fitting rate the fix names
		}{
			{booksync.VATRateReverseCharge, 0, "t20", "not a 0% reverse-charge rate", "Zero Rated EC Services (ecs, 0%)"},
			{booksync.VATRateReverseCharge, 0, "tz", "not a 0% reverse-charge rate", "Zero Rated EC Services (ecs, 0%)"},
			{booksync.VATRateReverseCharge, 0, "ecs", "", ""},
			{booksync.VATRateExport, 0, "ecs", "reverse-charged to a business", "GST Free Exports (exp, 0%)"},
			{booksync.VATRateExport, 0, "t20", "a rate that charges tax", "Zero Rated Income (tz, 0%)"},
			{booksync.VATRateExport, 0, "tz", "", ""},
			{booksync.VATRateExport, 0, "exp", "", ""},
			{booksync.VATRateStandard, 2000, "ecs", "a rate for sales reverse-charged", "20% (VAT on Income) (t20, 20%)"},
			{booksync.VATRateReduced, 0, "exp", "a rate for exports", "Zero Rated Income (tz, 0%)"},
			{booksync.VATRateStandard, 2000, "t20", "", ""},
			{booksync.VATRateStandard, 2000, "tz", "charges 20% tax, but", "20% (VAT on Income) (t20, 20%)"},
			{booksync.VATRateNotRegistered, 0, "t20", "charges no tax, but", "Zero Rated Income (tz, 0%)"},
			{"", 2000, "tz", "a rate that charges none", "20% (VAT on Income) (t20, 20%)"},
			{"", 0, "ecs", "", ""},
		} {
			plan, serr := push(c.kind, c.value, c.override, opts)
			if c.says == "" {
				if serr != nil || plan.Lines[0].TaxRate.ID != c.override {
					t.Errorf("%s: line of kind %q on %s: %+v %v, want it booked there", opts.System, c.kind, c.override, plan, serr)
				}
				continue
			}
			if serr == nil || serr.Status != booksync.CodeTaxRateKindMismatch || len(serr.Details) != 1 {
				t.Errorf("%s: line of kind %q on %s: %v, want one %s", opts.System, c.kind, c.override, serr, booksync.CodeTaxRateKindMismatch)
				continue
			}
			d := serr.Details[0]
			if d.Field != "line_items[0].accounting_tax_rate_id" || !strings.HasPrefix(serr.Message, "Tax rate does not fit the sale: line 1 (Consulting)") ||
				!strings.Contains(d.Message, c.says) || !strings.Contains(d.Fix, "POST /receivables/inv/cancel") || !strings.Contains(d.Fix, c.choices) {
				t.Errorf("%s: line of kind %q on %s: %+v, want %q and the fix naming %s", opts.System, c.kind, c.override, serr, c.says, c.choices)
			}
			if c.kind == booksync.VATRateReverseCharge && strings.Contains(d.Fix, "Zero Rated Income") {
				t.Errorf("%s: the fix for a reverse-charged line offers the plain zero rate: %s", opts.System, d.Fix)
			}
		}
	}
}
