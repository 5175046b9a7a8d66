package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// gateBundle is a Gate mounted at /sandbox with one page (/sandbox/demo/page, which says whether
// its visitor may see tenant "t-a") and one faults endpoint (/sandbox/demo/faults).
type gateBundle struct {
	srv      *httptest.Server
	base     string
	clock    *sandboxtest.Clock
	partners *sandboxtest.Partners
}

func newGate(t *testing.T, faults bool, secret []byte) *gateBundle {
	t.Helper()
	b := &gateBundle{clock: sandboxtest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)), partners: sandboxtest.NewPartners()}
	b.partners.Add("partner-a", "secret-a", "token-a")
	b.partners.Add("partner-b", "secret-b", "token-b")
	b.partners.Connect("partner-a", "demo", "t-a")
	b.serve(t, faults, secret, nil)
	return b
}

// serve starts (again) the gate's server, as a restarted booksync would, with store keeping the
// gate's state.
func (b *gateBundle) serve(t *testing.T, faults bool, secret []byte, store sandbox.Store) {
	t.Helper()
	var h http.Handler
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(b.srv.Close)
	b.base = b.srv.URL + "/sandbox"
	g := sandbox.NewGate(sandbox.GateOptions{BaseURL: b.base, Partners: b.partners, Secret: secret, Faults: faults, Now: b.clock.Now, Store: store})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "page; sees t-a: %v", sandbox.Visible(r, "t-a"))
	})
	mux := http.NewServeMux()
	demo := http.NewServeMux() // as a sandbox routes its pages, below its mount point
	demo.Handle("/page", g.Pages("demo", b.base+"/demo", page))
	demo.Handle("/faults", g.Faults("demo", page))
	mux.Handle("/sandbox/demo/", http.StripPrefix("/sandbox/demo", demo))
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", g.Handler(sandbox.Link{Name: "Demo", URL: b.base + "/demo/page"})))
	h = mux
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func send(t *testing.T, c *http.Client, method, u, contentType, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const form = "application/x-www-form-urlencoded"

func message(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("want Monite's error shape, got %q", body)
	}
	return e.Error.Message
}

func TestLoginFormKeepsABrowserLoggedIn(t *testing.T) {
	b := newGate(t, false, []byte("0123456789abcdef0123456789abcdef"))
	c := browser(t)
	html := []string{"Accept", "text/html"}

	// A browser asking for a page is sent to the login, which remembers the page.
	resp, _ := send(t, c, "GET", b.base+"/demo/page?x=1", "", "", html...)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/login?next=") {
		t.Fatalf("page without login: %d to %q, want 303 to the login", resp.StatusCode, loc)
	}
	if want := b.base + "/login?next=" + url.QueryEscape("/sandbox/demo/page?x=1"); loc != want {
		t.Fatalf("login redirect %q, want %q", loc, want)
	}
	resp, page := send(t, c, "GET", loc, "", "", html...)
	next := b.base + "/demo/page?x=1"
	// The form carries the path back, as a browser posts it.
	if resp.StatusCode != 200 || !strings.Contains(page, `name="client_secret"`) || !strings.Contains(page, `name="next" value="/sandbox/demo/page?x=1"`) {
		t.Fatalf("login form: %d\n%s", resp.StatusCode, page)
	}

	// A wrong secret answers the form again with a message, and no cookie.
	resp, page = send(t, c, "POST", b.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"wrong"}, "next": {"/sandbox/demo/page?x=1"}}.Encode(), html...)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Wrong client_id or client_secret") || !strings.Contains(page, `name="client_id"`) {
		t.Fatalf("wrong login: %d\n%s", resp.StatusCode, page)
	}
	if len(resp.Cookies()) != 0 {
		t.Fatalf("a wrong login set cookies %v", resp.Cookies())
	}

	resp, _ = send(t, c, "POST", b.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"secret-a"}, "next": {"/sandbox/demo/page?x=1"}}.Encode(), html...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
		t.Fatalf("login: %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), next)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Path != "/sandbox" {
		t.Fatalf("session cookie %+v, want one HttpOnly SameSite=Lax cookie for /sandbox", cookies)
	}
	if resp, page = send(t, c, "GET", next, "", "", html...); resp.StatusCode != 200 || page != "page; sees t-a: true" {
		t.Fatalf("page after login: %d %q", resp.StatusCode, page)
	}
	if resp, page = send(t, c, "GET", b.base+"/", "", "", html...); resp.StatusCode != 200 || !strings.Contains(page, b.base+"/demo/page") {
		t.Fatalf("index after login: %d %q", resp.StatusCode, page)
	}

	// Partner B logs in on another browser and does not see partner A's tenant.
	other := browser(t)
	send(t, other, "POST", b.base+"/login", form, url.Values{"client_id": {"partner-b"}, "client_secret": {"secret-b"}}.Encode())
	if _, page = send(t, other, "GET", next, "", ""); page != "page; sees t-a: false" {
		t.Fatalf("partner B's page: %q", page)
	}

	// Logging out ends the session.
	send(t, c, "POST", b.base+"/logout", "", "", html...)
	if resp, _ = send(t, c, "GET", next, "", "", html...); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page after logout: %d, want 303 to the login", resp.StatusCode)
	}

	// A session ends after SessionTTL.
	send(t, c, "POST", b.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"secret-a"}}.Encode())
	b.clock.Advance(sandbox.SessionTTL + time.Second)
	if resp, _ = send(t, c, "GET", next, "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("page with an expired session: %d, want 401", resp.StatusCode)
	}
}

func TestSessionCookiesCannotBeForged(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	b := newGate(t, false, key)
	resp, _ := send(t, browser(t), "POST", b.base+"/login", form, url.Values{"client_id": {"partner-b"}, "client_secret": {"secret-b"}}.Encode())
	if len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	real := resp.Cookies()[0]
	parts := strings.Split(real.Value, ".")
	if len(parts) != 4 {
		t.Fatalf("cookie %q: want partner.expiry.id.signature", real.Value)
	}
	asA := base64.RawURLEncoding.EncodeToString([]byte("partner-a"))
	// Another gate's cookie: same partner, different key.
	elsewhere := newGate(t, false, []byte("another key of thirty-two bytes!"))
	resp, _ = send(t, browser(t), "POST", elsewhere.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"secret-a"}}.Encode())
	foreign := resp.Cookies()[0].Value

	for name, value := range map[string]string{
		"partner swapped":  asA + "." + parts[1] + "." + parts[2] + "." + parts[3],
		"expiry extended":  parts[0] + ".99999999999." + parts[2] + "." + parts[3],
		"id swapped":       parts[0] + "." + parts[1] + ".AAAAAAAAAAAAAAAAAAAAAA." + parts[3],
		"no signature":     parts[0] + "." + parts[1] + "." + parts[2],
		"empty signature":  parts[0] + "." + parts[1] + "." + parts[2] + ".",
		"another key":      foreign,
		"garbage":          "partner-a",
		"unsigned partner": asA,
	} {
		req, _ := http.NewRequest("GET", b.base+"/demo/page", nil)
		req.AddCookie(&http.Cookie{Name: real.Name, Value: value})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest("GET", b.base+"/demo/page", nil)
	req.AddCookie(&http.Cookie{Name: real.Name, Value: real.Value})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the real cookie: %v %v", resp.StatusCode, err)
	}
}

func TestScriptsUseTheBearerToken(t *testing.T) {
	b := newGate(t, false, nil)
	c := &http.Client{}
	for _, tc := range []struct {
		name, method string
		header       []string
		want         int
	}{
		{"no credentials", "GET", nil, 401},
		{"a browser posting without credentials", "POST", []string{"Accept", "text/html"}, 401},
		{"a wrong token", "GET", []string{"Authorization", "Bearer nope"}, 401},
		{"a wrong token from a browser", "GET", []string{"Authorization", "Bearer nope", "Accept", "text/html"}, 401},
		{"basic auth", "GET", []string{"Authorization", "Basic cGFydG5lci1hOnNlY3JldC1h"}, 401},
		{"partner A's token", "GET", []string{"Authorization", "Bearer token-a"}, 200},
	} {
		resp, body := send(t, c, tc.method, b.base+"/demo/page", "", "", tc.header...)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
			continue
		}
		if tc.want == 401 && !strings.Contains(message(t, body), "/login") {
			t.Errorf("%s: the 401 does not say how to log in: %s", tc.name, body)
		}
	}
}

func TestLoginRedirectsOnlyWithinTheSandboxes(t *testing.T) {
	b := newGate(t, false, nil)
	for _, next := range []string{
		"http://evil.example/", "//evil.example/sandbox/", "///evil.example/", "/\\evil.example/",
		b.srv.URL + "/sandbox/demo/page", // a path is enough; an absolute URL is never needed
		b.srv.URL + "/sandbox/../../oauth/callback?x", "/sandbox/../../oauth/callback?x", "/sandbox/../oauth/callback",
		"/sandbox/%2e%2e/oauth/callback", "/sandbox/demo/%2E%2E/%2e%2e/oauth", "/sandbox/..%2foauth/callback",
		"/sandbox/./demo/page", "/sandbox//demo", "/sandbox/demo\\..\\..\\oauth", "/sandbox/%5c%5cevil.example",
		"/sandboxes", "/sandbox", "/other", "sandbox/demo/page", "javascript:alert(1)", "",
	} {
		resp, _ := send(t, browser(t), "POST", b.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"secret-a"}, "next": {next}}.Encode())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != b.base+"/" {
			t.Errorf("next=%q: %d to %q, want the sandbox index", next, resp.StatusCode, resp.Header.Get("Location"))
		}
		// The form shown before the login keeps no unsafe destination either.
		_, page := send(t, browser(t), "GET", b.base+"/login?next="+url.QueryEscape(next), "", "")
		if !strings.Contains(page, `name="next" value="/sandbox/"`) {
			t.Errorf("login form for next=%q keeps another destination:\n%s", next, page)
		}
	}
	for _, next := range []string{"/sandbox/demo/page", "/sandbox/demo/page?x=1&y=%2F", "/sandbox/xero/orgs/abc/"} {
		resp, _ := send(t, browser(t), "POST", b.base+"/login", form, url.Values{"client_id": {"partner-a"}, "client_secret": {"secret-a"}, "next": {next}}.Encode())
		if want := b.srv.URL + next; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next=%q: %d to %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// login logs partner in on browser c and returns its session cookie.
func (b *gateBundle) login(t *testing.T, c *http.Client, partner, secret string) *http.Cookie {
	t.Helper()
	resp, body := send(t, c, "POST", b.base+"/login", form, url.Values{"client_id": {partner}, "client_secret": {secret}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d, cookies %v: %s", resp.StatusCode, resp.Cookies(), body)
	}
	return resp.Cookies()[0]
}

// withCookie answers GET /sandbox/demo/page with only the cookie, as a copied cookie is replayed.
func (b *gateBundle) withCookie(t *testing.T, cookie *http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest("GET", b.base+"/demo/page", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLogoutEndsACopiedSession(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	store := sandbox.NewMemoryStore()
	b := newGate(t, false, key)
	b.serve(t, false, key, store)
	// A second booksync process on the same database: same partners, key and store.
	other := &gateBundle{clock: b.clock, partners: b.partners}
	other.serve(t, false, key, store)

	c := browser(t)
	copied := b.login(t, c, "partner-a", "secret-a")
	second := b.login(t, browser(t), "partner-a", "secret-a") // the same partner on another browser
	if got := other.withCookie(t, copied); got != 200 {
		t.Fatalf("the session before logout, in the other process: %d", got)
	}
	if resp, _ := send(t, c, "POST", b.base+"/logout", "", ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if got := b.withCookie(t, copied); got != http.StatusUnauthorized {
		t.Errorf("a copy of the logged-out cookie: %d, want 401", got)
	}
	if got := other.withCookie(t, copied); got != http.StatusUnauthorized {
		t.Errorf("a copy of the logged-out cookie in another process: %d, want 401", got)
	}
	if got := b.withCookie(t, second); got != 200 {
		t.Errorf("another session of the same partner after the logout: %d, want 200", got)
	}
	// A restarted booksync still refuses it.
	b.serve(t, false, key, store)
	if got := b.withCookie(t, copied); got != http.StatusUnauthorized {
		t.Errorf("the logged-out cookie after a restart: %d, want 401", got)
	}
	if got := b.withCookie(t, second); got != 200 {
		t.Errorf("the other session after a restart: %d, want 200", got)
	}

	// The record keeps a logout only while its cookie could still be used.
	b.clock.Advance(sandbox.SessionTTL + time.Second)
	c = browser(t)
	b.login(t, c, "partner-a", "secret-a")
	send(t, c, "POST", b.base+"/logout", "", "")
	if kept, _ := store.LoadSandbox(t.Context(), "sandbox_gate"); len(kept) != 1 {
		t.Errorf("the gate keeps %d logouts, want only the one still within SessionTTL", len(kept))
	}
}

func TestSecretChangeEndsSessions(t *testing.T) {
	b := newGate(t, false, []byte("0123456789abcdef0123456789abcdef"))
	a := b.login(t, browser(t), "partner-a", "secret-a")
	bs := b.login(t, browser(t), "partner-b", "secret-b")
	b.partners.SetSecret("partner-a", "new-secret-a")
	if got := b.withCookie(t, a); got != http.StatusUnauthorized {
		t.Errorf("a session opened with the old secret: %d, want 401", got)
	}
	if got := b.withCookie(t, bs); got != 200 {
		t.Errorf("another partner's session: %d, want 200", got)
	}
	if got := b.withCookie(t, b.login(t, browser(t), "partner-a", "new-secret-a")); got != 200 {
		t.Errorf("a session opened with the new secret: %d, want 200", got)
	}
}

func TestLoginRejectsUnreadableForms(t *testing.T) {
	b := newGate(t, false, nil)
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"JSON", "application/json", `{"client_id":"partner-a","client_secret":"secret-a"}`, 415},
		{"no content type", "", "client_id=partner-a&client_secret=secret-a", 415},
		{"malformed", form, "client_id=partner-a&client_secret=%zz", 400},
		{"not UTF-8", form, "client_id=partner-a&client_secret=secret-a&next=%ff%fe", 400},
		{"raw bytes not UTF-8", form, "client_id=partner-a&client_secret=secret-a&x=\xff\xfe", 400},
		{"a control character", form, "client_id=partner-a%00&client_secret=secret-a", 400},
		{"secret missing", form, "client_id=partner-a", 400},
		{"too large", form, "client_id=partner-a&client_secret=secret-a&pad=" + strings.Repeat("x", 100<<10), 413},
	} {
		resp, body := send(t, browser(t), "POST", b.base+"/login", tc.contentType, tc.body)
		if resp.StatusCode != tc.want || len(resp.Cookies()) != 0 {
			t.Errorf("%s: %d with cookies %v, want %d and none: %s", tc.name, resp.StatusCode, resp.Cookies(), tc.want, body)
		}
	}
}

func TestFaultsNeedALoginAndTheSetting(t *testing.T) {
	off, on := newGate(t, false, nil), newGate(t, true, nil)
	c := &http.Client{}
	if resp, body := send(t, c, "POST", on.base+"/demo/faults", "application/json", "{}"); resp.StatusCode != 401 || message(t, body) == "" {
		t.Errorf("anonymous faults: %d %s, want 401", resp.StatusCode, body)
	}
	resp, body := send(t, c, "POST", off.base+"/demo/faults", "application/json", "{}", "Authorization", "Bearer token-a")
	if resp.StatusCode != 403 || !strings.Contains(message(t, body), "BOOKSYNC_SANDBOX_FAULTS") {
		t.Errorf("faults while off: %d %s, want 403 naming BOOKSYNC_SANDBOX_FAULTS", resp.StatusCode, body)
	}
	if resp, body := send(t, c, "POST", on.base+"/demo/faults", "application/json", "{}", "Authorization", "Bearer token-a"); resp.StatusCode != 200 || body != "page; sees t-a: true" {
		t.Errorf("faults while on: %d %s", resp.StatusCode, body)
	}
}
