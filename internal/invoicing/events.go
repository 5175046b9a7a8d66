package invoicing

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/booksync/booksync"
)

// addEvent writes, inside tx, the event that an invoice or a payment changed, so that the
// platform hears of the change exactly when it commits.
func (s *Service) addEvent(ctx context.Context, tx *sql.Tx, entityID, objectType, eventType, objectID string, object any, at time.Time, description string) error {
	ev, err := booksync.NewEvent(entityID, objectType, eventType, objectID, object, description)
	if err != nil {
		return err
	}
	ev.CreatedAt = at
	return s.store.AddEventTx(ctx, tx, ev)
}

// receivableEvent writes the event of an invoice's new status.
func (s *Service) receivableEvent(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, eventType string, at time.Time) error {
	doc := r.ID
	if r.DocumentID != nil && *r.DocumentID != "" {
		doc = *r.DocumentID
	}
	return s.addEvent(ctx, tx, r.EntityID, booksync.EventObjectReceivable, eventType, r.ID, r, at,
		fmt.Sprintf("Invoice %s is %s.", doc, r.Status))
}

// paymentEvents writes the event of a new payment record and, when it changed its invoice's
// status, the invoice's event (paid or partially paid).
func (s *Service) paymentEvents(ctx context.Context, tx *sql.Tx, p *booksync.PaymentRecord, before string, r *booksync.Receivable) error {
	if err := s.addEvent(ctx, tx, p.EntityID, booksync.EventObjectPayment, booksync.EventCreated, p.ID, p, p.CreatedAt,
		fmt.Sprintf("A payment of %d (minor units, %s) was recorded for invoice %s.", p.Amount, p.Currency, p.Object.ID)); err != nil {
		return err
	}
	if r == nil || r.Status == before {
		return nil
	}
	switch r.Status {
	case booksync.StatusPaid:
		return s.receivableEvent(ctx, tx, r, booksync.EventPaid, p.CreatedAt)
	case booksync.StatusPartiallyPaid:
		return s.receivableEvent(ctx, tx, r, booksync.EventPartiallyPaid, p.CreatedAt)
	}
	return nil
}
