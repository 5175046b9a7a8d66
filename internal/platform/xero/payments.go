package xero

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

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

// DeletePayments deletes payments in Xero, one POST /Payments/{id} with {"Status":"DELETED"}
// each (Xero deletes payments one at a time, and never edits them). One already deleted, or no
// longer in Xero, succeeds. Its invoice then owes the amount again in Xero.
//
// When the returned error is non-nil, results has one result per payment: those not reached
// carry the error.
func (c *Client) DeletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	for i, p := range payments {
		results[i].Ref = p.Ref
	}
	for i, p := range payments {
		if !isUUID(p.PaymentID) {
			results[i].Err = precheck("payment_not_synced", "PaymentID", "Payment not in Xero: it has no Xero PaymentID",
				"Nothing to delete in Xero; if the payment was pushed, push it again so booksync learns its id.")
			continue
		}
		err := c.deletePayment(ctx, p)
		if perr, ok := err.(*platform.Error); ok && perr.Class != platform.NeedsUserAction {
			for j := i; j < len(payments); j++ {
				if results[j].Err == nil {
					results[j].Err = err
				}
			}
			return results, err
		}
		results[i].Err = err
		if err == nil {
			results[i].PlatformID = p.PaymentID
		}
	}
	return results, nil
}

// deletePayment deletes one payment; Xero's refusal is checked against the payment's state, so
// that one already deleted (by a retry whose first answer was lost, or by a user) succeeds.
func (c *Client) deletePayment(ctx context.Context, p platform.PaymentRef) error {
	path := "/Payments/" + url.PathEscape(p.PaymentID)
	body := []byte(`{"Status":"DELETED"}`)
	resp, err := c.send(ctx, request{method: http.MethodPost, url: c.api(path, nil), body: body,
		idemKey: idempotencyKey("paymentdeletes", []string{p.Ref, p.PaymentID}, body)})
	if err != nil {
		return err
	}
	if resp.status == http.StatusNotFound {
		return nil
	}
	perr := classifyStatus(resp, true)
	if perr == nil || perr.Class != platform.NeedsUserAction {
		if perr == nil {
			return nil
		}
		return perr
	}
	var env struct {
		Payments []wirePayment `json:"Payments"`
	}
	if err := c.get(ctx, path, nil, nil, &env); err != nil {
		var gerr *platform.Error
		if errors.As(err, &gerr) && gerr.Status == http.StatusNotFound {
			return nil
		}
		return err
	}
	if len(env.Payments) == 1 && env.Payments[0].Status == "DELETED" {
		return nil
	}
	return perr
}
