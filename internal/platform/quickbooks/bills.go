package quickbooks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// billPageSize is how many bills Bills reads a page.
const billPageSize = 100

// Bills reads a page (100) of the company's bills (select * from Bill), newest first, those
// changed after q.ModifiedSince when it is set and only q.Numbers when given.
func (c *Client) Bills(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error) {
	page := max(q.Page, 1)
	var conds []string
	if !q.ModifiedSince.IsZero() {
		conds = append(conds, "MetaData.LastUpdatedTime > '"+q.ModifiedSince.UTC().Format(time.RFC3339)+"'")
	}
	if len(q.Numbers) > 0 {
		var quoted []string
		for _, n := range q.Numbers {
			if v, ok := quote(n); ok {
				quoted = append(quoted, v)
			}
		}
		if len(quoted) == 0 {
			return []booksync.RemoteBill{}, nil
		}
		conds = append(conds, "DocNumber in ("+strings.Join(quoted, ",")+")")
	}
	rows, err := queryOrdered[wireBill](ctx, c, "Bill", strings.Join(conds, " and "), "TxnDate desc, Id desc",
		(page-1)*billPageSize+1, billPageSize)
	if err != nil {
		return nil, err
	}
	out := make([]booksync.RemoteBill, 0, len(rows))
	for _, w := range rows {
		b, err := c.remoteBill(ctx, w)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Bill reads one bill by QuickBooks' Id; an id that is not digits names no bill.
func (c *Client) Bill(ctx context.Context, id string) (booksync.RemoteBill, error) {
	if !isID(id) {
		return booksync.RemoteBill{}, &platform.Error{Class: platform.NeedsUserAction, Status: http.StatusNotFound, Code: "not_found",
			Message: fmt.Sprintf("Not found in QuickBooks: %q is not a QuickBooks bill id, which is digits", id)}
	}
	var env struct {
		Bill *wireBill `json:"Bill"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/bill/" + url.PathEscape(id)}, "", &env); err != nil {
		return booksync.RemoteBill{}, err
	}
	if env.Bill == nil {
		return booksync.RemoteBill{}, classifyResponse(response{status: http.StatusNotFound}, false, "")
	}
	return c.remoteBill(ctx, *env.Bill)
}

// remoteBill maps a QuickBooks bill; its state follows its Balance, as QuickBooks bills have no
// status: paid when nothing is due, partially_paid when some is, open otherwise (a bill of 0 is
// paid), void when voided (zero amounts and a "Voided" memo).
func (c *Client) remoteBill(ctx context.Context, w wireBill) (booksync.RemoteBill, error) {
	cur := refValue(w.CurrencyRef)
	if cur == "" {
		p, err := c.preferences(ctx, false)
		if err != nil {
			return booksync.RemoteBill{}, err
		}
		if p.CurrencyPrefs != nil {
			cur = refValue(p.CurrencyPrefs.HomeCurrency)
		}
	}
	b := booksync.RemoteBill{RemoteInvoice: booksync.RemoteInvoice{ID: w.Id, Number: w.DocNumber, ContactID: refValue(w.VendorRef),
		Currency: cur, Date: w.TxnDate, DueDate: w.DueDate, Reference: w.PrivateNote, UpdatedAt: updatedAt(w.MetaData)}, Memo: w.PrivateNote}
	if w.VendorRef != nil {
		b.ContactName = w.VendorRef.Name
	}
	bad := func(err error) (booksync.RemoteBill, error) {
		return booksync.RemoteBill{}, unexpected(fmt.Errorf("bill %s: %w", w.Id, err), false)
	}
	var err error
	if b.Totals.Total, err = minor(w.TotalAmt, cur); err != nil {
		return bad(err)
	}
	if w.TxnTaxDetail != nil {
		if b.Totals.Tax, err = minor(w.TxnTaxDetail.TotalTax, cur); err != nil {
			return bad(err)
		}
	}
	b.Totals.Subtotal = b.Totals.Total - b.Totals.Tax
	if b.AmountDue, err = minor(w.Balance, cur); err != nil {
		return bad(err)
	}
	b.AmountPaid = b.Totals.Total - b.AmountDue
	switch {
	case b.Totals.Total == 0 && strings.HasPrefix(w.PrivateNote, "Voided"):
		b.State, b.Status = booksync.BillVoid, "Voided"
	case b.AmountDue == 0:
		b.State, b.Status = booksync.BillPaid, "Paid"
	case b.AmountDue < b.Totals.Total:
		b.State, b.Status = booksync.BillPartiallyPaid, "Partially paid"
	default:
		b.State, b.Status = booksync.BillOpen, "Open"
	}
	for _, l := range w.Line {
		rl := booksync.RemoteLine{Description: l.Description}
		if d := l.AccountBasedExpenseLineDetail; d != nil {
			rl.AccountID = refValue(d.AccountRef)
			rl.TaxCode = refValue(d.TaxCodeRef)
		}
		if rl.LineAmount, err = minor(l.Amount, cur); err != nil {
			return bad(err)
		}
		b.Lines = append(b.Lines, rl)
	}
	return b, nil
}
