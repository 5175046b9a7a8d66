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

// TestGnuCashFolderThatCannotBeUsed: a BOOKSYNC_GNUCASH_DIR below a regular file is the
// operator's setting to fix, not a passing failure: connecting answers a 5xx whose message names
// the folder and what is wrong, and does not tell the caller to try again later.
func TestGnuCashFolderThatCannotBeUsed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-folder")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	books := filepath.Join(file, "gnucash")
	s := newStackWith(t, filepath.Join(dir, "booksync.db"), func(c *app.Config) { c.GnuCashDir = books })
	c := s.partner().newEntity()
	var e struct{ Error struct{ Message string } }
	c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, http.StatusInternalServerError, &e)
	msg := e.Error.Message
	if !strings.Contains(msg, books) || !strings.Contains(msg, file+" is a file, not a folder") ||
		!strings.Contains(msg, "BOOKSYNC_GNUCASH_DIR") || strings.Contains(msg, "try again") {
		t.Fatalf("message %q: want the folder, its cause and the setting, and no \"try again\"", msg)
	}
}

// TestReadThroughOfAnImpossibleIDIsNotFound: on every platform, reading back an invoice whose id
// cannot be one of the platform's (QuickBooks' are digits, Xero's UUIDs) answers 404, as an
// unknown invoice does, not a 400 telling the caller to fix data and push again.
func TestReadThroughOfAnImpossibleIDIsNotFound(t *testing.T) {
	t.Parallel()
	s := newStack(t, filepath.Join(t.TempDir(), "booksync.db"))
	p := s.partner()
	xero, qbo := p.newEntity(), p.newEntity()
	xero.connect()
	qbo.connectPlatform("quickbooks", nil)
	for name, c := range map[string]*client{"Xero": xero, "QuickBooks": qbo} {
		for _, id := range []string{"..%2F..%2Fx", "..%2Fx", "%2E%2E", "12a", "-1", "00000000-0000-0000-0000-00000000000g"} {
			var e struct{ Error struct{ Message string } }
			c.do("GET", "/accounting/receivables/"+id, nil, http.StatusNotFound, &e)
			if strings.Contains(e.Error.Message, "push again") {
				t.Errorf("%s %s: %q", name, id, e.Error.Message)
			}
		}
	}
	// Ids of the right form that name no invoice are not found too, by asking the platform.
	xero.do("GET", "/accounting/receivables/00000000-0000-0000-0000-000000000001", nil, http.StatusNotFound, nil)
	qbo.do("GET", "/accounting/receivables/987654", nil, http.StatusNotFound, nil)
}
