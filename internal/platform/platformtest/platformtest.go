// Package platformtest holds a hand-written fake of platform.Connector for the sync engine's
// tests: an accounting system whose every answer is a function the test sets. It runs no
// accounting system; tests of a real connector use that connector against its sandbox.
package platformtest

import (
	"context"
	"fmt"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// Connector is a platform.Connector whose methods call the function of the same name. A method
// whose function is nil fails with an error that names it. Set the functions before the engine
// uses the connector: they are read without locking, so a function that changes its answers over
// a test keeps its own state (behind a mutex).
type Connector struct {
	OrgFn            func(ctx context.Context) (platform.Org, error)
	TaxRatesFn       func(ctx context.Context) ([]platform.TaxRate, error)
	LedgerAccountsFn func(ctx context.Context) ([]platform.LedgerAccount, error)
	PushContactsFn   func(ctx context.Context, contacts []platform.Contact) ([]platform.Result, error)
	PushItemsFn      func(ctx context.Context, items []platform.Item) ([]platform.Result, error)
	PushInvoicesFn   func(ctx context.Context, invoices []platform.Invoice) ([]platform.Result, error)
	PushPaymentsFn   func(ctx context.Context, payments []platform.Payment) ([]platform.Result, error)
	InvoicesFn       func(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error)
	InvoiceFn        func(ctx context.Context, id string) (booksync.RemoteInvoice, error)

	VoidInvoicesFn    func(ctx context.Context, voids []platform.Void) ([]platform.Result, error)
	PushCreditNotesFn func(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error)
	DeletePaymentsFn  func(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error)
	ChangesFn         func(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error)
	BillsFn           func(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error)
	BillFn            func(ctx context.Context, id string) (booksync.RemoteBill, error)
}

var _ platform.Connector = (*Connector)(nil)

func notSet(method string) error {
	return fmt.Errorf("platformtest: %s is not set", method)
}

// Org calls OrgFn.
func (c *Connector) Org(ctx context.Context) (platform.Org, error) {
	if c.OrgFn == nil {
		return platform.Org{}, notSet("OrgFn")
	}
	return c.OrgFn(ctx)
}

// TaxRates calls TaxRatesFn.
func (c *Connector) TaxRates(ctx context.Context) ([]platform.TaxRate, error) {
	if c.TaxRatesFn == nil {
		return nil, notSet("TaxRatesFn")
	}
	return c.TaxRatesFn(ctx)
}

// LedgerAccounts calls LedgerAccountsFn.
func (c *Connector) LedgerAccounts(ctx context.Context) ([]platform.LedgerAccount, error) {
	if c.LedgerAccountsFn == nil {
		return nil, notSet("LedgerAccountsFn")
	}
	return c.LedgerAccountsFn(ctx)
}

// PushContacts calls PushContactsFn.
func (c *Connector) PushContacts(ctx context.Context, contacts []platform.Contact) ([]platform.Result, error) {
	if c.PushContactsFn == nil {
		return nil, notSet("PushContactsFn")
	}
	return c.PushContactsFn(ctx, contacts)
}

// PushItems calls PushItemsFn.
func (c *Connector) PushItems(ctx context.Context, items []platform.Item) ([]platform.Result, error) {
	if c.PushItemsFn == nil {
		return nil, notSet("PushItemsFn")
	}
	return c.PushItemsFn(ctx, items)
}

// PushInvoices calls PushInvoicesFn.
func (c *Connector) PushInvoices(ctx context.Context, invoices []platform.Invoice) ([]platform.Result, error) {
	if c.PushInvoicesFn == nil {
		return nil, notSet("PushInvoicesFn")
	}
	return c.PushInvoicesFn(ctx, invoices)
}

// PushPayments calls PushPaymentsFn.
func (c *Connector) PushPayments(ctx context.Context, payments []platform.Payment) ([]platform.Result, error) {
	if c.PushPaymentsFn == nil {
		return nil, notSet("PushPaymentsFn")
	}
	return c.PushPaymentsFn(ctx, payments)
}

// Invoices calls InvoicesFn.
func (c *Connector) Invoices(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) {
	if c.InvoicesFn == nil {
		return nil, notSet("InvoicesFn")
	}
	return c.InvoicesFn(ctx, q)
}

// Invoice calls InvoiceFn.
func (c *Connector) Invoice(ctx context.Context, id string) (booksync.RemoteInvoice, error) {
	if c.InvoiceFn == nil {
		return booksync.RemoteInvoice{}, notSet("InvoiceFn")
	}
	return c.InvoiceFn(ctx, id)
}

// VoidInvoices calls VoidInvoicesFn.
func (c *Connector) VoidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	if c.VoidInvoicesFn == nil {
		return nil, notSet("VoidInvoicesFn")
	}
	return c.VoidInvoicesFn(ctx, voids)
}

// PushCreditNotes calls PushCreditNotesFn.
func (c *Connector) PushCreditNotes(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error) {
	if c.PushCreditNotesFn == nil {
		return nil, notSet("PushCreditNotesFn")
	}
	return c.PushCreditNotesFn(ctx, notes)
}

// DeletePayments calls DeletePaymentsFn.
func (c *Connector) DeletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	if c.DeletePaymentsFn == nil {
		return nil, notSet("DeletePaymentsFn")
	}
	return c.DeletePaymentsFn(ctx, payments)
}

// Changes calls ChangesFn; without it the books report no change.
func (c *Connector) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	if c.ChangesFn == nil {
		return platform.Changes{Cursor: q.Cursor}, nil
	}
	return c.ChangesFn(ctx, q)
}

// Bills calls BillsFn.
func (c *Connector) Bills(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error) {
	if c.BillsFn == nil {
		return nil, notSet("BillsFn")
	}
	return c.BillsFn(ctx, q)
}

// Bill calls BillFn.
func (c *Connector) Bill(ctx context.Context, id string) (booksync.RemoteBill, error) {
	if c.BillFn == nil {
		return booksync.RemoteBill{}, notSet("BillFn")
	}
	return c.BillFn(ctx, id)
}
