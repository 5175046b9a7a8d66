// Package invoicing holds the operations that change an invoice or a payment and queue its sync:
// issuing and canceling an invoice, issuing a credit note, recording and canceling a payment, and
// marking an invoice uncollectible. Each runs in one transaction that
// changes the invoice, gives it a pending record in the entity's books and queues the push, so
// that all of it commits or none of it does. The API calls this package; it calls the store and a
// Queue, which the sync engine implements.
package invoicing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Queue queues sync jobs inside a write transaction. internal/syncer's Engine implements it.
type Queue interface {
	// QueuePushTx queues a push of the connection's pending records inside tx, unless one is
	// queued or running already. On SQLite tx holds the only writer connection, so QueuePushTx
	// must do its work through tx.
	QueuePushTx(ctx context.Context, tx *sql.Tx, connectionID string) error
}

// Service changes invoices and payments and queues their sync. Create it with New.
type Service struct {
	store *store.Store
	queue Queue
	// Now returns the current time, for the records the service creates; New sets time.Now.
	Now func() time.Time
}

// New returns a service that changes invoices in st and queues their pushes in q.
func New(st *store.Store, q Queue) *Service {
	return &Service{store: st, queue: q, Now: time.Now}
}

// Issue reads a draft invoice or credit note of the entity and issues it as read (IssueAsRead); an
// unknown one gives ENOTFOUND.
func (s *Service) Issue(ctx context.Context, entityID, id string, at time.Time) (*booksync.Receivable, error) {
	read, err := s.store.Receivable(ctx, entityID, id)
	if err != nil {
		return nil, err
	}
	return s.IssueAsRead(ctx, read, at)
}

// IssueAsRead moves the draft invoice or credit note read, as the caller read (and checked) it, to
// issued at the given time and assigns its document number (see store.FinishIssueTx), without
// reading it again. If the stored receivable changed since it was read (its version moved on), it
// gives ECONFLICT (store.ErrVersionConflict), or ENOTFOUND if it was deleted, and changes nothing:
// no change made between the caller's checks and the issue goes out unchecked. A receivable that is
// not a draft gives ECONFLICT.
//
// When the entity has a connected connection, the invoice gets a pending record there and a push
// is queued; with a deauthorized one it gets the record, pushed once the entity reconnects; with
// none, or one not connected yet, nothing is queued (the invoice then counts as issued before the
// connection).
//
// A credit note is applied to its invoice in the same transaction (booksync.ApplyCreditNote): the
// invoice's amount due falls by the credit note's total, which may not exceed it, as the invoice is
// now, locked by the transaction, so that two credit notes issued at once cannot together credit
// more than is due. The credit note gets a record and a push like a payment does: only when its
// invoice has a record in the connection, because it is allocated to the invoice in those books.
func (s *Service) IssueAsRead(ctx context.Context, read *booksync.Receivable, at time.Time) (*booksync.Receivable, error) {
	return s.IssueDraft(ctx, store.DraftRead{Receivable: read}, at)
}

// IssueDraft is IssueAsRead of the draft that d read (store.ReceivableWithCounterpart). Where d
// read that the entity has no connection, the issue relies on it instead of reading the connection
// again: the store takes the number only if none was created since.
func (s *Service) IssueDraft(ctx context.Context, d store.DraftRead, at time.Time) (*booksync.Receivable, error) {
	// A number given to another document by hand while the issue waited for the entity's counter
	// costs the transaction (store.ErrNumberTaken); running it again takes the next number. So
	// does a connection created after the issue read that the entity had none
	// (store.ErrConnectedMeanwhile); running it again, which reads the connection in its
	// transaction, gives the invoice its record there.
	noConnection := d.NoConnection
	if noConnection {
		// Without a connection, an invoice's issue may need one statement only (store.IssueAlone);
		// when it needs more, it runs in a transaction, below.
		r, err := store.StartIssueOf(d.Receivable, at)
		if err != nil {
			return nil, err
		}
		done, err := s.store.IssueAlone(ctx, r, issuedEvent(at))
		if err != nil {
			return nil, err
		}
		if done {
			return r, nil
		}
	}
	for tries := 1; ; tries++ {
		out, err := s.issueAsRead(ctx, d.Receivable, noConnection, at)
		if errors.Is(err, store.ErrConnectedMeanwhile) && noConnection {
			// The draft's read is out of date: the entity connected since. Reading the connection
			// in the transaction costs none of the tries.
			noConnection = false
			tries--
			continue
		}
		if (errors.Is(err, store.ErrNumberTaken) || errors.Is(err, store.ErrConnectedMeanwhile)) && tries < maxIssueTries {
			continue
		}
		return out, err
	}
}

// maxIssueTries bounds how many times IssueAsRead runs its transaction when the number it took was
// given to another document meanwhile, or the entity connected meanwhile.
const maxIssueTries = 3

// issueAsRead is IssueAsRead's transaction; noConnection says that the caller read that the entity
// has no connection (store.DraftRead).
func (s *Service) issueAsRead(ctx context.Context, read *booksync.Receivable, noConnection bool, at time.Time) (*booksync.Receivable, error) {
	if read.IsCreditNote() {
		return s.issueCreditNoteAsRead(ctx, read, at)
	}
	// The invoice and its event are encoded before the transaction (store.PlanIssue).
	started, err := store.StartIssueOf(read, at)
	if err != nil {
		return nil, err
	}
	plan, err := s.store.PlanIssue(started, issuedEvent(at))
	if err != nil {
		return nil, err
	}
	var out *booksync.Receivable
	err = s.store.InTx(ctx, func(tx *sql.Tx) error {
		// The invoice's number is taken last but for the push's job (FinishPlannedIssueTx): it locks the
		// entity's counters until the commit, and an entity's issues wait for each other over that lock.
		var conn *booksync.Connection
		if !noConnection {
			var err error
			if conn, err = s.activeConnection(ctx, tx, started.EntityID); err != nil {
				return err
			}
		}
		push := conn != nil && (conn.Status == booksync.ConnectionConnected || conn.Status == booksync.ConnectionDeauthorized)
		if push {
			if err := s.ensureRecord(ctx, tx, conn, booksync.ObjectReceivable, started.ID, &started.UpdatedAt); err != nil {
				return err
			}
		}
		r, err := s.store.FinishPlannedIssueTx(ctx, tx, plan, conn == nil)
		if err != nil {
			return err
		}
		out = r
		if push && conn.Status == booksync.ConnectionConnected {
			// Last: a push job already queued for the connection is locked from here to the commit.
			return s.queue.QueuePushTx(ctx, tx, conn.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// issueCreditNoteAsRead is issueAsRead of a credit note: it is numbered, issued and applied to its
// invoice in one transaction.
func (s *Service) issueCreditNoteAsRead(ctx context.Context, read *booksync.Receivable, at time.Time) (*booksync.Receivable, error) {
	var out *booksync.Receivable
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		r, err := store.StartIssueOf(read, at) // each run of the transaction starts from the draft as read
		if err != nil {
			return err
		}
		if err := s.store.FinishIssueTx(ctx, tx, r, nil, false); err != nil {
			return err
		}
		if err := s.receivableEvent(ctx, tx, r, booksync.EventIssued, at); err != nil {
			return err
		}
		out = r
		return s.issueCreditNote(ctx, tx, r, at)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// issuedEvent returns the event of a receivable issued at at, as written.
func issuedEvent(at time.Time) store.IssueEvent {
	return func(r *booksync.Receivable, object json.RawMessage) booksync.Event {
		return booksync.ReceivableEventJSON(r, booksync.EventIssued, at, object)
	}
}

// issueCreditNote applies the credit note cn, just issued in tx, to its invoice, and queues its
// push when the invoice has a record in the entity's active connection.
func (s *Service) issueCreditNote(ctx context.Context, tx *sql.Tx, cn *booksync.Receivable, at time.Time) error {
	if cn.BasedOn == nil {
		return booksync.Errorf(booksync.ECONFLICT, "Credit note %s is based on no invoice.", cn.ID)
	}
	inv, err := s.store.ReceivableTx(ctx, tx, cn.EntityID, *cn.BasedOn)
	if notFound(err) {
		return booksync.Errorf(booksync.ECONFLICT, "The invoice %s that credit note %s credits no longer exists.", *cn.BasedOn, cn.ID)
	} else if err != nil {
		return err
	}
	credited, err := booksync.ApplyCreditNote(*inv, *cn, at)
	if err != nil {
		return err
	}
	credited.UpdatedAt = at
	if err := s.store.UpdateReceivableTx(ctx, tx, &credited); err != nil {
		return err
	}
	if err := s.addEvents(ctx, tx, event(booksync.ReceivableChangeEvent(&credited, inv.Status, at))); err != nil {
		return err
	}
	conn, err := s.activeConnection(ctx, tx, cn.EntityID)
	if err != nil || conn == nil {
		return err
	}
	if _, err := s.store.RecordForTx(ctx, tx, conn.ID, booksync.ObjectReceivable, inv.ID); notFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	return s.queueRecord(ctx, tx, conn, booksync.ObjectReceivable, cn.ID, &cn.UpdatedAt)
}

// Cancel cancels an issued, unpaid invoice of the entity at the given time. A draft or an invoice
// in any other status gives ECONFLICT, an unknown one ENOTFOUND. When the invoice has a record in
// the entity's active connection, the record becomes pending again and a push is queued, which
// voids the invoice in the books (or, if it never reached them, settles the record). Whether the
// books would refuse the void (payments made there) is for the caller to ask the engine first
// (syncer.Engine.CheckVoid); a payment made there meanwhile puts the record in error, with both
// facts, and changes neither side.
func (s *Service) Cancel(ctx context.Context, entityID, id string, at time.Time) (*booksync.Receivable, error) {
	var out *booksync.Receivable
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		r, err := s.store.ReceivableTx(ctx, tx, entityID, id)
		if err != nil {
			return err
		}
		if err := r.CheckCancel(); err != nil {
			return err
		}
		r.Status = booksync.StatusCanceled
		r.UpdatedAt = at
		if err := s.store.UpdateReceivableTx(ctx, tx, r); err != nil {
			return err
		}
		if err := s.receivableEvent(ctx, tx, r, booksync.EventCanceled, at); err != nil {
			return err
		}
		conn, err := s.activeConnection(ctx, tx, entityID)
		if err != nil {
			return err
		}
		if conn != nil {
			if _, err := s.requeueRecord(ctx, tx, conn, booksync.ObjectReceivable, r.ID); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordPayment stores a payment record for the invoice p.Object.ID of p.EntityID. A succeeded
// payment with an apply function is applied to the invoice as the transaction holds it (see
// store.CreatePaymentRecordTx); an error from apply is returned as it is and nothing is written.
//
// A succeeded payment of an invoice that has a record in the entity's active connection (pushed,
// being pushed, or waiting for a fix) gets a pending record there, and a push is queued when the
// connection is connected. The payment is pushed once its invoice is in the books; if the invoice
// is not, the payment's record says so and how to push the invoice first. A payment of an invoice
// without a record is not meant for those books and queues nothing.
func (s *Service) RecordPayment(ctx context.Context, p *booksync.PaymentRecord,
	apply func(booksync.Receivable) (booksync.Receivable, error)) error {
	return s.store.InTx(ctx, func(tx *sql.Tx) error {
		var before string
		seen := apply
		if apply != nil {
			seen = func(r booksync.Receivable) (booksync.Receivable, error) { before = r.Status; return apply(r) }
		}
		r, err := s.store.CreatePaymentRecordTx(ctx, tx, p, seen)
		if err != nil {
			return err
		}
		if err := s.paymentEvents(ctx, tx, p, before, r); err != nil {
			return err
		}
		if p.Status != booksync.PaymentStatusSucceeded || apply == nil {
			return nil // the invoice did not change
		}
		conn, err := s.activeConnection(ctx, tx, r.EntityID)
		if err != nil || conn == nil {
			return err
		}
		if _, err := s.store.RecordForTx(ctx, tx, conn.ID, booksync.ObjectReceivable, r.ID); notFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		return s.queueRecord(ctx, tx, conn, booksync.ObjectPaymentRecord, p.ID, &p.UpdatedAt)
	})
}

// CancelPayment cancels a payment record of the entity at the given time: the record becomes
// canceled (with a history entry) and, if it had succeeded, its invoice's amounts and status follow
// (booksync.CancelPayment), in one transaction. A payment pushed to the entity's active connection
// has its record made pending again, so that the engine removes it from the books. intentStatus,
// when given, is the payment intent's raw status to keep on the record (Monite's
// PaymentRecordStatusUpdateRequest). A payment canceled already gives ECONFLICT, an unknown one
// ENOTFOUND. It returns the payment as canceled.
func (s *Service) CancelPayment(ctx context.Context, entityID, id string, intentStatus *string, at time.Time) (*booksync.PaymentRecord, error) {
	var out *booksync.PaymentRecord
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		p, err := s.store.PaymentRecordTx(ctx, tx, entityID, id)
		if err != nil {
			return err
		}
		if p.Status == booksync.PaymentStatusCanceled {
			return booksync.Errorf(booksync.ECONFLICT, "Payment record %s is already canceled.", p.ID)
		}
		if p.Source == booksync.PaymentSourceBooks {
			// booksync never pushes a payment back to the books it came from: it follows them.
			return booksync.Errorf(booksync.ECONFLICT, "Payment record %s was made in the entity's accounting system (payment %s there); "+
				"delete it there, and the next sync cancels it here.", p.ID, p.LedgerID)
		}
		if p.Status == booksync.PaymentStatusSucceeded {
			inv, err := s.store.ReceivableTx(ctx, tx, entityID, p.Object.ID)
			if err != nil {
				return err
			}
			next, err := booksync.CancelPayment(*inv, p.Amount)
			if err != nil {
				return err
			}
			next.UpdatedAt = at
			if err := s.store.UpdateReceivableTx(ctx, tx, &next); err != nil {
				return err
			}
			if err := s.addEvents(ctx, tx, event(booksync.ReceivableChangeEvent(&next, inv.Status, at))); err != nil {
				return err
			}
		}
		p.Status = booksync.PaymentStatusCanceled
		p.UpdatedAt = at
		if intentStatus != nil {
			v := *intentStatus
			p.PaymentIntentStatus = &v
		}
		p.History = append(p.History, booksync.PaymentHistoryItem{Status: booksync.PaymentStatusCanceled, Timestamp: at})
		if err := s.store.UpdatePaymentRecordTx(ctx, tx, p); err != nil {
			return err
		}
		if err := s.addEvents(ctx, tx, event(booksync.PaymentEvent(p, booksync.EventCanceled, at))); err != nil {
			return err
		}
		out = p
		conn, err := s.activeConnection(ctx, tx, entityID)
		if err != nil || conn == nil {
			return err
		}
		_, err = s.requeueRecord(ctx, tx, conn, booksync.ObjectPaymentRecord, p.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkUncollectible marks an issued or partially paid invoice of the entity uncollectible at the
// given time, with an optional comment (booksync.MarkUncollectible). Nothing is queued: the books
// keep the invoice open, since writing off a bad debt is the accountant's call.
func (s *Service) MarkUncollectible(ctx context.Context, entityID, id string, comment *string, at time.Time) (*booksync.Receivable, error) {
	var out *booksync.Receivable
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		r, err := s.store.ReceivableTx(ctx, tx, entityID, id)
		if err != nil {
			return err
		}
		next, err := booksync.MarkUncollectible(*r, comment, at)
		if err != nil {
			return err
		}
		if err := s.store.UpdateReceivableTx(ctx, tx, &next); err != nil {
			return err
		}
		if err := s.receivableEvent(ctx, tx, &next, booksync.EventUncollectible, at); err != nil {
			return err
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// activeConnection returns the entity's active connection, or nil when it has none.
func (s *Service) activeConnection(ctx context.Context, tx *sql.Tx, entityID string) (*booksync.Connection, error) {
	conn, err := s.store.ActiveConnectionTx(ctx, tx, entityID)
	if notFound(err) {
		return nil, nil
	}
	return conn, err
}

// queueRecord gives an object a pending record in the connection, unless it has one, and queues a
// push when the connection is connected; a deauthorized connection pushes it once reconnected.
func (s *Service) queueRecord(ctx context.Context, tx *sql.Tx, conn *booksync.Connection, objectType, objectID string, updated *time.Time) error {
	if err := s.ensureRecord(ctx, tx, conn, objectType, objectID, updated); err != nil {
		return err
	}
	if conn.Status != booksync.ConnectionConnected {
		return nil
	}
	return s.queue.QueuePushTx(ctx, tx, conn.ID)
}

// ensureRecord gives an object a pending record in the connection, unless it has one.
func (s *Service) ensureRecord(ctx context.Context, tx *sql.Tx, conn *booksync.Connection, objectType, objectID string, updated *time.Time) error {
	rec := booksync.NewPendingRecord(conn, objectType, objectID, updated, s.Now().UTC())
	_, _, err := s.store.EnsureSyncedRecord(ctx, tx, rec)
	return err
}

// requeueRecord makes the object's record in the connection pending again, so that the next push
// brings the books in line with the object as it is now (a canceled invoice is voided there, a
// canceled payment removed), and queues that push when the connection is connected. It reports
// false, changing nothing, when the object has no record there: it never reached those books.
func (s *Service) requeueRecord(ctx context.Context, tx *sql.Tx, conn *booksync.Connection, objectType, objectID string) (bool, error) {
	rec, err := s.store.RecordForTx(ctx, tx, conn.ID, objectType, objectID)
	if notFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// Every write moves the record's update time forward: a push still busy with the record's
	// previous state then finds its outcome stale and leaves this one alone.
	now := s.Now().UTC().Truncate(time.Microsecond)
	if !now.After(rec.UpdatedAt) {
		now = rec.UpdatedAt.Add(time.Microsecond)
	}
	rec.UpdatedAt = now
	rec.SyncStatus, rec.Errors, rec.Auto = booksync.SyncStatusPending, nil, true
	if err := s.store.UpdateSyncedRecordTx(ctx, tx, rec); err != nil {
		return false, err
	}
	if conn.Status != booksync.ConnectionConnected {
		return true, nil
	}
	return true, s.queue.QueuePushTx(ctx, tx, conn.ID)
}

// notFound reports whether err says that what the store was asked for does not exist.
func notFound(err error) bool { return booksync.ErrorCode(err) == booksync.ENOTFOUND }
