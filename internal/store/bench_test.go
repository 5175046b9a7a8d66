package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/store/storeseed"
)

// benchRows is how many invoices the benchmark's entity has.
const benchRows = 100_000

// BenchmarkReceivablesPage measures keyset paging: the first page of an entity's 100,000 invoices
// against a page that starts after a cursor 90,000 rows deep. With (entity_id, sort column, id)
// indexes both should cost about the same; OFFSET paging would make the deep one scan 90,000 rows.
// Each page is read decoded (page1-µs, deep-µs) and as the JSON GET /receivables serves
// (json-page1-µs, json-deep-µs), which skips decoding the invoices.
// It runs on SQLite, and on PostgreSQL when BOOKSYNC_TEST_POSTGRES_URL is set.
func BenchmarkReceivablesPage(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		s, err := store.OpenAndMigrate(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchPages(b, s)
	})
	b.Run("Postgres", func(b *testing.B) {
		if os.Getenv(pgtest.EnvURL) == "" {
			b.Skip("BOOKSYNC_TEST_POSTGRES_URL is unset")
		}
		s, err := store.OpenAndMigrate(context.Background(), pgtest.NewDatabase(b), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchPages(b, s)
	})
}

func benchPages(b *testing.B, s *store.Store) {
	ctx := context.Background()
	entityID := seedReceivables(b, s)
	// The rows are as the store writes them, so the JSON list serves them as stored.
	var stale int
	if err := s.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM receivables WHERE entity_id = $1 AND data_version <> $2",
		entityID, store.ReceivableDataVersion).Scan(&stale); err != nil || stale != 0 {
		b.Fatalf("%d rows of another data version (%v)", stale, err)
	}
	for _, c := range []struct {
		sort  string
		order booksync.Order
	}{
		{"created_at", booksync.OrderAsc},
		{"total_amount", booksync.OrderDesc},
	} {
		b.Run(c.sort+"_"+string(c.order), func(b *testing.B) {
			// The cursor of the row 90,000 deep in this order, as a previous page would have given it.
			dir := "ASC"
			if c.order == booksync.OrderDesc {
				dir = "DESC"
			}
			var key int64
			var id string
			err := s.Reader().QueryRowContext(ctx, fmt.Sprintf(
				"SELECT %s, id FROM receivables WHERE entity_id = $1 ORDER BY %s %s, id %s LIMIT 1 OFFSET 90000",
				c.sort, c.sort, dir, dir), entityID).Scan(&key, &id)
			if err != nil {
				b.Fatal(err)
			}
			first := booksync.ListQuery{Sort: c.sort, Order: c.order, Limit: 100}
			deep := first
			deep.After = &booksync.Cursor{Key: key, ID: id}

			// page reads one page decoded (Receivables) and one as the API's JSON (ReceivablesJSON,
			// what GET /receivables serves), and returns how long each took.
			page := func(q booksync.ListQuery) (decoded, raw time.Duration) {
				start := time.Now()
				p, err := s.Receivables(ctx, entityID, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) != 100 || p.Next == nil {
					b.Fatalf("page of %d items, next %v", len(p.Items), p.Next)
				}
				mid := time.Now()
				j, err := s.ReceivablesJSON(ctx, entityID, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(j.Items) != 100 || j.Next == nil {
					b.Fatalf("JSON page of %d items, next %v", len(j.Items), j.Next)
				}
				return mid.Sub(start), time.Since(mid)
			}
			var firstTime, deepTime, firstJSON, deepJSON time.Duration
			for b.Loop() {
				d, j := page(first)
				firstTime, firstJSON = firstTime+d, firstJSON+j
				d, j = page(deep)
				deepTime, deepJSON = deepTime+d, deepJSON+j
			}
			n := float64(b.N)
			b.ReportMetric(float64(firstTime.Microseconds())/n, "page1-µs")
			b.ReportMetric(float64(deepTime.Microseconds())/n, "deep-µs")
			b.ReportMetric(float64(firstJSON.Microseconds())/n, "json-page1-µs")
			b.ReportMetric(float64(deepJSON.Microseconds())/n, "json-deep-µs")
		})
	}
}

// seedReceivables loads benchRows invoices of one new entity in bulk (storeseed.Insert) and
// returns the entity id.
func seedReceivables(b *testing.B, s *store.Store) string {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	partnerID, entityID := uuid.NewString(), uuid.NewString()
	if err := s.CreatePartner(ctx, booksync.Partner{ID: partnerID}, []byte("h")); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateEntity(ctx, &booksync.Entity{ID: entityID, PartnerID: partnerID}, booksync.Settings{}); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	columns := []string{"id", "entity_id", "type", "status", "counterpart_id", "counterpart_name", "document_id",
		"currency", "total_amount", "discounted_subtotal", "issue_date", "created_at", "updated_at", "version", "data", "lines",
		"data_version", "api_lines"}
	err := storeseed.Insert(ctx, s, "receivables", columns, benchRows, func(i int, vals []any) error {
		r := benchReceivable(entityID, base.Add(time.Duration(i)*time.Second), i)
		documentID, issueDate, data, lines, dataVersion, apiLines, err := store.ReceivableRow(r)
		if err != nil {
			return err
		}
		copy(vals, []any{r.ID, r.EntityID, r.Type, r.Status, r.CounterpartID, r.CounterpartName, documentID,
			r.Currency, r.TotalAmount, r.DiscountedSubtotal, issueDate, r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro(),
			int64(1), data, lines, dataVersion, apiLines})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d receivables in %v", s.Dialect(), benchRows, time.Since(start).Round(time.Millisecond))
	return entityID
}

func benchReceivable(entityID string, created time.Time, i int) *booksync.Receivable {
	doc := fmt.Sprintf("INV-%05d", i+1)
	issued := created.Add(time.Hour)
	return &booksync.Receivable{
		ID: uuid.NewString(), EntityID: entityID, CreatedAt: created, UpdatedAt: created,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusIssued, DocumentID: &doc, IssueDate: &issued,
		Currency: "EUR", CounterpartID: uuid.NewString(), CounterpartName: fmt.Sprintf("Customer %d", i%500),
		LineItems: []booksync.LineItem{{Product: booksync.LineProduct{Name: "Widget",
			Price: booksync.Price{Currency: "EUR", Value: int64(i % 1000)}}, TotalBeforeVAT: int64(i % 1000)}},
		// Amounts repeat, so the total_amount order has long runs of ties that only the id breaks.
		Subtotal: int64(i % 1000), DiscountedSubtotal: int64(i % 1000), TotalAmount: int64(i%1000) * 119 / 100,
	}
}

// BenchmarkSyncedRecordLookup measures what GET /accounting_synced_records?object_type=receivable
// &object_id= costs the store among 1,000,000 records (storeseed.SyncedRecords: nine in ten of one
// entity, the rest of nineteen others): the p50 and p99 of 2,000 lookups of random objects of the
// large entity, and the first page of its receivables' records against a page nine tenths deep.
// It runs on SQLite, and on PostgreSQL when BOOKSYNC_TEST_POSTGRES_URL is set. The API's own
// benchmark of the same lookups over HTTP is internal/api's BenchmarkSyncedRecordLookup.
func BenchmarkSyncedRecordLookup(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		s, err := store.OpenAndMigrate(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchLookups(b, s)
	})
	b.Run("Postgres", func(b *testing.B) {
		if os.Getenv(pgtest.EnvURL) == "" {
			b.Skip("BOOKSYNC_TEST_POSTGRES_URL is unset")
		}
		s, err := store.OpenAndMigrate(context.Background(), pgtest.NewDatabase(b), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchLookups(b, s)
	})
}

func benchLookups(b *testing.B, s *store.Store) {
	ctx := context.Background()
	n := storeseed.LookupSize()
	start := time.Now()
	partnerID := uuid.NewString()
	if err := s.CreatePartner(ctx, booksync.Partner{ID: partnerID}, []byte("h")); err != nil {
		b.Fatal(err)
	}
	seed, err := storeseed.SyncedRecords(ctx, s, partnerID, n)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d synced records in %v", s.Dialect(), n, time.Since(start).Round(time.Millisecond))
	b.Run("object_id", func(b *testing.B) {
		// The lookups run on one thread, whose waits for a CPU (and those of PostgreSQL's server
		// processes for this database) are taken off each lookup's time in the on-CPU figures: on a
		// shared machine with more runnable threads than cores, a tail made of queueing for a CPU
		// says nothing of the lookup.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		rng := rand.New(rand.NewPCG(1, 2))
		lookup := func(id string) time.Duration {
			q := booksync.ListQuery{Limit: 100, Filters: []booksync.Filter{
				{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}},
				{Field: "object_id", Op: booksync.OpEq, Values: []any{id}}}}
			start := time.Now()
			page, err := s.SyncedRecords(ctx, seed.EntityID, q)
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].ObjectID != id {
				b.Fatalf("lookup of %s: %d records", id, len(page.Items))
			}
			return took
		}
		lookup(seed.Sample[0])
		waits := newCPUWaits(b, s)
		const rounds = 2_000
		times := make([]time.Duration, 0, rounds)
		onCPU := make([]time.Duration, 0, rounds)
		for b.Loop() {
			times, onCPU = times[:0], onCPU[:0]
			for range rounds {
				w0 := waits.total()
				took := lookup(seed.Sample[rng.IntN(len(seed.Sample))])
				times = append(times, took)
				onCPU = append(onCPU, took-(waits.total()-w0))
			}
		}
		slices.Sort(times)
		slices.Sort(onCPU)
		b.ReportMetric(ms(times[len(times)/2]), "p50_ms")
		b.ReportMetric(ms(times[len(times)*99/100]), "p99_ms")
		b.ReportMetric(ms(onCPU[len(onCPU)*99/100]), "p99-oncpu_ms")
		b.ReportMetric(loadAverage(), "load")
	})
	b.Run("deep_page", func(b *testing.B) {
		deepAt := seed.Receivables * 9 / 10
		var key int64
		var id string
		err := s.Reader().QueryRowContext(ctx, `SELECT created_at, id FROM synced_records WHERE entity_id = $1 AND object_type = $2
		ORDER BY created_at, id LIMIT 1 OFFSET $3`, seed.EntityID, booksync.ObjectReceivable, deepAt).Scan(&key, &id)
		if err != nil {
			b.Fatal(err)
		}
		filter := []booksync.Filter{{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}}}
		first := booksync.ListQuery{Limit: 100, Filters: filter}
		deep := booksync.ListQuery{Limit: 100, Filters: filter, After: &booksync.Cursor{Key: key, ID: id}}
		// Pairs of a first and a deep page, and the medians of each: one slow page on a shared
		// machine moves a median little.
		const rounds = 200
		var firstTimes, deepTimes []time.Duration
		for b.Loop() {
			firstTimes, deepTimes = firstTimes[:0], deepTimes[:0]
			for range rounds {
				for _, q := range []booksync.ListQuery{first, deep} {
					start := time.Now()
					page, err := s.SyncedRecords(ctx, seed.EntityID, q)
					took := time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Items) != 100 {
						b.Fatalf("page of %d records", len(page.Items))
					}
					if q.After == nil {
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
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuWaits reads how long the benchmark's threads, and on PostgreSQL the server processes of its
// database, have waited in Linux's run queue for a CPU (run_delay in /proc/<pid>/schedstat). On
// SQLite the lookups run on the locked thread alone; on PostgreSQL the wait of every thread of the
// process counts, as the runtime's network poller wakes the lookup from another thread, so the
// figure taken off may exceed the lookup's own wait when two threads wait at once.
type cpuWaits struct {
	dialect  string
	backends []string
}

// newCPUWaits watches the calling thread (which the caller locks) and the server processes that
// serve s's connections now; where /proc is missing, total stays 0.
func newCPUWaits(b *testing.B, s *store.Store) *cpuWaits {
	w := &cpuWaits{dialect: s.Dialect()}
	if s.Dialect() == store.DialectPostgres {
		rows, err := s.Reader().Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			w.backends = append(w.backends, fmt.Sprintf("/proc/%d/schedstat", pid))
		}
	}
	return w
}

func (w *cpuWaits) total() time.Duration {
	files := []string{"/proc/thread-self/schedstat"}
	if w.dialect == store.DialectPostgres {
		files, _ = filepath.Glob("/proc/self/task/*/schedstat")
		files = append(files, w.backends...)
	}
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fields := strings.Fields(string(b)); len(fields) >= 2 {
			ns, _ := strconv.ParseInt(fields[1], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// loadAverage is the machine's load over the last minute, or 0 where unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}
