package quickbooks

import (
	_ "embed"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// salesTaxTable holds the published US state and local sales tax rates the sandbox's automated
// sales tax charges (salestax.tsv says where each figure comes from).
//
//go:embed salestax.tsv
var salesTaxTable string

// jurisdiction is one authority's sales tax rate: a state's, a county's, a city's or a special
// district's.
type jurisdiction struct {
	name string
	rate decimal.Decimal
}

// locality is a place automated sales tax knows: a city with its own rates on top of its state's,
// or a whole state (name empty) for an address in a city the table does not list.
type locality struct {
	state, name   string
	jurisdictions []jurisdiction // the state's first, then the locality's own
}

// codeName is the name of the tax code automated sales tax assigns to a transaction there.
func (l *locality) codeName() string {
	if l.name == "" {
		return l.state
	}
	return l.name + ", " + l.state
}

// combined is the sum of the locality's rates.
func (l *locality) combined() decimal.Decimal {
	sum := decimal.Zero
	for _, j := range l.jurisdictions {
		sum = sum.Add(j.rate)
	}
	return sum
}

// salesTaxPlaces is salestax.tsv parsed: the localities in the table's order, and each by state
// and lower-case city ("NY/brooklyn"), a whole state by its code alone ("OR").
var salesTaxPlaces, salesTaxByPlace = parseSalesTax(salesTaxTable)

func parseSalesTax(table string) ([]*locality, map[string]*locality) {
	var list []*locality
	by := map[string]*locality{}
	for _, row := range strings.Split(table, "\n") {
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		if len(f) != 4 {
			panic("salestax.tsv: a row needs 4 tab-separated columns: " + row)
		}
		state, cities, name := f[0], f[1], f[2]
		rate := decimal.RequireFromString(f[3])
		statewide := by[state]
		if statewide == nil {
			statewide = &locality{state: state}
			by[state] = statewide
			list = append(list, statewide)
		}
		if cities == "" {
			statewide.jurisdictions = append(statewide.jurisdictions, jurisdiction{name, rate})
			continue
		}
		alias := strings.Split(cities, "|")
		key := state + "/" + strings.ToLower(alias[0])
		loc := by[key]
		if loc == nil {
			// The state's rows come first in the table, so they are all known here.
			loc = &locality{state: state, name: alias[0], jurisdictions: append([]jurisdiction(nil), statewide.jurisdictions...)}
			list = append(list, loc)
			for _, a := range alias {
				by[state+"/"+strings.ToLower(a)] = loc
			}
		}
		loc.jurisdictions = append(loc.jurisdictions, jurisdiction{name, rate})
	}
	return list, by
}

// usStateCodes reads the full names of the table's states as their USPS codes.
var usStateCodes = map[string]string{
	"new york": "NY", "california": "CA", "texas": "TX", "washington": "WA", "illinois": "IL",
	"florida": "FL", "massachusetts": "MA", "oregon": "OR",
}

// placeOf finds where an address is taxed: its city in the table, else its state as a whole; nil
// when the table does not know its state (or it is not in the US).
func placeOf(a *PhysicalAddress) *locality {
	if a == nil {
		return nil
	}
	if c := strings.ToUpper(strings.TrimSpace(a.Country)); c != "" && c != "US" && c != "USA" && c != "UNITED STATES" {
		return nil
	}
	state := strings.ToUpper(strings.TrimSpace(a.CountrySubDivisionCode))
	if code, ok := usStateCodes[strings.ToLower(state)]; ok {
		state = code
	}
	if loc := salesTaxByPlace[state+"/"+strings.ToLower(strings.TrimSpace(a.City))]; loc != nil {
		return loc
	}
	return salesTaxByPlace[state]
}

// taxAddress is the address automated sales tax charges an invoice's tax for: the invoice's
// ship-to address, else its customer's shipping address, else the customer's billing address,
// else (or when the table knows none of these) the company's own address. It also returns the
// address to show as the invoice's ShipAddr (nil when the company's is used).
func taxAddress(c *company, ship *PhysicalAddress, cu *Customer) (*locality, *PhysicalAddress) {
	for _, a := range []*PhysicalAddress{ship, shipOf(cu), billOf(cu)} {
		if loc := placeOf(a); loc != nil {
			return loc, a
		}
	}
	if loc := placeOf(&c.meta.Info.CompanyAddr); loc != nil {
		return loc, nil
	}
	return salesTaxByPlace["NY/new york city"], nil
}

func shipOf(cu *Customer) *PhysicalAddress {
	if cu == nil {
		return nil
	}
	return cu.ShipAddr
}

func billOf(cu *Customer) *PhysicalAddress {
	if cu == nil {
		return nil
	}
	return cu.BillAddr
}

// usTaxCodeFor returns the tax code automated sales tax assigns in loc, with one sales TaxRate per
// jurisdiction, creating them in the company when they are not there yet (a company seeded before
// the table had the place).
func (c *company) usTaxCodeFor(loc *locality, meta MetaData) (*TaxCode, []*TaxRate) {
	var rates []*TaxRate
	for _, j := range loc.jurisdictions {
		var rate *TaxRate
		for _, r := range c.meta.TaxRates {
			if r.Name == j.name && r.Description == "Sales Tax "+loc.state {
				rate = r
				break
			}
		}
		if rate == nil {
			rate = &TaxRate{ID: c.newID("TaxRate"), SyncToken: "0", MetaData: meta, Name: j.name,
				Description: "Sales Tax " + loc.state, Active: true, RateValue: sandbox.AmountOf(j.rate),
				AgencyRef: Ref{Value: "1"}, SpecialTaxType: "NONE", DisplayType: "ReadOnly"}
			c.meta.TaxRates = append(c.meta.TaxRates, rate)
		}
		rates = append(rates, rate)
	}
	for _, tc := range c.meta.TaxCodes {
		if tc.Name == loc.codeName() {
			return tc, rates
		}
	}
	tc := &TaxCode{ID: c.newID("TaxCode"), SyncToken: "0", MetaData: meta, Name: loc.codeName(),
		Description: loc.codeName() + " " + loc.combined().String() + "%", Active: true, Taxable: true, TaxGroup: true,
		SalesTaxRateList: TaxRateList{TaxRateDetail: []TaxRateDetail{}}, PurchaseTaxRateList: TaxRateList{TaxRateDetail: []TaxRateDetail{}}}
	for i, r := range rates {
		tc.SalesTaxRateList.TaxRateDetail = append(tc.SalesTaxRateList.TaxRateDetail,
			TaxRateDetail{TaxRateRef: Ref{Value: r.ID, Name: r.Name}, TaxTypeApplicable: "TaxOnAmount", TaxOrder: i})
	}
	c.meta.TaxCodes = append(c.meta.TaxCodes, tc)
	return tc, rates
}

// usTax computes automated sales tax where loc's rates apply: each jurisdiction's rate on the sum
// of the taxable lines (less their share of any discount), rounded to the cent, one TaxLine per
// jurisdiction. A TotalTax in the request overrides the computed tax, as QuickBooks honours an
// explicit tax amount: it is prorated over the jurisdictions by their rates (each share rounded,
// the last taking the remainder), each TaxLine's OverrideDeltaAmount is its share less its
// computed tax, and the invoice's TaxReviewStatus is AST_TAX_OVERRIDE. An override of a
// transaction with nothing taxable is refused (6000): there is no taxable amount to charge it on.
func usTax(c *company, loc *locality, rates []*TaxRate, sales []Line, taxable []bool, subtotal, disc decimal.Decimal, req *txnTaxIn) (decimal.Decimal, []TaxLine, bool, *qbFault) {
	base := decimal.Zero
	for i, l := range sales {
		if taxable[i] {
			base = base.Add(l.Amount.Decimal)
		}
	}
	if !disc.IsZero() && !subtotal.IsZero() {
		base = base.Sub(allocate(disc, []decimal.Decimal{base, subtotal.Sub(base)})[0])
	}
	hundred := decimal.NewFromInt(100)
	computed := make([]decimal.Decimal, len(rates))
	total := decimal.Zero
	for i, r := range rates {
		computed[i] = round2(base.Mul(r.RateValue.Decimal).Div(hundred))
		total = total.Add(computed[i])
	}
	amounts := computed
	override := false
	if req != nil && req.TotalTax != nil && !round2(req.TotalTax.Decimal).Equal(total) {
		want := round2(req.TotalTax.Decimal)
		if base.IsZero() {
			return decimal.Zero, nil, false, businessError("The sales tax amount " + want.StringFixed(2) + " cannot be charged: no line of this transaction is taxable.")
		}
		override = true
		amounts = prorate(want, loc.jurisdictions)
		total = want
	}
	if base.IsZero() && total.IsZero() {
		return total, nil, false, nil
	}
	lines := make([]TaxLine, len(rates))
	for i, r := range rates {
		tld := TaxLineDetail{TaxRateRef: Ref{Value: r.ID, Name: r.Name}, PercentBased: true, TaxPercent: r.RateValue,
			NetAmountTaxable: sandbox.AmountOf(base)}
		if override {
			d := sandbox.AmountOf(amounts[i].Sub(computed[i]))
			tld.OverrideDeltaAmount = &d
		}
		lines[i] = TaxLine{Amount: sandbox.AmountOf(amounts[i]), DetailType: "TaxLineDetail", TaxLineDetail: tld}
	}
	return total, lines, override, nil
}

// prorate splits an overriding tax over jurisdictions in proportion to their rates, each share
// rounded to the cent and the last taking the remainder (all of it where every rate is 0%).
func prorate(tax decimal.Decimal, js []jurisdiction) []decimal.Decimal {
	weights := make([]decimal.Decimal, len(js))
	sum := decimal.Zero
	for i, j := range js {
		weights[i] = j.rate
		sum = sum.Add(j.rate)
	}
	out := make([]decimal.Decimal, len(js))
	left := tax
	for i := range js {
		if i == len(js)-1 || sum.IsZero() {
			out[len(js)-1] = left
			break
		}
		out[i] = round2(tax.Mul(weights[i]).Div(sum))
		left = left.Sub(out[i])
	}
	return out
}
