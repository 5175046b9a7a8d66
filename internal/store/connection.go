package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/booksync/booksync"
)

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

// CreateConnection stores a new connection of c.EntityID, in its status (pending_auth, with the
// hash of its OAuth state, or connected, for local books), and its events. An entity with an
// active connection gives ErrActiveConnection.
func (s *Store) CreateConnection(ctx context.Context, c *booksync.Connection, stateHash string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error { return s.CreateConnectionTx(ctx, tx, c, stateHash) })
}

// CreateConnectionTx is CreateConnection inside a transaction. It first moves the entity's
// connection epoch on, which locks the entity's counters until tx ends: an issue of the entity that read
// no connection before tx commits then runs again (see FinishIssueTx), or, if it took its number
// first, commits before tx goes on, so that a look for invoices issued before the connection that
// follows tx finds it.
func (s *Store) CreateConnectionTx(ctx context.Context, tx *sql.Tx, c *booksync.Connection, stateHash string) error {
	data, err := connectionData(c)
	if err != nil {
		return fmt.Errorf("store: create connection: %w", err)
	}
	res, err := tx.ExecContext(ctx, "UPDATE entity_counters SET connection_epoch = connection_epoch + 1 WHERE entity_id = $1", c.EntityID)
	if err != nil {
		return fmt.Errorf("store: create connection: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("store: create connection: %w", err)
		}
		return notFound("entity")
	}
	// The connection and its events (its creation, and its status when it was created connected)
	// commit together.
	_, err = tx.ExecContext(ctx, `INSERT INTO accounting_connections
	(id, entity_id, platform, status, active, state_hash, tenant_id, next_sync_at, created_at, updated_at, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.EntityID, c.Platform, c.Status, boolInt(c.IsActive()), stateHash, c.TenantID, micros(c.NextSyncAt),
		micros(c.CreatedAt), micros(c.UpdatedAt), data)
	if isUniqueViolation(err) {
		return ErrActiveConnection
	} else if err != nil {
		return fmt.Errorf("store: create connection: %w", err)
	}
	if err := s.addConnectionEvent(ctx, tx, c, booksync.EventCreated); err != nil {
		return err
	}
	if c.Status == booksync.ConnectionConnected {
		return s.addConnectionEvent(ctx, tx, c, booksync.EventConnected)
	}
	return nil
}

// UpdateConnection writes a connection's status, tenant, schedule and data. Disconnecting frees
// the entity to connect again.
func (s *Store) UpdateConnection(ctx context.Context, c *booksync.Connection) error {
	return s.InTx(ctx, func(tx *sql.Tx) error { return s.updateConnection(ctx, tx, c) })
}

// updateConnection writes c and, when its status changed to connected, disconnected or
// deauthorized, the event that says so.
func (s *Store) updateConnection(ctx context.Context, db *sql.Tx, c *booksync.Connection) error {
	data, err := connectionData(c)
	if err != nil {
		return fmt.Errorf("store: update connection: %w", err)
	}
	var before string
	if err := db.QueryRowContext(ctx, "SELECT status FROM accounting_connections WHERE id = $1"+s.d.forUpdate, c.ID).Scan(&before); err != nil {
		return wrapRead("connection", mapNotFound(err, "accounting connection"))
	}
	if before != c.Status {
		switch c.Status {
		case booksync.ConnectionConnected, booksync.ConnectionDisconnected, booksync.ConnectionDeauthorized:
			if err := s.addConnectionEvent(ctx, db, c, c.Status); err != nil {
				return err
			}
		}
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
		return notFound("accounting connection")
	}
	return nil
}

// Connection returns a connection of the entity, or a NotFoundError.
func (s *Store) Connection(ctx context.Context, entityID, id string) (*booksync.Connection, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE entity_id = $1 AND id = $2", entityID, id)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "accounting connection"))
	}
	return &c, nil
}

// ConnectionByID returns any connection by id, for the sync engine, or a NotFoundError. It reads from
// the writer, so that a job sees what the transaction that queued it wrote.
func (s *Store) ConnectionByID(ctx context.Context, id string) (*booksync.Connection, error) {
	row := s.writer.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE id = $1", id)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "accounting connection"))
	}
	return &c, nil
}

// PartnerTenants returns the organisations (Xero tenants, QuickBooks realms) on a platform that the
// partner's entities connected, disconnected connections included: the built-in sandboxes show a
// partner those and no others.
func (s *Store) PartnerTenants(ctx context.Context, partnerID, platform string) ([]string, error) {
	ids, err := queryStrings(ctx, s.reader, `SELECT DISTINCT c.tenant_id FROM accounting_connections c
	JOIN entities e ON e.id = c.entity_id
	WHERE e.partner_id = $1 AND c.platform = $2 AND c.tenant_id <> ''`, partnerID, platform)
	if err != nil {
		return nil, fmt.Errorf("partner tenants: %w", err)
	}
	return ids, nil
}

// ConnectionByState returns the pending connection whose OAuth state has this hash, or a NotFoundError.
func (s *Store) ConnectionByState(ctx context.Context, stateHash string) (*booksync.Connection, error) {
	if stateHash == "" {
		return nil, notFound("accounting connection")
	}
	row := s.writer.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE state_hash = $1", stateHash)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "accounting connection"))
	}
	return &c, nil
}

// ActiveConnection returns the entity's active connection, or a NotFoundError.
func (s *Store) ActiveConnection(ctx context.Context, entityID string) (*booksync.Connection, error) {
	return activeConnection(ctx, s.reader, entityID, "")
}

// activeConnection reads the entity's active connection through db, its query ending with lock.
func activeConnection(ctx context.Context, db querier, entityID, lock string) (*booksync.Connection, error) {
	row := db.QueryRowContext(ctx, "SELECT "+connectionColumns+" FROM accounting_connections WHERE entity_id = $1 AND active = 1"+lock, entityID)
	c, err := scanConnection(row)
	if err != nil {
		return nil, wrapRead("connection", mapNotFound(err, "accounting connection"))
	}
	return &c, nil
}

// ActiveConnectionTx is ActiveConnection inside a transaction, for the invoicing service, which
// decides from it whether what it writes in tx gets a record and a push. A connection that is not
// connected yet (pending_auth) is held until tx ends: the OAuth callback that connects it waits for
// tx, and then finds what tx wrote. So an invoice issued while its entity connects to Xero or
// QuickBooks is either pushed (its issue read the connection connected) or found by the connect's
// look for invoices issued before it, never neither. (SQLite runs one write transaction at a time,
// which gives the same.)
//
// Only a connection that is not connected yet is held. Its row's other writes (the OAuth tokens,
// an OAuth error, a disconnect) wait for tx too, and none of them holds anything tx waits for. An
// entity with no connection has no row to hold; a connection created after tx read that there was
// none is caught when tx takes its number instead (FinishIssueTx's noConnection): local books
// (GnuCash) are connected as their connection is created.
func (s *Store) ActiveConnectionTx(ctx context.Context, tx *sql.Tx, entityID string) (*booksync.Connection, error) {
	c, err := activeConnection(ctx, tx, entityID, "")
	if err != nil || c.Status != booksync.ConnectionPendingAuth || s.d.forShare == "" {
		return c, err
	}
	// Read again with the row held, as it is once held: a connect that began meanwhile has ended.
	return activeConnection(ctx, tx, entityID, s.d.forShare)
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
	ids, err := queryStrings(ctx, tx, `SELECT id FROM accounting_connections WHERE status = $1 AND next_sync_at <= $2
	ORDER BY next_sync_at`+s.d.forUpdate, booksync.ConnectionConnected, micros(now))
	if err != nil {
		return nil, fmt.Errorf("due connections: %w", err)
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
// gets ErrTokenChanged and should re-read the token another process stored.
func (s *Store) SetConnectionToken(ctx context.Context, id, sealed string, expectVersion int64) (int64, error) {
	res, err := s.writer.ExecContext(ctx, `UPDATE accounting_connections SET token = $1, token_version = token_version + 1
	WHERE id = $2 AND token_version = $3`, sealed, id, expectVersion)
	if err != nil {
		return 0, fmt.Errorf("store: set token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, ErrTokenChanged
	}
	return expectVersion + 1, nil
}

// ConnectionToken returns a connection's sealed token and its version.
func (s *Store) ConnectionToken(ctx context.Context, id string) (string, int64, error) {
	var sealed string
	var version int64
	err := s.writer.QueryRowContext(ctx, "SELECT token, token_version FROM accounting_connections WHERE id = $1", id).Scan(&sealed, &version)
	if err != nil {
		return "", 0, wrapRead("token", mapNotFound(err, "accounting connection"))
	}
	return sealed, version, nil
}

// UpdateConnectionTx is UpdateConnection inside a transaction.
func (s *Store) UpdateConnectionTx(ctx context.Context, tx *sql.Tx, c *booksync.Connection) error {
	return s.updateConnection(ctx, tx, c)
}

// RequestSync records, inside tx, that a sync of the connection was asked for at t.
func (s *Store) RequestSync(ctx context.Context, tx *sql.Tx, id string, t time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE accounting_connections SET sync_requested_at = $1 WHERE id = $2", micros(t), id)
	if err != nil {
		return fmt.Errorf("store: request sync: %w", err)
	}
	return nil
}

// PullCursor returns where the last pull of the connection's changes stopped: the cursor its
// connector returned, "" before the first pull.
func (s *Store) PullCursor(ctx context.Context, id string) (string, error) {
	var cursor string
	err := s.reader.QueryRowContext(ctx, "SELECT pull_cursor FROM accounting_connections WHERE id = $1", id).Scan(&cursor)
	if err != nil {
		return "", wrapRead("connection", mapNotFound(err, "connection"))
	}
	return cursor, nil
}

// SetPullCursorTx stores, inside the transaction that applies the changes it covers, where the
// connection's pull stopped.
func (s *Store) SetPullCursorTx(ctx context.Context, tx *sql.Tx, id, cursor string) error {
	res, err := tx.ExecContext(ctx, "UPDATE accounting_connections SET pull_cursor = $1 WHERE id = $2", cursor, id)
	if err != nil {
		return fmt.Errorf("store: set pull cursor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("connection")
	}
	return nil
}
