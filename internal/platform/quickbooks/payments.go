package quickbooks

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// maxPaymentRefNum is QuickBooks' limit on a payment's reference number.
const maxPaymentRefNum = 21

// PushPayments records each payment as a QuickBooks Payment of the invoice's customer, linked to
// the invoice (Line[].LinkedTxn TxnType Invoice) and deposited to AccountID (or the account whose
// AcctNum, else Id, is AccountCode). It reads the invoices first, in one query per 30, for their
// customer and currency, then creates the payments through the batch endpoint, 30 a request.
// Payments have no natural key to look up, so the requestid alone keeps a retried request from
// paying twice: the engine must retry an unknown outcome with the same batch, unchanged.
//
// When the returned error is non-nil, results is either nil or has one result per payment, as for
// PushContacts.
func (c *Client) PushPayments(ctx context.Context, payments []platform.Payment) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	var invoiceIDs []string
	for i, p := range payments {
		results[i].Ref = p.Ref
		switch {
		case p.InvoiceID == "":
			results[i].Err = precheck("invoice_not_synced", "Line.LinkedTxn.TxnId", "Invoice not yet in QuickBooks: the payment has no QuickBooks invoice", "Push the invoice first; booksync does this before its payments, so this is a booksync bug if it persists.")
		case p.AccountID == "" && p.AccountCode == "":
			results[i].Err = precheck("payment_account_missing", "DepositToAccountRef", "Bank account missing: the payment names no QuickBooks account to deposit to", "Choose the bank account payments go to in the connection's settings, then push again.")
		default:
			invoiceIDs = append(invoiceIDs, p.InvoiceID)
		}
	}
	invs, err := c.invoicesByID(ctx, invoiceIDs)
	if err != nil {
		return nil, err
	}
	accts := &accounts{c: c}
	var pending []int
	var refs []string
	var objs []json.RawMessage
	for i, p := range payments {
		if results[i].Err != nil {
			continue
		}
		inv, ok := invs[p.InvoiceID]
		if !ok {
			results[i].Err = precheck("invoice_not_found", "Line.LinkedTxn.TxnId", "Invoice does not exist in QuickBooks: it was deleted there",
				"Push the invoice again, then the payment.")
			continue
		}
		account := p.AccountID
		if account == "" {
			a, ok, err := accts.resolve(ctx, p.AccountCode)
			if err != nil {
				return nil, err
			}
			if !ok {
				results[i].Err = accountMissing("DepositToAccountRef", p.AccountCode)
				continue
			}
			account = a.Id
		}
		currency := p.Currency
		if cur := refValue(inv.CurrencyRef); cur != "" {
			currency = cur
		}
		amount := major(p.Amount, currency)
		pending = append(pending, i)
		refs = append(refs, p.Ref)
		objs = append(objs, mustMarshal(wirePayment{
			CustomerRef: ref(refValue(inv.CustomerRef)), CurrencyRef: inv.CurrencyRef, TxnDate: p.Date, TotalAmt: amount,
			DepositToAccountRef: ref(account), PaymentRefNum: truncate(p.Reference, maxPaymentRefNum),
			Line: []wireLine{{Amount: amount, LinkedTxn: []wireLinkedTxn{{TxnId: p.InvoiceID, TxnType: "Invoice"}}}},
		}))
	}
	done, err := c.createBatch(ctx, "payment", "Payment", refs, objs, created(results, pending,
		func(w *wirePayment) (string, *wireMetaData) { return w.Id, w.MetaData }))
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// invoicesByID reads invoices by Id, 30 a query.
func (c *Client) invoicesByID(ctx context.Context, ids []string) (map[string]wireInvoice, error) {
	var quoted []string
	seen := map[string]bool{}
	for _, id := range ids {
		if q, ok := quote(id); ok && !seen[id] {
			seen[id] = true
			quoted = append(quoted, q)
		}
	}
	out := map[string]wireInvoice{}
	for _, list := range inChunks(quoted, lookupValues, lookupLength) {
		rows, err := queryAll[wireInvoice](ctx, c, "Invoice", "Id in "+list)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			out[strings.TrimSpace(w.Id)] = w
		}
	}
	return out, nil
}
