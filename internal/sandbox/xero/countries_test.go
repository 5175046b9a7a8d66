package xero

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// connectCountry consents with the authorization URL's country parameter (if any) and the
// form's fields, and keeps the tokens and tenant.
func (b *bundle) connectCountry(param string, form url.Values) {
	b.t.Helper()
	form.Set("consent", "allow")
	u := b.authorizeURL("st")
	if param != "" {
		u += "&country=" + param
	}
	q := sandboxtest.Consent(b.t, b.client, u, b.redirectURI, form)
	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}})
	if status != http.StatusOK {
		b.t.Fatalf("token exchange: %d %v", status, tok)
	}
	b.access, b.refresh = tok["access_token"].(string), tok["refresh_token"].(string)
	conns := b.connections(b.access)
	b.tenant = conns[len(conns)-1]["tenantId"].(string)
	b.Partners.Connect("partner-a", Namespace, b.tenant)
}

func TestOrganisationCountry(t *testing.T) {
	for _, tc := range []struct {
		name, param       string
		form              url.Values
		country, currency string
		version           string
		rates             map[string]string // TaxType -> rate seeded
	}{
		{"no country: UK", "", url.Values{}, "GB", "GBP", "UK", map[string]string{"OUTPUT2": "20", "RROUTPUT": "5", "ZERORATEDOUTPUT": "0"}},
		{"URL parameter", "DE", url.Values{}, "DE", "EUR", "GLOBAL", map[string]string{"TAX001": "19", "TAX002": "7", "OUTPUT": "0", "NONE": "0"}},
		{"form field outranks the URL", "DE", url.Values{"country": {"NZ"}}, "NZ", "NZD", "NZ", map[string]string{"OUTPUT2": "15", "ZERORATED": "0"}},
		{"Australia", "AU", url.Values{}, "AU", "AUD", "AU", map[string]string{"OUTPUT": "10", "EXEMPTOUTPUT": "0", "BASEXCLUDED": "0"}},
		{"United States", "US", url.Values{}, "US", "USD", "US", map[string]string{"TAX001": "8.875", "TAX002": "9.75", "TAX005": "10.35", "TAX006": "10.25", "TAX008": "6.25", "OUTPUT": "0"}},
		{"Canada", "ca", url.Values{}, "CA", "CAD", "GLOBAL", map[string]string{"TAX001": "5", "TAX002": "13", "TAX004": "14.975"}},
		{"France", "FR", url.Values{}, "FR", "EUR", "GLOBAL", map[string]string{"TAX001": "20", "TAX003": "5.5"}},
		{"unknown URL country falls back", "ZZ", url.Values{}, "GB", "GBP", "UK", map[string]string{"OUTPUT2": "20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.connectCountry(tc.param, tc.form)
			org := decodeKey[map[string]any](t, b.api("GET", "/Organisation", nil).MustStatus(t, 200), "Organisations")[0]
			if org["CountryCode"] != tc.country || org["BaseCurrency"] != tc.currency || org["Version"] != tc.version {
				t.Errorf("organisation %v %v %v, want %s %s %s", org["CountryCode"], org["BaseCurrency"], org["Version"], tc.country, tc.currency, tc.version)
			}
			got := map[string]string{}
			for _, r := range decodeKey[TaxRate](t, b.api("GET", "/TaxRates", nil).MustStatus(t, 200), "TaxRates") {
				got[r.TaxType] = r.EffectiveRate.String()
			}
			for tt, want := range tc.rates {
				if got[tt] != want {
					t.Errorf("tax rate %s: %q, want %q (all: %v)", tt, got[tt], want, got)
				}
			}
			accounts := decodeKey[Account](t, b.api("GET", "/Accounts", nil).MustStatus(t, 200), "Accounts")
			for _, a := range accounts {
				if a.Type == "BANK" && a.CurrencyCode != tc.currency {
					t.Errorf("bank account in %s, want %s", a.CurrencyCode, tc.currency)
				}
			}
		})
	}
	b := setup(t)
	resp, err := b.client.PostForm(b.authorizeURL("st"), url.Values{"consent": {"allow"}, "country": {"XX"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("country XX: %d, want 400", resp.StatusCode)
	}
}

func TestConsentPageSelectsTheURLCountry(t *testing.T) {
	b := setup(t)
	resp, err := b.client.Get(b.authorizeURL("st") + "&country=DE")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<option value="DE" selected>Germany (EUR)</option>`) || strings.Contains(string(page), `value="GB" selected`) {
		t.Errorf("consent page does not select DE:\n%s", page)
	}
}

// addCurrency posts {"code": code} to the organisation's currencies as a partner's script does.
func (b *bundle) addCurrency(token, code string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.Server.URL+"/orgs/"+b.tenant+"/currencies", strings.NewReader(`{"code": "`+code+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	r := sandboxtest.Do(b.t, b.client, req)
	return r.Status, string(r.Body)
}

func TestMultiCurrency(t *testing.T) {
	b := withContact(t)
	eur := invoice("EU-1", "Acme Ltd", "Exclusive", line("Work", 1, 100, "200", "OUTPUT2"))
	eur["CurrencyCode"] = "EUR"
	r := b.api("PUT", "/Invoices", invoices(eur)).MustStatus(t, 400)
	if !strings.Contains(string(r.Body), "Organisation is not subscribed to currency EUR") {
		t.Fatalf("EUR before multi-currency: %s", r.Body)
	}
	if status, body := b.addCurrency("token-b", "EUR"); status != http.StatusNotFound {
		t.Errorf("another partner adds a currency: %d %s", status, body)
	}
	if status, body := b.addCurrency("token-a", "XYZ"); status != http.StatusBadRequest {
		t.Errorf("unknown currency: %d %s", status, body)
	}
	if status, body := b.addCurrency("token-a", "eur"); status != http.StatusOK || !strings.Contains(body, `"currencies":["EUR"]`) {
		t.Fatalf("add EUR: %d %s", status, body)
	}
	cur := decodeKey[map[string]any](t, b.api("GET", "/Currencies", nil).MustStatus(t, 200), "Currencies")
	if len(cur) != 2 || cur[0]["Code"] != "GBP" || cur[1]["Code"] != "EUR" {
		t.Errorf("currencies %v", cur)
	}
	inv := decodeKey[Invoice](t, b.api("PUT", "/Invoices", invoices(eur)).MustStatus(t, 200), "Invoices")[0]
	if inv.CurrencyCode != "EUR" || inv.CurrencyRate.String() != "1.176471" || inv.Total.String() != "120" {
		t.Errorf("EUR invoice: %s at %s, total %s", inv.CurrencyCode, inv.CurrencyRate, inv.Total)
	}
	// The client's own rate wins.
	eur2 := invoice("EU-2", "Acme Ltd", "Exclusive", line("Work", 1, 100, "200", "OUTPUT2"))
	eur2["CurrencyCode"], eur2["CurrencyRate"] = "EUR", 1.2
	inv = decodeKey[Invoice](t, b.api("PUT", "/Invoices", invoices(eur2)).MustStatus(t, 200), "Invoices")[0]
	if inv.CurrencyRate.String() != "1.2" {
		t.Errorf("client's rate: %s", inv.CurrencyRate)
	}
}

func TestOrgPageShowsCountryAndCurrencies(t *testing.T) {
	b := setup(t)
	b.connectCountry("DE", url.Values{})
	if status, body := b.page("POST", "/orgs/"+b.tenant+"/currencies", "token-a", url.Values{"code": {"USD"}}); status != http.StatusOK {
		t.Fatalf("add USD by form: %d %s", status, body)
	}
	if status, body := b.page("POST", "/orgs/"+b.tenant+"/currencies", "token-a", url.Values{}); status != http.StatusBadRequest {
		t.Errorf("form without code: %d %s", status, body)
	}
	status, page := b.page("GET", "/orgs/"+b.tenant, "token-a", nil)
	if status != http.StatusOK || !strings.Contains(page, "DE, base currency EUR") || !strings.Contains(page, "<code>USD</code>") {
		t.Errorf("organisation page: %d %s", status, page)
	}
}
