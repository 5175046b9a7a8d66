package quickbooks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// connectCountry consents with the authorization URL's country parameter and the form.
func (b *bundle) connectCountry(param string, form url.Values) {
	b.t.Helper()
	form.Set("consent", "allow")
	u := b.authorizeURL("st")
	if param != "" {
		u += "&country=" + param
	}
	q := b.consent(u, form)
	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}})
	if status != http.StatusOK {
		b.t.Fatalf("token exchange: %d %v", status, tok)
	}
	b.access, b.realm = tok["access_token"].(string), q.Get("realmId")
	b.Partners.Connect("partner-a", Namespace, b.realm)
}

func TestCompanyCountry(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		form        url.Values
		country     string
		currency    string
		standard    string // the first tax code's name
	}{
		{"URL parameter", "DE", url.Values{}, "DE", "EUR", "19% S"},
		{"form field outranks the URL", "DE", url.Values{"country": {"AU"}}, "AU", "AUD", "GST"},
		{"company=us", "", url.Values{"company": {"us"}}, "US", "USD", ""},
		{"company=uk outranks the URL", "FR", url.Values{"company": {"uk"}}, "GB", "GBP", "20.0% S"},
		{"neither", "", url.Values{}, "GB", "GBP", "20.0% S"},
		{"France", "fr", url.Values{}, "FR", "EUR", "20% S"},
		{"Canada", "CA", url.Values{}, "CA", "CAD", "HST ON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.connectCountry(tc.param, tc.form)
			info := sandboxtest.DecodeKey[CompanyInfo](t, b.api("GET", "/companyinfo/"+b.realm, nil).MustStatus(t, 200), "CompanyInfo")
			if info.Country != tc.country {
				t.Errorf("Country %q, want %q", info.Country, tc.country)
			}
			prefs := sandboxtest.DecodeKey[Preferences](t, b.api("GET", "/preferences", nil).MustStatus(t, 200), "Preferences")
			if got := prefs.CurrencyPrefs.HomeCurrency.Value; got != tc.currency {
				t.Errorf("home currency %q, want %q", got, tc.currency)
			}
			codes := b.query("select * from TaxCode")["TaxCode"]
			if tc.standard != "" && !strings.Contains(string(codes), `"Name":"`+tc.standard+`"`) {
				t.Errorf("tax codes lack %q: %s", tc.standard, codes)
			}
		})
	}
	b := setup(t)
	form := url.Values{"consent": {"allow"}, "country": {"XX"}}
	resp, err := b.client.PostForm(b.authorizeURL("st"), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("country XX: %d, want 400", resp.StatusCode)
	}
}

func TestMulticurrency(t *testing.T) {
	b := setup(t)
	b.connectCountry("GB", url.Values{})
	r := b.api("POST", "/customer", map[string]any{"DisplayName": "Kunde GmbH", "CurrencyRef": map[string]any{"value": "EUR"}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "/sandbox/quickbooks/companies/"+b.realm+"/multicurrency") {
		t.Fatalf("EUR customer before multicurrency: %d %s", r.Status, r.Body)
	}
	if status, body := b.page("POST", "/companies/"+b.realm+"/multicurrency", "token-a", nil); status != http.StatusOK || !strings.Contains(body, `"MultiCurrencyEnabled":true`) {
		t.Fatalf("enable multicurrency: %d %s", status, body)
	}
	r = b.api("POST", "/customer", map[string]any{"DisplayName": "Kunde GmbH", "CurrencyRef": map[string]any{"value": "EUR"}}).MustStatus(t, 200)
	cu := sandboxtest.DecodeKey[Customer](t, r, "Customer").ID
	body := invoiceBody("EU-1", cu, salesLine(100, 1, 100, "2"))
	body["CurrencyRef"] = map[string]any{"value": "EUR"}
	inv := b.invoice(body)
	if inv.CurrencyRef.Value != "EUR" {
		t.Errorf("currency %q", inv.CurrencyRef.Value)
	}
	dec(t, inv.ExchangeRate, "0.85")
	dec(t, inv.TotalAmt, "120")
	// The customer pays in its currency.
	pay := map[string]any{"CustomerRef": map[string]any{"value": cu}, "TotalAmt": 120, "CurrencyRef": map[string]any{"value": "EUR"},
		"Line": []any{map[string]any{"Amount": 120, "LinkedTxn": []any{map[string]any{"TxnId": inv.ID, "TxnType": "Invoice"}}}}}
	p := sandboxtest.DecodeKey[Payment](t, b.api("POST", "/payment", pay).MustStatus(t, 200), "Payment")
	if p.CurrencyRef.Value != "EUR" {
		t.Errorf("payment currency %q", p.CurrencyRef.Value)
	}
	pay["CurrencyRef"] = map[string]any{"value": "GBP"}
	if r := b.api("POST", "/payment", pay); r.Status != 400 {
		t.Errorf("GBP payment by an EUR customer: %d %s", r.Status, r.Body)
	}
	// A home-currency customer still cannot be invoiced in EUR.
	body = invoiceBody("EU-2", b.customer("Home Ltd"), salesLine(100, 1, 100, "2"))
	body["CurrencyRef"] = map[string]any{"value": "EUR"}
	if r := b.api("POST", "/invoice", body); r.Status != 400 {
		t.Errorf("EUR invoice to a GBP customer: %d %s", r.Status, r.Body)
	}
}
