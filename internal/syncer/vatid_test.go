package syncer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// TestContactTaxNumberIsTheVatID pushes an invoice to a counterpart with a VAT id: its contact in
// the books gets the VAT id as its tax number, ahead of the counterpart's tax_id.
func TestContactTaxNumberIsTheVatID(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var mu sync.Mutex
		var contacts []platform.Contact
		push := books.PushContactsFn
		books.PushContactsFn = func(ctx context.Context, cs []platform.Contact) ([]platform.Result, error) {
			mu.Lock()
			contacts = append(contacts, cs...)
			mu.Unlock()
			return push(ctx, cs)
		}
		b, _ := startedEngine(t, dsn, books, engineOptions{})

		now := time.Now()
		taxID := "12/345/67890"
		cp := &booksync.Counterpart{ID: uuid.NewString(), EntityID: b.entity.ID, CreatedAt: now, UpdatedAt: now,
			Type: booksync.CounterpartTypeOrganization, TaxID: &taxID,
			Organization: &booksync.CounterpartOrganization{LegalName: "Paris SAS", IsCustomer: true}}
		must(t, b.st.CreateCounterpart(b.ctx, cp, nil))
		must(t, b.st.CreateVatID(b.ctx, &booksync.VatID{EntityID: b.entity.ID, CounterpartID: cp.ID, Country: "FR",
			Type: booksync.VatIDTypeEUVat, Value: "FR12345678901"}))

		r := &booksync.Receivable{ID: uuid.NewString(), EntityID: b.entity.ID, CreatedAt: now, UpdatedAt: now,
			Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
			CounterpartID: cp.ID, CounterpartType: booksync.CounterpartTypeOrganization,
			CounterpartName: cp.Name(), VATMode: booksync.VATModeExclusive,
			LineItems: []booksync.LineItem{{
				Quantity: booksync.Quantity{Decimal: decimal.RequireFromString("1")},
				Product: booksync.LineProduct{ID: uuid.NewString(), Name: "Consulting",
					Price: booksync.Price{Currency: "EUR", Value: 1000}},
				TotalBeforeVAT: 1000, TotalAfterVAT: 1190, TaxRateValue: 1900,
			}},
			Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, AmountDue: 1190, AmountToPay: 1190,
		}
		must(t, b.st.CreateReceivable(b.ctx, r))
		if _, err := invoicing.New(b.st, b.e).Issue(b.ctx, b.entity.ID, r.ID, now); err != nil {
			t.Fatal(err)
		}
		if rec := b.settled(r.ID); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("invoice record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		mu.Lock()
		defer mu.Unlock()
		var found bool
		for _, c := range contacts {
			if c.Ref == cp.ID {
				found = true
				if c.TaxNumber != "FR12345678901" {
					t.Errorf("contact's tax number %q, want the VAT id FR12345678901", c.TaxNumber)
				}
			}
		}
		if !found {
			t.Fatalf("no contact pushed for the counterpart; pushed %+v", contacts)
		}
	})
}
