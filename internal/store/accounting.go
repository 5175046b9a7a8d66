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

// ErrActiveConnection is returned when an entity that already has an active connection gets another.
var ErrActiveConnection = booksync.Errorf(booksync.ECONFLICT,
	"The entity already has an active accounting connection; disconnect it with POST /accounting_connections/{id}/disconnect before connecting another.")

const connectionColumns = "id, entity_id, platform, status, tenant_id, next_sync_at, created_at, updated_at, data"

func scanConnection(sc scanner, extra ...any) (booksync.Connection, error) {
	var c booksync.Connection
	var id, entityID, platform, status, tenant, data string
	var next, created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &platform, &status, &tenant, &next, &created, &updated, &data)...); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return c, fmt.Errorf("decode connection %s: %w", id, err)
	}
	c.ID, c.EntityID, c.Platform, c.Status, c.TenantID = id, entityID, platform, status, tenant
	c.NextSyncAt, c.CreatedAt, c.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	if c.Errors == nil {
		c.Errors = []booksync.ConnectionError{}
	}
	return c, nil
}

func connectionData(c *booksync.Connection) (string, error) {
	stamp(&c.CreatedAt, &c.UpdatedAt)
	normPtr(c.LastPull)
	if c.Errors == nil {
		c.Errors = []booksync.ConnectionError{}
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// CreateConnection stores a new connection of c.EntityID in pending_auth with the hash of its
// OAuth state. An entity with an active connection gives ErrActiveConnection.
func (s *Store) CreateConnection(ctx context.Context, c *booksync.Connection, stateHash string) error {
	data, err := connectionData(c)
	if err != nil {
		return fmt.Errorf("store: create connection: %w", err)
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO accounting_connections
	(id, entity_id, platform, status, active, state_hash, tenant_id, next_sync_at, created_at, updated_at, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.EntityID, c.Platform, c.Status, boolInt(c.IsActive()), stateHash, c.TenantID, micros(c.NextSyncAt),
		micros(c.CreatedAt), micros(c.UpdatedAt), data)
	if isUniqueViolation(err) {
		return ErrActiveConnection
	} else if err != nil {
		return fmt.Errorf("store: create connection: %w", err)
	}
	return nil
}

// UpdateConnection writes a connection's status, tenant, schedule and data. Disconnecting frees
// the entity to connect again.
func (s *Store) UpdateConnection(ctx context.Context, c *booksync.Connection) error {
	return s.updateConnection(ctx, s.writer, c)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) updateConnection(ctx context.Context, db execer, c *booksync.Connection) error {
	data, err := connectionData(c)
	if err != nil {
		return fmt.Errorf("store: update connection: %w", err)
	}
	res, err := db.ExecContext(ctx, `UPDATE accounting_connections SET status = $1, active = $2, tenant_id = $3,
	next_sync_at = $4, updated_at = $5, data = $6 WHERE id = $7`,
		c.Status, boolInt(c.IsActive()), c.TenantID, micros(c.NextSyncAt), micros(c.UpdatedAt), data, c.ID)
	if isUniqueViolation(err) {
		return ErrActiveConnection
	} else if err != nil {
		return fmt.Errorf("store: update connection: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("Accounting connection")
	}
	return nil
}

// Connection returns a connection of the entity, or ENOTFOUND.
func (s *Store) Connection(ctx context.Context, entityID, id string) (*booksync.Connection, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE entity_id = $1 AND id = $2", entityID, id)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "Accounting connection"))
	}
	return &c, nil
}

// ConnectionByID returns any connection by id, for the sync engine, or ENOTFOUND. It reads from
// the writer, so that a job sees what the transaction that queued it wrote.
func (s *Store) ConnectionByID(ctx context.Context, id string) (*booksync.Connection, error) {
	row := s.writer.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE id = $1", id)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "Accounting connection"))
	}
	return &c, nil
}

// PartnerTenants returns the organisations (Xero tenants, QuickBooks realms) on a platform that the
// partner's entities connected, disconnected connections included: the built-in sandboxes show a
// partner those and no others.
func (s *Store) PartnerTenants(ctx context.Context, partnerID, platform string) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT DISTINCT c.tenant_id FROM accounting_connections c
	JOIN entities e ON e.id = c.entity_id
	WHERE e.partner_id = $1 AND c.platform = $2 AND c.tenant_id <> ''`, partnerID, platform)
	if err != nil {
		return nil, fmt.Errorf("store: partner tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: partner tenants: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: partner tenants: %w", err)
	}
	return out, nil
}

// ConnectionByState returns the pending connection whose OAuth state has this hash, or ENOTFOUND.
func (s *Store) ConnectionByState(ctx context.Context, stateHash string) (*booksync.Connection, error) {
	if stateHash == "" {
		return nil, notFound("Accounting connection")
	}
	row := s.writer.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE state_hash = $1", stateHash)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "Accounting connection"))
	}
	return &c, nil
}

// ActiveConnection returns the entity's active connection, or ENOTFOUND.
func (s *Store) ActiveConnection(ctx context.Context, entityID string) (*booksync.Connection, error) {
	return s.activeConnection(ctx, s.reader, entityID)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) activeConnection(ctx context.Context, db querier, entityID string) (*booksync.Connection, error) {
	row := db.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE entity_id = $1 AND active = 1", entityID)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "Accounting connection"))
	}
	return &c, nil
}

// ActiveConnectionTx is ActiveConnection inside a transaction.
func (s *Store) ActiveConnectionTx(ctx context.Context, tx *sql.Tx, entityID string) (*booksync.Connection, error) {
	return s.activeConnection(ctx, tx, entityID)
}

// Connections returns the entity's connections, oldest first.
func (s *Store) Connections(ctx context.Context, entityID string) ([]booksync.Connection, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE entity_id = $1 ORDER BY created_at, id", entityID)
	if err != nil {
		return nil, fmt.Errorf("store: connections: %w", err)
	}
	defer rows.Close()
	out := []booksync.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("store: connections: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimDueConnections returns the connected connections whose next sync is due and moves their
// next sync to next, inside tx, so that the sweeper can queue their syncs in the same transaction.
func (s *Store) ClaimDueConnections(ctx context.Context, tx *sql.Tx, now, next time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM accounting_connections WHERE status = $1 AND next_sync_at <= $2
	ORDER BY next_sync_at`+s.d.forUpdate, booksync.ConnectionConnected, micros(now))
	if err != nil {
		return nil, fmt.Errorf("store: due connections: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE accounting_connections SET next_sync_at = $1 WHERE id = $2", micros(next), id); err != nil {
			return nil, fmt.Errorf("store: schedule connection: %w", err)
		}
	}
	return ids, nil
}

// SetConnectionToken stores a connection's sealed token if its token version is still
// expectVersion (compare-and-swap), and returns the new version. A refresh that lost the race
// gets ECONFLICT and should re-read the token another process stored.
func (s *Store) SetConnectionToken(ctx context.Context, id, sealed string, expectVersion int64) (int64, error) {
	res, err := s.writer.ExecContext(ctx, `UPDATE accounting_connections SET token = $1, token_version = token_version + 1
	WHERE id = $2 AND token_version = $3`, sealed, id, expectVersion)
	if err != nil {
		return 0, fmt.Errorf("store: set token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, booksync.Errorf(booksync.ECONFLICT, "The connection's token changed concurrently.")
	}
	return expectVersion + 1, nil
}

// ConnectionToken returns a connection's sealed token and its version.
func (s *Store) ConnectionToken(ctx context.Context, id string) (string, int64, error) {
	var sealed string
	var version int64
	err := s.writer.QueryRowContext(ctx, "SELECT token, token_version FROM accounting_connections WHERE id = $1", id).Scan(&sealed, &version)
	if err != nil {
		return "", 0, wrapRead("token", mapNotFound(err, "Accounting connection"))
	}
	return sealed, version, nil
}

// Leases a connection has: one process at a time may refresh its token, and one may push to it.
const (
	LeaseRefresh = "refresh"
	LeasePush    = "push"
)

// AcquireLease takes a lease on a connection until `until`, if no one holds it, and reports
// whether it did. A lease is a row value rather than a lock held in a transaction, because what
// it guards is a call to the accounting system; a process that dies simply lets it expire. The
// holder knows the lease by its `until`, which RenewLease and ReleaseLease check, so that a holder
// whose lease lapsed and was taken by another never renews or releases the other's.
func (s *Store) AcquireLease(ctx context.Context, id, lease string, now, until time.Time) (bool, error) {
	col, err := leaseColumn(lease)
	if err != nil {
		return false, err
	}
	res, err := s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = $1 WHERE id = $2 AND "+col+" < $3",
		micros(until), id, micros(now))
	if err != nil {
		return false, fmt.Errorf("store: lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RenewLease extends a lease held until `held` to `until`, and reports whether it was still held
// (false: it lapsed and another holder took it, or it was released).
func (s *Store) RenewLease(ctx context.Context, id, lease string, held, until time.Time) (bool, error) {
	col, err := leaseColumn(lease)
	if err != nil {
		return false, err
	}
	res, err := s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = $1 WHERE id = $2 AND "+col+" = $3",
		micros(until), id, micros(held))
	if err != nil {
		return false, fmt.Errorf("store: renew lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease gives back a lease held until `held`; a lease another holder has taken since is
// left alone.
func (s *Store) ReleaseLease(ctx context.Context, id, lease string, held time.Time) error {
	col, err := leaseColumn(lease)
	if err != nil {
		return err
	}
	_, err = s.writer.ExecContext(ctx, "UPDATE accounting_connections SET "+col+" = 0 WHERE id = $1 AND "+col+" = $2", id, micros(held))
	return err
}

// ReleaseAllLeases gives back every lease of every connection. Like RequeueRunningJobs it is only
// for SQLite, at the start of the process that owns the database file: any lease is then held by a
// run that was killed, and would otherwise keep its connection from being pushed until it expired.
func (s *Store) ReleaseAllLeases(ctx context.Context) error {
	if s.d.name != DialectSQLite {
		return fmt.Errorf("store: releasing every lease is only safe on SQLite")
	}
	_, err := s.writer.ExecContext(ctx, `UPDATE accounting_connections SET push_lease_until = 0, refresh_lease_until = 0
	WHERE push_lease_until <> 0 OR refresh_lease_until <> 0`)
	if err != nil {
		return fmt.Errorf("store: release leases: %w", err)
	}
	return nil
}

func leaseColumn(lease string) (string, error) {
	switch lease {
	case LeaseRefresh:
		return "refresh_lease_until", nil
	case LeasePush:
		return "push_lease_until", nil
	}
	return "", fmt.Errorf("store: unknown lease %q", lease)
}

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
	Revenue bool `json:"revenue"`
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
		return json.Marshal(taxRateRow{t, t.Revenue})
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
	t.ID, t.EntityID, t.ConnectionID, t.CreatedAt, t.UpdatedAt, t.Revenue = id, entityID, connID, created, updated, r.Revenue
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

// activeOnly keeps what was pulled through the entity's active connection.
const activeOnly = "connection_id IN (SELECT id FROM accounting_connections WHERE active = 1)"

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

// AccountingTaxRate returns a tax rate the entity's active connection pulled, or ENOTFOUND.
func (s *Store) AccountingTaxRate(ctx context.Context, entityID, id string) (*booksync.AccountingTaxRate, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+pulledColumns+" FROM accounting_tax_rates WHERE entity_id = $1 AND id = $2 AND "+activeOnly, entityID, id)
	r, err := scanTaxRate(row)
	if err != nil {
		return nil, wrapRead("tax rate", mapNotFound(err, "Accounting tax rate"))
	}
	return &r, nil
}

// LedgerAccounts lists the ledger accounts pulled through the entity's active connection.
func (s *Store) LedgerAccounts(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.LedgerAccount], error) {
	return list(ctx, s.reader, s.d, ledgerAccountList, entityID, q)
}

// LedgerAccount returns a ledger account the entity's active connection pulled, or ENOTFOUND.
func (s *Store) LedgerAccount(ctx context.Context, entityID, id string) (*booksync.LedgerAccount, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+pulledColumns+" FROM ledger_accounts WHERE entity_id = $1 AND id = $2 AND "+activeOnly, entityID, id)
	a, err := scanLedgerAccount(row)
	if err != nil {
		return nil, wrapRead("ledger account", mapNotFound(err, "Ledger account"))
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

// SaveSandbox stores keys of a sandbox's namespace in one transaction, so that a sandbox's change
// is kept whole or not at all, as an accounting system's would be. A nil value removes its key.
func (s *Store) SaveSandbox(ctx context.Context, namespace string, values map[string][]byte) error {
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

// UpdateConnectionTx is UpdateConnection inside a transaction.
func (s *Store) UpdateConnectionTx(ctx context.Context, tx *sql.Tx, c *booksync.Connection) error {
	return s.updateConnection(ctx, tx, c)
}

// IssuedReceivableIDs returns the ids of the entity's invoices that are issued (or paid).
func (s *Store) IssuedReceivableIDs(ctx context.Context, tx *sql.Tx, entityID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM receivables WHERE entity_id = $1 AND status IN ($2, $3, $4) ORDER BY created_at, id",
		entityID, booksync.StatusIssued, booksync.StatusPartiallyPaid, booksync.StatusPaid)
	if err != nil {
		return nil, fmt.Errorf("store: issued receivables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// RequestSync records, inside tx, that a sync of the connection was asked for at t.
func (s *Store) RequestSync(ctx context.Context, tx *sql.Tx, id string, t time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE accounting_connections SET sync_requested_at = $1 WHERE id = $2", micros(t), id)
	if err != nil {
		return fmt.Errorf("store: request sync: %w", err)
	}
	return nil
}

// SyncRequestedSince reports, inside tx, whether a sync of the connection was asked for at or after t.
func (s *Store) SyncRequestedSince(ctx context.Context, tx *sql.Tx, id string, t time.Time) (bool, error) {
	var at int64
	if err := tx.QueryRowContext(ctx, "SELECT sync_requested_at FROM accounting_connections WHERE id = $1", id).Scan(&at); err != nil {
		return false, fmt.Errorf("store: sync requested: %w", err)
	}
	return at >= micros(t), nil
}
