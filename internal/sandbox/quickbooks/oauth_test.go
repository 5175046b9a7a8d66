package quickbooks

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

func TestOAuthDance(t *testing.T) {
	b := setup(t)
	// The consent page is HTML with an Allow button posting back to the same URL.
	resp, err := b.client.Get(b.authorizeURL("xyz"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `name="consent" value="allow"`) || !strings.Contains(string(page), `<option value="US">United States (USD)</option>`) {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	q := b.consent(b.authorizeURL("xyz"), url.Values{"consent": {"allow"}})
	if q.Get("state") != "xyz" || q.Get("code") == "" || q.Get("realmId") == "" {
		t.Fatalf("redirect query %v", q)
	}
	if got := b.sb.Companies(); len(got) != 1 || got[0] != q.Get("realmId") {
		t.Fatalf("Companies() = %v, want [%s]", got, q.Get("realmId"))
	}
	// A code works once, and only with its redirect_uri.
	if status, _ := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://evil.test/"}}); status != 400 {
		t.Fatalf("wrong redirect_uri: %d", status)
	}
	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}})
	if status != 200 || tok["token_type"] != "bearer" || tok["expires_in"] != float64(3600) || tok["x_refresh_token_expires_in"] != float64(8726400) {
		t.Fatalf("token: %d %v", status, tok)
	}
	if status, body := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("code reuse: %d %v", status, body)
	}
	b.access, b.refresh, b.realm = tok["access_token"].(string), tok["refresh_token"].(string), q.Get("realmId")
	info := sandboxtest.DecodeKey[CompanyInfo](t, b.api("GET", "/companyinfo/"+b.realm, nil).MustStatus(t, 200), "CompanyInfo")
	if info.Country != "GB" {
		t.Fatalf("default company country %q, want GB", info.Country)
	}

	// Refresh rotates: each call returns a new refresh token; the old one
	// keeps working for 24 hours, then gives invalid_grant.
	old := b.refresh
	status, tok = b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}})
	if status != 200 || tok["refresh_token"] == old || tok["refresh_token"] == "" {
		t.Fatalf("refresh: %d %v", status, tok)
	}
	newRefresh := tok["refresh_token"].(string)
	b.Clock.Advance(23 * time.Hour)
	if status, _ := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}); status != 200 {
		t.Fatalf("old refresh token within 24 h: %d", status)
	}
	b.Clock.Advance(2 * time.Hour)
	if status, body := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("old refresh token after 24 h: %d %v", status, body)
	}
	status, tok = b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {newRefresh}})
	if status != 200 {
		t.Fatalf("new refresh token: %d %v", status, tok)
	}
	// The original access token expired after an hour.
	if r := b.api("GET", "/preferences", nil); r.Status != 401 {
		t.Fatalf("expired access token: %d", r.Status)
	}
	b.access = tok["access_token"].(string)
	b.api("GET", "/preferences", nil).MustStatus(t, 200)
}

func TestOAuthUSCompanyAndRealmCheck(t *testing.T) {
	b := setup(t).connect("us")
	prefs := sandboxtest.DecodeKey[Preferences](t, b.api("GET", "/preferences", nil).MustStatus(t, 200), "Preferences")
	if !prefs.TaxPrefs.PartnerTaxEnabled || prefs.CurrencyPrefs.HomeCurrency.Value != "USD" {
		t.Fatalf("US preferences %+v", prefs)
	}
	uk := &bundle{Harness: b.Harness, t: t, sb: b.sb, client: b.client, clientID: b.clientID, secret: b.secret, redirectURI: b.redirectURI}
	uk.connect("")
	// A token for one realm cannot reach another: 403 AuthorizationFault.
	uk.realm = b.realm
	r := uk.api("GET", "/preferences", nil).MustStatus(t, 403)
	if _, typ := fault(t, r); typ != "AuthorizationFault" {
		t.Fatalf("type %s", typ)
	}
	// No token: 401 AuthenticationFault.
	uk.access = "nope"
	r = uk.api("GET", "/preferences", nil).MustStatus(t, 401)
	if _, typ := fault(t, r); typ != "AuthenticationFault" {
		t.Fatalf("type %s", typ)
	}
}

func TestRevokeEndpoint(t *testing.T) {
	b := setup(t).connect("")
	req, _ := http.NewRequest("POST", b.sb.RevokeURL(), strings.NewReader(`{"token":"`+b.refresh+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(b.clientID, b.secret)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	r := b.api("GET", "/preferences", nil).MustStatus(t, 401)
	if _, typ := fault(t, r); typ != "AuthenticationFault" {
		t.Fatalf("type %s", typ)
	}
	if status, body := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", status, body)
	}
}
