// Package money computes invoice totals the way booksync reports them to
// Monite clients and to accounting systems.
//
// Amounts are int64 minor units of the invoice currency (cents for EUR,
// yen for JPY, fils for KWD). Tax rates and percentage discounts are
// "percent minor units" as in the Monite API: 12.5% is 1250, and the valid
// range is 0..10000. Quantities are decimals (shopspring/decimal) because
// invoices bill 2.5 hours or 0.333 kg; floats are never used, so the same
// invoice always gives the same cents on every machine.
//
// # Rounding
//
// Every rounding to minor units is half away from zero (2.5 -> 3, 0.5 -> 1),
// which is decimal.Round and what Xero, QuickBooks and most tax
// authorities use for invoice lines; it is not banker's rounding.
// Rounding happens per line, never on invoice sums: each line's net
// amount is rounded, then each line's VAT is rounded, and invoice totals
// are exact sums of those rounded line values. Accounting systems store
// per-line amounts, so totals computed this way match what they report
// after a push.
//
// In VAT-exclusive mode a line's VAT is round(net × rate). In VAT-inclusive
// mode the line's gross is the rounded inclusive price and its VAT is
// round(gross × rate / (1 + rate)); the net is what remains, so the
// customer pays exactly the inclusive prices.
//
// An invoice-level discount is split across lines in proportion to their
// amounts with the largest-remainder method, so the shares add up to the
// discount exactly, and each line's VAT is then recomputed on its
// discounted amount. This keeps VAT per rate correct when one invoice mixes
// rates.
//
// Results larger than MaxAmount (2^53−1, the largest integer the API
// accepts) are errors rather than silently losing precision in JSON
// clients.
//
// Exponent, FormatMinor and ParseMajor convert between minor units and the
// decimal strings accounting systems use, with the ISO 4217 exponent of
// each currency Monite supports.
package money
