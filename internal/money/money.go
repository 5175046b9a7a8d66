package money

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
)

// MaxAmount is the largest amount, in minor units, that Compute returns:
// 2^53−1, the API's maximum integer, beyond which JSON clients that parse
// numbers as doubles would silently change the value.
const MaxAmount int64 = 1<<53 - 1

// maxRate is 100% in percent minor units.
const maxRate = 10000

// maxQuantityDecimals bounds the scale of a quantity. Monite quantities are
// JSON numbers, which never carry this many digits; the bound keeps
// rounding from working on absurdly long numbers.
const maxQuantityDecimals = 30

// VATMode says whether unit prices include VAT.
type VATMode string

const (
	// VATExclusive means unit prices exclude VAT, which is added per line.
	VATExclusive VATMode = "exclusive"
	// VATInclusive means unit prices include VAT, which is extracted per line.
	VATInclusive VATMode = "inclusive"
)

// DiscountType says how Discount.Amount is read.
type DiscountType string

const (
	// DiscountAmount is a fixed discount in minor units.
	DiscountAmount DiscountType = "amount"
	// DiscountPercentage is a discount in percent minor units (1250 = 12.5%).
	DiscountPercentage DiscountType = "percentage"
)

// Discount is a line or invoice discount as Monite sends it.
type Discount struct {
	// Type is DiscountAmount or DiscountPercentage.
	Type DiscountType
	// Amount is minor units for DiscountAmount, percent minor units
	// (0..10000) for DiscountPercentage.
	Amount int64
}

// Line is one invoice line item.
type Line struct {
	// Quantity is >= 0 and may be fractional (2.5, 0.333).
	Quantity decimal.Decimal
	// UnitPrice is minor units, >= 0; it includes VAT in VATInclusive mode.
	UnitPrice int64
	// TaxRate is percent minor units, 0..10000.
	TaxRate int64
	// Discount is an optional line discount, in the same VAT terms as
	// UnitPrice.
	Discount *Discount
}

// Invoice is the input to Compute.
type Invoice struct {
	// Mode is VATExclusive or VATInclusive; "" means VATExclusive.
	Mode VATMode
	// Lines are the line items; an empty invoice is valid.
	Lines []Line
	// Discount is an optional invoice-level discount. In VATExclusive mode it
	// discounts the net subtotal, in VATInclusive mode the gross one.
	Discount *Discount
	// Deduction is Monite's deduction_amount in minor units (tax withheld at
	// source): it lowers AmountDue but not TotalAmount.
	Deduction int64
}

// LineTotals are the computed amounts of one line, in minor units.
type LineTotals struct {
	// DiscountValue is the line discount as it shows on the line: the
	// rounded line amount before discount minus the rounded amount after it,
	// so price × quantity − DiscountValue always matches the line total.
	DiscountValue int64
	// TotalBeforeVAT is the line net after the line discount, before the
	// invoice discount.
	TotalBeforeVAT int64
	// TotalAfterVAT is TotalBeforeVAT plus its VAT, before the invoice
	// discount.
	TotalAfterVAT int64
	// PriceAfterVAT is the unit price including VAT.
	PriceAfterVAT int64
	// PriceBeforeVAT is the unit price excluding VAT.
	PriceBeforeVAT int64
	// InvoiceDiscount is this line's share of the invoice discount: net in
	// VATExclusive mode, gross in VATInclusive mode.
	InvoiceDiscount int64
	// Net is the taxable amount after both discounts.
	Net int64
	// VAT is the VAT on Net.
	VAT int64
	// Gross is Net + VAT.
	Gross int64
}

// VATGroup sums the lines of one tax rate.
type VATGroup struct {
	// Rate is the tax rate in percent minor units.
	Rate int64
	// TaxableAmount is the sum of Net of the lines at Rate.
	TaxableAmount int64
	// Amount is the sum of VAT of the lines at Rate.
	Amount int64
}

// Totals is the result of Compute; all amounts are minor units.
type Totals struct {
	// Lines holds one entry per input line, in input order.
	Lines []LineTotals
	// Subtotal is the sum of TotalBeforeVAT: net, after line discounts,
	// before the invoice discount.
	Subtotal int64
	// SubtotalAfterVAT is the sum of TotalAfterVAT.
	SubtotalAfterVAT int64
	// DiscountValue is the invoice discount as applied (the sum of the
	// lines' InvoiceDiscount).
	DiscountValue int64
	// DiscountedSubtotal is the sum of Net.
	DiscountedSubtotal int64
	// TotalVAT is the sum of line VAT after all discounts.
	TotalVAT int64
	// TotalAmount is DiscountedSubtotal + TotalVAT, which is also the sum of
	// Gross.
	TotalAmount int64
	// AmountDue is TotalAmount − Deduction; payments are the caller's.
	AmountDue int64
	// VATGroups has one entry per distinct line tax rate, highest rate first.
	VATGroups []VATGroup
}

// FieldError reports an invalid or out-of-range input, pointing at the field
// so the API can return it in a 422 and a synced record can name the line.
type FieldError struct {
	// Line is the zero-based line index, or -1 for invoice-level fields.
	Line int
	// Field is the JSON name of the field, e.g. "quantity",
	// "discount.amount", "tax_rate_value", "deduction_amount".
	Field string
	// Message says what is wrong in words a user can act on.
	Message string
}

// Error formats the error with a JSON-path-like location, e.g.
// "line_items[2].quantity: must not be negative".
func (e *FieldError) Error() string {
	if e.Line < 0 {
		return e.Field + ": " + e.Message
	}
	return fmt.Sprintf("line_items[%d].%s: %s", e.Line, e.Field, e.Message)
}

func fieldErr(line int, field, format string, args ...any) *FieldError {
	return &FieldError{Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	maxDec     = decimal.NewFromInt(MaxAmount)
	rateScale  = decimal.NewFromInt(maxRate)
	decOne     = decimal.NewFromInt(1)
	decTwo     = decimal.NewFromInt(2)
	percentExp = int32(-4) // percent minor units → fraction: 1250 → 0.1250
)

// toMinor converts an already rounded decimal to int64, refusing values the
// API cannot carry.
func toMinor(d decimal.Decimal, line int, field string) (int64, error) {
	if d.GreaterThan(maxDec) {
		return 0, tooLarge(line, field, d.String())
	}
	return d.IntPart(), nil
}

func tooLarge(line int, field, value string) *FieldError {
	return fieldErr(line, field, "amount is too large: %s minor units exceeds the maximum of %d", value, MaxAmount)
}

// addMinor adds two amounts that are each at most MaxAmount, so the int64
// sum cannot overflow and only the API limit needs checking.
func addMinor(a, b int64, line int, field string) (int64, error) {
	s := a + b
	if s > MaxAmount {
		return 0, tooLarge(line, field, fmt.Sprint(s))
	}
	return s, nil
}

// roundDiv returns num/den rounded half away from zero. It divides with
// remainder instead of using Div, whose fixed precision could turn an exact
// tie into a value just below it.
func roundDiv(num, den decimal.Decimal) decimal.Decimal {
	q, r := num.QuoRem(den, 0)
	if r.Abs().Mul(decTwo).Cmp(den.Abs()) >= 0 {
		if num.Sign()*den.Sign() < 0 {
			return q.Sub(decOne)
		}
		return q.Add(decOne)
	}
	return q
}

// vatOnNet is the VAT on a VAT-exclusive amount.
func vatOnNet(net, rate int64) int64 {
	return decimal.NewFromInt(net).Mul(decimal.New(rate, percentExp)).Round(0).IntPart()
}

// vatInGross is the VAT contained in a VAT-inclusive amount.
func vatInGross(gross, rate int64) int64 {
	return roundDiv(decimal.NewFromInt(gross).Mul(decimal.NewFromInt(rate)), decimal.NewFromInt(maxRate+rate)).IntPart()
}

// Compute validates inv and returns its totals. Errors are *FieldError; on
// error the returned Totals is the zero value.
func Compute(inv Invoice) (Totals, error) {
	mode := inv.Mode
	if mode == "" {
		mode = VATExclusive
	}
	if mode != VATExclusive && mode != VATInclusive {
		return Totals{}, fieldErr(-1, "vat_mode", "unknown VAT mode %q; use %q or %q", inv.Mode, VATExclusive, VATInclusive)
	}

	t := Totals{Lines: make([]LineTotals, len(inv.Lines))}
	var err error
	for i, l := range inv.Lines {
		lt, lineErr := computeLine(i, l, mode)
		if lineErr != nil {
			return Totals{}, lineErr
		}
		t.Lines[i] = lt
		if t.Subtotal, err = addMinor(t.Subtotal, lt.TotalBeforeVAT, -1, "subtotal"); err != nil {
			return Totals{}, err
		}
		if t.SubtotalAfterVAT, err = addMinor(t.SubtotalAfterVAT, lt.TotalAfterVAT, -1, "subtotal_after_vat"); err != nil {
			return Totals{}, err
		}
	}

	// The invoice discount is taken in the same VAT terms as the prices, so
	// a VAT-inclusive invoice's discount reduces what the customer pays by
	// exactly that amount.
	base := t.Subtotal
	weights := make([]int64, len(t.Lines))
	for i, lt := range t.Lines {
		if mode == VATExclusive {
			weights[i] = lt.TotalBeforeVAT
		} else {
			weights[i] = lt.TotalAfterVAT
		}
	}
	if mode == VATInclusive {
		base = t.SubtotalAfterVAT
	}
	if t.DiscountValue, err = invoiceDiscount(inv.Discount, base, mode); err != nil {
		return Totals{}, err
	}
	shares := allocate(t.DiscountValue, weights)

	for i := range t.Lines {
		lt := &t.Lines[i]
		rate := inv.Lines[i].TaxRate
		lt.InvoiceDiscount = shares[i]
		if mode == VATExclusive {
			lt.Net = lt.TotalBeforeVAT - shares[i]
			lt.VAT = vatOnNet(lt.Net, rate)
			lt.Gross = lt.Net + lt.VAT
		} else {
			lt.Gross = lt.TotalAfterVAT - shares[i]
			lt.VAT = vatInGross(lt.Gross, rate)
			lt.Net = lt.Gross - lt.VAT
		}
		// Each line's values are bounded by its already checked
		// TotalAfterVAT, but the sums still need the API limit.
		if t.DiscountedSubtotal, err = addMinor(t.DiscountedSubtotal, lt.Net, -1, "discounted_subtotal"); err != nil {
			return Totals{}, err
		}
		if t.TotalVAT, err = addMinor(t.TotalVAT, lt.VAT, -1, "total_vat_amount"); err != nil {
			return Totals{}, err
		}
	}
	if t.TotalAmount, err = addMinor(t.DiscountedSubtotal, t.TotalVAT, -1, "total_amount"); err != nil {
		return Totals{}, err
	}

	switch {
	case inv.Deduction < 0:
		return Totals{}, fieldErr(-1, "deduction_amount", "must not be negative, got %d", inv.Deduction)
	case inv.Deduction > t.TotalAmount:
		return Totals{}, fieldErr(-1, "deduction_amount", "deduction of %d is larger than the invoice total of %d", inv.Deduction, t.TotalAmount)
	}
	t.AmountDue = t.TotalAmount - inv.Deduction
	t.VATGroups = vatGroups(inv.Lines, t.Lines)
	return t, nil
}

// computeLine validates one line and computes everything that does not
// depend on the invoice discount.
func computeLine(i int, l Line, mode VATMode) (LineTotals, error) {
	var lt LineTotals
	if err := checkQuantity(i, l.Quantity); err != nil {
		return lt, err
	}
	if l.UnitPrice < 0 {
		return lt, fieldErr(i, "price", "must not be negative, got %d", l.UnitPrice)
	}
	if l.TaxRate < 0 || l.TaxRate > maxRate {
		return lt, fieldErr(i, "tax_rate_value", "must be between 0 and %d (0%% to 100%%), got %d", maxRate, l.TaxRate)
	}

	q := l.Quantity
	if q.Sign() == 0 {
		// A zero with a huge exponent would make rounding allocate without
		// bound; all zeros are the same quantity.
		q = decimal.Zero
	}
	price := decimal.NewFromInt(l.UnitPrice)
	gross := q.Mul(price)
	disc, err := lineDiscount(i, l.Discount, gross)
	if err != nil {
		return lt, err
	}
	// Round once, after the discount: rounding the discount separately
	// could move the line total by a minor unit.
	amountField := "total_before_vat"
	if mode == VATInclusive {
		amountField = "total_after_vat"
	}
	amount, err := toMinor(gross.Sub(disc).Round(0), i, amountField)
	if err != nil {
		return lt, err
	}
	discountValue, err := toMinor(gross.Round(0).Sub(decimal.NewFromInt(amount)), i, "discount.amount")
	if err != nil {
		return lt, err
	}
	lt.DiscountValue = discountValue

	if mode == VATExclusive {
		lt.TotalBeforeVAT = amount
		if lt.TotalAfterVAT, err = addMinor(amount, vatOnNet(amount, l.TaxRate), i, "total_after_vat"); err != nil {
			return lt, err
		}
		lt.PriceBeforeVAT = l.UnitPrice
		after := price.Mul(decimal.New(maxRate+l.TaxRate, percentExp)).Round(0)
		if lt.PriceAfterVAT, err = toMinor(after, i, "price_after_vat"); err != nil {
			return lt, err
		}
	} else {
		lt.TotalAfterVAT = amount
		lt.TotalBeforeVAT = amount - vatInGross(amount, l.TaxRate)
		if lt.PriceAfterVAT, err = toMinor(price, i, "price"); err != nil {
			return lt, err
		}
		lt.PriceBeforeVAT = roundDiv(price.Mul(rateScale), decimal.NewFromInt(maxRate+l.TaxRate)).IntPart()
	}
	// Until an invoice discount is applied, the final amounts are the line's
	// own.
	lt.Net, lt.VAT, lt.Gross = lt.TotalBeforeVAT, lt.TotalAfterVAT-lt.TotalBeforeVAT, lt.TotalAfterVAT
	return lt, nil
}

// checkQuantity rejects negative quantities, and quantities so large or so
// finely scaled that they are certainly input mistakes, before any
// arithmetic: rounding a decimal with an extreme exponent would allocate
// without bound.
func checkQuantity(i int, q decimal.Decimal) error {
	if q.Sign() < 0 {
		return fieldErr(i, "quantity", "must not be negative, got %s", q.String())
	}
	if q.Sign() == 0 {
		return nil
	}
	// q >= 10^(digits-1+exp); 10^16 > MaxAmount.
	if int64(q.NumDigits())-1+int64(q.Exponent()) >= 16 || q.GreaterThan(maxDec) {
		return tooLarge(i, "quantity", q.String())
	}
	if q.Exponent() < -maxQuantityDecimals {
		return fieldErr(i, "quantity", "has more than %d decimal places", maxQuantityDecimals)
	}
	return nil
}

// lineDiscount returns the exact (unrounded) discount on a line whose
// undiscounted amount is gross.
func lineDiscount(i int, d *Discount, gross decimal.Decimal) (decimal.Decimal, error) {
	if d == nil {
		return decimal.Zero, nil
	}
	switch d.Type {
	case DiscountPercentage:
		if d.Amount < 0 || d.Amount > maxRate {
			return decimal.Zero, fieldErr(i, "discount.amount", "percentage must be between 0 and %d (0%% to 100%%), got %d", maxRate, d.Amount)
		}
		return gross.Mul(decimal.New(d.Amount, percentExp)), nil
	case DiscountAmount:
		if d.Amount < 0 {
			return decimal.Zero, fieldErr(i, "discount.amount", "must not be negative, got %d", d.Amount)
		}
		a := decimal.NewFromInt(d.Amount)
		if a.GreaterThan(gross) {
			return decimal.Zero, fieldErr(i, "discount.amount", "discount of %d is larger than the line amount of %s", d.Amount, gross.String())
		}
		return a, nil
	default:
		return decimal.Zero, fieldErr(i, "discount.type", "unknown discount type %q; use %q or %q", d.Type, DiscountAmount, DiscountPercentage)
	}
}

// invoiceDiscount returns the invoice-level discount in minor units on base.
func invoiceDiscount(d *Discount, base int64, mode VATMode) (int64, error) {
	if d == nil {
		return 0, nil
	}
	switch d.Type {
	case DiscountPercentage:
		if d.Amount < 0 || d.Amount > maxRate {
			return 0, fieldErr(-1, "discount.amount", "percentage must be between 0 and %d (0%% to 100%%), got %d", maxRate, d.Amount)
		}
		// At most base, so it fits.
		return decimal.NewFromInt(base).Mul(decimal.New(d.Amount, percentExp)).Round(0).IntPart(), nil
	case DiscountAmount:
		if d.Amount < 0 {
			return 0, fieldErr(-1, "discount.amount", "must not be negative, got %d", d.Amount)
		}
		if d.Amount > base {
			what := "subtotal before VAT"
			if mode == VATInclusive {
				what = "subtotal including VAT"
			}
			return 0, fieldErr(-1, "discount.amount", "discount of %d is larger than the %s of %d", d.Amount, what, base)
		}
		return d.Amount, nil
	default:
		return 0, fieldErr(-1, "discount.type", "unknown discount type %q; use %q or %q", d.Type, DiscountAmount, DiscountPercentage)
	}
}

// allocate splits total across weights in proportion with the
// largest-remainder method: every share is the floor of its exact share,
// and the minor units left over go to the largest remainders, ties to the
// lower index, so the shares sum to total exactly and the result does not
// depend on anything but the input order. total must be between 0 and
// sum(weights), which keeps every share within its weight.
func allocate(total int64, weights []int64) []int64 {
	shares := make([]int64, len(weights))
	if total == 0 {
		return shares
	}
	var sum int64
	for _, w := range weights {
		sum += w
	}
	type rem struct {
		idx int
		r   *big.Int
	}
	// total × weight reaches 2^106, hence big.Int.
	bt, bs := big.NewInt(total), big.NewInt(sum)
	rems := make([]rem, len(weights))
	left := total
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(bt, big.NewInt(w)), bs, new(big.Int))
		shares[i] = q.Int64()
		left -= shares[i]
		rems[i] = rem{i, r}
	}
	slices.SortFunc(rems, func(a, b rem) int {
		if c := b.r.Cmp(a.r); c != 0 {
			return c
		}
		return a.idx - b.idx
	})
	for k := int64(0); k < left; k++ {
		shares[rems[k].idx]++
	}
	return shares
}

// vatGroups sums the lines per tax rate, highest rate first, the order
// Monite and most invoice layouts use.
func vatGroups(lines []Line, totals []LineTotals) []VATGroup {
	var groups []VATGroup
	idx := map[int64]int{}
	for i, l := range lines {
		g, ok := idx[l.TaxRate]
		if !ok {
			g = len(groups)
			idx[l.TaxRate] = g
			groups = append(groups, VATGroup{Rate: l.TaxRate})
		}
		// Sums per group are bounded by the already checked invoice sums.
		groups[g].TaxableAmount += totals[i].Net
		groups[g].Amount += totals[i].VAT
	}
	slices.SortFunc(groups, func(a, b VATGroup) int { return int(b.Rate - a.Rate) })
	return groups
}
