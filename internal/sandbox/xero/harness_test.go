package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/contract/xerospec"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// bundle is one sandbox behind a test server plus a connected client.
type bundle struct {
	t      *testing.T
	sb     *Sandbox
	srv    *httptest.Server
	clock  *sandboxtest.Clock
	store  *sandbox.MemoryStore
	client *http.Client
	// partners knows partner A (token "token-a"), which connect makes the owner of the
	// organisation, and partner B ("token-b"), which owns none.
	partners *sandboxtest.Partners

	clientID, secret, redirectURI string
	access, refresh, tenant       string
}

func setup(t *testing.T, mutate ...func(*sandbox.Options)) *bundle {
	t.Helper()
	b := &bundle{
		t: t, clock: sandboxtest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)), store: sandbox.NewMemoryStore(),
		clientID: "booksync-test", secret: "s3cret", redirectURI: "http://booksync.test/oauth/xero/callback",
	}
	// Every Accounting API call is checked against Xero's OpenAPI, so tests send what a real
	// client may and the sandbox answers as Xero does.
	b.client = &http.Client{Transport: xerospec.Transport(t, nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The handler is mounted at the root, so the URL is known only after
	// the server starts; route through a variable.
	var h http.Handler
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(b.srv.Close)
	b.partners = sandboxtest.NewPartners()
	b.partners.Add("partner-a", "secret-a", "token-a")
	b.partners.Add("partner-b", "secret-b", "token-b")
	gate := sandbox.NewGate(sandbox.GateOptions{BaseURL: b.srv.URL, Partners: b.partners, Faults: true, Now: b.clock.Now})
	opts := sandbox.Options{BaseURL: b.srv.URL, Store: b.store, Now: b.clock.Now, Gate: gate}
	for _, m := range mutate {
		m(&opts)
	}
	sb, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b.sb, h = sb, sb.Handler()
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
	resp, err := b.client.PostForm(authURL, url.Values{"consent": {choice}})
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("consent: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), b.redirectURI+"?") {
		b.t.Fatalf("consent redirect to %q, want %s?...", resp.Header.Get("Location"), b.redirectURI)
	}
	return loc.Query()
}

// token calls the token endpoint with HTTP Basic client auth.
func (b *bundle) token(form url.Values) (int, map[string]any) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.sb.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(b.clientID, b.secret)
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatalf("token response: %v", err)
	}
	return resp.StatusCode, out
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
	b.partners.Connect(partner, Namespace, b.tenant)
	return b
}

// page sends a request to a sandbox page or form as a partner's script would (sandboxtest.Page).
func (b *bundle) page(method, path, token string, form url.Values) (int, string) {
	b.t.Helper()
	return sandboxtest.Page(b.t, b.client, method, b.srv.URL+path, token, form)
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
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("connections: status %d", resp.StatusCode)
	}
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// apiResp is one Accounting API answer.
type apiResp struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// list decodes the array under key into T.
func decodeKey[T any](t *testing.T, r apiResp, key string) []T {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode: %v: %s", err, r.body)
	}
	var out []T
	if err := json.Unmarshal(m[key], &out); err != nil {
		t.Fatalf("decode %s: %v: %s", key, err, r.body)
	}
	return out
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
func (b *bundle) api(method, path string, body any, opts ...callOpt) apiResp {
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
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return apiResp{status: resp.StatusCode, header: resp.Header, body: out}
}

// mustStatus fails unless the response has the wanted status.
func (r apiResp) mustStatus(t *testing.T, want int) apiResp {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
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
	b.api("PUT", "/Contacts", contactBody("Acme Ltd", "C-1")).mustStatus(t, 200)
	return b
}
