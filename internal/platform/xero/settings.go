package xero

import (
	"context"
	"fmt"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// Org reads the organisation (GET /Organisation).
func (c *Client) Org(ctx context.Context) (platform.Org, error) {
	var env struct {
		Organisations []wireOrganisation `json:"Organisations"`
	}
	if err := c.get(ctx, "/Organisation", nil, nil, &env); err != nil {
		return platform.Org{}, err
	}
	if len(env.Organisations) == 0 {
		return platform.Org{}, unexpected(fmt.Errorf("xero: no organisation in the answer"), false)
	}
	o := env.Organisations[0]
	id := o.OrganisationID
	if id == "" {
		id = c.cfg.TenantID
	}
	return platform.Org{ID: id, Name: o.Name, BaseCurrency: o.BaseCurrency, CountryCode: o.CountryCode}, nil
}

// TaxRates reads the organisation's tax rates (GET /TaxRates), archived and deleted ones included
// as "Archived" so that booksync can tell a mapping that went stale from one that never existed.
func (c *Client) TaxRates(ctx context.Context) ([]platform.TaxRate, error) {
	var env struct {
		TaxRates []wireTaxRate `json:"TaxRates"`
	}
	if err := c.get(ctx, "/TaxRates", nil, nil, &env); err != nil {
		return nil, err
	}
	out := make([]platform.TaxRate, 0, len(env.TaxRates))
	for _, t := range env.TaxRates {
		r := t.EffectiveRate
		if r == "" {
			r = t.DisplayTaxRate
		}
		v, err := rate(r)
		if err != nil {
			return nil, unexpected(err, false)
		}
		tr := platform.TaxRate{Code: t.TaxType, Name: t.Name, Status: activeOrArchived(t.Status),
			Rate: v, Revenue: t.CanApplyToRevenue, Kind: taxTypeKind(t.TaxType, t.Name, v)}
		for _, comp := range t.TaxComponents {
			cv, err := rate(comp.Rate)
			if err != nil {
				return nil, unexpected(err, false)
			}
			tr.Components = append(tr.Components, platform.TaxComponent{Name: comp.Name, Rate: cv, IsCompound: comp.IsCompound})
		}
		out = append(out, tr)
	}
	return out, nil
}

// taxTypeKind is the kind of sale a Xero rate is for: its TaxType says so for the rates Xero
// seeds (a UK organisation's zero-rated EC sales, whose buyer accounts for the VAT; an Australian
// one's GST-free exports), its name for one a user added (TAX001, ...), since Global
// organisations have no TaxType of their own for them.
func taxTypeKind(taxType, name string, rate int64) booksync.VATRateKind {
	switch {
	case rate != 0:
		return ""
	case taxType == "ECZROUTPUT" || taxType == "ECZROUTPUTSERVICES":
		return booksync.VATRateReverseCharge
	case taxType == "EXEMPTEXPORT":
		return booksync.VATRateExport
	}
	return booksync.TaxRateKindOf(name, rate)
}

// activeOrArchived maps Xero's statuses onto booksync's two: anything not usable is archived.
func activeOrArchived(status string) string {
	if status == "ACTIVE" {
		return "Active"
	}
	return "Archived"
}

// accountTypes maps Xero's account Class onto Monite's ledger account types.
var accountTypes = map[string]string{
	"ASSET": "Asset", "EQUITY": "Equity", "EXPENSE": "Expense", "LIABILITY": "Liability", "REVENUE": "Income",
}

// LedgerAccounts reads the chart of accounts (GET /Accounts).
func (c *Client) LedgerAccounts(ctx context.Context) ([]platform.LedgerAccount, error) {
	var env struct {
		Accounts []wireAccount `json:"Accounts"`
	}
	if err := c.get(ctx, "/Accounts", nil, nil, &env); err != nil {
		return nil, err
	}
	out := make([]platform.LedgerAccount, 0, len(env.Accounts))
	for _, a := range env.Accounts {
		typ, ok := accountTypes[a.Class]
		if !ok {
			typ = "Unknown"
		}
		// Xero refuses a bank or system account (receivables, payables, ...) on an invoice line.
		var refusal string
		switch {
		case a.Type == "BANK":
			refusal = "Xero does not book invoice lines to bank accounts"
		case a.SystemAccount != "":
			refusal = "it is a Xero system account (" + a.SystemAccount + "), which invoice lines cannot use"
		}
		out = append(out, platform.LedgerAccount{
			ID: a.AccountID, Code: a.Code, Name: a.Name, Type: typ, Subtype: a.Type,
			Status: activeOrArchived(a.Status), IsBank: a.Type == "BANK", Currency: a.CurrencyCode,
			Description: a.Description,
			// Bank accounts always take payments; other accounts only when enabled in Xero.
			PaymentsAllowed: a.EnablePaymentsToAccount || a.Type == "BANK",
			SalesRefusal:    refusal,
		})
	}
	return out, nil
}
