package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/booksync/booksync"
)

const paymentColumns = "id, entity_id, created_at, updated_at, source, connection_id, ledger_id, data"

func scanPayment(sc scanner, extra ...any) (booksync.PaymentRecord, error) {
	var p booksync.PaymentRecord
	var id, entityID, source, connID, ledgerID, data string
	var created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &source, &connID, &ledgerID, &data)...); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, fmt.Errorf("decode payment record %s: %w", id, err)
	}
	p.ID, p.EntityID = id, entityID
	p.Source, p.ConnectionID, p.LedgerID = source, connID, ledgerID
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, nil
}

var paymentList = listTable[booksync.PaymentRecord]{
	spec: booksync.PaymentRecordList, table: "payment_records", scope: "entity_id",
	lookups: []string{"object_id"},
	columns: paymentColumns, scan: scanPayment,
}

// CreatePaymentRecordTx stores, inside tx, a payment record of p.EntityID for the invoice
// p.Object.ID, which must be an invoice of the same entity (else ENOTFOUND). For a succeeded payment
// with an apply function it calls apply with the invoice as stored and stores the invoice apply
// returns; an error from apply is returned as it is. It returns the invoice as the payment left it.
func (s *Store) CreatePaymentRecordTx(ctx context.Context, tx *sql.Tx, p *booksync.PaymentRecord,
	apply func(booksync.Receivable) (booksync.Receivable, error)) (*booksync.Receivable, error) {
	stamp(&p.CreatedAt, &p.UpdatedAt)
	normPtr(p.PaidAt)
	for i := range p.History {
		p.History[i].Timestamp = norm(p.History[i].Timestamp)
	}
	r, err := s.ReceivableTx(ctx, tx, p.EntityID, p.Object.ID)
	if err != nil {
		return nil, err
	}
	if p.Status == booksync.PaymentStatusSucceeded && apply != nil {
		updated, err := apply(*r)
		if err != nil {
			return nil, err
		}
		// The row is locked (or the writer is exclusive), so the version read above is current;
		// the invoice's identity is not apply's to change.
		updated.ID, updated.EntityID, updated.Version = r.ID, r.EntityID, r.Version
		if err := s.UpdateReceivableTx(ctx, tx, &updated); err != nil {
			return nil, err
		}
		r = &updated
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("store: create payment record: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO payment_records
	(id, entity_id, object_id, status, is_external, amount, paid_at, created_at, updated_at, data, source, connection_id, ledger_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		p.ID, p.EntityID, p.Object.ID, p.Status, boolInt(p.IsExternal), p.Amount, microsOrZero(p.PaidAt),
		micros(p.CreatedAt), micros(p.UpdatedAt), string(data), p.Source, p.ConnectionID, p.LedgerID)
	if err != nil {
		return nil, fmt.Errorf("store: create payment record: %w", mapErr(err))
	}
	return r, nil
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

// PaymentRecordTx reads a payment record of the entity inside a write transaction, locking its row
// on PostgreSQL, or returns a NotFoundError.
func (s *Store) PaymentRecordTx(ctx context.Context, tx *sql.Tx, entityID, id string) (*booksync.PaymentRecord, error) {
	row := tx.QueryRowContext(ctx, "SELECT "+paymentColumns+" FROM payment_records WHERE entity_id = $1 AND id = $2"+s.d.forUpdate,
		entityID, id)
	p, err := scanPayment(row)
	if err != nil {
		return nil, wrapRead("payment record", mapNotFound(err, "payment record"))
	}
	return &p, nil
}

// UpdatePaymentRecordTx stores a payment record's new status, paid time, update time and data
// inside tx; its invoice, amount and creation time stay as stored. An unknown or foreign payment
// record gives a NotFoundError.
func (s *Store) UpdatePaymentRecordTx(ctx context.Context, tx *sql.Tx, p *booksync.PaymentRecord) error {
	stamp(&p.CreatedAt, &p.UpdatedAt)
	normPtr(p.PaidAt)
	for i := range p.History {
		p.History[i].Timestamp = norm(p.History[i].Timestamp)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: update payment record: %w", err)
	}
	return execOne(ctx, tx, "payment record", "update payment record",
		"UPDATE payment_records SET status = $1, paid_at = $2, updated_at = $3, data = $4 WHERE id = $5 AND entity_id = $6",
		p.Status, microsOrZero(p.PaidAt), micros(p.UpdatedAt), string(data), p.ID, p.EntityID)
}

// PaymentRecords lists the entity's payment records.
func (s *Store) PaymentRecords(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.PaymentRecord], error) {
	return list(ctx, s.reader, s.d, paymentList, entityID, q)
}

// PaymentRecordsOfTx returns, inside tx and oldest first, the payment records of an invoice of
// the entity.
func (s *Store) PaymentRecordsOfTx(ctx context.Context, tx *sql.Tx, entityID, invoiceID string) ([]booksync.PaymentRecord, error) {
	return queryAll(ctx, tx, scanPayment, paymentsOfSQL(s.d), entityID, invoiceID)
}

// paymentsOfSQL reads the payments of an invoice ($2) of an entity ($1), oldest first: through
// their index, sorted afterwards (see dialect.sortOnly).
func paymentsOfSQL(d dialect) string {
	return "SELECT " + paymentColumns + ` FROM payment_records
	WHERE entity_id = $1 AND object_id = $2 ORDER BY ` + d.sortOnly + `created_at, ` + d.sortOnly + `id`
}
