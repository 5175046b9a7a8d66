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

	"github.com/booksync/booksync/internal/platform"
)

// maxPullPages is how many pages (of 100) of new changes Changes reads of each kind of object per
// call before it answers with More, so that one call stays short and its changes are applied early.
const maxPullPages = 5

// changeCursor is the opaque Cursor of Changes: where the pull of each kind of object stands.
type changeCursor struct {
	Invoices mark `json:"invoices"`
	Payments mark `json:"payments"`
	Credits  mark `json:"credit_notes"`
}

// mark is the latest UpdatedDateUTC reported of one kind of object, with the ids of those
// reported that changed at exactly that instant: the next pull asks Xero for changes since At,
// which includes At itself, and skips those ids, so that nothing changed at the same
// millisecond is lost and nothing is reported twice.
type mark struct {
	At  time.Time `json:"at"`
	IDs []string  `json:"ids,omitempty"`
}

// Changes reports the sales invoices, sales credit notes and customer payments changed in Xero
// since q.Cursor (from q.Since on the first pull), with If-Modified-Since on GET /Invoices,
// /Payments and /CreditNotes in order of UpdatedDateUTC: with nothing changed a pull costs three
// calls, whatever the size of the books, and one more per 100 changes of a kind. After five pages
// of one kind it stops and sets More. A credit note is reported as an InvoiceChange of its own
// id: its AmountCredited is what it applies to invoices and its AmountDue the credit left.
// Deleted payments come back with Deleted set.
func (c *Client) Changes(ctx context.Context, q platform.ChangeQuery) (platform.Changes, error) {
	var cur changeCursor
	if q.Cursor != "" {
		if err := json.Unmarshal([]byte(q.Cursor), &cur); err != nil {
			return platform.Changes{}, &platform.Error{Class: platform.Misconfigured, Code: "cursor_invalid",
				Message: "The stored position of the last pull from Xero cannot be read: " + err.Error()}
		}
	} else {
		since := q.Since.UTC().Truncate(time.Millisecond)
		cur = changeCursor{Invoices: mark{At: since}, Payments: mark{At: since}, Credits: mark{At: since}}
	}
	var out platform.Changes
	var more bool
	var calls int
	var err error

	cur.Invoices, more, calls, err = pull(ctx, c, "/Invoices", "Invoices", `Type=="ACCREC"`, cur.Invoices,
		func(w *wireInvoice) (string, string) { return w.InvoiceID, w.UpdatedDateUTC },
		func(w wireInvoice) error {
			ch, err := invoiceChange(w)
			out.Invoices = append(out.Invoices, ch)
			return err
		})
	out.Calls += calls
	out.More = out.More || more
	if err != nil {
		// Nothing of a failed pull is reported: the next one starts again from q.Cursor.
		return platform.Changes{Calls: out.Calls}, err
	}
	cur.Payments, more, calls, err = pull(ctx, c, "/Payments", "Payments", `PaymentType=="ACCRECPAYMENT"`, cur.Payments,
		func(w *wirePayment) (string, string) { return w.PaymentID, w.UpdatedDateUTC },
		func(w wirePayment) error {
			ch, err := paymentChange(w)
			out.Payments = append(out.Payments, ch)
			return err
		})
	out.Calls += calls
	out.More = out.More || more
	if err != nil {
		// Nothing of a failed pull is reported: the next one starts again from q.Cursor.
		return platform.Changes{Calls: out.Calls}, err
	}
	cur.Credits, more, calls, err = pull(ctx, c, "/CreditNotes", "CreditNotes", `Type=="ACCRECCREDIT"`, cur.Credits,
		func(w *wireCreditNote) (string, string) { return w.CreditNoteID, w.UpdatedDateUTC },
		func(w wireCreditNote) error {
			ch, err := creditNoteChange(w)
			out.Invoices = append(out.Invoices, ch)
			return err
		})
	out.Calls += calls
	out.More = out.More || more
	if err != nil {
		// Nothing of a failed pull is reported: the next one starts again from q.Cursor.
		return platform.Changes{Calls: out.Calls}, err
	}
	raw, _ := json.Marshal(cur)
	out.Cursor = string(raw)
	return out, nil
}

// pull reads one kind of object changed since m, page by page in order of UpdatedDateUTC, and
// emits each change once; it returns the new mark, whether it stopped at the page limit, and its
// calls. Whenever the mark moves on, it asks again from the new mark (page 1), so that objects
// changing while it pages cannot shift unseen ones into a page already read.
func pull[W any](ctx context.Context, c *Client, path, key, where string, m mark,
	ident func(*W) (id, updated string), emit func(W) error) (mark, bool, int, error) {
	seen := map[string]bool{}
	for _, id := range m.IDs {
		seen[strings.ToLower(id)] = true
	}
	page, calls, counted := 1, 0, 0
	for counted < maxPullPages {
		q := url.Values{"where": {where}, "page": {strconv.Itoa(page)}, "order": {"UpdatedDateUTC ASC"}, "unitdp": {"4"}}
		var h http.Header
		if !m.At.IsZero() {
			h = http.Header{"If-Modified-Since": {m.At.UTC().Format("2006-01-02T15:04:05.000Z07:00")}}
		}
		var env map[string]json.RawMessage
		calls++
		if err := c.get(ctx, path, q, h, &env); err != nil {
			return m, false, calls, err
		}
		var list []W
		if raw, ok := env[key]; ok {
			if err := json.Unmarshal(raw, &list); err != nil {
				return m, false, calls, unexpected(fmt.Errorf("decoding %s: %w", path, err), false)
			}
		}
		advanced, fresh := false, false
		for i := range list {
			id, updated := ident(&list[i])
			t, err := parseTime(updated)
			if err != nil {
				return m, false, calls, unexpected(err, false)
			}
			if t.Equal(m.At) && seen[strings.ToLower(id)] {
				continue
			}
			if err := emit(list[i]); err != nil {
				return m, false, calls, unexpected(err, false)
			}
			fresh = true
			if t.After(m.At) {
				m = mark{At: t}
				seen = map[string]bool{}
				advanced = true
			}
			if t.Equal(m.At) {
				m.IDs = append(m.IDs, id)
				seen[strings.ToLower(id)] = true
			}
		}
		if len(list) < pageSize {
			return m, false, calls, nil
		}
		if fresh {
			// Pages holding only changes reported before do not count towards the limit, so
			// that a pull always gets past a run of changes made at one instant.
			counted++
		}
		if advanced {
			page = 1
		} else {
			// A full page of changes all at the mark's instant: read on past them.
			page++
		}
	}
	return m, true, calls, nil
}

// invoiceState maps a Xero document status to the engine's.
func invoiceState(status string) string {
	switch status {
	case "DRAFT", "SUBMITTED":
		return platform.InvoiceDraft
	case "AUTHORISED":
		return platform.InvoiceOpen
	case "PAID":
		return platform.InvoicePaid
	case "VOIDED", "DELETED":
		return platform.InvoiceVoided
	}
	return platform.InvoiceUnknown
}

// invoiceChange maps a sales invoice; amounts become minor units of its currency.
func invoiceChange(w wireInvoice) (platform.InvoiceChange, error) {
	ch := platform.InvoiceChange{ID: w.InvoiceID, Number: w.InvoiceNumber, State: invoiceState(w.Status), Status: w.Status, Currency: w.CurrencyCode}
	var err error
	if ch.UpdatedAt, err = parseTime(w.UpdatedDateUTC); err != nil {
		return ch, err
	}
	for _, f := range []struct {
		n   json.Number
		out *int64
	}{{w.Total, &ch.Total}, {w.AmountPaid, &ch.AmountPaid}, {w.AmountCredited, &ch.AmountCredited}, {w.AmountDue, &ch.AmountDue}} {
		if *f.out, err = minor(f.n, w.CurrencyCode); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// creditNoteChange maps a sales credit note: what it applied is its AmountCredited, the credit
// left its AmountDue.
func creditNoteChange(w wireCreditNote) (platform.InvoiceChange, error) {
	ch := platform.InvoiceChange{ID: w.CreditNoteID, Number: w.CreditNoteNumber, State: invoiceState(w.Status), Status: w.Status, Currency: w.CurrencyCode}
	var err error
	if ch.UpdatedAt, err = parseTime(w.UpdatedDateUTC); err != nil {
		return ch, err
	}
	if ch.Total, err = minor(w.Total, w.CurrencyCode); err != nil {
		return ch, err
	}
	if ch.AmountDue, err = minor(w.RemainingCredit, w.CurrencyCode); err != nil {
		return ch, err
	}
	if ch.State == platform.InvoiceOpen || ch.State == platform.InvoicePaid {
		ch.AmountCredited = ch.Total - ch.AmountDue
	}
	return ch, nil
}

// paymentChange maps a payment of a sales invoice, in the invoice's currency.
func paymentChange(w wirePayment) (platform.PaymentChange, error) {
	ch := platform.PaymentChange{ID: w.PaymentID, Reference: w.Reference, Deleted: w.Status == "DELETED", Currency: w.CurrencyCode}
	if w.Invoice != nil {
		ch.InvoiceID = w.Invoice.InvoiceID
		if w.Invoice.CurrencyCode != "" {
			ch.Currency = w.Invoice.CurrencyCode
		}
	}
	var err error
	if ch.UpdatedAt, err = parseTime(w.UpdatedDateUTC); err != nil {
		return ch, err
	}
	if ch.Date, err = parseDate("", w.Date); err != nil {
		return ch, err
	}
	ch.Amount, err = minor(w.Amount, ch.Currency)
	return ch, err
}
