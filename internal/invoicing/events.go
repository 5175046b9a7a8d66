package invoicing

import (
	"context"
	"database/sql"
	"time"

	"github.com/booksync/booksync"
)

// addEvents writes, inside tx, the events of a change, so that the platform hears of it exactly
// when it commits. Each event comes with the error of building it.
func (s *Service) addEvents(ctx context.Context, tx *sql.Tx, events ...eventOrError) error {
	for _, e := range events {
		if e.err != nil {
			return e.err
		}
		if err := s.store.AddEventTx(ctx, tx, e.ev); err != nil {
			return err
		}
	}
	return nil
}

type eventOrError struct {
	ev  booksync.Event
	err error
}

func event(ev booksync.Event, err error) eventOrError { return eventOrError{ev, err} }

// receivableEvent writes the event of an invoice's new status.
func (s *Service) receivableEvent(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, eventType string, at time.Time) error {
	return s.addEvents(ctx, tx, event(booksync.ReceivableEvent(r, eventType, at)))
}

// paymentEvents writes the event of a new payment record and, when it changed its invoice's
// status, the invoice's event (paid or partially paid).
func (s *Service) paymentEvents(ctx context.Context, tx *sql.Tx, p *booksync.PaymentRecord, before string, r *booksync.Receivable) error {
	if err := s.addEvents(ctx, tx, event(booksync.PaymentEvent(p, booksync.EventCreated, p.CreatedAt))); err != nil {
		return err
	}
	if r == nil || r.Status == before {
		return nil
	}
	return s.addEvents(ctx, tx, event(booksync.ReceivableChangeEvent(r, before, p.CreatedAt)))
}
