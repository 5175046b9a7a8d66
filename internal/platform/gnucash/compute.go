package gnucash

import (
	"fmt"
	"math/big"
)

// How the GnuCash 4.13 engine computes an invoice from its entries (gncEntry.c, gncInvoice.c),
// verified against the real engine by TestEngineArithmetic (testdata/oracle.py):
//
//  1. Per entry, in exact rationals: aggregate = quantity x price; when the entry's price
//     includes tax, pretax = (aggregate - value taxes) / (1 + sum of percent taxes), else
//     pretax = aggregate; value = pretax - discount (a VALUE discount, applied PRETAX); the tax
//     of each tax-table entry is value x percent / 100 (or its fixed amount).
//  2. The entry's net value is rounded to the currency's smallest unit, half away from zero;
//     the invoice's subtotal, and each income account's credit, are sums of rounded entry values.
//  3. Tax is NOT rounded per entry: the unrounded taxes of all entries are added per tax account,
//     and each account's sum is rounded once, half away from zero. The invoice's tax is the sum
//     of those rounded amounts, and its total is subtotal + tax.
//
// So two lines of 0.10 at 5% have a tax of 0.01 in GnuCash (0.005 + 0.005 = 0.01), where per-line
// rounding gives 0.02; and three lines of 1.00 including 20% VAT total 2.99 in GnuCash (net 0.83
// each, tax 0.50). The per-line figures GnuCash shows in the invoice (value and tax of an entry)
// are rounded per entry.
//
// A tax-table entry of type VALUE adds its amount to the entry's tax as it is, once per entry
// (not times the quantity), and with tax-inclusive prices is subtracted from the gross before
// the percentages divide it. A VALUE amount that is a whole number of minor units is left
// unchanged by step 3, which is how booksync makes GnuCash hold its per-line tax (fixedTax).

// taxEntry is one entry of a tax table.
type taxEntry struct {
	account string   // GUID of the tax account
	amount  *big.Rat // percent (20 for 20%) or a fixed amount
	percent bool
}

// entryInput is what the engine computes an entry from.
type entryInput struct {
	quantity, price, discount *big.Rat
	inclusive                 bool
	discountPercent           bool       // discount is a percentage of the pretax amount
	taxes                     []taxEntry // nil when the entry is not taxable
	account                   string     // income account GUID
}

// entryValues is the engine's result for one entry.
type entryValues struct {
	value    *big.Rat            // net value, unrounded
	taxes    map[string]*big.Rat // unrounded tax per tax account
	taxOrder []string            // accounts of taxes, in tax-table order
	net      int64               // value rounded to minor units
	taxMinor int64               // the entry's tax as GnuCash shows it (i_tax_value_rounded)
}

// invoiceValues is the engine's result for a whole invoice, in minor units.
type invoiceValues struct {
	entries       []entryValues
	incomeByAcct  map[string]int64
	incomeOrder   []string
	taxByAcct     map[string]int64
	taxOrder      []string
	subtotal, tax int64
	total         int64
}

// computeEntry is step 1 for one entry; fraction is the currency's smallest unit (100 for GBP).
func computeEntry(in entryInput, fraction int64) entryValues {
	aggregate := new(big.Rat).Mul(in.quantity, in.price)
	tpercent, tvalue := new(big.Rat), new(big.Rat)
	for _, t := range in.taxes {
		if t.percent {
			tpercent.Add(tpercent, new(big.Rat).Quo(t.amount, big.NewRat(100, 1)))
		} else {
			tvalue.Add(tvalue, t.amount)
		}
	}
	pretax := aggregate
	if in.inclusive && in.taxes != nil {
		pretax = new(big.Rat).Sub(aggregate, tvalue)
		pretax.Quo(pretax, new(big.Rat).Add(tpercent, big.NewRat(1, 1)))
	}
	discount := in.discount
	if in.discountPercent {
		discount = new(big.Rat).Mul(pretax, new(big.Rat).Quo(in.discount, big.NewRat(100, 1)))
	}
	value := new(big.Rat).Sub(pretax, discount)
	ev := entryValues{value: value, taxes: map[string]*big.Rat{}}
	for _, t := range in.taxes {
		amt := new(big.Rat).Set(t.amount)
		if t.percent {
			amt.Mul(value, new(big.Rat).Quo(t.amount, big.NewRat(100, 1)))
		}
		if prev, ok := ev.taxes[t.account]; ok {
			prev.Add(prev, amt)
		} else {
			ev.taxes[t.account] = amt
			ev.taxOrder = append(ev.taxOrder, t.account)
		}
	}
	ev.net = roundMinor(value, fraction)
	// gncEntryRecomputeValues: i_tax_value_rounded accumulates with a rounding add.
	acc := new(big.Rat)
	for _, a := range ev.taxOrder {
		acc.Add(acc, ev.taxes[a])
		acc.SetFrac(big.NewInt(roundMinor(acc, fraction)), big.NewInt(fraction))
	}
	ev.taxMinor = roundMinor(acc, fraction)
	return ev
}

// computeInvoice is steps 1-3 for all entries of an invoice.
func computeInvoice(entries []entryInput, fraction int64) invoiceValues {
	iv := invoiceValues{incomeByAcct: map[string]int64{}, taxByAcct: map[string]int64{}}
	taxSums := map[string]*big.Rat{}
	for _, in := range entries {
		ev := computeEntry(in, fraction)
		iv.entries = append(iv.entries, ev)
		if _, ok := iv.incomeByAcct[in.account]; !ok {
			iv.incomeOrder = append(iv.incomeOrder, in.account)
		}
		iv.incomeByAcct[in.account] += ev.net
		iv.subtotal += ev.net
		for _, a := range ev.taxOrder {
			if s, ok := taxSums[a]; ok {
				s.Add(s, ev.taxes[a])
			} else {
				taxSums[a] = new(big.Rat).Set(ev.taxes[a])
				iv.taxOrder = append(iv.taxOrder, a)
			}
		}
	}
	for _, a := range iv.taxOrder {
		iv.taxByAcct[a] = roundMinor(taxSums[a], fraction)
		iv.tax += iv.taxByAcct[a]
	}
	iv.total = iv.subtotal + iv.tax
	return iv
}

// roundMinor returns r x fraction rounded half away from zero (GNC_HOW_RND_ROUND_HALF_UP, which
// rounds -0.125 to -0.13). Amounts beyond int64 cannot occur: callers bound their inputs.
func roundMinor(r *big.Rat, fraction int64) int64 {
	n := new(big.Rat).Mul(r, big.NewRat(fraction, 1))
	num, den := new(big.Int).Abs(n.Num()), n.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if n.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

// numDenom returns r as GnuCash's num/denom pair, reduced, or an error when it does not fit in
// 64 bits (GnuCash's gnc_numeric is two int64s).
func numDenom(r *big.Rat) (int64, int64, error) {
	if !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return 0, 0, fmt.Errorf("%s does not fit GnuCash's 64-bit num/denom", r.RatString())
	}
	return r.Num().Int64(), r.Denom().Int64(), nil
}

// engineCanCompute reports whether the GnuCash engine can compute the invoice's entries as
// computeInvoice does without leaving its number type. The engine's gnc_numeric holds a 64-bit
// numerator and denominator: it adds the entries' unrounded taxes per tax account over their
// least common denominator (gncAccountValueAdd, GNC_HOW_DENOM_LCD), and a sum that needs more bits
// is an error there ("Operator+ overflowed"), after which GnuCash shows no tax or total for the
// invoice at all. Tax-inclusive lines at several rates with two decimals (US combined 10.35% and
// 9.75%: 1/1.1035 and 1/1.0975 have denominators 2207 and 439) on one tax account make such sums;
// lines whose tax is a fixed amount in minor units (fixedTax) never do.
func engineCanCompute(entries []entryInput, fraction int64) bool {
	type sum struct{ num, denom *big.Int }
	sums := map[string]*sum{}
	for _, in := range entries {
		ev := computeEntry(in, fraction)
		if !fitsNumeric(ev.value.Num(), ev.value.Denom()) {
			return false
		}
		for _, a := range ev.taxOrder {
			t := ev.taxes[a]
			s, ok := sums[a]
			if !ok {
				s = &sum{new(big.Int), big.NewInt(1)}
				sums[a] = s
			}
			// num/denom + tn/td over lcm(denom, td), unreduced, as the engine keeps it.
			g := new(big.Int).GCD(nil, nil, s.denom, t.Denom())
			lcm := new(big.Int).Mul(s.denom, new(big.Int).Quo(t.Denom(), g))
			num := new(big.Int).Mul(s.num, new(big.Int).Quo(lcm, s.denom))
			num.Add(num, new(big.Int).Mul(t.Num(), new(big.Int).Quo(lcm, t.Denom())))
			s.num, s.denom = num, lcm
			if !fitsNumeric(t.Num(), t.Denom()) || !fitsNumeric(s.num, s.denom) {
				return false
			}
		}
	}
	return true
}

// fitsNumeric reports whether num/denom fits a gnc_numeric.
func fitsNumeric(num, denom *big.Int) bool { return num.IsInt64() && denom.IsInt64() }
