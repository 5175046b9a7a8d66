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
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/booksync/booksync/internal/contract/xerospec"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
)

// The connector's tests run it against booksync's Xero sandbox, served over HTTP and connected
// through the sandbox's OAuth flow as booksync connects a user's organisation. Every Accounting
// API call goes through xerospec's transport, which fails the test when a request or an answer
// breaks Xero's OpenAPI, so the client is held to what Xero accepts and the sandbox to what Xero
// answers.

// start is the sandbox clock's first reading; tests advance it to tell writes apart.
var start = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// books is one organisation in the Xero sandbox and an authorized connection to it.
type books struct {
	t      testing.TB
	sb     *xerosandbox.Sandbox
	srv    *httptest.Server
	store  *sandbox.MemoryStore
	clock  *sandboxtest.Clock
	tenant string
	token  *oauth2.Token
	// http is the connection's client: oauth2 adds the token to each call, then the recorder
	// notes it, xerospec checks it and the wire sends it.
	http *http.Client
	wire *http.Transport
	rec  recorder

	mu sync.Mutex
	// intercept, when set, stands between xerospec and the wire for the failures no platform
	// sends (a gateway's 504, a reset connection, a hung server). next sends the call on.
	intercept func(r *http.Request, next http.RoundTripper) (*http.Response, error)
}

// oauthConfig is booksync's OAuth client as the sandbox sees it.
func oauthConfig(sb *xerosandbox.Sandbox) oauth2.Config {
	return oauth2.Config{ClientID: "booksync-test", ClientSecret: "s3cret", Scopes: Scopes,
		Endpoint: Endpoint(sb.AuthURL(), sb.TokenURL()), RedirectURL: "http://booksync.test/oauth/xero/callback"}
}

// newBooks starts a sandbox and connects a new organisation of it.
func newBooks(t testing.TB, mutate ...func(*sandbox.Options)) *books {
	t.Helper()
	return newBooksIn(t, "", mutate...)
}

// newBooksIn is newBooks with an organisation in country (the consent form's choice; "" for the
// default, a UK one).
func newBooksIn(t testing.TB, country string, mutate ...func(*sandbox.Options)) *books {
	t.Helper()
	b := serve(t, sandbox.NewMemoryStore(), sandboxtest.NewClock(start), mutate...)
	cfg := oauthConfig(b.sb)
	noRedirect := &http.Client{Transport: b.wire,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"consent": {"allow"}}
	if country != "" {
		form.Set("country", country)
	}
	resp, err := noRedirect.PostForm(cfg.AuthCodeURL("st"), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent: %d, redirected to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: b.chain()})
	if b.token, err = cfg.Exchange(ctx, loc.Query().Get("code")); err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	b.authorize()
	tenants, err := Tenants(context.Background(), b.http, b.sb.ConnectionsURL())
	if err != nil || len(tenants) != 1 {
		t.Fatalf("Tenants = %+v, %v", tenants, err)
	}
	b.tenant = tenants[0].ID
	return b
}

// serve starts a sandbox on store behind a test server, with the transports of a connection.
func serve(t testing.TB, store *sandbox.MemoryStore, clock *sandboxtest.Clock, mutate ...func(*sandbox.Options)) *books {
	t.Helper()
	b := &books{t: t, store: store, clock: clock, wire: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(b.wire.CloseIdleConnections)
	var h http.Handler
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(b.srv.Close)
	opts := sandbox.Options{BaseURL: b.srv.URL, Store: store, Now: clock.Now}
	for _, m := range mutate {
		m(&opts)
	}
	sb, err := xerosandbox.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b.sb, h = sb, sb.Handler()
	return b
}

// chain returns the transports below oauth2's.
func (b *books) chain() http.RoundTripper {
	inner := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b.mu.Lock()
		intercept := b.intercept
		b.mu.Unlock()
		if intercept != nil {
			return intercept(r, b.wire)
		}
		return b.wire.RoundTrip(r)
	})
	return b.rec.on(xerospec.Transport(b.t, inner))
}

// authorize makes b.http the oauth2 client of b.token.
func (b *books) authorize() {
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: b.chain()})
	cfg := oauthConfig(b.sb)
	b.http = cfg.Client(ctx, b.token)
}

// restarted returns another sandbox started from a copy of what b's sandbox saved, with b's
// organisation and connection in the same state.
func (b *books) restarted() *books {
	b.t.Helper()
	ctx := context.Background()
	saved, err := b.store.LoadSandbox(ctx, xerosandbox.Namespace)
	if err != nil {
		b.t.Fatal(err)
	}
	store := sandbox.NewMemoryStore()
	if err := store.SaveSandbox(ctx, xerosandbox.Namespace, saved); err != nil {
		b.t.Fatal(err)
	}
	c := serve(b.t, store, sandboxtest.NewClock(b.clock.Now()))
	c.tenant, c.token = b.tenant, b.token
	c.authorize()
	return c
}

// client returns a connector for the organisation; cfg's zero fields are filled in.
func (b *books) client(cfg Config) *Client {
	if cfg.APIURL == "" {
		cfg.APIURL = b.sb.APIURL()
	}
	if cfg.TenantID == "" {
		cfg.TenantID = b.tenant
	}
	cfg.HTTPClient = b.http
	return New(cfg)
}

// setIntercept sets or, with nil, clears b.intercept.
func (b *books) setIntercept(f func(r *http.Request, next http.RoundTripper) (*http.Response, error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.intercept = f
}

// api makes a call the connector does not (setting up what a test needs, as a user would in
// Xero) and returns the answer's body; any status but 200 fails the test.
func (b *books) api(method, path string, body any) []byte {
	b.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest(method, b.sb.APIURL()+path, bytes.NewReader(raw))
	req.Header.Set("xero-tenant-id", b.tenant)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

// call is a request the connection sent to the Accounting API.
type call struct {
	method, path string // path relative to the API, e.g. /Invoices
	query        url.Values
	header       http.Header
	body         []byte
}

// recorder notes the Accounting API calls that pass through it.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

// on returns a transport that records each call and sends it through next.
func (rec *recorder) on(next http.RoundTripper) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		_, rel, ok := strings.Cut(r.URL.Path, "/api.xro/2.0")
		if !ok {
			return next.RoundTrip(r)
		}
		c := call{method: r.Method, path: rel, query: r.URL.Query(), header: r.Header.Clone()}
		if r.Body != nil {
			c.body, _ = io.ReadAll(r.Body)
			r.Body.Close()
			r = r.Clone(r.Context())
			r.Body = io.NopCloser(bytes.NewReader(c.body))
		}
		rec.mu.Lock()
		rec.calls = append(rec.calls, c)
		rec.mu.Unlock()
		return next.RoundTrip(r)
	}
}

// recorded returns the calls so far.
func (rec *recorder) recorded() []call {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]call(nil), rec.calls...)
}

// reset forgets the calls so far.
func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls = nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
