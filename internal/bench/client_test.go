package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A run that outlives its token renews it and carries on, instead of failing with the 401.
func TestClientRenewsAnExpiredToken(t *testing.T) {
	var issued atomic.Int64
	var valid atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth/token":
			tok := fmt.Sprintf("token-%d", issued.Add(1))
			valid.Store("Bearer " + tok)
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok})
		case "/entities":
			if r.Header.Get("Authorization") != valid.Load() {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte(`{"data": []}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c, err := newClient(ctx, srv.URL, &Processes{clientID: "id", clientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.call(ctx, "", "GET", "/entities", nil, 200, nil); err != nil {
		t.Fatal(err)
	}
	valid.Store("Bearer expired-all") // the server forgets the token, as when it expires
	if err := c.call(ctx, "", "GET", "/entities", nil, 200, nil); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := issued.Load(); n != 2 {
		t.Fatalf("%d tokens issued, want 2", n)
	}
}
