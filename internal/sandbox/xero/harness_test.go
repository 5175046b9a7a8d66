package xero

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/booksync/booksync/internal/contract/xerospec"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// bundle is one sandbox behind a test server plus a connected client.
type bundle struct {
	// Harness serves the sandbox; its Partners know partner A (token "token-a"), which connect
	// makes the owner of the organisation, and partner B ("token-b"), which owns none.
	*sandboxtest.Harness
	t      *testing.T
	sb     *Sandbox
	client *http.Client

	clientID, secret, redirectURI string
	access, refresh, tenant       string
}

func setup(t *testing.T, mutate ...func(*sandbox.Options)) *bundle {
	t.Helper()
	b := &bundle{t: t, clientID: "booksync-test", secret: "s3cret", redirectURI: "http://booksync.test/oauth/xero/callback",
		// Every Accounting API call is checked against Xero's OpenAPI, so tests send what a real
		// client may and the sandbox answers as Xero does.
		client: sandboxtest.NoRedirects(xerospec.Transport(t, nil))}
	b.sb, b.Harness = sandboxtest.Start(t, New, mutate...)
	return b
}

func (b *bundle) authorizeURL(state string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {b.clientID}, "redirect_uri": {b.redirectURI},
		"scope": {"openid offline_access accounting.transactions accounting.contacts accounting.settings"}, "state": {state},
	}
	return b.sb.AuthURL() + "?" + q.Encode()
}

// consent posts the consent form and returns the redirect's query.
func (b *bundle) consent(authURL, choice string) url.Values {
	b.t.Helper()
	return sandboxtest.Consent(b.t, b.client, authURL, b.redirectURI, url.Values{"consent": {choice}})
}

// token calls the token endpoint with HTTP Basic client auth.
func (b *bundle) token(form url.Values) (int, map[string]any) {
	b.t.Helper()
	return sandboxtest.Token(b.t, b.client, b.sb.TokenURL(), b.clientID, b.secret, form)
}

// connect runs the whole consent flow for partner A and keeps the tokens and tenant.
func (b *bundle) connect() *bundle {
	b.t.Helper()
	return b.connectAs("partner-a")
}

// connectAs runs the whole consent flow for a partner's entity and keeps the tokens and tenant.
func (b *bundle) connectAs(partner string) *bundle {
	b.t.Helper()
	q := b.consent(b.authorizeURL("st"), "allow")
	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}})
	if status != http.StatusOK {
		b.t.Fatalf("token exchange: %d %v", status, tok)
	}
	b.access, b.refresh = tok["access_token"].(string), tok["refresh_token"].(string)
	conns := b.connections(b.access)
	b.tenant = conns[len(conns)-1]["tenantId"].(string)
	b.Partners.Connect(partner, Namespace, b.tenant)
	return b
}

// page sends a request to a sandbox page or form as a partner's script would (sandboxtest.Page).
func (b *bundle) page(method, path, token string, form url.Values) (int, string) {
	b.t.Helper()
	return sandboxtest.Page(b.t, b.client, method, b.Server.URL+path, token, form)
}

// refreshTokens swaps the refresh token for a new pair, as a client does
// when its access token expired.
func (b *bundle) refreshTokens() {
	b.t.Helper()
	status, tok := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}})
	if status != http.StatusOK {
		b.t.Fatalf("refresh: %d %v", status, tok)
	}
	b.access, b.refresh = tok["access_token"].(string), tok["refresh_token"].(string)
}

func (b *bundle) connections(access string) []map[string]any {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.sb.ConnectionsURL(), nil)
	req.Header.Set("Authorization", "Bearer "+access)
	r := sandboxtest.Do(b.t, b.client, req).MustStatus(b.t, http.StatusOK)
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		b.t.Fatalf("connections: %v: %s", err, r.Body)
	}
	return out
}

// object decodes the answer as a JSON object.
func object(t *testing.T, r sandboxtest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// decodeKey decodes the array under key into a []T.
func decodeKey[T any](t *testing.T, r sandboxtest.Response, key string) []T {
	t.Helper()
	return sandboxtest.DecodeKey[[]T](t, r, key)
}

// callOpt sets up one API call.
type callOpt func(*http.Request) *http.Request

func header(k, v string) callOpt {
	return func(r *http.Request) *http.Request { r.Header.Set(k, v); return r }
}

// unchecked sends a request the spec would reject, on purpose.
func unchecked() callOpt {
	return func(r *http.Request) *http.Request { return r.WithContext(xerospec.WithoutRequestCheck(r.Context())) }
}

// api calls the Accounting API as the connected client. The client's transport checks the
// request against Xero's spec (so tests send what a real client may), and the response whenever
// the operation declares its status.
func (b *bundle) api(method, path string, body any, opts ...callOpt) sandboxtest.Response {
	b.t.Helper()
	var raw []byte
	if body != nil {
		switch v := body.(type) {
		case string:
			raw = []byte(v)
		default:
			var err error
			if raw, err = json.Marshal(v); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	req, _ := http.NewRequest(method, b.sb.APIURL()+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+b.access)
	req.Header.Set("xero-tenant-id", b.tenant)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		req = o(req)
	}
	return sandboxtest.Do(b.t, b.client, req)
}

// Request bodies used across tests.

func contactBody(name, number string) map[string]any {
	c := map[string]any{"Name": name}
	if number != "" {
		c["ContactNumber"] = number
	}
	return map[string]any{"Contacts": []any{c}}
}

func line(desc string, qty, unit any, account, taxType string) map[string]any {
	l := map[string]any{"Description": desc, "Quantity": qty, "UnitAmount": unit, "AccountCode": account}
	if taxType != "" {
		l["TaxType"] = taxType
	}
	return l
}

func invoice(number, contactName, mode string, lines ...map[string]any) map[string]any {
	ls := make([]any, len(lines))
	for i, l := range lines {
		ls[i] = l
	}
	return map[string]any{
		"Type": "ACCREC", "InvoiceNumber": number, "Contact": map[string]any{"Name": contactName},
		"Date": "2026-03-14", "DueDate": "2026-04-13", "LineAmountTypes": mode, "Status": "AUTHORISED",
		"CurrencyCode": "GBP", "LineItems": ls,
	}
}

func invoices(invs ...map[string]any) map[string]any {
	l := make([]any, len(invs))
	for i, v := range invs {
		l[i] = v
	}
	return map[string]any{"Invoices": l}
}

// withContact connects and creates the customer "Acme Ltd" (number C-1).
func withContact(t *testing.T, mutate ...func(*sandbox.Options)) *bundle {
	b := setup(t, mutate...).connect()
	b.api("PUT", "/Contacts", contactBody("Acme Ltd", "C-1")).MustStatus(t, 200)
	return b
}
