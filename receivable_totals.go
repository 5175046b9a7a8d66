package booksync

import (
	"errors"
	"strings"

	"github.com/booksync/booksync/internal/money"
)

// ComputeTotals sets every amount of the invoice (line totals, unit prices after VAT, subtotals,
// VAT per rate, total, amount due) from its lines, discounts, deduction and VAT mode, with the
// rules of internal/money. A line or amount the rules reject gives a 422 error whose location
// starts with linesLoc (such as ("body", "line_items")) for line errors.
func (r *Receivable) ComputeTotals(linesLoc ...any) error {
	t, err := r.LineAmounts()
	var fe *money.FieldError
	if errors.As(err, &fe) {
		loc := []any{"body"}
		if fe.Line >= 0 {
			loc = append(append([]any{}, linesLoc...), fe.Line)
		}
		for _, p := range strings.Split(fe.Field, ".") {
			loc = append(loc, p)
		}
		return FieldErrorf("value_error", loc, "%s", fe.Message)
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
