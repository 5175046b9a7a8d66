package xero

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

// fallbackCountry is the country of organisations saved before organisations had one: they
// were all UK organisations in GBP.
const fallbackCountry, fallbackCurrency = "GB", "GBP"

// baseCurrency is the organisation's base currency.
func (o *org) baseCurrency() string { return cmpOr(o.meta.Currency, fallbackCurrency) }

// country is the organisation's country code.
func (o *org) country() string { return cmpOr(o.meta.Country, fallbackCountry) }

// currencyProblem is Xero's refusal of a currency the organisation does not hold: neither its base
// currency nor one added to it (multi-currency), or "".
func (o *org) currencyProblem(code string) string {
	if code == "" || strings.EqualFold(code, o.baseCurrency()) || slices.Contains(o.meta.Currencies, strings.ToUpper(code)) {
		return ""
	}
	return fmt.Sprintf("Organisation is not subscribed to currency %s", code)
}

// currencyRate is the rate an invoice in code gets when it names none: units of code per unit of
// the base currency, as Xero's CurrencyRate is, at the sandbox's fixed rates.
func (o *org) currencyRate(code string) sandbox.Amount {
	return sandbox.AmountOf(sandbox.ExchangeRate(o.baseCurrency(), code))
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

// seedAccounts is the part of a Xero demo company's chart of accounts a sales connector
// touches, plus the system accounts it must not post to; the UK demo company's codes, which
// every edition's default chart shares (Xero's default charts differ in names and tax types:
// the tax account is "GST" in AU and NZ, "Sales Tax" in the US).
func seedAccounts(now time.Time, e edition, currency string) []*Account {
	type a struct{ code, name, typ, class, taxType, system string }
	sales, purchases := e.SalesTaxType, "INPUT2"
	switch e.Version {
	case "AU", "US", "GLOBAL":
		purchases = "INPUT"
	}
	accounts := []a{
		{"090", "Business Bank Account", "BANK", "ASSET", "NONE", ""},
		{"200", "Sales", "REVENUE", "REVENUE", sales, ""},
		{"260", "Other Revenue", "REVENUE", "REVENUE", sales, ""},
		{"270", "Interest Income", "REVENUE", "REVENUE", "NONE", ""},
		{"310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", purchases, ""},
		{"400", "Advertising", "EXPENSE", "EXPENSE", purchases, ""},
		{"429", "General Expenses", "EXPENSE", "EXPENSE", purchases, ""},
		{"610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"},
		{"800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"},
		{"820", e.Tax, "CURRLIAB", "LIABILITY", "NONE", "GST"},
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
			acc.CurrencyCode = currency
		}
		if x.class == "EXPENSE" {
			acc.ShowInExpenseClaims = true
		}
		out = append(out, acc)
	}
	return out
}

// newOrg seeds the n-th organisation a consent creates, in the country c.
func newOrg(n int, c sandbox.Country, now time.Time) *org {
	name := fmt.Sprintf("Demo Company (%s)", c.Code)
	if c.Code == "GB" {
		name = "Demo Company (UK)"
	}
	if n > 1 {
		name = fmt.Sprintf("%s %d", name, n)
	}
	e := editionOf(c.Code)
	rates, next := seedTaxRatesOf(e)
	o := emptyOrg()
	o.meta = orgMeta{
		TenantID:          uuid.NewString(),
		Name:              name,
		ShortCode:         fmt.Sprintf("!bks%02d", n),
		CreatedAt:         now,
		Country:           c.Code,
		Currency:          c.Currency,
		Accounts:          seedAccounts(now, e, c.Currency),
		TaxRates:          rates,
		NextInvoiceNumber: 1,
		NextTaxNumber:     next,
	}
	return o
}
