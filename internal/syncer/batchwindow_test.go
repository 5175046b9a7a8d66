package syncer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/platformtest"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// TestRateLimitedPushFillsItsBatch: against a system that limits calls, a push that finds fewer
// invoices than a batch waits for others to join them, so that an invoice issued while it waits
// goes in the same call. (The second invoice is issued once the push has read the first, so without
// the wait it would take a call of its own.)
func TestRateLimitedPushFillsItsBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	var calls [][]string
	accept := func(prefix string, refs []string) []platform.Result {
		out := make([]platform.Result, len(refs))
		for i, ref := range refs {
			out[i] = platform.Result{Ref: ref, PlatformID: prefix + ref}
		}
		return out
	}
	books := &platformtest.Connector{
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
			mu.Lock()
			calls = append(calls, refs)
			mu.Unlock()
			return accept("invoice-", refs), nil
		},
	}
	// Once the push has opened the books, the engine's clock issues the second invoice when it is
	// read the second time: the first reading starts the round, the second, after the round has
	// read the pending invoices, tells how long the first has waited.
	var pushing atomic.Bool
	var readings atomic.Int32
	issued := make(chan error, 1)
	var issueSecond func()
	p := &platform.Provider{Platform: "limitedbooks", Name: "Limited Books", Limits: platform.Limits{PerMinute: 60},
		Local: func(*booksync.Connection, *booksync.Entity) (platform.Connector, func() error, error) {
			if pushing.Load() {
				readings.Store(0)
			}
			return books, nil, nil
		}}
	e, st, conn := newConnectedEngine(t, p)
	readings.Store(-1000)
	e.now = func() time.Time {
		if readings.Add(1) == 2 && pushing.CompareAndSwap(true, false) {
			go issueSecond()
		}
		return time.Now().UTC()
	}
	if err := e.pull(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	settings, err := st.Settings(ctx, conn.EntityID)
	if err != nil {
		t.Fatal(err)
	}
	_, accounts, err := st.PulledOf(ctx, conn.ID)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("pulled accounts: %v %v", accounts, err)
	}
	settings.VATMode = booksync.VATModeExclusive
	settings.Accounting = &booksync.AccountingSettings{LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: &accounts[0].ID}}
	if err := st.UpdateSettings(ctx, conn.EntityID, settings); err != nil {
		t.Fatal(err)
	}
	issue := func() (string, error) {
		now := time.Now()
		r := &booksync.Receivable{ID: uuid.NewString(), EntityID: conn.EntityID, CreatedAt: now, UpdatedAt: now,
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
		if err := st.CreateReceivable(ctx, r); err != nil {
			return "", err
		}
		_, err := invoicing.New(st, e).Issue(ctx, conn.EntityID, r.ID, now)
		return r.ID, err
	}
	var second string
	issueSecond = func() {
		var err error
		second, err = issue()
		issued <- err
	}
	first, err := issue()
	if err != nil {
		t.Fatal(err)
	}

	pushing.Store(true)
	if err := e.pushConnection(ctx, conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-issued; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || len(calls[0]) != 2 {
		t.Fatalf("invoice pushes %q, want one of %s and %s", calls, first, second)
	}
}
