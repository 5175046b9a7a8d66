package sandboxtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// Harness is what a sandbox's test runs it with: an HTTP test server, a settable clock, a store
// in memory, and a Partners directory that knows partner A ("partner-a", secret "secret-a",
// token "token-a") and partner B ("partner-b", "secret-b", "token-b"). The sandbox's pages and
// fault injection sit behind a gate that logs these partners in.
type Harness struct {
	Server   *httptest.Server
	Clock    *Clock
	Store    *sandbox.MemoryStore
	Partners *Partners
}

// Start makes a sandbox with newSandbox (a platform package's New) and serves it until the test
// ends. The options carry the server's URL, the clock, the store and the gate; each mutate may
// change them first. The clock reads 14 March 2026, 09:30 UTC.
func Start[S interface{ Handler() http.Handler }](tb testing.TB, newSandbox func(context.Context, sandbox.Options) (S, error), mutate ...func(*sandbox.Options)) (S, *Harness) {
	tb.Helper()
	h := &Harness{Clock: NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)), Store: sandbox.NewMemoryStore(), Partners: NewPartners()}
	h.Partners.Add("partner-a", "secret-a", "token-a")
	h.Partners.Add("partner-b", "secret-b", "token-b")
	// The sandbox needs the server's URL, known only once the server listens: serve through a
	// variable set below.
	var handler http.Handler
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	tb.Cleanup(h.Server.Close)
	gate := sandbox.NewGate(sandbox.GateOptions{BaseURL: h.Server.URL, Partners: h.Partners, Faults: true, Now: h.Clock.Now})
	opts := sandbox.Options{BaseURL: h.Server.URL, Store: h.Store, Now: h.Clock.Now, Gate: gate}
	for _, m := range mutate {
		m(&opts)
	}
	sb, err := newSandbox(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	handler = sb.Handler()
	return sb, h
}

// NoRedirects returns a client that sends through transport (http.DefaultTransport when nil) and
// hands redirects back to the test instead of following them, so that a test can read where a
// sandbox sends the browser.
func NoRedirects(transport http.RoundTripper) *http.Client {
	return &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Consent posts the OAuth consent form at authURL, as the user's browser does, and returns the
// query of the redirect to redirectURI. It fails the test unless the sandbox redirects there.
func Consent(tb testing.TB, client *http.Client, authURL, redirectURI string, form neturl.Values) neturl.Values {
	tb.Helper()
	resp, err := client.PostForm(authURL, form)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		tb.Fatalf("consent: status %d, want 302", resp.StatusCode)
	}
	loc, err := neturl.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		tb.Fatalf("consent redirect to %q, want %s?...", resp.Header.Get("Location"), redirectURI)
	}
	return loc.Query()
}

// Token posts form to the token endpoint with HTTP Basic client authentication, as an OAuth
// client does, and returns the status and the decoded JSON answer.
func Token(tb testing.TB, client *http.Client, tokenURL, clientID, secret string, form neturl.Values) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	r := Do(tb, client, req)
	var out map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		tb.Fatalf("token response: %v: %s", err, r.Body)
	}
	return r.Status, out
}

// Response is a sandbox's answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with client and reads the answer; it fails the test if the request cannot be
// sent.
func Do(tb testing.TB, client *http.Client, req *http.Request) Response {
	tb.Helper()
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// MustStatus fails the test unless the answer has the status want; it returns r.
func (r Response) MustStatus(tb testing.TB, want int) Response {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// DecodeKey decodes the member key of the JSON object in r's body into a T.
func DecodeKey[T any](tb testing.TB, r Response, key string) T {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("decode: %v: %s", err, r.Body)
	}
	var out T
	if err := json.Unmarshal(m[key], &out); err != nil {
		tb.Fatalf("decode %s: %v: %s", key, err, r.Body)
	}
	return out
}
