package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/gcpace"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/google/uuid"
)

// The benchmarks below print figures and assert only correctness (every invoice in the books
// exactly once), never wall-clock time. Each runs per accounting system (xero, quickbooks,
// gnucash) and per database:
//
//	export "$(scripts/ensure-postgres | tail -n 1)"   # else the postgres sub-benchmarks skip
//	go test ./internal/app/ -run '^$' -bench . -benchtime 1x -timeout 30m
//
// Each b.N iteration pushes a fixed number of invoices for a fresh entity and connection, so
// -benchtime 1x is the useful setting; more iterations only average more runs.

const (
	benchIssuers = 8 // goroutines issuing invoices over HTTP
	benchPoll    = 10 * time.Millisecond
	benchMaxWait = 3 * time.Minute // a run that has not settled by then is broken, not slow
	// qbThrottleWait is how long booksync's QuickBooks client stops calling after a 429
	// (quickbooks.throttleWait: Intuit sends no Retry-After). It is not scaled by TimeScale.
	qbThrottleWait = 60 * time.Second
)

var (
	pushBacklog    = flag.Int("booksync.push-backlog", 20000, "BenchmarkPushThroughput: invoices in the Xero and QuickBooks backlogs (-short: 5000)")
	backlogProfile = flag.String("booksync.backlog-profile", "", "BenchmarkPushThroughput: write a CPU profile and an execution trace of each backlog drain into this folder")
)

// benchTarget is an accounting system the benchmarks push into: how an entity connects to it, the
// ledger accounts its settings use, how many invoices a measured push sends and, for an API, its
// batch size and rate limit.
type benchTarget struct {
	name        string // sub-benchmark name and booksync platform
	sales, bank string // ledger account names for the entity's settings
	invoices    int    // per measured push
	batch       int    // invoices per API call; 0: no API (GnuCash writes a file)
	perMinute   int    // API calls per minute per organisation or company; 0: no limit
	consent     bool   // connects through the sandbox's consent page (OAuth)
	// meteredItems: the platform meters each item of a batch as a call (QuickBooks), so its
	// metered calls differ from HTTP requests.
	meteredItems bool
}

// ceiling is the most invoices a minute one organisation can take: every call a full batch.
func (t benchTarget) ceiling() float64 {
	if t.meteredItems {
		return float64(t.perMinute) // each invoice is a metered call, however batched
	}
	return float64(t.perMinute * t.batch)
}

var (
	// Xero: 60 calls a minute, 5 at once, 50 invoices a call: 3,000 invoices a minute.
	benchXero = benchTarget{name: "xero", sales: "Sales", bank: "Business Bank Account",
		invoices: 1500, batch: 50, perMinute: 60, consent: true}
	// QuickBooks Online: 500 calls a minute, 10 at once, 30 operations a batch, each metered as
	// a call: 500 invoices a minute at most, however they are batched.
	benchQuickBooks = benchTarget{name: "quickbooks", sales: "Sales of Product Income", bank: "Checking",
		invoices: 1500, batch: 30, perMinute: 500, consent: true, meteredItems: true}
	// GnuCash: a local SQLite book, each invoice written in its own transaction; no limits.
	benchGnuCash = benchTarget{name: "gnucash", sales: "Income:Sales", bank: "Assets:Current Assets:Checking Account",
		invoices: 1000}
)

// BenchmarkPushThroughput measures invoices from the first issue to the last record done, with
// the sandboxes' rate limits off, so what is measured is booksync itself: the API issuing, River,
// the push engine, the connector and the sandbox (or GnuCash book), on one database.
//
//	go test ./internal/app/ -run '^$' -bench PushThroughput -benchtime 1x
//
// invoices/s is N invoices / (first issue -> all N records done), with pushes running while the
// invoices are issued; issue/s is the API's issuing rate alone (POST /receivables + POST
// .../issue from 8 clients), which bounds invoices/s; lag-ms is how long after the last issue the
// last record settled; calls/invoice is HTTP requests to the platform's API per pushed invoice.
// Xero: one PUT per batch of 50 (a first push skips the look-up by number), so with the customer
// and product 1,500 invoices cost at least 34 calls, 0.0227 per invoice. QuickBooks: batch
// requests of at most 30 (a push round of 50 records makes two) plus the look-ups of items and
// tax codes each round; metered-calls/invoice is what QuickBooks meters (each batch item a call,
// each query one), so at least 1. GnuCash has no API: no calls.
//
// backlog-invoices/s is the engine alone: a second fresh entity has a backlog issued while the
// workers are stopped, then the time runs from starting them to the last record done. The backlog
// is -booksync.push-backlog invoices (20,000; -short: 5,000) for Xero and QuickBooks, so that the
// drain lasts seconds, not a fraction of one, and N for GnuCash, whose book takes each invoice in a
// transaction of its own. backlog-cpu_µs/invoice is the CPU this process spent in the drain per
// invoice (engine, API and sandbox alike: the sandbox imitates the platform in the same process and
// keeps its state in the same database); on PostgreSQL, backlog-db_cpu_µs/invoice is what the
// server's backends spent (when the server runs on this machine); and
// backlog-cpu_ceiling_invoices/s is the rate at which the machine's cores would be busy with
// nothing else at that cost (on PostgreSQL only when the server's share was read): a drain near it
// is bound by CPU. -booksync.backlog-profile=DIR writes a CPU profile and an execution
// trace of each backlog drain alone into DIR (files per sub-benchmark; not with -cpuprofile or
// -trace, which record everything; `go tool trace -pprof=net FILE` tells what the drain waits for):
//
//	go test ./internal/app/ -run '^$' -bench 'PushThroughput/xero' -benchtime 1x -args -booksync.backlog-profile=/tmp/drain
func BenchmarkPushThroughput(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	for _, t := range []benchTarget{benchXero, benchQuickBooks, benchGnuCash} {
		b.Run(t.name, func(b *testing.B) {
			forEachBenchDB(b, func(b *testing.B, dsn string) {
				s := newBenchStack(b, dsn, t, app.Config{SandboxLimits: false})
				backlogN := t.invoices
				if t.batch > 0 {
					backlogN = sized("booksync.push-backlog", pushBacklog, 5000)
				}
				live, backlog := s.measure(b, t.invoices, backlogN)
				live.report(b, t, "", 0)
				backlog.report(b, t, "backlog-", 0)
			})
		})
	}
}

// BenchmarkRateLimitedThroughput measures one organisation's throughput with the platform's
// limits enforced by the sandbox and spent by booksync's budgets, both on a minute compressed to
// one second (TimeScale 60). Xero: 60 calls a minute, 5 at once, at most 50 invoices a call, so
// the ceiling is 60 x 50 = 3,000 invoices per minute per organisation. QuickBooks: 500 calls a
// minute, 10 at once, batches of 30, but each batch item is metered as a call, so the ceiling is
// 500 invoices per minute per company (15,000 if a call carrying 30 invoices counted once).
//
//	go test ./internal/app/ -run '^$' -bench RateLimitedThroughput -benchtime 1x
//
// invoices/min is per compressed minute, first issue -> all done (invoices / (elapsed seconds x
// TimeScale / 60)); ceiling-ratio is that over the ceiling above; batch-ceiling-ratio (QuickBooks)
// is that over 15,000; 429s counts the sandbox's Too Many Requests answers (booksync spends its
// own budget first, so it should see few); after a QuickBooks 429 the client waits 60 real
// seconds (not scaled), and ex429-invoices/min is invoices/min with those waits subtracted; the
// other figures are those of
// BenchmarkPushThroughput. The backlog- figures (workers started after all N invoices were issued)
// show how close the engine itself comes to the ceiling when issuing is not the bottleneck.
func BenchmarkRateLimitedThroughput(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	const timeScale = 60
	for _, t := range []benchTarget{benchXero, benchQuickBooks} {
		b.Run(t.name, func(b *testing.B) {
			forEachBenchDB(b, func(b *testing.B, dsn string) {
				s := newBenchStack(b, dsn, t, app.Config{SandboxLimits: true, TimeScale: timeScale})
				live, backlog := s.measure(b, t.invoices, t.invoices)
				live.report(b, t, "", timeScale)
				backlog.report(b, t, "backlog-", timeScale)
			})
		})
	}
}

// forEachBenchDB runs fn on SQLite and, when a test server is configured, on PostgreSQL.
func forEachBenchDB(b *testing.B, fn func(b *testing.B, dsn string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, filepath.Join(b.TempDir(), "booksync.db")) })
	b.Run("postgres", func(b *testing.B) { fn(b, pgtest.NewDatabase(b)) })
}

// benchStack is newStack for benchmarks: the same wiring and secret key, with the sandboxes'
// rate limits and time scale from cfg, GnuCash books in a temporary folder, and counts of the
// sandbox APIs' requests and 429 answers.
type benchStack struct {
	tb       testing.TB
	target   benchTarget
	app      *app.App
	url      string
	hc       *http.Client
	books    string       // GnuCash books folder
	rejected atomic.Int64 // 429s the sandbox APIs answered

	mu        sync.Mutex
	requests  map[string]int          // sandbox API requests by organisation (Xero tenant, QuickBooks realm)
	answers   map[string]int          // sandbox API answers by "METHOD /Path status [limit]", for the log
	throttled []time.Time             // when the sandbox APIs answered 429, since the run began
	timeline  map[string][]apiRequest // each organisation's API requests, when timelines is set
	timelines bool
	scale     float64 // the time scale of the sandbox's limits (1: none)
}

// apiRequest is one request to a sandbox API: when it arrived and when it was answered.
type apiRequest struct {
	start, end time.Time
	path       string
	status     int
}

func newBenchStack(tb testing.TB, dsn string, target benchTarget, cfg app.Config) *benchStack {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &benchStack{tb: tb, target: target, url: "http://" + ln.Addr().String(), books: tb.TempDir(),
		requests: map[string]int{}, answers: map[string]int{}, timeline: map[string][]apiRequest{},
		hc: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchIssuers}}}
	cfg.DB, cfg.PublicURL, cfg.SecretKey, cfg.Workers = dsn, s.url, bytes.Repeat([]byte{1}, 32), 4
	s.scale = max(cfg.TimeScale, 1)
	cfg.GnuCashDir = s.books         // never the working directory, which PostgreSQL runs would use
	cfg.Webhooks.AllowPrivate = true // receivers listen on 127.0.0.1
	// Warnings and errors only: a benchmark that logs every job measures its logging.
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.app, err = app.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	inner := s.app.Handler()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var org, rel string
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/sandbox/xero/api.xro/"):
			org, rel = r.Header.Get("xero-tenant-id"), strings.TrimPrefix(p, "/sandbox/xero/api.xro/2.0")
		case strings.HasPrefix(p, "/sandbox/quickbooks/v3/company/"):
			realm, rest, _ := strings.Cut(strings.TrimPrefix(p, "/sandbox/quickbooks/v3/company/"), "/")
			org, rel = realm, "/"+rest
		default:
			inner.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		arrived := time.Now()
		inner.ServeHTTP(sw, r)
		answered := time.Now()
		key := fmt.Sprintf("%s %s %d %s", r.Method, rel, sw.status, w.Header().Get("X-Rate-Limit-Problem"))
		s.mu.Lock()
		if sw.status == http.StatusTooManyRequests {
			s.rejected.Add(1)
			s.throttled = append(s.throttled, time.Now())
		}
		s.requests[org]++
		s.answers[strings.TrimSpace(key)]++
		if s.timelines {
			s.timeline[org] = append(s.timeline[org], apiRequest{start: arrived, end: answered, path: r.Method + " " + rel, status: sw.status})
		}
		s.mu.Unlock()
	})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	srv.Start()
	if err := s.app.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		srv.Close()
		if err := s.app.Close(10 * time.Second); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// apiCalls returns the HTTP requests the organisation's API received and the calls the platform
// metered (QuickBooks counts each batch item; Xero each request); 0, 0 for GnuCash.
func (s *benchStack) apiCalls(org string) (requests, metered int) {
	s.mu.Lock()
	requests = s.requests[org]
	s.mu.Unlock()
	switch s.target.name {
	case "xero":
		metered = s.app.XeroSandbox.Calls(org)
	case "quickbooks":
		metered = s.app.QuickBooksSandbox.Calls(org)
	}
	return requests, metered
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// benchClient calls the API as one partner for one entity. call is safe for concurrent use and
// returns errors; do fails the benchmark and belongs to the benchmark's goroutine.
type benchClient struct {
	s        *benchStack
	token    string
	entityID string
}

func (c *benchClient) call(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.s.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.entityID != "" {
		req.Header.Set("x-monite-entity-id", c.entityID)
	}
	resp, err := c.s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode %s: %w", method, path, b, err)
		}
	}
	return nil
}

func (c *benchClient) do(method, path string, body any, want int, out any) {
	c.s.tb.Helper()
	if err := c.call(method, path, body, want, out); err != nil {
		c.s.tb.Fatal(err)
	}
}

// benchEntity is a fresh partner and entity, connected to a new sandbox organisation (or GnuCash
// book), with the settings pushes need and one customer and product.
type benchEntity struct {
	*benchClient
	connID string
	org    string // Xero tenant, QuickBooks realm, or the entity id (its GnuCash book's name)
	refs   refs
}

func (s *benchStack) newEntity() *benchEntity {
	s.tb.Helper()
	id, secret := uuid.NewString(), uuid.NewString()
	if err := s.app.Store.CreatePartner(context.Background(), booksync.Partner{ID: id, Name: "bench"}, api.HashSecret(secret)); err != nil {
		s.tb.Fatal(err)
	}
	c := &benchClient{s: s}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}, 200, &tok)
	c.token = tok.AccessToken
	var e struct{ ID string }
	c.do("POST", "/entities", map[string]any{"type": "organization", "email": "books@example.com",
		"address":      map[string]any{"country": "GB", "city": "London", "postal_code": "EC1A 1BB", "line1": "1 High St"},
		"organization": map[string]any{"legal_name": "Bench " + uuid.NewString()[:6]}}, 201, &e)
	c.entityID = e.ID
	ent := &benchEntity{benchClient: c}
	ent.connect()
	sales, bank := ent.idByName("/ledger_accounts", s.target.sales), ent.idByName("/ledger_accounts", s.target.bank)
	c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
		"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
	var cp struct {
		ID   string `json:"id"`
		Addr string `json:"default_billing_address_id"`
	}
	c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": "Bench Customer Ltd", "is_customer": true, "is_vendor": false, "email": "ap@benchcustomer.example",
		"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, &cp)
	var p struct{ ID string }
	c.do("POST", "/products", map[string]any{"name": "Consulting", "type": "service",
		"price": map[string]any{"currency": "GBP", "value": 12345}}, 201, &p)
	ent.refs = refs{cp.ID, cp.Addr, p.ID}
	return ent
}

// connect connects the entity the way a user does (for Xero and QuickBooks the consent page,
// Allow; GnuCash connects at once) and waits for the initial pull.
func (c *benchEntity) connect() {
	s := c.s
	var conn struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		ConnectionURL string `json:"connection_url"`
	}
	c.do("POST", "/accounting_connections", map[string]any{"platform": s.target.name}, 201, &conn)
	c.connID = conn.ID
	if s.target.consent {
		resp, err := s.hc.PostForm(conn.ConnectionURL, url.Values{"consent": {"allow"}})
		if err != nil {
			s.tb.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "connected") {
			s.tb.Fatalf("after consent: %d %s", resp.StatusCode, page)
		}
	} else if conn.Status != "connected" {
		s.tb.Fatalf("%s connection: %+v", s.target.name, conn)
	}
	switch s.target.name {
	case "xero":
		tenants := s.app.XeroSandbox.Tenants()
		c.org = tenants[len(tenants)-1]
	case "quickbooks":
		companies := s.app.QuickBooksSandbox.Companies()
		c.org = companies[len(companies)-1]
	default:
		c.org = c.entityID
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var l struct{ Data []any }
		c.do("GET", "/accounting_tax_rates", nil, 200, &l)
		if len(l.Data) > 0 {
			return
		}
		if time.Now().After(deadline) {
			s.tb.Fatal("timed out waiting for the initial pull")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *benchEntity) idByName(list, name string) string {
	var l struct {
		Data []struct{ ID, Name string }
	}
	c.do("GET", list+"?limit=250", nil, 200, &l)
	for _, d := range l.Data {
		if d.Name == name {
			return d.ID
		}
	}
	c.s.tb.Fatalf("%s has no %q", list, name)
	return ""
}

// issueInvoice creates and issues one invoice of one line at 20% VAT.
func (c *benchEntity) issueInvoice() error {
	var inv struct{ ID string }
	if err := c.call("POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP",
		"counterpart_id": c.refs.counterpart, "counterpart_billing_address_id": c.refs.address,
		"line_items": []any{line(c.refs.product, 1, 2000)}}, 201, &inv); err != nil {
		return err
	}
	return c.call("POST", "/receivables/"+inv.ID+"/issue", nil, 200, nil)
}

// receivableStatuses counts the connection's invoice records by status, straight from the
// database (a reader connection on SQLite, so polling does not queue behind the pushes).
func (c *benchEntity) receivableStatuses(ctx context.Context) (map[string]int, error) {
	rows, err := c.s.app.Store.Reader().QueryContext(ctx, `SELECT sync_status, COUNT(*) FROM synced_records
	WHERE connection_id = $1 AND object_type = $2 GROUP BY sync_status`, c.connID, booksync.ObjectReceivable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// run is the sum of measured pushes.
type run struct {
	runs     int
	invoices int
	elapsed  time.Duration // first issue (backlog: workers started) -> all records done
	issuing  time.Duration // first issue -> last issue answered
	requests int           // HTTP requests the organisation's API received meanwhile
	metered  int           // API calls the platform metered meanwhile
	rejected int64         // requests answered 429
	paused   time.Duration // QuickBooks: of elapsed, spent in the client's 60 s waits after 429s
	cpu      time.Duration // backlog: CPU time of this process (engine, sandbox, API) in the drain
	dbCPU    time.Duration // backlog: CPU time of the PostgreSQL backends in the drain, if readable
	cpuKnown bool          // backlog: cpu was measured, in every run
	allKnown bool          // backlog: every process's CPU was measured (the server's too on PostgreSQL), in every run
}

func (r *run) add(o run) {
	first := r.runs == 0
	r.cpuKnown = o.cpuKnown && (first || r.cpuKnown)
	r.allKnown = o.allKnown && (first || r.allKnown)
	r.runs++
	r.invoices += o.invoices
	r.elapsed += o.elapsed
	r.issuing += o.issuing
	r.requests += o.requests
	r.metered += o.metered
	r.rejected += o.rejected
	r.paused += o.paused
	r.cpu += o.cpu
	r.dbCPU += o.dbCPU
}

// report reports the run's figures with names prefixed by prefix, and with timeScale > 0 the
// figures per compressed minute against the target's ceiling.
func (r run) report(b *testing.B, t benchTarget, prefix string, timeScale float64) {
	perSecond := float64(r.invoices) / r.elapsed.Seconds()
	b.ReportMetric(perSecond, prefix+"invoices/s")
	if t.batch > 0 {
		b.ReportMetric(float64(r.requests)/float64(r.invoices), prefix+"calls/invoice")
	}
	if t.meteredItems {
		b.ReportMetric(float64(r.metered)/float64(r.invoices), prefix+"metered-calls/invoice")
	}
	if r.cpuKnown {
		b.ReportMetric(float64(r.cpu.Microseconds())/float64(r.invoices), prefix+"cpu_µs/invoice")
	}
	if r.cpuKnown && r.allKnown {
		if r.dbCPU > 0 {
			b.ReportMetric(float64(r.dbCPU.Microseconds())/float64(r.invoices), prefix+"db_cpu_µs/invoice")
		}
		b.ReportMetric(float64(runtime.NumCPU())*float64(r.invoices)/(r.cpu+r.dbCPU).Seconds(), prefix+"cpu_ceiling_invoices/s")
	}
	if prefix == "" {
		b.ReportMetric(float64(r.invoices)/r.issuing.Seconds(), "issue/s")
		b.ReportMetric(float64((r.elapsed-r.issuing).Milliseconds())/float64(r.runs), "lag-ms")
	}
	if timeScale > 0 {
		perMin := float64(r.invoices) / (r.elapsed.Seconds() * timeScale / 60)
		b.ReportMetric(perMin, prefix+"invoices/min")
		b.ReportMetric(perMin/t.ceiling(), prefix+"ceiling-ratio")
		if t.meteredItems {
			// Against the ceiling if a call carrying a full batch were metered once.
			b.ReportMetric(perMin/float64(t.perMinute*t.batch), prefix+"batch-ceiling-ratio")
		}
		b.ReportMetric(float64(r.rejected)/float64(r.runs), prefix+"429s")
		if r.paused > 0 {
			// The same with the 60 s waits after 429s subtracted. No ratio: the rolling minute is
			// empty again after a wait, so the run gets a second burst of 500 calls for free.
			perMin := float64(r.invoices) / ((r.elapsed - r.paused).Seconds() * timeScale / 60)
			b.ReportMetric(perMin, prefix+"ex429-invoices/min")
		}
	}
}

// measure pushes invoices twice per b.N iteration, each time for a fresh entity and connection:
// live, n invoices issued over HTTP while the workers run, and backlog, backlogN invoices issued
// while they are stopped (through the application service, which is quicker) and timed from
// their start. It checks each time that the books hold every invoice exactly once. Set-up and the
// backlog run are outside the timer, so ns/op is the live run's issue -> done.
func (s *benchStack) measure(b *testing.B, n, backlogN int) (live, backlog run) {
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		live.add(s.pushOnce(b, n, false, b.StartTimer, b.StopTimer))
		backlog.add(s.pushOnce(b, backlogN, true, func() {}, func() {}))
	}
	return live, backlog
}

func (s *benchStack) pushOnce(b *testing.B, n int, backlog bool, startTimer, stopTimer func()) run {
	ent := s.newEntity()
	requests0, metered0 := s.apiCalls(ent.org)
	rejected0 := s.rejected.Load()
	s.mu.Lock()
	clear(s.answers)
	s.throttled = nil
	s.mu.Unlock()
	ctx := context.Background()
	if backlog {
		if err := s.app.Engine.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
	startTimer()
	start := time.Now()
	if backlog {
		ent.issueDirect(b, n)
	} else {
		ent.issue(b, n)
	}
	issuing := time.Since(start)
	stopProfile := func() {}
	var cpu0 time.Duration
	var db0 pgtest.CPU
	if backlog {
		stopProfile = startBacklogProfile(b)
		cpu0, db0 = pgtest.ProcessCPU(b), s.serverCPU(b)
		start = time.Now()
		if err := s.app.Engine.Start(ctx); err != nil {
			b.Fatal(err)
		}
	}
	ent.waitDone(b, n, start)
	r := run{invoices: n, elapsed: time.Since(start), issuing: issuing}
	if backlog {
		r.cpu, r.cpuKnown = pgtest.ProcessCPU(b)-cpu0, true
		r.allKnown = s.app.Store.Dialect() == store.DialectSQLite // else only with the server's share
		if db1 := s.serverCPU(b); db0 != nil && db1 != nil {
			r.dbCPU, r.allKnown = db1.Since(db0), true
		}
	}
	stopProfile()
	stopTimer()
	requests, metered := s.apiCalls(ent.org)
	r.requests, r.metered, r.rejected = requests-requests0, metered-metered0, s.rejected.Load()-rejected0
	ent.checkBooks(b, n)
	what := "live"
	if backlog {
		what = "backlog"
	}
	end := start.Add(r.elapsed)
	s.mu.Lock()
	var throttled []string
	pausedUntil := start
	for _, t := range s.throttled {
		throttled = append(throttled, "+"+t.Sub(start).Round(time.Millisecond).String())
		if s.target.name != "quickbooks" {
			continue
		}
		// The waits of several 429s overlap; count the time inside the run once.
		from, to := t, t.Add(qbThrottleWait)
		if from.Before(pausedUntil) {
			from = pausedUntil
		}
		if to.After(end) {
			to = end
		}
		if to.After(from) {
			r.paused += to.Sub(from)
		}
		if t.Add(qbThrottleWait).After(pausedUntil) {
			pausedUntil = t.Add(qbThrottleWait)
		}
	}
	b.Logf("%s: %d invoices done in %v (issued in %v); %d requests, %d metered calls; 429s at %v; %s answers: %v", what, n,
		r.elapsed.Round(time.Millisecond), issuing.Round(time.Millisecond), r.requests, r.metered, throttled, s.target.name, s.answers)
	s.mu.Unlock()
	return r
}

// issue issues n invoices from benchIssuers goroutines.
func (c *benchEntity) issue(b *testing.B, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchIssuers)
	for range benchIssuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := c.issueInvoice(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// waitDone polls until all n invoice records are done.
func (c *benchEntity) waitDone(b *testing.B, n int, start time.Time) {
	c.waitDoneWithin(b, n, start, benchMaxWait)
}

// waitDoneWithin is waitDone for a run that may take up to maxWait. Each poll asks only whether a
// record is still unsettled, which the pending records' index answers at once, and the records
// are counted by status only when none is: counting tens of thousands of records every 10 ms
// would take a good part of the CPU the engine is measured on.
func (c *benchEntity) waitDoneWithin(b *testing.B, n int, start time.Time, maxWait time.Duration) {
	for {
		unsettled, err := c.unsettled(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if unsettled == "" || unsettled == booksync.SyncStatusError || time.Since(start) > maxWait {
			st, err := c.receivableStatuses(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if st[booksync.SyncStatusDone] == n {
				return
			}
			if st[booksync.SyncStatusError] > 0 || time.Since(start) > maxWait {
				b.Fatalf("after %v: invoice records by status %v; jobs:\n%s", time.Since(start), st, c.s.jobs())
			}
		}
		time.Sleep(benchPoll)
	}
}

// unsettled returns the status of one of the connection's invoice records that is pending or in
// error, preferring error, or "" when there is none.
func (c *benchEntity) unsettled(ctx context.Context) (string, error) {
	for _, st := range []string{booksync.SyncStatusError, booksync.SyncStatusPending} {
		var one int
		err := c.s.app.Store.Reader().QueryRowContext(ctx, `SELECT 1 FROM synced_records
		WHERE connection_id = $1 AND sync_status = $2 AND object_type = $3 LIMIT 1`, c.connID, st, booksync.ObjectReceivable).Scan(&one)
		switch {
		case err == nil:
			return st, nil
		case !errors.Is(err, sql.ErrNoRows):
			return "", err
		}
	}
	return "", nil
}

// serverCPU reads the CPU time of the PostgreSQL backends serving the stack's database (see
// pgtest.ReadBackendCPU), or nil on SQLite, which runs in this process.
func (s *benchStack) serverCPU(b *testing.B) pgtest.CPU {
	b.Helper()
	if s.app.Store.Dialect() == store.DialectSQLite {
		return nil
	}
	return pgtest.ReadBackendCPU(b, s.app.Store.Writer())
}

// startBacklogProfile starts a CPU profile and an execution trace of the benchmark's backlog drain
// when -booksync.backlog-profile names a folder, and returns the function that stops them.
func startBacklogProfile(b *testing.B) (stop func()) {
	if *backlogProfile == "" {
		return func() {}
	}
	if err := os.MkdirAll(*backlogProfile, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(*backlogProfile, strings.ReplaceAll(b.Name(), "/", "_")+".cpu")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("backlog profile: %v (not with -cpuprofile)", err)
	}
	tracePath := strings.TrimSuffix(path, ".cpu") + ".trace"
	tf, err := os.Create(tracePath)
	if err == nil {
		if err = trace.Start(tf); err != nil {
			tf.Close()
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		f.Close()
		b.Fatalf("backlog trace: %v (not with -trace)", err)
	}
	return func() {
		trace.Stop()
		pprof.StopCPUProfile()
		for _, f := range []*os.File{f, tf} {
			if err := f.Close(); err != nil {
				b.Error(err)
			}
		}
		b.Logf("CPU profile and execution trace of the backlog drain: %s, %s", path, tracePath)
	}
}

// checkBooks fails the benchmark unless the organisation holds exactly n invoices, each once:
// a fast run that lost or doubled invoices measured nothing.
func (c *benchEntity) checkBooks(b *testing.B, n int) {
	numbers := map[string]bool{}
	var count int
	switch c.s.target.name {
	case "xero":
		books := c.s.app.XeroSandbox.Invoices(c.org)
		for _, inv := range books {
			numbers[inv.InvoiceNumber] = true
		}
		count = len(books)
	case "quickbooks":
		books := c.s.app.QuickBooksSandbox.Invoices(c.org)
		for _, inv := range books {
			numbers[inv.DocNumber] = true
		}
		count = len(books)
	case "gnucash":
		count = c.gnucashInvoices(b, numbers)
	}
	if count != n || len(numbers) != n {
		b.Fatalf("the books hold %d invoices with %d distinct numbers; %d were issued", count, len(numbers), n)
	}
}

// gnucashInvoices reads the entity's GnuCash book read-only and returns how many posted customer
// invoices it holds (those the GnuCash connector reads back), adding their numbers to numbers.
func (c *benchEntity) gnucashInvoices(b *testing.B, numbers map[string]bool) int {
	path := filepath.Join(c.s.books, c.org+".gnucash")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// owner_type 2 is a customer; an invoice without post_txn is a draft, not booked.
	rows, err := db.Query(`SELECT id FROM invoices WHERE owner_type = 2 AND post_txn IS NOT NULL`)
	if err != nil {
		b.Fatalf("read %s: %v", path, err)
	}
	defer rows.Close()
	count := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		numbers[id] = true
		count++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return count
}

// jobs describes River's unfinished jobs, for failure messages.
func (s *benchStack) jobs() string {
	rows, err := s.app.Store.Writer().Query("SELECT id, kind, state, attempt, errors FROM river_job WHERE state <> 'completed' ORDER BY id")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var id, attempt int64
		var kind, state string
		var errs []byte
		_ = rows.Scan(&id, &kind, &state, &attempt, &errs)
		fmt.Fprintf(&sb, "%d %s %s attempt=%d %.300s\n", id, kind, state, attempt, errs)
	}
	return sb.String()
}
