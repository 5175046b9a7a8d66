package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// PushCreditNotes creates sales credit notes (ACCRECCREDIT, AUTHORISED) and allocates each to the
// invoice it credits:
//
//   - each that MaybeExists is looked up by CreditNoteNumber first (a where filter, 25 numbers a
//     call); one found is Matched, and one found already allocated to its invoice is not
//     allocated again, so a push retried after an unknown outcome never credits twice;
//   - the invoices credited are read (one call per 50), and a credit note whose Amount exceeds
//     its invoice's AmountDue in Xero, or whose invoice is not approved, is refused before
//     anything is written;
//   - the missing ones are created in PUT /CreditNotes requests of 50, then each is allocated
//     with PUT /CreditNotes/{id}/Allocations, one call per credit note.
//
// Result.Totals are the credit note's totals as Xero computed them. When the returned error is
// non-nil, results is either nil or has one result per credit note, as for PushContacts.
func (c *Client) PushCreditNotes(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error) {
	results := make([]platform.Result, len(notes))
	var numbers, invoiceIDs []string
	for i, n := range notes {
		results[i].Ref = n.Ref
		switch {
		case n.Number == "" || len([]rune(n.Number)) > 255:
			results[i].Err = precheck("credit_note_number_invalid", "CreditNoteNumber", "Credit note number missing or too long for Xero (1 to 255 characters)", "Give the credit note a document number of at most 255 characters, then push again.")
		case n.ContactID == "":
			results[i].Err = precheck("contact_not_synced", "Contact", "Customer not yet in Xero: the credit note has no Xero contact", "Push the counterpart first; booksync does this before its credit notes, so this is a booksync bug if it persists.")
		case !isUUID(n.InvoiceID):
			results[i].Err = precheck("invoice_not_synced", "Invoice", fmt.Sprintf("Invoice %s not yet in Xero: the credit note has nothing to apply to", n.InvoiceNumber), "Push the invoice first; booksync does this before its credit notes, so this is a booksync bug if it persists.")
		case n.Amount <= 0:
			results[i].Err = precheck("credit_note_amount_invalid", "Amount", "Credit note amount must be positive", "Give the credit note at least one line with a positive total, then push again.")
		}
		if results[i].Err != nil {
			continue
		}
		if n.MaybeExists {
			numbers = append(numbers, n.Number)
		}
		invoiceIDs = append(invoiceIDs, n.InvoiceID)
	}
	found, err := c.findCreditNotes(ctx, numbers)
	if err != nil {
		return nil, err
	}
	invoices, err := c.invoicesByID(ctx, invoiceIDs)
	if err != nil {
		return nil, err
	}

	notes2 := make([]wireCreditNote, len(notes)) // each credit note as Xero holds it, once known
	staged := map[string]int64{}                 // credit to apply to each invoice by this push
	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	for i, n := range notes {
		if results[i].Err != nil {
			continue
		}
		if w, ok := found[strings.ToLower(n.Number)]; ok {
			notes2[i] = w
			results[i] = creditNoteResult(n.Ref, w, n.Currency)
			results[i].Matched = true
			if results[i].Err == nil && allocatedTo(w, n.InvoiceID) == 0 {
				results[i].Err = checkCredit(n, invoices, staged)
			}
			continue
		}
		if perr := checkCredit(n, invoices, staged); perr != nil {
			results[i].Err = perr
			continue
		}
		pending = append(pending, i)
		refs = append(refs, n.IdempotencyRef())
		keys = append(keys, strings.ToLower(n.Number))
		objs = append(objs, mustMarshal(creditNoteToWire(n)))
	}
	b := batch{kind: "creditnotes", path: "/CreditNotes", wrapper: "CreditNotes", query: pushQuery(true),
		keyOf: func(raw json.RawMessage) string {
			var w wireCreditNote
			_ = json.Unmarshal(raw, &w)
			return strings.ToLower(w.CreditNoteNumber)
		}}
	done, err := c.putChunks(ctx, b, refs, keys, objs, func(k int, o outcome) {
		i := pending[k]
		r := &results[i]
		switch {
		case o.err != nil:
			r.Err = o.err
			return
		case o.raw == nil:
			r.Err = notReported(o.rejected)
			return
		}
		var w wireCreditNote
		if err := json.Unmarshal(o.raw, &w); err != nil {
			r.Err = unexpected(err, true)
			return
		}
		if r.Err = objectError(w.ValidationErrors, invoiceLocator(notes[i].Invoice)); r.Err != nil {
			return
		}
		if o.rejected || w.CreditNoteID == "" {
			r.Err = notReported(o.rejected)
			return
		}
		notes2[i] = w
		*r = creditNoteResult(r.Ref, w, notes[i].Currency)
	})
	if err != nil {
		failRest(results, pending, done, err)
		return results, err
	}

	// Allocate each credit note not yet applied to its invoice.
	for i, n := range notes {
		w := notes2[i]
		if results[i].Err != nil || w.CreditNoteID == "" || allocatedTo(w, n.InvoiceID) > 0 {
			continue
		}
		date := n.Date
		if inv, ok := invoices[strings.ToLower(n.InvoiceID)]; ok {
			// Xero dates an allocation no earlier than both documents.
			if d, err := parseDate(inv.DateString, inv.Date); err == nil && d > date {
				date = d
			}
		}
		if err := c.allocate(ctx, n, w.CreditNoteID, date); err != nil {
			results[i].Err = err
			if perr, ok := err.(*platform.Error); ok && perr.Class != platform.NeedsUserAction {
				// A failure of the call itself (rate limit, auth, network) stops the push; the
				// credit notes after this one keep their results without allocation.
				for j := i + 1; j < len(notes); j++ {
					if results[j].Err == nil && notes2[j].CreditNoteID != "" && allocatedTo(notes2[j], notes[j].InvoiceID) == 0 {
						results[j].Err = err
					}
				}
				return results, err
			}
		}
	}
	return results, nil
}

// checkCredit refuses a credit note Xero could not apply: its invoice must be approved and owe at
// least the credit's Amount on top of what earlier credit notes of the same push apply (staged,
// by invoice id, which it adds to when it accepts one).
func checkCredit(n platform.CreditNote, invoices map[string]wireInvoice, staged map[string]int64) error {
	inv, ok := invoices[strings.ToLower(n.InvoiceID)]
	if !ok {
		return precheck("not_found", "Invoice", fmt.Sprintf("Invoice %s not found in Xero (InvoiceID %s): the credit note has nothing to apply to", n.InvoiceNumber, n.InvoiceID),
			"Check that the connection points at the organisation the invoice was pushed to, or push the invoice again.")
	}
	currency := cmpOr(inv.CurrencyCode, n.Currency)
	due, err := minor(inv.AmountDue, currency)
	if err != nil {
		return unexpected(err, false)
	}
	if inv.Status != "AUTHORISED" {
		return precheck("invoice_not_open", "Invoice",
			fmt.Sprintf("Invoice %s is %s in Xero: a credit note applies only to an approved invoice with an amount due", cmpOr(n.InvoiceNumber, inv.InvoiceNumber), inv.Status),
			"Check the invoice in Xero; a paid or voided invoice takes no credit. Cancel the credit note in booksync, or restore the invoice in Xero, then push again.")
	}
	key := strings.ToLower(n.InvoiceID)
	due -= staged[key]
	if n.Amount > due {
		return precheck("credit_exceeds_amount_due", "Amount",
			fmt.Sprintf("Credit note %s of %s %s exceeds what invoice %s still owes in Xero (%s %s)", n.Number,
				major(n.Amount, currency), currency, cmpOr(n.InvoiceNumber, inv.InvoiceNumber), major(due, currency), currency),
			"Payments or credit notes recorded in Xero lowered the amount due. Reduce the credit note to at most the amount due, or remove the other credit in Xero, then push again.")
	}
	staged[key] += n.Amount
	return nil
}

// allocate applies amount of the credit note to its invoice. Its Idempotency-Key names the
// credit note, the invoice and the amount, so a retried call is answered, not applied, again.
func (c *Client) allocate(ctx context.Context, n platform.CreditNote, creditNoteID, date string) error {
	body := mustMarshal(map[string]any{"Allocations": []wireAllocation{{Invoice: &wireRef{InvoiceID: n.InvoiceID},
		Amount: major(n.Amount, n.Currency), Date: date}}})
	path := "/CreditNotes/" + url.PathEscape(creditNoteID) + "/Allocations"
	resp, err := c.send(ctx, request{method: http.MethodPut, url: c.api(path, url.Values{"summarizeErrors": {"false"}}), body: body,
		idemKey: idempotencyKey("allocations", []string{n.Ref, creditNoteID, n.InvoiceID}, body)})
	if err != nil {
		return err
	}
	if perr := classifyStatus(resp, true); perr != nil {
		return perr
	}
	var env struct {
		Allocations []wireAllocation `json:"Allocations"`
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return unexpected(fmt.Errorf("decoding %s: %w", path, err), true)
	}
	for _, a := range env.Allocations {
		if len(a.ValidationErrors) > 0 {
			return objectError(a.ValidationErrors, nil)
		}
	}
	if len(env.Allocations) == 0 {
		return notReported(false)
	}
	return nil
}

// allocatedTo returns how much of the credit note is applied to invoiceID (minor units are not
// needed: any positive amount counts).
func allocatedTo(w wireCreditNote, invoiceID string) int {
	n := 0
	for _, a := range w.Allocations {
		if !a.IsDeleted && a.Invoice != nil && strings.EqualFold(a.Invoice.InvoiceID, invoiceID) {
			n++
		}
	}
	return n
}

// creditNoteResult reports a created or matched credit note with the totals Xero computed.
func creditNoteResult(ref string, w wireCreditNote, currency string) platform.Result {
	return invoiceResult(ref, wireInvoice{InvoiceID: w.CreditNoteID, UpdatedDateUTC: w.UpdatedDateUTC, CurrencyCode: w.CurrencyCode,
		SubTotal: w.SubTotal, TotalTax: w.TotalTax, Total: w.Total}, currency)
}

// creditNoteToWire builds the sales credit note to create: the lines as an invoice's, approved.
func creditNoteToWire(n platform.CreditNote) wireCreditNote {
	inv := n.Invoice
	inv.MarkIssued = true
	w := invoiceToWire(inv)
	return wireCreditNote{Type: "ACCRECCREDIT", Contact: w.Contact, Date: w.Date, CreditNoteNumber: n.Number,
		Reference: w.Reference, CurrencyCode: w.CurrencyCode, LineAmountTypes: w.LineAmountTypes,
		Status: "AUTHORISED", LineItems: w.LineItems}
}

// findCreditNotes looks sales credit notes up by number and returns them by lower-cased number.
// Numbers a where filter cannot quote are left out: the credit note is then created, and a
// clash comes back as a validation error.
func (c *Client) findCreditNotes(ctx context.Context, numbers []string) (map[string]wireCreditNote, error) {
	out := map[string]wireCreditNote{}
	var terms []string
	for _, n := range numbers {
		if v, ok := whereValue(n); ok {
			terms = append(terms, "CreditNoteNumber=="+v)
		}
	}
	for _, where := range filterChunks(terms, lookupTerms, lookupLength) {
		for page := 1; ; page++ {
			q := url.Values{"where": {where}, "page": {pageOf(page)}, "unitdp": {"4"}}
			var env struct {
				CreditNotes []wireCreditNote `json:"CreditNotes"`
			}
			if err := c.get(ctx, "/CreditNotes", q, nil, &env); err != nil {
				return nil, err
			}
			for _, w := range env.CreditNotes {
				if w.Status == "DELETED" || (w.Type != "" && w.Type != "ACCRECCREDIT") {
					continue
				}
				out[strings.ToLower(w.CreditNoteNumber)] = w
			}
			if len(env.CreditNotes) < pageSize {
				break
			}
		}
	}
	return out, nil
}
