package money

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// exponents holds the ISO 4217 minor-unit exponent of every code in the
// Monite CurrencyEnum (components.schemas.CurrencyEnum of the Monite OpenAPI
// document). Accounting systems reject amounts with more decimals than the
// currency has, so a wrong entry here means failed pushes, not cosmetics.
// ISO values are used even where common practice differs (HUF, IDR and TWD
// are 2 in ISO 4217 although cash has no subunits), because Monite and the
// accounting systems store ISO minor units.
var exponents = map[string]int{
	// Exponent 0.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// Exponent 3.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Exponent 2.
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
	"AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BMD": 2, "BND": 2,
	"BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2,
	"CDF": 2, "CHF": 2, "CNY": 2, "COP": 2, "CRC": 2, "CVE": 2, "CZK": 2, "DKK": 2,
	"DOP": 2, "DZD": 2, "EGP": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2,
	"GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2,
	"HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "JMD": 2, "KES": 2, "KGS": 2,
	"KHR": 2, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2,
	"MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2,
	"NOK": 2, "NPR": 2, "NZD": 2, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2,
	"PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "SAR": 2, "SBD": 2, "SCR": 2,
	"SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "SVC": 2,
	"SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2,
	"TZS": 2, "UAH": 2, "USD": 2, "UYU": 2, "UZS": 2, "WST": 2, "XCD": 2, "YER": 2,
	"ZAR": 2, "ZMW": 2,
}

// currencies is the sorted list of keys of exponents.
var currencies = func() []string {
	out := make([]string, 0, len(exponents))
	for c := range exponents {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}()

// Exponent returns the ISO 4217 minor-unit exponent of currency (2 for USD,
// 0 for JPY, 3 for KWD) and whether currency is one Monite supports. Codes
// are matched exactly, in upper case, as the API sends them.
func Exponent(currency string) (int, bool) {
	e, ok := exponents[currency]
	return e, ok
}

// Currencies returns the supported currency codes, sorted. The slice is a
// copy the caller may modify.
func Currencies() []string {
	return slices.Clone(currencies)
}

// FormatMinor formats amount minor units of currency as a plain decimal
// string ("12.34" for 1234 GBP, "1234" for 1234 JPY, "-0.05" for -5 EUR),
// with exactly the currency's number of decimals, as accounting APIs expect.
// An unknown currency is formatted with two decimals, the ISO default;
// callers that need to reject unknown codes check Exponent first.
func FormatMinor(amount int64, currency string) string {
	exp, ok := Exponent(currency)
	if !ok {
		exp = 2
	}
	// Through uint64 so that math.MinInt64 negates without overflow.
	u := uint64(amount)
	if amount < 0 {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if amount < 0 {
		s = "-" + s
	}
	return s
}

// ParseMajor parses a plain decimal string in major units ("12.34",
// "-0.5", "1234") into minor units of currency. It is the inverse of
// FormatMinor and accepts an optional sign, digits, and an optional
// fractional part; no exponents, grouping separators or spaces. It fails
// when s has more significant decimals than the currency allows, rather
// than rounding, because a silently rounded amount from an accounting
// system would hide a real difference. Trailing zeros beyond the exponent
// ("1234.00" JPY) are accepted since they do not change the value.
func ParseMajor(s string, currency string) (int64, error) {
	exp, ok := Exponent(currency)
	if !ok {
		return 0, fmt.Errorf("money: unknown currency %q", currency)
	}
	body := s
	neg := false
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg = body[0] == '-'
		body = body[1:]
	}
	intPart, frac, hasDot := strings.Cut(body, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, fmt.Errorf("money: %q is not a plain decimal number", s)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, fmt.Errorf("money: %q has more than %d decimal places, the most %s allows", s, exp, currency)
	}
	digits := strings.TrimLeft(intPart+frac+strings.Repeat("0", exp-len(frac)), "0")
	if digits == "" {
		return 0, nil
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	if err != nil || u > limit {
		return 0, fmt.Errorf("money: %q is out of range for %s minor units", s, currency)
	}
	if neg {
		return int64(-u), nil
	}
	return int64(u), nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
