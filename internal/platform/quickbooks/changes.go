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
	// cdcMargin keeps changedSince clear of the 30-day limit, whatever the clocks: an older one
	// is read with queries.
	cdcMargin = time.Hour
)

// cdcEntities are the entities a pull asks for.
const cdcEntities = "Invoice,Payment,CreditMemo"

// Changes pulls what changed in the company since q.Cursor with one ChangeDataCapture request
// (GET /cdc?entities=Invoice,Payment,CreditMemo&changedSince=...), whatever the size of the books:
//
//   - The cursor is a time (RFC 3339, UTC, to the second); a first pull starts at q.Since.
//   - QuickBooks reports the objects changed at or after changedSince (to the second): the next
//     cursor is the answer's own time, cut to the second, so a change made in that second after
//     the answer is reported next time. A change is reported at least once, never skipped.
//   - An answer of 1,000 objects may have been cut short, and a cursor older than 30 days is
//     beyond the change data capture: the changes are then read with queries on
//     MetaData.LastUpdatedTime, a page of 1,000 per call, up to 5 pages per entity before More
//     is set (see changedByQuery). Queries do not see deletions: only those the change data
//     capture reported are.
//   - Invoices become InvoiceChanges (voided: zero amounts and a "Voided" memo, or deleted;
//     paid: nothing due; else open), their credited amounts read from the Payments that apply
//     credit memos to them (one query per 30 such payments not among the changes), and
//     AmountPaid = Total - AmountDue - AmountCredited.
//   - Payments become one PaymentChange per invoice their Lines link, keyed by the Payment's Id
//     (a payment of several invoices gives several changes with that Id), for the money it pays:
//     credit memos the same Payment applies settle its invoices first (splitPayment), and a
//     Payment of TotalAmt 0 that only applies credit is no payment. A deleted Payment comes back
//     Deleted, without its invoice (QuickBooks reports only its Id).
//
// Calls counts the requests made: 1 for a pull of fewer than 1,000 changes whose invoices have
// no earlier payments, whatever the size of the books.
func (c *Client) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	since := q.Since
	if q.Cursor != "" {
		t, err := time.Parse(time.RFC3339, q.Cursor)
		if err != nil {
			return platform.Changes{}, &platform.Error{Class: platform.Misconfigured, Code: "cursor_invalid",
				Message: fmt.Sprintf("The QuickBooks change cursor %q is not a time", q.Cursor), Err: err}
		}
		since = t
	}
	if since.IsZero() {
		// No start given: the change data capture's 30 days are all a first pull can see cheaply.
		since = time.Now().Add(-cdcWindow + cdcMargin)
	}
	since = since.UTC().Truncate(time.Second)
	out := platform.Changes{}
	var invoices []wireInvoice
	var payments []wirePayment
	var err error
	if since.Before(time.Now().Add(-cdcWindow + cdcMargin)) {
		// Beyond the change data capture's 30 days: read the changed objects with queries.
		invoices, payments, err = c.changedByQuery(ctx, since, time.Time{}, &out)
	} else {
		invoices, payments, err = c.changedByCDC(ctx, since, &out)
	}
	if err != nil {
		return out, err
	}
	return out, c.mapChanges(ctx, invoices, payments, &out)
}

// changedByCDC reads what changed since with one change data capture, and sets out's cursor. An
// answer of 1,000 objects may have been cut short, which QuickBooks does not say how: the
// changes up to the answer's time are then read with queries instead.
func (c *Client) changedByCDC(ctx context.Context, since time.Time, out *platform.Changes) ([]wireInvoice, []wirePayment, error) {
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
		return nil, nil, err
	}
	var invoices []wireInvoice
	var payments []wirePayment
	count := 0
	newest := since
	for _, r := range env.CDCResponse {
		for _, qr := range r.QueryResponse {
			for entity, raw := range qr {
				var metas []struct {
					MetaData *wireMetaData `json:"MetaData"`
				}
				if !isCDCEntity(entity) {
					continue
				}
				if err := json.Unmarshal(raw, &metas); err != nil {
					return nil, nil, unexpected(fmt.Errorf("decoding changed %s: %w", entity, err), false)
				}
				for _, m := range metas {
					count++
					newest = later(newest, updatedAt(m.MetaData))
				}
				switch entity {
				case "Invoice":
					var rows []wireInvoice
					if err := json.Unmarshal(raw, &rows); err != nil {
						return nil, nil, unexpected(fmt.Errorf("decoding changed invoices: %w", err), false)
					}
					invoices = append(invoices, rows...)
				case "Payment":
					var rows []wirePayment
					if err := json.Unmarshal(raw, &rows); err != nil {
						return nil, nil, unexpected(fmt.Errorf("decoding changed payments: %w", err), false)
					}
					payments = append(payments, rows...)
				}
			}
		}
	}
	at, err := parseTime(env.Time)
	if err != nil || at.IsZero() {
		at = newest
	}
	until := later(since, at).Truncate(time.Second)
	if count < cdcMaxObjects {
		out.Cursor = until.Format(time.RFC3339)
		return invoices, payments, nil
	}
	// Keep the deletions the answer holds (queries do not report them), and read the rest.
	var deletedInvoices []wireInvoice
	var deletedPayments []wirePayment
	for _, w := range invoices {
		if w.Status == "Deleted" {
			deletedInvoices = append(deletedInvoices, w)
		}
	}
	for _, p := range payments {
		if p.Status == "Deleted" {
			deletedPayments = append(deletedPayments, p)
		}
	}
	invoices, payments, err = c.changedByQuery(ctx, since, until, out)
	return append(deletedInvoices, invoices...), append(deletedPayments, payments...), err
}

// isCDCEntity reports whether entity is one a pull asks for.
func isCDCEntity(entity string) bool {
	return entity == "Invoice" || entity == "Payment" || entity == "CreditMemo"
}

// maxQueryPages bounds the pages of one entity a pull by query reads before it stops and sets
// More: 5,000 objects.
const maxQueryPages = 5

// changedByQuery reads the invoices, payments and credit memos whose LastUpdatedTime is at or
// after since (and before until, when set), oldest first, a page of 1,000 at a time, and sets
// out's cursor and More. It costs a query per page of changes; deletions are not reported, as a
// query does not see them. An entity with more than maxQueryPages pages stops at the second of
// its last row, which the next pull reads again, unless that is since itself (so many changes
// in one second): then it reads on, so that a pull always moves forward.
func (c *Client) changedByQuery(ctx context.Context, since, until time.Time, out *platform.Changes) ([]wireInvoice, []wirePayment, error) {
	where := "MetaData.LastUpdatedTime >= '" + since.Format(time.RFC3339) + "'"
	if !until.IsZero() {
		where += " and MetaData.LastUpdatedTime < '" + until.Format(time.RFC3339) + "'"
	}
	cursor := until
	newest := since
	var invoices []wireInvoice
	var payments []wirePayment
	for _, entity := range []string{"Invoice", "Payment", "CreditMemo"} {
		for page := 0; ; page++ {
			out.Calls++
			rows, err := queryOrdered[json.RawMessage](ctx, c, entity, where, "MetaData.LastUpdatedTime", page*queryPageSize+1, queryPageSize)
			if err != nil {
				return nil, nil, err
			}
			last := since
			for _, raw := range rows {
				var w wireInvoice // the fields read here are common to the three entities
				if err := json.Unmarshal(raw, &w); err != nil {
					return nil, nil, unexpected(fmt.Errorf("decoding changed %s: %w", entity, err), false)
				}
				last = later(last, updatedAt(w.MetaData))
				switch entity {
				case "Invoice":
					invoices = append(invoices, w)
				case "Payment":
					var p wirePayment
					if err := json.Unmarshal(raw, &p); err != nil {
						return nil, nil, unexpected(fmt.Errorf("decoding changed payment: %w", err), false)
					}
					payments = append(payments, p)
				}
			}
			newest = later(newest, last)
			if len(rows) < queryPageSize {
				break
			}
			if stop := last.Truncate(time.Second); page+1 >= maxQueryPages && stop.After(since) {
				out.More = true
				if cursor.IsZero() || stop.Before(cursor) {
					cursor = stop
				}
				break
			}
		}
	}
	if cursor.IsZero() {
		// Everything since was read: the next pull starts at the newest change seen.
		cursor = newest.Truncate(time.Second)
	}
	out.Cursor = cursor.UTC().Format(time.RFC3339)
	return invoices, payments, nil
}

// mapChanges maps the changed invoices and payments into out, reading the payments that applied
// credit to the invoices and are not among the changes (one query per 30).
func (c *Client) mapChanges(ctx context.Context, invoices []wireInvoice, payments []wirePayment, out *platform.Changes) error {
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
	seen := map[string]bool{}
	for _, w := range invoices {
		for _, l := range w.LinkedTxn {
			if _, ok := known[l.TxnId]; !ok && l.TxnType == "Payment" && isID(l.TxnId) && !seen[l.TxnId] {
				seen[l.TxnId] = true
				missing = append(missing, l.TxnId)
			}
		}
	}
	if len(missing) > 0 {
		out.Calls += (len(missing) + lookupValues - 1) / lookupValues
		if err := byIDs(ctx, c, "Payment", missing, func(p wirePayment) { known[p.Id] = p }); err != nil {
			return err
		}
	}

	for _, w := range invoices {
		ch, err := c.invoiceChange(w, known, currencyOf)
		if err != nil {
			return err
		}
		out.Invoices = append(out.Invoices, ch)
	}
	for _, p := range payments {
		chs, err := paymentChanges(p, currencyOf)
		if err != nil {
			return err
		}
		out.Payments = append(out.Payments, chs...)
	}
	return nil
}

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
		parts, err := splitPayment(p, cur)
		if err != nil {
			return bad(err)
		}
		for _, part := range parts {
			if part.invoiceID == w.Id {
				ch.AmountCredited += part.credit
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
	parts, err := splitPayment(p, cur)
	if err != nil {
		return nil, unexpected(fmt.Errorf("payment %s: %w", p.Id, err), false)
	}
	var out []platform.PaymentChange
	for _, part := range parts {
		if part.cash > 0 {
			out = append(out, platform.PaymentChange{ID: p.Id, InvoiceID: part.invoiceID, Amount: part.cash, Currency: cur,
				Date: p.TxnDate, Reference: p.PaymentRefNum, UpdatedAt: at})
		}
	}
	return out, nil
}

// paymentPart is what a payment settles of one invoice: in money, and by credit memos applied.
type paymentPart struct {
	invoiceID    string
	cash, credit int64
}

// splitPayment divides a payment's invoice lines into money and credit: a payment that also
// applies credit memos (lines linking a CreditMemo) settles its invoices with that credit first,
// in the order of its lines, and with money for the rest.
func splitPayment(p wirePayment, cur string) ([]paymentPart, error) {
	var credit int64
	var parts []paymentPart
	for _, l := range p.Line {
		a, err := minor(l.Amount, cur)
		if err != nil {
			return nil, err
		}
		for _, lt := range l.LinkedTxn {
			switch lt.TxnType {
			case "CreditMemo":
				credit += a
			case "Invoice":
				// Two lines of one payment may pay the same invoice: one part per invoice, as
				// booksync keys a payment's parts by the invoice they pay.
				merged := false
				for i := range parts {
					if parts[i].invoiceID == lt.TxnId {
						parts[i].cash += a
						merged = true
					}
				}
				if !merged {
					parts = append(parts, paymentPart{invoiceID: lt.TxnId, cash: a})
				}
			}
		}
	}
	for i := range parts {
		c := min(credit, parts[i].cash)
		parts[i].credit, parts[i].cash = c, parts[i].cash-c
		credit -= c
	}
	return parts, nil
}
