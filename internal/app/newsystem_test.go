package app_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/platformtest"
	"github.com/shopspring/decimal"
)

// ledger is an accounting system as small as one can be: books in memory that keep what booksync
// pushes. It plugs into booksync as every system does, through its own provider.
type ledger struct {
	// The in-memory ledger follows no invoice after it is pushed: its lifecycle operations are
	// the fake's, which fail when called.
	platformtest.Connector
	mu       sync.Mutex
	contacts map[string]platform.Contact // by the ledger's id
	items    map[string]platform.Item
	invoices map[string]platform.Invoice
	payments map[string]platform.Payment
}

const ledgerPlatform = "ledger"

// provider is the ledger's provider: books on this machine (nothing to authorize) whose item
// codes are at most 12 characters.
func (l *ledger) provider() *platform.Provider {
	return &platform.Provider{Platform: ledgerPlatform, Name: "Ledger", ItemCodeMax: 12,
		Local: func(*booksync.Connection, *booksync.Entity) (platform.Connector, func() error, error) {
			return l, func() error { return nil }, nil
		}}
}

func (l *ledger) Org(context.Context) (platform.Org, error) {
	return platform.Org{ID: "ledger-1", Name: "Ledger Books", BaseCurrency: "GBP", CountryCode: "GB"}, nil
}

func (l *ledger) TaxRates(context.Context) ([]platform.TaxRate, error) {
	return []platform.TaxRate{
		{Code: "S20", Name: "Standard 20%", Status: "Active", Rate: 2000, Revenue: true},
		{Code: "Z0", Name: "Zero rated", Status: "Active", Rate: 0, Revenue: true},
	}, nil
}

func (l *ledger) LedgerAccounts(context.Context) ([]platform.LedgerAccount, error) {
	return []platform.LedgerAccount{
		{ID: "acc-4000", Code: "4000", Name: "Sales", Type: "Income", Status: "Active"},
		{ID: "acc-1200", Code: "1200", Name: "Bank", Type: "Asset", Status: "Active", IsBank: true, PaymentsAllowed: true},
	}, nil
}

// keep stores each object under a new id and returns one result per object.
func keep[T any](l *ledger, into map[string]T, prefix string, objects []T, ref func(T) string) []platform.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]platform.Result, len(objects))
	for i, o := range objects {
		id := fmt.Sprintf("%s-%d", prefix, len(into)+1)
		into[id] = o
		out[i] = platform.Result{Ref: ref(o), PlatformID: id}
	}
	return out
}

func (l *ledger) PushContacts(_ context.Context, cs []platform.Contact) ([]platform.Result, error) {
	return keep(l, l.contacts, "contact", cs, func(c platform.Contact) string { return c.Ref }), nil
}

func (l *ledger) PushItems(_ context.Context, items []platform.Item) ([]platform.Result, error) {
	return keep(l, l.items, "item", items, func(it platform.Item) string { return it.Ref }), nil
}

// PushInvoices books each invoice with booksync's totals.
func (l *ledger) PushInvoices(_ context.Context, invs []platform.Invoice) ([]platform.Result, error) {
	out := keep(l, l.invoices, "invoice", invs, func(inv platform.Invoice) string { return inv.Ref })
	for i := range out {
		totals := invs[i].Expected
		out[i].Totals = &totals
	}
	return out, nil
}

func (l *ledger) PushPayments(_ context.Context, ps []platform.Payment) ([]platform.Result, error) {
	return keep(l, l.payments, "payment", ps, func(p platform.Payment) string { return p.Ref }), nil
}

func (l *ledger) Invoices(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) {
	l.mu.Lock()
	var ids []string
	for id := range l.invoices {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	out := make([]booksync.RemoteInvoice, 0, len(ids))
	for _, id := range ids {
		ri, err := l.Invoice(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ri)
	}
	return out, nil
}

func (l *ledger) Invoice(_ context.Context, id string) (booksync.RemoteInvoice, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inv, ok := l.invoices[id]
	if !ok {
		return booksync.RemoteInvoice{}, &platform.Error{Class: platform.NeedsUserAction, Code: "not_found", Message: "No such invoice in the ledger"}
	}
	ri := booksync.RemoteInvoice{ID: id, Number: inv.Number, ContactID: inv.ContactID, Currency: inv.Currency, Date: inv.Date,
		DueDate: inv.DueDate, Status: "posted", Inclusive: inv.Inclusive, Totals: booksync.InvoiceTotals(inv.Expected),
		AmountDue: inv.Expected.Total}
	for _, line := range inv.Lines {
		ri.Lines = append(ri.Lines, booksync.RemoteLine{Description: line.Description, Quantity: line.Quantity,
			UnitAmount: decimal.New(line.UnitAmount, -2), AccountCode: line.AccountCode, AccountID: line.AccountID,
			TaxCode: line.TaxCode, LineAmount: line.LineAmount, TaxAmount: line.TaxAmount})
	}
	return ri, nil
}

// books returns copies of what the ledger holds.
func (l *ledger) books() (map[string]platform.Contact, map[string]platform.Item, map[string]platform.Invoice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.contacts), maps.Clone(l.items), maps.Clone(l.invoices)
}

// TestAFourthAccountingSystemPlugsIn registers an accounting system booksync has never heard of
// (the ledger above) beside the built-in ones, and pushes an invoice to it through the API and the
// engine as they are: the engine knows no system by name, and applies the system's own rules
// (here, its 12-character item codes).
func TestAFourthAccountingSystemPlugsIn(t *testing.T) {
	t.Parallel()
	l := &ledger{contacts: map[string]platform.Contact{}, items: map[string]platform.Item{}, invoices: map[string]platform.Invoice{},
		payments: map[string]platform.Payment{}}
	s := newStackWith(t, filepath.Join(t.TempDir(), "booksync.db"), func(cfg *app.Config) {
		cfg.Providers = []*platform.Provider{l.provider()}
	})
	c := s.partner().newEntity()
	// The API accepts the platform names of Monite's Platform enum (its OpenAPI document), where a
	// new system's name would be added; the engine connects the ledger as it is.
	conn, err := s.app.Engine.Connect(context.Background(), c.entityID, ledgerPlatform)
	if err != nil || conn.Status != booksync.ConnectionConnected {
		t.Fatalf("connecting the ledger: %+v, %v", conn, err)
	}
	c.waitFor("the initial pull", func() bool {
		var rates struct{ Data []any }
		c.do("GET", "/accounting_tax_rates", nil, 200, &rates)
		return len(rates.Data) == 2
	})
	sales, standard := c.idByName("/ledger_accounts", "Sales"), c.idByName("/accounting_tax_rates", "Standard 20%")

	r := c.customerAndProduct("Globex Trading", &sales)
	var product struct{ ID string }
	c.do("POST", "/products", map[string]any{"name": "Audit", "type": "service", "ledger_account_id": sales,
		"external_reference": "AUDIT-2024-STANDARD", "price": map[string]any{"currency": "GBP", "value": 12345}}, 201, &product)
	r.product = product.ID
	id, number := c.issue(r, nil, line(r.product, 2, 2000))

	// Records name their platform, which Monite's Platform enum does not list: they are read
	// without the contract check.
	var rec record
	c.waitFor("the invoice's record to settle", func() bool {
		var l struct{ Data []record }
		if c.call("GET", "/accounting_synced_records?object_type=receivable&object_id="+id, nil, &l) != 200 || len(l.Data) != 1 {
			return false
		}
		rec = l.Data[0]
		return rec.SyncStatus != booksync.SyncStatusPending
	})
	if rec.SyncStatus != booksync.SyncStatusDone || rec.PlatformObjectID == nil {
		t.Fatalf("the invoice's record: %v", rec)
	}
	contacts, items, invoices := l.books()
	inv, ok := invoices[*rec.PlatformObjectID]
	if !ok || len(invoices) != 1 || len(contacts) != 1 || len(items) != 1 {
		t.Fatalf("the ledger holds %d contacts, %d items and %d invoices; the record names %q", len(contacts), len(items), len(invoices), *rec.PlatformObjectID)
	}
	var item platform.Item
	for _, it := range items {
		item = it
	}
	if contact := contacts[inv.ContactID]; contact.Name != "Globex Trading" {
		t.Errorf("the invoice's customer in the ledger: %+v", contact)
	}
	want := platform.Totals{Subtotal: 24690, Tax: 4938, Total: 29628}
	if inv.Number != number || inv.Currency != "GBP" || inv.Expected != want || len(inv.Lines) != 1 {
		t.Fatalf("the ledger's invoice: %+v", inv)
	}
	// The product's reference is longer than the ledger's item codes, so its item has a code made
	// from the product's id, which fits, and the line names that item.
	got := inv.Lines[0]
	if item.Ref != r.product || len(item.Code) > 12 || item.Code == "AUDIT-2024-STANDARD" || got.ItemCode != item.Code {
		t.Errorf("item %+v, line item code %q", item, got.ItemCode)
	}
	if got.TaxCode != "S20" || got.AccountID != "acc-4000" || got.LineAmount != 24690 || got.TaxAmount != 4938 || !got.Quantity.Equal(decimal.NewFromInt(2)) {
		t.Errorf("the ledger's invoice line: %+v", got)
	}

	// Reading the books back goes through the ledger too, with booksync's ids of its rates.
	var back struct {
		InvoiceNumber string `json:"invoice_number"`
		Lines         []struct {
			TaxRateRef *struct{ ID string } `json:"tax_rate_ref"`
			LedgerRef  string               `json:"ledger_account_id"`
		}
	}
	c.do("GET", "/accounting/receivables/"+*rec.PlatformObjectID, nil, 200, &back)
	if back.InvoiceNumber != number || len(back.Lines) != 1 || back.Lines[0].TaxRateRef == nil ||
		back.Lines[0].TaxRateRef.ID != standard || back.Lines[0].LedgerRef != sales {
		t.Errorf("GET /accounting/receivables/%s: %+v", *rec.PlatformObjectID, back)
	}
}
