package api_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/google/uuid"
)

// connectOnly is the sync engine as the API sees it, of which only Connect answers: it connects
// to any platform it is named and remembers the names.
type connectOnly struct {
	api.Accounting
	mu    sync.Mutex
	asked []string
}

func (a *connectOnly) Connect(_ context.Context, entityID, platform string) (*booksync.Connection, error) {
	a.mu.Lock()
	a.asked = append(a.asked, platform)
	a.mu.Unlock()
	return &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, CreatedAt: time.Now(), UpdatedAt: time.Now(),
		Platform: platform, Status: booksync.ConnectionPendingAuth, ConnectionURL: "https://books.example/authorize",
		Errors: []booksync.ConnectionError{}}, nil
}

// TestQuickBooksHasTwoNames: Monite names QuickBooks Online both "quickbooks" and
// "quickbooks_online"; the API asks the sync engine for "quickbooks_online" under either name,
// and for Xero when the request names no platform.
func TestQuickBooksHasTwoNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, filepath.Join(t.TempDir(), "booksync.db"))
	engine := &connectOnly{}
	a, err := api.NewServer(h.store, invoicing.New(h.store, nil), engine)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	h.srv, h.api, h.client = srv, a, srv.Client()

	entity := h.partner().newEntity("Acme Ltd", "GB")
	var conn struct{ Platform string }
	for _, name := range []string{booksync.PlatformQuickBooks, booksync.PlatformQuickBooksOnline} {
		entity.do("POST", "/accounting_connections", map[string]any{"platform": name}, 201, &conn)
		if conn.Platform != booksync.PlatformQuickBooksOnline {
			t.Errorf("connection to %q: platform %q, want %q", name, conn.Platform, booksync.PlatformQuickBooksOnline)
		}
	}
	entity.do("POST", "/accounting_connections", map[string]any{}, 201, &conn)
	want := []string{booksync.PlatformQuickBooksOnline, booksync.PlatformQuickBooksOnline, booksync.PlatformXero}
	engine.mu.Lock()
	defer engine.mu.Unlock()
	if !slices.Equal(engine.asked, want) {
		t.Fatalf("the engine was asked to connect to %q, want %q", engine.asked, want)
	}
}
