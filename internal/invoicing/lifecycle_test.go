package invoicing_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
)

// creditNote stores a draft credit note of total (minor units) for the entity's invoice, as
// booksync.NewCreditNote makes it. The fixture's invoice has no lines, so the total is set as the
// lines would have computed it.
func (f *fixture) creditNote(entityID, invoiceID string, total int64) *booksync.Receivable {
	f.t.Helper()
	inv, err := f.st.Receivable(f.ctx, entityID, invoiceID)
	must(f.t, err)
	cn, err := booksync.NewCreditNote(*inv, uuid.NewString(), time.Now())
	must(f.t, err)
	cn.TotalAmount, cn.AmountDue, cn.AmountToPay, cn.TotalAmountWithCreditNotes = total, total, total, total
	must(f.t, f.st.CreateReceivable(f.ctx, &cn))
	return &cn
}

func (f *fixture) receivable(entityID, id string) *booksync.Receivable {
	f.t.Helper()
	r, err := f.st.Receivable(f.ctx, entityID, id)
	must(f.t, err)
	return r
}

func TestIssueCreditNote(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		t.Run("of an invoice in the books", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			cn := f.creditNote(e, inv, 500)
			issued, err := f.svc.Issue(f.ctx, e, cn.ID, time.Now())
			must(t, err)
			if issued.Status != booksync.StatusIssued || issued.DocumentID == nil || *issued.DocumentID != "CN-00001" {
				t.Fatalf("issued credit note is %s, document %v", issued.Status, issued.DocumentID)
			}
			got := f.receivable(e, inv)
			if got.Status != booksync.StatusIssued || got.AmountDue != 690 || got.AmountToPay != 690 || got.TotalAmountWithCreditNotes != 690 ||
				len(got.RelatedDocuments.CreditNoteIDs) != 1 || got.RelatedDocuments.CreditNoteIDs[0] != cn.ID {
				t.Fatalf("the credited invoice is %+v", got)
			}
			rec, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectReceivable, cn.ID)
			must(t, err)
			if rec.SyncStatus != booksync.SyncStatusPending || !rec.Auto {
				t.Fatalf("credit note's record = %+v", rec)
			}
			if n := f.pushes(conn); n != 1 {
				t.Fatalf("%d pushes queued, want 1", n)
			}
			// The credit notes' numbers leave the invoices' alone.
			inv2 := f.creditNoteFreeInvoice(e)
			r, err := f.svc.Issue(f.ctx, e, inv2, time.Now())
			must(t, err)
			if *r.DocumentID != "INV-00002" {
				t.Fatalf("the next invoice is %s, want INV-00002", *r.DocumentID)
			}
			// The rest of the invoice, credited, leaves nothing to pay: it is paid.
			rest := f.creditNote(e, inv, 690)
			_, err = f.svc.Issue(f.ctx, e, rest.ID, time.Now())
			must(t, err)
			if got := f.receivable(e, inv); got.Status != booksync.StatusPaid || got.AmountDue != 0 || got.PaidAt == nil || len(got.RelatedDocuments.CreditNoteIDs) != 2 {
				t.Fatalf("the invoice credited in full is %+v", got)
			}
		})

		t.Run("more than is due is refused and changes nothing", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			_, err := f.pay(e, inv, 400)
			must(t, err)
			before := f.receivable(e, inv)
			cn := f.creditNote(e, inv, 800)
			_, err = f.svc.Issue(f.ctx, e, cn.ID, time.Now())
			if booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "totals 800") || !strings.Contains(booksync.ErrorMessage(err), "790") {
				t.Fatalf("issuing a credit note of 800 on 790 due = %v, want ECONFLICT naming both", err)
			}
			if got := f.receivable(e, cn.ID); got.Status != booksync.StatusDraft || got.DocumentID != nil {
				t.Fatalf("the refused credit note is %s, document %v", got.Status, got.DocumentID)
			}
			if got := f.receivable(e, inv); got.Version != before.Version || got.AmountDue != 790 {
				t.Fatalf("the refused credit note changed the invoice: %+v", got)
			}
			if _, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectReceivable, cn.ID); booksync.ErrorCode(err) != booksync.ENOTFOUND {
				t.Fatalf("the refused credit note got a record (%v)", err)
			}
			// Nothing was used up: the next credit note is the first.
			ok := f.creditNote(e, inv, 790)
			r, err := f.svc.Issue(f.ctx, e, ok.ID, time.Now())
			must(t, err)
			if *r.DocumentID != "CN-00001" {
				t.Fatalf("the credit note after a refusal is %s, want CN-00001", *r.DocumentID)
			}
		})

		t.Run("of an invoice not in the books", func(t *testing.T) {
			e, inv, _ := f.entity("")
			f.issue(e, inv)
			now := time.Now()
			c := &booksync.Connection{ID: uuid.NewString(), EntityID: e, Platform: booksync.PlatformXero,
				Status: booksync.ConnectionConnected, TenantID: uuid.NewString(), CreatedAt: now, UpdatedAt: now}
			must(t, f.st.CreateConnection(f.ctx, c, uuid.NewString()))
			cn := f.creditNote(e, inv, 100)
			_, err := f.svc.Issue(f.ctx, e, cn.ID, time.Now())
			must(t, err)
			if recs := f.records(e); len(recs) != 0 || f.pushes(c.ID) != 0 {
				t.Fatalf("a credit note of an invoice without a record got records %+v", recs)
			}
		})

		t.Run("two at once cannot both exceed what is due", func(t *testing.T) {
			e, inv, _ := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			a, b := f.creditNote(e, inv, 700), f.creditNote(e, inv, 700)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, cn := range []*booksync.Receivable{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.svc.Issue(f.ctx, e, cn.ID, time.Now())
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("two credit notes of 700 on 1190 due: errors %v and %v, want exactly one refused", errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && booksync.ErrorCode(err) != booksync.ECONFLICT {
					t.Fatalf("the refused one = %v, want ECONFLICT", err)
				}
			}
			if got := f.receivable(e, inv); got.AmountDue != 490 || len(got.RelatedDocuments.CreditNoteIDs) != 1 {
				t.Fatalf("after the race the invoice has %d due and credit notes %v", got.AmountDue, got.RelatedDocuments.CreditNoteIDs)
			}
		})
	})
}

// creditNoteFreeInvoice stores another draft invoice of 11.90 EUR for the entity.
func (f *fixture) creditNoteFreeInvoice(entityID string) string {
	f.t.Helper()
	now := time.Now()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: entityID, CreatedAt: now, UpdatedAt: now,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartName: "Globex", TotalAmount: 1190, AmountDue: 1190, AmountToPay: 1190}
	must(f.t, f.st.CreateReceivable(f.ctx, r))
	return r.ID
}

func TestCancelPayment(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		t.Run("of a payment in the books", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			first, err := f.pay(e, inv, 400)
			must(t, err)
			second, err := f.pay(e, inv, 790)
			must(t, err)
			// The second payment reached the books.
			rec, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectPaymentRecord, second.ID)
			must(t, err)
			pushed := "xero-payment-1"
			rec.SyncStatus, rec.PlatformObjectID = booksync.SyncStatusDone, &pushed
			must(t, f.st.UpdateSyncedRecord(f.ctx, rec))

			intent := "refunded"
			p, err := f.svc.CancelPayment(f.ctx, e, second.ID, &intent, time.Now())
			must(t, err)
			if p.Status != booksync.PaymentStatusCanceled || len(p.History) == 0 || p.History[len(p.History)-1].Status != booksync.PaymentStatusCanceled ||
				p.PaymentIntentStatus == nil || *p.PaymentIntentStatus != "refunded" {
				t.Fatalf("canceled payment = %+v", p)
			}
			stored, err := f.st.PaymentRecord(f.ctx, e, second.ID)
			must(t, err)
			if stored.Status != booksync.PaymentStatusCanceled || stored.Amount != 790 {
				t.Fatalf("stored payment = %+v", stored)
			}
			got := f.receivable(e, inv)
			if got.Status != booksync.StatusPartiallyPaid || got.AmountPaid != 400 || got.AmountDue != 790 || got.PaidAt != nil {
				t.Fatalf("after the cancel the invoice is %+v", got)
			}
			rec, err = f.st.RecordFor(f.ctx, conn, booksync.ObjectPaymentRecord, second.ID)
			must(t, err)
			if rec.SyncStatus != booksync.SyncStatusPending || rec.PlatformObjectID == nil || *rec.PlatformObjectID != pushed {
				t.Fatalf("the canceled payment's record = %+v, want pending with its id in the books", rec)
			}

			_, err = f.svc.CancelPayment(f.ctx, e, first.ID, nil, time.Now())
			must(t, err)
			if got := f.receivable(e, inv); got.Status != booksync.StatusIssued || got.AmountPaid != 0 || got.AmountDue != 1190 {
				t.Fatalf("with every payment canceled the invoice is %+v", got)
			}

			before := f.receivable(e, inv)
			_, err = f.svc.CancelPayment(f.ctx, e, first.ID, nil, time.Now())
			if booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "already canceled") {
				t.Fatalf("canceling twice = %v, want ECONFLICT", err)
			}
			if got := f.receivable(e, inv); got.Version != before.Version {
				t.Fatalf("a refused cancel changed the invoice")
			}
		})

		t.Run("of another entity's payment", func(t *testing.T) {
			e, inv, _ := f.entity("")
			f.issue(e, inv)
			p, err := f.pay(e, inv, 100)
			must(t, err)
			other, _, _ := f.entity("")
			if _, err := f.svc.CancelPayment(f.ctx, other, p.ID, nil, time.Now()); booksync.ErrorCode(err) != booksync.ENOTFOUND {
				t.Fatalf("canceling another entity's payment = %v, want ENOTFOUND", err)
			}
			if got, err := f.st.PaymentRecord(f.ctx, e, p.ID); err != nil || got.Status != booksync.PaymentStatusSucceeded {
				t.Fatalf("the payment is %+v (%v), want it succeeded still", got, err)
			}
		})
	})
}

func TestMarkUncollectible(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		e, inv, conn := f.entity(booksync.ConnectionConnected)
		if _, err := f.svc.MarkUncollectible(f.ctx, e, inv, nil, time.Now()); booksync.ErrorCode(err) != booksync.ECONFLICT {
			t.Fatalf("marking a draft uncollectible = %v, want ECONFLICT", err)
		}
		f.issue(e, inv)
		comment := "gone bust"
		r, err := f.svc.MarkUncollectible(f.ctx, e, inv, &comment, time.Now())
		must(t, err)
		if got := f.receivable(e, inv); got.Status != booksync.StatusUncollectible || got.Comment == nil || *got.Comment != comment || got.Version != r.Version {
			t.Fatalf("uncollectible invoice is %+v", got)
		}
		// The books keep the invoice open: nothing more is pushed.
		rec, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectReceivable, inv)
		must(t, err)
		if rec.ObjectUpdatedAt == nil || f.pushes(conn) != 1 {
			t.Fatalf("marking uncollectible queued a push")
		}
	})
}
