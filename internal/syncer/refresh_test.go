package syncer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/store"
	"golang.org/x/oauth2"
)

// refreshSetup is a connection whose token source holds the given token, and whose platform
// answers refreshes with answer, counting them.
type refreshSetup struct {
	e         *Engine
	st        *store.Store
	conn      *booksync.Connection
	p         *platform.Provider
	ts        *tokenSource
	refreshes *atomic.Int32
}

func newRefreshSetup(t *testing.T, tok *oauth2.Token, answer func(w http.ResponseWriter)) *refreshSetup {
	t.Helper()
	var n atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		answer(w)
	}))
	t.Cleanup(tokens.Close)
	p := &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books",
		OAuth: oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: tokens.URL, AuthStyle: oauth2.AuthStyleInParams}}}
	e, st, conn := newConnectedEngine(t, p)
	ts := e.tokenSourceFor(conn, p)
	ctx := context.Background()
	if err := ts.load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ts.save(ctx, tok); err != nil {
		t.Fatal(err)
	}
	return &refreshSetup{e: e, st: st, conn: conn, p: p, ts: ts, refreshes: &n}
}

// otherProcess is the connection's token source in another booksync process.
func (r *refreshSetup) otherProcess(t *testing.T) *tokenSource {
	t.Helper()
	cfg := r.p.OAuth
	other := &tokenSource{e: r.e, connID: r.conn.ID, cfg: &cfg}
	if err := other.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return other
}

func (r *refreshSetup) status(t *testing.T) *booksync.Connection {
	t.Helper()
	c, err := r.st.ConnectionByID(context.Background(), r.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func refuseRefresh(t *testing.T) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		t.Error("the token was refreshed")
		http.Error(w, "no", http.StatusBadRequest)
	}
}

// TestRefusedTokenReplacedByAnotherProcess: another process refreshed the token since this one
// loaded it, so the refused token is replaced by the stored one, without refreshing again.
func TestRefusedTokenReplacedByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := &oauth2.Token{AccessToken: "old", RefreshToken: "r1", TokenType: "Bearer", Expiry: time.Now().Add(30 * time.Minute)}
	r := newRefreshSetup(t, old, refuseRefresh(t))
	if err := r.otherProcess(t).save(ctx, &oauth2.Token{AccessToken: "theirs", RefreshToken: "r2", TokenType: "Bearer", Expiry: time.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := r.ts.token(ctx, old)
	if err != nil || got.AccessToken != "theirs" {
		t.Fatalf("token: %v %v, want the other process's", got, err)
	}
}

// TestRefreshWaitsForAnotherProcessRefreshing: while another process holds the refresh lease,
// this one waits for it, and then takes the token it stored rather than refreshing again; it
// gives up when its context ends.
func TestRefreshWaitsForAnotherProcessRefreshing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	expired := &oauth2.Token{AccessToken: "old", RefreshToken: "r1", TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute)}
	r := newRefreshSetup(t, expired, refuseRefresh(t))
	now := time.Now()
	until := now.Add(time.Hour)
	if ok, err := r.st.AcquireLease(ctx, r.conn.ID, store.LeaseRefresh, now, until); err != nil || !ok {
		t.Fatalf("the other process's lease: %v %v", ok, err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := r.ts.token(short, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("token while another process refreshes, until the context ends: %v", err)
	}

	type answer struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan answer, 1)
	go func() {
		tok, err := r.ts.token(ctx, nil)
		done <- answer{tok, err}
	}()
	if err := r.otherProcess(t).save(ctx, &oauth2.Token{AccessToken: "theirs", RefreshToken: "r2", TokenType: "Bearer", Expiry: time.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.ReleaseLease(ctx, r.conn.ID, store.LeaseRefresh, until); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.tok.AccessToken != "theirs" {
		t.Fatalf("token: %v %v, want the other process's", got.tok, got.err)
	}
}

// TestRefreshOutcomes: a connection without a refresh token is deauthorized; a token service that
// fails is a transient failure that leaves the connection connected; a refresh that does not
// rotate the refresh token keeps the old one.
func TestRefreshOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		refresh     string // the token held
		answer      func(http.ResponseWriter)
		wantClass   platform.Class
		wantStatus  string
		wantRefresh string // the refresh token stored after
	}{
		{"no refresh token", "", func(w http.ResponseWriter) { http.Error(w, "no", http.StatusBadRequest) },
			platform.Auth, booksync.ConnectionDeauthorized, ""},
		{"token service fails", "r1", func(w http.ResponseWriter) { http.Error(w, "down", http.StatusInternalServerError) },
			platform.Transient, booksync.ConnectionConnected, "r1"},
		{"refresh token not rotated", "r1", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"new","token_type":"Bearer","expires_in":1800}`))
		}, "", booksync.ConnectionConnected, "r1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			expired := &oauth2.Token{AccessToken: "old", RefreshToken: tc.refresh, TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute)}
			r := newRefreshSetup(t, expired, tc.answer)
			tok, err := r.ts.token(ctx, nil)
			if got := platform.ClassOf(err); got != tc.wantClass {
				t.Fatalf("token: %v (class %q), want class %q", err, got, tc.wantClass)
			}
			if err == nil && tok.AccessToken != "new" {
				t.Fatalf("token %q, want the new one", tok.AccessToken)
			}
			c := r.status(t)
			if c.Status != tc.wantStatus {
				t.Fatalf("connection %s, want %s", c.Status, tc.wantStatus)
			}
			if tc.wantStatus == booksync.ConnectionDeauthorized && !strings.Contains(c.Errors[0].Message, "holds no refresh token") {
				t.Fatalf("connection error %q does not say why", c.Errors[0].Message)
			}
			if stored := r.otherProcess(t).tok; stored.RefreshToken != tc.wantRefresh {
				t.Fatalf("stored refresh token %q, want %q", stored.RefreshToken, tc.wantRefresh)
			}
		})
	}
}
