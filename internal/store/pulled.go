package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync"
)

// ReplacePulled stores what a pull read from a connection's books: every tax rate and ledger
// account (upserted by their stable ids; ones no longer in the books are marked Archived) and the
// connection's last_pull, in one transaction.
func (s *Store) ReplacePulled(ctx context.Context, c *booksync.Connection, rates []booksync.AccountingTaxRate, accounts []booksync.LedgerAccount) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := upsertPulled(ctx, tx, "accounting_tax_rates", "code", c, rates, func(r *booksync.AccountingTaxRate) (string, string, string, *time.Time, *time.Time) {
			return r.ID, r.Code, r.Name, &r.CreatedAt, &r.UpdatedAt
		}); err != nil {
			return err
		}
		if err := upsertPulled(ctx, tx, "ledger_accounts", "platform_id", c, accounts, func(a *booksync.LedgerAccount) (string, string, string, *time.Time, *time.Time) {
			return a.ID, a.PlatformID, a.Name, &a.CreatedAt, &a.UpdatedAt
		}); err != nil {
			return err
		}
		return s.updateConnection(ctx, tx, c)
	})
}

// taxRateRow and ledgerAccountRow are how pulled objects are stored: their API fields plus the
// ones the API does not show but the engine needs.
type taxRateRow struct {
	*booksync.AccountingTaxRate
	Revenue bool                 `json:"revenue"`
	Kind    booksync.VATRateKind `json:"kind,omitempty"`
}

type ledgerAccountRow struct {
	*booksync.LedgerAccount
	PlatformID      string `json:"platform_id"`
	PaymentsAllowed bool   `json:"payments_allowed"`
	SalesRefusal    string `json:"sales_refusal,omitempty"`
}

func storedPulled(v any) ([]byte, error) {
	switch t := v.(type) {
	case *booksync.AccountingTaxRate:
		return json.Marshal(taxRateRow{t, t.Revenue, t.Kind})
	case *booksync.LedgerAccount:
		return json.Marshal(ledgerAccountRow{t, t.PlatformID, t.PaymentsAllowed, t.SalesRefusal})
	}
	return json.Marshal(v)
}

func upsertPulled[T any](ctx context.Context, tx *sql.Tx, table, keyCol string, c *booksync.Connection, items []T,
	fields func(*T) (id, key, name string, created, updated *time.Time)) error {
	seen := map[string]bool{}
	for i := range items {
		id, key, name, created, updated := fields(&items[i])
		seen[id] = true
		var createdAt int64
		err := tx.QueryRowContext(ctx, "SELECT created_at FROM "+table+" WHERE id = $1", id).Scan(&createdAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			stamp(created, updated)
			data, err := storedPulled(&items[i])
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO "+table+" (id, entity_id, connection_id, "+keyCol+
				", name, created_at, updated_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				id, c.EntityID, c.ID, key, name, micros(*created), micros(*updated), string(data))
			if err != nil {
				return fmt.Errorf("store: insert %s: %w", table, err)
			}
		case err != nil:
			return fmt.Errorf("store: read %s: %w", table, err)
		default:
			*created = fromMicros(createdAt)
			stamp(created, updated)
			data, err := storedPulled(&items[i])
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "UPDATE "+table+" SET connection_id = $1, name = $2, updated_at = $3, data = $4 WHERE id = $5",
				c.ID, name, micros(*updated), string(data), id)
			if err != nil {
				return fmt.Errorf("store: update %s: %w", table, err)
			}
		}
	}
	// Objects gone from the books stay (settings and lines may name them) but are archived.
	rows, err := tx.QueryContext(ctx, "SELECT id, data FROM "+table+" WHERE connection_id = $1", c.ID)
	if err != nil {
		return err
	}
	type gone struct{ id, data string }
	var stale []gone
	for rows.Next() {
		var g gone
		if err := rows.Scan(&g.id, &g.data); err != nil {
			rows.Close()
			return err
		}
		if !seen[g.id] {
			stale = append(stale, g)
		}
	}
	rows.Close()
	for _, g := range stale {
		var m map[string]any
		if err := json.Unmarshal([]byte(g.data), &m); err != nil {
			return err
		}
		m["status"] = "Archived"
		b, _ := json.Marshal(m)
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET data = $1 WHERE id = $2", string(b), g.id); err != nil {
			return err
		}
	}
	return nil
}

const pulledColumns = "id, entity_id, connection_id, created_at, updated_at, data"

func scanPulled[R, T any](build func(r *R, id, entityID, connID string, created, updated time.Time) T) func(sc scanner, extra ...any) (T, error) {
	return func(sc scanner, extra ...any) (T, error) {
		var t T
		var id, entityID, connID, data string
		var created, updated int64
		if err := sc.Scan(append(extra, &id, &entityID, &connID, &created, &updated, &data)...); err != nil {
			return t, err
		}
		var row R
		if err := json.Unmarshal([]byte(data), &row); err != nil {
			return t, fmt.Errorf("decode %s: %w", id, err)
		}
		return build(&row, id, entityID, connID, fromMicros(created), fromMicros(updated)), nil
	}
}

var scanTaxRate = scanPulled(func(r *taxRateRow, id, entityID, connID string, created, updated time.Time) booksync.AccountingTaxRate {
	if r.AccountingTaxRate == nil {
		r.AccountingTaxRate = &booksync.AccountingTaxRate{}
	}
	t := *r.AccountingTaxRate
	t.ID, t.EntityID, t.ConnectionID, t.CreatedAt, t.UpdatedAt, t.Revenue, t.Kind = id, entityID, connID, created, updated, r.Revenue, r.Kind
	return t
})

var scanLedgerAccount = scanPulled(func(r *ledgerAccountRow, id, entityID, connID string, created, updated time.Time) booksync.LedgerAccount {
	if r.LedgerAccount == nil {
		r.LedgerAccount = &booksync.LedgerAccount{}
	}
	a := *r.LedgerAccount
	a.ID, a.EntityID, a.ConnectionID, a.CreatedAt, a.UpdatedAt = id, entityID, connID, created, updated
	a.PlatformID, a.PaymentsAllowed, a.SalesRefusal = r.PlatformID, r.PaymentsAllowed, r.SalesRefusal
	return a
})

// activeOnly keeps what was pulled through the entity's active connection. It looks up the
// connection of each row: the rows' connections are one entity's few, where every entity's active
// connections are many. Its connection_id is the outer row's: accounting_connections has no
// column of that name.
const activeOnly = "EXISTS (SELECT 1 FROM accounting_connections ac WHERE ac.id = connection_id AND ac.active = 1)"

var taxRateList = listTable[booksync.AccountingTaxRate]{
	spec: booksync.AccountingTaxRateList, table: "accounting_tax_rates", scope: "entity_id", where: activeOnly,
	columns: pulledColumns, scan: scanTaxRate,
}

var ledgerAccountList = listTable[booksync.LedgerAccount]{
	spec: booksync.LedgerAccountList, table: "ledger_accounts", scope: "entity_id", where: activeOnly,
	columns: pulledColumns, scan: scanLedgerAccount,
}

// AccountingTaxRates lists the tax rates pulled through the entity's active connection.
func (s *Store) AccountingTaxRates(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.AccountingTaxRate], error) {
	return list(ctx, s.reader, s.d, taxRateList, entityID, q)
}

// AccountingTaxRate returns a tax rate the entity's active connection pulled, or a NotFoundError.
func (s *Store) AccountingTaxRate(ctx context.Context, entityID, id string) (*booksync.AccountingTaxRate, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+pulledColumns+" FROM accounting_tax_rates WHERE entity_id = $1 AND id = $2 AND "+activeOnly, entityID, id)
	r, err := scanTaxRate(row)
	if err != nil {
		return nil, wrapRead("tax rate", mapNotFound(err, "accounting tax rate"))
	}
	return &r, nil
}

// LedgerAccounts lists the ledger accounts pulled through the entity's active connection.
func (s *Store) LedgerAccounts(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.LedgerAccount], error) {
	return list(ctx, s.reader, s.d, ledgerAccountList, entityID, q)
}

// LedgerAccount returns a ledger account the entity's active connection pulled, or a NotFoundError.
func (s *Store) LedgerAccount(ctx context.Context, entityID, id string) (*booksync.LedgerAccount, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+pulledColumns+" FROM ledger_accounts WHERE entity_id = $1 AND id = $2 AND "+activeOnly, entityID, id)
	a, err := scanLedgerAccount(row)
	if err != nil {
		return nil, wrapRead("ledger account", mapNotFound(err, "ledger account"))
	}
	return &a, nil
}

// Pulled returns every tax rate and ledger account the entity's active connection pulled, for the
// API to check the ids a request names and list the ones that would do.
func (s *Store) Pulled(ctx context.Context, entityID string) ([]booksync.AccountingTaxRate, []booksync.LedgerAccount, error) {
	return pulled(ctx, s.reader, "entity_id = $1 AND "+activeOnly, entityID)
}

// PulledOf returns every tax rate and ledger account pulled through a connection, for the engine.
func (s *Store) PulledOf(ctx context.Context, connectionID string) ([]booksync.AccountingTaxRate, []booksync.LedgerAccount, error) {
	return pulled(ctx, s.writer, "connection_id = $1", connectionID)
}

// pulled reads the tax rates and ledger accounts that match where (with its one argument).
func pulled(ctx context.Context, db querier, where string, arg any) ([]booksync.AccountingTaxRate, []booksync.LedgerAccount, error) {
	rates, err := queryAll(ctx, db, scanTaxRate, "SELECT "+pulledColumns+" FROM accounting_tax_rates WHERE "+where+" ORDER BY id", arg)
	if err != nil {
		return nil, nil, err
	}
	accounts, err := queryAll(ctx, db, scanLedgerAccount, "SELECT "+pulledColumns+" FROM ledger_accounts WHERE "+where+" ORDER BY id", arg)
	return rates, accounts, err
}

// HoldChangeTx keeps, inside tx, a change pulled from the connection's books that could not be
// applied yet (data is the engine's encoding of it), under key; a change held already is replaced.
func (s *Store) HoldChangeTx(ctx context.Context, tx *sql.Tx, connectionID, key, data string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO held_changes (connection_id, change_key, data, created_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (connection_id, change_key) DO UPDATE SET data = excluded.data`, connectionID, key, data, micros(at))
	if err != nil {
		return fmt.Errorf("store: hold change: %w", err)
	}
	return nil
}

// HeldChangesTx returns, inside tx and oldest first, the changes held for the connection.
func (s *Store) HeldChangesTx(ctx context.Context, tx *sql.Tx, connectionID string) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT data FROM held_changes WHERE connection_id = $1 ORDER BY created_at, change_key`, connectionID)
}

// ReleaseChangeTx forgets, inside tx, a held change: it was applied, or is moot.
func (s *Store) ReleaseChangeTx(ctx context.Context, tx *sql.Tx, connectionID, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM held_changes WHERE connection_id = $1 AND change_key = $2`, connectionID, key); err != nil {
		return fmt.Errorf("store: release change: %w", err)
	}
	return nil
}
