package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/app"
)

// sandbox sends a request to a sandbox page, form or faults endpoint: with the partner's bearer
// token unless token is false, a JSON body when body is a map, a form when it is url.Values.
func (c *client) sandbox(method, path string, body any, token bool) (int, string) {
	c.s.t.Helper()
	req, _ := http.NewRequest(method, c.s.url+path, nil)
	switch b := body.(type) {
	case url.Values:
		req, _ = http.NewRequest(method, c.s.url+path, strings.NewReader(b.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case map[string]any:
		raw, _ := json.Marshal(b)
		req, _ = http.NewRequest(method, c.s.url+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// armFault arms a fault in the sandbox as a partner's script does: POST /sandbox/<platform>/faults
// with its bearer token. org is the Xero tenant or QuickBooks realm.
func (c *client) armFault(platform, org string, fault map[string]any) {
	c.s.t.Helper()
	body := map[string]any{}
	for k, v := range fault {
		body[k] = v
	}
	if platform == "xero" {
		body["tenant_id"] = org
	} else {
		body["realm_id"] = org
	}
	if status, out := c.sandbox("POST", "/sandbox/"+platform+"/faults", body, true); status != http.StatusOK {
		c.s.t.Fatalf("arm %v in %s: %d %s", fault, platform, status, out)
	}
}

func moniteMessage(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("want {\"error\":{\"message\":...}}, got %q", body)
	}
	return e.Error.Message
}

// TestSandboxesShowEachPartnerOnlyItsOwnBooks connects two partners to both sandboxes and checks
// that nobody without credentials sees or changes anything, and that each partner sees, edits and
// faults only the organisations its own entities connected.
func TestSandboxesShowEachPartnerOnlyItsOwnBooks(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		a, b := s.partner(), s.partner()
		_, tenantA := a.newEntity().connect()
		_, tenantB := b.newEntity().connect()
		a.newEntity().connectPlatform("quickbooks", nil)
		realms := s.app.QuickBooksSandbox.Companies()
		realmA := realms[len(realms)-1]
		b.newEntity().connectPlatform("quickbooks", nil)
		realms = s.app.QuickBooksSandbox.Companies()
		realmB := realms[len(realms)-1]
		ratesA := len(s.app.XeroSandbox.TaxRates(tenantA))

		addRate := url.Values{"name": {"Sneaky"}, "rate": {"1"}}
		anonymous := []struct {
			method, path string
			body         any
		}{
			{"GET", "/sandbox/", nil},
			{"GET", "/sandbox/xero/orgs", nil},
			{"GET", "/sandbox/xero/orgs/" + tenantA, nil},
			{"POST", "/sandbox/xero/orgs/" + tenantA + "/tax_rates", addRate},
			{"POST", "/sandbox/xero/orgs/" + tenantA + "/tax_rates/OUTPUT2/archive", url.Values{}},
			{"POST", "/sandbox/xero/faults", map[string]any{"tenant_id": tenantA, "kind": "revoke"}},
			{"GET", "/sandbox/quickbooks/companies", nil},
			{"GET", "/sandbox/quickbooks/companies/" + realmA, nil},
			{"POST", "/sandbox/quickbooks/faults", map[string]any{"realm_id": realmA, "kind": "revoke"}},
		}
		for _, r := range anonymous {
			status, body := a.sandbox(r.method, r.path, r.body, false)
			if status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", r.method, r.path, status)
				continue
			}
			if msg := moniteMessage(t, body); !strings.Contains(msg, "/sandbox/login") {
				t.Errorf("anonymous %s %s: %q does not say where to log in", r.method, r.path, msg)
			}
		}

		_, list := a.sandbox("GET", "/sandbox/xero/orgs", nil, true)
		if !strings.Contains(list, tenantA) || strings.Contains(list, tenantB) {
			t.Errorf("partner A's Xero organisations:\n%s", list)
		}
		_, list = a.sandbox("GET", "/sandbox/quickbooks/companies", nil, true)
		if !strings.Contains(list, realmA) || strings.Contains(list, realmB) {
			t.Errorf("partner A's QuickBooks companies:\n%s", list)
		}
		if status, page := a.sandbox("GET", "/sandbox/xero/orgs/"+tenantA, nil, true); status != 200 || !strings.Contains(page, "Chart of accounts") {
			t.Errorf("partner A's own organisation: %d", status)
		}
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/sandbox/xero/orgs/" + tenantB, nil},
			{"POST", "/sandbox/xero/orgs/" + tenantB + "/tax_rates", addRate},
			{"POST", "/sandbox/xero/orgs/" + tenantB + "/tax_rates/OUTPUT2/archive", url.Values{}},
			{"POST", "/sandbox/xero/faults", map[string]any{"tenant_id": tenantB, "kind": "revoke"}},
			{"GET", "/sandbox/quickbooks/companies/" + realmB, nil},
			{"POST", "/sandbox/quickbooks/faults", map[string]any{"realm_id": realmB, "kind": "revoke"}},
		} {
			if status, _ := a.sandbox(r.method, r.path, r.body, true); status != http.StatusNotFound {
				t.Errorf("partner A %s %s (partner B's): %d, want 404", r.method, r.path, status)
			}
		}
		for _, tr := range s.app.XeroSandbox.TaxRates(tenantB) {
			if tr.Name == "Sneaky" || (tr.TaxType == "OUTPUT2" && tr.Status != "ACTIVE") {
				t.Errorf("partner A changed partner B's tax rates: %+v", tr)
			}
		}
		if n := len(s.app.XeroSandbox.TaxRates(tenantA)); n != ratesA {
			t.Errorf("anonymous forms changed partner A's tax rates: %d, had %d", n, ratesA)
		}
		// Partner B's connections survived every attempt to revoke them.
		var conns struct{ Data []struct{ Status string } }
		for _, e := range b.entities() {
			e.do("GET", "/accounting_connections", nil, 200, &conns)
			for _, c := range conns.Data {
				if c.Status != "connected" {
					t.Errorf("partner B's connection is %s", c.Status)
				}
			}
		}
		// Partner A may fault its own organisation (on a path booksync never calls).
		a.armFault("xero", tenantA, map[string]any{"kind": "server_error", "path": "/NothingCallsThis"})
		if n := s.app.XeroSandbox.PendingFaults(tenantA); n != 1 {
			t.Errorf("partner A's own fault: %d pending", n)
		}
	})
}

// entities returns a client for each of the partner's entities.
func (c *client) entities() []*client {
	var l struct{ Data []struct{ ID string } }
	c.do("GET", "/entities", nil, 200, &l)
	out := make([]*client, 0, len(l.Data))
	for _, e := range l.Data {
		cc := *c
		cc.entityID = e.ID
		out = append(out, &cc)
	}
	return out
}

// TestSandboxLoginWithABrowser logs in to the sandbox pages with the partner's client credentials
// and a real cookie jar, after the connection was made through the consent page without any login.
func TestSandboxLoginWithABrowser(t *testing.T) {
	t.Parallel()
	s := newStack(t, filepath.Join(t.TempDir(), "booksync.db"))
	c := s.partner().newEntity()
	_, tenant := c.connect() // opens connection_url and presses Allow, anonymously
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(u string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	page := s.url + "/sandbox/xero/orgs/" + tenant
	resp, form := get(page)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sandbox/login" || !strings.Contains(form, `name="client_secret"`) {
		t.Fatalf("page without a login ends at %s (%d), want the login form", resp.Request.URL, resp.StatusCode)
	}
	// The browser posts back what the form holds.
	m := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("the login form has no next field:\n%s", form)
	}
	next := html.UnescapeString(m[1])
	if want := "/sandbox/xero/orgs/" + tenant; next != want {
		t.Fatalf("login form remembers %q, want %q", next, want)
	}
	post := func(secret string) (*http.Response, string) {
		resp, err := browser.PostForm(s.url+"/sandbox/login", url.Values{"client_id": {c.clientID}, "client_secret": {secret}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := post("wrong"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong client_id or client_secret") {
		t.Fatalf("wrong secret: %d %s", resp.StatusCode, body)
	}
	if u, _ := url.Parse(s.url + "/sandbox/"); len(jar.Cookies(u)) != 0 {
		t.Fatal("a wrong login left a cookie")
	}
	resp, body := post(c.secret)
	if resp.StatusCode != 200 || resp.Request.URL.String() != page || !strings.Contains(body, "Chart of accounts") {
		t.Fatalf("after login: %s (%d), want the organisation page", resp.Request.URL, resp.StatusCode)
	}
	if resp, body = get(s.url + "/sandbox/quickbooks/companies"); resp.StatusCode != 200 || !strings.Contains(body, "No companies yet") {
		t.Fatalf("the session does not reach the QuickBooks sandbox: %d", resp.StatusCode)
	}
	sandboxURL, _ := url.Parse(s.url + "/sandbox/")
	copied := jar.Cookies(sandboxURL)
	// replay answers the page to a copy of the session cookie, without a browser.
	replay := func(cookies []*http.Cookie) int {
		req, _ := http.NewRequest("GET", page, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if len(copied) != 1 || replay(copied) != 200 {
		t.Fatalf("the session cookie %v does not open the page", copied)
	}
	if resp, _ := browser.PostForm(s.url+"/sandbox/logout", nil); resp.Request.URL.Path != "/sandbox/login" {
		t.Fatalf("logout ends at %s", resp.Request.URL)
	}
	if resp, _ = get(page); resp.Request.URL.Path != "/sandbox/login" {
		t.Fatalf("after logout the page is at %s", resp.Request.URL)
	}
	if status := replay(copied); status != http.StatusUnauthorized {
		t.Errorf("a copy of the logged-out session cookie: %d, want 401", status)
	}

	// A new client secret ends the sessions opened with the old one.
	if resp, _ := post(c.secret); resp.StatusCode != 200 {
		t.Fatalf("login again: %d", resp.StatusCode)
	}
	copied = jar.Cookies(sandboxURL)
	if err := s.app.Store.CreatePartner(context.Background(), booksync.Partner{ID: c.clientID, Name: "e2e"}, api.HashSecret("a new secret")); err != nil {
		t.Fatal(err)
	}
	if status := replay(copied); status != http.StatusUnauthorized {
		t.Errorf("a session opened with the old secret: %d, want 401", status)
	}
	if resp, _ := post("a new secret"); resp.StatusCode != 200 || replay(jar.Cookies(sandboxURL)) != 200 {
		t.Errorf("a session opened with the new secret: %d", resp.StatusCode)
	}
}

// TestSandboxFaultsNeedTheSetting: without SandboxFaults, even the organisation's own partner
// cannot inject a fault.
func TestSandboxFaultsNeedTheSetting(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, filepath.Join(t.TempDir(), "booksync.db"), func(c *app.Config) { c.SandboxFaults = false })
	c := s.partner().newEntity()
	_, tenant := c.connect()
	status, body := c.sandbox("POST", "/sandbox/xero/faults", map[string]any{"tenant_id": tenant, "kind": "revoke"}, true)
	if status != http.StatusForbidden || !strings.Contains(moniteMessage(t, body), "BOOKSYNC_SANDBOX_FAULTS") {
		t.Fatalf("faults without the setting: %d %s", status, body)
	}
	var conn struct{ Data []struct{ Status string } }
	c.do("GET", "/accounting_connections", nil, 200, &conn)
	if len(conn.Data) != 1 || conn.Data[0].Status != "connected" {
		t.Fatalf("connection after a refused revoke: %+v", conn.Data)
	}
}

// TestTamperedRealmIsNotConnected changes the realmId that the QuickBooks consent redirect
// carries to another partner's company: booksync must not record that company as connected, so
// the sandbox never shows it to the wrong partner.
func TestTamperedRealmIsNotConnected(t *testing.T) {
	t.Parallel()
	s := newStack(t, filepath.Join(t.TempDir(), "booksync.db"))
	a, b := s.partner(), s.partner().newEntity()
	a.newEntity().connectPlatform("quickbooks", nil)
	realms := s.app.QuickBooksSandbox.Companies()
	victim := realms[len(realms)-1]

	var conn struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		ConnectionURL string `json:"connection_url"`
	}
	b.do("POST", "/accounting_connections", map[string]any{"platform": "quickbooks"}, 201, &conn)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(conn.ConnectionURL, url.Values{"consent": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || callback.Query().Get("realmId") == "" {
		t.Fatalf("consent redirect %q", resp.Header.Get("Location"))
	}
	q := callback.Query()
	q.Set("realmId", victim)
	callback.RawQuery = q.Encode()
	resp, err = http.Get(callback.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("callback with another partner's realm: %d, want a refusal", resp.StatusCode)
	}
	b.do("GET", "/accounting_connections/"+conn.ID, nil, 200, &conn)
	if conn.Status == "connected" {
		t.Fatal("the connection was completed with another partner's company")
	}
	if status, _ := b.sandbox("GET", "/sandbox/quickbooks/companies/"+victim, nil, true); status != http.StatusNotFound {
		t.Fatalf("partner B reads partner A's company after a tampered callback: %d", status)
	}
}
