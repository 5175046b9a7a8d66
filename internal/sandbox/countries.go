package sandbox

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Country is a country a sandbox organisation can be created in, with the currency its books
// keep.
type Country struct {
	Code     string // ISO 3166-1 alpha-2
	Name     string
	Currency string // ISO 4217
}

// Countries are the countries the consent pages offer, in the order they list them.
var Countries = []Country{
	{"GB", "United Kingdom", "GBP"},
	{"IE", "Ireland", "EUR"},
	{"DE", "Germany", "EUR"},
	{"FR", "France", "EUR"},
	{"NL", "Netherlands", "EUR"},
	{"ES", "Spain", "EUR"},
	{"IT", "Italy", "EUR"},
	{"US", "United States", "USD"},
	{"CA", "Canada", "CAD"},
	{"AU", "Australia", "AUD"},
	{"NZ", "New Zealand", "NZD"},
}

// CountryByCode returns the country with the code (case-insensitive), or false.
func CountryByCode(code string) (Country, bool) {
	for _, c := range Countries {
		if strings.EqualFold(c.Code, strings.TrimSpace(code)) {
			return c, true
		}
	}
	return Country{}, false
}

// CountryCodes lists the codes of Countries, comma-separated, for messages.
func CountryCodes() string {
	codes := make([]string, len(Countries))
	for i, c := range Countries {
		codes[i] = c.Code
	}
	return strings.Join(codes, ", ")
}

// ConsentCountry is the country a consent chose: the form's country field, else the country
// query parameter the client put in the authorization URL (booksync passes the connecting
// entity's country there), else fallback. problem refuses a code no sandbox offers; a query
// parameter naming another country falls back, since it only suggests a default.
func ConsentCountry(r *http.Request, fallback string) (c Country, problem string) {
	if v := r.PostForm.Get("country"); v != "" {
		c, ok := CountryByCode(v)
		if !ok {
			return Country{}, "invalid_request: country must be one of " + CountryCodes()
		}
		return c, ""
	}
	if c, ok := CountryByCode(r.URL.Query().Get("country")); ok {
		return c, ""
	}
	c, _ = CountryByCode(fallback)
	return c, ""
}

// CountryField is the consent page's country chooser (a field named country); it selects the
// authorization URL's country parameter, else GB.
const CountryField = `<p><label>Country <select name="country">
{{range .Countries}}<option value="{{.Code}}"{{if .Selected}} selected{{end}}>{{.Name}} ({{.Currency}})</option>
{{end}}</select></label></p>
`

// countryOption is one option of CountryField.
type countryOption struct {
	Country
	Selected bool
}

// countryOptions are CountryField's options with the one the query names (else GB) selected.
func countryOptions(query string) []countryOption {
	sel, ok := CountryByCode(query)
	if !ok {
		sel = Countries[0]
	}
	out := make([]countryOption, len(Countries))
	for i, c := range Countries {
		out[i] = countryOption{c, c.Code == sel.Code}
	}
	return out
}

// unitsPerEUR are the sandboxes' fixed exchange rates: units of each currency one euro buys.
// They approximate the European Central Bank's euro reference rates of 2026 and never move, so
// that tests can state the rate an invoice gets; the platforms use a daily rate (Xero's from
// XE.com, QuickBooks' from its own feed).
var unitsPerEUR = map[string]string{
	"EUR": "1", "GBP": "0.85", "USD": "1.10", "CAD": "1.50", "AUD": "1.65", "NZD": "1.80",
	"CHF": "0.95", "SEK": "11.50", "NOK": "11.70", "DKK": "7.46", "PLN": "4.30", "CZK": "25.0", "JPY": "165",
}

// KnownCurrency reports whether the sandboxes have an exchange rate for the currency.
func KnownCurrency(code string) bool {
	_, ok := unitsPerEUR[strings.ToUpper(code)]
	return ok
}

// ExchangeRate is how many units of to one unit of from buys at the sandboxes' fixed rates, to six
// decimals; 1 for the same currency and 0 when either is unknown.
func ExchangeRate(from, to string) decimal.Decimal {
	from, to = strings.ToUpper(from), strings.ToUpper(to)
	if from == to {
		return decimal.NewFromInt(1)
	}
	f, okF := unitsPerEUR[from]
	t, okT := unitsPerEUR[to]
	if !okF || !okT {
		return decimal.Zero
	}
	return decimal.RequireFromString(t).DivRound(decimal.RequireFromString(f), 6)
}

// ParseFormOrJSON reads a form post as ParseForm does, or, for scripts, a JSON object of
// strings and numbers ({"code": "EUR"}) into r.PostForm; it answers 400 itself and returns false
// when the JSON cannot be read.
func ParseFormOrJSON(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return ParseForm(w, r)
	}
	var body map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		WriteError(w, r, http.StatusBadRequest, "The JSON body could not be read: "+err.Error()+"; nothing was changed.")
		return false
	}
	r.PostForm = url.Values{}
	for k, v := range body {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		default:
			WriteError(w, r, http.StatusBadRequest, "The field "+strconv.Quote(k)+" must be a string or a number; nothing was changed.")
			return false
		}
		if problem := textProblem(s); problem != "" {
			WriteError(w, r, http.StatusBadRequest, "The field "+strconv.Quote(k)+" "+problem+"; nothing was changed.")
			return false
		}
		r.PostForm.Set(k, s)
	}
	return true
}
