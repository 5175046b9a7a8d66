package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// VoidInvoices voids invoices with QuickBooks' void operation, through the batch endpoint (30 a
// request), each with the SyncToken read just before: QuickBooks keeps a voided invoice with
// zero amounts and "Voided" prefixed to its PrivateNote. The invoices are read first, one query
// per 30: one already voided, or deleted in QuickBooks, succeeds without a write; one with a
// payment or credit memo applied (its LinkedTxn) is not voided and fails with a NeedsUserAction
// "invoice_has_payments" naming them. An invoice changed in QuickBooks between the read and the
// void (a stale SyncToken) is read and voided again, once.
func (c *Client) VoidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	results, err := c.voidInvoices(ctx, voids)
	if err != nil {
		return results, err
	}
	return retryStale(ctx, voids, results, c.voidInvoices)
}

// voidInvoices is one round of VoidInvoices.
func (c *Client) voidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	results := make([]platform.Result, len(voids))
	var ids []string
	for i, v := range voids {
		results[i].Ref = v.Ref
		if !isID(v.InvoiceID) {
			results[i].Err = precheck("invoice_not_synced", "Id", "Invoice not in QuickBooks: booksync holds no QuickBooks id for it",
				"Nothing to void in QuickBooks; if the invoice is there, void it in QuickBooks.")
			continue
		}
		ids = append(ids, v.InvoiceID)
	}
	invs, err := c.invoicesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var pending []int
	var refs []string
	var objs []json.RawMessage
	for i, v := range voids {
		if results[i].Err != nil {
			continue
		}
		w, ok := invs[v.InvoiceID]
		switch {
		case !ok:
			// Deleted in QuickBooks: it no longer asks for money, which is what a void is for.
			results[i].PlatformID = v.InvoiceID
		case voided(w):
			results[i].PlatformID, results[i].UpdatedAt = w.Id, updatedAt(w.MetaData)
		case len(w.LinkedTxn) > 0:
			results[i].Err = hasPayments(v.Number, w)
		default:
			pending = append(pending, i)
			refs = append(refs, v.Ref)
			objs = append(objs, mustMarshal(wireVoid{Id: w.Id, SyncToken: w.SyncToken}))
		}
	}
	done, err := c.writeBatch(ctx, "invoice", "Invoice", "void", refs, objs, created(results, pending,
		func(w *wireInvoice) (string, *wireMetaData) { return w.Id, w.MetaData }))
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// hasPayments is the refusal to void an invoice that has payments or credits applied.
func hasPayments(number string, w wireInvoice) *platform.Error {
	var names []string
	for _, l := range w.LinkedTxn {
		names = append(names, l.TxnType+" "+l.TxnId)
	}
	if number == "" {
		number = w.DocNumber
	}
	msg := fmt.Sprintf("Invoice %s has payments or credits applied in QuickBooks (%s): QuickBooks voids only an invoice without them",
		number, strings.Join(names, ", "))
	return &platform.Error{Class: platform.NeedsUserAction, Code: platform.CodeInvoiceHasPayments, Message: msg,
		Details: []platform.Detail{{Field: "LinkedTxn", Message: msg,
			Fix: "Cancel the invoice's payment records in booksync (or delete the payments and credit memos in QuickBooks), then cancel the invoice again."}}}
}

// DeletePayments deletes payments with QuickBooks' delete operation, through the batch endpoint,
// each with the SyncToken read just before (one query per 30); QuickBooks then restores the
// balances of the invoices they paid. A payment already gone succeeds without a write; one
// changed in QuickBooks between the read and the delete is read and deleted again, once.
func (c *Client) DeletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	results, err := c.deletePayments(ctx, payments)
	if err != nil {
		return results, err
	}
	return retryStale(ctx, payments, results, c.deletePayments)
}

// deletePayments is one round of DeletePayments.
func (c *Client) deletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	var ids []string
	for i, p := range payments {
		results[i].Ref = p.Ref
		if !isID(p.PaymentID) {
			results[i].Err = precheck("payment_not_synced", "Id", "Payment not in QuickBooks: booksync holds no QuickBooks id for it",
				"Nothing to delete in QuickBooks; if the payment is there, delete it in QuickBooks.")
			continue
		}
		ids = append(ids, p.PaymentID)
	}
	found, err := c.paymentsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var pending []int
	var refs []string
	var objs []json.RawMessage
	for i, p := range payments {
		if results[i].Err != nil {
			continue
		}
		w, ok := found[p.PaymentID]
		if !ok {
			results[i].PlatformID = p.PaymentID // already deleted
			continue
		}
		pending = append(pending, i)
		refs = append(refs, p.Ref)
		objs = append(objs, mustMarshal(wireVoid{Id: w.Id, SyncToken: w.SyncToken}))
	}
	done, err := c.writeBatch(ctx, "payment", "Payment", "delete", refs, objs, created(results, pending,
		func(w *wirePayment) (string, *wireMetaData) { return w.Id, w.MetaData }))
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// paymentsByID reads payments by Id, 30 a query.
func (c *Client) paymentsByID(ctx context.Context, ids []string) (map[string]wirePayment, error) {
	out := map[string]wirePayment{}
	err := byIDs(ctx, c, "Payment", ids, func(w wirePayment) { out[strings.TrimSpace(w.Id)] = w })
	return out, err
}

// byIDs reads entities by Id, 30 a query, handing each to add.
func byIDs[T any](ctx context.Context, c *Client, entity string, ids []string, add func(T)) error {
	var quoted []string
	seen := map[string]bool{}
	for _, id := range ids {
		if q, ok := quote(id); ok && !seen[id] {
			seen[id] = true
			quoted = append(quoted, q)
		}
	}
	for _, list := range inChunks(quoted, lookupValues, lookupLength) {
		rows, err := queryAll[T](ctx, c, entity, "Id in "+list)
		if err != nil {
			return err
		}
		for _, w := range rows {
			add(w)
		}
	}
	return nil
}

// retryStale runs again, once, the objects whose write met a stale SyncToken (someone changed
// them in QuickBooks between booksync's read and its write); run reads them afresh.
func retryStale[T any](ctx context.Context, items []T, results []platform.Result,
	run func(context.Context, []T) ([]platform.Result, error)) ([]platform.Result, error) {
	var idx []int
	var again []T
	for i, r := range results {
		if codeOf(r.Err) == "stale_object" {
			idx = append(idx, i)
			again = append(again, items[i])
		}
	}
	if len(idx) == 0 {
		return results, nil
	}
	res, err := run(ctx, again)
	if res != nil {
		for k, i := range idx {
			results[i] = res[k]
		}
	}
	return results, err
}
