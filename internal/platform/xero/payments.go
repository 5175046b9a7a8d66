package xero

import (
	"context"
	"encoding/json"

	"github.com/booksync/booksync/internal/platform"
)

// PushPayments records payments against invoices in requests of 50. Payments have no natural key
// in Xero to look up, so the Idempotency-Key alone keeps a retried request from paying twice:
// the engine must retry an unknown outcome with the same batch, unchanged, while Xero still
// remembers the key. Amounts are in the payment's Currency (the invoice's).
//
// When the returned error is non-nil, results is either nil or has one result per payment, as for
// PushContacts.
func (c *Client) PushPayments(ctx context.Context, payments []platform.Payment) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	for i, p := range payments {
		results[i].Ref = p.Ref
		switch {
		case p.InvoiceID == "":
			results[i].Err = precheck("invoice_not_synced", "Invoice", "Invoice not yet in Xero: the payment has no Xero invoice", "Push the invoice first; booksync does this before its payments, so this is a booksync bug if it persists.")
			continue
		case p.AccountID == "" && p.AccountCode == "":
			results[i].Err = precheck("payment_account_missing", "Account", "Bank account missing: the payment names no Xero account to pay into", "Choose the bank account payments go to in the connection's settings, then push again.")
			continue
		}
		acct := &wireRef{AccountID: p.AccountID}
		if acct.AccountID == "" {
			acct.Code = p.AccountCode
		}
		pending = append(pending, i)
		refs = append(refs, p.Ref)
		keys = append(keys, "")
		objs = append(objs, mustMarshal(wirePayment{Invoice: &wireRef{InvoiceID: p.InvoiceID}, Account: acct,
			Date: p.Date, Amount: major(p.Amount, p.Currency), Reference: truncate(p.Reference, 255)}))
	}
	b := batch{kind: "payments", path: "/Payments", wrapper: "Payments", query: pushQuery(false),
		keyOf: func(json.RawMessage) string { return "" }}
	done, err := c.putChunks(ctx, b, refs, keys, objs, created(results, pending, nil,
		func(w *wirePayment) (string, string, []message) {
			return w.PaymentID, w.UpdatedDateUTC, w.ValidationErrors
		}))
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}
