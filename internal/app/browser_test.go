package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The browser tests drive Debian's chromium with Playwright (the node scripts in e2e/, with
// playwright-core and axe-core from e2e/package-lock.json). scripts/ensure-browser installs what
// they need; without it they skip, unless BOOKSYNC_REQUIRE_BROWSER=1 (as `make test` sets) makes
// them fail.

// chromium runs the scripts of e2e/ for one test.
type chromium struct {
	t      *testing.T
	dir    string // e2e/
	binary string // the chromium executable
	// state is the file where the scripts keep the signed-in session between runs.
	state string
}

// browserSlot lets one chromium run at a time: the tests share a small machine, and several
// browsers at once would only slow each other down.
var browserSlot = make(chan struct{}, 1)

// newChromium finds node, e2e/node_modules and chromium, or skips (fails under
// BOOKSYNC_REQUIRE_BROWSER=1) saying what is missing.
func newChromium(t *testing.T) *chromium {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	missing := func(what string) {
		t.Helper()
		msg := what + "; run scripts/ensure-browser"
		if os.Getenv("BOOKSYNC_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (BOOKSYNC_REQUIRE_BROWSER=1)")
		}
		t.Skip(msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("e2e/node_modules has no playwright-core")
	}
	bin := os.Getenv("BOOKSYNC_CHROMIUM")
	if bin == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		missing("chromium is not installed")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		missing("chromium " + bin + " is not an executable file")
	}
	return &chromium{t: t, dir: dir, binary: bin, state: filepath.Join(t.TempDir(), "session.json")}
}

// run runs e2e/<script> with args (passed as JSON; "state" is added) and returns its output and
// whether it failed. A script fails by exiting non-zero, with what went wrong in its output.
func (b *chromium) run(script string, args map[string]any) (string, error) {
	b.t.Helper()
	all := map[string]any{"state": b.state}
	for k, v := range args {
		all[k] = v
	}
	js, err := json.Marshal(all)
	if err != nil {
		b.t.Fatal(err)
	}
	browserSlot <- struct{}{}
	defer func() { <-browserSlot }()
	// The scripts' own waits are bounded by their patience; should the test end first, its
	// context kills the script's whole process group, node and the chromium it started.
	cmd := exec.CommandContext(b.t.Context(), "node", filepath.Join(b.dir, script))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Dir = b.dir
	// DEBUG=pw:browser adds chromium's own output to the script's, which a failure shows: a
	// browser that closed under a page (seen once on a loaded machine) then says why.
	cmd.Env = append(os.Environ(), "BOOKSYNC_E2E_ARGS="+string(js), "BOOKSYNC_CHROMIUM="+b.binary, "DEBUG=pw:browser")
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// mustRun runs a script and fails the test, showing the script's output, when the script fails.
func (b *chromium) mustRun(script string, args map[string]any) {
	b.t.Helper()
	if out, err := b.run(script, args); err != nil {
		b.t.Fatalf("e2e/%s: %v\n%s", script, err, out)
	}
}

// TestBrowserChecks proves the checks every dashboard page passes: a page with an unlabelled
// field and an element wider than a phone fails both (axe-core's serious "label" violation and
// horizontal scroll at 375 px), and the same page done right passes.
func TestBrowserChecks(t *testing.T) {
	t.Parallel()
	b := newChromium(t)
	const good = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Good</title></head>
<body><main><h1>Sign in</h1><form><label for="id">Client ID</label> <input id="id" name="client_id">
<button>Sign in</button></form><p style="max-width:100%">Fits any screen.</p></main></body></html>`
	const bad = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Bad</title></head>
<body><main><h1>Sign in</h1><form><input name="client_id"><button>Sign in</button></form>
<div style="width:800px">Too wide for a phone.</div>
<p>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</p></main></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/good":
			fmt.Fprint(w, good)
		case "/bad":
			fmt.Fprint(w, bad)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	b.mustRun("check-pages.js", map[string]any{"pages": []map[string]string{{"name": "good", "url": srv.URL + "/good"}}})

	out, err := b.run("check-pages.js", map[string]any{"pages": []map[string]string{{"name": "bad", "url": srv.URL + "/bad"}}})
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("check-pages on a bad page: %v, want a failure\n%s", err, out)
	}
	for _, want := range []string{"critical label", "horizontal scroll at 375x667", `div (right edge`, `text "xxxxxxxx`} {
		if !strings.Contains(out, want) {
			t.Errorf("check-pages on a bad page does not report %q:\n%s", want, out)
		}
	}
}

// TestDashboardInBrowser is the dashboard's story in chromium: sign in, connect the entity to the
// Xero sandbox through its consent page, see an invoice's error and its fix, add the missing tax
// rate on the sandbox's organisation page, Sync now, Retry, and see `done` arrive without a
// reload; another partner reaches none of it by URL; and every main page passes axe-core and fits
// a phone. With BOOKSYNC_SCREENSHOTS=docs it also saves the README's screenshots in docs/.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	b := newChromium(t)
	s := newStack(t, filepath.Join(t.TempDir(), "booksync.db"))
	ctx := context.Background()
	c := s.partner().newEntity()
	var ent struct {
		Organization struct {
			LegalName string `json:"legal_name"`
		} `json:"organization"`
	}
	c.do("GET", "/entities/"+c.entityID, nil, 200, &ent)
	shots := ""
	if dir := os.Getenv("BOOKSYNC_SCREENSHOTS"); dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join("..", "..", dir) // relative to the repository's root
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		shots = abs
	}
	args := func(phase string, more map[string]any) map[string]any {
		a := map[string]any{"phase": phase, "url": s.url, "clientID": c.clientID, "secret": c.secret,
			"entityID": c.entityID, "entityName": ent.Organization.LegalName, "screenshots": shots}
		for k, v := range more {
			a[k] = v
		}
		return a
	}

	b.mustRun("dashboard.js", args("connect", nil))
	var conns struct {
		Data []struct{ ID, Platform, Status string }
	}
	c.do("GET", "/accounting_connections", nil, 200, &conns)
	if len(conns.Data) != 1 || conns.Data[0].Platform != "xero" || conns.Data[0].Status != "connected" {
		t.Fatalf("connections after connecting in the dashboard: %+v", conns.Data)
	}
	conn, err := s.app.Store.Connection(ctx, c.entityID, conns.Data[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	hasRate := func(rate int64) func() bool {
		return func() bool {
			var l struct {
				Data []struct {
					EffectiveTaxRate int64 `json:"effective_tax_rate"`
				}
			}
			c.do("GET", "/accounting_tax_rates", nil, 200, &l)
			for _, d := range l.Data {
				if d.EffectiveTaxRate == rate {
					return true
				}
			}
			return false
		}
	}
	c.waitFor("the initial pull", hasRate(2000))

	// A 12.5% line: the UK organisation has no such rate until the user adds it in the books.
	r := c.customerAndProduct("Fabrikam Ltd", ptr(c.idByName("/ledger_accounts", "Sales")))
	invoice, number := c.issue(r, nil, line(r.product, 2, 1250))
	rec := c.record("receivable", invoice)
	if rec.SyncStatus != "error" || rec.Errors == nil || len(rec.Errors.Details) == 0 ||
		!strings.Contains(rec.Errors.Message, "Tax rate does not exist") || !strings.Contains(rec.Errors.Details[0].Fix, "12.5%") {
		t.Fatalf("record of a 12.5%% invoice before the books have the rate: %s", rec)
	}
	// A 17.5% one stays in error: the records page then shows an error and a success side by side.
	other, _ := c.issue(r, nil, line(r.product, 1, 1750))
	if rec2 := c.record("receivable", other); rec2.SyncStatus != "error" {
		t.Fatalf("record of a 17.5%% invoice: %s", rec2)
	}

	b.mustRun("dashboard.js", args("fix", map[string]any{"recordID": rec.ID, "tenant": conn.TenantID,
		"errorTexts": []string{rec.Errors.Message, rec.Errors.Details[0].Fix},
		"rateName":   "12.5% (VAT on Income)", "rate": "12.5"}))

	b.mustRun("dashboard.js", args("retry", map[string]any{"recordID": rec.ID, "invoiceID": invoice,
		"invoiceNumber": number, "sameText": "booksync and the books hold the same values."}))
	if rec = c.record("receivable", invoice); rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
		t.Fatalf("record after Retry in the dashboard: %s", rec)
	}
	if !hasRate(1250)() {
		t.Fatal("Retry pushed the invoice without pulling the 12.5% rate added in the books")
	}

	intruder := s.partner().newEntity()
	b.mustRun("dashboard.js", map[string]any{"phase": "isolation", "url": s.url, "clientID": intruder.clientID,
		"secret": intruder.secret, "otherEntityID": c.entityID, "otherEntityName": ent.Organization.LegalName,
		"otherRecordID": rec.ID, "otherInvoiceID": invoice, "state": ""})

	b.mustRun("check-pages.js", map[string]any{"state": "", "pages": []map[string]string{
		{"name": "sign-in", "url": s.url + "/dashboard/login", "expectPath": "/dashboard/login"}}})
	b.mustRun("check-pages.js", map[string]any{"pages": []map[string]string{
		{"name": "overview", "url": s.url + "/dashboard/", "expectPath": "/dashboard/"},
		{"name": "entity", "url": s.url + "/dashboard/entities/" + c.entityID, "expectPath": "/dashboard/entities/"},
		{"name": "records", "url": s.url + "/dashboard/records", "expectPath": "/dashboard/records"},
		{"name": "invoice (done)", "url": s.url + "/dashboard/receivables/" + invoice, "expectPath": "/dashboard/receivables/"},
		{"name": "invoice (error)", "url": s.url + "/dashboard/receivables/" + other, "expectPath": "/dashboard/receivables/"},
		{"name": "jobs", "url": s.url + "/dashboard/jobs", "expectPath": "/dashboard/jobs"},
	}})
}
