package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// lookupStatuses are the statuses an invoice number can be taken by. DELETED is left out because
// Xero frees the number of a deleted draft.
const lookupStatuses = "DRAFT,SUBMITTED,AUTHORISED,PAID,VOIDED"

// Look-ups by number send at most this many numbers, and this many characters of them, a call.
const (
	lookupNumbers       = 50
	lookupNumbersLength = 2000
)

// PushInvoices looks up by number every invoice that MaybeExists (an earlier push may have created
// it); those Xero already has are Matched (with Xero's totals), and the rest are created as sales
// invoices (ACCREC) in requests of 50. A first push skips the look-up: one call per 50 invoices. An
// invoice matched to a VOIDED Xero invoice is Matched with a NeedsUserAction error: the number is
// taken, but the books do not hold it.
//
// When the returned error is non-nil, results is either nil or has one result per invoice, as for
// PushContacts.
func (c *Client) PushInvoices(ctx context.Context, invoices []platform.Invoice) ([]platform.Result, error) {
	results := make([]platform.Result, len(invoices))
	for i, inv := range invoices {
		results[i].Ref = inv.Ref
		switch {
		case len([]rune(inv.Number)) > 255:
			results[i].Err = precheck("invoice_number_too_long", "InvoiceNumber", "Invoice number too long for Xero (at most 255 characters)", "Shorten the invoice's document_id, then push again.")
		case inv.ContactID == "":
			results[i].Err = precheck("contact_not_synced", "Contact", "Customer not yet in Xero: the invoice has no Xero contact", "Push the counterpart first; booksync does this before its invoices, so this is a booksync bug if it persists.")
		}
	}
	var numbers []string
	for i, inv := range invoices {
		if results[i].Err == nil && inv.Number != "" && inv.MaybeExists {
			numbers = append(numbers, inv.Number)
		}
	}
	found := map[string]wireInvoice{}
	if len(numbers) > 0 {
		var err error
		if found, err = c.findInvoices(ctx, numbers); err != nil {
			return nil, err
		}
	}

	var pending []int
	var refs, keys []string
	var objs []json.RawMessage
	for i, inv := range invoices {
		if results[i].Err != nil {
			continue
		}
		if w, ok := found[strings.ToLower(inv.Number)]; ok && inv.Number != "" {
			results[i] = invoiceResult(inv.Ref, w, inv.Currency)
			results[i].Matched = true
			if w.Status == "VOIDED" && results[i].Err == nil {
				results[i].Err = precheck("invoice_voided", "InvoiceNumber",
					"Invoice voided in Xero: an invoice with this number exists there but is voided",
					"Give the invoice a new number in booksync to push it again, or leave it voided if that was intended.")
			}
			continue
		}
		pending = append(pending, i)
		refs = append(refs, inv.IdempotencyRef())
		keys = append(keys, strings.ToLower(inv.Number))
		objs = append(objs, mustMarshal(invoiceToWire(inv)))
	}
	b := batch{kind: "invoices", path: "/Invoices", wrapper: "Invoices", query: pushQuery(true),
		keyOf: func(raw json.RawMessage) string {
			var w answeredInvoice
			_ = json.Unmarshal(raw, &w)
			return strings.ToLower(w.InvoiceNumber)
		}}
	done, err := c.putChunks(ctx, b, refs, keys, objs, func(k int, o outcome) {
		i := pending[k]
		r := &results[i]
		if o.err != nil {
			r.Err = o.err
			return
		}
		if o.raw == nil {
			r.Err = notReported(o.rejected)
			return
		}
		var w answeredInvoice
		if err := json.Unmarshal(o.raw, &w); err != nil {
			r.Err = unexpected(err, true)
			return
		}
		if r.Err = objectError(w.ValidationErrors, invoiceLocator(invoices[i])); r.Err != nil {
			return
		}
		if o.rejected || w.InvoiceID == "" {
			r.Err = notReported(o.rejected)
			return
		}
		*r = invoiceResult(r.Ref, w.wireInvoice(), invoices[i].Currency)
	})
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// answeredInvoice is what a push reads of each invoice in Xero's answer to a create: what
// invoiceResult and the push's checks need, and not the lines, which are most of the answer.
type answeredInvoice struct {
	InvoiceID        string      `json:"InvoiceID"`
	InvoiceNumber    string      `json:"InvoiceNumber"`
	CurrencyCode     string      `json:"CurrencyCode"`
	SubTotal         json.Number `json:"SubTotal"`
	TotalTax         json.Number `json:"TotalTax"`
	Total            json.Number `json:"Total"`
	UpdatedDateUTC   string      `json:"UpdatedDateUTC"`
	ValidationErrors []message   `json:"ValidationErrors"`
}

// wireInvoice returns the invoice with what a holds.
func (a answeredInvoice) wireInvoice() wireInvoice {
	return wireInvoice{InvoiceID: a.InvoiceID, InvoiceNumber: a.InvoiceNumber, CurrencyCode: a.CurrencyCode,
		SubTotal: a.SubTotal, TotalTax: a.TotalTax, Total: a.Total, UpdatedDateUTC: a.UpdatedDateUTC,
		ValidationErrors: a.ValidationErrors}
}

// invoiceResult reports a created or matched invoice with the totals Xero computed.
func invoiceResult(ref string, w wireInvoice, currency string) platform.Result {
	r := platform.Result{Ref: ref, PlatformID: w.InvoiceID}
	r.UpdatedAt, _ = parseTime(w.UpdatedDateUTC)
	if w.CurrencyCode != "" {
		currency = w.CurrencyCode
	}
	t, err := totals(w, currency)
	if err != nil {
		// The invoice exists; only its totals cannot be compared, which the user must look at.
		r.Err = &platform.Error{Class: platform.NeedsUserAction, Code: "totals_unreadable",
			Message: "Invoice totals from Xero cannot be read in " + currency + " minor units", Err: err}
		return r
	}
	r.Totals = &t
	return r
}

// totals converts Xero's SubTotal, TotalTax and Total to minor units, exactly.
func totals(w wireInvoice, currency string) (platform.Totals, error) {
	var t platform.Totals
	var err error
	if t.Subtotal, err = minor(w.SubTotal, currency); err != nil {
		return t, err
	}
	if t.Tax, err = minor(w.TotalTax, currency); err != nil {
		return t, err
	}
	t.Total, err = minor(w.Total, currency)
	return t, err
}

// invoiceToWire builds the sales invoice to create, each line with booksync's tax amount.
func invoiceToWire(inv platform.Invoice) wireInvoice {
	w := wireInvoice{
		Type: "ACCREC", Contact: &wireContact{ContactID: inv.ContactID},
		Date: inv.Date, DueDate: inv.DueDate, InvoiceNumber: inv.Number,
		Reference: truncate(inv.Reference, 255), CurrencyCode: inv.Currency,
		LineAmountTypes: "Exclusive", Status: "DRAFT",
	}
	if w.DueDate == "" {
		// Xero refuses an AUTHORISED invoice without a due date; due on issue is what an invoice
		// without terms means.
		w.DueDate = inv.Date
	}
	if inv.Inclusive {
		w.LineAmountTypes = "Inclusive"
	}
	if inv.MarkIssued {
		w.Status = "AUTHORISED"
	}
	for _, l := range inv.Lines {
		desc := l.Description
		if desc == "" {
			desc = l.ItemCode
		}
		if desc == "" {
			// Xero requires a description on every line.
			desc = "Item"
		}
		wl := wireLine{Description: truncate(desc, 4000), Quantity: json.Number(l.Quantity.String()),
			UnitAmount: major(l.UnitAmount, inv.Currency), ItemCode: l.ItemCode,
			AccountCode: l.AccountCode, TaxType: l.TaxCode}
		if l.DiscountAmount > 0 {
			wl.DiscountAmount = major(l.DiscountAmount, inv.Currency)
		}
		if l.TaxCode != "" {
			// Xero computes a line's tax from its rate unless TaxAmount overrides it: sending
			// booksync's own makes the books hold the invoice's figures, also for a line whose
			// accounting_tax_rate_id has another rate than the line.
			wl.TaxAmount = major(l.TaxAmount, inv.Currency)
		}
		w.LineItems = append(w.LineItems, wl)
	}
	return w
}

// invoiceLocator points an invoice's error at the line whose code Xero quoted, or at the lines'
// field when it quoted none.
func invoiceLocator(inv platform.Invoice) locator {
	return func(code, value string) string {
		var field func(l platform.InvoiceLine) string
		var name string
		switch code {
		case "tax_rate_not_found", "tax_rate_account_mismatch":
			field, name = func(l platform.InvoiceLine) string { return l.TaxCode }, "TaxType"
		case "ledger_account_not_found":
			field, name = func(l platform.InvoiceLine) string { return l.AccountCode }, "AccountCode"
		case "item_not_found":
			field, name = func(l platform.InvoiceLine) string { return l.ItemCode }, "ItemCode"
		default:
			return ""
		}
		for i, l := range inv.Lines {
			if value != "" && strings.EqualFold(field(l), value) {
				return fmt.Sprintf("LineItems[%d].%s", i, name)
			}
		}
		return ""
	}
}

// findInvoices looks sales invoices up by number and returns them by lower-cased number. Numbers
// with a comma cannot go into InvoiceNumbers, a comma-separated list, and are looked up with a
// where filter instead.
func (c *Client) findInvoices(ctx context.Context, numbers []string) (map[string]wireInvoice, error) {
	out := map[string]wireInvoice{}
	var plain, terms []string
	for _, n := range numbers {
		if !strings.Contains(n, ",") {
			plain = append(plain, n)
		} else if v, ok := whereValue(n); ok {
			terms = append(terms, "InvoiceNumber=="+v)
		}
	}
	var queries []url.Values
	var cur []string
	size := 0
	flush := func() {
		if len(cur) > 0 {
			queries = append(queries, url.Values{"InvoiceNumbers": {strings.Join(cur, ",")}})
		}
		cur, size = nil, 0
	}
	for _, n := range plain {
		if len(cur) >= lookupNumbers || (len(cur) > 0 && size+len(n)+1 > lookupNumbersLength) {
			flush()
		}
		cur = append(cur, n)
		size += len(n) + 1
	}
	flush()
	for _, where := range filterChunks(terms, lookupTerms, lookupLength) {
		queries = append(queries, url.Values{"where": {where}})
	}
	for _, q := range queries {
		q.Set("Statuses", lookupStatuses)
		q.Set("unitdp", "4")
		for page := 1; ; page++ {
			q.Set("page", strconv.Itoa(page))
			var env struct {
				Invoices []wireInvoice `json:"Invoices"`
			}
			if err := c.get(ctx, "/Invoices", q, nil, &env); err != nil {
				return nil, err
			}
			for _, w := range env.Invoices {
				// Bills (ACCPAY) may carry the same number as a sales invoice; they are not ours.
				if w.Type != "" && w.Type != "ACCREC" {
					continue
				}
				k := strings.ToLower(w.InvoiceNumber)
				// An earlier find wins unless it is voided and this one is not.
				if prev, ok := out[k]; !ok || (prev.Status == "VOIDED" && w.Status != "VOIDED") {
					out[k] = w
				}
			}
			if len(env.Invoices) < pageSize {
				break
			}
		}
	}
	return out, nil
}

// Invoices reads a page (100) of sales invoices, newest changes included when q.ModifiedSince is
// set. Xero returns line items because the call is paged.
func (c *Client) Invoices(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) {
	page := q.Page
	if page < 1 {
		page = 1
	}
	v := url.Values{"where": {`Type=="ACCREC"`}, "page": {strconv.Itoa(page)}, "unitdp": {"4"}}
	if len(q.Numbers) > 0 {
		v.Set("InvoiceNumbers", strings.Join(q.Numbers, ","))
	}
	var h http.Header
	if !q.ModifiedSince.IsZero() {
		h = http.Header{"If-Modified-Since": {q.ModifiedSince.UTC().Format(time.RFC3339)}}
	}
	var env struct {
		Invoices []wireInvoice `json:"Invoices"`
	}
	if err := c.get(ctx, "/Invoices", v, h, &env); err != nil {
		return nil, err
	}
	out := make([]booksync.RemoteInvoice, 0, len(env.Invoices))
	for _, w := range env.Invoices {
		ri, err := remoteInvoice(w)
		if err != nil {
			return nil, unexpected(err, false)
		}
		out = append(out, ri)
	}
	return out, nil
}

// Invoice reads one invoice by Xero's InvoiceID. An InvoiceID is a UUID, so any other id names no
// invoice: it is not found, without asking Xero.
func (c *Client) Invoice(ctx context.Context, id string) (booksync.RemoteInvoice, error) {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return booksync.RemoteInvoice{}, &platform.Error{Class: platform.NeedsUserAction, Status: http.StatusNotFound, Code: "not_found",
			Message: fmt.Sprintf("Not found in Xero: %q is not a Xero InvoiceID, which is a UUID", id)}
	}
	var env struct {
		Invoices []wireInvoice `json:"Invoices"`
	}
	if err := c.get(ctx, "/Invoices/"+url.PathEscape(id), url.Values{"unitdp": {"4"}}, nil, &env); err != nil {
		return booksync.RemoteInvoice{}, err
	}
	if len(env.Invoices) == 0 {
		return booksync.RemoteInvoice{}, classifyStatus(response{status: http.StatusNotFound}, false)
	}
	ri, err := remoteInvoice(env.Invoices[0])
	if err != nil {
		return booksync.RemoteInvoice{}, unexpected(err, false)
	}
	return ri, nil
}

// remoteInvoice maps Xero's invoice; amounts become minor units of its currency.
func remoteInvoice(w wireInvoice) (booksync.RemoteInvoice, error) {
	ri := booksync.RemoteInvoice{ID: w.InvoiceID, Number: w.InvoiceNumber, Currency: w.CurrencyCode,
		Status: w.Status, Reference: w.Reference, Inclusive: w.LineAmountTypes == "Inclusive"}
	if w.Contact != nil {
		ri.ContactID, ri.ContactName = w.Contact.ContactID, w.Contact.Name
	}
	var err error
	if ri.Date, err = parseDate(w.DateString, w.Date); err != nil {
		return ri, err
	}
	if ri.DueDate, err = parseDate(w.DueDateString, w.DueDate); err != nil {
		return ri, err
	}
	if ri.UpdatedAt, err = parseTime(w.UpdatedDateUTC); err != nil {
		return ri, err
	}
	t, err := totals(w, w.CurrencyCode)
	if err != nil {
		return ri, err
	}
	ri.Totals = booksync.InvoiceTotals(t)
	if ri.AmountDue, err = minor(w.AmountDue, w.CurrencyCode); err != nil {
		return ri, err
	}
	if ri.AmountPaid, err = minor(w.AmountPaid, w.CurrencyCode); err != nil {
		return ri, err
	}
	for _, l := range w.LineItems {
		rl := booksync.RemoteLine{Description: l.Description, AccountCode: l.AccountCode, TaxCode: l.TaxType}
		if rl.Quantity, err = decimalOf(l.Quantity); err != nil {
			return ri, err
		}
		if rl.UnitAmount, err = decimalOf(l.UnitAmount); err != nil {
			return ri, err
		}
		if rl.Discount, err = decimalOf(l.DiscountRate); err != nil {
			return ri, err
		}
		if rl.LineAmount, err = minor(l.LineAmount, w.CurrencyCode); err != nil {
			return ri, err
		}
		if rl.TaxAmount, err = minor(l.TaxAmount, w.CurrencyCode); err != nil {
			return ri, err
		}
		ri.Lines = append(ri.Lines, rl)
	}
	return ri, nil
}

// decimalOf parses a JSON number exactly; "" is zero.
func decimalOf(n json.Number) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(string(n))
}
