package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
)

// accountingPayable is Monite's AccountingPayable: a purchase bill as the books hold it, amounts
// in major units (decimal numbers), as Monite's pass-through reads have them.
type accountingPayable struct {
	ID            string           `json:"id"`
	InvoiceNumber string           `json:"invoice_number,omitempty"`
	Status        string           `json:"status"`
	Currency      string           `json:"currency,omitempty"`
	VendorRef     *vendorRef       `json:"vendor_ref,omitempty"`
	DueDate       string           `json:"due_date,omitempty"`
	PostedDate    string           `json:"posted_date,omitempty"`
	Memo          string           `json:"memo,omitempty"`
	Subtotal      json.Number      `json:"subtotal"`
	TaxAmount     json.Number      `json:"tax_amount"`
	TotalAmount   json.Number      `json:"total_amount"`
	AmountDue     json.Number      `json:"amount_due"`
	Lines         []accountingLine `json:"lines"`
}

type vendorRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func toAccountingPayable(b booksync.RemoteBill) accountingPayable {
	out := accountingPayable{ID: b.ID, InvoiceNumber: b.Number, Status: b.State, Currency: b.Currency,
		DueDate: b.DueDate, PostedDate: b.Date, Memo: b.Memo,
		Subtotal:    json.Number(money.FormatMinor(b.Totals.Subtotal, b.Currency)),
		TaxAmount:   json.Number(money.FormatMinor(b.Totals.Tax, b.Currency)),
		TotalAmount: json.Number(money.FormatMinor(b.Totals.Total, b.Currency)),
		AmountDue:   json.Number(money.FormatMinor(b.AmountDue, b.Currency))}
	if out.Status == "" {
		out.Status = booksync.BillUnknown
	}
	if out.Memo == "" {
		out.Memo = b.Reference
	}
	if b.ContactID != "" {
		out.VendorRef = &vendorRef{ID: b.ContactID, Name: b.ContactName}
	}
	out.Lines = accountingLines(b.Lines)
	return out
}

func (s *Server) listAccountingPayables(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, offset, err := readThroughPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	bills, err := acct.RemoteBills(r.Context(), entityOf(r).ID, limit, offset)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]accountingPayable, len(bills))
	for i, b := range bills {
		out[i] = toAccountingPayable(b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) getAccountingPayable(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("payable_id")
	if id == "" || len(id) > 100 {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"path", "payable_id"}, "payable_id must be the bill's id in the accounting system."))
		return
	}
	b, err := acct.RemoteBill(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAccountingPayable(b))
}

// readThroughPage reads the limit (1 to 500, default 100) and offset of a read-through list.
func readThroughPage(r *http.Request) (limit, offset int, err error) {
	limit = 100
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return 0, 0, booksync.FieldErrorf("less_than_equal", []any{"query", "limit"}, "limit must be an integer from 1 to 500.")
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, booksync.FieldErrorf("greater_than_equal", []any{"query", "offset"}, "offset must be an integer of 0 or more.")
		}
	}
	return limit, offset, nil
}
