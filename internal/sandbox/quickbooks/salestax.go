package quickbooks

import (
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/salestax"
	"github.com/booksync/booksync/internal/sandbox"
)

// placeOf finds where an address is taxed (see salestax.Lookup); nil for no address.
func placeOf(a *PhysicalAddress) *salestax.Place {
	if a == nil {
		return nil
	}
	return salestax.Lookup(a.Country, a.CountrySubDivisionCode, a.City)
}

// taxAddress is the address automated sales tax charges an invoice's tax for: the invoice's
// ship-to address, else its customer's shipping address, else the customer's billing address,
// else (or when the table knows none of these) the company's own address. It also returns the
// address to show as the invoice's ShipAddr (nil when the company's is used).
func taxAddress(c *company, ship *PhysicalAddress, cu *Customer) (*salestax.Place, *PhysicalAddress) {
	for _, a := range []*PhysicalAddress{ship, shipOf(cu), billOf(cu)} {
		if loc := placeOf(a); loc != nil {
			return loc, a
		}
	}
	if loc := placeOf(&c.meta.Info.CompanyAddr); loc != nil {
		return loc, nil
	}
	return salestax.Lookup("US", "NY", "New York City"), nil
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
func (c *company) usTaxCodeFor(loc *salestax.Place, meta MetaData) (*TaxCode, []*TaxRate) {
	var rates []*TaxRate
	for _, j := range loc.Jurisdictions {
		var rate *TaxRate
		for _, r := range c.meta.TaxRates {
			if r.Name == j.Name && r.Description == "Sales Tax "+loc.State {
				rate = r
				break
			}
		}
		if rate == nil {
			rate = &TaxRate{ID: c.newID("TaxRate"), SyncToken: "0", MetaData: meta, Name: j.Name,
				Description: "Sales Tax " + loc.State, Active: true, RateValue: sandbox.AmountOf(j.Rate),
				AgencyRef: Ref{Value: "1"}, SpecialTaxType: "NONE", DisplayType: "ReadOnly"}
			c.meta.TaxRates = append(c.meta.TaxRates, rate)
		}
		rates = append(rates, rate)
	}
	for _, tc := range c.meta.TaxCodes {
		if tc.Name == loc.Label() {
			return tc, rates
		}
	}
	tc := &TaxCode{ID: c.newID("TaxCode"), SyncToken: "0", MetaData: meta, Name: loc.Label(),
		Description: loc.Label() + " " + loc.Combined().String() + "%", Active: true, Taxable: true, TaxGroup: true,
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
func usTax(c *company, loc *salestax.Place, rates []*TaxRate, sales []Line, taxable []bool, subtotal, disc decimal.Decimal, req *txnTaxIn) (decimal.Decimal, []TaxLine, bool, *qbFault) {
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
		amounts = prorate(want, loc.Jurisdictions)
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
func prorate(tax decimal.Decimal, js []salestax.Jurisdiction) []decimal.Decimal {
	weights := make([]decimal.Decimal, len(js))
	sum := decimal.Zero
	for i, j := range js {
		weights[i] = j.Rate
		sum = sum.Add(j.Rate)
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
