package xero

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
)

// unreadableStore is a Store whose reads of named keys fail while broken is set, as a database
// that is gone would.
type unreadableStore struct {
	*sandbox.MemoryStore
	broken atomic.Bool
}

func (s *unreadableStore) ReadSandbox(ctx context.Context, namespace string, keys []string) (map[string][]byte, error) {
	if s.broken.Load() {
		return nil, errors.New("database is gone")
	}
	return s.MemoryStore.ReadSandbox(ctx, namespace, keys)
}

// The sandbox keeps its invoices in its Store and reads one back when a call needs it: a payment
// whose invoice cannot be read fails whole (500, nothing saved), and succeeds once the Store
// answers again, against the invoice as it was.
func TestInvoicesAreReadFromTheStore(t *testing.T) {
	store := &unreadableStore{MemoryStore: sandbox.NewMemoryStore()}
	b := withContact(t, func(o *sandbox.Options) { o.Store = store })
	inv := createInvoice(t, b, "/Invoices", invoice("INV-S", "Acme Ltd", "Exclusive", line("x", 1, 100, "200", "OUTPUT2")))
	payment := map[string]any{"Payments": []any{map[string]any{
		"Invoice": map[string]any{"InvoiceID": inv.InvoiceID}, "Account": map[string]any{"Code": "090"},
		"Date": "2026-03-20", "Amount": 50}}}
	store.broken.Store(true)
	b.api("PUT", "/Payments", payment).MustStatus(t, 500)
	store.broken.Store(false)
	if ps := b.sb.Payments(b.tenant); len(ps) != 0 {
		t.Fatalf("a failed call saved %d payments", len(ps))
	}
	if got := b.sb.Invoices(b.tenant)[0]; got.AmountPaid.String() != "0" || got.AmountDue.String() != "120" {
		t.Fatalf("after the failed call: paid %s, due %s; want 0 and 120", got.AmountPaid, got.AmountDue)
	}
	p := decodeKey[Payment](t, b.api("PUT", "/Payments", payment).MustStatus(t, 200), "Payments")
	if p[0].Invoice.InvoiceID != inv.InvoiceID {
		t.Fatalf("payment %+v", p[0])
	}
	if got := b.sb.Invoices(b.tenant)[0]; got.AmountPaid.String() != "50" || got.AmountDue.String() != "70" {
		t.Fatalf("after the payment: paid %s, due %s; want 50 and 70", got.AmountPaid, got.AmountDue)
	}
}
