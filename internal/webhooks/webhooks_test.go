package webhooks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSignatureHeaderShape(t *testing.T) {
	h := Sign("whsec_test", time.Unix(1710139795, 0), []byte(`{"id":"x"}`))
	if !regexp.MustCompile(`^t=1710139795,v1=[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("header %q", h)
	}
	if h == Sign("whsec_other", time.Unix(1710139795, 0), []byte(`{"id":"x"}`)) ||
		h == Sign("whsec_test", time.Unix(1710139796, 0), []byte(`{"id":"x"}`)) ||
		h == Sign("whsec_test", time.Unix(1710139795, 0), []byte(`{"id":"y"}`)) {
		t.Fatal("the signature does not depend on the secret, the time and the body")
	}
}

func TestDefaultBackoffGrowsToAnHourWithJitter(t *testing.T) {
	for n, base := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 5: 160 * time.Second,
		10: time.Hour, 50: time.Hour, 9000: time.Hour} {
		for range 50 {
			if d := DefaultBackoff(n); d < base*3/4 || d > base*5/4 {
				t.Fatalf("retry %d: %v, want %v ±25%%", n, d, base)
			}
		}
	}
}

// TestOnlyA2xxInTimeIsSuccess sends attempts to receivers that answer 200, 204, a redirect, 500,
// and too late.
func TestOnlyA2xxInTimeIsSuccess(t *testing.T) {
	d, err := NewDeliverer(Config{SecretKey: bytes.Repeat([]byte{1}, 32), Timeout: 200 * time.Millisecond, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		ok      bool
		status  int
	}{
		{"200", func(w http.ResponseWriter, r *http.Request) {}, true, 200},
		{"204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, true, 204},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, false, 302},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, false, 500},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		}, false, 0},
	}
	for _, c := range cases {
		srv := httptest.NewServer(c.handler)
		a := d.post(context.Background(), srv.URL, "whsec_x", time.Now(), []byte(`{}`))
		srv.Close()
		if a.OK != c.ok || a.StatusCode != c.status {
			t.Errorf("%s: ok %v status %d (%s), want ok %v status %d", c.name, a.OK, a.StatusCode, a.Response, c.ok, c.status)
		}
	}
}

// TestAttemptsReachPublicAddressesOnly: unless private addresses are allowed, an attempt does not
// connect to booksync's own network, whatever name led it there; the receiver never sees it.
func TestAttemptsReachPublicAddressesOnly(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	d, err := NewDeliverer(Config{SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, local} {
		resp, err := d.cfg.Client.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s was reached", u)
		}
		if !strings.Contains(err.Error(), "not a public address") {
			t.Fatalf("%s: %v", u, err)
		}
	}
	allowed, err := NewDeliverer(Config{SecretKey: make([]byte, 32), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := allowed.cfg.Client.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !hit {
		t.Fatal("the receiver was not reached although private addresses are allowed")
	}
}
