package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/contract"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/syncer"
	"github.com/booksync/booksync/internal/webhooks"
	"github.com/google/uuid"
)

// forEachDB runs a test against booksync on SQLite and on PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newHarness(t, filepath.Join(t.TempDir(), "booksync.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newHarness(t, pgtest.NewDatabase(t)))
	})
}

// harness is a booksync API on a real database, served over real HTTP.
type harness struct {
	t      testing.TB
	srv    *httptest.Server
	store  *store.Store
	api    *api.Server
	client *http.Client
	// lastPartner is the session of the partner created last, for helpers that need one.
	lastPartner *session
}

func newHarness(t testing.TB, dsn string) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	// An engine without workers queues the pushes that issues and payments ask for, as in
	// production, and never runs them: these tests stop at the API.
	engine, err := syncer.New(syncer.Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, 32), Workers: -1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.NewServer(st, invoicing.New(st, engine), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Webhooks, err = webhooks.NewService(st, bytes.Repeat([]byte{7}, 32), ""); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, store: st, api: a, client: srv.Client()}
}

// partner creates an API client and returns a session authenticated as it.
func (h *harness) partner() *session {
	h.t.Helper()
	id, secret := uuid.NewString(), uuid.NewString()
	if err := h.store.CreatePartner(context.Background(), booksync.Partner{ID: id, Name: "test", CreatedAt: time.Now()}, api.HashSecret(secret)); err != nil {
		h.t.Fatal(err)
	}
	s := &session{h: h, clientID: id, secret: secret}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	s.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}, 200, &tok)
	if tok.ExpiresIn != 1800 || tok.TokenType != "Bearer" || tok.AccessToken == "" {
		h.t.Fatalf("token response %+v", tok)
	}
	s.token = tok.AccessToken
	h.lastPartner = s
	return s
}

// session makes API calls as one partner, optionally for one entity.
type session struct {
	h                *harness
	clientID, secret string
	token            string
	entityID         string
}

// forEntity returns a session whose calls carry x-monite-entity-id.
func (s *session) forEntity(id string) *session {
	c := *s
	c.entityID = id
	return &c
}

// newEntity creates an organization entity in the given country and returns a session for it.
func (s *session) newEntity(name, country string) *session {
	var e struct{ ID string }
	s.do("POST", "/entities", map[string]any{
		"type": "organization", "email": "books@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example",
		"address":      map[string]any{"country": country, "city": "London", "postal_code": "EC1A 1BB", "line1": "1 High Street"},
		"organization": map[string]any{"legal_name": name},
	}, 201, &e)
	return s.forEntity(e.ID)
}

// response is a raw API answer.
type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// raw sends a request with a raw body and returns the answer after checking it against the
// Monite schema for the operation and status.
func (s *session) raw(method, path string, body io.Reader, header http.Header) response {
	s.h.t.Helper()
	r, err := s.roundTrip(method, path, body, header)
	if err != nil {
		s.h.t.Fatal(err)
	}
	contract.Check(s.h.t, method, strings.SplitN(path, "?", 2)[0], r.status, r.body)
	return r
}

// send is raw for goroutines other than the test's: it neither checks the answer nor fails the
// test, and a request that could not be sent comes back with status 0 and the error as its body.
func (s *session) send(method, path string, body io.Reader) response {
	r, err := s.roundTrip(method, path, body, nil)
	if err != nil {
		return response{body: []byte(err.Error())}
	}
	return r
}

func (s *session) roundTrip(method, path string, body io.Reader, header http.Header) (response, error) {
	req, err := http.NewRequest(method, s.h.srv.URL+path, body)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-monite-version", "2024-05-25")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if s.entityID != "" {
		req.Header.Set("x-monite-entity-id", s.entityID)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.h.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: b, header: resp.Header}, err
}

// do sends a JSON request, requires the status, and decodes the answer into out (if not nil).
func (s *session) do(method, path string, in any, wantStatus int, out any) response {
	s.h.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			s.h.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	r := s.raw(method, path, body, nil)
	if r.status != wantStatus {
		s.h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, wantStatus, r.body)
	}
	if out != nil {
		r.decode(s.h.t, out)
	}
	return r
}
