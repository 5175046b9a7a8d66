package quickbooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/booksync/booksync/internal/contract/qbospec"
	"github.com/booksync/booksync/internal/sandbox"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
)

// The connector's tests run against booksync's QuickBooks sandbox, served over HTTP, through
// qbospec's transport, which checks every request and answer against Intuit's XSDs. A recorder
// between the client and the transport keeps the calls the connector made, and may make a change
// in the company just before one of them (as another QuickBooks user would) or stand in for a
// failure between booksync and Intuit that no company answers with (a dropped connection, a
// gateway's HTML page).

// call is a request the connector made; path is relative to /v3/company/{realm}.
type call struct {
	method, path string
	query        url.Values
	body         []byte
}

// sql returns the query statement of a GET /query.
func (c call) sql() string { return c.query.Get("query") }

// recorder is the http.RoundTripper of the connector's client: it records each call, runs
// before, and sends the call on unless before answered it.
type recorder struct {
	t     testing.TB
	realm string
	next  http.RoundTripper

	mu    sync.Mutex
	calls []call
	// before, when set, runs before each call is sent. A non-nil answer or error replaces
	// QuickBooks' answer; the call is then not sent.
	before func(c call) (*http.Response, error)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	c := call{method: req.Method, path: strings.TrimPrefix(req.URL.Path, "/v3/company/"+r.realm), query: req.URL.Query(), body: body}
	if c.method == http.MethodPost && c.path != "/query" && c.query.Get("requestid") == "" {
		r.t.Errorf("%s %s without a requestid", c.method, c.path)
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	before := r.before
	r.mu.Unlock()
	if before != nil {
		if resp, err := before(c); resp != nil || err != nil {
			if resp != nil {
				resp.Request = req
			}
			return resp, err
		}
	}
	return r.next.RoundTrip(req)
}

// setBefore sets the hook run before each call.
func (r *recorder) setBefore(f func(c call) (*http.Response, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.before = f
}

func (r *recorder) recorded() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// count returns how many calls match method and path prefix.
func (r *recorder) count(method, prefix string) int {
	n := 0
	for _, c := range r.recorded() {
		if c.method == method && strings.HasPrefix(c.path, prefix) {
			n++
		}
	}
	return n
}

// batches returns the bodies of the batch calls, in order.
func (r *recorder) batches() []call {
	var out []call
	for _, c := range r.recorded() {
		if c.path == "/batch" {
			out = append(out, c)
		}
	}
	return out
}

// company is one company of a QuickBooks sandbox served over HTTP, connected through the
// sandbox's consent flow.
type company struct {
	t     testing.TB
	sb    *qbsandbox.Sandbox
	srv   *httptest.Server
	realm string
	token *oauth2.Token
	spec  *qbospec.Transport
	rec   *recorder
}

// newCompany starts a sandbox and connects a new "uk" or "us" company of it.
func newCompany(t testing.TB, region string) *company {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := qbsandbox.New(context.Background(), sandbox.Options{BaseURL: "http://" + srv.Listener.Addr().String(), Store: sandbox.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	co := &company{t: t, sb: sb, srv: srv, spec: qbospec.NewTransport(t, srv.Client().Transport)}
	co.realm, co.token = co.connect(region)
	co.rec = &recorder{t: t, realm: co.realm, next: co.spec}
	return co
}

// connect runs the consent flow for a new company and exchanges the code, as booksync does.
func (co *company) connect(region string) (string, *oauth2.Token) {
	co.t.Helper()
	cfg := oauth2.Config{ClientID: "booksync", ClientSecret: "s", Endpoint: Endpoint(co.sb.AuthURL(), co.sb.TokenURL()),
		RedirectURL: "http://booksync.test/oauth/callback", Scopes: Scopes}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(cfg.AuthCodeURL("st"), url.Values{"consent": {"allow"}, "company": {region}})
	if err != nil {
		co.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		co.t.Fatalf("consent answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		co.t.Fatal(err)
	}
	return loc.Query().Get("realmId"), tok
}

// refresh exchanges the company's refresh token for a new access token, as booksync does when
// the access token's hour is up.
func (co *company) refresh() {
	co.t.Helper()
	cfg := oauth2.Config{ClientID: "booksync", ClientSecret: "s", Endpoint: Endpoint(co.sb.AuthURL(), co.sb.TokenURL())}
	tok, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: co.token.RefreshToken}).Token()
	if err != nil {
		co.t.Fatal(err)
	}
	co.token = tok
}

// httpClient returns an HTTP client that authenticates with the company's access token and
// sends through next.
func (co *company) httpClient(next http.RoundTripper) *http.Client {
	return &http.Client{Transport: &oauth2.Transport{Source: oauth2.StaticTokenSource(co.token), Base: next}}
}

// client returns a connector client of the company whose calls the recorder keeps.
func (co *company) client(cfg Config) *Client {
	cfg.BaseURL, cfg.RealmID, cfg.HTTPClient = co.sb.APIURL(), co.realm, co.httpClient(co.rec)
	return New(cfg)
}

// api makes a call the recorder does not see, as another QuickBooks user (or the test's setup)
// would, and decodes the object under the answer's key into out (nil: ignore it).
func (co *company) api(method, path string, body any, key string, out any) {
	co.t.Helper()
	var raw io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			co.t.Fatal(err)
		}
		raw = bytes.NewReader(b)
	}
	u := co.sb.APIURL() + "/v3/company/" + co.realm + path
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	u += sep + "minorversion=75"
	req, err := http.NewRequest(method, u, raw)
	if err != nil {
		co.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := co.httpClient(co.spec).Do(req)
	if err != nil {
		co.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		co.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out == nil {
		return
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		co.t.Fatal(err)
	}
	if err := json.Unmarshal(env[key], out); err != nil {
		co.t.Fatalf("%s %s: %s: %v", method, path, b, err)
	}
}

// entity is the part of an entity the tests read back.
type entity struct {
	Id, SyncToken string
}

// create creates an entity ("Customer", "Item", ...) and returns its Id.
func (co *company) create(kind string, body map[string]any) string {
	co.t.Helper()
	var e entity
	co.api(http.MethodPost, "/"+strings.ToLower(kind), body, kind, &e)
	return e.Id
}

// update makes a sparse update of an entity with its current SyncToken, as a user editing it in
// QuickBooks would.
func (co *company) update(kind, id string, fields map[string]any) {
	co.t.Helper()
	var cur entity
	co.api(http.MethodGet, "/"+strings.ToLower(kind)+"/"+id, nil, kind, &cur)
	body := map[string]any{"Id": id, "SyncToken": cur.SyncToken, "sparse": true}
	for k, v := range fields {
		body[k] = v
	}
	co.api(http.MethodPost, "/"+strings.ToLower(kind), body, kind, nil)
}

// customer creates a customer and returns its Id.
func (co *company) customer(name string) string {
	return co.create("Customer", map[string]any{"DisplayName": name})
}

// item creates a service item selling to the Sales of Product Income account (Id 1).
func (co *company) item(name, sku string) string {
	it := map[string]any{"Name": name, "Type": "Service", "IncomeAccountRef": map[string]any{"value": "1"}}
	if sku != "" {
		it["Sku"] = sku
	}
	return co.create("Item", it)
}

// taxCode creates a tax code through QuickBooks' TaxService, as a user adding a combined or a
// purchase code would, and returns its Id. Each rate is a new rate's name and value, or
// "purchase:<id>" for an existing rate on purchases.
func (co *company) taxCode(name string, rates ...string) string {
	co.t.Helper()
	var details []any
	for _, r := range rates {
		if id, ok := strings.CutPrefix(r, "purchase:"); ok {
			details = append(details, map[string]any{"TaxRateId": id, "TaxApplicableOn": "Purchase"})
			continue
		}
		rate, value, _ := strings.Cut(r, "=")
		details = append(details, map[string]any{"TaxRateName": rate, "RateValue": json.Number(value), "TaxAgencyId": "1", "TaxApplicableOn": "Sales"})
	}
	var id string
	co.api(http.MethodPost, "/taxservice/taxcode", map[string]any{"TaxCode": name, "TaxRateDetails": details}, "TaxCodeId", &id)
	return id
}

// gateway answers a call as a gateway between booksync and Intuit would, with an HTML page.
func gateway(status int) *http.Response {
	body := "<html><body><h1>" + http.StatusText(status) + "</h1></body></html>"
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/html"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}
