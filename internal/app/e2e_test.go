package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/contract"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/syncer"
	"github.com/booksync/booksync/internal/testlog"
	"github.com/google/uuid"
)

// stack is booksync with its Xero sandbox, on a real database, served over real HTTP.
type stack struct {
	t          *testing.T
	app        *app.App
	url        string
	gnucashDir string
}

func forEachDB(t *testing.T, fn func(t *testing.T, s *stack)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newStack(t, filepath.Join(t.TempDir(), "booksync.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newStack(t, pgtest.NewDatabase(t)))
	})
}

func newStack(t *testing.T, dsn string) *stack {
	t.Helper()
	return newStackWith(t, dsn, func(*app.Config) {})
}

// newStackWith builds a stack whose configuration edit changes; the tests arm the sandboxes'
// faults over HTTP, so SandboxFaults is on unless edit turns it off.
func newStackWith(t *testing.T, dsn string, edit func(*app.Config)) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := app.Config{DB: dsn, PublicURL: base, SecretKey: bytes.Repeat([]byte{1}, 32), Workers: 4, GnuCashDir: t.TempDir(),
		SandboxFaults: true, Logger: testlog.New(t)}
	cfg.Webhooks.AllowPrivate = true // the tests' receivers listen on 127.0.0.1
	edit(&cfg)
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler()}}
	srv.Start()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := a.Close(10 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return &stack{t: t, app: a, url: base, gnucashDir: cfg.GnuCashDir}
}

// jobs describes River's jobs, for failure messages.
func (s *stack) jobs() string {
	rows, err := s.app.Store.Writer().Query("SELECT id, kind, state, attempt, args, errors FROM river_job ORDER BY id")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, attempt int64
		var kind, state, args string
		var errs []byte
		_ = rows.Scan(&id, &kind, &state, &attempt, &args, &errs)
		fmt.Fprintf(&b, "%d %s %s attempt=%d %s %.300s\n", id, kind, state, attempt, args, errs)
	}
	return b.String()
}

// client calls the API as one partner, for one entity.
type client struct {
	s        *stack
	token    string
	entityID string
	// clientID and secret are the partner's API client credentials.
	clientID, secret string
}

func (s *stack) partner() *client {
	id, secret := uuid.NewString(), uuid.NewString()
	if err := s.app.Store.CreatePartner(context.Background(), booksync.Partner{ID: id, Name: "e2e"}, api.HashSecret(secret)); err != nil {
		s.t.Fatal(err)
	}
	c := &client{s: s, clientID: id, secret: secret}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}, 200, &tok)
	c.token = tok.AccessToken
	return c
}

// call sends a request and returns its status, decoding a 2xx body into out; it is safe to use
// from several goroutines (it never stops the test).
func (c *client) call(method, path string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.entityID != "" {
		req.Header.Set("x-monite-entity-id", c.entityID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

func (c *client) do(method, path string, body any, want int, out any) []byte {
	c.s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.entityID != "" {
		req.Header.Set("x-monite-entity-id", c.entityID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	contract.Check(c.s.t, method, req.URL.Path, resp.StatusCode, b)
	if resp.StatusCode != want {
		c.s.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.s.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

func (c *client) newEntity() *client { return c.newEntityIn("GB") }

// newEntityIn creates an organization entity in a country and returns a client for it.
func (c *client) newEntityIn(country string) *client {
	var e struct{ ID string }
	c.do("POST", "/entities", map[string]any{"type": "organization", "email": "books@example.com",
		"address":      map[string]any{"country": country, "city": "London", "postal_code": "EC1A 1BB", "line1": "1 High St"},
		"organization": map[string]any{"legal_name": "Northwind " + uuid.NewString()[:6]}}, 201, &e)
	out := *c
	out.entityID = e.ID
	return &out
}

type refs struct{ counterpart, address, product string }

func (c *client) customerAndProduct(name string, ledgerAccountID *string) refs {
	var cp struct {
		ID   string `json:"id"`
		Addr string `json:"default_billing_address_id"`
	}
	c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": name, "is_customer": true, "is_vendor": false, "email": "ap@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example",
		"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, &cp)
	prod := map[string]any{"name": "Consulting", "type": "service", "price": map[string]any{"currency": "GBP", "value": 12345}}
	if ledgerAccountID != nil {
		prod["ledger_account_id"] = *ledgerAccountID
	}
	var p struct{ ID string }
	c.do("POST", "/products", prod, 201, &p)
	return refs{cp.ID, cp.Addr, p.ID}
}

// issue creates and issues an invoice and returns its id and number.
func (c *client) issue(r refs, extra map[string]any, lines ...map[string]any) (string, string) {
	body := map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": r.counterpart,
		"counterpart_billing_address_id": r.address, "line_items": lines}
	for k, v := range extra {
		body[k] = v
	}
	var inv struct {
		ID         string `json:"id"`
		DocumentID string `json:"document_id"`
	}
	c.do("POST", "/receivables", body, 201, &inv)
	c.do("POST", "/receivables/"+inv.ID+"/issue", nil, 200, &inv)
	return inv.ID, inv.DocumentID
}

// connect connects the entity to a new sandbox organisation the way a user does: open the
// connection_url, press Allow, follow the redirects back to booksync.
func (c *client) connect() (connID, tenantID string) {
	var conn struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		ConnectionURL string `json:"connection_url"`
	}
	c.do("POST", "/accounting_connections", map[string]any{"platform": "xero"}, 201, &conn)
	if conn.Status != "pending_auth" || !strings.HasPrefix(conn.ConnectionURL, c.s.url+"/sandbox/xero/oauth/authorize?") {
		c.s.t.Fatalf("new connection: %+v", conn)
	}
	resp, err := http.Get(conn.ConnectionURL)
	if err != nil || resp.StatusCode != 200 {
		c.s.t.Fatalf("consent page: %v %v", resp, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "consent") {
		c.s.t.Fatalf("consent page has no consent form: %s", page)
	}
	resp, err = http.PostForm(conn.ConnectionURL, url.Values{"consent": {"allow"}})
	if err != nil {
		c.s.t.Fatal(err)
	}
	done, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(done), "connected") {
		c.s.t.Fatalf("after consent: %d %s", resp.StatusCode, done)
	}
	c.do("GET", "/accounting_connections/"+conn.ID, nil, 200, &conn)
	if conn.Status != "connected" {
		c.s.t.Fatalf("status after consent: %s", conn.Status)
	}
	// The initial sync pulls tax rates and ledger accounts.
	c.waitFor("the initial pull", func() bool {
		var l struct{ Data []any }
		c.do("GET", "/accounting_tax_rates", nil, 200, &l)
		return len(l.Data) > 0
	})
	if c.s.app == nil {
		return conn.ID, "" // booksync runs in another process
	}
	tenants := c.s.app.XeroSandbox.Tenants()
	return conn.ID, tenants[len(tenants)-1]
}

// stallAfter is how long a wait lets booksync go without any progress (no job or synced record
// changing) before it fails. It is not a deadline: a wait on a busy machine may take far longer as
// long as something keeps moving.
const stallAfter = 2 * time.Minute

// waitFor waits until cond holds. It fails when booksync stops making progress for stallAfter,
// never because a slow machine needs longer than an idle one.
func (c *client) waitFor(what string, cond func() bool) {
	c.s.t.Helper()
	t0 := time.Now()
	defer func() { c.s.t.Logf("waited %v for %s", time.Since(t0), what) }()
	last, lastChange := c.s.progress(), time.Now()
	for !cond() {
		if now := c.s.progress(); now != last {
			last, lastChange = now, time.Now()
		} else if time.Since(lastChange) > stallAfter {
			c.s.t.Fatalf("no progress for %v while waiting for %s (waited %v); jobs:\n%s", stallAfter, what, time.Since(t0), c.s.jobs())
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// progress is a summary of booksync's work that changes whenever a job or a synced record does.
// The minute's sweep is left out: it runs whether or not anything moves, and a wait that counted
// it would never stall. For a booksync in another process (s.app is nil) it is the empty string:
// only stallAfter bounds the wait.
func (s *stack) progress() string {
	if s.app == nil {
		return ""
	}
	var b strings.Builder
	for _, q := range []string{
		"SELECT sync_status, count(*), coalesce(max(updated_at), 0), coalesce(sum(attempts), 0) FROM synced_records GROUP BY sync_status ORDER BY sync_status",
		"SELECT state, count(*), coalesce(max(id), 0), coalesce(sum(attempt), 0) FROM river_job WHERE kind <> '" +
			syncer.SweepArgs{}.Kind() + "' GROUP BY state ORDER BY state",
	} {
		rows, err := s.app.Store.Writer().Query(q)
		if err != nil {
			return err.Error()
		}
		for rows.Next() {
			var key string
			var n, max, sum int64
			_ = rows.Scan(&key, &n, &max, &sum)
			fmt.Fprintf(&b, "%s:%d:%d:%d ", key, n, max, sum)
		}
		rows.Close()
	}
	return b.String()
}

type record struct {
	ID               string  `json:"id"`
	ObjectID         string  `json:"object_id"`
	ObjectType       string  `json:"object_type"`
	SyncStatus       string  `json:"sync_status"`
	PlatformObjectID *string `json:"platform_object_id"`
	Errors           *struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Details []struct {
			Message, Field, Fix string
		} `json:"details"`
	} `json:"errors"`
}

// record waits until the object's record is settled (done or error) and returns it.
func (c *client) record(objectType, objectID string) record {
	c.s.t.Helper()
	var rec record
	c.waitFor(objectType+" record of "+objectID, func() bool {
		var l struct{ Data []record }
		c.do("GET", "/accounting_synced_records?object_type="+objectType+"&object_id="+objectID, nil, 200, &l)
		if len(l.Data) == 1 && l.Data[0].SyncStatus != "pending" {
			rec = l.Data[0]
			return true
		}
		return false
	})
	return rec
}

// pushAgain pushes a record again (POST /accounting_synced_records/{id}/push) and waits until it
// has settled.
func (c *client) pushAgain(rec record) record {
	c.s.t.Helper()
	c.do("POST", "/accounting_synced_records/"+rec.ID+"/push", nil, 200, nil)
	return c.record(rec.ObjectType, rec.ObjectID)
}

// idByName returns the id of the entity's pulled tax rate or ledger account with a name.
func (c *client) idByName(list, name string) string {
	var l struct {
		Data []struct{ ID, Name, Code string }
	}
	c.do("GET", list+"?limit=250", nil, 200, &l)
	for _, d := range l.Data {
		if d.Name == name {
			return d.ID
		}
	}
	c.s.t.Fatalf("%s has no %q: %+v", list, name, l.Data)
	return ""
}

func line(product string, qty float64, rate int) map[string]any {
	return map[string]any{"quantity": qty, "product_id": product, "tax_rate_value": rate}
}

func ptr(s string) *string { return &s }

func newAmount(s string) sandbox.Amount { return sandbox.NewAmount(s) }

// String shows a record with its errors, for failure messages.
func (r record) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// allRecords returns every synced record of an object type of the entity, by object id.
func (c *client) allRecords(objectType string) map[string]record {
	out := map[string]record{}
	next := "/accounting_synced_records?object_type=" + objectType + "&limit=250"
	for next != "" {
		var l struct {
			Data []record
			Next *string `json:"next_pagination_token"`
		}
		c.do("GET", next, nil, 200, &l)
		for _, r := range l.Data {
			out[r.ObjectID] = r
		}
		next = ""
		if l.Next != nil {
			next = "/accounting_synced_records?limit=250&pagination_token=" + url.QueryEscape(*l.Next)
		}
	}
	return out
}
