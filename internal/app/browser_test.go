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
	"testing"
	"time"
)

// The browser tests drive Debian's chromium with Playwright (the node scripts in e2e/, with
// playwright-core and axe-core from e2e/package-lock.json). scripts/ensure-browser installs what
// they need; without it they skip, unless BOOKSYNC_REQUIRE_BROWSER=1 (as `make test` sets) makes
// them fail.

// browser runs the scripts of e2e/ for one test.
type browser struct {
	t        *testing.T
	dir      string // e2e/
	chromium string
	// state is the file where the scripts keep the signed-in session between runs.
	state string
}

// browserSlot lets one chromium run at a time: the tests share a small machine, and several
// browsers at once would only slow each other down.
var browserSlot = make(chan struct{}, 1)

// newBrowser finds node, e2e/node_modules and chromium, or skips (fails under
// BOOKSYNC_REQUIRE_BROWSER=1) saying what is missing.
func newBrowser(t *testing.T) *browser {
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
	chromium := os.Getenv("BOOKSYNC_CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		missing("chromium is not installed")
	}
	return &browser{t: t, dir: dir, chromium: chromium, state: filepath.Join(t.TempDir(), "session.json")}
}

// run runs e2e/<script> with args (passed as JSON; "state" is added) and returns its output and
// whether it failed. A script fails by exiting non-zero, with what went wrong in its output.
func (b *browser) run(script string, args map[string]any) (string, error) {
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
	// The context only ends a script still running when the test ends (a failed test); the
	// scripts' own waits are bounded by their patience.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(b.dir, script))
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "BOOKSYNC_E2E_ARGS="+string(js), "BOOKSYNC_CHROMIUM="+b.chromium)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// mustRun runs a script and fails the test, showing the script's output, when the script fails.
func (b *browser) mustRun(script string, args map[string]any) {
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
	b := newBrowser(t)
	const good = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Good</title></head>
<body><main><h1>Sign in</h1><form><label for="id">Client ID</label> <input id="id" name="client_id">
<button>Sign in</button></form><p style="max-width:100%">Fits any screen.</p></main></body></html>`
	const bad = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Bad</title></head>
<body><main><h1>Sign in</h1><form><input name="client_id"><button>Sign in</button></form>
<div style="width:800px">Too wide for a phone.</div></main></body></html>`
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
	for _, want := range []string{"critical label", "horizontal scroll at 375x667"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-pages on a bad page does not report %q:\n%s", want, out)
		}
	}
}
