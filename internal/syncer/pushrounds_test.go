package syncer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/platformtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// pushSetup is an engine (not started) connected to local books with one sales tax rate and one
// sales account, pulled, the entity's default sales account set; its pushes are run directly.
type pushSetup struct {
	e     *Engine
	st    *store.Store
	conn  *booksync.Connection
	books *platformtest.Connector

	mu    sync.Mutex
	calls [][]string // the invoices of each invoice push, by id
}

// newPushSetup connects to books with limits; opened, if not nil, is called each time the books
// are opened.
func newPushSetup(t *testing.T, limits platform.Limits, opened func()) *pushSetup {
	t.Helper()
	ctx := context.Background()
	s := &pushSetup{}
	accept := func(prefix string, refs []string) []platform.Result {
		out := make([]platform.Result, len(refs))
		for i, ref := range refs {
			out[i] = platform.Result{Ref: ref, PlatformID: prefix + ref}
		}
		return out
	}
	s.books = &platformtest.Connector{
		OrgFn: func(context.Context) (platform.Org, error) {
			return platform.Org{ID: "fake", Name: "Fake Books", BaseCurrency: "EUR", CountryCode: "DE"}, nil
		},
		TaxRatesFn: func(context.Context) ([]platform.TaxRate, error) {
			return []platform.TaxRate{{Code: "VAT19", Name: "VAT 19%", Status: "Active", Rate: 1900, Revenue: true}}, nil
		},
		LedgerAccountsFn: func(context.Context) ([]platform.LedgerAccount, error) {
			return []platform.LedgerAccount{{ID: "acc-sales", Code: "200", Name: "Sales", Type: "Income", Status: "Active"}}, nil
		},
		PushContactsFn: func(_ context.Context, cs []platform.Contact) ([]platform.Result, error) {
			refs := make([]string, len(cs))
			for i, c := range cs {
				refs[i] = c.Ref
			}
			return accept("contact-", refs), nil
		},
		PushItemsFn: func(_ context.Context, items []platform.Item) ([]platform.Result, error) {
			refs := make([]string, len(items))
			for i, it := range items {
				refs[i] = it.Ref
			}
			return accept("item-", refs), nil
		},
		PushInvoicesFn: func(_ context.Context, invs []platform.Invoice) ([]platform.Result, error) {
			refs := make([]string, len(invs))
			for i, inv := range invs {
				refs[i] = inv.Ref
			}
			s.mu.Lock()
			s.calls = append(s.calls, refs)
			s.mu.Unlock()
			return accept("invoice-", refs), nil
		},
	}
	p := &platform.Provider{Platform: "localbooks", Name: "Local Books", Limits: limits,
		Local: func(*booksync.Connection, *booksync.Entity) (platform.Connector, func() error, error) {
			if opened != nil {
				opened()
			}
			return s.books, nil, nil
		}}
	s.e, s.st, s.conn = newConnectedEngine(t, p)
	if err := s.e.pull(ctx, s.conn.ID); err != nil {
		t.Fatal(err)
	}
	settings, err := s.st.Settings(ctx, s.conn.EntityID)
	if err != nil {
		t.Fatal(err)
	}
	_, accounts, err := s.st.PulledOf(ctx, s.conn.ID)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("pulled accounts: %v %v", accounts, err)
	}
	settings.VATMode = booksync.VATModeExclusive
	settings.Accounting = &booksync.AccountingSettings{LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: &accounts[0].ID}}
	if err := s.st.UpdateSettings(ctx, s.conn.EntityID, settings); err != nil {
		t.Fatal(err)
	}
	return s
}

// issue creates and issues an invoice of one catalog product at 19%, and returns its id.
func (s *pushSetup) issue() (string, error) {
	ctx := context.Background()
	now := time.Now()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: s.conn.EntityID, CreatedAt: now, UpdatedAt: now,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartType: booksync.CounterpartTypeOrganization,
		CounterpartName: "Globex", VATMode: booksync.VATModeExclusive,
		LineItems: []booksync.LineItem{{
			Quantity:       booksync.Quantity{Decimal: decimal.RequireFromString("2.5")},
			Product:        booksync.LineProduct{ID: uuid.NewString(), Name: "Widget", Price: booksync.Price{Currency: "EUR", Value: 400}},
			TotalBeforeVAT: 1000, TotalAfterVAT: 1190, TaxRateValue: 1900,
		}},
		Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, AmountDue: 1190, AmountToPay: 1190,
	}
	if err := s.st.CreateReceivable(ctx, r); err != nil {
		return "", err
	}
	_, err := invoicing.New(s.st, s.e).Issue(ctx, s.conn.EntityID, r.ID, now)
	return r.ID, err
}

func (s *pushSetup) invoiceCalls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// TestRateLimitedPushFillsItsBatch: against a system that limits calls, a push that finds fewer
// invoices than a batch waits for others to join them, so that an invoice issued while it waits
// goes in the same call. (The second invoice is issued once the push has read the first, so without
// the wait it would take a call of its own.)
func TestRateLimitedPushFillsItsBatch(t *testing.T) {
	t.Parallel()
	// Once the push has opened the books, the engine's clock issues the second invoice when it is
	// read the second time: the first reading starts the round, the second, after the round has
	// read the pending invoices, tells how long the first has waited.
	var pushing atomic.Bool
	var readings atomic.Int32
	s := newPushSetup(t, platform.Limits{PerMinute: 60}, func() {
		if pushing.Load() {
			readings.Store(0)
		}
	})
	var second string
	issued := make(chan error, 1)
	readings.Store(-1000)
	s.e.now = func() time.Time {
		if readings.Add(1) == 2 && pushing.CompareAndSwap(true, false) {
			go func() {
				var err error
				second, err = s.issue()
				issued <- err
			}()
		}
		return time.Now().UTC()
	}
	first, err := s.issue()
	if err != nil {
		t.Fatal(err)
	}

	pushing.Store(true)
	if err := s.e.pushConnection(context.Background(), s.conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-issued; err != nil {
		t.Fatal(err)
	}
	if calls := s.invoiceCalls(); len(calls) != 1 || len(calls[0]) != 2 {
		t.Fatalf("invoice pushes %q, want one of %s and %s", calls, first, second)
	}
}

// TestPushContinuesInANewRun: a push that has used its share of the job timeout ends its run
// after the round it is in, for the job to run again, rather than starting another round.
func TestPushContinuesInANewRun(t *testing.T) {
	t.Parallel()
	s := newPushSetup(t, platform.Limits{}, nil)
	s.e.cfg.JobTimeout = time.Second
	push := s.books.PushInvoicesFn
	s.books.PushInvoicesFn = func(ctx context.Context, invs []platform.Invoice) ([]platform.Result, error) {
		// The round takes the run's share of the job timeout.
		time.Sleep(s.e.cfg.JobTimeout / 2)
		return push(ctx, invs)
	}
	id, err := s.issue()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.e.pushConnection(context.Background(), s.conn.ID, nil); !errors.Is(err, errContinue) {
		t.Fatalf("push: %v, want errContinue", err)
	}
	rec, err := s.st.RecordFor(context.Background(), s.conn.ID, booksync.ObjectReceivable, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SyncStatus != booksync.SyncStatusDone {
		t.Fatalf("record %s, want the round's push done", rec.SyncStatus)
	}
}

// answerOnceTwoInFlight holds each answer of the books to a batch of invoices until two batches
// have been in flight at once, or for wait, and returns the most that ever were.
func answerOnceTwoInFlight(s *pushSetup, wait time.Duration) *atomic.Int32 {
	var inFlight, most atomic.Int32
	push := s.books.PushInvoicesFn
	s.books.PushInvoicesFn = func(ctx context.Context, invs []platform.Invoice) ([]platform.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		for deadline := time.Now().Add(wait); most.Load() < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		return push(ctx, invs)
	}
	return &most
}

// TestRateLimitedPushSendsBatchesWhileOthersAreInFlight: against a system that limits calls and
// takes several at once, a push prepares and sends its next batch while the last one is in
// flight, so a slow answer does not hold back the calls the minute allows; and each invoice is
// still pushed exactly once.
func TestRateLimitedPushSendsBatchesWhileOthersAreInFlight(t *testing.T) {
	t.Parallel()
	s := newPushSetup(t, platform.Limits{PerMinute: 6000, Concurrent: 5}, nil)
	s.e.cfg.BatchSize = 5
	const invoices = 40
	ids := map[string]bool{}
	for range invoices {
		id, err := s.issue()
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	// A slow answer: it comes once another batch is in flight too. A push that sent one batch
	// after another would never have two, so it comes after a wait far beyond the moment the
	// next batch takes to prepare, even on a busy machine.
	most := answerOnceTwoInFlight(s, 30*time.Second)
	if err := s.e.pushConnection(context.Background(), s.conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m < 2 || m > maxSends {
		t.Errorf("at most %d batches were in flight at once, want 2 to %d", m, maxSends)
	}
	pushed := map[string]int{}
	for _, call := range s.invoiceCalls() {
		for _, ref := range call {
			pushed[ref]++
		}
	}
	ctx := context.Background()
	for id := range ids {
		rec, err := s.st.RecordFor(ctx, s.conn.ID, booksync.ObjectReceivable, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.SyncStatus != booksync.SyncStatusDone || pushed[id] != 1 {
			t.Errorf("invoice %s: record %s, pushed %d times; want done, once", id, rec.SyncStatus, pushed[id])
		}
	}
	if len(pushed) != invoices {
		t.Errorf("%d invoices pushed, want %d", len(pushed), invoices)
	}
}

// TestPartialBatchWaitsForTheBatchesInFlight: while a full batch is in flight, the invoices left
// over are not sent in a small call of their own beside it; they go once it is answered, so a
// backlog drains in full batches and a rate-limited organisation's calls carry what they can.
func TestPartialBatchWaitsForTheBatchesInFlight(t *testing.T) {
	t.Parallel()
	s := newPushSetup(t, platform.Limits{Concurrent: 5}, nil)
	s.e.cfg.BatchSize = 5
	const invoices = 7
	for range invoices {
		if _, err := s.issue(); err != nil {
			t.Fatal(err)
		}
	}
	// The first batch is answered once another is in flight too; the left-over invoices must not
	// be, so it is answered after a second.
	most := answerOnceTwoInFlight(s, time.Second)
	if err := s.e.pushConnection(context.Background(), s.conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, call := range s.invoiceCalls() {
		sizes = append(sizes, len(call))
	}
	if m := most.Load(); m != 1 || !slices.Equal(sizes, []int{5, 2}) {
		t.Errorf("calls of %v invoices, at most %d in flight at once; want [5 2], one at a time", sizes, m)
	}
}

// TestAFailedSendKeepsItsRecordsOutOfThePush: a batch sent in the background that fails ends the
// push with its failure; until then, a round that began before the push noticed must not take the
// batch's records as pending and send them again (an extra call to a system that refused the
// first, seen as an invoice pushed twice when the refusal was an expired grant). A batch that was
// answered gives its records back.
func TestAFailedSendKeepsItsRecordsOutOfThePush(t *testing.T) {
	p := newSends(2)
	refused := errors.New("access token refused")
	if err := p.start(context.Background(), []string{"failed"}, func() error { return refused }); err != nil {
		t.Fatal(err)
	}
	if err := p.start(context.Background(), []string{"answered"}, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); !errors.Is(err, refused) {
		t.Fatalf("the push's failure: %v", err)
	}
	if got := p.sending(); !slices.Equal(got, []string{"failed"}) {
		t.Fatalf("records left out of the push's rounds: %v, want the failed batch's", got)
	}
}
