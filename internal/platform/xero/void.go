package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/platform"
)

// VoidInvoices voids invoices in Xero: it reads them (one call per 50), then sends the approved
// ones VOIDED and the drafts DELETED, as Xero requires, in POST /Invoices requests of 50. One
// already voided or deleted succeeds without a write. One with payments or credit notes
// allocated is not written: its error is NeedsUserAction "invoice_has_payments" and names them,
// since Xero refuses to void it until they are removed.
//
// When the returned error is non-nil, results is either nil or has one result per void, as for
// PushContacts.
func (c *Client) VoidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	results := make([]platform.Result, len(voids))
	var ids []string
	for i, v := range voids {
		results[i].Ref = v.Ref
		if !isUUID(v.InvoiceID) {
			results[i].Err = precheck("invoice_not_synced", "InvoiceID",
				fmt.Sprintf("Invoice %s is not in Xero: it has no Xero InvoiceID", v.Number),
				"Nothing to void in Xero; if the invoice was pushed, push it again so booksync learns its id.")
			continue
		}
		ids = append(ids, v.InvoiceID)
	}
	found, err := c.invoicesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	for i, v := range voids {
		if results[i].Err != nil {
			continue
		}
		w, ok := found[strings.ToLower(v.InvoiceID)]
		switch {
		case !ok:
			results[i].Err = &platform.Error{Class: platform.NeedsUserAction, Status: http.StatusNotFound, Code: "not_found",
				Message: fmt.Sprintf("Invoice %s not found in Xero (InvoiceID %s)", v.Number, v.InvoiceID),
				Details: []platform.Detail{{Field: "InvoiceID", Message: "The invoice does not exist in this Xero organisation",
					Fix: "Check that the connection points at the organisation the invoice was pushed to."}}}
			continue
		case w.Status == "VOIDED" || w.Status == "DELETED":
			results[i].PlatformID = w.InvoiceID
			results[i].UpdatedAt, _ = parseTime(w.UpdatedDateUTC)
			continue
		}
		if perr := allocatedError(v.Number, w); perr != nil {
			results[i].Err = perr
			continue
		}
		status := "VOIDED"
		if w.Status == "DRAFT" || w.Status == "SUBMITTED" {
			status = "DELETED"
		}
		pending = append(pending, i)
		refs = append(refs, v.Ref)
		keys = append(keys, strings.ToLower(w.InvoiceID))
		objs = append(objs, mustMarshal(wireInvoice{InvoiceID: w.InvoiceID, Status: status}))
	}
	b := batch{method: http.MethodPost, kind: "voids", path: "/Invoices", wrapper: "Invoices", query: pushQuery(false),
		keyOf: func(raw json.RawMessage) string {
			var w wireInvoice
			_ = json.Unmarshal(raw, &w)
			return strings.ToLower(w.InvoiceID)
		}}
	done, err := c.putChunks(ctx, b, refs, keys, objs, created(results, pending, nil,
		func(w *wireInvoice) (string, string, []message) {
			return w.InvoiceID, w.UpdatedDateUTC, w.ValidationErrors
		}))
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// allocatedError is the refusal to void an invoice that has payments or credit notes applied in
// Xero, naming each; nil when it has none.
func allocatedError(number string, w wireInvoice) *platform.Error {
	paid, _ := minor(w.AmountPaid, w.CurrencyCode)
	credited, _ := minor(w.AmountCredited, w.CurrencyCode)
	if paid == 0 && credited == 0 && len(w.Payments) == 0 && len(w.CreditNotes) == 0 && w.Status != "PAID" {
		return nil
	}
	var names []string
	var details []platform.Detail
	const fix = "Remove the payments and credit note allocations from the invoice in Xero (or cancel booksync's payment records, which removes those booksync pushed), then cancel the invoice again."
	for _, p := range w.Payments {
		date, _ := parseDate("", p.Date)
		msg := fmt.Sprintf("payment %s of %s %s on %s", p.PaymentID, p.Amount, w.CurrencyCode, date)
		names = append(names, msg)
		details = append(details, platform.Detail{Field: "Payments", Message: "Xero holds a " + msg, Fix: fix})
	}
	for _, cn := range w.CreditNotes {
		msg := fmt.Sprintf("credit note %s of %s %s", cn.CreditNoteNumber, cn.AppliedAmount, w.CurrencyCode)
		names = append(names, msg)
		details = append(details, platform.Detail{Field: "CreditNotes", Message: "Xero holds an allocated " + msg, Fix: fix})
	}
	if len(names) == 0 {
		names = append(names, fmt.Sprintf("%s %s paid and %s %s credited", w.AmountPaid, w.CurrencyCode, w.AmountCredited, w.CurrencyCode))
		details = append(details, platform.Detail{Field: "AmountPaid", Message: "Xero reports amounts paid or credited on the invoice", Fix: fix})
	}
	return &platform.Error{Class: platform.NeedsUserAction, Code: platform.CodeInvoiceHasPayments,
		Message: fmt.Sprintf("Invoice %s cannot be voided in Xero: it has %s", cmpOr(number, w.InvoiceNumber), strings.Join(names, "; ")),
		Details: details}
}

// invoicesByID reads invoices by InvoiceID (50 a call) and returns them by lower-cased id.
func (c *Client) invoicesByID(ctx context.Context, ids []string) (map[string]wireInvoice, error) {
	out := map[string]wireInvoice{}
	for start := 0; start < len(ids); start += lookupNumbers {
		end := min(start+lookupNumbers, len(ids))
		q := url.Values{"IDs": {strings.Join(ids[start:end], ",")}, "page": {"1"}, "unitdp": {"4"}}
		var env struct {
			Invoices []wireInvoice `json:"Invoices"`
		}
		if err := c.get(ctx, "/Invoices", q, nil, &env); err != nil {
			return nil, err
		}
		for _, w := range env.Invoices {
			out[strings.ToLower(w.InvoiceID)] = w
		}
	}
	return out, nil
}

// isUUID reports whether id is a Xero id (a UUID in its 36-character form).
func isUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// cmpOr returns a unless it is empty, else b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pageOf is the page query value of page n.
func pageOf(n int) string { return strconv.Itoa(n) }
