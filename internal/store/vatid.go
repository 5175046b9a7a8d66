package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
)

// vatIDOwner checks, in tx, that the owner of a VAT id exists: the counterpart (not deleted) of the
// entity when counterpartID is set, else the entity itself.
func (s *Store) vatIDOwner(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, entityID, counterpartID string) error {
	if counterpartID == "" {
		return requireEntity(ctx, q, entityID)
	}
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM counterparts WHERE entity_id = $1 AND id = $2 AND deleted_at IS NULL",
		entityID, counterpartID).Scan(&one)
	return wrapRead("counterpart", mapNotFound(err, "counterpart"))
}

// requireEntity returns a NotFoundError for "entity" unless the entity exists, as q sees it.
func requireEntity(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, entityID string) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM entities WHERE id = $1", entityID).Scan(&one)
	return wrapRead("entity", mapNotFound(err, "entity"))
}

// CreateVatID stores a VAT id of the entity (v.EntityID) or, when v.CounterpartID is set, of that
// counterpart of the entity; a deleted or foreign counterpart gives a NotFoundError. An empty id is
// filled with a new UUID.
func (s *Store) CreateVatID(ctx context.Context, v *booksync.VatID) error {
	if v.ID == "" {
		v.ID = uuid.NewString()
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: create vat id: %w", err)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.vatIDOwner(ctx, tx, v.EntityID, v.CounterpartID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO vat_ids (id, entity_id, counterpart_id, data) VALUES ($1, $2, $3, $4)",
			v.ID, v.EntityID, v.CounterpartID, string(data))
		if err != nil {
			return fmt.Errorf("store: create vat id: %w", mapErr(err))
		}
		return nil
	})
}

// VatIDs returns the VAT ids of the entity (counterpartID empty) or of its counterpart, oldest
// first; a deleted or foreign counterpart gives a NotFoundError.
func (s *Store) VatIDs(ctx context.Context, entityID, counterpartID string) ([]booksync.VatID, error) {
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: vat ids: %w", err)
	}
	defer tx.Rollback()
	if err := s.vatIDOwner(ctx, tx, entityID, counterpartID); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT data FROM vat_ids WHERE entity_id = $1 AND counterpart_id = $2 ORDER BY seq",
		entityID, counterpartID)
	if err != nil {
		return nil, fmt.Errorf("store: vat ids: %w", err)
	}
	defer rows.Close()
	out := []booksync.VatID{}
	for rows.Next() {
		var data string
		var v booksync.VatID
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: vat ids: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("store: vat ids: decode: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: vat ids: %w", err)
	}
	return out, nil
}

// VatID returns one VAT id of the entity (counterpartID empty) or of its counterpart, or a
// NotFoundError ("VAT id") when it belongs to neither.
func (s *Store) VatID(ctx context.Context, entityID, counterpartID, id string) (*booksync.VatID, error) {
	var data string
	err := s.reader.QueryRowContext(ctx, "SELECT data FROM vat_ids WHERE entity_id = $1 AND counterpart_id = $2 AND id = $3",
		entityID, counterpartID, id).Scan(&data)
	if err != nil {
		return nil, wrapRead("VAT id", mapNotFound(err, "VAT id"))
	}
	var v booksync.VatID
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return nil, fmt.Errorf("store: vat id: decode: %w", err)
	}
	return &v, nil
}

// UpdateVatID replaces a VAT id's fields (matched by v.EntityID, v.CounterpartID and v.ID); a
// foreign id gives a NotFoundError.
func (s *Store) UpdateVatID(ctx context.Context, v *booksync.VatID) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: update vat id: %w", err)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, "VAT id", "update vat id",
			"UPDATE vat_ids SET data = $1 WHERE entity_id = $2 AND counterpart_id = $3 AND id = $4",
			string(data), v.EntityID, v.CounterpartID, v.ID)
	})
}

// DeleteVatID removes a VAT id of the entity (counterpartID empty) or of its counterpart; a
// foreign or already deleted id gives a NotFoundError.
func (s *Store) DeleteVatID(ctx context.Context, entityID, counterpartID, id string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, "VAT id", "delete vat id",
			"DELETE FROM vat_ids WHERE entity_id = $1 AND counterpart_id = $2 AND id = $3", entityID, counterpartID, id)
	})
}
