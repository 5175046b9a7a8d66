package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/pgtest"
	"github.com/google/uuid"
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
// clients at once: each iteration is POST /receivables then POST /receivables/{id}/issue.
func BenchmarkCreateAndIssue(b *testing.B) {
	for name, dsn := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, dsn(b))
			e := h.partner().newEntity("Bench Ltd", "GB")
			f := e.fixture("GBP", 12345)
			body := fmt.Sprintf(`{"type":"invoice","currency":"GBP","counterpart_id":%q,"counterpart_billing_address_id":%q,"line_items":[{"quantity":2.5,"product_id":%q,"tax_rate_value":2000},{"quantity":1,"tax_rate_value":500,"product":{"name":"Travel","price":{"currency":"GBP","value":999}}}]}`, f.counterpartID, f.addressID, f.productID)
			b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 concurrent clients
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := e.rawQuiet("POST", "/receivables", body)
					if r.status != 201 {
						b.Errorf("create: %d %s", r.status, r.body)
						return
					}
					id := jsonField(r.body, "id")
					if r := e.rawQuiet("POST", "/receivables/"+id+"/issue", ""); r.status != 200 {
						b.Errorf("issue: %d %s", r.status, r.body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invoices/s")
		})
	}
}

// BenchmarkReceivablesDeepPage compares GET /receivables?limit=100 for the first page and for a
// page 90,000 invoices deep, among 100,000 invoices of one entity. Keyset paging makes them cost
// alike; the ratio deep/first is the figure to watch.
func BenchmarkReceivablesDeepPage(b *testing.B) {
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
