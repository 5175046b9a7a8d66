// Package storeseed fills a store with many rows quickly, for benchmarks that measure booksync
// among a million records: the rows go into the same tables, under the same indexes, as booksync's
// own writes put them, but in bulk (COPY on PostgreSQL, INSERTs of many rows on SQLite) instead of
// one statement per row.
package storeseed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Insert adds n rows to table: row(i, vals) fills vals with the values of columns for the i-th
// row, as the columns store them (text, and int64 for integers and unix microseconds). The load
// runs in one COPY on PostgreSQL and in transactions of 50,000 rows on SQLite. The table's
// secondary indexes are dropped before it and built again after it from their own definitions,
// which is how a bulk load is done: indexes kept up one random key at a time make PostgreSQL write
// a full page image for nearly every row (gigabytes of WAL for a million rows), and the built
// indexes are the same indexes, packed tighter than years of inserts leave them. The primary key
// and the constraints' indexes stay. Insert ends with ANALYZE of the table, as autovacuum would
// gather its statistics. It is for a store that nothing else uses meanwhile.
func Insert(ctx context.Context, s *store.Store, table string, columns []string, n int, row func(i int, vals []any) error) error {
	conn, err := s.Writer().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	indexes, err := secondaryIndexes(ctx, conn, s.Dialect(), table)
	if err != nil {
		return fmt.Errorf("storeseed: indexes of %s: %w", table, err)
	}
	for _, ix := range indexes {
		if _, err := conn.ExecContext(ctx, "DROP INDEX "+ix.name); err != nil {
			return fmt.Errorf("storeseed: drop index %s: %w", ix.name, err)
		}
	}
	if s.Dialect() == store.DialectPostgres {
		err = copyRows(ctx, conn, table, columns, n, row)
	} else {
		err = insertRows(ctx, conn, table, columns, n, row)
	}
	if err != nil {
		return fmt.Errorf("storeseed: load %s: %w", table, err)
	}
	if s.Dialect() == store.DialectPostgres {
		// Index builds sort in this much memory before they spill to disk.
		if _, err := conn.ExecContext(ctx, "SET maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
	}
	for _, ix := range indexes {
		if _, err := conn.ExecContext(ctx, ix.def); err != nil {
			return fmt.Errorf("storeseed: build index %s: %w", ix.name, err)
		}
	}
	if s.Dialect() == store.DialectPostgres {
		if _, err := conn.ExecContext(ctx, "RESET maintenance_work_mem"); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "ANALYZE "+table); err != nil {
		return fmt.Errorf("storeseed: analyze %s: %w", table, err)
	}
	return nil
}

type index struct{ name, def string }

// secondaryIndexes returns the indexes of table that no constraint owns, with the statements that
// create them.
func secondaryIndexes(ctx context.Context, conn *sql.Conn, dialect, table string) ([]index, error) {
	query := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	if dialect == store.DialectPostgres {
		query = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass) ORDER BY indexname`
	}
	rows, err := conn.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}

// copyRows loads the rows with one COPY, in one transaction.
func copyRows(ctx context.Context, conn *sql.Conn, table string, columns []string, n int, row func(i int, vals []any) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a %T is not a pgx connection", dc)
		}
		i := 0
		vals := make([]any, len(columns))
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			if err := row(i, vals); err != nil {
				return nil, err
			}
			i++
			return vals, nil
		}))
		return err
	})
}

// sqliteMaxVariables is how many parameters one SQLite statement takes (SQLITE_MAX_VARIABLE_NUMBER).
const sqliteMaxVariables = 32766

// sqliteRowsPerTx is how many rows insertRows commits at once: enough to make the commits cheap,
// few enough that the write-ahead log is checkpointed as the load goes instead of growing to the
// size of the table.
const sqliteRowsPerTx = 50_000

// insertRows loads the rows with INSERTs of up to 500 rows each, in transactions of
// sqliteRowsPerTx rows.
func insertRows(ctx context.Context, conn *sql.Conn, table string, columns []string, n int, row func(i int, vals []any) error) error {
	perInsert := min(500, sqliteMaxVariables/len(columns))
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	vals := make([]any, len(columns))
	for from := 0; from < n; from += sqliteRowsPerTx {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for at := from; at < min(from+sqliteRowsPerTx, n); at += perInsert {
			rows := min(perInsert, n-at)
			var sb strings.Builder
			sb.WriteString(head)
			args := make([]any, 0, rows*len(columns))
			for i := at; i < at+rows; i++ {
				if i > at {
					sb.WriteString(", ")
				}
				// Anonymous parameters: modernc.org/sqlite looks each numbered one up by its name, in
				// a list as long as the statement's parameters, which makes a statement of thousands
				// of them cost the square of their number.
				sb.WriteByte('(')
				for c := range columns {
					if c > 0 {
						sb.WriteString(", ")
					}
					sb.WriteByte('?')
				}
				sb.WriteByte(')')
				if err := row(i, vals); err != nil {
					_ = tx.Rollback()
					return err
				}
				args = append(args, vals...)
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Synced is what SyncedRecords stored.
type Synced struct {
	// EntityID is the large entity the benchmarks read; ConnectionID its connection.
	EntityID, ConnectionID string
	// Records and Receivables count the large entity's records, and those of them of receivables.
	Records, Receivables int
	// Sample holds the object ids of up to 10,000 of the large entity's receivables' records,
	// spread evenly over their creation order.
	Sample []string
}

// syncedColumns are the columns of synced_records as booksync writes them.
var syncedColumns = []string{"id", "entity_id", "connection_id", "object_type", "object_id", "sync_status",
	"auto", "attempts", "created_at", "updated_at", "data", "platform_object_id"}

// SyncedRecords stores n synced records of partnerID's entities, as a platform with one large
// tenant and many small ones would have them: nine in ten belong to one entity, and the rest to
// nineteen others, each entity connected to Xero. Of each entity's records about 80% are of
// receivables, 12% of payment records, 6% of customers and 2% of products, in the order their
// objects were created; 95% are done (with the books' ids), 3% in error (with a cause and its
// fix) and 2% pending. The record ids and object ids are random UUIDs, as booksync makes them.
func SyncedRecords(ctx context.Context, s *store.Store, partnerID string, n int) (*Synced, error) {
	const others = 19
	type tenant struct {
		conn *booksync.Connection
	}
	tenants := make([]tenant, others+1)
	for i := range tenants {
		entityID := uuid.NewString()
		if err := s.CreateEntity(ctx, &booksync.Entity{ID: entityID, PartnerID: partnerID}, booksync.Settings{}); err != nil {
			return nil, err
		}
		conn := &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, Platform: booksync.PlatformXero,
			Status: booksync.ConnectionConnected}
		if err := s.CreateConnection(ctx, conn, ""); err != nil {
			return nil, err
		}
		tenants[i].conn = conn
	}
	large := tenants[0].conn
	out := &Synced{EntityID: large.EntityID, ConnectionID: large.ID}
	largeRecords := n * 9 / 10
	every := max(1, largeRecords*8/10/10_000) // about 10,000 samples among the large entity's receivables
	rng := rand.New(rand.NewPCG(7, 13))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	syncErr := &booksync.SyncError{Status: "tax_rate_not_found", Message: "Tax rate does not exist in the books",
		Details: []booksync.SyncErrorDetail{{Message: "Line 1 has a VAT rate of 20% that the books do not hold",
			Field: "line_items[0].tax_rate_value", Fix: "Add a 20% tax rate in the books, or set accounting_tax_rate_id on the line"}}}
	row := func(i int, vals []any) error {
		conn := large
		if i%10 == 9 {
			conn = tenants[1+rng.IntN(others)].conn
		}
		objectType := booksync.ObjectReceivable
		switch p := rng.IntN(100); {
		case p >= 98:
			objectType = booksync.ObjectProduct
		case p >= 92:
			objectType = booksync.ObjectCustomer
		case p >= 80:
			objectType = booksync.ObjectPaymentRecord
		}
		created := base.Add(time.Duration(i) * 30 * time.Millisecond)
		r := booksync.NewPendingRecord(conn, objectType, uuid.NewString(), &created, created)
		updated := created.Add(time.Duration(2+rng.IntN(60)) * time.Second)
		platformID := ""
		switch p := rng.IntN(100); {
		case p < 95:
			platformID = uuid.NewString()
			r.SyncStatus, r.UpdatedAt, r.PlatformObjectID, r.PlatformUpdatedAt = booksync.SyncStatusDone, updated, &platformID, &updated
		case p < 98:
			r.SyncStatus, r.UpdatedAt, r.Errors = booksync.SyncStatusError, updated, syncErr
		}
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if conn == large {
			out.Records++
			if objectType == booksync.ObjectReceivable {
				if out.Receivables%every == 0 && len(out.Sample) < 10_000 {
					out.Sample = append(out.Sample, r.ObjectID)
				}
				out.Receivables++
			}
		}
		copy(vals, []any{r.ID, conn.EntityID, conn.ID, objectType, r.ObjectID, r.SyncStatus,
			int64(1), int64(0), r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro(), string(data), platformID})
		return nil
	}
	if err := Insert(ctx, s, "synced_records", syncedColumns, n, row); err != nil {
		return nil, err
	}
	if len(out.Sample) == 0 {
		return nil, errors.New("storeseed: no receivable records to sample")
	}
	return out, nil
}
