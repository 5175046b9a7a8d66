package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// LoadSandbox returns every key of a sandbox's namespace.
func (s *Store) LoadSandbox(ctx context.Context, namespace string) (map[string][]byte, error) {
	rows, err := s.writer.QueryContext(ctx, "SELECT key, value FROM sandbox_state WHERE namespace = $1", namespace)
	if err != nil {
		return nil, fmt.Errorf("store: load sandbox: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = []byte(v)
	}
	return out, rows.Err()
}

// RangeSandbox calls fn with every key of a sandbox's namespace and its value, in key order (keys
// compare as bytes on both databases), one row at a time, so that large books are never held
// whole.
func (s *Store) RangeSandbox(ctx context.Context, namespace string, fn func(key string, value []byte) error) error {
	rows, err := s.writer.QueryContext(ctx, "SELECT key, value FROM sandbox_state WHERE namespace = $1 ORDER BY key", namespace)
	if err != nil {
		return fmt.Errorf("store: read sandbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("store: read sandbox: %w", err)
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sandboxReadChunk bounds the keys one query of ReadSandbox names, well below SQLite's limit on
// a statement's parameters.
const sandboxReadChunk = 500

// ReadSandbox returns the values of those keys of a sandbox's namespace that are saved. It reads
// through the read pool: a sandbox saves each change before it reads it again, so a committed
// read sees it.
func (s *Store) ReadSandbox(ctx context.Context, namespace string, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), sandboxReadChunk)]
		keys = keys[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, namespace)
		var in strings.Builder
		for i, k := range chunk {
			if i > 0 {
				in.WriteString(", ")
			}
			args = append(args, k)
			fmt.Fprintf(&in, "$%d", i+2)
		}
		rows, err := s.reader.QueryContext(ctx, "SELECT key, value FROM sandbox_state WHERE namespace = $1 AND key IN ("+in.String()+")", args...)
		if err != nil {
			return nil, fmt.Errorf("store: read sandbox: %w", err)
		}
		for rows.Next() {
			var k string
			var v []byte
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: read sandbox: %w", err)
			}
			out[k] = v
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: read sandbox: %w", err)
		}
	}
	return out, nil
}

// SaveSandbox stores keys of a sandbox's namespace in one transaction, so that a sandbox's change
// is kept whole or not at all, as an accounting system's would be. A nil value removes its key.
func (s *Store) SaveSandbox(ctx context.Context, namespace string, values map[string][]byte) error {
	if s.d.writableCTEs {
		return s.saveSandboxAtOnce(ctx, namespace, values)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		for key, value := range values {
			if value == nil {
				if _, err := tx.ExecContext(ctx, "DELETE FROM sandbox_state WHERE namespace = $1 AND key = $2", namespace, key); err != nil {
					return fmt.Errorf("store: save sandbox: %w", err)
				}
				continue
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_state (namespace, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value`, namespace, key, string(value))
			if err != nil {
				return fmt.Errorf("store: save sandbox: %w", err)
			}
		}
		return nil
	})
}

// saveSandboxAtOnce is SaveSandbox on PostgreSQL: one statement removes and stores every key of
// the change, so that a sandbox call that writes 50 invoices costs one round trip, not 50.
func (s *Store) saveSandboxAtOnce(ctx context.Context, namespace string, values map[string][]byte) error {
	var gone, keys, vals []string
	for key, value := range values {
		if value == nil {
			gone = append(gone, key)
			continue
		}
		keys, vals = append(keys, key), append(vals, string(value))
	}
	_, err := s.writer.ExecContext(ctx, `WITH gone AS (
		DELETE FROM sandbox_state WHERE namespace = $1 AND key = ANY($2::text[])
	)
	INSERT INTO sandbox_state (namespace, key, value) SELECT $1, k, v FROM unnest($3::text[], $4::text[]) AS kv(k, v)
	ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value`, namespace, gone, keys, vals)
	if err != nil {
		return fmt.Errorf("store: save sandbox: %w", err)
	}
	return nil
}
