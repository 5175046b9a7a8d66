package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
)

// browser is a signed-in (or not yet) user of the dashboard: a cookie jar that does not follow
// redirects by itself, so each test sees where booksync sends it.
type browser struct {
	s    *stack
	hc   *http.Client
	csrf string
}

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and remembers its CSRF token.
func (b *browser) get(path string) (int, string, http.Header) {
	b.s.t.Helper()
	resp, err := b.hc.Get(b.abs(path))
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.s.url + path
}

// post sends a form with the page's CSRF token (unless form already has a csrf field).
func (b *browser) post(path string, form url.Values, header ...string) (int, string, http.Header) {
	b.s.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) signIn(c *client) {
	b.s.t.Helper()
	b.get("/dashboard/login")
	code, body, h := b.post("/dashboard/login", url.Values{"client_id": {c.clientID}, "client_secret": {c.secret}})
	if code != http.StatusSeeOther || h.Get("Location") != "/dashboard/" {
		b.s.t.Fatalf("sign in: %d %s %s", code, h.Get("Location"), body)
	}
}

// mustGet fetches a page that must answer 200.
func (b *browser) mustGet(path string) string {
	b.s.t.Helper()
	code, body, _ := b.get(path)
	if code != http.StatusOK {
		b.s.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func TestDashboardSignIn(t *testing.T) {
	t.Parallel()
	s := newStack(t, t.TempDir()+"/booksync.db")
	c := s.partner().newEntity()
	b := s.browser()

	if code, _, h := b.get("/dashboard/"); code != http.StatusSeeOther || h.Get("Location") != "/dashboard/login" {
		t.Fatalf("unauthenticated overview: %d to %q, want a redirect to the sign-in page", code, h.Get("Location"))
	}
	for _, path := range []string{"/dashboard/records", "/dashboard/jobs", "/dashboard/no/such/page", "/dashboard/entities/" + c.entityID} {
		if code, _, h := b.get(path); code != http.StatusSeeOther || h.Get("Location") != "/dashboard/login" {
			t.Errorf("unauthenticated GET %s: %d to %q, want a redirect to the sign-in page", path, code, h.Get("Location"))
		}
	}
	code, page, _ := b.get("/dashboard/login")
	for _, want := range []string{`<label for="client_id">Client ID</label>`, `<label for="client_secret">Client secret</label>`,
		`name="client_id"`, `name="client_secret"`, `>Sign in</button>`, `<html lang="en">`} {
		if code != 200 || !strings.Contains(page, want) {
			t.Fatalf("sign-in page (%d) lacks %s:\n%s", code, want, page)
		}
	}

	// A form without its CSRF token is refused, even with the right credentials.
	if code, _, h := b.post("/dashboard/login", url.Values{"client_id": {c.clientID}, "client_secret": {c.secret}, "csrf": {""}}); code != http.StatusForbidden || h.Get("Set-Cookie") != "" {
		t.Fatalf("sign in without CSRF token: %d, cookies %q; want 403 and no session", code, h.Get("Set-Cookie"))
	}
	if code, body, _ := b.post("/dashboard/login", url.Values{"client_id": {c.clientID}, "client_secret": {"wrong"}}); code != http.StatusUnauthorized ||
		!strings.Contains(body, "Wrong client ID or secret") {
		t.Fatalf("wrong secret: %d %s", code, body)
	}

	code, _, h := b.post("/dashboard/login", url.Values{"client_id": {c.clientID}, "client_secret": {c.secret}})
	cookie := h.Get("Set-Cookie")
	if code != http.StatusSeeOther || !strings.Contains(cookie, "booksync_session=") || !strings.Contains(cookie, "HttpOnly") ||
		!strings.Contains(cookie, "SameSite=Lax") || !strings.Contains(cookie, "Max-Age=") || strings.Contains(cookie, "Secure") {
		t.Fatalf("sign in: %d, cookie %q", code, cookie)
	}
	if code, _, _ := b.get("/dashboard/no/such/page"); code != http.StatusNotFound {
		t.Errorf("signed-in GET of no page: %d, want 404", code)
	}
	for path, want := range map[string]string{"/dashboard/static/htmx.min.js": "htmx", "/dashboard/static/style.css": "--fg"} {
		if body := b.mustGet(path); !strings.Contains(body, want) {
			t.Errorf("%s does not hold the embedded file: %.100s", path, body)
		}
	}
	overview := b.mustGet("/dashboard/")
	if !strings.Contains(overview, `href="/dashboard/entities/`+c.entityID+`"`) || !strings.Contains(overview, ">Sign out</button>") {
		t.Fatalf("overview lacks the entity or Sign out:\n%s", overview)
	}

	// The session's cookie is no API token.
	session := strings.TrimPrefix(strings.Split(cookie, ";")[0], "booksync_session=")
	api := *c
	api.token = session
	if code := api.call("GET", "/entities", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /entities with the session cookie as bearer token: %d, want 401", code)
	}

	// Sign out without the token is refused; with it, the session ends for good.
	if code, _, _ := b.post("/dashboard/logout", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("sign out with a forged token: %d, want 403", code)
	}
	if code, _, h := b.post("/dashboard/logout", nil); code != http.StatusSeeOther || h.Get("Location") != "/dashboard/login" {
		t.Fatalf("sign out: %d %s", code, h.Get("Location"))
	}
	replay := s.browser()
	u, _ := url.Parse(s.url + "/dashboard/")
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "booksync_session", Value: session, Path: "/dashboard/"}})
	if code, _, _ := replay.get("/dashboard/"); code != http.StatusSeeOther {
		t.Fatalf("overview with a signed-out session: %d, want a redirect to sign in", code)
	}
}

// TestDashboardFixAndRetry is the story the dashboard is for: connect an entity from its page, see
// an invoice fail with its cause and fix, fix the books, retry, and see it done.
func TestDashboardFixAndRetry(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		b := s.browser()
		b.signIn(c)

		entityPage := "/dashboard/entities/" + c.entityID
		page := b.mustGet(entityPage)
		if !strings.Contains(page, ">Connect Xero</button>") || !strings.Contains(page, `data-testid="connection-status">not connected<`) {
			t.Fatalf("entity page before connecting:\n%s", page)
		}
		code, _, h := b.post(entityPage+"/connect", url.Values{"platform": {"xero"}})
		consent := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(consent, s.url+"/sandbox/xero/oauth/authorize?") {
			t.Fatalf("Connect Xero: %d to %q", code, consent)
		}
		// The consent page's Allow comes back through booksync's callback to the entity's page.
		_, _, h = b.post(consent, url.Values{"consent": {"allow"}})
		callback := h.Get("Location")
		if code, _, h = b.get(callback); code != http.StatusSeeOther || h.Get("Location") != entityPage {
			t.Fatalf("OAuth callback of a connection started from the dashboard: %d to %q", code, h.Get("Location"))
		}
		c.waitFor("the initial pull", func() bool {
			return strings.Contains(b.mustGet(entityPage+"/connection"), `data-testid="connection-status" aria-live="polite">connected<`) &&
				!strings.Contains(b.mustGet(entityPage+"/connection"), "Last pull</dt><dd>never")
		})

		sales := c.idByName("/ledger_accounts", "Sales")
		r := c.customerAndProduct("Acme Ltd", &sales)
		inv, _ := c.issue(r, nil, line(r.product, 1, 1234))
		rec := c.record("receivable", inv)
		if rec.SyncStatus != "error" {
			t.Fatalf("invoice with a rate the books lack: %s", rec)
		}

		list := b.mustGet("/dashboard/records?status=error")
		row := rowOf(t, list, rec.ID)
		for _, want := range []string{`data-testid="record-status" class="status status-error">error<`, "Tax rate does not exist",
			"line_items[0].tax_rate_value", "Create a 12.34% sales tax rate", ">Retry</button>"} {
			if !strings.Contains(row, want) {
				t.Fatalf("error row lacks %q:\n%s", want, row)
			}
		}
		if strings.Contains(b.mustGet("/dashboard/records?status=done"), rec.ID) {
			t.Fatal("the record in error is listed among the done ones")
		}

		// Fix the books and retry from the row: the retry reads the books again first.
		tenants := s.app.XeroSandbox.Tenants()
		if _, err := s.app.XeroSandbox.AddTaxRate(context.Background(), tenants[len(tenants)-1], "12.34% (VAT on Income)", sandbox.NewAmount("12.34")); err != nil {
			t.Fatal(err)
		}
		code, row, _ = b.post("/dashboard/records/"+rec.ID+"/retry", nil, "HX-Request", "true", "X-CSRF-Token", b.csrf)
		// The row follows the record until it settles; a fast worker may have pushed it before
		// the row was drawn, and then it is done already.
		if code != http.StatusOK || !strings.Contains(row, `hx-get="/dashboard/records/`+rec.ID+`/row"`) &&
			!strings.Contains(row, `class="status status-done">done<`) {
			t.Fatalf("Retry: %d, want the row polling itself (or done):\n%s", code, row)
		}
		c.waitFor("the retried invoice", func() bool {
			return strings.Contains(b.mustGet("/dashboard/records/"+rec.ID+"/row"), `class="status status-done">done<`)
		})
		if got := c.record("receivable", inv); got.SyncStatus != "done" {
			t.Fatalf("record after retry: %s", got)
		}

		// Sync now: the panel follows the sync until it has pulled, then stops polling.
		var conns struct{ Data []struct{ ID string } }
		c.do("GET", "/accounting_connections", nil, 200, &conns)
		code, _, h = b.post(entityPage+"/connections/"+conns.Data[0].ID+"/sync", nil)
		syncing := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(syncing, entityPage+"?sync_requested=") {
			t.Fatalf("Sync now: %d %s", code, syncing)
		}
		c.waitFor("the sync to pull", func() bool {
			return !strings.Contains(b.mustGet(syncing), "hx-trigger")
		})

		// The invoice beside the books: the same values, read back from Xero.
		side := b.mustGet("/dashboard/receivables/" + inv)
		if !strings.Contains(side, "booksync and the books hold the same values") || strings.Contains(side, `class="diff"`) ||
			!strings.Contains(side, "receivable.issued") {
			t.Fatalf("invoice page:\n%s", side)
		}
	})
}

// rowOf returns the table row of a record in a records page.
func rowOf(t *testing.T, page, recordID string) string {
	t.Helper()
	i := strings.Index(page, `data-record-id="`+recordID+`"`)
	if i < 0 {
		t.Fatalf("no row of record %s in:\n%s", recordID, page)
	}
	end := strings.Index(page[i:], "</tr>")
	return page[i : i+end]
}

// TestDashboardTenants checks that every id in a dashboard URL or form is checked against the
// signed-in partner's entities.
func TestDashboardTenants(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *stack) {
		mine, theirs := s.partner().newEntity(), s.partner().newEntity()
		theirs.connect()
		sales := theirs.idByName("/ledger_accounts", "Sales")
		r := theirs.customerAndProduct("Acme Ltd", &sales)
		inv, _ := theirs.issue(r, nil, line(r.product, 1, 1234))
		rec := theirs.record("receivable", inv)
		before := updatedAt(theirs, rec.ID)

		b := s.browser()
		b.signIn(mine)
		for _, path := range []string{"/dashboard/entities/" + theirs.entityID, "/dashboard/entities/" + theirs.entityID + "/connection",
			"/dashboard/receivables/" + inv, "/dashboard/records/" + rec.ID + "/row"} {
			if code, _, _ := b.get(path); code != http.StatusNotFound {
				t.Errorf("GET %s of another partner: %d, want 404", path, code)
			}
		}
		if code, _, _ := b.get("/dashboard/records?entity_id=" + theirs.entityID); code != http.StatusBadRequest {
			t.Errorf("records of another partner's entity: %d, want 400", code)
		}
		if strings.Contains(b.mustGet("/dashboard/records"), rec.ID) {
			t.Error("another partner's record is in the list")
		}
		b.mustGet("/dashboard/records")
		if code, _, _ := b.post("/dashboard/records/"+rec.ID+"/retry", nil); code != http.StatusNotFound {
			t.Errorf("retry of another partner's record: %d, want 404", code)
		}
		if code, _, _ := b.post("/dashboard/records/retry", url.Values{"record_id": {rec.ID}}); code != http.StatusNotFound {
			t.Errorf("retry selected with another partner's record: %d, want 404", code)
		}
		if code, _, _ := b.post("/dashboard/entities/"+theirs.entityID+"/connect", url.Values{"platform": {"gnucash"}}); code != http.StatusNotFound {
			t.Errorf("connect another partner's entity: %d, want 404", code)
		}
		if got := theirs.record("receivable", inv); got.SyncStatus != "error" || updatedAt(theirs, rec.ID) != before {
			t.Errorf("their record changed: %s", got)
		}
		// A POST without the CSRF token is refused before anything else.
		if code, _, _ := b.post("/dashboard/records/retry", url.Values{"csrf": {""}, "record_id": {rec.ID}}); code != http.StatusForbidden {
			t.Errorf("retry without CSRF token: %d, want 403", code)
		}
	})
}

// TestDashboardRecordsList checks the records list's filters, its paging and its bulk retry.
func TestDashboardRecordsList(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		c.connect()
		sales := c.idByName("/ledger_accounts", "Sales")
		r := c.customerAndProduct("Acme Ltd", &sales)
		good, _ := c.issue(r, nil, line(r.product, 1, 2000))
		bad1, _ := c.issue(r, nil, line(r.product, 1, 1234))
		bad2, _ := c.issue(r, nil, line(r.product, 2, 1234))
		if c.record("receivable", good).SyncStatus != "done" || c.record("receivable", bad1).SyncStatus != "error" ||
			c.record("receivable", bad2).SyncStatus != "error" {
			t.Fatal("the invoices did not settle as expected")
		}
		b := s.browser()
		b.signIn(c)

		ids := func(page string) []string {
			var out []string
			for _, m := range regexp.MustCompile(`data-testid="record-row" data-record-id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
				out = append(out, m[1])
			}
			return out
		}
		errs := ids(b.mustGet("/dashboard/records?status=error&object_type=receivable&platform=xero&entity_id=" + c.entityID + "&since=2000-01-01"))
		if len(errs) != 2 {
			t.Fatalf("records in error: %v, want 2", errs)
		}
		if got := ids(b.mustGet("/dashboard/records?object_type=customer")); len(got) != 1 || got[0] != c.record("customer", r.counterpart).ID {
			t.Fatalf("customer records: %v", got)
		}
		if got := ids(b.mustGet("/dashboard/records?platform=gnucash")); len(got) != 0 {
			t.Fatalf("gnucash records of a Xero entity: %v", got)
		}
		if got := ids(b.mustGet("/dashboard/records?since=2999-01-01")); len(got) != 0 {
			t.Fatalf("records changed in the future: %v", got)
		}
		for _, q := range []string{"status=lost", "platform=sage", "since=yesterday", "after=%21%21"} {
			if code, body, _ := b.get("/dashboard/records?" + q); code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
				t.Errorf("records?%s: %d, want 400 with the reason", q, code)
			}
		}

		// Paging: one row a page, forward to the end and back again, every record once.
		all := ids(b.mustGet("/dashboard/records"))
		var seen []string
		next := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next</a>`)
		prev := regexp.MustCompile(`<a href="([^"]+)" rel="prev">Previous</a>`)
		path := "/dashboard/records?limit=1"
		for path != "" {
			page := b.mustGet(path)
			seen = append(seen, ids(page)...)
			path = ""
			if m := next.FindStringSubmatch(page); m != nil {
				path = strings.ReplaceAll(m[1], "&amp;", "&")
			}
			if len(seen) > len(all) {
				t.Fatalf("paging went past the end: %v", seen)
			}
		}
		if strings.Join(seen, ",") != strings.Join(all, ",") {
			t.Fatalf("pages gave %v, the list %v", seen, all)
		}
		last := b.mustGet("/dashboard/records?limit=1&status=error")
		m := next.FindStringSubmatch(last)
		if m == nil {
			t.Fatal("no Next link on the first of two pages")
		}
		second := b.mustGet(strings.ReplaceAll(m[1], "&amp;", "&"))
		back := prev.FindStringSubmatch(second)
		if back == nil || ids(b.mustGet(strings.ReplaceAll(back[1], "&amp;", "&")))[0] != ids(last)[0] {
			t.Fatal("Previous does not lead back to the first page")
		}

		// Retry selected pushes each ticked record again.
		before1, before2 := updatedAt(c, errs[0]), updatedAt(c, errs[1])
		b.mustGet("/dashboard/records?status=error")
		code, _, h := b.post("/dashboard/records/retry", url.Values{"record_id": errs, "back": {"/dashboard/records?status=error"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/dashboard/records?status=error" {
			t.Fatalf("Retry selected: %d to %q", code, h.Get("Location"))
		}
		c.waitFor("the retried records", func() bool {
			return updatedAt(c, errs[0]) != before1 && updatedAt(c, errs[1]) != before2
		})
		if c.record("receivable", bad1).SyncStatus != "error" || c.record("receivable", bad2).SyncStatus != "error" {
			t.Fatal("retried records with the rate still missing are not back in error")
		}
		if code, _, h := b.post("/dashboard/records/retry", url.Values{"record_id": errs[:1], "back": {"https://evil.example/"}}); code != http.StatusSeeOther ||
			h.Get("Location") != "/dashboard/records" {
			t.Fatalf("Retry selected with a foreign back link: %d to %q", code, h.Get("Location"))
		}
		// With the token in htmx's header rather than the form, the ticked records still count.
		before := updatedAt(c, errs[0])
		if code, body, _ := b.post("/dashboard/records/retry", url.Values{"csrf": {""}, "record_id": errs[:1]}, "X-CSRF-Token", b.csrf); code != http.StatusSeeOther {
			t.Fatalf("Retry selected with the token in X-CSRF-Token: %d %s", code, body)
		}
		c.waitFor("the record retried with the token in the header", func() bool { return updatedAt(c, errs[0]) != before })
	})
}

// updatedAt returns when a synced record last changed, as the API says.
func updatedAt(c *client, recordID string) string {
	var r struct {
		UpdatedAt string `json:"updated_at"`
	}
	c.do("GET", "/accounting_synced_records/"+recordID, nil, 200, &r)
	return r.UpdatedAt
}

// TestDashboardJobs checks the jobs page and River UI behind the sign-in, on both databases.
func TestDashboardJobs(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		b := s.browser()
		if code, _, _ := b.get("/dashboard/jobs/api/states"); code != http.StatusSeeOther {
			t.Fatalf("River UI without signing in: %d, want a redirect to sign in", code)
		}
		b.signIn(c)
		page := b.mustGet("/dashboard/jobs")
		if !strings.Contains(page, `href="/dashboard/jobs/"`) || !strings.Contains(page, "every tenant's jobs") ||
			!strings.Contains(page, `<th scope="row">completed</th>`) {
			t.Fatalf("jobs page:\n%s", page)
		}
		if states := b.mustGet("/dashboard/jobs/api/states"); !strings.Contains(states, `"completed":`) {
			t.Fatalf("River UI's states: %s", states)
		}
		if ui := b.mustGet("/dashboard/jobs/"); !strings.Contains(ui, "<html") {
			t.Fatalf("River UI's page: %.300s", ui)
		}
		// River UI's changes carry no CSRF token: they must come from booksync's own pages.
		if code, _, _ := b.post("/dashboard/jobs/api/jobs/cancel", url.Values{}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
			t.Fatalf("cross-site change through River UI: %d, want 403", code)
		}

		// The queue holds every tenant's jobs: a partner who does not run this booksync (created
		// after the first, no BOOKSYNC_OPERATORS) sees neither River UI nor the counts, and
		// cannot change a job through it.
		other := s.partner().newEntity()
		ob := s.browser()
		ob.signIn(other)
		page = ob.mustGet("/dashboard/jobs")
		if strings.Contains(page, `href="/dashboard/jobs/"`) || strings.Contains(page, `<th scope="row">completed</th>`) ||
			!strings.Contains(page, "only its operators see it") {
			t.Fatalf("jobs page of a partner who is not an operator:\n%s", page)
		}
		for _, path := range []string{"/dashboard/jobs/", "/dashboard/jobs/api/states", "/dashboard/jobs/api/jobs?state=completed"} {
			if code, _, _ := ob.get(path); code != http.StatusNotFound {
				t.Errorf("GET %s by a partner who is not an operator: %d, want 404", path, code)
			}
		}
		for _, path := range []string{"/dashboard/jobs/api/jobs/delete", "/dashboard/jobs/api/jobs/cancel"} {
			if code, _, _ := ob.post(path, url.Values{}, "Origin", s.url, "Sec-Fetch-Site", "same-origin"); code != http.StatusNotFound {
				t.Errorf("POST %s by a partner who is not an operator: %d, want 404", path, code)
			}
		}
	})
}

// TestDashboardReconnect reconnects a connection whose grant the books revoked: the old connection
// ends, a new one goes through the consent page, and the entity's page shows it connected.
func TestDashboardReconnect(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r, connID, tenant := c.ready()
		c.armFault("xero", tenant, map[string]any{"kind": "revoke"})
		c.issue(r, nil, line(r.product, 1, 2000))
		b := s.browser()
		b.signIn(c)
		entityPage := "/dashboard/entities/" + c.entityID
		c.waitFor("the connection to be deauthorized", func() bool {
			return strings.Contains(b.mustGet(entityPage), `data-testid="connection-status" aria-live="polite">deauthorized<`)
		})
		page := b.mustGet(entityPage)
		if !strings.Contains(page, ">Reconnect</button>") || strings.Contains(page, ">Sync now</button>") {
			t.Fatalf("deauthorized connection's page:\n%s", page)
		}
		code, _, h := b.post(entityPage+"/connections/"+connID+"/reconnect", nil)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), s.url+"/sandbox/xero/oauth/authorize?") {
			t.Fatalf("Reconnect: %d to %q", code, h.Get("Location"))
		}
		_, _, h = b.post(h.Get("Location"), url.Values{"consent": {"allow"}})
		if code, _, h = b.get(h.Get("Location")); code != http.StatusSeeOther || h.Get("Location") != entityPage {
			t.Fatalf("callback after Reconnect: %d to %q", code, h.Get("Location"))
		}
		if !strings.Contains(b.mustGet(entityPage), `aria-live="polite">connected<`) {
			t.Fatal("the entity is not connected after Reconnect")
		}
		var old struct{ Status string }
		c.do("GET", "/accounting_connections/"+connID, nil, 200, &old)
		if old.Status != "disconnected" {
			t.Fatalf("the deauthorized connection is %s after Reconnect, want disconnected", old.Status)
		}
		// Reconnect applies to deauthorized connections only.
		var conns struct{ Data []struct{ ID, Status string } }
		c.do("GET", "/accounting_connections", nil, 200, &conns)
		for _, cn := range conns.Data {
			if cn.Status == "connected" {
				if code, _, _ := b.post(entityPage+"/connections/"+cn.ID+"/reconnect", nil); code != http.StatusConflict {
					t.Fatalf("Reconnect of a connected connection: %d, want 409", code)
				}
			}
		}
	})
}

// TestDashboardRetryRefused checks that a Retry the engine refuses says why: a 409 with the reason,
// in the page's alert region when htmx sent it.
func TestDashboardRetryRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, t.TempDir()+"/booksync.db")
	c := s.partner().newEntity()
	r, connID, _ := c.ready()
	inv, _ := c.issue(r, nil, line(r.product, 1, 1234))
	rec := c.record("receivable", inv)
	c.do("POST", "/accounting_connections/"+connID+"/disconnect", nil, 200, nil)
	b := s.browser()
	b.signIn(c)
	b.mustGet("/dashboard/records")
	code, body, h := b.post("/dashboard/records/"+rec.ID+"/retry", nil, "HX-Request", "true", "X-CSRF-Token", b.csrf)
	if code != http.StatusConflict || h.Get("HX-Retarget") != "#flash" || !strings.Contains(body, "disconnected") {
		t.Fatalf("Retry on a disconnected connection: %d %q %s", code, h.Get("HX-Retarget"), body)
	}
	if code, body, _ := b.post("/dashboard/records/"+rec.ID+"/retry", nil); code != http.StatusConflict || !strings.Contains(body, "<h1>Not done</h1>") {
		t.Fatalf("Retry without htmx on a disconnected connection: %d %s", code, body)
	}
}
