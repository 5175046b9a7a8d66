package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/booksync/booksync"
)

const entityColumns = "id, partner_id, created_at, updated_at, data"

func scanEntity(sc scanner, extra ...any) (booksync.Entity, error) {
	var e booksync.Entity
	var created, updated int64
	var data string
	var partnerID, id string
	if err := sc.Scan(append(extra, &id, &partnerID, &created, &updated, &data)...); err != nil {
		return e, err
	}
	return decodeEntity(id, partnerID, created, updated, data)
}

// decodeEntity makes an entity of its row's columns.
func decodeEntity(id, partnerID string, created, updated int64, data string) (booksync.Entity, error) {
	var e booksync.Entity
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return e, fmt.Errorf("decode entity %s: %w", id, err)
	}
	e.ID, e.PartnerID = id, partnerID
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return e, nil
}

var entityList = listTable[booksync.Entity]{
	spec: booksync.EntityList, table: "entities", scope: "partner_id", columns: entityColumns, scan: scanEntity,
}

func entityRow(e *booksync.Entity) (email, data string, err error) {
	stamp(&e.CreatedAt, &e.UpdatedAt)
	if e.Email != nil {
		email = *e.Email
	}
	b, err := json.Marshal(e)
	return email, string(b), err
}

// CreateEntity stores a new entity of e.PartnerID with its initial settings. Zero times become
// now; times are kept to the microsecond, and e is updated to match what is stored.
func (s *Store) CreateEntity(ctx context.Context, e *booksync.Entity, st booksync.Settings) error {
	email, data, err := entityRow(e)
	if err != nil {
		return fmt.Errorf("store: create entity: %w", err)
	}
	settings, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: create entity: encode settings: %w", err)
	}
	// The entity and its counters' row (see migration 0011) commit together.
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO entities
		(id, partner_id, type, status, email, created_at, updated_at, data, settings)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			e.ID, e.PartnerID, e.Type, e.Status, email, micros(e.CreatedAt), micros(e.UpdatedAt), data, string(settings))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO entity_counters (entity_id) VALUES ($1)", e.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create entity: %w", mapErr(err))
	}
	return nil
}

// Entity returns an entity of the partner, or a NotFoundError.
func (s *Store) Entity(ctx context.Context, partnerID, id string) (*booksync.Entity, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+entityColumns+" FROM entities WHERE partner_id = $1 AND id = $2",
		partnerID, id)
	e, err := scanEntity(row)
	if err != nil {
		return nil, wrapRead("entity", mapNotFound(err, "entity"))
	}
	return &e, nil
}

// EntityByID returns any entity by id, for the sync engine, or a NotFoundError.
func (s *Store) EntityByID(ctx context.Context, id string) (*booksync.Entity, error) {
	row := s.writer.QueryRowContext(ctx, "SELECT "+entityColumns+" FROM entities WHERE id = $1", id)
	e, err := scanEntity(row)
	if err != nil {
		return nil, wrapRead("entity", mapNotFound(err, "entity"))
	}
	return &e, nil
}

// UpdateEntity replaces an entity's stored fields, matched by e.PartnerID and e.ID; its creation
// time stays as stored. Another partner's entity gives a NotFoundError.
func (s *Store) UpdateEntity(ctx context.Context, e *booksync.Entity) error {
	email, data, err := entityRow(e)
	if err != nil {
		return fmt.Errorf("store: update entity: %w", err)
	}
	defer s.auth.changed() // whatever the outcome: the update may have committed
	return execOne(ctx, s.writer, "entity", "update entity", `UPDATE entities
	SET type = $1, status = $2, email = $3, updated_at = $4, data = $5
	WHERE partner_id = $6 AND id = $7`,
		e.Type, e.Status, email, micros(e.UpdatedAt), data, e.PartnerID, e.ID)
}

// Entities lists the partner's entities.
func (s *Store) Entities(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.Entity], error) {
	return list(ctx, s.reader, s.d, entityList, partnerID, q)
}

// Settings returns an entity's settings, or a NotFoundError.
func (s *Store) Settings(ctx context.Context, entityID string) (booksync.Settings, error) {
	var raw string
	err := s.reader.QueryRowContext(ctx, "SELECT settings FROM entities WHERE id = $1", entityID).Scan(&raw)
	if err != nil {
		return booksync.Settings{}, wrapRead("settings", mapNotFound(err, "entity"))
	}
	return SettingsJSON{entityID: entityID, raw: raw}.Decode()
}

// settingsTx reads an entity's settings inside a write transaction.
func settingsTx(ctx context.Context, tx *sql.Tx, entityID string) (booksync.Settings, error) {
	var raw string
	err := tx.QueryRowContext(ctx, "SELECT settings FROM entities WHERE id = $1", entityID).Scan(&raw)
	if err != nil {
		return booksync.Settings{}, wrapRead("settings", mapNotFound(err, "entity"))
	}
	return SettingsJSON{entityID: entityID, raw: raw}.Decode()
}

// SettingsJSON is an entity's settings as its row holds them, read with the entity by
// TokenEntity and decoded only by Decode, for the requests that use them.
type SettingsJSON struct {
	entityID string
	raw      string
}

// Decode returns the settings.
func (j SettingsJSON) Decode() (booksync.Settings, error) {
	var st booksync.Settings
	if err := json.Unmarshal([]byte(j.raw), &st); err != nil {
		return st, fmt.Errorf("store: decode settings of entity %s: %w", j.entityID, err)
	}
	return st, nil
}

// UpdateSettings replaces an entity's settings; an unknown entity gives a NotFoundError.
func (s *Store) UpdateSettings(ctx context.Context, entityID string, st booksync.Settings) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: update settings: encode: %w", err)
	}
	defer s.auth.changed() // whatever the outcome: the update may have committed
	return execOne(ctx, s.writer, "entity", "update settings",
		"UPDATE entities SET settings = $1 WHERE id = $2", string(b), entityID)
}
