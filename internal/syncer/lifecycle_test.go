package syncer_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
)

// cancel cancels an issued invoice as POST /receivables/{id}/cancel does.
func (b *bundle) cancel(invoiceID string) {
	b.t.Helper()
	if _, err := invoicing.New(b.st, b.e).Cancel(b.ctx, b.entity.ID, invoiceID, time.Now()); err != nil {
		b.t.Fatal(err)
	}
}

// receivable returns the invoice as booksync holds it now.
func (b *bundle) receivable(id string) *booksync.Receivable {
	b.t.Helper()
	r, err := b.st.Receivable(b.ctx, b.entity.ID, id)
	must(b.t, err)
	return r
}

// payments returns the entity's payment records.
func (b *bundle) payments() []booksync.PaymentRecord {
	b.t.Helper()
	page, err := b.st.PaymentRecords(b.ctx, b.entity.ID, booksync.ListQuery{Limit: 100})
	must(b.t, err)
	return page.Items
}

// voidLog keeps the voids a fake's VoidInvoicesFn was asked for, and answers with answer.
type voidLog struct {
	mu     sync.Mutex
	voids  []platform.Void
	answer func(v platform.Void) error
}

func (l *voidLog) fn(_ context.Context, vs []platform.Void) ([]platform.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]platform.Result, len(vs))
	for i, v := range vs {
		l.voids = append(l.voids, v)
		out[i] = platform.Result{Ref: v.Ref, PlatformID: v.InvoiceID}
		if l.answer != nil {
			out[i].Err = l.answer(v)
		}
	}
	return out, nil
}

func (l *voidLog) of(ref string) []platform.Void {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []platform.Void
	for _, v := range l.voids {
		if v.Ref == ref {
			out = append(out, v)
		}
	}
	return out
}

// TestCancelVoidsTheInvoiceInTheBooks cancels invoices: one in the books is voided there, once,
// and its record is done; one whose books refuse the void (a payment was made there) gets a
// record in error that states both facts, and booksync keeps it canceled; one that never reached
// the books is settled without a call.
func TestCancelVoidsTheInvoiceInTheBooks(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var voids voidLog
		voids.answer = func(v platform.Void) error {
			if v.Number == "refused" {
				return &platform.Error{Class: platform.NeedsUserAction, Code: "invoice_has_payments",
					Message: "Invoice has a payment of 5.00 EUR (PAY-1, 2026-11-20)"}
			}
			return nil
		}
		books.VoidInvoicesFn = voids.fn
		books.InvoicesFn = func(context.Context, platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) { return nil, nil }
		var log invoiceLog
		var refuseNext atomic.Bool
		books.PushInvoicesFn = log.wrap(func(_ context.Context, _ int, invs []platform.Invoice) ([]platform.Result, error) {
			if refuseNext.Load() {
				return refuse(invs, contactArchived()), nil
			}
			return acceptAll(invs), nil
		})
		b, _ := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("invoice record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		b.cancel(inv)
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusDone || rec.PlatformObjectID == nil || *rec.PlatformObjectID != "invoice-"+inv {
			t.Fatalf("canceled invoice's record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if got := voids.of(inv); len(got) != 1 || got[0].InvoiceID != "invoice-"+inv {
			t.Fatalf("voids of the canceled invoice: %+v, want one of invoice-%s", got, inv)
		}

		// The books refuse: both sides keep what they have, and the record says so.
		refused := b.issue("")
		b.settled(refused)
		r := b.receivable(refused)
		number := "refused"
		r.DocumentID = &number
		must(t, b.st.UpdateReceivable(b.ctx, r))
		b.cancel(refused)
		rec = b.settled(refused)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != "invoice_has_payments" ||
			!strings.Contains(rec.Errors.Message, "canceled in booksync") || !strings.Contains(rec.Errors.Message, "PAY-1") {
			t.Fatalf("refused void's record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if got := b.receivable(refused).Status; got != booksync.StatusCanceled {
			t.Fatalf("invoice whose void was refused is %s here, want canceled", got)
		}

		// Never in the books: nothing to void.
		refuseNext.Store(true)
		never := b.issue("")
		if rec = b.settled(never); rec.SyncStatus != booksync.SyncStatusError {
			t.Fatalf("refused invoice's record: %s", rec.SyncStatus)
		}
		b.cancel(never)
		if rec = b.settled(never); rec.SyncStatus != booksync.SyncStatusDone || rec.PlatformObjectID != nil {
			t.Fatalf("canceled invoice that never reached the books: %s %+v %v", rec.SyncStatus, rec.Errors, rec.PlatformObjectID)
		}
		if got := voids.of(never); len(got) != 0 {
			t.Fatalf("an invoice that never reached the books was voided: %+v", got)
		}
	})
}

// feed is a fake change feed: a list of changes in the books, whose cursor is how many of them a
// pull has read.
type feed struct {
	mu       sync.Mutex
	payments []platform.PaymentChange
	invoices []platform.InvoiceChange
	pulls    int
}

func (f *feed) add(p *platform.PaymentChange, i *platform.InvoiceChange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Each change is one entry; the other list gets a placeholder that reports nothing.
	if p != nil {
		f.payments = append(f.payments, *p)
		f.invoices = append(f.invoices, platform.InvoiceChange{})
	} else {
		f.invoices = append(f.invoices, *i)
		f.payments = append(f.payments, platform.PaymentChange{})
	}
}

func (f *feed) changes(_ context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls++
	from := 0
	if q.Cursor != "" {
		from, _ = strconv.Atoi(q.Cursor)
	}
	var ch platform.Changes
	for i := from; i < len(f.payments); i++ {
		if f.payments[i].ID != "" {
			ch.Payments = append(ch.Payments, f.payments[i])
		}
		if f.invoices[i].ID != "" {
			ch.Invoices = append(ch.Invoices, f.invoices[i])
		}
	}
	ch.Cursor, ch.Calls = strconv.Itoa(len(f.payments)), 1
	return ch, nil
}

func (f *feed) pullCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pulls
}

// sync runs a sync of the connection and waits until it pulled: the connection's last pull,
// which a sync stamps after it applied the changes in the books, moves past the moment of asking.
func (b *bundle) sync(f *feed) {
	b.t.Helper()
	asked := time.Now()
	before := f.pullCount()
	must(b.t, b.e.SyncNow(b.ctx, b.entity.ID, b.conn.ID))
	b.waitFor("a sync to pull", func() bool {
		c, err := b.st.ConnectionByID(b.ctx, b.conn.ID)
		must(b.t, err)
		return f.pullCount() > before && c.LastPull != nil && c.LastPull.After(asked)
	})
}

// TestPaymentsMadeInTheBooksComeBackOnce pulls changes from the books: a payment made there
// becomes a payment record of its invoice, once, however often it is reported; it is never pushed
// back; its deletion there cancels it here; an invoice voided there is canceled here; a payment
// of an invoice canceled here is a disagreement that changes nothing and says so.
func TestPaymentsMadeInTheBooksComeBackOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var f feed
		books.ChangesFn = f.changes
		var mu sync.Mutex
		pushed := 0
		accept := books.PushPaymentsFn
		books.PushPaymentsFn = func(ctx context.Context, ps []platform.Payment) ([]platform.Result, error) {
			mu.Lock()
			pushed += len(ps)
			mu.Unlock()
			return accept(ctx, ps)
		}
		books.VoidInvoicesFn = (&voidLog{}).fn
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		b.setPaymentsAccount("Bank")
		inv := b.issue("")
		b.settled(inv)
		ledgerInv := "invoice-" + inv

		f.add(&platform.PaymentChange{ID: "pay-1", InvoiceID: ledgerInv, Amount: 500, Currency: "EUR", Date: "2026-11-20"}, nil)
		f.add(&platform.PaymentChange{ID: "pay-other", InvoiceID: "not-booksyncs", Amount: 100, Currency: "EUR", Date: "2026-11-20"}, nil)
		b.sync(&f)
		b.sync(&f) // nothing new
		r := b.receivable(inv)
		if r.Status != booksync.StatusPartiallyPaid || r.AmountPaid != 500 || r.AmountDue != 690 {
			t.Fatalf("after the payment in the books the invoice is %s, paid %d, due %d", r.Status, r.AmountPaid, r.AmountDue)
		}
		ps := b.payments()
		if len(ps) != 1 || ps[0].Source != booksync.PaymentSourceBooks || ps[0].LedgerID != "pay-1" || ps[0].Amount != 500 ||
			ps[0].PaidAt == nil || ps[0].PaidAt.Format("2006-01-02") != "2026-11-20" {
			t.Fatalf("payment records after the pull: %+v", ps)
		}
		rec, err := b.st.RecordFor(b.ctx, b.conn.ID, booksync.ObjectPaymentRecord, ps[0].ID)
		must(t, err)
		if rec.SyncStatus != booksync.SyncStatusDone || rec.PlatformObjectID == nil || *rec.PlatformObjectID != "pay-1" {
			t.Fatalf("pulled payment's record: %s %v", rec.SyncStatus, rec.PlatformObjectID)
		}

		// Reported again (a connector reports each change at least once): still one payment.
		must(t, b.st.InTx(b.ctx, func(tx *sql.Tx) error { return b.st.SetPullCursorTx(b.ctx, tx, b.conn.ID, "0") }))
		b.sync(&f)
		if ps := b.payments(); len(ps) != 1 || b.receivable(inv).AmountPaid != 500 {
			t.Fatalf("a payment reported twice was recorded %d times (paid %d)", len(ps), b.receivable(inv).AmountPaid)
		}
		// Pushing its record sends nothing: it came from the books.
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		b.settledPayment(ps[0].ID)
		mu.Lock()
		if pushed != 0 {
			t.Fatalf("a payment pulled from the books was pushed back %d times", pushed)
		}
		mu.Unlock()

		// Deleted in the books: canceled here, and the invoice is open again.
		f.add(&platform.PaymentChange{ID: "pay-1", InvoiceID: ledgerInv, Amount: 500, Currency: "EUR", Deleted: true}, nil)
		b.sync(&f)
		if ps := b.payments(); ps[0].Status != booksync.PaymentStatusCanceled {
			t.Fatalf("payment deleted in the books is %s here", ps[0].Status)
		}
		if r := b.receivable(inv); r.Status != booksync.StatusIssued || r.AmountPaid != 0 || r.AmountDue != 1190 {
			t.Fatalf("after the payment's deletion the invoice is %s, paid %d, due %d", r.Status, r.AmountPaid, r.AmountDue)
		}

		// Voided in the books: canceled here.
		f.add(nil, &platform.InvoiceChange{ID: ledgerInv, State: platform.InvoiceVoided, Status: "VOIDED"})
		b.sync(&f)
		if r := b.receivable(inv); r.Status != booksync.StatusCanceled {
			t.Fatalf("invoice voided in the books is %s here", r.Status)
		}

		// Paid in the books, canceled here: neither side changes, and the record says why.
		f.add(&platform.PaymentChange{ID: "pay-2", InvoiceID: ledgerInv, Amount: 1190, Currency: "EUR", Date: "2026-11-21"}, nil)
		b.sync(&f)
		if ps := b.payments(); len(ps) != 1 {
			t.Fatalf("a payment of a canceled invoice was recorded: %+v", ps)
		}
		rec = b.record(inv)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodeBooksDisagree ||
			!strings.Contains(rec.Errors.Message, "pay-2") || !strings.Contains(rec.Errors.Message, "canceled") {
			t.Fatalf("record of an invoice paid there and canceled here: %s %+v", rec.SyncStatus, rec.Errors)
		}
	})
}

// creditNote creates and issues a credit note of the whole invoice, as POST /receivables
// {"type": "credit_note", "based_on": ...} and its issue do, and returns its id.
func (b *bundle) creditNote(invoiceID string) string {
	b.t.Helper()
	cn, err := booksync.NewCreditNote(*b.receivable(invoiceID), uuid.NewString(), time.Now())
	must(b.t, err)
	must(b.t, b.st.CreateReceivable(b.ctx, &cn))
	if _, err := invoicing.New(b.st, b.e).Issue(b.ctx, b.entity.ID, cn.ID, time.Now()); err != nil {
		b.t.Fatal(err)
	}
	return cn.ID
}

// TestCreditNoteWaitsForItsInvoice issues a credit note while its invoice's push is still
// running: the credit note waits, then goes to the books as a credit note (not an invoice),
// applied to the invoice's id there for its whole total.
func TestCreditNoteWaitsForItsInvoice(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		entered, release := make(chan struct{}, 1), make(chan struct{})
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			if call == 1 {
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
			}
			return acceptAll(invs), nil
		})
		var mu sync.Mutex
		var notes []platform.CreditNote
		books.PushCreditNotesFn = func(_ context.Context, ns []platform.CreditNote) ([]platform.Result, error) {
			mu.Lock()
			defer mu.Unlock()
			notes = append(notes, ns...)
			out := make([]platform.Result, len(ns))
			for i, n := range ns {
				tot := n.Expected
				out[i] = platform.Result{Ref: n.Ref, PlatformID: "credit-" + n.Ref, Totals: &tot}
			}
			return out, nil
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		inv := b.issue("")
		<-entered // the invoice's push is in the books' hands
		cn := b.creditNote(inv)
		if rec := b.record(cn); rec.SyncStatus != booksync.SyncStatusPending {
			t.Fatalf("credit note of an invoice still being pushed: %s", rec.SyncStatus)
		}
		close(release)
		rec := b.settled(cn)
		if rec.SyncStatus != booksync.SyncStatusDone || rec.PlatformObjectID == nil || *rec.PlatformObjectID != "credit-"+cn {
			t.Fatalf("credit note's record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(notes) != 1 || notes[0].InvoiceID != "invoice-"+inv || notes[0].Amount != 1190 || notes[0].Expected.Total != 1190 {
			t.Fatalf("credit notes sent: %+v", notes)
		}
		if log.pushesOf(cn) != 0 {
			t.Fatal("the credit note was pushed as an invoice")
		}
	})
}

// TestPullWhileAPaymentIsPushedRecordsItOnce pulls the books while booksync's own payment is
// being pushed (its id there not known yet): the books report it, and booksync does not take it
// for a payment made there. Once the push settles, it is booksync's payment, recorded once.
func TestPullWhileAPaymentIsPushedRecordsItOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var f feed
		books.ChangesFn = f.changes
		entered, release := make(chan struct{}, 1), make(chan struct{})
		accept := books.PushPaymentsFn
		books.PushPaymentsFn = func(ctx context.Context, ps []platform.Payment) ([]platform.Result, error) {
			if err := hold(ctx, entered, release); err != nil {
				return nil, err
			}
			return accept(ctx, ps)
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		b.setPaymentsAccount("Bank")
		inv := b.issue("")
		b.settled(inv)
		paid := b.pay(inv, 500)
		<-entered // the payment is in the books; booksync does not know its id there yet
		f.add(&platform.PaymentChange{ID: "payment-" + paid, InvoiceID: "invoice-" + inv, Amount: 500, Currency: "EUR", Date: "2026-11-20"}, nil)
		b.sync(&f)
		if ps := b.payments(); len(ps) != 1 {
			t.Fatalf("booksync's own payment, reported by the books while pushed, was recorded again: %+v", ps)
		}
		close(release)
		if rec := b.settledPayment(paid); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("payment record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		b.sync(&f) // the held change is tried again: now it is booksync's own
		if ps := b.payments(); len(ps) != 1 || b.receivable(inv).AmountPaid != 500 {
			t.Fatalf("after the push settled: %d payment records, %d paid", len(ps), b.receivable(inv).AmountPaid)
		}
	})
}

// TestDisagreeingPaymentIsTriedAgain pulls a payment made in the books of an invoice booksync has
// paid in full already (the same payment recorded on both sides): the invoice's record says so,
// and once the user cancels booksync's duplicate, the next sync records the books' payment.
func TestDisagreeingPaymentIsTriedAgain(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var f feed
		books.ChangesFn = f.changes
		books.DeletePaymentsFn = func(_ context.Context, refs []platform.PaymentRef) ([]platform.Result, error) {
			out := make([]platform.Result, len(refs))
			for i, r := range refs {
				out[i] = platform.Result{Ref: r.Ref, PlatformID: r.PaymentID}
			}
			return out, nil
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		b.setPaymentsAccount("Bank")
		inv := b.issue("")
		b.settled(inv)
		dup := b.pay(inv, 1190)
		b.settledPayment(dup)
		f.add(&platform.PaymentChange{ID: "bank-feed-1", InvoiceID: "invoice-" + inv, Amount: 1190, Currency: "EUR", Date: "2026-11-20"}, nil)
		b.sync(&f)
		rec := b.record(inv)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodeBooksDisagree || !strings.Contains(rec.Errors.Message, "bank-feed-1") {
			t.Fatalf("record of an invoice paid twice: %s %+v", rec.SyncStatus, rec.Errors)
		}
		// The platform hears of it, as of any failure.
		evs, err := b.st.Events(b.ctx, b.entity.ID, booksync.ListQuery{Limit: 100})
		must(t, err)
		heard := false
		for _, ev := range evs.Items {
			heard = heard || ev.Action == "receivable.accounting_failed" && strings.Contains(ev.Description, "Books disagree")
		}
		if !heard {
			t.Fatal("no receivable.accounting_failed event for the disagreement")
		}
		if _, err := invoicing.New(b.st, b.e).CancelPayment(b.ctx, b.entity.ID, dup, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		b.settledPayment(dup)
		b.sync(&f)
		r := b.receivable(inv)
		var fromBooks int
		for _, p := range b.payments() {
			if p.Source == booksync.PaymentSourceBooks && p.LedgerID == "bank-feed-1" && p.Status == booksync.PaymentStatusSucceeded {
				fromBooks++
			}
		}
		if r.Status != booksync.StatusPaid || r.AmountPaid != 1190 || fromBooks != 1 {
			t.Fatalf("after canceling the duplicate: invoice %s paid %d, %d payments from the books", r.Status, r.AmountPaid, fromBooks)
		}
	})
}

// TestVoidRefusedIsTriedAgainOnceThePaymentIsDeleted cancels an invoice whose books hold a payment
// booksync has not pulled: the void is refused and the record says so. When the payment is deleted
// in the books, the next sync pushes the record again, and the void goes through.
func TestVoidRefusedIsTriedAgainOnceThePaymentIsDeleted(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var f feed
		books.ChangesFn = f.changes
		var paidThere atomic.Bool
		voids := &voidLog{answer: func(platform.Void) error {
			if paidThere.Load() {
				return &platform.Error{Class: platform.NeedsUserAction, Code: platform.CodeInvoiceHasPayments, Message: "Invoice has a payment (pay-9)"}
			}
			return nil
		}}
		books.VoidInvoicesFn = voids.fn
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		inv := b.issue("")
		b.settled(inv)
		paidThere.Store(true)
		b.cancel(inv)
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != platform.CodeInvoiceHasPayments {
			t.Fatalf("void refused: %s %+v", rec.SyncStatus, rec.Errors)
		}
		// The payment reaches booksync (held: the invoice is canceled here), then is deleted there.
		f.add(&platform.PaymentChange{ID: "pay-9", InvoiceID: "invoice-" + inv, Amount: 500, Currency: "EUR", Date: "2026-11-20"}, nil)
		b.sync(&f)
		paidThere.Store(false)
		f.add(&platform.PaymentChange{ID: "pay-9", Deleted: true}, nil)
		b.sync(&f)
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("after the payment's deletion in the books: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if got := voids.of(inv); len(got) != 2 {
			t.Fatalf("voids sent: %+v, want the refused one and the one that went through", got)
		}
		if ps := b.payments(); len(ps) != 0 {
			t.Fatalf("a payment of a canceled invoice was recorded: %+v", ps)
		}
	})
}
