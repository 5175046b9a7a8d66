package syncer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
)

// The pull side of an invoice's life (docs/architecture.md, "The invoice's whole life"): on every
// sync, what changed in the books since the last pull comes back. Payments made there become
// payment records of their invoices (once: each is keyed by its id in the books, and never pushed
// back); payments deleted there are canceled here; invoices voided there are canceled here. Where
// the two sides disagree, the object's record goes to error with both facts, and neither changes.

// errBooksDisagree stops a payment from the books that booksync's invoice cannot take; the
// disagreement goes to the invoice's record.
var errBooksDisagree = errors.New("booksync and the books disagree")

// maxPullRounds bounds the pages of changes one run of a sync job applies.
const maxPullRounds = 50

// pullChanges applies what changed in the connection's books since its last pull. Each page of
// changes is applied in one transaction with the cursor after it, so a crash applies a page
// either wholly or not at all, and the next pull reports what was not applied again.
func (e *Engine) pullChanges(ctx context.Context, connID string) error {
	s, err := e.open(ctx, connID)
	if err != nil {
		return err
	}
	defer s.release()
	for round := 0; round < maxPullRounds; round++ {
		cursor, err := e.store.PullCursor(ctx, connID)
		if err != nil {
			return err
		}
		q := platform.ChangeQuery{Cursor: cursor, Since: s.conn.CreatedAt,
			KnownPayments: func(ctx context.Context) ([]string, error) {
				return e.store.PlatformIDs(ctx, connID, booksync.ObjectPaymentRecord)
			}}
		var ch platform.Changes
		err = s.call(ctx, func() error {
			var err error
			ch, err = s.cx.Changes(ctx, q)
			return err
		})
		if err != nil {
			return err
		}
		e.cfg.Metrics.RecordPullCalls(s.conn.Platform, ch.Calls)
		first := round == 0
		if err := e.store.InTx(ctx, func(tx *sql.Tx) error { return s.applyChanges(ctx, tx, ch, first) }); err != nil {
			return err
		}
		if !ch.More {
			return nil
		}
	}
	// More to pull than one run takes: the sync job runs again at once and goes on from the cursor.
	return errContinue
}

// applyChanges applies one page of changes inside tx: payments first (an invoice voided in the
// books after its payment was deleted there is then unpaid here too), then invoices.
//
// A payment that cannot be applied yet is held and tried again, before the new changes, by every
// pull until it applies or the books delete it: one that may be booksync's own payment still being
// pushed (its id in the books is not known yet), and one that disagrees with booksync's invoice
// (until the disagreement is settled, by a payment canceled here or the payment deleted there).
// The held changes are tried with the first page of a pull (retryHeld) only.
func (s *session) applyChanges(ctx context.Context, tx *sql.Tx, ch platform.Changes, retryHeld bool) error {
	held, err := s.e.store.HeldChangesTx(ctx, tx, s.conn.ID)
	if err != nil {
		return err
	}
	var payments []platform.PaymentChange
	for i := 0; retryHeld && i < len(held); i++ {
		var pc platform.PaymentChange
		if err := json.Unmarshal([]byte(held[i]), &pc); err != nil {
			return fmt.Errorf("syncer: held change: %w", err)
		}
		payments = append(payments, pc)
	}
	for _, pc := range append(payments, ch.Payments...) {
		hold, err := s.applyPaymentChange(ctx, tx, pc)
		if err != nil {
			return err
		}
		key := pc.ID + "/" + pc.InvoiceID
		if hold {
			data, merr := json.Marshal(pc)
			if merr != nil {
				return merr
			}
			err = s.e.store.HoldChangeTx(ctx, tx, s.conn.ID, key, string(data), s.e.now())
		} else {
			err = s.e.store.ReleaseChangeTx(ctx, tx, s.conn.ID, key)
		}
		if err != nil {
			return err
		}
		if pc.Deleted {
			if err := s.afterDeletion(ctx, tx, held, pc); err != nil {
				return err
			}
		}
	}
	for _, ic := range ch.Invoices {
		if err := s.applyInvoiceChange(ctx, tx, ic); err != nil {
			return err
		}
	}
	if ch.Cursor == "" {
		return nil
	}
	return s.e.store.SetPullCursorTx(ctx, tx, s.conn.ID, ch.Cursor)
}

// invoiceOf returns the record and the invoice booksync holds for an invoice of the books, or
// nils when the invoice is not one booksync pushed (or is a credit note).
func (s *session) invoiceOf(ctx context.Context, tx *sql.Tx, platformID string) (*booksync.SyncedRecord, *booksync.Receivable, error) {
	rec, err := s.e.store.RecordByPlatformIDTx(ctx, tx, s.conn.ID, booksync.ObjectReceivable, platformID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	r, err := s.e.store.ReceivableTx(ctx, tx, s.conn.EntityID, rec.ObjectID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if r.Type == booksync.ReceivableTypeCreditNote {
		return nil, nil, nil
	}
	return rec, r, nil
}

// afterDeletion forgets every held part of a payment the books deleted, and pushes again the
// invoices it paid whose records are in error because of it (a void the books refused while they
// held the payment, a disagreement it caused): their push now finds the books as booksync has them.
func (s *session) afterDeletion(ctx context.Context, tx *sql.Tx, held []string, deleted platform.PaymentChange) error {
	invoices := map[string]bool{}
	if deleted.InvoiceID != "" {
		invoices[deleted.InvoiceID] = true
	}
	for _, data := range held {
		var pc platform.PaymentChange
		if json.Unmarshal([]byte(data), &pc) != nil || pc.ID != deleted.ID {
			continue
		}
		invoices[pc.InvoiceID] = true
		if err := s.e.store.ReleaseChangeTx(ctx, tx, s.conn.ID, pc.ID+"/"+pc.InvoiceID); err != nil {
			return err
		}
	}
	for id := range invoices {
		rec, r, err := s.invoiceOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if r == nil || rec.SyncStatus != booksync.SyncStatusError || rec.Errors == nil ||
			rec.Errors.Status != booksync.CodeBooksDisagree && rec.Errors.Status != platform.CodeInvoiceHasPayments {
			continue
		}
		s.e.restamp(rec)
		rec.SyncStatus, rec.Errors, rec.Auto = booksync.SyncStatusPending, nil, true
		if err := s.e.store.UpdateSyncedRecordTx(ctx, tx, rec); err != nil {
			return err
		}
	}
	return nil
}

// applyPaymentChange records a payment made in the books, once, or cancels here a payment deleted
// there. One payment there may pay several invoices: each part is one payment record here. It
// reports hold when the payment cannot be applied yet (see applyChanges).
func (s *session) applyPaymentChange(ctx context.Context, tx *sql.Tx, pc platform.PaymentChange) (hold bool, err error) {
	owns, err := s.e.store.RecordsByPlatformIDTx(ctx, tx, s.conn.ID, booksync.ObjectPaymentRecord, pc.ID)
	if err != nil {
		return false, err
	}
	now := s.e.now().UTC()
	if pc.Deleted {
		// Pushed by booksync or pulled before: canceled here too. A deletion names no invoice on
		// some systems; it cancels every part of the payment.
		for i := range owns {
			if err := s.cancelDeletedPayment(ctx, tx, &owns[i], pc.InvoiceID, now); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	invRec, r, err := s.invoiceOf(ctx, tx, pc.InvoiceID)
	if err != nil || r == nil {
		return false, err
	}
	for _, own := range owns {
		p, err := s.e.store.PaymentRecordTx(ctx, tx, s.conn.EntityID, own.ObjectID)
		if err != nil {
			return false, err
		}
		if p.Object.ID == r.ID {
			return false, nil // booksync's own payment, or pulled before
		}
	}
	if maybe, err := s.maybeOwnPayment(ctx, tx, r, pc); maybe || err != nil {
		return maybe, err
	}
	var conflict *booksync.SyncError
	paidAt := now
	if d, err := time.Parse("2006-01-02", pc.Date); err == nil {
		paidAt = d.UTC()
	}
	method := s.provider.Name
	p := &booksync.PaymentRecord{ID: uuid.NewString(), EntityID: r.EntityID, CreatedAt: now, UpdatedAt: now,
		Amount: pc.Amount, Currency: pc.Currency, Status: booksync.PaymentStatusSucceeded, IsExternal: true, PaidAt: &paidAt,
		PaymentMethod: &method, History: []booksync.PaymentHistoryItem{{Status: booksync.PaymentStatusSucceeded, Timestamp: now}},
		Source: booksync.PaymentSourceBooks, ConnectionID: s.conn.ID, LedgerID: pc.ID,
		Object: booksync.PaymentRecordObject{ID: r.ID, Type: booksync.ObjectReceivable}}
	updated, err := s.e.store.CreatePaymentRecordTx(ctx, tx, p, func(cur booksync.Receivable) (booksync.Receivable, error) {
		next, se := booksync.PaymentMadeInBooks(cur, s.provider.Name, pc.ID, pc.Amount, pc.Currency, pc.Date, paidAt)
		if se != nil {
			conflict = se
			return cur, errBooksDisagree
		}
		p.Object.OldStatus, p.Object.NewStatus = cur.Status, next.Status
		next.UpdatedAt = now
		return next, nil
	})
	if conflict != nil {
		return true, s.disagree(ctx, tx, invRec, conflict)
	}
	if err != nil {
		return false, err
	}
	rec := booksync.NewPendingRecord(s.conn, booksync.ObjectPaymentRecord, p.ID, &p.UpdatedAt, now)
	id := pc.ID
	rec.SyncStatus, rec.PlatformObjectID = booksync.SyncStatusDone, &id
	if !pc.UpdatedAt.IsZero() {
		t := pc.UpdatedAt.UTC()
		rec.PlatformUpdatedAt = &t
	}
	if _, _, err = s.e.store.EnsureSyncedRecord(ctx, tx, rec); err != nil {
		return false, err
	}
	return false, s.addEvents(ctx, tx, event(booksync.PaymentEvent(p, booksync.EventAccountingPulled, now)),
		event(booksync.ReceivableChangeEvent(updated, p.Object.OldStatus, now)))
}

// addEvents writes, inside tx, the events of a change the books made, as the application service
// writes those of a change made through the API.
func (s *session) addEvents(ctx context.Context, tx *sql.Tx, events ...eventOrError) error {
	for _, e := range events {
		if e.err != nil {
			return e.err
		}
		if err := s.e.store.AddEventTx(ctx, tx, e.ev); err != nil {
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

// maybeOwnPayment reports whether a payment the books report on r may be one booksync pushed and
// has not learnt the id of yet: a payment of r recorded here, of the same amount, whose push is
// pending (running, or to be tried again after a timeout that may have reached the books). Such a
// payment is held until that push settles, which gives booksync's payment its id there.
func (s *session) maybeOwnPayment(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, pc platform.PaymentChange) (bool, error) {
	ps, err := s.e.store.PaymentRecordsOfTx(ctx, tx, r.EntityID, r.ID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Source == booksync.PaymentSourceBooks || p.Amount != pc.Amount {
			continue
		}
		rec, err := s.e.store.RecordForTx(ctx, tx, s.conn.ID, booksync.ObjectPaymentRecord, p.ID)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			continue
		} else if err != nil {
			return false, err
		}
		if rec.PlatformObjectID == nil && rec.SyncStatus == booksync.SyncStatusPending {
			return true, nil
		}
	}
	return false, nil
}

// cancelDeletedPayment cancels here the payment whose record is own, deleted in the books (only
// its part of the invoice whose id there is invoiceID, when that is given).
func (s *session) cancelDeletedPayment(ctx context.Context, tx *sql.Tx, own *booksync.SyncedRecord, invoiceID string, now time.Time) error {
	p, err := s.e.store.PaymentRecordTx(ctx, tx, s.conn.EntityID, own.ObjectID)
	if err != nil {
		return err
	}
	if p.Status != booksync.PaymentStatusSucceeded {
		return nil
	}
	if invoiceID != "" {
		invRec, err := s.e.store.RecordForTx(ctx, tx, s.conn.ID, booksync.ObjectReceivable, p.Object.ID)
		if err != nil && booksync.ErrorCode(err) != booksync.ENOTFOUND {
			return err
		}
		if invRec != nil && invRec.PlatformObjectID != nil && *invRec.PlatformObjectID != invoiceID {
			return nil
		}
	}
	r, err := s.e.store.ReceivableTx(ctx, tx, s.conn.EntityID, p.Object.ID)
	if err != nil {
		return err
	}
	next, err := booksync.CancelPayment(*r, p.Amount)
	if err != nil {
		return err
	}
	next.UpdatedAt = now
	if err := s.e.store.UpdateReceivableTx(ctx, tx, &next); err != nil {
		return err
	}
	p.Status, p.UpdatedAt = booksync.PaymentStatusCanceled, now
	p.History = append(p.History, booksync.PaymentHistoryItem{Status: booksync.PaymentStatusCanceled, Timestamp: now})
	if err := s.e.store.UpdatePaymentRecordTx(ctx, tx, p); err != nil {
		return err
	}
	return s.addEvents(ctx, tx, event(booksync.PaymentEvent(p, booksync.EventCanceled, now)),
		event(booksync.ReceivableChangeEvent(&next, r.Status, now)))
}

// applyInvoiceChange cancels here an invoice voided in the books, and lowers what is due here on
// an invoice credited there.
func (s *session) applyInvoiceChange(ctx context.Context, tx *sql.Tx, ic platform.InvoiceChange) error {
	if ic.State != platform.InvoiceVoided && ic.AmountCredited <= 0 {
		return nil
	}
	rec, r, err := s.invoiceOf(ctx, tx, ic.ID)
	if err != nil || r == nil {
		return err
	}
	var next booksync.Receivable
	var changed bool
	var se *booksync.SyncError
	if ic.State == platform.InvoiceVoided {
		next, changed, se = booksync.InvoiceVoidedInBooks(*r, s.provider.Name, ic.Status, s.e.now().UTC())
	} else if ic.Currency == "" || ic.Currency == r.Currency {
		next, changed, se = booksync.CreditedInBooks(*r, s.provider.Name, ic.AmountCredited, s.e.now().UTC())
	}
	if se != nil {
		return s.disagree(ctx, tx, rec, se)
	}
	if !changed {
		return nil
	}
	if err := s.e.store.UpdateReceivableTx(ctx, tx, &next); err != nil {
		return err
	}
	return s.addEvents(ctx, tx, event(booksync.ReceivableChangeEvent(&next, r.Status, next.UpdatedAt)))
}

// disagree puts a record in error with a disagreement between booksync and the books, inside tx.
func (s *session) disagree(ctx context.Context, tx *sql.Tx, rec *booksync.SyncedRecord, se *booksync.SyncError) error {
	se = personalize(rec, se)
	if rec.SyncStatus == booksync.SyncStatusError && rec.Errors != nil && rec.Errors.Message == se.Message {
		return nil // said already
	}
	s.e.restamp(rec)
	rec.SyncStatus, rec.Errors = booksync.SyncStatusError, se
	s.e.log.Warn("books disagree", "record_id", rec.ID, "message", se.Message)
	return s.e.store.UpdateSyncedRecordTx(ctx, tx, rec)
}
