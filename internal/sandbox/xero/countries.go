package xero

import (
	"fmt"
	"strings"

	"github.com/booksync/booksync/internal/salestax"
	"github.com/booksync/booksync/internal/sandbox"
)

// edition is what a Xero organisation of a country is seeded with. Sources: Xero's help on default
// tax rates per edition (help.xero.com uk/au/us "Tax-SetDefaults", us "Settings_TaxRatesView"),
// third-party lists of Xero's TaxTypes (eswap.global, odatalink), and Xero's OpenAPI document
// (TaxType, ReportTaxType and Organisation.Version enums).
type edition struct {
	// Version is Organisation.Version: UK, AU, NZ, US or GLOBAL.
	Version string
	// Tax names the tax on its components and on the liability account ("VAT", "GST").
	Tax string
	// Rates are the rates Xero seeds. UK, AU and NZ organisations have national rates with a
	// ReportTaxType; US and GLOBAL ones have four 0% rates only (ReportTaxType unsupported).
	Rates []seedRate
	// Added are the rates a user of the organisation added for the country's taxes (GLOBAL and US
	// editions seed none): they get TaxTypes TAX001, TAX002, ... in order. Rates from the
	// European Commission's TEDB (via vatnode eu-vat-rates-data 2026-08-19), and for CA the
	// Canada Revenue Agency's GST/HST rates as of 2026.
	Added []addedRate
	// SalesTaxType is the Sales account's default TaxType.
	SalesTaxType string
	// TaxNumber is the organisation's tax number as its tax authority formats it.
	TaxNumber string
	// Timezone is Organisation.Timezone.
	Timezone string
}

// seedRate is one rate an edition seeds.
type seedRate struct {
	name, taxType, report, rate string
	sales, expenses             bool
}

// addedRate is one rate a user added.
type addedRate struct {
	name string
	// components are name/rate pairs (Canada's combined rates have two).
	components [][2]string
}

// globalRates are the four 0% rates Xero seeds in US and GLOBAL organisations.
func globalRates(tax string) []seedRate {
	return []seedRate{
		{"Tax on Sales", "OUTPUT", "", "0", true, false},
		{"Tax on Purchases", "INPUT", "", "0", false, true},
		{"Tax Exempt", "NONE", "", "0", true, true},
		{tax + " on Imports", "GSTONIMPORTS", "", "0", false, true},
	}
}

func vat(name, rate string) addedRate { return addedRate{name, [][2]string{{"VAT", rate}}} }

// editions are the seeds by country code.
var editions = map[string]edition{
	"GB": {Version: "UK", Tax: "VAT", SalesTaxType: "OUTPUT2", TaxNumber: "GB123456789", Timezone: "GMTSTANDARDTIME",
		Rates: []seedRate{
			{"20% (VAT on Income)", "OUTPUT2", "OUTPUT", "20", true, false},
			{"5% (VAT on Income)", "RROUTPUT", "OUTPUT", "5", true, false},
			{"Zero Rated Income", "ZERORATEDOUTPUT", "ZERORATEDOUTPUT", "0", true, false},
			{"Exempt Income", "EXEMPTOUTPUT", "EXEMPTOUTPUT", "0", true, false},
			{"No VAT", "NONE", "NONE", "0", true, true},
			{"20% (VAT on Expenses)", "INPUT2", "INPUT", "20", false, true},
			{"5% (VAT on Expenses)", "RRINPUT", "INPUT", "5", false, true},
			{"Zero Rated Expenses", "ZERORATEDINPUT", "ZERORATEDINPUT", "0", false, true},
			{"Exempt Expenses", "EXEMPTINPUT", "EXEMPTINPUT", "0", false, true},
			// The EC rates Xero's UK edition seeds (help.xero.com/uk/Tax-SetDefaults): since 2021 they
			// serve Northern Ireland's trade in goods with the EU, and sales recorded before.
			{"Zero Rated EC Goods Income", "ECZROUTPUT", "ECOUTPUT", "0", true, false},
			{"Zero Rated EC Services", "ECZROUTPUTSERVICES", "ECOUTPUTSERVICES", "0", true, false},
			{"Zero Rated EC Expenses", "ECZRINPUT", "ECINPUT", "0", false, true},
		}},
	"AU": {Version: "AU", Tax: "GST", SalesTaxType: "OUTPUT", TaxNumber: "53004085616", Timezone: "AUSEASTERNSTANDARDTIME",
		Rates: []seedRate{
			{"GST on Income", "OUTPUT", "OUTPUT", "10", true, false},
			{"GST Free Income", "EXEMPTOUTPUT", "EXEMPTOUTPUT", "0", true, false},
			{"BAS Excluded", "BASEXCLUDED", "BASEXCLUDED", "0", true, true},
			{"GST on Expenses", "INPUT", "INPUT", "10", false, true},
			{"GST Free Expenses", "EXEMPTEXPENSES", "EXEMPTEXPENSES", "0", false, true},
			{"GST on Imports", "GSTONIMPORTS", "GSTONIMPORTS", "0", false, true},
		}},
	"NZ": {Version: "NZ", Tax: "GST", SalesTaxType: "OUTPUT2", TaxNumber: "123-456-789", Timezone: "NEWZEALANDSTANDARDTIME",
		Rates: []seedRate{
			{"15% GST on Income", "OUTPUT2", "OUTPUT", "15", true, false},
			{"Zero Rated", "ZERORATED", "ZERORATEDOUTPUT", "0", true, false},
			{"No GST", "NONE", "NONE", "0", true, true},
			{"15% GST on Expenses", "INPUT2", "INPUT", "15", false, true},
			{"GST on Imports", "GSTONIMPORTS", "GSTONIMPORTS", "0", false, true},
		}},
	// Automated sales tax is a QuickBooks feature; a Xero US organisation's user adds a rate for
	// each place it sells to, a component per jurisdiction (Xero's US sales tax rates): here the
	// places of booksync's table of published state and local rates, New York City first.
	"US": {Version: "US", Tax: "Sales Tax", SalesTaxType: "TAX001", TaxNumber: "12-3456789", Timezone: "EASTERNSTANDARDTIME",
		Rates: globalRates("Sales Tax"), Added: usSalesTaxRates()},
	"IE": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "IE1234567T", Timezone: "GMTSTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("VAT 23%", "23"), vat("VAT 13.5%", "13.5"), vat("VAT 9%", "9")}},
	"DE": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "DE123456789", Timezone: "WEUROPESTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("USt 19%", "19"), vat("USt 7%", "7")}},
	"FR": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "FR12345678901", Timezone: "ROMANCESTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("TVA 20%", "20"), vat("TVA 10%", "10"), vat("TVA 5.5%", "5.5"), vat("TVA 2.1%", "2.1")}},
	"NL": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "NL123456789B01", Timezone: "WEUROPESTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("BTW 21%", "21"), vat("BTW 9%", "9")}},
	"ES": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "ESX1234567X", Timezone: "ROMANCESTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("IVA 21%", "21"), vat("IVA 10%", "10"), vat("IVA 4%", "4")}},
	"IT": {Version: "GLOBAL", Tax: "VAT", SalesTaxType: "TAX001", TaxNumber: "IT12345678901", Timezone: "WEUROPESTANDARDTIME",
		Rates: globalRates("VAT"), Added: []addedRate{vat("IVA 22%", "22"), vat("IVA 10%", "10"), vat("IVA 5%", "5"), vat("IVA 4%", "4")}},
	"CA": {Version: "GLOBAL", Tax: "GST", SalesTaxType: "TAX001", TaxNumber: "123456789RT0001", Timezone: "EASTERNSTANDARDTIME",
		Rates: globalRates("GST"), Added: []addedRate{
			{"GST", [][2]string{{"GST", "5"}}},
			{"HST ON", [][2]string{{"HST", "13"}}},
			{"HST NB/NL/PE", [][2]string{{"HST", "15"}}},
			{"GST/QST QC", [][2]string{{"GST", "5"}, {"QST", "9.975"}}},
			{"GST/PST BC", [][2]string{{"GST", "5"}, {"PST", "7"}}},
		}},
}

// usSalesTaxRates are the rates a Xero US organisation's user adds, one per place of the salestax
// table that charges sales tax and is a city, or a whole state without local rates (Xero's own
// Tax Exempt covers 0%), each with a component per jurisdiction, named as the place ("Los Angeles,
// CA").
func usSalesTaxRates() []addedRate {
	var out []addedRate
	cities := map[string]bool{}
	for _, p := range salestax.Places() {
		if p.Name != "" {
			cities[p.State] = true
		}
	}
	for _, p := range salestax.Places() {
		if p.Combined().IsZero() || (p.Name == "" && cities[p.State]) {
			continue
		}
		a := addedRate{name: p.Label()}
		for _, j := range p.Jurisdictions {
			a.components = append(a.components, [2]string{j.Name, j.Rate.String()})
		}
		out = append(out, a)
	}
	return out
}

// editionOf is the seed of the organisation's country (GB for organisations saved before
// organisations had one).
func editionOf(country string) edition {
	if e, ok := editions[strings.ToUpper(country)]; ok {
		return e
	}
	return editions["GB"]
}

// seedTaxRatesOf seeds the edition's rates, then the ones its user added (TAX001, ...), and
// returns them with the next TAXnnn number.
func seedTaxRatesOf(e edition) ([]*TaxRate, int) {
	e.Added = append(append([]addedRate{}, e.Added...), salesAbroad(e)...)
	out := make([]*TaxRate, 0, len(e.Rates)+len(e.Added))
	for _, x := range e.Rates {
		tr := newTaxRate(x.name, x.taxType, x.report, sandbox.NewAmount(x.rate))
		// Sales rates cannot go on expense accounts and vice versa; invoices check
		// CanApplyToRevenue.
		tr.CanApplyToRevenue, tr.CanApplyToExpenses = x.sales, x.expenses
		tr.TaxComponents = []TaxComponent{{Name: e.Tax, Rate: sandbox.NewAmount(x.rate)}}
		out = append(out, tr)
	}
	n := 1
	for _, a := range e.Added {
		total := sandbox.NewAmount("0")
		comps := make([]TaxComponent, len(a.components))
		for i, c := range a.components {
			comps[i] = TaxComponent{Name: c[0], Rate: sandbox.NewAmount(c[1])}
			total = sandbox.AmountOf(total.Add(comps[i].Rate.Decimal))
		}
		report := ""
		if e.Version != "US" && e.Version != "GLOBAL" {
			report = "OUTPUT"
		}
		tr := newTaxRate(a.name, fmt.Sprintf("TAX%03d", n), report, total)
		tr.TaxComponents = comps
		out = append(out, tr)
		n++
	}
	return out, n
}
