package syncer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"golang.org/x/oauth2"
)

// TestCallRetriesByClass runs one connector call that fails the same way each time, then, when
// the case says so, succeeds: a short rate-limit wait is waited out (up to five times), a long
// one and any failure the call cannot cure are returned at once.
func TestCallRetriesByClass(t *testing.T) {
	t.Parallel()
	limited := func(after time.Duration) error {
		return &platform.Error{Class: platform.RateLimited, RetryAfter: after, Message: "slow down"}
	}
	for _, tc := range []struct {
		name      string
		err       error
		failures  int  // how many times the call fails before it succeeds; -1: always
		withToken bool // an OAuth connection (else local books)
		wantCalls int
		wantErr   bool
	}{
		{"short rate limit waited out", limited(time.Millisecond), 2, false, 3, false},
		{"short rate limit, five retries", limited(time.Millisecond), -1, false, 6, true},
		{"long rate limit returned", limited(6 * time.Second), -1, false, 1, true},
		{"auth failure of local books", &platform.Error{Class: platform.Auth, Message: "refused"}, -1, false, 1, true},
		{"connection deauthorized", &platform.Error{Class: platform.Auth, Code: booksync.CodeConnectionDeauthorized, Message: "reconnect"}, -1, true, 1, true},
		{"user action", &platform.Error{Class: platform.NeedsUserAction, Message: "fix it"}, -1, false, 1, true},
		{"misconfigured", &platform.Error{Class: platform.Misconfigured, Message: "set it"}, -1, false, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			p := &platform.Provider{Platform: "oauthbooks", Name: "OAuth Books"}
			e, _, conn := newConnectedEngine(t, p)
			s := &session{e: e, conn: conn, provider: p}
			if tc.withToken {
				s.ts = e.tokenSourceFor(conn, p)
				if err := s.ts.save(ctx, &oauth2.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			calls := 0
			err := s.call(ctx, func() error {
				calls++
				if tc.failures >= 0 && calls > tc.failures {
					return nil
				}
				return tc.err
			})
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
			if tc.wantErr != (err != nil) || err != nil && !errors.Is(err, tc.err) {
				t.Errorf("call: %v, want the call's error: %v", err, tc.wantErr)
			}
		})
	}
}
