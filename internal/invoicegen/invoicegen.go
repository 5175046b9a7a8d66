// Package invoicegen generates realistic invoice payloads for booksync's API, for the tests that
// push them into accounting systems and compare every total with booksync's: fractional
// quantities, several tax rates per invoice, exclusive and inclusive VAT, line and invoice
// discounts, deductions, zero-amount lines, and currencies with 0, 2 and 3 decimals. A seed makes
// a run reproducible.
package invoicegen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Options shape the invoices.
type Options struct {
	// Currencies to draw from, with weights; nil means GBP only.
	Currencies map[string]int
	// TaxRates to draw line rates from, in percent minor units; nil means 20%, 5% and 0%.
	TaxRates []int64
	// Deductions allows deduction_amount on some invoices.
	Deductions bool
}

// Generator makes invoice payloads.
type Generator struct {
	rnd  *rand.Rand
	opts Options
	curr []string
}

// New returns a generator with a fixed seed.
func New(seed uint64, opts Options) *Generator {
	if opts.Currencies == nil {
		opts.Currencies = map[string]int{"GBP": 1}
	}
	if opts.TaxRates == nil {
		opts.TaxRates = []int64{2000, 500, 0}
	}
	g := &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), opts: opts}
	for _, c := range sortedKeys(opts.Currencies) {
		for i := 0; i < opts.Currencies[c]; i++ {
			g.curr = append(g.curr, c)
		}
	}
	return g
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// quantities mixes whole numbers, halves, awkward thirds and tiny amounts.
var quantities = []string{"1", "2", "3", "10", "0.5", "1.5", "2.75", "0.333", "1.125", "0.01", "7.777", "12.5", "100", "0.2", "3.3333", "0.333333", "2.1234567"}

// Invoice returns the fields of a POST /receivables body (without counterpart ids, which the
// caller adds) and the currency it uses.
func (g *Generator) Invoice() (map[string]any, string) {
	r := g.rnd
	cur := g.curr[r.IntN(len(g.curr))]
	n := 1 + r.IntN(6)
	lines := make([]any, 0, n)
	var estimate float64 // a lower estimate of the subtotal, so that discounts stay below it
	for i := 0; i < n; i++ {
		price := g.price()
		if r.IntN(25) == 0 {
			price = 0 // a zero-amount line
		}
		qty := quantities[r.IntN(len(quantities))]
		if r.IntN(30) == 0 {
			qty = "0"
		}
		line := map[string]any{
			"quantity":       jsonNumber(qty),
			"tax_rate_value": g.opts.TaxRates[r.IntN(len(g.opts.TaxRates))],
			"product": map[string]any{"name": fmt.Sprintf("Item %d", r.IntN(1000)),
				"price": map[string]any{"currency": cur, "value": price}},
		}
		gross := math.Floor(parseFloat(qty) * float64(price))
		switch r.IntN(8) {
		case 0:
			pct := 500 * (1 + r.IntN(6))
			line["discount"] = map[string]any{"type": "percentage", "amount": pct}
			gross *= 1 - float64(pct)/10000
		case 1:
			if gross >= 2 {
				d := r.Int64N(int64(gross/2) + 1)
				line["discount"] = map[string]any{"type": "amount", "amount": d}
				gross -= float64(d)
			}
		}
		estimate += math.Max(0, gross-1)
		lines = append(lines, line)
	}
	body := map[string]any{"type": "invoice", "currency": cur, "line_items": lines}
	if r.IntN(2) == 0 {
		body["vat_mode"] = "inclusive"
	} else {
		body["vat_mode"] = "exclusive"
	}
	switch r.IntN(6) {
	case 0:
		body["discount"] = map[string]any{"type": "percentage", "amount": 250 * (1 + r.IntN(8))}
	case 1:
		if estimate >= 4 {
			d := 1 + r.Int64N(int64(estimate/4))
			body["discount"] = map[string]any{"type": "amount", "amount": d}
			estimate -= float64(d)
		}
	}
	if g.opts.Deductions && estimate >= 4 && r.IntN(8) == 0 {
		body["deduction_amount"] = 1 + r.Int64N(int64(estimate/4))
		body["deduction_memo"] = "Withholding"
	}
	return body, cur
}

// price draws a unit price in minor units, mostly small with a long tail.
func (g *Generator) price() int64 {
	switch g.rnd.IntN(4) {
	case 0:
		return 1 + g.rnd.Int64N(99)
	case 1:
		return 100 + g.rnd.Int64N(9_900)
	case 2:
		return 10_000 + g.rnd.Int64N(990_000)
	}
	return 1 + g.rnd.Int64N(5_000)
}

func parseFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// jsonNumber keeps a decimal exactly as written when the payload is marshalled.
type jsonNumber string

// MarshalJSON writes the number as is.
func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }
