package xero

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// Bills reads a page (100) of purchase bills (ACCPAY invoices), newest first; q.ModifiedSince,
// when set, keeps those changed since.
func (c *Client) Bills(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error) {
	page := max(q.Page, 1)
	v := url.Values{"where": {`Type=="ACCPAY"`}, "page": {strconv.Itoa(page)}, "unitdp": {"4"}, "order": {"Date DESC"}}
	if len(q.Numbers) > 0 {
		v.Set("InvoiceNumbers", strings.Join(q.Numbers, ","))
	}
	var h http.Header
	if !q.ModifiedSince.IsZero() {
		h = http.Header{"If-Modified-Since": {q.ModifiedSince.UTC().Format("2006-01-02T15:04:05Z")}}
	}
	var env struct {
		Invoices []wireInvoice `json:"Invoices"`
	}
	if err := c.get(ctx, "/Invoices", v, h, &env); err != nil {
		return nil, err
	}
	out := make([]booksync.RemoteBill, 0, len(env.Invoices))
	for _, w := range env.Invoices {
		if w.Type != "ACCPAY" {
			continue
		}
		b, err := remoteBill(w)
		if err != nil {
			return nil, unexpected(err, false)
		}
		out = append(out, b)
	}
	return out, nil
}

// Bill reads one purchase bill by its InvoiceID; a sales invoice's id is not found.
func (c *Client) Bill(ctx context.Context, id string) (booksync.RemoteBill, error) {
	notFound := &platform.Error{Class: platform.NeedsUserAction, Status: http.StatusNotFound, Code: "not_found",
		Message: "Bill not found in Xero: " + strconv.Quote(id) + " names no bill (ACCPAY invoice) of this organisation"}
	if !isUUID(id) {
		return booksync.RemoteBill{}, notFound
	}
	var env struct {
		Invoices []wireInvoice `json:"Invoices"`
	}
	if err := c.get(ctx, "/Invoices/"+url.PathEscape(id), url.Values{"unitdp": {"4"}}, nil, &env); err != nil {
		return booksync.RemoteBill{}, err
	}
	if len(env.Invoices) == 0 || env.Invoices[0].Type != "ACCPAY" {
		return booksync.RemoteBill{}, notFound
	}
	b, err := remoteBill(env.Invoices[0])
	if err != nil {
		return booksync.RemoteBill{}, unexpected(err, false)
	}
	return b, nil
}

// remoteBill maps Xero's ACCPAY invoice; its State is in Monite's words.
func remoteBill(w wireInvoice) (booksync.RemoteBill, error) {
	ri, err := remoteInvoice(w)
	if err != nil {
		return booksync.RemoteBill{}, err
	}
	return booksync.RemoteBill{RemoteInvoice: ri, State: billState(w.Status, ri.AmountPaid), Memo: w.Reference}, nil
}

// billState maps Xero's status of a bill to Monite's payable states.
func billState(status string, paid int64) string {
	switch status {
	case "DRAFT", "SUBMITTED":
		return booksync.BillDraft
	case "AUTHORISED":
		if paid > 0 {
			return booksync.BillPartiallyPaid
		}
		return booksync.BillOpen
	case "PAID":
		return booksync.BillPaid
	case "VOIDED", "DELETED":
		return booksync.BillVoid
	}
	return booksync.BillUnknown
}
