package syncer_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/syncer"
	"github.com/google/uuid"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"
)

// bundle is an engine on a real database, connected to fake books for one entity.
type bundle struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	e      *syncer.Engine
	entity *booksync.Entity
	conn   *booksync.Connection
	sales  string // the pulled sales account's id
}

const fakePlatform = "fakebooks"

func forEachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, filepath.Join(t.TempDir(), "booksync.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, pgtest.NewDatabase(t))
	})
}

// start starts the engine, connects the entity and waits for the initial pull.
func (b *bundle) start() {
	b.t.Helper()
	b.startEngine()
	b.connect()
	b.waitForPull()
}

func (b *bundle) startEngine() {
	b.t.Helper()
	must(b.t, b.e.Start(b.ctx))
	b.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = b.e.Stop(ctx)
	})
}

func (b *bundle) connect() {
	b.t.Helper()
	var err error
	if b.conn, err = b.e.Connect(b.ctx, b.entity.ID, fakePlatform); err != nil {
		b.t.Fatal(err)
	}
}

func (b *bundle) waitForPull() {
	b.t.Helper()
	b.waitFor("the initial pull", func() bool {
		_, accounts, err := b.st.PulledOf(b.ctx, b.conn.ID)
		must(b.t, err)
		for _, a := range accounts {
			if a.Name == "Sales" {
				b.sales = a.ID
			}
		}
		return b.sales != ""
	})
}

// issue creates and issues an invoice of one catalog product at 19%; account names the line's
// ledger account (empty: the entity's default decides).
func (b *bundle) issue(account string) string {
	b.t.Helper()
	now := time.Now()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: b.entity.ID, CreatedAt: now, UpdatedAt: now,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartType: booksync.CounterpartTypeOrganization,
		CounterpartName: "Globex", VATMode: booksync.VATModeExclusive,
		LineItems: []booksync.LineItem{{
			Quantity: booksync.Quantity{Decimal: decimal.RequireFromString("2.5")},
			Product: booksync.LineProduct{ID: uuid.NewString(), Name: "Widget",
				Price: booksync.Price{Currency: "EUR", Value: 400}},
			TotalBeforeVAT: 1000, TotalAfterVAT: 1190, TaxRateValue: 1900,
		}},
		Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, AmountDue: 1190, AmountToPay: 1190,
	}
	if account != "" {
		r.LineItems[0].Product.LedgerAccountID = &account
	}
	must(b.t, b.st.CreateReceivable(b.ctx, r))
	if _, err := invoicing.New(b.st, b.e).Issue(b.ctx, b.entity.ID, r.ID, now); err != nil {
		b.t.Fatal(err)
	}
	return r.ID
}

// record returns the invoice's record as it is now.
func (b *bundle) record(invoiceID string) *booksync.SyncedRecord {
	b.t.Helper()
	rec, err := b.st.RecordFor(b.ctx, b.conn.ID, booksync.ObjectReceivable, invoiceID)
	if err != nil {
		b.t.Fatal(err)
	}
	return rec
}

// settled waits until the invoice's record is no longer pending and returns it.
func (b *bundle) settled(invoiceID string) *booksync.SyncedRecord {
	b.t.Helper()
	var rec *booksync.SyncedRecord
	b.waitFor("the record of "+invoiceID+" to settle", func() bool {
		rec = b.record(invoiceID)
		return rec.SyncStatus != booksync.SyncStatusPending
	})
	return rec
}

func (b *bundle) setDefaultSalesAccount() {
	b.t.Helper()
	st, err := b.st.Settings(b.ctx, b.entity.ID)
	must(b.t, err)
	sales := b.sales
	st.Accounting = &booksync.AccountingSettings{LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: &sales}}
	must(b.t, b.st.UpdateSettings(b.ctx, b.entity.ID, st))
}

// waitFor polls cond. What it waits for takes milliseconds; the bound only keeps a broken engine
// from hanging the test run.
func (b *bundle) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// blockOn makes the books hold the first invoice push that contains ref (any invoice, when ref is
// empty) until release is closed, after signalling entered, and then answer with then; other
// pushes are accepted.
func blockOn(ref string, entered chan<- struct{}, release <-chan struct{}, then func([]platform.Invoice) ([]platform.Result, error)) func(context.Context, []platform.Invoice) ([]platform.Result, error) {
	var once sync.Once
	return func(ctx context.Context, invs []platform.Invoice) ([]platform.Result, error) {
		for _, inv := range invs {
			if ref != "" && inv.Ref != ref {
				continue
			}
			blocked := false
			once.Do(func() { blocked = true })
			if !blocked {
				break
			}
			if err := hold(ctx, entered, release); err != nil {
				return nil, err
			}
			return then(invs)
		}
		return acceptAll(invs), nil
	}
}

// TestRepushAfterFixingSettingsUsesTheFix fixes the setting an invoice's error names and pushes
// its record again while a push of the connection is running (it read the settings before the
// fix): the record must be pushed with the fixed settings, not get the stale error back.
func TestRepushAfterFixingSettingsUsesTheFix(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		// The first invoice to reach the books is held there: an invoice without a ledger
		// account is refused before it is sent.
		entered, release := make(chan struct{}), make(chan struct{})
		books.PushInvoicesFn = blockOn("", entered, release, func(invs []platform.Invoice) ([]platform.Result, error) { return acceptAll(invs), nil })
		b := newTestEngine(t, dsn, books, engineOptions{})
		b.start()

		// No default sales account yet: the invoice's line has no ledger account.
		needsDefault := b.issue("")
		rec := b.settled(needsDefault)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodeLedgerAccountNotSet {
			t.Fatalf("before the fix: %s %+v", rec.SyncStatus, rec.Errors)
		}

		// A push is running, its settings read, when the user fixes the setting and retries.
		other := b.issue(b.sales)
		<-entered
		b.setDefaultSalesAccount()
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		close(release)

		if rec = b.settled(needsDefault); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("after fixing the setting and pushing again: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if rec := b.settled(other); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("the other invoice: %s %+v", rec.SyncStatus, rec.Errors)
		}
	})
}

// TestRetryOfAnErrorWaitsForTheSyncsPull pushes a record in error again after its cause was fixed
// in the books (its tax rate added there), and a push of the connection runs before the sync that
// the retry asked for has pulled: that push must leave the record alone, since it would send it
// with the tax rates of the last pull and put it back in error; so must one after the record is
// pushed again during the pull. The record is sent after the sync's pull, with the new rate.
func TestRetryOfAnErrorWaitsForTheSyncsPull(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var mu sync.Mutex
		added, blocked := false, false
		entered, release := make(chan struct{}), make(chan struct{})
		books.TaxRatesFn = func(ctx context.Context) ([]platform.TaxRate, error) {
			mu.Lock()
			rates := []platform.TaxRate{{Code: "VAT7", Name: "VAT 7%", Status: "Active", Rate: 700, Revenue: true}}
			if added {
				rates = append(rates, platform.TaxRate{Code: "VAT19", Name: "VAT 19%", Status: "Active", Rate: 1900, Revenue: true})
			}
			block := added && !blocked
			blocked = blocked || block
			mu.Unlock()
			if block {
				// The retry's sync is reading the books when the other push runs.
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
			}
			return rates, nil
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		letGo := sync.OnceFunc(func() { close(release) })
		t.Cleanup(letGo) // before the engine stops, should the test fail while the pull is held

		inv := b.issue(b.sales) // at 19%, a rate the books do not have yet
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusError {
			t.Fatalf("before the rate was added: %s %+v", rec.SyncStatus, rec.Errors)
		}

		mu.Lock()
		added = true
		mu.Unlock()
		last := b.settle()
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		<-entered
		pushMeanwhile := func(after int64) int64 {
			t.Helper()
			must(t, b.st.InTx(b.ctx, func(tx *sql.Tx) error { return b.e.QueuePushTx(b.ctx, tx, b.conn.ID) }))
			job := b.pushJob(after, "the push queued during the sync's pull to finish", inState(rivertype.JobStateCompleted))
			if rec := b.record(inv); rec.SyncStatus != booksync.SyncStatusPending || !rec.WaitsForPull {
				t.Fatalf("a push before the sync's pull settled the retried record: %s %+v", rec.SyncStatus, rec.Errors)
			}
			return job.ID
		}
		last = pushMeanwhile(last)
		// Pushed again while the sync pulls (a double click): it still waits, now for a pull that
		// begins after this, which the sync then runs.
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		pushMeanwhile(last)

		letGo()
		if rec = b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("after the sync's pull: %s %+v", rec.SyncStatus, rec.Errors)
		}
	})
}

// TestTheSweepSyncsARecordLeftWaiting: a record that waits for a sync's pull with no sync to pull
// (a writer made it pending again and kept it waiting, but queued a push only) gets a sync from
// the minute's sweep once it has waited a minute, and is pushed after the pull.
func TestTheSweepSyncsARecordLeftWaiting(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(refuseFirst(contactArchived()))
		b, _ := startedEngine(t, dsn, books, engineOptions{})
		inv := b.issue(b.sales)
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusError {
			t.Fatalf("first push: %s", rec.SyncStatus)
		}
		b.settle()

		// Waiting since two minutes, with no sync asked for.
		rec.SyncStatus, rec.Errors, rec.WaitsForPull = booksync.SyncStatusPending, nil, true
		rec.UpdatedAt = time.Now().Add(-2 * time.Minute)
		must(t, b.st.UpdateSyncedRecord(b.ctx, rec))
		must(t, b.e.Sweep(b.ctx))
		if rec = b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("after the sweep: %s %+v", rec.SyncStatus, rec.Errors)
		}
	})
}

// TestStaleOutcomeDoesNotOverwriteRepush pushes a record again while an earlier push of it waits
// for the accounting system's answer: that answer is about the record as it was before, so it must
// not replace the new push, which must reach the books.
func TestStaleOutcomeDoesNotOverwriteRepush(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		archived := contactArchived()
		entered, release := make(chan struct{}), make(chan struct{})
		books.PushInvoicesFn = log.wrap(func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			switch call {
			case 1: // the first push
				return refuse(invs, archived), nil
			case 2: // the first retry: the books think it over, then answer with the old refusal
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
				return refuse(invs, archived), nil
			}
			return acceptAll(invs), nil
		})
		b, _ := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusError {
			t.Fatalf("first push: %s", rec.SyncStatus)
		}

		// The user pushes the record again; while the books think it over, the user fixes the
		// cause in the books and pushes once more. The answer to the first retry is the old refusal.
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		<-entered
		if _, err := b.e.PushRecord(b.ctx, b.entity.ID, rec.ID); err != nil {
			t.Fatal(err)
		}
		close(release)

		if rec = b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("after the second retry: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if n := log.pushesOf(inv); n != 3 {
			t.Fatalf("invoice pushed %d times, want 3 (first push and two retries)", n)
		}
	})
}

// TestStartReleasesLeasesOfAKilledRun starts an engine on a SQLite database whose previous
// process was killed holding its connection's leases: one process owns a SQLite file, so those
// leases are released at start and the connection is pushed at once, not when they expire.
func TestStartReleasesLeasesOfAKilledRun(t *testing.T) {
	t.Parallel()
	b := newTestEngine(t, filepath.Join(t.TempDir(), "booksync.db"), fakeBooks(), engineOptions{JobTimeout: time.Hour})
	b.connect()
	now := time.Now()
	for _, lease := range []string{store.LeasePush, store.LeaseRefresh} {
		if ok, err := b.st.AcquireLease(b.ctx, b.conn.ID, lease, now, now.Add(time.Hour)); err != nil || !ok {
			t.Fatalf("the killed run's %s lease: %v %v", lease, ok, err)
		}
	}

	b.startEngine()
	for _, lease := range []string{store.LeasePush, store.LeaseRefresh} {
		now := time.Now()
		ok, err := b.st.AcquireLease(b.ctx, b.conn.ID, lease, now, now.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("after start, the killed run's %s lease is still held (%v)", lease, err)
		}
		must(t, b.st.ReleaseLease(b.ctx, b.conn.ID, lease, now.Add(time.Minute)))
	}
	b.waitForPull()
	b.setDefaultSalesAccount()
	if rec := b.settled(b.issue("")); rec.SyncStatus != booksync.SyncStatusDone {
		t.Fatalf("push after start: %s %+v", rec.SyncStatus, rec.Errors)
	}
}

// TestPushLeaseLapsesWithinJobTimeout holds a push in the books and looks at its lease as another
// process does: held now, and free once the job timeout has passed, so that the push of a killed
// process never outlasts the job timeout (River rescues its job a little later).
func TestPushLeaseLapsesWithinJobTimeout(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		const jobTimeout = time.Hour
		books := fakeBooks()
		entered, release := make(chan struct{}), make(chan struct{})
		books.PushInvoicesFn = blockOn("", entered, release, func(invs []platform.Invoice) ([]platform.Result, error) { return acceptAll(invs), nil })
		b, _ := startedEngine(t, dsn, books, engineOptions{JobTimeout: jobTimeout})

		b.issue("")
		defer close(release)
		<-entered
		// The push took its lease before it reached the books, so before this instant.
		pushing := time.Now()
		if ok, err := b.st.AcquireLease(b.ctx, b.conn.ID, store.LeasePush, pushing, pushing.Add(time.Minute)); err != nil || ok {
			t.Fatalf("another process took the lease of a running push (%v)", err)
		}
		later := pushing.Add(jobTimeout + time.Millisecond)
		if ok, err := b.st.AcquireLease(b.ctx, b.conn.ID, store.LeasePush, later, later.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("the push lease is still held a job timeout after the push began (%v)", err)
		}
	})
}
