package quickbooks

import (
	"fmt"
	"strconv"
	"time"

	"github.com/booksync/booksync/internal/salestax"
	"github.com/booksync/booksync/internal/sandbox"
)

// Ids of seeded accounts the API falls back on.
const (
	acctSalesOfProduct = "1"
	acctServices       = "2"
	acctReceivable     = "3"
	acctUndeposited    = "4"
	acctChecking       = "5"
	acctTaxPayable     = "6"
	acctDiscountsGiven = "7"
	acctOfficeExpenses = "9"
	acctPayable        = "10"
	itemServicesID     = "1"
)

// newCompany builds a seeded company in the country co: a US company ("us" region) runs
// automated sales tax, every other one ("uk" region, as the UK company was first) tax codes on
// each line.
func newCompany(n int, co sandbox.Country, now time.Time) *company {
	region := "uk"
	if co.Code == "US" {
		region = "us"
	}
	p := profileOf(co.Code)
	c := emptyCompany()
	// Real realm ids are 16-19 digit numbers; these are recognisably sandbox ones.
	realm := fmt.Sprintf("9341%012d", n)
	meta := newMeta(now)
	currency, country := co.Currency, co.Code
	name := fmt.Sprintf("Sandbox Company %s %d", co.Code, n)
	if co.Code == "GB" {
		name = fmt.Sprintf("Sandbox Company UK %d", n)
	}
	taxName := p.taxAccount
	c.meta = companyMeta{RealmID: realm, Region: region, CreatedAt: now, NextID: map[string]int{}, NextDoc: 1001}
	c.meta.Info = CompanyInfo{
		ID: "1", SyncToken: "0", MetaData: meta, CompanyName: name, LegalName: name + " Ltd",
		CompanyStartDate: now.Format("2006-01-02"), FiscalYearStartMonth: "January", Country: country,
		Email: EmailAddress{Address: "noreply@quickbooks.sandbox.test"}, SupportedLanguages: "en",
		NameValue: []NameValue{{Name: "NeoEnabled", Value: "true"}, {Name: "IsQbdtMigrated", Value: "false"}},
	}
	c.meta.Info.CompanyAddr = p.addr
	c.meta.Info.DefaultTimeZone = p.timezone
	c.meta.Info.LegalAddr = c.meta.Info.CompanyAddr
	c.meta.Prefs = Preferences{
		ID: "1", SyncToken: "0", MetaData: meta,
		TaxPrefs:        TaxPrefs{UsingSalesTax: true, PartnerTaxEnabled: region == "us"},
		CurrencyPrefs:   CurrencyPrefs{HomeCurrency: Ref{Value: currency}},
		SalesFormsPrefs: SalesFormsPrefs{CustomTxnNumbers: true, AllowDiscount: true, DefaultDiscountAccount: acctDiscountsGiven},
	}
	type acct struct{ name, num, class, typ, sub string }
	accounts := []acct{
		{"Sales of Product Income", "4000", "Revenue", "Income", "SalesOfProductIncome"},
		{"Services", "4100", "Revenue", "Income", "ServiceFeeIncome"},
		{"Accounts Receivable (A/R)", "1100", "Asset", "Accounts Receivable", "AccountsReceivable"},
		{"Undeposited Funds", "1200", "Asset", "Other Current Asset", "UndepositedFunds"},
		{"Checking", "1000", "Asset", "Bank", "Checking"},
		{taxName, "2200", "Liability", "Other Current Liability", "GlobalTaxPayable"},
		{"Discounts given", "4900", "Revenue", "Income", "DiscountsRefundsGiven"},
		{"Other Income", "4200", "Revenue", "Other Income", "OtherMiscellaneousIncome"},
		{"Office Expenses", "6000", "Expense", "Expense", "OfficeGeneralAdministrativeExpenses"},
		{"Accounts Payable (A/P)", "2100", "Liability", "Accounts Payable", "AccountsPayable"},
	}
	for _, a := range accounts {
		c.meta.Accounts = append(c.meta.Accounts, &Account{
			ID: c.newID("Account"), SyncToken: "0", MetaData: meta, Name: a.name, FullyQualifiedName: a.name,
			AcctNum: a.num, Active: true, Classification: a.class, AccountType: a.typ, AccountSubType: a.sub,
			CurrentBalance: sandbox.NewAmount("0"), CurrencyRef: Ref{Value: currency, Name: currencyName(currency)},
		})
	}
	if region == "us" {
		// Automated sales tax: one tax code per place of the salestax table, one rate per jurisdiction.
		c.meta.NextID["TaxCode"] = 1 // Ids 1 and lower are the pseudo codes TAX/NON
		for _, loc := range salestax.Places() {
			c.usTaxCodeFor(loc, meta)
		}
	} else {
		// Every seeded code has exactly one sales rate. Several of them are 0%,
		// so a connector cannot pick a tax code by percentage alone.
		for _, x := range p.codes {
			rate := &TaxRate{ID: strconv.Itoa(len(c.meta.TaxRates) + 10), SyncToken: "0", MetaData: meta, Name: x.rate,
				Description: x.desc + " (sales)", Active: true, RateValue: sandbox.NewAmount(x.value),
				AgencyRef: Ref{Value: "1"}, SpecialTaxType: "NONE", DisplayType: "ReadOnly"}
			c.meta.TaxRates = append(c.meta.TaxRates, rate)
			c.meta.TaxCodes = append(c.meta.TaxCodes, &TaxCode{
				ID: strconv.Itoa(len(c.meta.TaxCodes) + 2), SyncToken: "0", MetaData: meta, Name: x.code, Description: x.desc,
				Active: true, Taxable: x.value != "0", TaxGroup: true,
				SalesTaxRateList:    TaxRateList{TaxRateDetail: []TaxRateDetail{{TaxRateRef: Ref{Value: rate.ID, Name: rate.Name}, TaxTypeApplicable: "TaxOnAmount", TaxOrder: 0}}},
				PurchaseTaxRateList: TaxRateList{TaxRateDetail: []TaxRateDetail{}},
			})
		}
	}
	it := &Item{
		ID: c.newID("Item"), SyncToken: "0", MetaData: meta, Name: "Services", FullyQualifiedName: "Services",
		Active: true, Type: "Service", UnitPrice: sandbox.NewAmount("0"), Taxable: region == "us",
		IncomeAccountRef: &Ref{Value: acctServices, Name: "Services"},
	}
	if region == "uk" {
		it.SalesTaxCodeRef = &Ref{Value: "2", Name: p.codes[0].code}
	}
	c.items[it.ID] = it
	return c
}

func currencyName(code string) string {
	switch code {
	case "GBP":
		return "British Pound Sterling"
	case "USD":
		return "United States Dollar"
	case "EUR":
		return "Euro"
	case "CAD":
		return "Canadian Dollar"
	case "AUD":
		return "Australian Dollar"
	case "NZD":
		return "New Zealand Dollar"
	}
	return code
}

func (c *company) account(id string) *Account {
	for _, a := range c.meta.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (c *company) taxCode(id string) *TaxCode {
	for _, t := range c.meta.TaxCodes {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (c *company) taxRate(id string) *TaxRate {
	for _, t := range c.meta.TaxRates {
		if t.ID == id {
			return t
		}
	}
	return nil
}
