package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// QuickBooks' change data capture reaches back 30 days and answers at most 1,000 objects.
const (
	cdcWindow     = 30 * 24 * time.Hour
	cdcMaxObjects = 1000
	// cdcMargin keeps a first pull's changedSince clear of the 30-day limit, whatever the clocks.
	cdcMargin = time.Hour
)

// cdcEntities are the entities a pull asks for.
const cdcEntities = "Invoice,Payment,CreditMemo"

// Changes pulls what changed in the company since q.Cursor with one ChangeDataCapture request
// (GET /cdc?entities=Invoice,Payment,CreditMemo&changedSince=...), whatever the size of the books:
//
//   - The cursor is a time (RFC 3339, UTC, to the second). A first pull starts at q.Since, or 30
//     days back (less an hour) when Since is older or zero, as QuickBooks reaches no further.
//   - QuickBooks reports the objects changed at or after changedSince (to the second): the next
//     cursor is the answer's own time, cut to the second, so a change made in that second after
//     the answer is reported next time, and a change is reported at least once, never skipped.
//   - An answer holding 1,000 objects may have been cut short: More is set and the cursor is the
//     newest change it holds, so the next pull starts there (reporting that second again).
//   - Invoices become InvoiceChanges (voided: zero amounts and a "Voided" memo, or deleted;
//     paid: nothing due; else open), their credited amounts read from the Payments of TotalAmt
//     0 that apply credit memos to them (one query per 30 such payments not in the answer), and
//     AmountPaid = Total - AmountDue - AmountCredited.
//   - Payments become one PaymentChange per invoice their Lines link, keyed by the Payment's Id;
//     a Payment that only applies a credit memo (TotalAmt 0) is no payment. A deleted Payment
//     comes back Deleted, without its invoice (QuickBooks reports only its Id).
//
// Calls counts the requests made.
func (c *Client) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	var since time.Time
	if q.Cursor != "" {
		t, err := time.Parse(time.RFC3339, q.Cursor)
		if err != nil {
			return platform.Changes{}, &platform.Error{Class: platform.Misconfigured, Code: "cursor_invalid",
				Message: fmt.Sprintf("The QuickBooks change cursor %q is not a time", q.Cursor), Err: err}
		}
		since = t
	} else {
		since = q.Since
	}
	if oldest := time.Now().Add(-cdcWindow + cdcMargin); since.Before(oldest) {
		// QuickBooks reports no change older than 30 days; nothing older than that can be
		// pulled, and a sync that ran less than monthly had its chance then.
		since = oldest
	}
	since = since.UTC().Truncate(time.Second)
	out := platform.Changes{}
	var env struct {
		CDCResponse []struct {
			QueryResponse []map[string]json.RawMessage `json:"QueryResponse"`
		} `json:"CDCResponse"`
		Time string `json:"time"`
	}
	out.Calls++
	err := c.do(ctx, request{method: http.MethodGet, path: "/cdc", query: url.Values{
		"entities": {cdcEntities}, "changedSince": {since.Format(time.RFC3339)}}}, "", &env)
	if err != nil {
		return out, err
	}
	var invoices []wireInvoice
	var payments []wirePayment
	count := 0
	newest := since
	for _, r := range env.CDCResponse {
		for _, qr := range r.QueryResponse {
			if raw, ok := qr["Invoice"]; ok {
				var rows []wireInvoice
				if err := json.Unmarshal(raw, &rows); err != nil {
					return out, unexpected(fmt.Errorf("decoding changed invoices: %w", err), false)
				}
				invoices = append(invoices, rows...)
				for _, w := range rows {
					count++
					newest = later(newest, updatedAt(w.MetaData))
				}
			}
			if raw, ok := qr["Payment"]; ok {
				var rows []wirePayment
				if err := json.Unmarshal(raw, &rows); err != nil {
					return out, unexpected(fmt.Errorf("decoding changed payments: %w", err), false)
				}
				payments = append(payments, rows...)
				for _, w := range rows {
					count++
					newest = later(newest, updatedAt(w.MetaData))
				}
			}
			if raw, ok := qr["CreditMemo"]; ok {
				var rows []struct {
					MetaData *wireMetaData `json:"MetaData"`
				}
				if err := json.Unmarshal(raw, &rows); err != nil {
					return out, unexpected(fmt.Errorf("decoding changed credit memos: %w", err), false)
				}
				for _, w := range rows {
					count++
					newest = later(newest, updatedAt(w.MetaData))
				}
			}
		}
	}
	if count >= cdcMaxObjects {
		out.More = true
		out.Cursor = newest.UTC().Truncate(time.Second).Format(time.RFC3339)
	} else {
		at, err := parseTime(env.Time)
		if err != nil || at.IsZero() {
			at = newest
		}
		out.Cursor = later(since, at).UTC().Truncate(time.Second).Format(time.RFC3339)
	}

	home := ""
	currencyOf := func(r *wireRef) (string, error) {
		if v := refValue(r); v != "" {
			return v, nil
		}
		if home == "" {
			p, err := c.preferences(ctx, false)
			if err != nil {
				return "", err
			}
			if p.CurrencyPrefs != nil {
				home = refValue(p.CurrencyPrefs.HomeCurrency)
			}
		}
		return home, nil
	}
	known := map[string]wirePayment{}
	for _, p := range payments {
		known[p.Id] = p
	}
	var missing []string
	for _, w := range invoices {
		for _, l := range w.LinkedTxn {
			if _, ok := known[l.TxnId]; !ok && l.TxnType == "Payment" {
				missing = append(missing, l.TxnId)
			}
		}
	}
	if len(missing) > 0 {
		before := c.callsOf(len(missing))
		if err := byIDs(ctx, c, "Payment", missing, func(p wirePayment) { known[p.Id] = p }); err != nil {
			return out, err
		}
		out.Calls += before
	}

	for _, w := range invoices {
		ch, err := c.invoiceChange(w, known, currencyOf)
		if err != nil {
			return out, err
		}
		out.Invoices = append(out.Invoices, ch)
	}
	for _, p := range payments {
		chs, err := paymentChanges(p, currencyOf)
		if err != nil {
			return out, err
		}
		out.Payments = append(out.Payments, chs...)
	}
	return out, nil
}

// callsOf is how many queries reading n payments by Id costs.
func (c *Client) callsOf(n int) int { return (n + lookupValues - 1) / lookupValues }

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// invoiceChange maps a changed invoice; payments holds the Payments its LinkedTxn names.
func (c *Client) invoiceChange(w wireInvoice, payments map[string]wirePayment, currencyOf func(*wireRef) (string, error)) (platform.InvoiceChange, error) {
	ch := platform.InvoiceChange{ID: w.Id, Number: w.DocNumber, UpdatedAt: updatedAt(w.MetaData)}
	if w.Status == "Deleted" {
		ch.State, ch.Status = platform.InvoiceVoided, "Deleted"
		return ch, nil
	}
	cur, err := currencyOf(w.CurrencyRef)
	if err != nil {
		return ch, err
	}
	ch.Currency = cur
	bad := func(err error) (platform.InvoiceChange, error) {
		return ch, unexpected(fmt.Errorf("invoice %s: %w", w.Id, err), false)
	}
	if ch.Total, err = minor(w.TotalAmt, cur); err != nil {
		return bad(err)
	}
	if ch.AmountDue, err = minor(w.Balance, cur); err != nil {
		return bad(err)
	}
	for _, l := range w.LinkedTxn {
		p, ok := payments[l.TxnId]
		if l.TxnType != "Payment" || !ok || !appliesCredit(p) {
			continue
		}
		for _, pl := range p.Line {
			for _, lt := range pl.LinkedTxn {
				if lt.TxnType == "Invoice" && lt.TxnId == w.Id {
					a, err := minor(pl.Amount, cur)
					if err != nil {
						return bad(err)
					}
					ch.AmountCredited += a
				}
			}
		}
	}
	ch.AmountPaid = ch.Total - ch.AmountDue - ch.AmountCredited
	switch {
	case voided(w):
		ch.State, ch.Status = platform.InvoiceVoided, "Voided"
		ch.AmountPaid, ch.AmountCredited = 0, 0
	case ch.AmountDue == 0 && ch.Total != 0:
		ch.State, ch.Status = platform.InvoicePaid, "Paid"
	default:
		ch.State, ch.Status = platform.InvoiceOpen, "Open"
	}
	return ch, nil
}

// appliesCredit reports whether a payment applies a credit memo (a line links one).
func appliesCredit(p wirePayment) bool {
	for _, l := range p.Line {
		for _, lt := range l.LinkedTxn {
			if lt.TxnType == "CreditMemo" {
				return true
			}
		}
	}
	return false
}

// paymentChanges maps a changed payment: one change per invoice it pays, none for a payment
// that only applies credit, and a deletion for a deleted one.
func paymentChanges(p wirePayment, currencyOf func(*wireRef) (string, error)) ([]platform.PaymentChange, error) {
	at := updatedAt(p.MetaData)
	if p.Status == "Deleted" {
		return []platform.PaymentChange{{ID: p.Id, Deleted: true, UpdatedAt: at}}, nil
	}
	cur, err := currencyOf(p.CurrencyRef)
	if err != nil {
		return nil, err
	}
	total, err := minor(p.TotalAmt, cur)
	if err != nil {
		return nil, unexpected(fmt.Errorf("payment %s: %w", p.Id, err), false)
	}
	if total == 0 {
		return nil, nil // a credit memo applied, reported with its invoice
	}
	var out []platform.PaymentChange
	for _, l := range p.Line {
		for _, lt := range l.LinkedTxn {
			if lt.TxnType != "Invoice" {
				continue
			}
			a, err := minor(l.Amount, cur)
			if err != nil {
				return nil, unexpected(fmt.Errorf("payment %s: %w", p.Id, err), false)
			}
			if a == 0 {
				continue
			}
			out = append(out, platform.PaymentChange{ID: p.Id, InvoiceID: lt.TxnId, Amount: a, Currency: cur,
				Date: p.TxnDate, Reference: p.PaymentRefNum, UpdatedAt: at})
		}
	}
	return out, nil
}
