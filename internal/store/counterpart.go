package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
)

const counterpartColumns = "id, entity_id, created_at, updated_at, data"

func scanCounterpart(sc scanner, extra ...any) (booksync.Counterpart, error) {
	var c booksync.Counterpart
	var id, entityID, data string
	var created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &data)...); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return c, fmt.Errorf("decode counterpart %s: %w", id, err)
	}
	c.ID, c.EntityID = id, entityID
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

var counterpartList = listTable[booksync.Counterpart]{
	spec: booksync.CounterpartList, table: "counterparts", scope: "entity_id", where: "deleted_at IS NULL",
	lookups: []string{"counterpart_name"},
	columns: counterpartColumns, scan: scanCounterpart,
}

// counterpartFields returns the queryable columns of a counterpart: is_customer, is_vendor, email.
func counterpartFields(c *booksync.Counterpart) (isCustomer, isVendor int64, email string) {
	var vendor bool
	switch {
	case c.Organization != nil:
		vendor = c.Organization.IsVendor
	case c.Individual != nil:
		vendor = c.Individual.IsVendor
	}
	if e := c.Email(); e != nil {
		email = *e
	}
	return boolInt(c.IsCustomer()), boolInt(vendor), email
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateCounterpart stores a counterpart and, when addr is not nil, its first address, which
// becomes its default billing and shipping address (c is updated to say so), in one transaction.
// An empty address id is filled with a new UUID.
func (s *Store) CreateCounterpart(ctx context.Context, c *booksync.Counterpart, addr *booksync.CounterpartAddress) error {
	stamp(&c.CreatedAt, &c.UpdatedAt)
	if addr != nil {
		if addr.ID == "" {
			addr.ID = uuid.NewString()
		}
		addr.CounterpartID = c.ID
		id := addr.ID
		c.DefaultBillingAddressID, c.DefaultShippingAddressID = &id, &id
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: create counterpart: %w", err)
	}
	isCustomer, isVendor, email := counterpartFields(c)
	return s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO counterparts
		(id, entity_id, type, counterpart_name, is_customer, is_vendor, email, created_at, updated_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.ID, c.EntityID, c.Type, c.Name(), isCustomer, isVendor, email, micros(c.CreatedAt), micros(c.UpdatedAt), string(data))
		if err != nil {
			return fmt.Errorf("store: create counterpart: %w", mapErr(err))
		}
		if addr != nil {
			if err := insertAddress(ctx, tx, addr); err != nil {
				return err
			}
		}
		return s.addObjectEvent(ctx, tx, c.EntityID, booksync.EventObjectCounterpart, booksync.EventCreated, c.ID, c, c.CreatedAt)
	})
}

func insertAddress(ctx context.Context, tx *sql.Tx, a *booksync.CounterpartAddress) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: create counterpart address: %w", err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO counterpart_addresses (id, counterpart_id, data) VALUES ($1, $2, $3)",
		a.ID, a.CounterpartID, string(data))
	if err != nil {
		return fmt.Errorf("store: create counterpart address: %w", mapErr(err))
	}
	return nil
}

// Counterpart returns a counterpart of the entity that is not deleted, or a NotFoundError.
func (s *Store) Counterpart(ctx context.Context, entityID, id string) (*booksync.Counterpart, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+counterpartColumns+
		" FROM counterparts WHERE entity_id = $1 AND id = $2 AND deleted_at IS NULL", entityID, id)
	c, err := scanCounterpart(row)
	if err != nil {
		return nil, wrapRead("counterpart", mapNotFound(err, "counterpart"))
	}
	return &c, nil
}

// UpdateCounterpart replaces a counterpart's stored fields (matched by c.EntityID and c.ID); its
// creation time stays as stored. A deleted or foreign counterpart gives a NotFoundError.
func (s *Store) UpdateCounterpart(ctx context.Context, c *booksync.Counterpart) error {
	stamp(&c.CreatedAt, &c.UpdatedAt)
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: update counterpart: %w", err)
	}
	isCustomer, isVendor, email := counterpartFields(c)
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, "counterpart", "update counterpart", `UPDATE counterparts
		SET type = $1, counterpart_name = $2, is_customer = $3, is_vendor = $4, email = $5, updated_at = $6, data = $7
		WHERE entity_id = $8 AND id = $9 AND deleted_at IS NULL`,
			c.Type, c.Name(), isCustomer, isVendor, email, micros(c.UpdatedAt), string(data), c.EntityID, c.ID); err != nil {
			return err
		}
		return s.addObjectEvent(ctx, tx, c.EntityID, booksync.EventObjectCounterpart, booksync.EventUpdated, c.ID, c, c.UpdatedAt)
	})
}

// DeleteCounterpart marks a counterpart deleted; invoices that name it keep their copy of it.
// Deleting it again, or another entity's, gives a NotFoundError.
func (s *Store) DeleteCounterpart(ctx context.Context, entityID, id string, at time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, "counterpart", "delete counterpart",
			"UPDATE counterparts SET deleted_at = $1 WHERE entity_id = $2 AND id = $3 AND deleted_at IS NULL",
			micros(at), entityID, id); err != nil {
			return err
		}
		return s.addObjectEvent(ctx, tx, entityID, booksync.EventObjectCounterpart, booksync.EventDeleted, id, map[string]string{"id": id}, at)
	})
}

// Counterparts lists the entity's counterparts that are not deleted.
func (s *Store) Counterparts(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Counterpart], error) {
	return list(ctx, s.reader, s.d, counterpartList, entityID, q)
}

// CreateCounterpartAddress adds an address to a counterpart of the entity (a.CounterpartID); a
// deleted or foreign counterpart gives a NotFoundError. An empty address id is filled with a new UUID.
func (s *Store) CreateCounterpartAddress(ctx context.Context, entityID string, a *booksync.CounterpartAddress) error {
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM counterparts WHERE entity_id = $1 AND id = $2 AND deleted_at IS NULL"+s.d.forUpdate,
			entityID, a.CounterpartID).Scan(&one)
		if err != nil {
			return wrapRead("counterpart", mapNotFound(err, "counterpart"))
		}
		return insertAddress(ctx, tx, a)
	})
}

// CounterpartAddresses returns the addresses of a counterpart of the entity, oldest first; a
// deleted or foreign counterpart gives a NotFoundError.
func (s *Store) CounterpartAddresses(ctx context.Context, entityID, counterpartID string) ([]booksync.CounterpartAddress, error) {
	// One statement, so that the existence check and the list see the same snapshot: the
	// counterpart's row, then one row per address (none: a NULL address).
	rows, err := s.reader.QueryContext(ctx, `SELECT a.data FROM counterparts c
	LEFT JOIN counterpart_addresses a ON a.counterpart_id = c.id
	WHERE c.entity_id = $1 AND c.id = $2 AND c.deleted_at IS NULL ORDER BY a.seq`, entityID, counterpartID)
	if err != nil {
		return nil, fmt.Errorf("store: counterpart addresses: %w", err)
	}
	defer rows.Close()
	found, out := false, []booksync.CounterpartAddress{}
	for rows.Next() {
		found = true
		var data sql.NullString
		var a booksync.CounterpartAddress
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: counterpart addresses: %w", err)
		}
		if !data.Valid {
			continue // the counterpart has no address
		}
		if err := json.Unmarshal([]byte(data.String), &a); err != nil {
			return nil, fmt.Errorf("store: counterpart addresses: decode: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: counterpart addresses: %w", err)
	}
	if !found {
		return nil, notFound("counterpart")
	}
	return out, nil
}

// CounterpartWithAddresses returns a counterpart of the entity that is not deleted and its
// addresses, oldest first, in one query; else a NotFoundError. Counterpart and
// CounterpartAddresses give the same, in two.
func (s *Store) CounterpartWithAddresses(ctx context.Context, entityID, id string) (*booksync.Counterpart, []booksync.CounterpartAddress, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT c.id, c.entity_id, c.created_at, c.updated_at, c.data, a.data
	FROM counterparts c LEFT JOIN counterpart_addresses a ON a.counterpart_id = c.id
	WHERE c.entity_id = $1 AND c.id = $2 AND c.deleted_at IS NULL ORDER BY a.seq`, entityID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("store: counterpart: %w", err)
	}
	defer rows.Close()
	var c *booksync.Counterpart
	addrs := []booksync.CounterpartAddress{}
	for rows.Next() {
		var cid, cEntity string
		var created, updated int64
		var cData sql.RawBytes // the counterpart's, the same on every row: decoded from the first
		var aData sql.NullString
		if err := rows.Scan(&cid, &cEntity, &created, &updated, &cData, &aData); err != nil {
			return nil, nil, fmt.Errorf("store: counterpart: %w", err)
		}
		if c == nil {
			c = &booksync.Counterpart{}
			if err := json.Unmarshal(cData, c); err != nil {
				return nil, nil, fmt.Errorf("store: decode counterpart %s: %w", cid, err)
			}
			c.ID, c.EntityID = cid, cEntity
			c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		}
		if !aData.Valid {
			continue // the counterpart has no address
		}
		var a booksync.CounterpartAddress
		if err := json.Unmarshal([]byte(aData.String), &a); err != nil {
			return nil, nil, fmt.Errorf("store: counterpart addresses: decode: %w", err)
		}
		addrs = append(addrs, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: counterpart: %w", err)
	}
	if c == nil {
		return nil, nil, notFound("counterpart")
	}
	return c, addrs, nil
}
