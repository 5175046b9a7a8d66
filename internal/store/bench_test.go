package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
)

// benchRows is how many invoices the benchmark's entity has.
const benchRows = 100_000

// BenchmarkReceivablesPage measures keyset paging: the first page of an entity's 100,000 invoices
// against a page that starts after a cursor 90,000 rows deep. With (entity_id, sort column, id)
// indexes both should cost about the same; OFFSET paging would make the deep one scan 90,000 rows.
// Each page is read decoded (page1-µs, deep-µs) and as the JSON GET /receivables serves
// (json-page1-µs, json-deep-µs), which skips decoding the invoices. It runs on SQLite, and on
// PostgreSQL when BOOKSYNC_TEST_POSTGRES_URL is set.
func BenchmarkReceivablesPage(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		s, err := OpenAndMigrate(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
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
		s, err := OpenAndMigrate(context.Background(), pgtest.NewDatabase(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchPages(b, s)
	})
}

func benchPages(b *testing.B, s *Store) {
	ctx := context.Background()
	entityID := seedReceivables(b, s)
	// The rows are as the store writes them, so the JSON list serves them as stored.
	var stale int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM receivables WHERE entity_id = $1 AND data_version <> $2",
		entityID, receivableDataVersion).Scan(&stale); err != nil || stale != 0 {
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
			err := s.reader.QueryRowContext(ctx, fmt.Sprintf(
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

// seedReceivables inserts benchRows invoices of one new entity, in transactions of 5,000, and
// returns the entity id.
func seedReceivables(b *testing.B, s *Store) string {
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
	const batch = 5_000
	for from := 0; from < benchRows; from += batch {
		err := s.InTx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO receivables
			(id, entity_id, type, status, counterpart_id, counterpart_name, document_id, currency, total_amount,
			 discounted_subtotal, issue_date, created_at, updated_at, version, data, lines, data_version, api_lines)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := from; i < from+batch; i++ {
				r := benchReceivable(entityID, base.Add(time.Duration(i)*time.Second), i)
				row, err := encodeReceivable(r)
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, r.ID, r.EntityID, r.Type, r.Status, r.CounterpartID, r.CounterpartName,
					row.documentID, r.Currency, r.TotalAmount, r.DiscountedSubtotal, row.issueDate,
					micros(r.CreatedAt), micros(r.UpdatedAt), row.data, row.lines, row.dataVersion, row.apiLines); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if s.d.name == DialectPostgres {
		// Fresh statistics, as autovacuum would gather them in production.
		if _, err := s.writer.ExecContext(ctx, "ANALYZE receivables"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := s.writer.ExecContext(ctx, "ANALYZE"); err != nil {
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

// lookupRecords is how many synced records BenchmarkSyncedRecordLookup seeds.
const lookupRecords = 1_000_000

// BenchmarkSyncedRecordLookup measures what GET /accounting_synced_records?object_type=receivable
// &object_id= costs among 1,000,000 records of one entity: the p50 and p99 of 2,000 lookups of
// random objects, and the first page against a page 800,000 records deep of the receivables'
// records. It runs on SQLite, and on PostgreSQL when BOOKSYNC_TEST_POSTGRES_URL is set.
func BenchmarkSyncedRecordLookup(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) {
		s, err := OpenAndMigrate(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
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
		s, err := OpenAndMigrate(context.Background(), pgtest.NewDatabase(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchLookups(b, s)
	})
}

func benchLookups(b *testing.B, s *Store) {
	ctx := context.Background()
	entityID, objectIDs := seedSyncedRecords(b, s, lookupRecords)
	b.Run("object_id", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		const rounds = 2_000
		times := make([]time.Duration, 0, rounds)
		for b.Loop() {
			times = times[:0]
			for range rounds {
				id := objectIDs[rng.IntN(len(objectIDs))]
				q := booksync.ListQuery{Limit: 100, Filters: []booksync.Filter{
					{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}},
					{Field: "object_id", Op: booksync.OpEq, Values: []any{id}}}}
				start := time.Now()
				page, err := s.SyncedRecords(ctx, entityID, q)
				times = append(times, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) != 1 || page.Items[0].ObjectID != id {
					b.Fatalf("lookup of %s: %d records", id, len(page.Items))
				}
			}
		}
		slices.Sort(times)
		b.ReportMetric(ms(times[len(times)/2]), "p50_ms")
		b.ReportMetric(ms(times[len(times)*99/100]), "p99_ms")
	})
	b.Run("deep_page", func(b *testing.B) {
		var key int64
		var id string
		err := s.reader.QueryRowContext(ctx, `SELECT created_at, id FROM synced_records WHERE entity_id = $1 AND object_type = $2
		ORDER BY created_at, id LIMIT 1 OFFSET 800000`, entityID, booksync.ObjectReceivable).Scan(&key, &id)
		if err != nil {
			b.Fatal(err)
		}
		filter := []booksync.Filter{{Field: "object_type", Op: booksync.OpEq, Values: []any{booksync.ObjectReceivable}}}
		first := booksync.ListQuery{Limit: 100, Filters: filter}
		deep := booksync.ListQuery{Limit: 100, Filters: filter, After: &booksync.Cursor{Key: key, ID: id}}
		var firstTime, deepTime time.Duration
		for b.Loop() {
			for _, q := range []booksync.ListQuery{first, deep} {
				start := time.Now()
				page, err := s.SyncedRecords(ctx, entityID, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) != 100 {
					b.Fatalf("page of %d records", len(page.Items))
				}
				if q.After == nil {
					firstTime += time.Since(start)
				} else {
					deepTime += time.Since(start)
				}
			}
		}
		b.ReportMetric(float64(firstTime.Microseconds())/float64(b.N), "page1-µs")
		b.ReportMetric(float64(deepTime.Microseconds())/float64(b.N), "deep-µs")
		b.ReportMetric(float64(deepTime)/float64(firstTime), "deep/first")
	})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// seedSyncedRecords stores n synced records of one new entity's connection, nine in ten of
// receivables and the rest of payment records, with multi-row INSERTs in transactions of 50,000
// rows. It returns the entity and a sample of 10,000 of the receivables' ids.
func seedSyncedRecords(b *testing.B, s *Store, n int) (string, []string) {
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
	conn := &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, Platform: "xero", Status: booksync.ConnectionConnected}
	if err := s.CreateConnection(ctx, conn, ""); err != nil {
		b.Fatal(err)
	}
	// A page cache that holds the indexes while they grow at random places (the ids are random).
	if s.d.name == DialectSQLite {
		if _, err := s.writer.ExecContext(ctx, "PRAGMA cache_size = -524288"); err != nil {
			b.Fatal(err)
		}
		defer func() {
			if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", sqliteWriterCache)); err != nil {
				b.Fatal(err)
			}
		}()
	}
	const cols, perInsert, perTx = 12, 500, 50_000
	var sample []string
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 0; from < n; from += perTx {
		err := s.InTx(ctx, func(tx *sql.Tx) error {
			for at := from; at < min(from+perTx, n); at += perInsert {
				rows := min(perInsert, n-at)
				var sb strings.Builder
				sb.WriteString(`INSERT INTO synced_records (id, entity_id, connection_id, object_type, object_id, sync_status,
				auto, attempts, created_at, updated_at, data, platform_object_id) VALUES `)
				args := make([]any, 0, rows*cols)
				for i := at; i < at+rows; i++ {
					if i > at {
						sb.WriteString(", ")
					}
					sb.WriteString("(")
					for c := range cols {
						if c > 0 {
							sb.WriteString(", ")
						}
						fmt.Fprintf(&sb, "$%d", len(args)+c+1)
					}
					sb.WriteString(")")
					objectType := booksync.ObjectReceivable
					if i%10 == 9 {
						objectType = booksync.ObjectPaymentRecord
					}
					created := base.Add(time.Duration(i) * time.Millisecond)
					platformID := uuid.NewString()
					r := booksync.NewPendingRecord(conn, objectType, uuid.NewString(), &created, created)
					r.ID, r.SyncStatus, r.PlatformObjectID = uuid.NewString(), booksync.SyncStatusDone, &platformID
					data, err := encodeSynced(r)
					if err != nil {
						return err
					}
					if objectType == booksync.ObjectReceivable && len(sample) < 10_000 && i%(n/10_000) == 0 {
						sample = append(sample, r.ObjectID)
					}
					args = append(args, r.ID, entityID, conn.ID, objectType, r.ObjectID, r.SyncStatus,
						1, 0, micros(r.CreatedAt), micros(r.UpdatedAt), data, platformID)
				}
				if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if s.d.name == DialectPostgres {
		if _, err := s.writer.ExecContext(ctx, "ANALYZE synced_records"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := s.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d synced records in %v", s.Dialect(), n, time.Since(start).Round(time.Millisecond))
	return entityID, sample
}
