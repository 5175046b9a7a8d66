package syncer

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/store"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// TestRefusedTokenIsRefreshedOnce sends a call that the platform refuses with 401 whatever the
// token: booksync refreshes once and sends it again with the new token. When the refresh was
// accepted the grant is good, so the connection stays connected and the job is retried later;
// only a refused refresh makes it deauthorized.
func TestRefusedTokenIsRefreshedOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		apiStatus  int // what the platform answers every call
		refresh    func(w http.ResponseWriter)
		wantSent   []string
		wantClass  platform.Class
		wantStatus string
	}{
		{"refresh accepted", http.StatusUnauthorized, refreshAccepted, []string{"Bearer old", "Bearer new"}, platform.Transient, booksync.ConnectionConnected},
		{"refresh refused", http.StatusUnauthorized, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
		}, []string{"Bearer old"}, platform.Auth, booksync.ConnectionDeauthorized},
		// 403: the grant is good but no longer reaches the organisation (Xero's tenant was
		// disconnected, QuickBooks' AuthorizationFault). No token cures that, so retrying the job
		// would push nothing for days while the connection looked fine: the user must reconnect.
		{"organisation refused even with a new token", http.StatusForbidden, refreshAccepted,
			[]string{"Bearer old", "Bearer new"}, platform.Auth, booksync.ConnectionDeauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "r1" {
					http.Error(w, "unexpected token request", http.StatusBadRequest)
					return
				}
				tc.refresh(w)
			}))
			defer tokens.Close()
			var mu sync.Mutex
			var sent []string
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sent = append(sent, r.Header.Get("Authorization"))
				mu.Unlock()
				w.WriteHeader(tc.apiStatus)
			}))
			defer api.Close()

			p := &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books",
				OAuth: oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: tokens.URL, AuthStyle: oauth2.AuthStyleInParams}}}
			e, st, conn := newConnectedEngine(t, p)
			now := time.Now()
			ts := e.tokenSourceFor(conn, p)
			if err := ts.load(ctx); err != nil {
				t.Fatal(err)
			}
			// booksync believes the token good for half an hour more.
			if err := ts.save(ctx, &oauth2.Token{AccessToken: "old", RefreshToken: "r1", TokenType: "Bearer", Expiry: now.Add(30 * time.Minute)}); err != nil {
				t.Fatal(err)
			}

			s := &session{e: e, conn: conn, provider: p, ts: ts}
			client := ts.httpClient(ctx)
			err := s.call(ctx, func() error {
				resp, err := client.Get(api.URL)
				if err != nil {
					return err
				}
				resp.Body.Close()
				return &platform.Error{Class: platform.Auth, Status: resp.StatusCode, Message: "refused"}
			})
			if got := platform.ClassOf(err); got != tc.wantClass {
				t.Fatalf("call: %v (class %q), want class %q", err, got, tc.wantClass)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(sent, tc.wantSent) {
				t.Fatalf("tokens sent: %q, want %q", sent, tc.wantSent)
			}
			got, err := st.ConnectionByID(ctx, conn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus {
				t.Fatalf("connection %s, want %s: %+v", got.Status, tc.wantStatus, got.Errors)
			}
		})
	}
}

// refreshAccepted answers a refresh with a new access token.
func refreshAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "new", "refresh_token": "r2", "token_type": "Bearer", "expires_in": 1800})
}

// newConnectedEngine builds an engine (not started) on a fresh SQLite database, with one entity
// connected to p.
func newConnectedEngine(t *testing.T, p *platform.Provider) (*Engine, *store.Store, *booksync.Connection) {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.OpenAndMigrate(ctx, filepath.Join(t.TempDir(), "booksync.db"), store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := New(Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, 32), Logger: quiet, Providers: map[string]*platform.Provider{p.Platform: p}})
	if err != nil {
		t.Fatal(err)
	}
	partner := uuid.NewString()
	if err := st.CreatePartner(ctx, booksync.Partner{ID: partner, Name: "p"}, []byte("hash")); err != nil {
		t.Fatal(err)
	}
	ent := &booksync.Entity{ID: uuid.NewString(), PartnerID: partner, Type: booksync.EntityTypeOrganization,
		Status: booksync.EntityStatusActive, Address: booksync.EntityAddress{Country: "DE", City: "Berlin", PostalCode: "10115", Line1: "Str. 1"},
		Organization: &booksync.Organization{LegalName: "Acme GmbH"}}
	if err := st.CreateEntity(ctx, ent, booksync.Settings{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	conn := &booksync.Connection{ID: uuid.NewString(), EntityID: ent.ID, CreatedAt: now, UpdatedAt: now, Platform: p.Platform,
		Status: booksync.ConnectionConnected, Errors: []booksync.ConnectionError{}, TenantID: "org", NextSyncAt: now.Add(time.Hour)}
	if err := st.CreateConnection(ctx, conn, ""); err != nil {
		t.Fatal(err)
	}
	return e, st, conn
}

// TestLostLeaseStopsItsHolder lets a lease lapse and another holder take it: the first holder's
// work is cancelled (it must not go on as if it held the lease), and its release leaves the new
// holder's lease alone.
func TestLostLeaseStopsItsHolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, st, conn := newConnectedEngine(t, &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books"})
	held, release, ok, err := e.tryLease(ctx, conn.ID, store.LeasePush, 90*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("a free lease: %v %v", ok, err)
	}
	// Another process, for which the lease has lapsed, takes it.
	later := time.Now().Add(time.Hour)
	if ok, err := st.AcquireLease(ctx, conn.ID, store.LeasePush, later, later.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("taking a lapsed lease: %v %v", ok, err)
	}
	<-held.Done()
	if cause := context.Cause(held); !errors.Is(cause, errLeaseLost) {
		t.Fatalf("the holder's work ended with %v, want errLeaseLost", cause)
	}
	release()
	if ok, err := st.AcquireLease(ctx, conn.ID, store.LeasePush, later, later.Add(time.Hour)); err != nil || ok {
		t.Fatalf("the former holder's release freed the new holder's lease (%v)", err)
	}
}

// TestStalledRenewalStopsItsHolder holds the database's writer while a lease is held, so that its
// renewal cannot get through: the holder must stop once its lease lapses, since another holder may
// take it then, rather than work on while the renewal waits for the database.
func TestStalledRenewalStopsItsHolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, st, conn := newConnectedEngine(t, &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books"})
	held, release, ok, err := e.tryLease(ctx, conn.ID, store.LeasePush, 150*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("a free lease: %v %v", ok, err)
	}
	busy, unblock := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- st.InTx(ctx, func(*sql.Tx) error { close(busy); <-unblock; return nil })
	}()
	<-busy
	// The lease lapses 150 ms after it was taken; a minute only bounds a holder that never stops.
	select {
	case <-held.Done():
	case <-time.After(time.Minute):
		t.Error("the holder went on working a minute after its lease lapsed")
	}
	close(unblock)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
	if cause := context.Cause(held); held.Err() != nil && !errors.Is(cause, errLeaseLost) {
		t.Fatalf("the holder's work ended with %v, want errLeaseLost", cause)
	}
	release()
}

// TestConcurrentRefusalsRefreshOnce: two calls of one connection send the same token, which the
// platform refuses. The first refusal refreshes it; the second, which arrives after that refresh,
// is about the token already replaced, so it is resent with the new token instead of refreshing
// again (each refresh rotates the grant's refresh token and costs a call).
func TestConcurrentRefusalsRefreshOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	refreshes := 0
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		refreshes++
		n := refreshes
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("new%d", n), "refresh_token": fmt.Sprintf("r%d", n+1),
			"token_type": "Bearer", "expires_in": 1800})
	}))
	defer tokens.Close()
	entered, hold := make(chan struct{}), make(chan struct{})
	var first sync.Once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer old" {
			return // 200
		}
		if r.URL.Path == "/slow" {
			first.Do(func() { close(entered); <-hold })
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer api.Close()

	p := &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books",
		OAuth: oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: tokens.URL, AuthStyle: oauth2.AuthStyleInParams}}}
	e, _, conn := newConnectedEngine(t, p)
	ts := e.tokenSourceFor(conn, p)
	if err := ts.load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ts.save(ctx, &oauth2.Token{AccessToken: "old", RefreshToken: "r1", TokenType: "Bearer", Expiry: time.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	client := ts.httpClient(ctx)
	get := func(path string) error {
		s := &session{e: e, conn: conn, provider: p, ts: ts}
		return s.call(ctx, func() error {
			resp, err := client.Get(api.URL + path)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return &platform.Error{Class: platform.Auth, Status: resp.StatusCode, Message: "refused"}
			}
			return nil
		})
	}
	slow := make(chan error, 1)
	go func() { slow <- get("/slow") }()
	<-entered // the slow call has sent the old token
	if err := get("/fast"); err != nil {
		t.Fatalf("the fast call: %v", err)
	}
	close(hold) // the slow call's refusal arrives after the fast call refreshed
	if err := <-slow; err != nil {
		t.Fatalf("the slow call: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if refreshes != 1 {
		t.Fatalf("%d refreshes for one refused token, want 1", refreshes)
	}
}
