package quickbooks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// The pseudo tax rates of a company with US automated sales tax (AST). See the package
// documentation: QuickBooks computes the tax, and lines only say taxable or not.
const (
	// TaxableCode is the line tax code of a taxable line under AST.
	TaxableCode = "TAX"
	// NonTaxableCode is the line tax code of a non-taxable line under AST.
	NonTaxableCode = "NON"
)

// Org reads the company (GET companyinfo/{realm}) and its preferences (GET preferences) for the
// home currency. CountryCode is CompanyInfo.Country, which QuickBooks holds as ISO 3166-1 alpha-2
// ("US", "GB", "CA", "AU").
func (c *Client) Org(ctx context.Context) (platform.Org, error) {
	var env struct {
		CompanyInfo wireCompanyInfo `json:"CompanyInfo"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/companyinfo/" + url.PathEscape(c.cfg.RealmID)}, "", &env); err != nil {
		return platform.Org{}, err
	}
	p, err := c.preferences(ctx, true)
	if err != nil {
		return platform.Org{}, err
	}
	ci := env.CompanyInfo
	org := platform.Org{ID: c.cfg.RealmID, Name: ci.CompanyName, CountryCode: strings.ToUpper(ci.Country)}
	if org.Name == "" {
		org.Name = ci.LegalName
	}
	if p.CurrencyPrefs != nil {
		org.BaseCurrency = refValue(p.CurrencyPrefs.HomeCurrency)
	}
	return org, nil
}

// AutomatedSalesTax reports whether the company uses US automated sales tax
// (Preferences.TaxPrefs.PartnerTaxEnabled). The answer is cached for the client's life: a company
// does not leave AST.
func (c *Client) AutomatedSalesTax(ctx context.Context) (bool, error) {
	p, err := c.preferences(ctx, false)
	if err != nil {
		return false, err
	}
	return p.TaxPrefs != nil && p.TaxPrefs.PartnerTaxEnabled, nil
}

// preferences returns the company's preferences, read once per client unless fresh.
func (c *Client) preferences(ctx context.Context, fresh bool) (wirePreferences, error) {
	c.mu.Lock()
	p := c.prefs
	c.mu.Unlock()
	if p != nil && !fresh {
		return *p, nil
	}
	var env struct {
		Preferences wirePreferences `json:"Preferences"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/preferences"}, "", &env); err != nil {
		return wirePreferences{}, err
	}
	c.mu.Lock()
	c.prefs = &env.Preferences
	c.mu.Unlock()
	return env.Preferences, nil
}

// TaxRates reads the company's sales tax codes. For an AST company it returns the two pseudo
// rates TAX (Automated: QuickBooks computes the rate from the customer's address, so there is no
// single value) and NON (0%), which are all a line can say there. Otherwise each
// TaxCode becomes a rate: Code is its Id, Rate the sum of the RateValue of the TaxRates in its
// SalesTaxRateList, Components those rates, Revenue whether it has a sales rate list (a
// purchase-only code cannot go on an invoice), and Status Archived when the code is inactive or
// refers to a rate QuickBooks did not return.
func (c *Client) TaxRates(ctx context.Context) ([]platform.TaxRate, error) {
	ast, err := c.AutomatedSalesTax(ctx)
	if err != nil {
		return nil, err
	}
	if ast {
		return []platform.TaxRate{
			{Code: TaxableCode, Name: "Taxable (automated sales tax)", Status: "Active", Automated: true, Revenue: true},
			{Code: NonTaxableCode, Name: "Non-taxable", Status: "Active", Rate: 0, Revenue: true},
		}, nil
	}
	codes, rates, err := c.taxCodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]platform.TaxRate, 0, len(codes))
	for _, tc := range codes {
		tr := platform.TaxRate{Code: tc.Id, Name: tc.Name, Status: activeOrArchived(tc.Active)}
		if tc.SalesTaxRateList != nil && len(tc.SalesTaxRateList.TaxRateDetail) > 0 {
			tr.Revenue = true
			for _, d := range tc.SalesTaxRateList.TaxRateDetail {
				r, ok := rates[refValue(d.TaxRateRef)]
				if !ok {
					tr.Status = "Archived"
					continue
				}
				v, err := rate(r.RateValue)
				if err != nil {
					return nil, unexpected(err, false)
				}
				tr.Rate += v
				tr.Components = append(tr.Components, platform.TaxComponent{Name: r.Name, Rate: v,
					IsCompound: d.TaxTypeApplicable == "TaxOnAmountPlusTax" || d.TaxTypeApplicable == "TaxOnTax"})
			}
		}
		tr.Kind = codeKind(tc, tr.Rate)
		out = append(out, tr)
	}
	return out, nil
}

// codeKind is the kind of sale a QuickBooks tax code is for: the UK edition's EC codes ("0.0% ECG"
// for goods, "0.0% ECS" for services sold to a business in another EU member state, which accounts
// for the VAT), or a code whose name or description says reverse charge or export.
func codeKind(tc wireTaxCode, rate int64) booksync.VATRateKind {
	if rate != 0 {
		return ""
	}
	for _, w := range strings.Fields(tc.Name) {
		if w == "ECG" || w == "ECS" {
			return booksync.VATRateReverseCharge
		}
	}
	return booksync.TaxRateKindOf(tc.Name+" "+tc.Description, rate)
}

// taxCodes reads every tax code and tax rate, active or not, the rates by Id, and keeps them for
// cachedTaxCodes.
func (c *Client) taxCodes(ctx context.Context) ([]wireTaxCode, map[string]wireTaxRate, error) {
	codes, err := queryAll[wireTaxCode](ctx, c, "TaxCode", "Active in (true, false)")
	if err != nil {
		return nil, nil, err
	}
	rs, err := queryAll[wireTaxRate](ctx, c, "TaxRate", "Active in (true, false)")
	if err != nil {
		return nil, nil, err
	}
	rates := make(map[string]wireTaxRate, len(rs))
	for _, r := range rs {
		rates[r.Id] = r
	}
	c.mu.Lock()
	c.codes, c.rates = codes, rates
	c.mu.Unlock()
	return codes, rates, nil
}

// cachedTaxCodes is taxCodes, read once per client.
func (c *Client) cachedTaxCodes(ctx context.Context) ([]wireTaxCode, map[string]wireTaxRate, error) {
	c.mu.Lock()
	codes, rates := c.codes, c.rates
	c.mu.Unlock()
	if codes != nil {
		return codes, rates, nil
	}
	return c.taxCodes(ctx)
}

// accountTypes maps QuickBooks' account Classification onto Monite's ledger account types.
var accountTypes = map[string]string{
	"Asset": "Asset", "Equity": "Equity", "Expense": "Expense", "Liability": "Liability", "Revenue": "Income",
}

// LedgerAccounts reads the chart of accounts, inactive accounts included as Archived. Code is
// AcctNum, or the Id when the company does not number its accounts; Subtype is AccountType.
func (c *Client) LedgerAccounts(ctx context.Context) ([]platform.LedgerAccount, error) {
	accts, err := queryAll[wireAccount](ctx, c, "Account", "Active in (true, false)")
	if err != nil {
		return nil, err
	}
	out := make([]platform.LedgerAccount, 0, len(accts))
	for _, a := range accts {
		typ, ok := accountTypes[a.Classification]
		if !ok {
			typ = "Unknown"
		}
		code := a.AcctNum
		if code == "" {
			code = a.Id
		}
		out = append(out, platform.LedgerAccount{
			ID: a.Id, Code: code, Name: a.Name, Type: typ, Subtype: a.AccountType,
			Status: activeOrArchived(a.Active), IsBank: a.AccountType == "Bank",
			Currency: refValue(a.CurrencyRef), Description: a.Description,
			PaymentsAllowed: paymentsAllowed(a),
			SalesRefusal:    salesRefusal(a),
		})
	}
	return out, nil
}

// salesRefusal says why invoice lines cannot book sales to a: a bank account holds money and a
// receivables account what customers owe, and an invoice line's amount belongs to neither (the
// invoice itself posts the receivable). Empty when a can take sales.
func salesRefusal(a wireAccount) string {
	switch a.AccountType {
	case "Bank":
		return "it is a bank account; invoice lines book sales to income accounts"
	case "Accounts Receivable":
		return "it is the receivables account, which the invoice itself posts to; invoice lines book sales to income accounts"
	}
	return ""
}

// paymentsAllowed reports whether QuickBooks takes a customer payment into a: a bank account, or
// the Undeposited Funds account (an Other Current Asset) that payments wait in before a deposit.
func paymentsAllowed(a wireAccount) bool {
	if a.AccountType == "Bank" {
		return true
	}
	return a.AccountType == "Other Current Asset" &&
		(a.AccountSubType == "UndepositedFunds" || strings.EqualFold(a.Name, "Undeposited Funds"))
}

// accounts resolves account codes (AcctNum, or Id) to active accounts, reading the chart of
// accounts once, when first needed.
type accounts struct {
	c           *Client
	loaded      bool
	byNum, byID map[string]wireAccount
}

// resolve returns the account with AcctNum code, else with Id code. booksync's ledger account
// Code is AcctNum when the company numbers its accounts and the Id when not, so the number wins.
func (x *accounts) resolve(ctx context.Context, code string) (wireAccount, bool, error) {
	if !x.loaded {
		accts, err := queryAll[wireAccount](ctx, x.c, "Account", "")
		if err != nil {
			return wireAccount{}, false, err
		}
		x.byNum, x.byID = map[string]wireAccount{}, map[string]wireAccount{}
		for _, a := range accts {
			if !active(a.Active) {
				continue
			}
			if a.AcctNum != "" {
				x.byNum[a.AcctNum] = a
			}
			x.byID[a.Id] = a
		}
		x.loaded = true
	}
	if a, ok := x.byNum[code]; ok {
		return a, true, nil
	}
	a, ok := x.byID[code]
	return a, ok, nil
}

// accountMissing is the error of an account code that resolves to no active account.
func accountMissing(field, code string) error {
	return precheck("ledger_account_not_found", field,
		fmt.Sprintf("Ledger account does not exist in QuickBooks: no active account has number or id %q", code),
		"Create or activate the account in QuickBooks' chart of accounts, or set the product's ledger_account_id (or the entity's accounting.ledger_account_ids.products) to an existing account, then push again.")
}
