package store

import (
	"context"
	"database/sql"
	"fmt"
)

// execer is what *sql.DB and *sql.Tx share for writes.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// querier is what *sql.DB and *sql.Tx share for reads.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs q and scans every row it returns.
func queryAll[T any](ctx context.Context, db querier, scan func(sc scanner, extra ...any) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// queryStrings runs q, which selects one text column, and returns its values.
func queryStrings(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	return queryAll(ctx, db, func(sc scanner, _ ...any) (string, error) {
		var s string
		err := sc.Scan(&s)
		return s, err
	}, q, args...)
}
