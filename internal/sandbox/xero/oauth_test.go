package xero

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOAuthAuthorizationCodeFlow(t *testing.T) {
	b := setup(t)
	authURL := b.authorizeURL("state-42")

	resp, err := b.client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"booksync Xero sandbox: <strong>booksync-test</strong> wants access to a demo company", `<option value="GB" selected>United Kingdom (GBP)</option>`, `method="post"`, `name="consent" value="allow"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}

	q := b.consent(authURL, "allow")
	if q.Get("state") != "state-42" || q.Get("code") == "" {
		t.Fatalf("redirect query %v, want code and state-42", q)
	}
	code := q.Get("code")

	// The code is bound to the client and redirect URI it was issued for.
	b.clientID = "someone-else"
	if status, body := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.redirectURI}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("other client: %d %v, want 400 invalid_grant", status, body)
	}
	b.clientID = "booksync-test"
	if status, body := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://evil.test/cb"}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("other redirect_uri: %d %v, want 400 invalid_grant", status, body)
	}

	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.redirectURI}})
	if status != 200 {
		t.Fatalf("token exchange: %d %v", status, tok)
	}
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(1800) || tok["access_token"] == "" || tok["refresh_token"] == "" ||
		!strings.Contains(tok["scope"].(string), "accounting.transactions") {
		t.Fatalf("token response %v", tok)
	}
	// A code works once.
	if status, body := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.redirectURI}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reused code: %d %v", status, body)
	}

	conns := b.connections(tok["access_token"].(string))
	if len(conns) != 1 {
		t.Fatalf("connections %v", conns)
	}
	c := conns[0]
	for _, k := range []string{"id", "authEventId", "tenantId", "tenantName", "createdDateUtc", "updatedDateUtc"} {
		if s, _ := c[k].(string); s == "" {
			t.Errorf("connection lacks %s: %v", k, c)
		}
	}
	if c["tenantType"] != "ORGANISATION" || c["tenantName"] != "Demo Company (UK)" {
		t.Errorf("connection %v", c)
	}
	b.access, b.tenant = tok["access_token"].(string), c["tenantId"].(string)
	b.api("GET", "/Organisation", nil).MustStatus(t, 200)

	// Refresh rotates the refresh token; the old one has a 30-minute grace.
	first := tok["refresh_token"].(string)
	status, rot := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
	if status != 200 || rot["refresh_token"] == first || rot["access_token"] == tok["access_token"] {
		t.Fatalf("refresh: %d %v", status, rot)
	}
	b.Clock.Advance(29 * time.Minute)
	status, again := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}})
	if status != 200 || again["refresh_token"] == rot["refresh_token"] {
		t.Fatalf("old refresh token within grace: %d %v, want a fresh pair", status, again)
	}
	b.Clock.Advance(2 * time.Minute)
	if status, body := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("old refresh token after grace: %d %v, want 400 invalid_grant", status, body)
	}
	// The newest token still works, and the 31-minute-old access token does not.
	if status, _ := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {again["refresh_token"].(string)}}); status != 200 {
		t.Fatalf("newest refresh token: %d", status)
	}
	r := b.api("GET", "/Invoices", nil).MustStatus(t, 401)
	if !strings.Contains(string(r.Body), "TokenExpired") {
		t.Errorf("expired token body %s", r.Body)
	}
}

func TestConsentDenyRedirectsWithAccessDenied(t *testing.T) {
	b := setup(t)
	q := b.consent(b.authorizeURL("s1"), "deny")
	if q.Get("error") != "access_denied" || q.Get("state") != "s1" || q.Get("code") != "" {
		t.Fatalf("deny redirect %v", q)
	}
	if len(b.sb.Tenants()) != 0 {
		t.Fatal("deny created an organisation")
	}
}

func TestTokenWithoutOfflineAccessHasNoRefreshToken(t *testing.T) {
	b := setup(t)
	u, _ := url.Parse(b.authorizeURL("s"))
	q := u.Query()
	q.Set("scope", "accounting.transactions")
	u.RawQuery = q.Encode()
	code := b.consent(u.String(), "allow").Get("code")
	// Form client authentication works as well as HTTP Basic.
	resp, err := http.PostForm(b.sb.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {b.redirectURI}, "client_id": {b.clientID}, "client_secret": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), "refresh_token") {
		t.Fatalf("%d %s: want an access token only", resp.StatusCode, body)
	}
}

func TestRevokedGrantFailsRefreshAndAPI(t *testing.T) {
	b := setup(t).connect()
	req, _ := http.NewRequest("POST", b.sb.RevokeURL(), strings.NewReader(url.Values{"token": {b.refresh}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(b.clientID, b.secret)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if status, body := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", status, body)
	}
	r := object(t, b.api("GET", "/Contacts", nil).MustStatus(t, 401))
	if r["Title"] != "Unauthorized" || r["Status"] != float64(401) || r["Detail"] != "AuthenticationUnsuccessful" {
		t.Fatalf("401 body %v", r)
	}
}

func TestTenantHeaderMustBeGranted(t *testing.T) {
	b := setup(t).connect()
	other := setup(t).connect() // a tenant of another sandbox, unknown here
	b.api("GET", "/Accounts", nil, header("xero-tenant-id", other.tenant)).MustStatus(t, 403)
	b.api("GET", "/Accounts", nil, header("xero-tenant-id", ""), unchecked()).MustStatus(t, 403)

	// A second consent creates a second organisation the first token cannot use.
	first := b.tenant
	b.connect()
	if b.tenant == first {
		t.Fatal("second consent reused the organisation")
	}
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)
	b.api("GET", "/Accounts", nil, header("xero-tenant-id", first)).MustStatus(t, 403)
}
