package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/booksync/booksync/internal/money"
	"github.com/booksync/booksync/internal/platform"
)

// PushCreditNotes writes each credit note as a QuickBooks CreditMemo and applies it to its
// invoice, in two steps:
//
//  1. The credit memos that MaybeExists are looked up by DocNumber (= Number); the missing ones
//     are created through the batch endpoint, 30 a request, their lines built as an invoice's
//     are (see PushInvoices). A credit note larger than its invoice's Balance is refused first
//     (NeedsUserAction "credit_exceeds_balance", naming both amounts), and nothing is created.
//  2. QuickBooks has no allocation: a credit memo is applied with a Payment of TotalAmt 0 whose
//     two Lines link the invoice and the credit memo for the same amount, as QuickBooks' own
//     screen does. A credit memo whose Balance (credit not yet applied) is 0 is applied already
//     and gets no second payment, so that a push repeated after an unknown outcome never applies
//     a credit twice.
//
// Result.PlatformID is the credit memo's Id and Result.Totals its totals as QuickBooks computed
// them. Both writes carry requestids derived from the refs and bodies, as every write does.
func (c *Client) PushCreditNotes(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error) {
	results := make([]platform.Result, len(notes))
	var invoiceIDs, numbers []string
	for i, n := range notes {
		results[i].Ref = n.Ref
		switch {
		case len([]rune(n.Number)) > maxDocNumber:
			results[i].Err = precheck("invoice_number_too_long", "DocNumber", "Credit note number too long for QuickBooks (at most 21 characters)", "Shorten the credit note's document_id to 21 characters or fewer, then push again.")
		case n.ContactID == "":
			results[i].Err = precheck("contact_not_synced", "CustomerRef", "Customer not yet in QuickBooks: the credit note has no QuickBooks customer", "Push the counterpart first; booksync does this before its credit notes, so this is a booksync bug if it persists.")
		case len(n.Lines) == 0:
			results[i].Err = precheck("invoice_has_no_lines", "Line", "Credit note has no lines: QuickBooks requires at least one", "Add a line item to the credit note in booksync, then push again.")
		case !isID(n.InvoiceID):
			results[i].Err = precheck("invoice_not_synced", "Line.LinkedTxn.TxnId", "Invoice not yet in QuickBooks: the credit note's invoice has no QuickBooks id", "Push the invoice first; booksync does this before its credit notes, so this is a booksync bug if it persists.")
		case n.Amount <= 0:
			results[i].Err = precheck("credit_amount_invalid", "TotalAmt", "Credit note amount must be positive", "Give the credit note at least one line with a positive amount, then push again.")
		default:
			invoiceIDs = append(invoiceIDs, n.InvoiceID)
			if n.MaybeExists && n.Number != "" {
				numbers = append(numbers, n.Number)
			}
		}
	}
	invs, err := c.invoicesByID(ctx, invoiceIDs)
	if err != nil {
		return nil, err
	}
	found, err := c.findCreditMemos(ctx, numbers)
	if err != nil {
		return nil, err
	}

	memos := make([]*wireInvoice, len(notes))
	var todo []int
	for i, n := range notes {
		if results[i].Err != nil {
			continue
		}
		if w, ok := found[strings.ToLower(n.Number)]; ok && n.MaybeExists && n.Number != "" {
			memos[i] = &w
			results[i].Matched = true
			continue
		}
		inv, ok := invs[n.InvoiceID]
		if !ok {
			results[i].Err = invoiceGone(n)
			continue
		}
		if balance, err := minor(inv.Balance, n.Currency); err != nil {
			results[i].Err = unexpected(err, false)
		} else if n.Amount > balance {
			results[i].Err = exceedsBalance(n, balance)
		} else {
			todo = append(todo, i)
		}
	}

	invoices := make([]platform.Invoice, len(notes))
	for i, n := range notes {
		invoices[i] = n.Invoice
	}
	refs, err := c.invoiceRefs(ctx, invoices, todo)
	if err != nil {
		return nil, err
	}
	var pending []int
	var ids []string
	var objs []json.RawMessage
	for _, i := range todo {
		w, perr := refs.invoiceToWire(invoices[i])
		if perr != nil {
			results[i].Err = perr
			continue
		}
		pending = append(pending, i)
		ids = append(ids, notes[i].IdempotencyRef())
		objs = append(objs, mustMarshal(w))
	}
	done, err := c.createBatch(ctx, "creditmemo", "CreditMemo", ids, objs, func(k int, o outcome) {
		i := pending[k]
		if o.err != nil {
			results[i].Err = o.err
			return
		}
		var w wireInvoice
		if err := json.Unmarshal(o.raw, &w); err != nil || w.Id == "" {
			results[i].Err = notReported()
			return
		}
		memos[i] = &w
	})
	if err != nil {
		failRest(results, pending, done, err)
		return results, err
	}
	return results, c.applyCredits(ctx, notes, invs, memos, results)
}

// applyCredits applies each credit memo found or created to its invoice, unless it is applied
// already, and reports the credit memos in results.
func (c *Client) applyCredits(ctx context.Context, notes []platform.CreditNote, invs map[string]wireInvoice,
	memos []*wireInvoice, results []platform.Result) error {
	var pending []int
	var refs []string
	var objs []json.RawMessage
	for i, m := range memos {
		if m == nil || results[i].Err != nil {
			continue
		}
		n := notes[i]
		results[i] = creditResult(results[i], *m, n.Currency)
		if results[i].Err != nil {
			continue
		}
		cur := n.Currency
		if v := refValue(m.CurrencyRef); v != "" {
			cur = v
		}
		left, err := minor(m.Balance, cur)
		if err != nil {
			results[i].Err = unexpected(err, false)
			continue
		}
		if left == 0 {
			continue // applied already
		}
		inv, ok := invs[n.InvoiceID]
		if !ok {
			results[i].Err = invoiceGone(n)
			continue
		}
		balance, err := minor(inv.Balance, cur)
		if err != nil {
			results[i].Err = unexpected(err, false)
			continue
		}
		if left > balance {
			n.Amount = left
			results[i].Err = exceedsBalance(n, balance)
			continue
		}
		amount := major(left, cur)
		pending = append(pending, i)
		refs = append(refs, n.Ref)
		objs = append(objs, mustMarshal(wirePayment{
			CustomerRef: ref(refValue(inv.CustomerRef)), CurrencyRef: inv.CurrencyRef, TxnDate: n.Date, TotalAmt: "0",
			PrivateNote: truncate("Credit memo "+m.DocNumber+" applied to invoice "+inv.DocNumber, maxDescription),
			Line: []wireLine{
				{Amount: amount, LinkedTxn: []wireLinkedTxn{{TxnId: inv.Id, TxnType: "Invoice"}}},
				{Amount: amount, LinkedTxn: []wireLinkedTxn{{TxnId: m.Id, TxnType: "CreditMemo"}}},
			},
		}))
	}
	done, err := c.createBatch(ctx, "creditapply", "Payment", refs, objs, func(k int, o outcome) {
		if o.err != nil {
			results[pending[k]].Err = o.err
		}
	})
	if err != nil {
		failRest(results, pending, done, err)
	}
	return err
}

// creditResult reports a credit memo with the totals QuickBooks computed.
func creditResult(r platform.Result, w wireInvoice, currency string) platform.Result {
	out := invoiceResult(r.Ref, w, currency)
	out.Matched = r.Matched
	return out
}

// exceedsBalance refuses a credit larger than what its invoice still asks for.
func exceedsBalance(n platform.CreditNote, balance int64) *platform.Error {
	msg := fmt.Sprintf("Credit note %s for %s exceeds the balance %s of invoice %s in QuickBooks",
		n.Number, money.FormatMinor(n.Amount, n.Currency), money.FormatMinor(balance, n.Currency), n.InvoiceNumber)
	return &platform.Error{Class: platform.NeedsUserAction, Code: "credit_exceeds_balance", Message: msg,
		Details: []platform.Detail{{Field: "Line.Amount", Message: msg,
			Fix: "Lower the credit note to at most the invoice's balance (payments and credits made in QuickBooks count), then push again."}}}
}

// invoiceGone is the failure of a credit note whose invoice is no longer in QuickBooks.
func invoiceGone(n platform.CreditNote) *platform.Error {
	return precheck("invoice_not_found", "Line.LinkedTxn.TxnId",
		fmt.Sprintf("Invoice %s does not exist in QuickBooks: it was deleted there", n.InvoiceNumber),
		"Push the invoice again, then the credit note.")
}

// findCreditMemos looks credit memos up by DocNumber and returns them by lower-cased number.
func (c *Client) findCreditMemos(ctx context.Context, numbers []string) (map[string]wireInvoice, error) {
	var quoted []string
	for _, n := range numbers {
		if q, ok := quote(n); ok {
			quoted = append(quoted, q)
		}
	}
	out := map[string]wireInvoice{}
	for _, list := range inChunks(quoted, lookupValues, lookupLength) {
		rows, err := queryAll[wireInvoice](ctx, c, "CreditMemo", "DocNumber in "+list)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			out[strings.ToLower(w.DocNumber)] = w
		}
	}
	return out, nil
}
