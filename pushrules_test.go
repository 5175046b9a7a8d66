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
	{ID: "sales", Name: "Sales", Status: "Active"},
	{ID: "old", Name: "Old Sales", Status: "Archived"},
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
	overridden := lineOf("p", &sales, 2000)
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
		plan, serr := booksync.PlanInvoicePush(c.inv, c.settings, ukRates, ukAccounts)
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
