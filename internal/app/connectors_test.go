package app_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/app"
)

// TestGnuCashConnectsFromAFreshFolder runs booksync as `serve` does in an empty folder (no
// BOOKSYNC_GNUCASH_DIR): connecting GnuCash creates the gnucash/ folder beside the database,
// readable by booksync's user alone, and the entity's book in it.
func TestGnuCashConnectsFromAFreshFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newStackWith(t, filepath.Join(dir, "booksync.db"), func(c *app.Config) { c.GnuCashDir = "" })
	c := s.partner().newEntity()
	var conn struct{ ID, Status string }
	c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, &conn)
	if conn.Status != "connected" {
		t.Fatalf("GnuCash connection: %+v", conn)
	}
	fi, err := os.Stat(filepath.Join(dir, "gnucash"))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("gnucash folder: %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "gnucash", c.entityID+".gnucash")); err != nil {
		t.Fatalf("the entity's book: %v", err)
	}
	c.waitFor("the initial pull", func() bool {
		var l struct{ Data []any }
		c.do("GET", "/accounting_tax_rates", nil, 200, &l)
		return len(l.Data) > 0
	})
}

// TestConnectorErrorsReachTheCallerWithTheirCause: a QuickBooks callback without realmId (the
// company the grant is for) is the caller's problem, answered 400 with what is missing, not a
// bare "Internal error.".
func TestConnectorErrorsReachTheCallerWithTheirCause(t *testing.T) {
	t.Parallel()
	s := newStack(t, filepath.Join(t.TempDir(), "booksync.db"))
	c := s.partner().newEntity()
	var conn struct {
		ConnectionURL string `json:"connection_url"`
	}
	c.do("POST", "/accounting_connections", map[string]any{"platform": "quickbooks"}, 201, &conn)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(conn.ConnectionURL, url.Values{"consent": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 || back.Query().Get("code") == "" {
		t.Fatalf("consent: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := back.Query()
	q.Del("realmId")
	back.RawQuery = q.Encode()
	resp, err = http.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), "realmId") {
		t.Fatalf("callback without realmId: %d %s", resp.StatusCode, page)
	}
}
