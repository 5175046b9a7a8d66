package quickbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// What a user of a company does in QuickBooks itself, offered as buttons on the company page and
// to a partner's scripts with its bearer token (see the routes in pages). Every action goes
// through the same code as the API, so amounts, balances, SyncTokens and LastUpdatedTime change
// exactly as an API call would change them.
//
//	POST /companies/{realm}/invoices/{id}/payments      {"amount": "50.00", "date": "2026-11-20"}
//	                                                    (amount defaults to the balance, date to
//	                                                    today) -> 201 the Payment
//	POST /companies/{realm}/invoices/{id}/void          -> 200 the Invoice, voided
//	POST /companies/{realm}/invoices/{id}/credit_memos  {"amount": "10.00", "date": ...} -> 201 the
//	                                                    CreditMemo, applied to the invoice by a
//	                                                    Payment of TotalAmt 0
//	POST /companies/{realm}/payments/{id}/delete        -> 200 {"Id": ..., "status": "Deleted"}
//	POST /companies/{realm}/bills                       {"vendor": "Acme", "amount": "120.00",
//	                                                    "date": ..., "due_date": ...} -> 201 the Bill
//
// Bodies are JSON or, from the page, a form with the same fields. A browser is sent back to the
// company page (303); a script gets the object as JSON. A company the partner's entities did not
// connect, or an unknown invoice or payment, is 404; a malformed body or value 400; what the
// company refuses (paying more than the balance, voiding a paid invoice) 422; nothing changes.

// actionError is an action's refusal: its HTTP status and message.
type actionError struct {
	status  int
	message string
}

func (e *actionError) Error() string { return e.message }

func notFound(what string) *actionError { return &actionError{http.StatusNotFound, what} }
func badInput(what string) *actionError { return &actionError{http.StatusBadRequest, what} }

// refused turns a fault of the company's rules into a 422 with QuickBooks' own words.
func refused(f *qbFault) *actionError {
	msg := f.Error[0].Message
	if d := f.Error[0].Detail; d != "" {
		msg = strings.TrimPrefix(d, "Business Validation Error: ")
	}
	return &actionError{http.StatusUnprocessableEntity, msg}
}

// actionFields reads an action's body: a JSON object of strings, or a form. Only the fields in
// allowed are accepted.
func actionFields(w http.ResponseWriter, r *http.Request, allowed ...string) (map[string]string, *actionError) {
	out := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var raw map[string]any
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return nil, badInput("The body must be one JSON object, e.g. {\"amount\": \"50.00\", \"date\": \"2026-11-20\"}.")
		}
		for k, v := range raw {
			s, ok := v.(string)
			if !ok {
				return nil, badInput("The field " + strconv.Quote(k) + " must be a string, e.g. \"50.00\".")
			}
			out[k] = strings.TrimSpace(s)
		}
	} else {
		if !sandbox.ParseForm(w, r) {
			return nil, nil // answered
		}
		for k := range r.PostForm {
			out[k] = strings.TrimSpace(r.PostForm.Get(k))
		}
	}
	for k := range out {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return nil, badInput("Unknown field " + strconv.Quote(k) + "; the fields are " + strings.Join(allowed, ", ") + ".")
		}
	}
	return out, nil
}

// parseAmount reads a positive amount of at most two decimals; "" gives def (nil: required).
func parseAmount(s string, def *decimal.Decimal) (decimal.Decimal, *actionError) {
	if s == "" {
		if def == nil {
			return decimal.Zero, badInput("amount is required, e.g. \"50.00\".")
		}
		return *def, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil || !d.IsPositive() || d.Exponent() < -2 {
		return decimal.Zero, badInput("amount must be a positive amount with at most two decimals, e.g. \"50.00\" (got " + strconv.Quote(s) + ").")
	}
	return d, nil
}

// parseDate checks a YYYY-MM-DD date; "" stays "" (the company's today).
func parseDate(field, s string) *actionError {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(dateLayout, s); err != nil {
		return badInput(field + " must be a date as YYYY-MM-DD (got " + strconv.Quote(s) + ").")
	}
	return nil
}

// act runs an action on a visible company under the lock and saves its change; do returns the
// object to answer with, or a refusal, and must leave the company unchanged when it refuses.
func (s *Sandbox) act(w http.ResponseWriter, r *http.Request, created bool, allowed []string,
	do func(c *company, f map[string]string) (any, *actionError)) {
	realm := r.PathValue("realm")
	s.srv.Lock()
	known := s.companies[realm] != nil
	s.srv.Unlock()
	if !known || !sandbox.Visible(r, realm) {
		sandbox.WriteError(w, r, http.StatusNotFound, "No company "+strconv.Quote(realm)+" among those your entities connected.")
		return
	}
	fields, aerr := actionFields(w, r, allowed...)
	if fields == nil && aerr == nil {
		return
	}
	var v any
	var err error
	if aerr == nil {
		s.srv.Lock()
		v, aerr = do(s.companies[realm], fields)
		err = s.srv.Flush(r.Context())
		s.srv.Unlock()
	}
	switch {
	case aerr != nil:
		sandbox.WriteError(w, r, aerr.status, aerr.message+" Nothing was changed.")
	case err != nil:
		sandbox.WriteError(w, r, http.StatusInternalServerError, "The sandbox could not save the change; try again.")
	case sandbox.WantsHTML(r):
		http.Redirect(w, r, s.opts.BaseURL+"/companies/"+url.PathEscape(realm), http.StatusSeeOther)
	default:
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, v)
	}
}

// handleMulticurrency turns on multicurrency, as Settings > Account and settings > Advanced does
// in QuickBooks; it cannot be turned off. It answers with the company's currency preferences.
func (s *Sandbox) handleMulticurrency(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, false, []string{}, func(c *company, _ map[string]string) (any, *actionError) {
		s.enableMulticurrency(c)
		return c.meta.Prefs.CurrencyPrefs, nil
	})
}

// enableMulticurrency turns on multicurrency; callers hold the lock.
func (s *Sandbox) enableMulticurrency(c *company) {
	if c.meta.Prefs.CurrencyPrefs.MultiCurrencyEnabled {
		return
	}
	c.meta.Prefs.CurrencyPrefs.MultiCurrencyEnabled = true
	c.meta.Prefs.SyncToken = nextToken(c.meta.Prefs.SyncToken)
	s.saveMeta(c)
}

func (s *Sandbox) handlePayInvoice(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, true, []string{"amount", "date"}, func(c *company, f map[string]string) (any, *actionError) {
		inv := s.invoice(c, r.PathValue("id"))
		if inv == nil {
			return nil, notFound("No invoice " + strconv.Quote(r.PathValue("id")) + " in this company.")
		}
		amount, aerr := parseAmount(f["amount"], &inv.Balance.Decimal)
		if aerr == nil {
			aerr = parseDate("date", f["date"])
		}
		if aerr != nil {
			return nil, aerr
		}
		return s.payInvoice(c, inv, amount, f["date"])
	})
}

// payInvoice records a payment of amount against an invoice, into Undeposited Funds.
func (s *Sandbox) payInvoice(c *company, inv *Invoice, amount decimal.Decimal, date string) (*Payment, *actionError) {
	if !amount.IsPositive() {
		return nil, &actionError{http.StatusUnprocessableEntity, "Invoice " + inv.DocNumber + " has nothing left to pay."}
	}
	body := map[string]any{"CustomerRef": Ref{Value: inv.CustomerRef.Value}, "TotalAmt": sandbox.AmountOf(amount), "TxnDate": date,
		"Line": []any{map[string]any{"Amount": sandbox.AmountOf(amount), "LinkedTxn": []LinkedTxn{{TxnID: inv.ID, TxnType: "Invoice"}}}}}
	v, f := s.writePayment(c, "create", "", "", rawOf(body))
	if f != nil {
		return nil, refused(f)
	}
	return v.(*Payment), nil
}

func (s *Sandbox) handleVoidInvoice(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, false, nil, func(c *company, _ map[string]string) (any, *actionError) {
		inv := s.invoice(c, r.PathValue("id"))
		if inv == nil {
			return nil, notFound("No invoice " + strconv.Quote(r.PathValue("id")) + " in this company.")
		}
		v, f := s.voidInvoice(c, inv)
		if f != nil {
			return nil, refused(f)
		}
		return v, nil
	})
}

func (s *Sandbox) handleCreditInvoice(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, true, []string{"amount", "date"}, func(c *company, f map[string]string) (any, *actionError) {
		inv := s.invoice(c, r.PathValue("id"))
		if inv == nil {
			return nil, notFound("No invoice " + strconv.Quote(r.PathValue("id")) + " in this company.")
		}
		amount, aerr := parseAmount(f["amount"], nil)
		if aerr == nil {
			aerr = parseDate("date", f["date"])
		}
		if aerr != nil {
			return nil, aerr
		}
		return s.creditInvoice(c, inv, amount, f["date"])
	})
}

// creditInvoice creates a credit memo of amount, without tax, for the invoice's customer and
// applies it to the invoice with a Payment of TotalAmt 0, as QuickBooks' own screen does.
func (s *Sandbox) creditInvoice(c *company, inv *Invoice, amount decimal.Decimal, date string) (*CreditMemo, *actionError) {
	if amount.GreaterThan(inv.Balance.Decimal) {
		return nil, &actionError{http.StatusUnprocessableEntity, fmt.Sprintf("A credit of %s exceeds the balance %s of invoice %s.",
			amount.StringFixed(2), inv.Balance.StringFixed(2), inv.DocNumber)}
	}
	line := map[string]any{"Amount": sandbox.AmountOf(amount), "DetailType": "SalesItemLineDetail",
		"Description": "Credit for invoice " + inv.DocNumber, "SalesItemLineDetail": map[string]any{}}
	memo := map[string]any{"CustomerRef": Ref{Value: inv.CustomerRef.Value}, "TxnDate": date, "Line": []any{line}}
	if c.us() {
		line["SalesItemLineDetail"] = map[string]any{"TaxCodeRef": Ref{Value: "NON"}}
	} else {
		memo["GlobalTaxCalculation"] = "NotApplicable"
	}
	v, f := s.writeCreditMemo(c, "create", rawOf(memo))
	if f != nil {
		return nil, refused(f)
	}
	cm := v.(*CreditMemo)
	pay := map[string]any{"CustomerRef": Ref{Value: inv.CustomerRef.Value}, "TotalAmt": sandbox.NewAmount("0"), "TxnDate": date,
		"Line": []any{
			map[string]any{"Amount": sandbox.AmountOf(amount), "LinkedTxn": []LinkedTxn{{TxnID: inv.ID, TxnType: "Invoice"}}},
			map[string]any{"Amount": sandbox.AmountOf(amount), "LinkedTxn": []LinkedTxn{{TxnID: cm.ID, TxnType: "CreditMemo"}}},
		}}
	if _, f := s.writePayment(c, "create", "", "", rawOf(pay)); f != nil {
		// Cannot happen after the balance check above; undo the credit memo all the same.
		delete(c.creditMemos, cm.ID)
		s.saveObj(c, "creditmemo", cm.ID, nil)
		return nil, refused(f)
	}
	return cm, nil
}

func (s *Sandbox) handleDeletePayment(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, false, nil, func(c *company, _ map[string]string) (any, *actionError) {
		p := c.payments[r.PathValue("id")]
		if p == nil {
			return nil, notFound("No payment " + strconv.Quote(r.PathValue("id")) + " in this company.")
		}
		v, f := s.writePayment(c, "delete", p.ID, p.SyncToken, nil)
		if f != nil {
			return nil, refused(f)
		}
		return v, nil
	})
}

func (s *Sandbox) handleAddBill(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, true, []string{"vendor", "amount", "date", "due_date", "number"}, func(c *company, f map[string]string) (any, *actionError) {
		if f["vendor"] == "" {
			return nil, badInput("vendor is required: the vendor's name, e.g. \"Acme\".")
		}
		amount, aerr := parseAmount(f["amount"], nil)
		if aerr == nil {
			aerr = parseDate("date", f["date"])
		}
		if aerr == nil {
			aerr = parseDate("due_date", f["due_date"])
		}
		if aerr != nil {
			return nil, aerr
		}
		return s.addBill(c, f["vendor"], f["number"], amount, f["date"], f["due_date"])
	})
}

// addBill records a vendor's bill of one Office Expenses line, creating the vendor when the
// company has none of that name.
func (s *Sandbox) addBill(c *company, vendor, number string, amount decimal.Decimal, date, due string) (*Bill, *actionError) {
	var v *Vendor
	for _, x := range c.vendors {
		if sameName(x.DisplayName, vendor) {
			v = x
		}
	}
	if v == nil {
		var f *qbFault
		if v, f = s.addVendor(c, vendor); f != nil {
			return nil, refused(f)
		}
	}
	body := map[string]any{"VendorRef": Ref{Value: v.ID}, "DocNumber": number, "TxnDate": date, "DueDate": due,
		"Line": []any{map[string]any{"Amount": sandbox.AmountOf(amount), "DetailType": "AccountBasedExpenseLineDetail"}}}
	b, f := s.writeBill(c, "create", rawOf(body))
	if f != nil {
		return nil, refused(f)
	}
	return b.(*Bill), nil
}

// rawOf turns an action's object into the raw fields writeEntity's writers take.
func rawOf(v any) map[string]json.RawMessage {
	b, _ := json.Marshal(v)
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(b, &raw)
	return raw
}

// AddInvoices puts n invoices of amount (major units, e.g. "100.00"), without tax, in a company
// at once, for a new customer, as a quick way for benchmarks and tests to fill its books. It
// returns their Ids.
func (s *Sandbox) AddInvoices(ctx context.Context, realmID string, n int, amount string) ([]string, error) {
	amt, err := decimal.NewFromString(amount)
	if err != nil || !amt.IsPositive() {
		return nil, fmt.Errorf("quickbooks sandbox: amount %q is not a positive amount", amount)
	}
	s.srv.Lock()
	defer s.srv.Unlock()
	c := s.companies[realmID]
	if c == nil {
		return nil, fmt.Errorf("quickbooks sandbox: no company %q", realmID)
	}
	now := s.now()
	cu := &Customer{ID: c.newID("Customer"), SyncToken: "0", MetaData: newMeta(now), Active: true,
		CurrencyRef: Ref{Value: c.homeCurrency(), Name: currencyName(c.homeCurrency())}}
	cu.DisplayName = "Bulk customer " + cu.ID
	cu.FullyQualifiedName = cu.DisplayName
	c.customers[cu.ID] = cu
	item := c.defaultItem()
	a := sandbox.AmountOf(amt)
	ids := make([]string, n)
	for i := range ids {
		inv := &Invoice{ID: c.newID("Invoice"), SyncToken: "0", MetaData: newMeta(now), TxnDate: now.Format(dateLayout),
			DueDate: now.AddDate(0, 0, 30).Format(dateLayout), CurrencyRef: cu.CurrencyRef, ExchangeRate: sandbox.NewAmount("1"),
			LinkedTxn: []LinkedTxn{}, CustomerRef: Ref{Value: cu.ID, Name: cu.DisplayName}, GlobalTaxCalculation: "NotApplicable",
			PrintStatus: "NotSet", EmailStatus: "NotSet", TotalAmt: a, HomeTotalAmt: a, Balance: a}
		if c.us() {
			inv.GlobalTaxCalculation = ""
		}
		inv.DocNumber = "B" + inv.ID
		d := &SalesItemLineDetail{Qty: amtPtr(decimal.NewFromInt(1)), UnitPrice: amtPtr(amt), ItemAccountRef: item.IncomeAccountRef,
			ItemRef: &Ref{Value: item.ID, Name: item.Name}}
		inv.Line = []Line{{ID: "1", LineNum: 1, Amount: a, DetailType: "SalesItemLineDetail", SalesItemLineDetail: d},
			{Amount: a, DetailType: "SubTotalLineDetail", SubTotalLineDetail: &struct{}{}}}
		s.saveInvoice(c, inv)
		ids[i] = inv.ID
	}
	s.saveMeta(c)
	s.saveObj(c, "customer", cu.ID, cu)
	s.recomputeBalance(c, cu.ID)
	return ids, s.srv.Flush(ctx)
}

// PayInvoice records a payment of amount (major units, e.g. "50.00") against an invoice, as the
// company page's Pay button does, and returns it.
func (s *Sandbox) PayInvoice(ctx context.Context, realmID, invoiceID, amount string) (Payment, error) {
	amt, aerr := parseAmount(amount, nil)
	if aerr != nil {
		return Payment{}, aerr
	}
	s.srv.Lock()
	defer s.srv.Unlock()
	c := s.companies[realmID]
	var inv *Invoice
	if c != nil {
		inv = s.invoice(c, invoiceID)
	}
	if inv == nil {
		return Payment{}, fmt.Errorf("quickbooks sandbox: no invoice %q in company %q", invoiceID, realmID)
	}
	p, aerr := s.payInvoice(c, inv, amt, "")
	if aerr != nil {
		return Payment{}, aerr
	}
	return sandbox.Clone(p), s.srv.Flush(ctx)
}

// DeletePayment deletes a payment, as the company page's Delete button does.
func (s *Sandbox) DeletePayment(ctx context.Context, realmID, paymentID string) error {
	s.srv.Lock()
	defer s.srv.Unlock()
	c := s.companies[realmID]
	if c == nil || c.payments[paymentID] == nil {
		return fmt.Errorf("quickbooks sandbox: no payment %q in company %q", paymentID, realmID)
	}
	p := c.payments[paymentID]
	if _, f := s.writePayment(c, "delete", p.ID, p.SyncToken, nil); f != nil {
		return refused(f)
	}
	return s.srv.Flush(ctx)
}
