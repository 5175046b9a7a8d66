package booksync

import (
	"errors"
	"strings"

	"github.com/booksync/booksync/internal/money"
)

// ComputeTotals sets every amount of the invoice (line totals, unit prices after VAT, subtotals,
// VAT per rate, total, amount due) from its lines, discounts, deduction and VAT mode, with the
// rules of internal/money. A line or amount the rules reject gives a 422 error located at the
// request field to change; linesLoc is where the lines sit in the request body, such as ("body",
// "line_items"), ("body", "invoice", "line_items") or ("body", "data").
func (r *Receivable) ComputeTotals(linesLoc ...any) error {
	t, err := r.LineAmounts()
	var fe *money.FieldError
	if errors.As(err, &fe) {
		return FieldErrorf("value_error", totalsErrorLoc(fe, linesLoc), "%s", fe.Message)
	} else if err != nil {
		return err
	}
	for i := range r.LineItems {
		l, lt := &r.LineItems[i], t.Lines[i]
		l.TotalBeforeVAT, l.TotalAfterVAT = lt.TotalBeforeVAT, lt.TotalAfterVAT
		l.Product.PriceAfterVAT = Price{Currency: l.Product.Price.Currency, Value: lt.PriceAfterVAT}
	}
	if r.Discount != nil {
		v := t.DiscountValue
		r.Discount.Value = &v
	}
	r.Subtotal, r.SubtotalAfterVAT = t.Subtotal, t.SubtotalAfterVAT
	r.DiscountedSubtotal, r.TotalVATAmount, r.TotalAmount = t.DiscountedSubtotal, t.TotalVAT, t.TotalAmount
	r.TotalAmountWithCreditNotes = t.TotalAmount
	r.TotalVATAmounts = make([]TotalVATAmount, len(t.VATGroups))
	for i, g := range t.VATGroups {
		r.TotalVATAmounts[i] = TotalVATAmount{Value: g.Rate, Amount: g.Amount, TaxableAmount: g.TaxableAmount}
	}
	r.AmountDue = t.AmountDue - r.AmountPaid
	r.AmountToPay = r.AmountDue
	return nil
}

func moneyDiscount(d *Discount) *money.Discount {
	if d == nil {
		return nil
	}
	return &money.Discount{Type: money.DiscountType(d.Type), Amount: d.Amount}
}

// LineAmounts returns the per-line amounts of the invoice as internal/money computes them: each
// line's net, VAT and gross after line and invoice discounts. Pushes use them so that what an
// accounting system books is line for line what booksync computed.
func (r *Receivable) LineAmounts() (money.Totals, error) {
	inv := money.Invoice{Mode: money.VATMode(r.VATMode), Discount: moneyDiscount(r.Discount)}
	if r.DeductionAmount != nil {
		inv.Deduction = *r.DeductionAmount
	}
	for _, l := range r.LineItems {
		inv.Lines = append(inv.Lines, money.Line{Quantity: l.Quantity.Decimal, UnitPrice: l.Product.Price.Value,
			TaxRate: l.TaxRateValue, Discount: moneyDiscount(l.Discount)})
	}
	return money.Compute(inv)
}

// totalsErrorLoc locates an error of internal/money in the request. money names the amount it
// computed when a result is too large (a line's total, the invoice's subtotal); the request field
// behind a line's total is its quantity (price times quantity), and behind an invoice sum, the lines.
func totalsErrorLoc(fe *money.FieldError, linesLoc []any) []any {
	loc := func(base []any, field string) []any {
		out := append([]any{}, base...)
		for _, p := range strings.Split(field, ".") {
			out = append(out, p)
		}
		return out
	}
	if fe.Line >= 0 {
		line := append(append([]any{}, linesLoc...), fe.Line)
		switch fe.Field {
		case "total_before_vat", "total_after_vat", "price_after_vat":
			return loc(line, "quantity")
		}
		return loc(line, fe.Field)
	}
	switch fe.Field {
	case "subtotal", "subtotal_after_vat", "discounted_subtotal", "total_vat_amount", "total_amount":
		return append([]any{}, linesLoc...)
	}
	if len(linesLoc) < 2 || linesLoc[len(linesLoc)-1] != "line_items" {
		// Only the lines are in this request (PUT line_items): the lines are what changed.
		return append([]any{}, linesLoc...)
	}
	return loc(linesLoc[:len(linesLoc)-1], fe.Field)
}
