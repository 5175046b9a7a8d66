package xero

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

// baseCurrency is the only currency seeded organisations accept: they are UK
// companies without the multi-currency add-on.
const baseCurrency = "GBP"

// seedTaxRates are the VAT rates a new Xero UK organisation has. Several are
// 0% (zero-rated, exempt, no VAT) on purpose: a connector must not pick a tax
// rate by its percentage alone.
func seedTaxRates() []*TaxRate {
	type r struct {
		name, taxType, report, rate string
		sales                       bool
	}
	rates := []r{
		{"20% (VAT on Income)", "OUTPUT2", "OUTPUT", "20", true},
		{"5% (VAT on Income)", "RROUTPUT", "OUTPUT", "5", true},
		{"Zero Rated Income", "ZERORATEDOUTPUT", "ZERORATEDOUTPUT", "0", true},
		{"Exempt Income", "EXEMPTOUTPUT", "EXEMPTOUTPUT", "0", true},
		{"No VAT", "NONE", "NONE", "0", true},
		{"20% (VAT on Expenses)", "INPUT2", "INPUT", "20", false},
		{"5% (VAT on Expenses)", "RRINPUT", "INPUT", "5", false},
		{"Zero Rated Expenses", "ZERORATEDINPUT", "ZERORATEDINPUT", "0", false},
		{"Exempt Expenses", "EXEMPTINPUT", "EXEMPTINPUT", "0", false},
	}
	out := make([]*TaxRate, 0, len(rates))
	for _, x := range rates {
		tr := newTaxRate(x.name, x.taxType, x.report, sandbox.NewAmount(x.rate))
		// Sales rates cannot go on expense accounts and vice versa; "No VAT"
		// goes anywhere. Invoices check CanApplyToRevenue.
		tr.CanApplyToRevenue = x.sales || x.taxType == "NONE"
		tr.CanApplyToExpenses = !x.sales || x.taxType == "NONE"
		out = append(out, tr)
	}
	return out
}

func newTaxRate(name, taxType, report string, rate sandbox.Amount) *TaxRate {
	return &TaxRate{
		Name:                  name,
		TaxType:               taxType,
		ReportTaxType:         report,
		CanApplyToAssets:      true,
		CanApplyToEquity:      true,
		CanApplyToExpenses:    true,
		CanApplyToLiabilities: true,
		CanApplyToRevenue:     true,
		DisplayTaxRate:        rate,
		EffectiveRate:         rate,
		Status:                "ACTIVE",
		TaxComponents:         []TaxComponent{{Name: "VAT", Rate: rate}},
	}
}

// seedAccounts is the part of the Xero UK demo company's chart of accounts a
// sales connector touches, plus the system accounts it must not post to.
func seedAccounts(now time.Time) []*Account {
	type a struct{ code, name, typ, class, taxType, system string }
	accounts := []a{
		{"090", "Business Bank Account", "BANK", "ASSET", "NONE", ""},
		{"200", "Sales", "REVENUE", "REVENUE", "OUTPUT2", ""},
		{"260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2", ""},
		{"270", "Interest Income", "REVENUE", "REVENUE", "NONE", ""},
		{"310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2", ""},
		{"400", "Advertising", "EXPENSE", "EXPENSE", "INPUT2", ""},
		{"429", "General Expenses", "EXPENSE", "EXPENSE", "INPUT2", ""},
		{"610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"},
		{"800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"},
		{"820", "VAT", "CURRLIAB", "LIABILITY", "NONE", "GST"},
		{"880", "Drawings", "EQUITY", "EQUITY", "NONE", ""},
		{"970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE", ""},
	}
	out := make([]*Account, 0, len(accounts))
	for _, x := range accounts {
		acc := &Account{
			AccountID:      uuid.NewString(),
			Code:           x.code,
			Name:           x.name,
			Status:         "ACTIVE",
			Type:           x.typ,
			TaxType:        x.taxType,
			Class:          x.class,
			SystemAccount:  x.system,
			UpdatedDateUTC: msPtr(now),
		}
		if x.typ == "BANK" {
			acc.EnablePaymentsToAccount = true
			acc.BankAccountType = "BANK"
			acc.BankAccountNumber = "10-20-30 12345678"
			acc.CurrencyCode = baseCurrency
		}
		if x.class == "EXPENSE" {
			acc.ShowInExpenseClaims = true
		}
		out = append(out, acc)
	}
	return out
}

// newOrg seeds the n-th organisation a consent creates.
func newOrg(n int, now time.Time) *org {
	name := "Demo Company (UK)"
	if n > 1 {
		name = fmt.Sprintf("Demo Company (UK) %d", n)
	}
	o := emptyOrg()
	o.meta = orgMeta{
		TenantID:          uuid.NewString(),
		Name:              name,
		ShortCode:         fmt.Sprintf("!bks%02d", n),
		CreatedAt:         now,
		Accounts:          seedAccounts(now),
		TaxRates:          seedTaxRates(),
		NextInvoiceNumber: 1,
		NextTaxNumber:     1,
	}
	return o
}
