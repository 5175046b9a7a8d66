package quickbooks

import (
	"context"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// notYet is the failure of a lifecycle operation this connector does not carry out yet.
func notYet(what string) error {
	return &platform.Error{Class: platform.NeedsUserAction, Code: "not_supported",
		Message: what + " is not supported for this accounting system yet"}
}

// VoidInvoices implements platform.Lifecycle.
func (c *Client) VoidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	return nil, notYet("Voiding an invoice")
}

// PushCreditNotes implements platform.Lifecycle.
func (c *Client) PushCreditNotes(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error) {
	return nil, notYet("Pushing a credit note")
}

// DeletePayments implements platform.Lifecycle.
func (c *Client) DeletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	return nil, notYet("Deleting a payment")
}

// Changes implements platform.Lifecycle.
func (c *Client) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	return platform.Changes{Cursor: q.Cursor}, nil
}

// Bills implements platform.Lifecycle.
func (c *Client) Bills(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error) {
	return nil, nil
}

// Bill implements platform.Lifecycle.
func (c *Client) Bill(ctx context.Context, id string) (booksync.RemoteBill, error) {
	return booksync.RemoteBill{}, notYet("Reading a bill")
}
