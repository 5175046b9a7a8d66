package api

import (
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
)

// accounting returns the sync engine, or a 503 error when this server runs without one.
func (s *Server) accountingOrError() (Accounting, error) {
	if s.accounting == nil {
		return nil, booksync.Errorf(booksync.EINTERNAL, "accounting is not configured in this process")
	}
	return s.accounting, nil
}

type connectionInput struct {
	Platform *string `json:"platform"`
}

func (s *Server) postConnection(w http.ResponseWriter, r *http.Request) {
	var in connectionInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	acct, err := s.accountingOrError()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	platformName := booksync.PlatformXero
	if in.Platform != nil {
		platformName = *in.Platform
	}
	if platformName == booksync.PlatformQuickBooks {
		platformName = booksync.PlatformQuickBooksOnline // Monite accepts both names for one platform
	}
	c, err := acct.Connect(r.Context(), entityOf(r).ID, platformName)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) {
	cs, err := s.store.Connections(r.Context(), entityOf(r).ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": cs})
}

func (s *Server) connectionID(r *http.Request) (string, error) {
	return pathID(r, "connection_id", "Accounting connection")
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) {
	id, err := s.connectionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.Connection(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) disconnect(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err == nil {
		var id string
		if id, err = s.connectionID(r); err == nil {
			var c *booksync.Connection
			if c, err = acct.Disconnect(r.Context(), entityOf(r).ID, id); err == nil {
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) syncConnection(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err == nil {
		var id string
		if id, err = s.connectionID(r); err == nil {
			if err = acct.SyncNow(r.Context(), entityOf(r).ID, id); err == nil {
				writeJSON(w, http.StatusAccepted, map[string]string{"message": "Started connection data sync."})
				return
			}
		}
	}
	s.writeError(w, r, err)
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>booksync</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>`))

// oauthCallback completes a connection when the accounting system sends the user back.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := struct{ Title, Message string }{"Connected", "Your books are connected to booksync. You can close this window."}
	status := http.StatusOK
	acct, err := s.accountingOrError()
	if err == nil {
		var c *booksync.Connection
		c, err = acct.CompleteAuth(r.Context(), q)
		if err == nil && c.BusinessInfo != nil && c.BusinessInfo.Name != nil {
			page.Message = "booksync is now connected to " + *c.BusinessInfo.Name + ". You can close this window."
		}
	}
	if err != nil {
		cause := err
		err = appError(err)
		status = booksync.HTTPStatus(booksync.ErrorCode(err))
		page.Title, page.Message = "Not connected", booksync.ErrorMessage(err)
		if booksync.ErrorCode(err) == booksync.EINTERNAL {
			s.logger().Error("oauth callback", "err", cause)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = callbackPage.Execute(w, page)
}

func (s *Server) listSyncedRecords(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.SyncedRecordList, 250)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hasType := false
	for _, f := range q.Filters {
		hasType = hasType || f.Field == "object_type"
	}
	if !hasType {
		s.writeError(w, r, booksync.FieldErrorf("missing", []any{"query", "object_type"},
			"Field required: object_type (%s).", orWords(s.validator.QueryEnum(operationOf(r), "object_type"))))
		return
	}
	page, err := s.store.SyncedRecords(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) getSyncedRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "synced_record_id", "Synced record")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.store.SyncedRecord(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) pushSyncedRecord(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err == nil {
		var id string
		if id, err = pathID(r, "synced_record_id", "Synced record"); err == nil {
			var rec *booksync.SyncedRecord
			if rec, err = acct.PushRecord(r.Context(), entityOf(r).ID, id); err == nil {
				writeJSON(w, http.StatusOK, rec)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) listTaxRates(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.AccountingTaxRateList, 250)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.AccountingTaxRates(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) getTaxRate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "tax_rate_id", "Accounting tax rate")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.store.AccountingTaxRate(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) listLedgerAccounts(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.LedgerAccountList, 250)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.LedgerAccounts(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) getLedgerAccount(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "ledger_account_id", "Ledger account")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.LedgerAccount(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// accountingReceivable is Monite's AccountingReceivable: an invoice as the books hold it, amounts
// in major units (decimal numbers), as Monite's pass-through reads have them.
type accountingReceivable struct {
	ID            string           `json:"id"`
	InvoiceNumber string           `json:"invoice_number,omitempty"`
	Currency      string           `json:"currency,omitempty"`
	CustomerRef   *customerRef     `json:"customer_ref,omitempty"`
	DueDate       string           `json:"due_date,omitempty"`
	PostedDate    string           `json:"posted_date,omitempty"`
	Memo          string           `json:"memo,omitempty"`
	Lines         []accountingLine `json:"lines"`
	PassThrough   map[string]any   `json:"pass_through"`
}

type customerRef struct {
	ID          string `json:"id"`
	CompanyName string `json:"company_name,omitempty"`
}

type accountingLine struct {
	Description string      `json:"description,omitempty"`
	Quantity    json.Number `json:"quantity"`
	UnitAmount  json.Number `json:"unit_amount"`
	TaxRateRef  *accountRef `json:"tax_rate_ref,omitempty"`
	LedgerRef   string      `json:"ledger_account_id,omitempty"`
}

type accountRef struct {
	ID string `json:"id"`
}

func toAccountingReceivable(inv booksync.RemoteInvoice) accountingReceivable {
	out := accountingReceivable{ID: inv.ID, InvoiceNumber: inv.Number, Currency: inv.Currency, PostedDate: inv.Date,
		DueDate: inv.DueDate, Memo: inv.Reference,
		PassThrough: map[string]any{
			"status": inv.Status, "line_amount_types": map[bool]string{true: "Inclusive", false: "Exclusive"}[inv.Inclusive],
			"subtotal":    json.Number(money.FormatMinor(inv.Totals.Subtotal, inv.Currency)),
			"total_tax":   json.Number(money.FormatMinor(inv.Totals.Tax, inv.Currency)),
			"total":       json.Number(money.FormatMinor(inv.Totals.Total, inv.Currency)),
			"amount_due":  json.Number(money.FormatMinor(inv.AmountDue, inv.Currency)),
			"amount_paid": json.Number(money.FormatMinor(inv.AmountPaid, inv.Currency)),
		}}
	if inv.ContactID != "" {
		out.CustomerRef = &customerRef{ID: inv.ContactID, CompanyName: inv.ContactName}
	}
	out.Lines = accountingLines(inv.Lines)
	return out
}

// accountingLines are Monite's AccountingLineItem of lines read from the books.
func accountingLines(lines []booksync.RemoteLine) []accountingLine {
	out := []accountingLine{}
	for _, l := range lines {
		al := accountingLine{Description: l.Description, Quantity: json.Number(l.Quantity.String()), UnitAmount: json.Number(l.UnitAmount.String()), LedgerRef: l.LedgerAccountID}
		if l.TaxRateID != "" {
			al.TaxRateRef = &accountRef{ID: l.TaxRateID}
		}
		out = append(out, al)
	}
	return out
}

func (s *Server) listAccountingReceivables(w http.ResponseWriter, r *http.Request) {
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
	invs, err := acct.RemoteInvoices(r.Context(), entityOf(r).ID, limit, offset)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]accountingReceivable, len(invs))
	for i, inv := range invs {
		out[i] = toAccountingReceivable(inv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) getAccountingReceivable(w http.ResponseWriter, r *http.Request) {
	acct, err := s.accountingOrError()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("invoice_id")
	if id == "" || len(id) > 100 {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"path", "invoice_id"}, "invoice_id must be the invoice's id in the accounting system."))
		return
	}
	inv, err := acct.RemoteInvoice(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAccountingReceivable(inv))
}
