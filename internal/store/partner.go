package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync"
)

// CreatePartner stores an API client with the SHA-256 hash of its secret; for a partner id already
// in use it replaces the secret hash.
func (s *Store) CreatePartner(ctx context.Context, p booksync.Partner, secretHash []byte) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	_, err := s.writer.ExecContext(ctx,
		`INSERT INTO partners (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`,
		p.ID, p.Name, secretHash, micros(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create partner: %w", mapErr(err))
	}
	return nil
}

// PartnerSecretHash returns the stored secret hash of a partner, or a NotFoundError.
func (s *Store) PartnerSecretHash(ctx context.Context, partnerID string) ([]byte, error) {
	var hash []byte
	err := s.reader.QueryRowContext(ctx, "SELECT secret_hash FROM partners WHERE id = $1", partnerID).Scan(&hash)
	if err != nil {
		return nil, wrapRead("partner secret", mapNotFound(err, "partner"))
	}
	return hash, nil
}

// CountPartners returns how many API clients exist.
func (s *Store) CountPartners(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM partners").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count partners: %w", err)
	}
	return n, nil
}

// FirstPartnerID returns the id of the API client created first (the one `booksync serve` made or
// was configured with at its first start), or "" when there is none.
func (s *Store) FirstPartnerID(ctx context.Context) (string, error) {
	var id string
	err := s.reader.QueryRowContext(ctx, "SELECT id FROM partners ORDER BY created_at, id LIMIT 1").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: first partner: %w", err)
	}
	return id, nil
}

// CreateToken stores the SHA-256 hash of a bearer token of a partner.
func (s *Store) CreateToken(ctx context.Context, tokenHash []byte, partnerID string, expiresAt time.Time) error {
	_, err := s.writer.ExecContext(ctx,
		"INSERT INTO access_tokens (token_hash, partner_id, expires_at, revoked) VALUES ($1, $2, $3, 0)",
		tokenHash, partnerID, micros(expiresAt))
	if err != nil {
		return fmt.Errorf("store: create token: %w", mapErr(err))
	}
	return nil
}

// TokenPartner returns the partner of a token that expires after now and is not revoked, or
// a NotFoundError.
func (s *Store) TokenPartner(ctx context.Context, tokenHash []byte, now time.Time) (string, error) {
	var partnerID string
	err := s.reader.QueryRowContext(ctx,
		"SELECT partner_id FROM access_tokens WHERE token_hash = $1 AND revoked = 0 AND expires_at > $2",
		tokenHash, micros(now)).Scan(&partnerID)
	if err != nil {
		return "", wrapRead("token", mapNotFound(err, "token"))
	}
	return partnerID, nil
}

// TokenEntity reads, in one query, what an entity-scoped API request needs first: the partner of
// a token that expires after now and is not revoked, and that partner's entity entityID with its
// settings as stored (decoded only by the requests that use them). A token that is not valid gives
// a NotFoundError for "token"; an entity that does not exist or is another partner's gives the
// token's partner and a NotFoundError for "entity", as Entity does.
//
// What it finds it keeps for a few seconds, until the token or the entity changes (see authCache),
// so that a client's requests do not each read them again.
func (s *Store) TokenEntity(ctx context.Context, tokenHash []byte, now time.Time, entityID string) (string, *booksync.Entity, SettingsJSON, error) {
	key := authKey{token: string(tokenHash), entity: entityID}
	if r, ok := s.auth.get(key, micros(now)); ok {
		return r.result(entityID)
	}
	s.startAuthListener()
	gen := s.auth.generation()
	var partnerID string
	var id, entityPartner, data, settings sql.NullString
	var expires int64
	var created, updated sql.NullInt64
	err := s.reader.QueryRowContext(ctx, `SELECT t.partner_id, t.expires_at, e.id, e.partner_id, e.created_at, e.updated_at, e.data, e.settings
	FROM access_tokens t LEFT JOIN entities e ON e.partner_id = t.partner_id AND e.id = $3
	WHERE t.token_hash = $1 AND t.revoked = 0 AND t.expires_at > $2`,
		tokenHash, micros(now), entityID).Scan(&partnerID, &expires, &id, &entityPartner, &created, &updated, &data, &settings)
	if err != nil {
		return "", nil, SettingsJSON{}, wrapRead("token", mapNotFound(err, "token"))
	}
	if !id.Valid {
		return partnerID, nil, SettingsJSON{}, notFound("entity")
	}
	e, err := decodeEntity(entityID, entityPartner.String, created.Int64, updated.Int64, data.String)
	if err != nil {
		return partnerID, nil, SettingsJSON{}, fmt.Errorf("store: read entity: %w", err)
	}
	r := authRow{partnerID: partnerID, settings: settings.String, entity: &e, dataLen: len(data.String),
		expires: expires, read: time.Now()}
	s.auth.put(key, r, gen)
	return r.result(entityID)
}

// result returns what TokenEntity returns for the row r of entity entityID, with a copy of its
// entity that the caller may change.
func (r authRow) result(entityID string) (string, *booksync.Entity, SettingsJSON, error) {
	return r.partnerID, r.entity.Clone(), SettingsJSON{entityID: entityID, raw: r.settings}, nil
}

// RevokeToken revokes a token of the partner; revoking an unknown token, or another partner's, is
// not an error and changes nothing.
func (s *Store) RevokeToken(ctx context.Context, tokenHash []byte, partnerID string) error {
	_, err := s.writer.ExecContext(ctx,
		"UPDATE access_tokens SET revoked = 1 WHERE token_hash = $1 AND partner_id = $2", tokenHash, partnerID)
	s.auth.changed() // whatever the outcome: the update may have committed
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	return nil
}

// wrapRead passes the store's typed errors through as they are (those whose code is not EINTERNAL,
// such as a *NotFoundError), so that callers can tell them apart, and wraps any other error with
// what was being read.
func wrapRead(what string, err error) error {
	if booksync.ErrorCode(err) != booksync.EINTERNAL {
		return err
	}
	return fmt.Errorf("store: read %s: %w", what, err)
}

// execOne runs a statement that must change exactly one row, and returns notFound(object) when it
// changed none.
func execOne(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, object, op, query string, args ...any) error {
	res, err := ex.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return notFound(object)
	}
	return nil
}
