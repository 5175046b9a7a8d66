package syncer_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
)

// pay records a succeeded payment of amount against the invoice, as POST /payment_records does,
// and returns the payment's id.
func (b *bundle) pay(invoiceID string, amount int64) string {
	b.t.Helper()
	now := time.Now()
	p := &booksync.PaymentRecord{ID: uuid.NewString(), EntityID: b.entity.ID, CreatedAt: now, UpdatedAt: now, Amount: amount,
		Currency: "EUR", Status: booksync.PaymentStatusSucceeded, IsExternal: true, PaidAt: &now,
		Object:  booksync.PaymentRecordObject{ID: invoiceID, Type: "receivable"},
		History: []booksync.PaymentHistoryItem{{Status: booksync.PaymentStatusSucceeded, Timestamp: now}}}
	must(b.t, invoicing.New(b.st, b.e).RecordPayment(b.ctx, p, func(cur booksync.Receivable) (booksync.Receivable, error) {
		next, err := booksync.ApplyPayment(cur, amount, now)
		p.Object.OldStatus, p.Object.NewStatus = cur.Status, next.Status
		return next, err
	}))
	return p.ID
}

// settledPayment waits until the payment's record is no longer pending and returns it.
func (b *bundle) settledPayment(paymentID string) *booksync.SyncedRecord {
	b.t.Helper()
	var rec *booksync.SyncedRecord
	b.waitFor("the record of payment "+paymentID+" to settle", func() bool {
		var err error
		rec, err = b.st.RecordFor(b.ctx, b.conn.ID, booksync.ObjectPaymentRecord, paymentID)
		must(b.t, err)
		return rec.SyncStatus != booksync.SyncStatusPending
	})
	return rec
}

// setPaymentsAccount makes the pulled account of that name the one payments go to.
func (b *bundle) setPaymentsAccount(name string) {
	b.t.Helper()
	settings, err := b.st.Settings(b.ctx, b.entity.ID)
	must(b.t, err)
	_, accounts, err := b.st.PulledOf(b.ctx, b.conn.ID)
	must(b.t, err)
	for _, a := range accounts {
		if a.Name == name {
			id := a.ID
			settings.Accounting.LedgerAccountIDs.Payments = &id
		}
	}
	must(b.t, b.st.UpdateSettings(b.ctx, b.entity.ID, settings))
}

// TestPaymentIsPushedAgainstItsInvoice records payments of invoices: a payment waits for the
// payments account to be set, then goes to the books against its invoice's id there; a payment of
// an invoice the books refused is not pushed, and its record says to push the invoice first.
func TestPaymentIsPushedAgainstItsInvoice(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(func(_ context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			if call == 1 {
				return acceptAll(invs), nil
			}
			return refuse(invs, contactArchived()), nil
		})
		var mu sync.Mutex
		var payments []platform.Payment
		accept := books.PushPaymentsFn
		books.PushPaymentsFn = func(ctx context.Context, ps []platform.Payment) ([]platform.Result, error) {
			mu.Lock()
			payments = append(payments, ps...)
			mu.Unlock()
			return accept(ctx, ps)
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("invoice record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		paid := b.pay(inv, 500)
		rec := b.settledPayment(paid)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodePaymentAccountNotSet {
			t.Fatalf("payment without a payments account: %s %+v", rec.SyncStatus, rec.Errors)
		}

		b.setPaymentsAccount("Bank")
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		if rec = b.settledPayment(paid); rec.SyncStatus != booksync.SyncStatusDone || *rec.PlatformObjectID != "payment-"+paid {
			t.Fatalf("payment pushed again after setting the account: %s %+v", rec.SyncStatus, rec.Errors)
		}
		mu.Lock()
		sent := append([]platform.Payment(nil), payments...)
		mu.Unlock()
		p, err := b.st.PaymentRecord(b.ctx, b.entity.ID, paid)
		must(t, err)
		want := platform.Payment{Ref: paid, InvoiceID: "invoice-" + inv, AccountCode: "090", AccountID: "acc-bank", Amount: 500,
			Currency: "EUR", Reference: "booksync payment " + paid, Date: p.PaidAt.UTC().Format("2006-01-02")}
		if len(sent) != 1 || sent[0] != want {
			t.Fatalf("payments sent %+v: want %+v", sent, want)
		}

		refused := b.issue("")
		if rec := b.settled(refused); rec.SyncStatus != booksync.SyncStatusError {
			t.Fatalf("refused invoice record: %s", rec.SyncStatus)
		}
		if rec := b.settledPayment(b.pay(refused, 500)); rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodePaymentInvoiceNotPushed {
			t.Fatalf("payment of a refused invoice: %s %+v", rec.SyncStatus, rec.Errors)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(payments) != 1 {
			t.Fatalf("%d payments sent, want 1", len(payments))
		}
	})
}

// TestEachRecordOfABatchNamesItselfInItsFix pushes two payments in one batch while no payments
// account is set: both fail with the same cause, and each record's fix names that record, so that
// following the fix pushes the payment it was given for.
func TestEachRecordOfABatchNamesItselfInItsFix(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		entered, release := make(chan struct{}), make(chan struct{})
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			if call == 2 {
				// Holds the push while the payments are recorded, so that they share a batch.
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
			}
			return acceptAll(invs), nil
		})
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		inv := b.issue("")
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("invoice record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		b.issue("")
		<-entered
		first, second := b.pay(inv, 100), b.pay(inv, 200)
		close(release)
		for _, paid := range []string{first, second} {
			rec := b.settledPayment(paid)
			if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodePaymentAccountNotSet {
				t.Fatalf("payment %s without a payments account: %s %+v", paid, rec.SyncStatus, rec.Errors)
			}
			own := "/accounting_synced_records/" + rec.ID + "/push"
			for _, d := range rec.Errors.Details {
				if d.Fix != "" && !strings.Contains(d.Fix, own) {
					t.Errorf("the fix of payment %s's record %s names another record: %q", paid, rec.ID, d.Fix)
				}
			}
		}
	})
}
