package syncer

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// The push side of an invoice's life after it reached the books (docs/architecture.md, "The
// invoice's whole life"): a canceled invoice is voided there, a credit note is created and applied
// to the invoice it credits, a canceled payment is removed.

// afterPush holds the records of a batch of receivables that are not created as invoices: canceled
// invoices to void, and credit notes with the records of the invoices they credit.
type afterPush struct {
	voids    []*invoicePush
	notes    []*invoicePush
	credited map[string]*booksync.SyncedRecord // by credit note id: its invoice's record
}

// pushVoids voids in the books each canceled invoice that reached them. One that never did (no
// id in the books, and no push that may have created it) has nothing to void: its record is done.
// One that a push may have created is looked up by number first.
func (s *session) pushVoids(ctx context.Context, items []*invoicePush) error {
	var voids []platform.Void
	var pushing []*invoicePush
	for _, it := range items {
		v := platform.Void{Ref: it.inv.ID}
		if it.inv.DocumentID != nil {
			v.Number = *it.inv.DocumentID
		}
		if it.rec.PlatformObjectID != nil {
			v.InvoiceID = *it.rec.PlatformObjectID
		} else if it.rec.Attempts > 0 && v.Number != "" {
			id, err := s.findInvoice(ctx, v.Number)
			if err != nil {
				return err
			}
			v.InvoiceID = id
		}
		if v.InvoiceID == "" {
			if err := s.e.setDone(ctx, it.rec, platform.Result{Ref: it.inv.ID}); err != nil {
				return err
			}
			continue
		}
		voids = append(voids, v)
		pushing = append(pushing, it)
	}
	if len(voids) == 0 {
		return nil
	}
	var results []platform.Result
	err := s.call(ctx, func() error {
		var err error
		results, err = s.cx.VoidInvoices(ctx, voids)
		return err
	})
	for i, res := range results {
		if i >= len(pushing) {
			break
		}
		rec := pushing[i].rec
		if res.Err != nil {
			if platform.ClassOf(res.Err) != platform.NeedsUserAction {
				if err == nil {
					err = res.Err
				}
				continue
			}
			id := voids[i].InvoiceID
			rec.PlatformObjectID = &id
			s.e.setError(ctx, rec, voidRefused(s.provider.Name, voids[i], res.Err))
			continue
		}
		if res.PlatformID == "" {
			res.PlatformID = voids[i].InvoiceID
		}
		if serr := s.e.setDone(ctx, rec, res); serr != nil {
			return serr
		}
	}
	return err
}

// voidRefused is the error of a canceled invoice whose books would not void it: booksync says
// canceled, the books hold payments or credits against it. Both facts stay as they are.
func voidRefused(system string, v platform.Void, err error) *booksync.SyncError {
	se := platformError(err, "")
	if se.Status == "validation_failed" {
		se.Status = booksync.CodeBooksDisagree
	}
	se.Message = fmt.Sprintf("Invoice %s is canceled in booksync but %s would not void it: %s", v.Number, system, se.Message)
	for i := range se.Details {
		if se.Details[i].Fix == "" {
			se.Details[i].Fix = "Remove the payments or credits named above in " + system +
				", then push the record again with POST /accounting_synced_records/{id}/push; or, if they are right, record them in booksync and issue a new invoice."
		}
	}
	return se
}

// findInvoice returns the books' id of the invoice with the given number, or "" when the books
// have none.
func (s *session) findInvoice(ctx context.Context, number string) (string, error) {
	var found []booksync.RemoteInvoice
	err := s.call(ctx, func() error {
		var err error
		found, err = s.cx.Invoices(ctx, platform.InvoiceQuery{Numbers: []string{number}, Page: 1})
		return err
	})
	if err != nil {
		return "", err
	}
	for _, inv := range found {
		if inv.Number == number {
			return inv.ID, nil
		}
	}
	return "", nil
}

// creditedInvoice returns the record of the invoice a credit note credits, in this connection's
// books. wait reports that the invoice is still to be pushed, so the credit note waits for it; a
// nil record without wait means the credit note's record was put in error (its invoice is not in
// these books).
func (s *session) creditedInvoice(ctx context.Context, rec *booksync.SyncedRecord, note *booksync.Receivable) (target *booksync.SyncedRecord, wait bool, err error) {
	if note.BasedOn == nil {
		s.e.setError(ctx, rec, &booksync.SyncError{Status: booksync.CodeInvoiceNotPushable, Message: "Credit note credits no invoice",
			Details: []booksync.SyncErrorDetail{{Field: "based_on", Message: "Credit note " + note.ID + " has no based_on invoice", Fix: "Nothing to push."}}})
		return nil, false, nil
	}
	invRec, err := s.e.store.RecordFor(ctx, s.conn.ID, booksync.ObjectReceivable, *note.BasedOn)
	if err != nil && booksync.ErrorCode(err) != booksync.ENOTFOUND {
		return nil, false, err
	}
	switch {
	case invRec != nil && invRec.SyncStatus == booksync.SyncStatusPending:
		return nil, true, nil
	case invRec == nil || invRec.PlatformObjectID == nil:
		s.e.setError(ctx, rec, &booksync.SyncError{Status: booksync.CodePaymentInvoiceNotPushed, Message: "Invoice is not in the books, so its credit note cannot be pushed",
			Details: []booksync.SyncErrorDetail{{Field: "based_on", Message: "Receivable " + *note.BasedOn + " has not been pushed",
				Fix: "Push the invoice first (see GET /accounting_synced_records?object_type=receivable&object_id=" + *note.BasedOn + "), then push this record again with POST /accounting_synced_records/{id}/push."}}})
		return nil, false, nil
	}
	return invRec, false, nil
}

// splitCreditNotes takes the credit notes out of a batch of built invoices, with the invoices
// they are applied to.
func (s *session) splitCreditNotes(invoices []platform.Invoice, pushing []*invoicePush, credited map[string]*booksync.SyncedRecord) (
	[]platform.Invoice, []*invoicePush, []platform.CreditNote, []*invoicePush) {
	var invs []platform.Invoice
	var invPushing, notePushing []*invoicePush
	var notes []platform.CreditNote
	for i, it := range pushing {
		target, ok := credited[it.inv.ID]
		if it.inv.Type != booksync.ReceivableTypeCreditNote || !ok {
			invs = append(invs, invoices[i])
			invPushing = append(invPushing, it)
			continue
		}
		n := platform.CreditNote{Invoice: invoices[i], InvoiceID: *target.PlatformObjectID, Amount: invoices[i].Expected.Total}
		if it.inv.BasedOnDocumentID != nil {
			n.InvoiceNumber = *it.inv.BasedOnDocumentID
			n.Reference = "Credit note of invoice " + n.InvoiceNumber
		}
		notes = append(notes, n)
		notePushing = append(notePushing, it)
	}
	return invs, invPushing, notes, notePushing
}

// sendCreditNotes pushes credit notes as sendInvoices pushes invoices: marked attempted first,
// looked up by number after any attempt that may have reached the books, applied to their
// invoices by the connector (once), and checked against booksync's totals.
func (s *session) sendCreditNotes(ctx context.Context, notes []platform.CreditNote, pushing []*invoicePush) error {
	ids := make([]string, len(pushing))
	for i, it := range pushing {
		ids[i] = it.rec.ID
		notes[i].MaybeExists = it.rec.Attempts > 0 || it.rec.PlatformObjectID != nil
		notes[i].PushID = pushID(it.rec)
		it.rec.Attempts++
	}
	if err := s.e.store.MarkAttempted(ctx, ids); err != nil {
		return err
	}
	var results []platform.Result
	tries := 0
	err := s.call(ctx, func() error {
		if tries++; tries > 1 {
			for i := range notes {
				notes[i].MaybeExists = true
			}
		}
		var err error
		results, err = s.cx.PushCreditNotes(ctx, notes)
		return err
	})
	for i, res := range results {
		if i >= len(pushing) || (res.Err == nil && res.PlatformID == "") {
			continue
		}
		done, retry := s.settleInvoice(ctx, pushing[i].rec, notes[i].Invoice, res)
		if done {
			if serr := s.setDone(ctx, pushing[i].rec, res); serr != nil {
				return serr
			}
		}
		if err == nil {
			err = retry
		}
	}
	return err
}

// removePayments removes from the books the canceled payments of the records in pushing.
func (s *session) removePayments(ctx context.Context, refs []platform.PaymentRef, pushing []*booksync.SyncedRecord) (int, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	var results []platform.Result
	err := s.call(ctx, func() error {
		var err error
		results, err = s.cx.DeletePayments(ctx, refs)
		return err
	})
	changed := 0
	for i, res := range results {
		if i >= len(pushing) {
			break
		}
		if res.Err != nil {
			if platform.ClassOf(res.Err) != platform.NeedsUserAction {
				if err == nil {
					err = res.Err
				}
				continue
			}
			changed++
			s.e.setError(ctx, pushing[i], platformError(res.Err, "Remove the payment in "+s.provider.Name+
				" yourself, or fix what is named above and push the record again with POST /accounting_synced_records/{id}/push."))
			continue
		}
		if res.PlatformID == "" {
			res.PlatformID = refs[i].PaymentID
		}
		changed++
		if serr := s.e.setDone(ctx, pushing[i], res); serr != nil {
			return changed, serr
		}
	}
	return changed, err
}

// bringAlong gives the payments and credit notes of an invoice that has just reached the books
// their pending records there, when they have none yet or wait as made before the entity connected:
// an invoice issued before the connection is pushed on request, and what was recorded against it
// meanwhile follows it into the books (the next rounds of the push send it).
func (s *session) bringAlong(ctx context.Context, inv *booksync.Receivable) error {
	if inv.IsCreditNote() || inv.AmountPaid == 0 && len(inv.RelatedDocuments.CreditNoteIDs) == 0 {
		return nil // nothing recorded against it
	}
	return s.e.store.InTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.e.store.PaymentRecordsOfTx(ctx, tx, inv.EntityID, inv.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Status != booksync.PaymentStatusSucceeded || p.Source == booksync.PaymentSourceBooks {
				continue
			}
			if err := s.follow(ctx, tx, booksync.ObjectPaymentRecord, p.ID, &p.UpdatedAt); err != nil {
				return err
			}
		}
		notes, err := s.e.store.CreditNoteIDsTx(ctx, tx, inv.EntityID, inv.ID)
		if err != nil {
			return err
		}
		for _, id := range notes {
			if err := s.follow(ctx, tx, booksync.ObjectReceivable, id, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// follow gives an object a pending record in the session's connection unless it has one; a record
// that waits as issued before the connection becomes pending.
func (s *session) follow(ctx context.Context, tx *sql.Tx, objectType, objectID string, updated *time.Time) error {
	rec, created, err := s.e.store.EnsureSyncedRecord(ctx, tx, s.e.newRecord(s.conn, objectType, objectID, updated))
	if err != nil || created {
		return err
	}
	if rec.SyncStatus != booksync.SyncStatusError || rec.Errors == nil || rec.Errors.Status != booksync.CodeIssuedBeforeConnection {
		return nil
	}
	s.e.restamp(rec)
	rec.SyncStatus, rec.Errors, rec.Auto = booksync.SyncStatusPending, nil, true
	return s.e.store.UpdateSyncedRecordTx(ctx, tx, rec)
}
