package syncer

import (
	"context"
	"fmt"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
)

// RemoteBills reads purchase bills from the entity's connected books, [offset, offset+limit).
func (e *Engine) RemoteBills(ctx context.Context, entityID string, limit, offset int) ([]booksync.RemoteBill, error) {
	s, err := e.openActive(ctx, entityID)
	if err != nil {
		return nil, err
	}
	defer s.release()
	out, err := readPages(ctx, s, limit, offset, s.cx.Bills)
	for i := range out {
		s.resolveLineIDs(&out[i].RemoteInvoice)
	}
	return out, err
}

// RemoteBill reads one purchase bill by its id in the books.
func (e *Engine) RemoteBill(ctx context.Context, entityID, id string) (booksync.RemoteBill, error) {
	s, err := e.openActive(ctx, entityID)
	if err != nil {
		return booksync.RemoteBill{}, err
	}
	defer s.release()
	var b booksync.RemoteBill
	err = s.call(ctx, func() error {
		var err error
		b, err = s.cx.Bill(ctx, id)
		return err
	})
	if err != nil {
		return b, err
	}
	s.resolveLineIDs(&b.RemoteInvoice)
	return b, nil
}

// booksInvoice reads an invoice of the entity as its connected books hold it, with the name of
// their system; nil when the invoice is not in connected books (no connection, not connected, never
// pushed, or pushed without reaching them).
func (e *Engine) booksInvoice(ctx context.Context, entityID, receivableID string) (*booksync.RemoteInvoice, string, error) {
	conn, err := e.store.ActiveConnection(ctx, entityID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	if conn.Status != booksync.ConnectionConnected {
		return nil, "", nil
	}
	rec, err := e.store.RecordFor(ctx, conn.ID, booksync.ObjectReceivable, receivableID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	if rec.PlatformObjectID == nil && rec.Attempts == 0 {
		return nil, "", nil // never sent to the books
	}
	s, err := e.open(ctx, conn.ID)
	if err != nil {
		return nil, "", err
	}
	defer s.release()
	id := ""
	if rec.PlatformObjectID != nil {
		id = *rec.PlatformObjectID
	} else if r, err := e.store.Receivable(ctx, entityID, receivableID); err != nil {
		return nil, "", err
	} else if r.DocumentID != nil {
		// A push that may have reached the books: look for the invoice there by its number.
		if id, err = s.findInvoice(ctx, *r.DocumentID); err != nil {
			return nil, "", err
		}
	}
	if id == "" {
		return nil, "", nil
	}
	var inv booksync.RemoteInvoice
	err = s.call(ctx, func() error {
		var err error
		inv, err = s.cx.Invoice(ctx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return &inv, s.provider.Name, nil
}

// CheckVoid reports, as an ECONFLICT that names them, payments or credits that the entity's
// books hold against an invoice booksync pushed there, which would keep the books from voiding it
// if booksync canceled it. An invoice that is not in connected books gives nil: its cancel voids
// nothing now (a deauthorized connection voids it once reconnected, or says why not).
func (e *Engine) CheckVoid(ctx context.Context, entityID, receivableID string) error {
	inv, system, err := e.booksInvoice(ctx, entityID, receivableID)
	if err != nil || inv == nil {
		return err
	}
	credited := inv.Totals.Total - inv.AmountPaid - inv.AmountDue
	if inv.AmountPaid <= 0 && credited <= 0 {
		return nil
	}
	var held string
	switch {
	case inv.AmountPaid > 0 && credited > 0:
		held = fmt.Sprintf("%s paid and %s credited", money.FormatMinor(inv.AmountPaid, inv.Currency)+" "+inv.Currency, money.FormatMinor(credited, inv.Currency)+" "+inv.Currency)
	case inv.AmountPaid > 0:
		held = money.FormatMinor(inv.AmountPaid, inv.Currency) + " " + inv.Currency + " paid"
	default:
		held = money.FormatMinor(credited, inv.Currency) + " " + inv.Currency + " credited"
	}
	return booksync.Errorf(booksync.ECONFLICT,
		"Invoice %s has %s against it in %s (%s), so it cannot be voided there and is not canceled. "+
			"Remove the payments or credits in %s first, then cancel it again; or keep the invoice: the next sync brings its payments here.",
		inv.Number, held, system, inv.Status, system)
}

// CheckCredit refuses (ECONFLICT) a credit note of amount (minor units) of an invoice whose books
// have less than that due on it (payments or credits made there that booksync has not pulled
// yet): the books would refuse to apply it, and an issued credit note cannot change.
func (e *Engine) CheckCredit(ctx context.Context, entityID, invoiceID string, amount int64) error {
	inv, system, err := e.booksInvoice(ctx, entityID, invoiceID)
	if err != nil || inv == nil || amount <= inv.AmountDue {
		return err
	}
	return booksync.Errorf(booksync.ECONFLICT,
		"Invoice %s has only %s %s due in %s (payments or credits made there that booksync has not pulled yet), less than this credit note's %s; "+
			"sync the entity's accounting connection first (POST /accounting_connections/{id}/sync), then credit at most what is due.",
		inv.Number, money.FormatMinor(inv.AmountDue, inv.Currency), inv.Currency, system, money.FormatMinor(amount, inv.Currency))
}
