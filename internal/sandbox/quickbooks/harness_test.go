package quickbooks

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
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
	access, refresh, realm        string
}

func setup(t *testing.T, mutate ...func(*sandbox.Options)) *bundle {
	t.Helper()
	b := &bundle{
		t: t, clock: sandboxtest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)), store: sandbox.NewMemoryStore(),
		clientID: "booksync-test", secret: "s3cret", redirectURI: "http://booksync.test/oauth/quickbooks/callback",
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
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
		"scope": {"com.intuit.quickbooks.accounting openid"}, "state": {state},
	}
	return b.sb.AuthURL() + "?" + q.Encode()
}

// consent posts the consent form and returns the redirect's query.
func (b *bundle) consent(authURL string, form url.Values) url.Values {
	b.t.Helper()
	resp, err := b.client.PostForm(authURL, form)
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

// connect runs the whole consent flow for a "uk" or "us" company and keeps the tokens and realm.
func (b *bundle) connect(company string) *bundle {
	b.t.Helper()
	return b.connectAs("partner-a", company)
}

// connectAs runs the consent flow for a partner's entity and keeps the tokens and realm.
func (b *bundle) connectAs(partner, company string) *bundle {
	b.t.Helper()
	form := url.Values{"consent": {"allow"}}
	if company != "" {
		form.Set("company", company)
	}
	q := b.consent(b.authorizeURL("st"), form)
	status, tok := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {b.redirectURI}})
	if status != http.StatusOK {
		b.t.Fatalf("token exchange: %d %v", status, tok)
	}
	b.access, b.refresh, b.realm = tok["access_token"].(string), tok["refresh_token"].(string), q.Get("realmId")
	b.partners.Connect(partner, Namespace, b.realm)
	return b
}

// page sends a request to a sandbox page or form as a partner's script would (sandboxtest.Page).
func (b *bundle) page(method, path, token string, form url.Values) (int, string) {
	b.t.Helper()
	return sandboxtest.Page(b.t, b.client, method, b.srv.URL+path, token, form)
}

// apiResp is one Accounting API answer.
type apiResp struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResp) mustStatus(t *testing.T, want int) apiResp {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

// get decodes the object under key into T.
func get[T any](t *testing.T, r apiResp, key string) T {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode: %v: %s", err, r.body)
	}
	var out T
	if err := json.Unmarshal(m[key], &out); err != nil {
		t.Fatalf("decode %s: %v: %s", key, err, r.body)
	}
	return out
}

// fault returns the first error's code and the fault type.
func (r apiResp) fault(t *testing.T) (code, typ string) {
	t.Helper()
	f := get[qbFault](t, r, "Fault")
	if len(f.Error) == 0 {
		t.Fatalf("no Fault.Error in %s", r.body)
	}
	return f.Error[0].Code, f.Type
}

// api calls /v3/company/{realm}{path} with minorversion=75 unless the path has one.
func (b *bundle) api(method, path string, body any) apiResp {
	b.t.Helper()
	var raw []byte
	if body != nil {
		if s, ok := body.(string); ok {
			raw = []byte(s)
		} else {
			raw, _ = json.Marshal(body)
		}
	}
	u := b.sb.APIURL() + "/v3/company/" + b.realm + path
	if !strings.Contains(path, "minorversion=") {
		if strings.Contains(path, "?") {
			u += "&minorversion=75"
		} else {
			u += "?minorversion=75"
		}
	}
	req, _ := http.NewRequest(method, u, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+b.access)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return apiResp{status: resp.StatusCode, header: resp.Header, body: out}
}

// query runs a query and returns the QueryResponse.
func (b *bundle) query(stmt string) map[string]json.RawMessage {
	b.t.Helper()
	r := b.api("GET", "/query?query="+url.QueryEscape(stmt), nil).mustStatus(b.t, 200)
	return get[map[string]json.RawMessage](b.t, r, "QueryResponse")
}

// customer creates a customer and returns its Id.
func (b *bundle) customer(name string) string {
	b.t.Helper()
	r := b.api("POST", "/customer", map[string]any{"DisplayName": name}).mustStatus(b.t, 200)
	return get[Customer](b.t, r, "Customer").ID
}

func salesLine(amount, qty, price any, taxCode string) map[string]any {
	d := map[string]any{"ItemRef": map[string]any{"value": "1"}}
	if qty != nil {
		d["Qty"] = qty
	}
	if price != nil {
		d["UnitPrice"] = price
	}
	if taxCode != "" {
		d["TaxCodeRef"] = map[string]any{"value": taxCode}
	}
	return map[string]any{"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": d}
}

func invoiceBody(doc, customerID string, lines ...map[string]any) map[string]any {
	ls := make([]any, len(lines))
	for i, l := range lines {
		ls[i] = l
	}
	return map[string]any{"DocNumber": doc, "CustomerRef": map[string]any{"value": customerID},
		"TxnDate": "2026-03-14", "Line": ls}
}

func (b *bundle) invoice(body map[string]any) Invoice {
	b.t.Helper()
	return get[Invoice](b.t, b.api("POST", "/invoice", body).mustStatus(b.t, 200), "Invoice")
}

func dec(t *testing.T, a sandbox.Amount, want string) {
	t.Helper()
	if !a.Equal(sandbox.NewAmount(want).Decimal) {
		t.Fatalf("got %s, want %s", a.String(), want)
	}
}

func jsonBody(v any) *bytes.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
