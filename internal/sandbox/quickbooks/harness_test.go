package quickbooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
	access, refresh, realm        string
}

func setup(t *testing.T, mutate ...func(*sandbox.Options)) *bundle {
	t.Helper()
	b := &bundle{t: t, clientID: "booksync-test", secret: "s3cret", redirectURI: "http://booksync.test/oauth/quickbooks/callback", client: sandboxtest.NoRedirects(nil)}
	b.sb, b.Harness = sandboxtest.Start(t, New, mutate...)
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
	return sandboxtest.Consent(b.t, b.client, authURL, b.redirectURI, form)
}

// token calls the token endpoint with HTTP Basic client auth.
func (b *bundle) token(form url.Values) (int, map[string]any) {
	b.t.Helper()
	return sandboxtest.Token(b.t, b.client, b.sb.TokenURL(), b.clientID, b.secret, form)
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
	b.Partners.Connect(partner, Namespace, b.realm)
	return b
}

// page sends a request to a sandbox page or form as a partner's script would (sandboxtest.Page).
func (b *bundle) page(method, path, token string, form url.Values) (int, string) {
	b.t.Helper()
	return sandboxtest.Page(b.t, b.client, method, b.Server.URL+path, token, form)
}

// fault returns the first error's code and the fault type.
func fault(t *testing.T, r sandboxtest.Response) (code, typ string) {
	t.Helper()
	f := sandboxtest.DecodeKey[qbFault](t, r, "Fault")
	if len(f.Error) == 0 {
		t.Fatalf("no Fault.Error in %s", r.Body)
	}
	return f.Error[0].Code, f.Type
}

// api calls /v3/company/{realm}{path} with minorversion=75 unless the path has one.
func (b *bundle) api(method, path string, body any) sandboxtest.Response {
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
	return sandboxtest.Do(b.t, b.client, req)
}

// query runs a query and returns the QueryResponse.
func (b *bundle) query(stmt string) map[string]json.RawMessage {
	b.t.Helper()
	r := b.api("GET", "/query?query="+url.QueryEscape(stmt), nil).MustStatus(b.t, 200)
	return sandboxtest.DecodeKey[map[string]json.RawMessage](b.t, r, "QueryResponse")
}

// customer creates a customer and returns its Id.
func (b *bundle) customer(name string) string {
	b.t.Helper()
	r := b.api("POST", "/customer", map[string]any{"DisplayName": name}).MustStatus(b.t, 200)
	return sandboxtest.DecodeKey[Customer](b.t, r, "Customer").ID
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
	return sandboxtest.DecodeKey[Invoice](b.t, b.api("POST", "/invoice", body).MustStatus(b.t, 200), "Invoice")
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
