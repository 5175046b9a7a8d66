package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
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
// It runs on SQLite, and on PostgreSQL when BOOKSYNC_TEST_POSTGRES_URL is set.
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

			var firstTime, deepTime time.Duration
			for b.Loop() {
				for _, q := range []*booksync.ListQuery{&first, &deep} {
					start := time.Now()
					page, err := s.Receivables(ctx, entityID, *q)
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Items) != 100 || page.Next == nil {
						b.Fatalf("page of %d items, next %v", len(page.Items), page.Next)
					}
					if q == &first {
						firstTime += time.Since(start)
					} else {
						deepTime += time.Since(start)
					}
				}
			}
			b.ReportMetric(float64(firstTime.Microseconds())/float64(b.N), "page1-µs")
			b.ReportMetric(float64(deepTime.Microseconds())/float64(b.N), "deep-µs")
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
			 discounted_subtotal, issue_date, created_at, updated_at, version, data, lines)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15)`)
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
					micros(r.CreatedAt), micros(r.UpdatedAt), row.data, row.lines); err != nil {
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
