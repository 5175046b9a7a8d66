package sandbox

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is a decimal number that JSON-encodes as a JSON number, as Xero and QuickBooks send
// money, rates and quantities. shopspring/decimal quotes numbers by default and its switch for
// that is a package-wide variable other packages may depend on, so the sandboxes wrap it instead
// of flipping it.
type Amount struct{ decimal.Decimal }

// NewAmount parses s ("12.50") into an Amount; it panics on bad input and is meant for constants
// and tests.
func NewAmount(s string) Amount { return Amount{decimal.RequireFromString(s)} }

// AmountOf wraps d as an Amount.
func AmountOf(d decimal.Decimal) Amount { return Amount{d} }

// MarshalJSON writes the decimal as a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON accepts a JSON number or a numeric string; null and "" read as zero.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		a.Decimal = decimal.Zero
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return err
	}
	a.Decimal = d
	return nil
}
