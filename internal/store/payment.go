package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/booksync/booksync"
)

const paymentColumns = "id, entity_id, created_at, updated_at, data"

func scanPayment(sc scanner, extra ...any) (booksync.PaymentRecord, error) {
	var p booksync.PaymentRecord
	var id, entityID, data string
	var created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &data)...); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, fmt.Errorf("decode payment record %s: %w", id, err)
	}
	p.ID, p.EntityID = id, entityID
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, nil
}

var paymentList = listTable[booksync.PaymentRecord]{
	spec: booksync.PaymentRecordList, table: "payment_records", scope: "entity_id",
	columns: paymentColumns, scan: scanPayment,
}

// CreatePaymentRecord stores a payment record of p.EntityID for the invoice p.Object.ID, which must
// be an invoice of the same entity (else ENOTFOUND). For a succeeded payment it loads the invoice,
// calls apply, and stores the invoice apply returns, all in one transaction: an error from apply
// is returned as it is, and nothing is written.
func (s *Store) CreatePaymentRecord(ctx context.Context, p *booksync.PaymentRecord,
	apply func(booksync.Receivable) (booksync.Receivable, error)) error {
	stamp(&p.CreatedAt, &p.UpdatedAt)
	normPtr(p.PaidAt)
	for i := range p.History {
		p.History[i].Timestamp = norm(p.History[i].Timestamp)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		r, err := s.receivableTx(ctx, tx, p.EntityID, p.Object.ID)
		if err != nil {
			return err
		}
		applied := false
		if p.Status == booksync.PaymentStatusSucceeded && apply != nil {
			updated, err := apply(*r)
			if err != nil {
				return err
			}
			// The row is locked (or the writer is exclusive), so the version read above is current;
			// the invoice's identity is not apply's to change.
			updated.ID, updated.EntityID, updated.Version = r.ID, r.EntityID, r.Version
			if err := s.writeReceivable(ctx, tx, &updated); err != nil {
				return err
			}
			r, applied = &updated, true
		}
		data, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("store: create payment record: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO payment_records
		(id, entity_id, object_id, status, is_external, amount, paid_at, created_at, updated_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p.ID, p.EntityID, p.Object.ID, p.Status, boolInt(p.IsExternal), p.Amount, microsOrZero(p.PaidAt),
			micros(p.CreatedAt), micros(p.UpdatedAt), string(data))
		if err != nil {
			return fmt.Errorf("store: create payment record: %w", mapErr(err))
		}
		if applied && s.opts.OnPayment != nil {
			return s.opts.OnPayment(ctx, tx, p, r)
		}
		return nil
	})
}

// PaymentRecord returns a payment record of the entity, or a NotFoundError.
func (s *Store) PaymentRecord(ctx context.Context, entityID, id string) (*booksync.PaymentRecord, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+paymentColumns+" FROM payment_records WHERE entity_id = $1 AND id = $2",
		entityID, id)
	p, err := scanPayment(row)
	if err != nil {
		return nil, wrapRead("payment record", mapNotFound(err, "payment record"))
	}
	return &p, nil
}

// PaymentRecords lists the entity's payment records.
func (s *Store) PaymentRecords(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.PaymentRecord], error) {
	return list(ctx, s.reader, s.d, paymentList, entityID, q)
}
