package money

import (
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func qty(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pct(bps int64) *Discount   { return &Discount{Type: DiscountPercentage, Amount: bps} }
func amt(minor int64) *Discount { return &Discount{Type: DiscountAmount, Amount: minor} }

// checkInvariants asserts the relations every caller relies on when it
// pushes totals and compares them with what an accounting system reports.
func checkInvariants(t *testing.T, inv Invoice, tot Totals) {
	t.Helper()
	if len(tot.Lines) != len(inv.Lines) {
		t.Fatalf("got %d line totals for %d lines", len(tot.Lines), len(inv.Lines))
	}
	var sumBefore, sumAfter, sumNet, sumVAT, sumGross, sumShares int64
	for i, lt := range tot.Lines {
		for name, v := range map[string]int64{
			"DiscountValue": lt.DiscountValue, "TotalBeforeVAT": lt.TotalBeforeVAT, "TotalAfterVAT": lt.TotalAfterVAT,
			"PriceAfterVAT": lt.PriceAfterVAT, "PriceBeforeVAT": lt.PriceBeforeVAT, "InvoiceDiscount": lt.InvoiceDiscount,
			"Net": lt.Net, "VAT": lt.VAT, "Gross": lt.Gross,
		} {
			if v < 0 || v > MaxAmount {
				t.Errorf("line %d: %s = %d out of 0..MaxAmount", i, name, v)
			}
		}
		if lt.Net+lt.VAT != lt.Gross {
			t.Errorf("line %d: Net %d + VAT %d != Gross %d", i, lt.Net, lt.VAT, lt.Gross)
		}
		if lt.TotalBeforeVAT > lt.TotalAfterVAT {
			t.Errorf("line %d: TotalBeforeVAT %d > TotalAfterVAT %d", i, lt.TotalBeforeVAT, lt.TotalAfterVAT)
		}
		if lt.Gross > lt.TotalAfterVAT || lt.Net > lt.TotalBeforeVAT {
			t.Errorf("line %d: invoice discount raised an amount: %+v", i, lt)
		}
		sumBefore += lt.TotalBeforeVAT
		sumAfter += lt.TotalAfterVAT
		sumNet += lt.Net
		sumVAT += lt.VAT
		sumGross += lt.Gross
		sumShares += lt.InvoiceDiscount
	}
	if tot.Subtotal != sumBefore || tot.SubtotalAfterVAT != sumAfter {
		t.Errorf("Subtotal %d/%d, want sums %d/%d", tot.Subtotal, tot.SubtotalAfterVAT, sumBefore, sumAfter)
	}
	if tot.DiscountedSubtotal != sumNet || tot.TotalVAT != sumVAT {
		t.Errorf("DiscountedSubtotal %d TotalVAT %d, want sums %d %d", tot.DiscountedSubtotal, tot.TotalVAT, sumNet, sumVAT)
	}
	if tot.TotalAmount != tot.DiscountedSubtotal+tot.TotalVAT || tot.TotalAmount != sumGross {
		t.Errorf("TotalAmount %d, DiscountedSubtotal+TotalVAT %d, sum(Gross) %d", tot.TotalAmount, tot.DiscountedSubtotal+tot.TotalVAT, sumGross)
	}
	if sumShares != tot.DiscountValue {
		t.Errorf("invoice discount shares sum to %d, DiscountValue %d", sumShares, tot.DiscountValue)
	}
	if tot.AmountDue != tot.TotalAmount-inv.Deduction {
		t.Errorf("AmountDue %d, want %d - %d", tot.AmountDue, tot.TotalAmount, inv.Deduction)
	}
	var groupVAT, groupTaxable int64
	rates := map[int64]bool{}
	for _, l := range inv.Lines {
		rates[l.TaxRate] = true
	}
	if len(tot.VATGroups) != len(rates) {
		t.Errorf("%d VAT groups for %d distinct rates", len(tot.VATGroups), len(rates))
	}
	for k, g := range tot.VATGroups {
		if k > 0 && g.Rate >= tot.VATGroups[k-1].Rate {
			t.Errorf("VAT groups not strictly descending by rate: %+v", tot.VATGroups)
		}
		groupVAT += g.Amount
		groupTaxable += g.TaxableAmount
	}
	if groupVAT != tot.TotalVAT || groupTaxable != tot.DiscountedSubtotal {
		t.Errorf("VAT groups sum to VAT %d taxable %d, want %d %d", groupVAT, groupTaxable, tot.TotalVAT, tot.DiscountedSubtotal)
	}
}

// lineOnly fills in Net/VAT/Gross for a line without an invoice discount,
// where they must equal the line's own amounts.
func lineOnly(lt LineTotals) LineTotals {
	lt.Net, lt.VAT, lt.Gross = lt.TotalBeforeVAT, lt.TotalAfterVAT-lt.TotalBeforeVAT, lt.TotalAfterVAT
	return lt
}

func TestComputeLineRounding(t *testing.T) {
	type lt = LineTotals
	tests := []struct {
		name string
		mode VATMode
		line Line
		want LineTotals
	}{
		// Half away from zero: banker's rounding would give 0, 2 and 2.
		{"half cent line rounds up", VATExclusive, Line{Quantity: qty("0.5"), UnitPrice: 1},
			lt{TotalBeforeVAT: 1, TotalAfterVAT: 1, PriceAfterVAT: 1, PriceBeforeVAT: 1}},
		{"2.5 cents rounds to 3", VATExclusive, Line{Quantity: qty("2.5"), UnitPrice: 1},
			lt{TotalBeforeVAT: 3, TotalAfterVAT: 3, PriceAfterVAT: 1, PriceBeforeVAT: 1}},
		{"VAT 2.5 rounds to 3", VATExclusive, Line{Quantity: qty("1"), UnitPrice: 25, TaxRate: 1000},
			lt{TotalBeforeVAT: 25, TotalAfterVAT: 28, PriceAfterVAT: 28, PriceBeforeVAT: 25}},
		{"VAT 0.5 rounds to 1", VATExclusive, Line{Quantity: qty("1"), UnitPrice: 5, TaxRate: 1000},
			lt{TotalBeforeVAT: 5, TotalAfterVAT: 6, PriceAfterVAT: 6, PriceBeforeVAT: 5}},
		// 3.3335 × 10.00 = 33.335 → 33.34; VAT 20% of 33.34 = 6.668 → 6.67.
		{"3.3335 x 1000", VATExclusive, Line{Quantity: qty("3.3335"), UnitPrice: 1000, TaxRate: 2000},
			lt{TotalBeforeVAT: 3334, TotalAfterVAT: 4001, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		// 0.333 × 1000 = 333 exactly; VAT 66.6 → 67.
		{"fractional quantity exact", VATExclusive, Line{Quantity: qty("0.333"), UnitPrice: 1000, TaxRate: 2000},
			lt{TotalBeforeVAT: 333, TotalAfterVAT: 400, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		{"fractional quantity tie", VATExclusive, Line{Quantity: qty("0.333"), UnitPrice: 1500},
			lt{TotalBeforeVAT: 500, TotalAfterVAT: 500, PriceAfterVAT: 1500, PriceBeforeVAT: 1500}},
		{"fractional quantity rounds down", VATExclusive, Line{Quantity: qty("0.333"), UnitPrice: 1001},
			lt{TotalBeforeVAT: 333, TotalAfterVAT: 333, PriceAfterVAT: 1001, PriceBeforeVAT: 1001}},
		// Inclusive 9 at 20%: VAT 9/6 = 1.5 → 2; price before VAT 9/1.2 = 7.5 → 8.
		{"inclusive VAT tie", VATInclusive, Line{Quantity: qty("1"), UnitPrice: 9, TaxRate: 2000},
			lt{TotalBeforeVAT: 7, TotalAfterVAT: 9, PriceAfterVAT: 9, PriceBeforeVAT: 8}},
		{"inclusive 100% tie", VATInclusive, Line{Quantity: qty("1"), UnitPrice: 5, TaxRate: 10000},
			lt{TotalBeforeVAT: 2, TotalAfterVAT: 5, PriceAfterVAT: 5, PriceBeforeVAT: 3}},
		{"inclusive half quantity", VATInclusive, Line{Quantity: qty("0.5"), UnitPrice: 3},
			lt{TotalBeforeVAT: 2, TotalAfterVAT: 2, PriceAfterVAT: 3, PriceBeforeVAT: 3}},
		{"zero quantity", VATExclusive, Line{Quantity: qty("0"), UnitPrice: 1000, TaxRate: 2000},
			lt{PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		{"zero price", VATExclusive, Line{Quantity: qty("5"), UnitPrice: 0, TaxRate: 2000},
			lt{}},
		{"zero rate inclusive", VATInclusive, Line{Quantity: qty("3"), UnitPrice: 333},
			lt{TotalBeforeVAT: 999, TotalAfterVAT: 999, PriceAfterVAT: 333, PriceBeforeVAT: 333}},
		// 3000 − 12.5% = 2625; VAT 10% = 262.5 → 263.
		{"line percentage discount", VATExclusive, Line{Quantity: qty("3"), UnitPrice: 1000, TaxRate: 1000, Discount: pct(1250)},
			lt{DiscountValue: 375, TotalBeforeVAT: 2625, TotalAfterVAT: 2888, PriceAfterVAT: 1100, PriceBeforeVAT: 1000}},
		// 1001 − 50% = 500.5 → 501 and the shown discount is what remains, 500.
		{"line percentage discount tie", VATExclusive, Line{Quantity: qty("1"), UnitPrice: 1001, Discount: pct(5000)},
			lt{DiscountValue: 500, TotalBeforeVAT: 501, TotalAfterVAT: 501, PriceAfterVAT: 1001, PriceBeforeVAT: 1001}},
		{"line amount discount", VATExclusive, Line{Quantity: qty("2"), UnitPrice: 1000, TaxRate: 2000, Discount: amt(150)},
			lt{DiscountValue: 150, TotalBeforeVAT: 1850, TotalAfterVAT: 2220, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		{"line amount discount equal to line", VATExclusive, Line{Quantity: qty("1"), UnitPrice: 1000, TaxRate: 2000, Discount: amt(1000)},
			lt{DiscountValue: 1000, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		// 1.5 − 1 = 0.5 → 1.
		{"amount discount on fractional line", VATExclusive, Line{Quantity: qty("0.5"), UnitPrice: 3, Discount: amt(1)},
			lt{DiscountValue: 1, TotalBeforeVAT: 1, TotalAfterVAT: 1, PriceAfterVAT: 3, PriceBeforeVAT: 3}},
		// Inclusive discounts are gross: 2400 − 240 = 2160, of which VAT 360.
		{"inclusive amount discount", VATInclusive, Line{Quantity: qty("2"), UnitPrice: 1200, TaxRate: 2000, Discount: amt(240)},
			lt{DiscountValue: 240, TotalBeforeVAT: 1800, TotalAfterVAT: 2160, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
		{"inclusive 100% discount", VATInclusive, Line{Quantity: qty("1"), UnitPrice: 1200, TaxRate: 2000, Discount: pct(10000)},
			lt{DiscountValue: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := Invoice{Mode: tc.mode, Lines: []Line{tc.line}}
			got, err := Compute(inv)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, inv, got)
			if want := lineOnly(tc.want); got.Lines[0] != want {
				t.Errorf("got  %+v\nwant %+v", got.Lines[0], want)
			}
		})
	}
}

func TestComputeInvoices(t *testing.T) {
	tests := []struct {
		name string
		inv  Invoice
		want Totals
	}{
		{
			name: "exclusive, two rates",
			inv: Invoice{Mode: VATExclusive, Lines: []Line{
				{Quantity: qty("2"), UnitPrice: 1000, TaxRate: 2000},
				{Quantity: qty("1"), UnitPrice: 500},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 2000, TotalAfterVAT: 2400, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, Net: 2000, VAT: 400, Gross: 2400},
					{TotalBeforeVAT: 500, TotalAfterVAT: 500, PriceAfterVAT: 500, PriceBeforeVAT: 500, Net: 500, Gross: 500},
				},
				Subtotal: 2500, SubtotalAfterVAT: 2900, DiscountedSubtotal: 2500, TotalVAT: 400, TotalAmount: 2900, AmountDue: 2900,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 2000, Amount: 400}, {Rate: 0, TaxableAmount: 500}},
			},
		},
		{
			name: "empty mode is exclusive",
			inv:  Invoice{Lines: []Line{{Quantity: qty("1"), UnitPrice: 1000, TaxRate: 2000}}},
			want: Totals{
				Lines:    []LineTotals{{TotalBeforeVAT: 1000, TotalAfterVAT: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, Net: 1000, VAT: 200, Gross: 1200}},
				Subtotal: 1000, SubtotalAfterVAT: 1200, DiscountedSubtotal: 1000, TotalVAT: 200, TotalAmount: 1200, AmountDue: 1200,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 1000, Amount: 200}},
			},
		},
		{
			// The customer pays exactly 12.00 + 3 × 9.99; VAT 2997 × 1250/11250 = 333.
			name: "inclusive",
			inv: Invoice{Mode: VATInclusive, Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1200, TaxRate: 2000},
				{Quantity: qty("3"), UnitPrice: 999, TaxRate: 1250},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, Net: 1000, VAT: 200, Gross: 1200},
					{TotalBeforeVAT: 2664, TotalAfterVAT: 2997, PriceAfterVAT: 999, PriceBeforeVAT: 888, Net: 2664, VAT: 333, Gross: 2997},
				},
				Subtotal: 3664, SubtotalAfterVAT: 4197, DiscountedSubtotal: 3664, TotalVAT: 533, TotalAmount: 4197, AmountDue: 4197,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 1000, Amount: 200}, {Rate: 1250, TaxableAmount: 2664, Amount: 333}},
			},
		},
		{
			// 100 over 1000/2000/3000: exact shares 16.67/33.33/50, floors
			// 16/33/50, the spare unit goes to the largest remainder (line 0).
			// VAT is then per line: 983 × 20% = 196.6 → 197, 1967 × 10% = 196.7 → 197.
			name: "invoice amount discount over three rates",
			inv: Invoice{Mode: VATExclusive, Discount: amt(100), Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1000, TaxRate: 2000},
				{Quantity: qty("1"), UnitPrice: 2000, TaxRate: 1000},
				{Quantity: qty("1"), UnitPrice: 3000},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, InvoiceDiscount: 17, Net: 983, VAT: 197, Gross: 1180},
					{TotalBeforeVAT: 2000, TotalAfterVAT: 2200, PriceAfterVAT: 2200, PriceBeforeVAT: 2000, InvoiceDiscount: 33, Net: 1967, VAT: 197, Gross: 2164},
					{TotalBeforeVAT: 3000, TotalAfterVAT: 3000, PriceAfterVAT: 3000, PriceBeforeVAT: 3000, InvoiceDiscount: 50, Net: 2950, Gross: 2950},
				},
				Subtotal: 6000, SubtotalAfterVAT: 6400, DiscountValue: 100, DiscountedSubtotal: 5900, TotalVAT: 394, TotalAmount: 6294, AmountDue: 6294,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 983, Amount: 197}, {Rate: 1000, TaxableAmount: 1967, Amount: 197}, {Rate: 0, TaxableAmount: 2950}},
			},
		},
		{
			// 10% of 6912 = 691.2 → 691. 691×1234 = 852694 = 123×6912 + 2518;
			// 691×5678 = 3923498 = 567×6912 + 4394, so line 1 gets the spare
			// unit: 123 + 568. VAT: 1111 × 20% = 222.2 → 222; 5110 × 5% = 255.5 → 256.
			name: "invoice percentage discount",
			inv: Invoice{Discount: pct(1000), Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1234, TaxRate: 2000},
				{Quantity: qty("1"), UnitPrice: 5678, TaxRate: 500},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 1234, TotalAfterVAT: 1481, PriceAfterVAT: 1481, PriceBeforeVAT: 1234, InvoiceDiscount: 123, Net: 1111, VAT: 222, Gross: 1333},
					{TotalBeforeVAT: 5678, TotalAfterVAT: 5962, PriceAfterVAT: 5962, PriceBeforeVAT: 5678, InvoiceDiscount: 568, Net: 5110, VAT: 256, Gross: 5366},
				},
				Subtotal: 6912, SubtotalAfterVAT: 7443, DiscountValue: 691, DiscountedSubtotal: 6221, TotalVAT: 478, TotalAmount: 6699, AmountDue: 6699,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 1111, Amount: 222}, {Rate: 500, TaxableAmount: 5110, Amount: 256}},
			},
		},
		{
			// 2 over three equal lines: equal remainders, so the lower indexes win.
			name: "allocation ties go to lower index",
			inv: Invoice{Discount: amt(2), Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1000},
				{Quantity: qty("1"), UnitPrice: 1000},
				{Quantity: qty("1"), UnitPrice: 1000},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1000, PriceAfterVAT: 1000, PriceBeforeVAT: 1000, InvoiceDiscount: 1, Net: 999, Gross: 999},
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1000, PriceAfterVAT: 1000, PriceBeforeVAT: 1000, InvoiceDiscount: 1, Net: 999, Gross: 999},
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1000, PriceAfterVAT: 1000, PriceBeforeVAT: 1000, Net: 1000, Gross: 1000},
				},
				Subtotal: 3000, SubtotalAfterVAT: 3000, DiscountValue: 2, DiscountedSubtotal: 2998, TotalAmount: 2998, AmountDue: 2998,
				VATGroups: []VATGroup{{Rate: 0, TaxableAmount: 2998}},
			},
		},
		{
			// 10% of the gross 2300 = 230, split 120/110 by gross;
			// VAT 1080/6 = 180 and 990/11 = 90.
			name: "inclusive invoice percentage discount",
			inv: Invoice{Mode: VATInclusive, Discount: pct(1000), Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1200, TaxRate: 2000},
				{Quantity: qty("1"), UnitPrice: 1100, TaxRate: 1000},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, InvoiceDiscount: 120, Net: 900, VAT: 180, Gross: 1080},
					{TotalBeforeVAT: 1000, TotalAfterVAT: 1100, PriceAfterVAT: 1100, PriceBeforeVAT: 1000, InvoiceDiscount: 110, Net: 900, VAT: 90, Gross: 990},
				},
				Subtotal: 2000, SubtotalAfterVAT: 2300, DiscountValue: 230, DiscountedSubtotal: 1800, TotalVAT: 270, TotalAmount: 2070, AmountDue: 2070,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 900, Amount: 180}, {Rate: 1000, TaxableAmount: 900, Amount: 90}},
			},
		},
		{
			// 100 over gross 1000/2000: 33.3/66.7 → 33/67. Line 0: 1000/6 =
			// 166.7 → 167 VAT before; 967/6 = 161.2 → 161 after.
			name: "inclusive invoice amount discount",
			inv: Invoice{Mode: VATInclusive, Discount: amt(100), Lines: []Line{
				{Quantity: qty("1"), UnitPrice: 1000, TaxRate: 2000},
				{Quantity: qty("2"), UnitPrice: 1000},
			}},
			want: Totals{
				Lines: []LineTotals{
					{TotalBeforeVAT: 833, TotalAfterVAT: 1000, PriceAfterVAT: 1000, PriceBeforeVAT: 833, InvoiceDiscount: 33, Net: 806, VAT: 161, Gross: 967},
					{TotalBeforeVAT: 2000, TotalAfterVAT: 2000, PriceAfterVAT: 1000, PriceBeforeVAT: 1000, InvoiceDiscount: 67, Net: 1933, Gross: 1933},
				},
				Subtotal: 2833, SubtotalAfterVAT: 3000, DiscountValue: 100, DiscountedSubtotal: 2739, TotalVAT: 161, TotalAmount: 2900, AmountDue: 2900,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 806, Amount: 161}, {Rate: 0, TaxableAmount: 1933}},
			},
		},
		{
			name: "deduction lowers amount due only",
			inv:  Invoice{Deduction: 1000, Lines: []Line{{Quantity: qty("1"), UnitPrice: 10000, TaxRate: 2000}}},
			want: Totals{
				Lines:    []LineTotals{{TotalBeforeVAT: 10000, TotalAfterVAT: 12000, PriceAfterVAT: 12000, PriceBeforeVAT: 10000, Net: 10000, VAT: 2000, Gross: 12000}},
				Subtotal: 10000, SubtotalAfterVAT: 12000, DiscountedSubtotal: 10000, TotalVAT: 2000, TotalAmount: 12000, AmountDue: 11000,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 10000, Amount: 2000}},
			},
		},
		{
			name: "deduction equal to total",
			inv:  Invoice{Deduction: 1200, Lines: []Line{{Quantity: qty("1"), UnitPrice: 1000, TaxRate: 2000}}},
			want: Totals{
				Lines:    []LineTotals{{TotalBeforeVAT: 1000, TotalAfterVAT: 1200, PriceAfterVAT: 1200, PriceBeforeVAT: 1000, Net: 1000, VAT: 200, Gross: 1200}},
				Subtotal: 1000, SubtotalAfterVAT: 1200, DiscountedSubtotal: 1000, TotalVAT: 200, TotalAmount: 1200, AmountDue: 0,
				VATGroups: []VATGroup{{Rate: 2000, TaxableAmount: 1000, Amount: 200}},
			},
		},
		{
			name: "largest representable total",
			inv:  Invoice{Lines: []Line{{Quantity: qty("1"), UnitPrice: MaxAmount}}},
			want: Totals{
				Lines:    []LineTotals{{TotalBeforeVAT: MaxAmount, TotalAfterVAT: MaxAmount, PriceAfterVAT: MaxAmount, PriceBeforeVAT: MaxAmount, Net: MaxAmount, Gross: MaxAmount}},
				Subtotal: MaxAmount, SubtotalAfterVAT: MaxAmount, DiscountedSubtotal: MaxAmount, TotalAmount: MaxAmount, AmountDue: MaxAmount,
				VATGroups: []VATGroup{{Rate: 0, TaxableAmount: MaxAmount}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compute(tc.inv)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, tc.inv, got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestComputeEmpty(t *testing.T) {
	for _, mode := range []VATMode{"", VATExclusive, VATInclusive} {
		got, err := Compute(Invoice{Mode: mode})
		if err != nil {
			t.Fatalf("mode %q: %v", mode, err)
		}
		if len(got.Lines) != 0 || len(got.VATGroups) != 0 || got.TotalAmount != 0 || got.AmountDue != 0 || got.Subtotal != 0 {
			t.Errorf("mode %q: empty invoice gave %+v", mode, got)
		}
	}
	// A percentage discount on nothing is nothing, not an error.
	if got, err := Compute(Invoice{Discount: pct(5000)}); err != nil || got.DiscountValue != 0 {
		t.Errorf("percentage discount on empty invoice: %+v, %v", got, err)
	}
}

func TestComputeErrors(t *testing.T) {
	one := qty("1")
	ok := Line{Quantity: one, UnitPrice: 1000, TaxRate: 2000}
	half := MaxAmount/2 + 1
	tests := []struct {
		name      string
		inv       Invoice
		wantLine  int
		wantField string
		wantMsg   string
	}{
		{"unknown mode", Invoice{Mode: "gross", Lines: []Line{ok}}, -1, "vat_mode", "unknown VAT mode"},
		{"negative quantity", Invoice{Lines: []Line{ok, {Quantity: qty("-1"), UnitPrice: 100}}}, 1, "quantity", "negative"},
		{"negative price", Invoice{Lines: []Line{{Quantity: one, UnitPrice: -1}}}, 0, "price", "negative"},
		{"tax rate above 100%", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, TaxRate: 10001}}}, 0, "tax_rate_value", "between 0 and 10000"},
		{"negative tax rate", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, TaxRate: -1}}}, 0, "tax_rate_value", "between 0 and 10000"},
		{"line percentage over 100%", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, Discount: pct(10001)}}}, 0, "discount.amount", "percentage"},
		{"line amount over line", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, Discount: amt(101)}}}, 0, "discount.amount", "larger than the line amount"},
		{"line amount over fractional line", Invoice{Lines: []Line{{Quantity: qty("0.5"), UnitPrice: 1, Discount: amt(1)}}}, 0, "discount.amount", "larger"},
		{"negative line amount", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, Discount: amt(-1)}}}, 0, "discount.amount", "negative"},
		{"unknown line discount type", Invoice{Lines: []Line{{Quantity: one, UnitPrice: 100, Discount: &Discount{Type: "fixed", Amount: 1}}}}, 0, "discount.type", "unknown discount type"},
		{"invoice percentage over 100%", Invoice{Lines: []Line{ok}, Discount: pct(10001)}, -1, "discount.amount", "percentage"},
		// Exclusive invoice discounts are net: 1001 > 1000 even though the gross is 1200.
		{"invoice amount over net subtotal", Invoice{Lines: []Line{ok}, Discount: amt(1001)}, -1, "discount.amount", "larger than the subtotal before VAT"},
		{"invoice amount over gross subtotal", Invoice{Mode: VATInclusive, Lines: []Line{{Quantity: one, UnitPrice: 1200, TaxRate: 2000}}, Discount: amt(1201)}, -1, "discount.amount", "larger than the subtotal including VAT"},
		{"invoice amount on empty invoice", Invoice{Discount: amt(1)}, -1, "discount.amount", "larger"},
		{"negative invoice amount", Invoice{Lines: []Line{ok}, Discount: amt(-5)}, -1, "discount.amount", "negative"},
		{"unknown invoice discount type", Invoice{Lines: []Line{ok}, Discount: &Discount{Type: "Percentage", Amount: 1}}, -1, "discount.type", "unknown discount type"},
		{"deduction over total", Invoice{Lines: []Line{ok}, Deduction: 1201}, -1, "deduction_amount", "larger than the invoice total of 1200"},
		{"deduction on empty invoice", Invoice{Deduction: 1}, -1, "deduction_amount", "larger"},
		{"negative deduction", Invoice{Lines: []Line{ok}, Deduction: -1}, -1, "deduction_amount", "negative"},
		{"line total too large", Invoice{Lines: []Line{{Quantity: qty("1.5"), UnitPrice: MaxAmount}}}, 0, "total_before_vat", "amount is too large"},
		// MaxAmount net fits; adding 0.01% VAT does not.
		{"line VAT pushes total too large", Invoice{Lines: []Line{{Quantity: one, UnitPrice: MaxAmount, TaxRate: 1}}}, 0, "total_after_vat", "amount is too large"},
		{"inclusive price too large", Invoice{Mode: VATInclusive, Lines: []Line{{Quantity: qty("0"), UnitPrice: MaxAmount + 1}}}, 0, "price", "amount is too large"},
		{"exclusive price too large", Invoice{Lines: []Line{{Quantity: qty("0"), UnitPrice: MaxAmount + 1}}}, 0, "price_after_vat", "amount is too large"},
		{"subtotal too large", Invoice{Lines: []Line{{Quantity: one, UnitPrice: half}, {Quantity: one, UnitPrice: half}}}, -1, "subtotal", "amount is too large"},
		{"quantity too large", Invoice{Lines: []Line{{Quantity: qty("1e20"), UnitPrice: 0}}}, 0, "quantity", "amount is too large"},
		{"quantity with absurd scale", Invoice{Lines: []Line{{Quantity: qty("1e-40"), UnitPrice: 1}}}, 0, "quantity", "decimal places"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compute(tc.inv)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %+v, %v; want a *FieldError", got, err)
			}
			if fe.Line != tc.wantLine || fe.Field != tc.wantField || !strings.Contains(fe.Message, tc.wantMsg) {
				t.Errorf("got line %d field %q message %q; want line %d field %q message containing %q",
					fe.Line, fe.Field, fe.Message, tc.wantLine, tc.wantField, tc.wantMsg)
			}
			if !reflect.DeepEqual(got, Totals{}) {
				t.Errorf("totals returned with an error: %+v", got)
			}
		})
	}
}

func TestFieldErrorString(t *testing.T) {
	tests := []struct {
		err  *FieldError
		want string
	}{
		{&FieldError{Line: 2, Field: "quantity", Message: "must not be negative, got -1"}, "line_items[2].quantity: must not be negative, got -1"},
		{&FieldError{Line: -1, Field: "deduction_amount", Message: "must not be negative"}, "deduction_amount: must not be negative"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// randomInvoice builds a valid invoice: discounts never exceed what they
// discount and the deduction never exceeds the total, so Compute must
// succeed.
func randomInvoice(r *rand.Rand) Invoice {
	rates := []int64{0, 0, 500, 1250, 2000, 2100, 10000}
	inv := Invoice{Mode: VATExclusive}
	if r.Intn(2) == 0 {
		inv.Mode = VATInclusive
	}
	n := r.Intn(7)
	for range n {
		l := Line{
			Quantity:  decimal.New(r.Int63n(10001), -int32(r.Intn(4))),
			UnitPrice: r.Int63n(200001),
			TaxRate:   rates[r.Intn(len(rates))],
		}
		if r.Intn(4) == 0 {
			l.TaxRate = r.Int63n(10001)
		}
		switch r.Intn(3) {
		case 1:
			l.Discount = pct(r.Int63n(10001))
		case 2:
			gross := l.Quantity.Mul(decimal.NewFromInt(l.UnitPrice)).Floor().IntPart()
			l.Discount = amt(r.Int63n(gross + 1))
		}
		inv.Lines = append(inv.Lines, l)
	}
	base, err := Compute(inv)
	if err != nil {
		panic(err)
	}
	switch r.Intn(3) {
	case 1:
		inv.Discount = pct(r.Int63n(10001))
	case 2:
		limit := base.Subtotal
		if inv.Mode == VATInclusive {
			limit = base.SubtotalAfterVAT
		}
		inv.Discount = amt(r.Int63n(limit + 1))
	}
	return inv
}

func TestComputeProperties(t *testing.T) {
	r := rand.New(rand.NewSource(20240525))
	for i := range 5000 {
		inv := randomInvoice(r)
		got, err := Compute(inv)
		if err != nil {
			t.Fatalf("invoice %d: %v\n%+v", i, err, inv)
		}
		// A deduction up to the total is always accepted.
		inv.Deduction = r.Int63n(got.TotalAmount + 1)
		if got, err = Compute(inv); err != nil {
			t.Fatalf("invoice %d with deduction: %v", i, err)
		}
		checkInvariants(t, inv, got)

		// The invoice discount comes off exactly, in the mode's terms.
		if inv.Mode == VATExclusive && got.DiscountedSubtotal != got.Subtotal-got.DiscountValue {
			t.Errorf("invoice %d: DiscountedSubtotal %d != Subtotal %d - discount %d", i, got.DiscountedSubtotal, got.Subtotal, got.DiscountValue)
		}
		if inv.Mode == VATInclusive && got.TotalAmount != got.SubtotalAfterVAT-got.DiscountValue {
			t.Errorf("invoice %d: TotalAmount %d != SubtotalAfterVAT %d - discount %d", i, got.TotalAmount, got.SubtotalAfterVAT, got.DiscountValue)
		}
		// Largest remainder keeps every share within one minor unit of its
		// exact proportional share: |share×base − D×weight| < base.
		base := got.Subtotal
		if inv.Mode == VATInclusive {
			base = got.SubtotalAfterVAT
		}
		for j, lt := range got.Lines {
			w := lt.TotalBeforeVAT
			if inv.Mode == VATInclusive {
				w = lt.TotalAfterVAT
			}
			exact := decimal.NewFromInt(got.DiscountValue).Mul(decimal.NewFromInt(w))
			diff := decimal.NewFromInt(lt.InvoiceDiscount).Mul(decimal.NewFromInt(base)).Sub(exact).Abs()
			if base > 0 && !diff.LessThan(decimal.NewFromInt(base)) {
				t.Errorf("invoice %d line %d: share %d is not proportional (weight %d of %d, discount %d)", i, j, lt.InvoiceDiscount, w, base, got.DiscountValue)
			}
		}
		if t.Failed() {
			t.Fatalf("invoice %d: %+v", i, inv)
		}
	}
}

func fuzzDiscount(kind uint8, amount int64) *Discount {
	switch kind % 4 {
	case 1:
		return &Discount{Type: DiscountAmount, Amount: amount}
	case 2:
		return &Discount{Type: DiscountPercentage, Amount: amount}
	case 3:
		return &Discount{Type: "bogus", Amount: amount}
	}
	return nil
}

func FuzzCompute(f *testing.F) {
	f.Add(uint8(0), int64(2), uint8(0), int64(1000), int64(2000), uint8(0), int64(0),
		int64(1), uint8(0), int64(500), int64(0), uint8(0), int64(0), uint8(1), int64(100), int64(0))
	f.Add(uint8(1), int64(3335), uint8(3), int64(999), int64(1250), uint8(2), int64(1250),
		int64(5), uint8(1), int64(9), int64(10000), uint8(1), int64(1), uint8(2), int64(1000), int64(50))
	f.Add(uint8(0), int64(1), uint8(0), MaxAmount, int64(1), uint8(0), int64(0),
		int64(-1), uint8(9), int64(-1), int64(10001), uint8(3), int64(-1), uint8(3), int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, mode uint8,
		q1 int64, e1 uint8, p1, r1 int64, d1 uint8, a1 int64,
		q2 int64, e2 uint8, p2, r2 int64, d2 uint8, a2 int64,
		di uint8, ai int64, deduction int64) {
		modes := []VATMode{"", VATExclusive, VATInclusive, "other"}
		inv := Invoice{
			Mode: modes[int(mode)%len(modes)],
			Lines: []Line{
				{Quantity: decimal.New(q1, -int32(e1%40)), UnitPrice: p1, TaxRate: r1, Discount: fuzzDiscount(d1, a1)},
				{Quantity: decimal.New(q2, -int32(e2%40)), UnitPrice: p2, TaxRate: r2, Discount: fuzzDiscount(d2, a2)},
			},
			Discount:  fuzzDiscount(di, ai),
			Deduction: deduction,
		}
		// Vary the line count so empty and single-line invoices are fuzzed too.
		inv.Lines = inv.Lines[:int(mode/4)%3]
		got, err := Compute(inv)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Message == "" || fe.Line < -1 || fe.Line >= len(inv.Lines) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		checkInvariants(t, inv, got)
	})
}

func TestComputeZeroQuantityWithHugeExponent(t *testing.T) {
	// Must return promptly rather than expand 0×10^(10^9) while rounding.
	got, err := Compute(Invoice{Lines: []Line{{Quantity: decimal.New(0, 1_000_000_000), UnitPrice: 100, TaxRate: 2000}}})
	if err != nil || got.TotalAmount != 0 || got.Lines[0].PriceAfterVAT != 120 {
		t.Errorf("got %+v, %v; want a zero line priced 120 after VAT", got, err)
	}
}
