package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/gcpace"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/store/storeseed"
)

// benchDatabases names the databases a benchmark runs on: SQLite always, PostgreSQL when
// BOOKSYNC_TEST_POSTGRES_URL is set (make bench sets it).
func benchDatabases(b *testing.B) map[string]func(b *testing.B) string {
	dbs := map[string]func(b *testing.B) string{
		"sqlite": func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") },
	}
	if os.Getenv("BOOKSYNC_TEST_POSTGRES_URL") != "" {
		dbs["postgres"] = func(b *testing.B) string { return pgtest.NewDatabase(b) }
	}
	return dbs
}

// BenchmarkCreateAndIssue measures invoices created and issued per second over HTTP, with 8
// clients at once: each iteration is POST /receivables then POST /receivables/{id}/issue. The
// machine's own pace is measured in the same run: raw_inserts/s is how many rows as large as an
// invoice one connection inserts into the same database, one transaction each, through a prepared
// statement; x_raw is invoices/s over that, the figure to compare between runs on a shared
// machine. cpu_µs/invoice is the process's CPU time (clients and server) per invoice; on
// PostgreSQL, db_cpu_µs/invoice is the CPU time of the server's backends per invoice (when the
// server runs on this machine). cpu_ceiling_invoices/s is the rate at which the machine's cores
// would be busy with nothing else at that CPU cost per invoice (both processes; on PostgreSQL only
// when the server's share was read): invoices/s near it means the benchmark is bound by CPU, and
// a target beyond it needs each invoice to cost less. On SQLite,
// wal_pages/invoice is how many pages the writer wrote to the WAL per invoice, each a 4 KiB write
// (and a checksum) that the checkpointer later copies into the database file: what the schema and
// the group commit make each invoice cost in I/O. writer_busy is the share of the run the one
// writer connection spent in transactions (near 1, the writer bounds the rate, whatever the CPU
// ceiling), commit_µs/invoice the part of that spent committing per invoice, and calls/commit how
// many write transactions of booksync each SQLite transaction held (see store.WriterStats).
func BenchmarkCreateAndIssue(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	for name, dsn := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			db := dsn(b)
			h := newHarness(b, db)
			e := h.partner().newEntity("Bench Ltd", "GB")
			f := e.fixture("GBP", 12345)
			body := fmt.Sprintf(`{"type":"invoice","currency":"GBP","counterpart_id":%q,"counterpart_billing_address_id":%q,"line_items":[{"quantity":2.5,"product_id":%q,"tax_rate_value":2000},{"quantity":1,"tax_rate_value":500,"product":{"name":"Travel","price":{"currency":"GBP","value":999}}}]}`, f.counterpartID, f.addressID, f.productID)
			sample := e.rawQuiet("POST", "/receivables", body)
			if sample.status != 201 {
				b.Fatalf("create: %d %s", sample.status, sample.body)
			}
			raw := rawInsertRate(b, h, sample.body)
			b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 concurrent clients
			pages0 := walPagesWritten(b, h)
			db0 := serverCPU(b, h)
			w0, sqlite := h.store.WriterStats()
			b.ResetTimer()
			start, cpu0 := time.Now(), pgtest.ProcessCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := e.rawQuiet("POST", "/receivables", body)
					var created struct {
						ID string `json:"id"` // decoded alone: the clients' CPU counts in cpu_µs/invoice
					}
					if err := json.Unmarshal(r.body, &created); r.status != 201 || err != nil {
						b.Errorf("create: %d %s", r.status, r.body)
						return
					}
					if r := e.rawQuiet("POST", "/receivables/"+created.ID+"/issue", ""); r.status != 200 {
						b.Errorf("issue: %d %s", r.status, r.body)
						return
					}
				}
			})
			elapsed := time.Since(start)
			rate := float64(b.N) / elapsed.Seconds()
			cpu := pgtest.ProcessCPU(b) - cpu0
			if sqlite {
				// The share of the run that the one writer was busy: near 1, it bounds the rate.
				w1, _ := h.store.WriterStats()
				b.ReportMetric((w1.Busy-w0.Busy).Seconds()/elapsed.Seconds(), "writer_busy")
				b.ReportMetric(float64((w1.Committing-w0.Committing).Microseconds())/float64(b.N), "commit_µs/invoice")
				if n := w1.Transactions - w0.Transactions; n > 0 {
					b.ReportMetric(float64(w1.Calls-w0.Calls)/float64(n), "calls/commit")
				}
			}
			b.ReportMetric(rate, "invoices/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu_µs/invoice")
			// On PostgreSQL the ceiling needs the server's share; without it, no ceiling.
			known := h.store.Dialect() == store.DialectSQLite
			if db1 := serverCPU(b, h); db0 != nil && db1 != nil {
				dbCPU := db1.Since(db0)
				b.ReportMetric(float64(dbCPU.Microseconds())/float64(b.N), "db_cpu_µs/invoice")
				cpu, known = cpu+dbCPU, true
			}
			if known {
				b.ReportMetric(float64(runtime.NumCPU())*float64(b.N)/cpu.Seconds(), "cpu_ceiling_invoices/s")
			}
			b.ReportMetric(raw, "raw_inserts/s")
			b.ReportMetric(rate/raw, "x_raw")
			if pages0 >= 0 {
				b.ReportMetric(float64(walPagesWritten(b, h)-pages0)/float64(b.N), "wal_pages/invoice")
			}
		})
	}
}

// serverCPU reads the CPU time of the PostgreSQL backends serving the harness's database (see
// pgtest.ReadBackendCPU), or nil on SQLite, which runs in the benchmark's own process.
func serverCPU(b *testing.B, h *harness) pgtest.CPU {
	b.Helper()
	if h.store.Dialect() == store.DialectSQLite {
		return nil
	}
	return pgtest.ReadBackendCPU(b, h.store.Writer())
}

// walPagesWritten returns how many pages the SQLite writer has written to the WAL since the store
// opened (sqlite3_db_status's SQLITE_DBSTATUS_CACHE_WRITE of the one writer connection, which River
// shares), or -1 on PostgreSQL. Each page is one WAL frame: a 24-byte header and the page.
func walPagesWritten(b *testing.B, h *harness) int {
	b.Helper()
	if h.store.Dialect() != store.DialectSQLite {
		return -1
	}
	conn, err := h.store.Writer().Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var n int
	err = conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if !ok {
			return fmt.Errorf("the writer's connection %T has no status counters", dc)
		}
		n, _, err = st.Status(sqlite.DBStatusCacheWrite, false)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// rawInsertRate returns how many rows holding row (an invoice's JSON) one connection inserts per
// second into a table of their own in the harness's database, one transaction each, through one
// prepared statement: the pace of the database on this machine, now.
func rawInsertRate(b *testing.B, h *harness, row []byte) float64 {
	b.Helper()
	ctx := context.Background()
	conn, err := h.store.Writer().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE bench_raw_inserts (id TEXT PRIMARY KEY, entity_id TEXT NOT NULL,
	created_at BIGINT NOT NULL, data TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	stmt, err := conn.PrepareContext(ctx, "INSERT INTO bench_raw_inserts (id, entity_id, created_at, data) VALUES ($1, $2, $3, $4)")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	const rows = 2_000
	entityID, data := uuid.NewString(), string(row)
	start := time.Now()
	for i := range rows {
		if _, err := stmt.ExecContext(ctx, uuid.NewString(), entityID, int64(i), data); err != nil {
			b.Fatal(err)
		}
	}
	return rows / time.Since(start).Seconds()
}

// BenchmarkReceivablesDeepPage compares GET /receivables?limit=100 for the first page and for a
// page 90,000 invoices deep, among 100,000 invoices of one entity. Keyset paging makes them cost
// alike; the ratio deep/first is the figure to watch.
func BenchmarkReceivablesDeepPage(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	for name, dsn := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, dsn(b))
			e := h.partner().newEntity("Deep Ltd", "GB")
			f := e.fixture("GBP", 100)
			seedReceivables(b, h, e.entityID, f, 100_000)

			// Walk to 90,000 rows deep with the largest pages, to get a real deep token.
			next := "/receivables?limit=250"
			for seen := 0; seen < 90_000; seen += 250 {
				r := e.rawQuiet("GET", next, "")
				tok := jsonField(r.body, "next_pagination_token")
				next = "/receivables?limit=100&pagination_token=" + url.QueryEscape(tok)
			}
			first := "/receivables?limit=100"
			measure := func(path string) time.Duration {
				const rounds = 200
				t0 := time.Now()
				for i := 0; i < rounds; i++ {
					if r := e.rawQuiet("GET", path, ""); r.status != 200 || !strings.Contains(string(r.body), "INV-") {
						b.Fatalf("GET %s: %d", path, r.status)
					}
				}
				return time.Since(t0) / rounds
			}
			b.ResetTimer()
			var firstT, deepT time.Duration
			for i := 0; i < b.N; i++ {
				firstT += measure(first)
				deepT += measure(next)
			}
			b.ReportMetric(float64(firstT.Microseconds())/float64(b.N), "µs/first-page")
			b.ReportMetric(float64(deepT.Microseconds())/float64(b.N), "µs/deep-page")
			b.ReportMetric(float64(deepT)/float64(firstT), "deep/first")
		})
	}
}

// rawQuiet sends a request without the contract check, for benchmarks (which measure the server,
// not the validator) and for use from several goroutines.
func (s *session) rawQuiet(method, path, body string) response {
	req, err := http.NewRequest(method, s.h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return response{status: -1, body: []byte(err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	if s.entityID != "" {
		req.Header.Set("x-monite-entity-id", s.entityID)
	}
	resp, err := s.h.client.Do(req)
	if err != nil {
		return response{status: -1, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: b, header: resp.Header}
}

// jsonField returns a top-level string field of a JSON object, or "".
func jsonField(body []byte, name string) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m[name].(string)
	return s
}

// seedReceivables stores n issued invoices for the entity directly through the store (creating
// 100,000 over HTTP would measure the setup, not the list), each a copy of one real invoice made
// through the API, with its own id, number and creation time.
func seedReceivables(b *testing.B, h *harness, entityID string, f fixture, n int) {
	b.Helper()
	ctx := context.Background()
	tmpl, err := h.store.Receivable(ctx, entityID, createOne(b, h, entityID, f))
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-time.Duration(n) * time.Second).UTC()
	for i := 0; i < n; i++ {
		r := *tmpl
		r.ID = uuid.NewString()
		r.CreatedAt = base.Add(time.Duration(i) * time.Second)
		r.UpdatedAt = r.CreatedAt
		doc := fmt.Sprintf("INV-%06d", i+1)
		r.DocumentID = &doc
		r.Status = "issued"
		if err := h.store.CreateReceivable(ctx, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func createOne(b *testing.B, h *harness, entityID string, f fixture) string {
	r := h.lastPartner.forEntity(entityID).rawQuiet("POST", "/receivables", fmt.Sprintf(`{"type":"invoice","currency":"GBP","counterpart_id":%q,"counterpart_billing_address_id":%q,"line_items":[{"quantity":1,"product_id":%q,"tax_rate_value":2000}]}`, f.counterpartID, f.addressID, f.productID))
	if r.status != 201 {
		b.Fatalf("create: %d %s", r.status, r.body)
	}
	return jsonField(r.body, "id")
}

// BenchmarkSyncedRecordLookup measures GET /accounting_synced_records?object_type=receivable
// &object_id= over HTTP among 1,000,000 records (storeseed.SyncedRecords: nine in ten of one
// entity, the rest of nineteen others): the p50 and p99 of 2,000 lookups of random objects of the
// large entity, each beside the same lookup asked of the store directly, so that the API's own
// share (authentication, the entity check, parsing, JSON) shows as http-store. Then the first page
// of the entity's receivables' records against a page nine tenths deep, over HTTP.
func BenchmarkSyncedRecordLookup(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	for name, dsn := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			h := newHarness(b, dsn(b))
			p := h.partner()
			n := storeseed.LookupSize()
			start := time.Now()
			seed, err := storeseed.SyncedRecords(ctx, h.store, p.clientID, n)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: seeded %d synced records in %v", name, n, time.Since(start).Round(time.Millisecond))
			e := p.forEntity(seed.EntityID)

			b.Run("object_id", func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				const rounds = 2_000
				httpTimes := make([]time.Duration, 0, rounds)
				storeTimes := make([]time.Duration, 0, rounds)
				for b.Loop() {
					httpTimes, storeTimes = httpTimes[:0], storeTimes[:0]
					for range rounds {
						id := seed.Sample[rng.IntN(len(seed.Sample))]
						t0 := time.Now()
						r := e.rawQuiet("GET", "/accounting_synced_records?object_type=receivable&object_id="+id, "")
						httpTimes = append(httpTimes, time.Since(t0))
						if r.status != 200 || !strings.Contains(string(r.body), id) {
							b.Fatalf("lookup of %s: %d %s", id, r.status, r.body)
						}
						t0 = time.Now()
						page, err := h.store.SyncedRecords(ctx, seed.EntityID, booksync.ListQuery{Limit: 100, Filters: []booksync.Filter{
							{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}},
							{Field: "object_id", Op: booksync.OpEq, Values: []any{id}}}})
						storeTimes = append(storeTimes, time.Since(t0))
						if err != nil || len(page.Items) != 1 {
							b.Fatalf("store lookup of %s: %v, %d records", id, err, len(page.Items))
						}
					}
				}
				slices.Sort(httpTimes)
				slices.Sort(storeTimes)
				b.ReportMetric(ms(httpTimes[len(httpTimes)/2]), "p50_ms")
				b.ReportMetric(ms(httpTimes[len(httpTimes)*99/100]), "p99_ms")
				b.ReportMetric(ms(storeTimes[len(storeTimes)/2]), "store-p50_ms")
				b.ReportMetric(ms(storeTimes[len(storeTimes)*99/100]), "store-p99_ms")
			})

			b.Run("deep_page", func(b *testing.B) {
				deepAt := seed.Receivables * 9 / 10
				var key int64
				var id string
				err := h.store.Reader().QueryRowContext(ctx, `SELECT created_at, id FROM synced_records WHERE entity_id = $1
				AND object_type = $2 ORDER BY created_at, id LIMIT 1 OFFSET $3`, seed.EntityID, booksync.ObjectReceivable, deepAt).Scan(&key, &id)
				if err != nil {
					b.Fatal(err)
				}
				first := "/accounting_synced_records?object_type=receivable&limit=100"
				deep := "/accounting_synced_records?limit=100&pagination_token=" + url.QueryEscape(api.PageToken("object_type=receivable", key, id))
				// Pairs of a first and a deep page, and the medians of each: one slow page on a
				// shared machine moves a median little.
				const rounds = 200
				var firstTimes, deepTimes []time.Duration
				for b.Loop() {
					firstTimes, deepTimes = firstTimes[:0], deepTimes[:0]
					for range rounds {
						for _, path := range []string{first, deep} {
							t0 := time.Now()
							r := e.rawQuiet("GET", path, "")
							took := time.Since(t0)
							if r.status != 200 || jsonField(r.body, "next_pagination_token") == "" {
								b.Fatalf("GET %s: %d %.300s", path, r.status, r.body)
							}
							if path == first {
								firstTimes = append(firstTimes, took)
							} else {
								deepTimes = append(deepTimes, took)
							}
						}
					}
				}
				slices.Sort(firstTimes)
				slices.Sort(deepTimes)
				first50, deep50 := firstTimes[len(firstTimes)/2], deepTimes[len(deepTimes)/2]
				b.ReportMetric(float64(deepAt), "deep-rows")
				b.ReportMetric(float64(first50.Microseconds()), "page1-p50-µs")
				b.ReportMetric(float64(deep50.Microseconds()), "deep-p50-µs")
				b.ReportMetric(float64(deep50)/float64(first50), "deep/first")
			})
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
