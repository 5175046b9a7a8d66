package quickbooks

import (
	"strings"

	"github.com/booksync/booksync/internal/sandbox"
)

// profile is what a QuickBooks Online company of a country is seeded with besides its currency.
// Sources: Intuit's help on VAT codes (UK: quickbooks.intuit.com/learn-support/en-uk, "QuickBooks
// VAT codes"), on Canadian sales tax codes (QuickBooks community "Common sales tax codes", names
// only: rates are the Canada Revenue Agency's of 2026) and on Australian GST codes (QuickBooks
// Online Plus help "help_globaltax_info_salestax_codes_domestic"). For IE, DE, FR, NL, ES, IT and
// NZ, whose QuickBooks editions Intuit does not document for developers, the codes follow the UK
// edition's pattern with the country's VAT or GST rates from the European Commission's TEDB (via
// vatnode eu-vat-rates-data 2026-08-19) and Inland Revenue (NZ 15%).
type profile struct {
	// codes are the sales tax codes, each with one rate of the same name; the first is the
	// standard rate, which the seeded "Services" item carries.
	codes []seedCode
	// taxAccount names the tax liability account.
	taxAccount string
	addr       PhysicalAddress
	timezone   string
}

// seedCode is one tax code and its sales rate.
type seedCode struct{ code, rate, value, desc string }

// vatCodes are the UK edition's codes with the country's standard and reduced rates.
func vatCodes(standard string, reduced ...string) []seedCode {
	out := []seedCode{{standard + "% S", standard + "% S", standard, "Standard"}}
	for _, r := range reduced {
		out = append(out, seedCode{r + "% R", r + "% R", r, "Reduced"})
	}
	out = append(out,
		seedCode{"0.0% Z", "0.0% Z", "0", "Zero-rated"},
		seedCode{"Exempt", "Exempt", "0", "Exempt"},
		seedCode{"No VAT", "No VAT", "0", "No VAT"})
	return append(out, ecCodes()...)
}

var profiles = map[string]profile{
	// The UK edition's EC codes close its list: since 2021 they serve Northern Ireland's trade in
	// goods with the EU.
	"GB": {codes: append([]seedCode{
		{"20.0% S", "20.0% S", "20", "Standard"},
		{"5.0% R", "5.0% R", "5", "Reduced"},
		{"0.0% Z", "0.0% Z", "0", "Zero-rated"},
		{"Exempt", "Exempt", "0", "Exempt"},
		{"No VAT", "No VAT", "0", "No VAT"},
	}, ecCodes()...), taxAccount: "VAT Control", timezone: "Europe/London",
		addr: PhysicalAddress{Line1: "1 Cabot Square", City: "London", PostalCode: "E14 4QJ", Country: "GB"}},
	"US": {taxAccount: "Sales Tax Payable", timezone: "America/New_York",
		addr: PhysicalAddress{Line1: "1 Liberty Plaza", City: "New York", CountrySubDivisionCode: "NY", PostalCode: "10006", Country: "US"}},
	"IE": {codes: vatCodes("23", "13.5", "9"), taxAccount: "VAT Control", timezone: "Europe/Dublin",
		addr: PhysicalAddress{Line1: "1 Grand Canal Square", City: "Dublin", PostalCode: "D02 P820", Country: "IE"}},
	"DE": {codes: vatCodes("19", "7"), taxAccount: "VAT Control", timezone: "Europe/Berlin",
		addr: PhysicalAddress{Line1: "Unter den Linden 1", City: "Berlin", PostalCode: "10117", Country: "DE"}},
	"FR": {codes: vatCodes("20", "10", "5.5", "2.1"), taxAccount: "VAT Control", timezone: "Europe/Paris",
		addr: PhysicalAddress{Line1: "1 Rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FR"}},
	"NL": {codes: vatCodes("21", "9"), taxAccount: "VAT Control", timezone: "Europe/Amsterdam",
		addr: PhysicalAddress{Line1: "Dam 1", City: "Amsterdam", PostalCode: "1012 JS", Country: "NL"}},
	"ES": {codes: vatCodes("21", "10", "4"), taxAccount: "VAT Control", timezone: "Europe/Madrid",
		addr: PhysicalAddress{Line1: "Gran Via 1", City: "Madrid", PostalCode: "28013", Country: "ES"}},
	"IT": {codes: vatCodes("22", "10", "5", "4"), taxAccount: "VAT Control", timezone: "Europe/Rome",
		addr: PhysicalAddress{Line1: "Via del Corso 1", City: "Roma", PostalCode: "00186", Country: "IT"}},
	"CA": {codes: []seedCode{
		{"HST ON", "HST ON", "13", "HST Ontario"},
		{"GST", "GST", "5", "GST"},
		{"HST NB", "HST NB", "15", "HST New Brunswick"},
		{"GST/QST QC", "GST/QST QC", "14.975", "GST and QST Quebec"},
		{"GST/PST BC", "GST/PST BC", "12", "GST and PST British Columbia"},
		{"Z", "Z", "0", "Zero-rated"},
		{"E", "E", "0", "Exempt"},
		{"Out of scope", "Out of scope", "0", "Out of scope"},
	}, taxAccount: "GST/HST Payable", timezone: "America/Toronto",
		addr: PhysicalAddress{Line1: "100 King St W", City: "Toronto", CountrySubDivisionCode: "ON", PostalCode: "M5X 1A9", Country: "CA"}},
	"AU": {codes: []seedCode{
		{"GST", "GST", "10", "GST"},
		{"GST-free", "GST-free", "0", "GST free"},
		{"GST-free exports", "GST-free exports", "0", "GST free exports"},
		{"Input taxed", "Input taxed", "0", "Input taxed"},
		{"0% Out of Scope", "0% Out of Scope", "0", "Out of scope"},
	}, taxAccount: "GST Payable", timezone: "Australia/Sydney",
		addr: PhysicalAddress{Line1: "1 Martin Place", City: "Sydney", CountrySubDivisionCode: "NSW", PostalCode: "2000", Country: "AU"}},
	"NZ": {codes: []seedCode{
		{"15% GST", "15% GST", "15", "GST"},
		{"Zero-rated", "Zero-rated", "0", "Zero-rated"},
		{"Exempt", "Exempt", "0", "Exempt"},
		{"No GST", "No GST", "0", "No GST"},
	}, taxAccount: "GST Payable", timezone: "Pacific/Auckland",
		addr: PhysicalAddress{Line1: "1 Queen Street", City: "Auckland", PostalCode: "1010", Country: "NZ"}},
}

// profileOf is the seed of the country (the UK's for one the sandbox does not know).
func profileOf(country string) profile {
	if p, ok := profiles[strings.ToUpper(country)]; ok {
		return p
	}
	return profiles["GB"]
}

// currencyProblem refuses a currency the company cannot use: any but its home currency until
// multicurrency is enabled, and one the sandbox has no exchange rate for after.
func (c *company) currencyProblem(code string) *qbFault {
	if code == "" || code == c.homeCurrency() {
		return nil
	}
	if !c.meta.Prefs.CurrencyPrefs.MultiCurrencyEnabled || !sandbox.KnownCurrency(code) {
		return currencyFault(c, code)
	}
	return nil
}

// exchangeRate is QuickBooks' ExchangeRate of a transaction in code: units of the home currency
// per unit of code, at the sandbox's fixed rates.
func (c *company) exchangeRate(code string) sandbox.Amount {
	return sandbox.AmountOf(sandbox.ExchangeRate(code, c.homeCurrency()))
}
