package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// What a user does in Xero after booksync pushed an invoice: pay it, void it, credit it, delete
// a payment, enter a bill. The organisation page offers these as buttons, and a partner's script
// calls the same routes with its bearer token and a JSON body (docs in doc.go):
//
//	POST /invoices/{InvoiceID}/payments      {"amount": "50.00", "date": "2026-11-20"}  201, the Payment
//	POST /invoices/{InvoiceID}/void                                                     200, the Invoice
//	POST /invoices/{InvoiceID}/credit_notes  {"amount": "10.00", "date": "2026-11-20"}  201, the CreditNote
//	POST /payments/{PaymentID}/delete                                                   200, the Payment
//	POST /orgs/{tenant}/bills                {"contact": "Acme", "amount": "120.00",
//	                                          "date": "2026-11-20", "due_date": "2026-12-20"}  201, the bill
//
// amount defaults to what is due (payments) and date to today. The same operations are methods
// of Sandbox for Go tests. Each follows Xero's rules and changes the objects' UpdatedDateUTC, so
// that a connector pulling changes sees them.

// ActionError is an action the organisation refuses, with the HTTP status a script gets.
type ActionError struct {
	Status  int
	Message string
}

func (e *ActionError) Error() string { return "xero sandbox: " + e.Message }

func refused(status int, format string, a ...any) error {
	return &ActionError{Status: status, Message: fmt.Sprintf(format, a...)}
}

// parseAmount reads a positive money amount with at most two decimals.
func parseAmount(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	switch {
	case err != nil:
		return d, refused(http.StatusBadRequest, "amount %q is not a number; send it as a string such as \"50.00\".", s)
	case !d.IsPositive():
		return d, refused(http.StatusBadRequest, "amount must be greater than zero.")
	case !d.Equal(d.Round(2)):
		return d, refused(http.StatusBadRequest, "amount %q has more than two decimals.", s)
	}
	return d, nil
}

// parseDay reads YYYY-MM-DD; "" is today by the sandbox's clock.
func (s *Sandbox) parseDay(field, v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		y, m, d := s.now().UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return t, refused(http.StatusBadRequest, "%s %q is not a date in the form YYYY-MM-DD.", field, v)
	}
	return t, nil
}

// locked runs do under the lock on the organisation of tenantID and saves what it changed.
func (s *Sandbox) locked(ctx context.Context, tenantID string, do func(o *org) error) error {
	s.srv.Lock()
	defer s.srv.Unlock()
	o := s.orgs[tenantID]
	if o == nil {
		return refused(http.StatusNotFound, "No organisation %q.", tenantID)
	}
	if err := do(o); err != nil {
		return err
	}
	return s.srv.Flush(ctx)
}

// PayInvoice records a payment of an invoice into the bank account 090, as a user reconciling
// the bank feed in Xero does: amount in major units ("" pays what is due), date YYYY-MM-DD
// ("" is today).
func (s *Sandbox) PayInvoice(ctx context.Context, tenantID, invoiceID, amount, date string) (Payment, error) {
	var out Payment
	err := s.locked(ctx, tenantID, func(o *org) error {
		inv := s.invoice(o, invoiceID)
		if inv == nil {
			return refused(http.StatusNotFound, "No invoice %q in this organisation.", invoiceID)
		}
		amt := inv.AmountDue.Decimal
		if amount != "" {
			var err error
			if amt, err = parseAmount(amount); err != nil {
				return err
			}
		}
		day, err := s.parseDay("date", date)
		if err != nil {
			return err
		}
		switch {
		case inv.Status != "AUTHORISED":
			return refused(http.StatusBadRequest, "Payments can only be made against Authorised documents (invoice %s is %s).", inv.InvoiceNumber, inv.Status)
		case !amt.IsPositive():
			return refused(http.StatusBadRequest, "Invoice %s has nothing due.", inv.InvoiceNumber)
		case amt.GreaterThan(inv.AmountDue.Decimal):
			return refused(http.StatusBadRequest, "Payment amount exceeds the amount outstanding on this document (%s due on %s).", inv.AmountDue.StringFixed(2), inv.InvoiceNumber)
		}
		acc := findAccount(o, "090", "")
		if acc == nil {
			return refused(http.StatusConflict, "The organisation has no bank account 090 to pay into.")
		}
		now := s.now()
		p := &Payment{PaymentID: uuid.NewString(), Status: "AUTHORISED", PaymentType: "ACCRECPAYMENT", CurrencyRate: sandbox.NewAmount("1"), HasAccount: true,
			Date: MSDate{day}, Amount: sandbox.AmountOf(amt), BankAmount: sandbox.AmountOf(amt), UpdatedDateUTC: MSDate{now},
			Account: AccountRef{AccountID: acc.AccountID, Code: acc.Code}, Invoice: invoiceRef(inv)}
		if inv.Type == "ACCPAY" {
			p.PaymentType = "ACCPAYPAYMENT"
		}
		out = *s.storePayment(o, inv, p, now)
		return nil
	})
	return out, err
}

// VoidInvoice voids an approved invoice, or deletes a draft one, with Xero's rules: one with
// payments or credit notes allocated is refused, as is one already voided or deleted.
func (s *Sandbox) VoidInvoice(ctx context.Context, tenantID, invoiceID string) (Invoice, error) {
	var out Invoice
	err := s.locked(ctx, tenantID, func(o *org) error {
		inv := s.invoice(o, invoiceID)
		if inv == nil {
			return refused(http.StatusNotFound, "No invoice %q in this organisation.", invoiceID)
		}
		switch {
		case inv.Status == "PAID" || !inv.AmountPaid.IsZero() || !inv.AmountCredited.IsZero():
			return refused(http.StatusBadRequest, "This document cannot be edited as it has a payment or credit note allocated to it.")
		case inv.Status == "DRAFT" || inv.Status == "SUBMITTED":
			inv.Status = "DELETED"
		case inv.Status == "AUTHORISED":
			inv.Status = "VOIDED"
		default:
			return refused(http.StatusBadRequest, "Invoice not of valid status for modification (it is %s).", inv.Status)
		}
		inv.AmountDue = sandbox.AmountOf(decimal.Zero)
		inv.UpdatedDateUTC = MSDate{s.now()}
		s.saveInvoice(o, inv)
		out = inv.clone()
		return nil
	})
	return out, err
}

// CreditInvoice creates an approved credit note (CN-nnnn) for the invoice's customer, with one
// line of amount (no tax) on the sales account 200, and allocates it to the invoice.
func (s *Sandbox) CreditInvoice(ctx context.Context, tenantID, invoiceID, amount, date string) (CreditNote, error) {
	var out CreditNote
	err := s.locked(ctx, tenantID, func(o *org) error {
		inv := s.invoice(o, invoiceID)
		if inv == nil {
			return refused(http.StatusNotFound, "No invoice %q in this organisation.", invoiceID)
		}
		amt, err := parseAmount(amount)
		if err != nil {
			return err
		}
		day, err := s.parseDay("date", date)
		if err != nil {
			return err
		}
		now := s.now()
		in := creditNoteIn{Type: "ACCRECCREDIT", Status: "AUTHORISED", LineAmountTypes: "NoTax",
			LineItems: []lineItem{{Description: "Credit for " + inv.InvoiceNumber, Quantity: num{d: one, set: true},
				UnitAmount: num{d: amt, set: true}, AccountCode: "200"}}}
		in.Contact = &struct {
			ContactID     string `json:"ContactID"`
			ContactNumber string `json:"ContactNumber"`
			Name          string `json:"Name"`
		}{ContactID: inv.Contact.ContactID}
		in.Date = dateIn{t: day, set: true}
		ref := "Credit for " + inv.InvoiceNumber
		in.Reference = &ref
		cn, errs := s.buildCreditNote(o, in, map[string]bool{}, 2, now)
		if len(errs) > 0 {
			return refused(http.StatusBadRequest, "%s", errs[0].Message)
		}
		if msg := allocationProblem(cn, inv, amt); msg != "" {
			return refused(http.StatusBadRequest, "%s", msg)
		}
		stored := s.storeCreditNote(o, cn)
		s.allocate(o, stored, inv, amt, day, now)
		out = sandbox.Clone(stored)
		return nil
	})
	return out, err
}

// DeletePayment deletes a payment as Xero does (its Status becomes DELETED) and its invoice owes
// the amount again.
func (s *Sandbox) DeletePayment(ctx context.Context, tenantID, paymentID string) (Payment, error) {
	var out Payment
	err := s.locked(ctx, tenantID, func(o *org) error {
		p := o.payments[strings.ToLower(paymentID)]
		if p == nil {
			return refused(http.StatusNotFound, "No payment %q in this organisation.", paymentID)
		}
		if msg := s.removePayment(o, p, s.now()); msg != "" {
			return refused(http.StatusBadRequest, "%s", msg)
		}
		out = sandbox.Clone(p)
		return nil
	})
	return out, err
}

// Bill is a purchase bill to enter: the supplier's name (a contact found by name, or created),
// its total in major units, and its dates (YYYY-MM-DD; "" is today, and the due date defaults to
// the date).
type Bill struct {
	Contact string `json:"contact"`
	Amount  string `json:"amount"`
	Date    string `json:"date"`
	DueDate string `json:"due_date"`
	Number  string `json:"number"`
}

// AddBill enters an approved bill (ACCPAY) of one line, without tax, on General Expenses (429).
func (s *Sandbox) AddBill(ctx context.Context, tenantID string, b Bill) (Invoice, error) {
	var out Invoice
	err := s.locked(ctx, tenantID, func(o *org) error {
		name := strings.TrimSpace(b.Contact)
		if name == "" {
			return refused(http.StatusBadRequest, "contact is required: the supplier's name.")
		}
		amt, err := parseAmount(b.Amount)
		if err != nil {
			return err
		}
		day, err := s.parseDay("date", b.Date)
		if err != nil {
			return err
		}
		due := day
		if b.DueDate != "" {
			if due, err = s.parseDay("due_date", b.DueDate); err != nil {
				return err
			}
		}
		if due.Before(day) {
			return refused(http.StatusBadRequest, "due_date must be on or after date.")
		}
		now := s.now()
		c := findContactBy(o, func(c *Contact) bool { return strings.EqualFold(strings.TrimSpace(c.Name), name) })
		if c == nil {
			c = &Contact{ContactID: uuid.NewString(), ContactStatus: "ACTIVE", Name: name, Addresses: []Address{}, Phones: []Phone{}, UpdatedDateUTC: MSDate{now}}
			o.seqs[c.ContactID] = s.nextSeq()
			o.contacts[c.ContactID] = c
		}
		c.IsSupplier = true
		s.saveContact(o, c)
		inv := &Invoice{Type: "ACCPAY", InvoiceID: uuid.NewString(), InvoiceNumber: strings.TrimSpace(b.Number),
			Contact: ContactRef{ContactID: c.ContactID, ContactNumber: c.ContactNumber, Name: c.Name},
			Date:    msPtr(day), DateString: dateString(day), DueDate: msPtr(due), DueDateString: dateString(due),
			Status: "AUTHORISED", LineAmountTypes: "NoTax", CurrencyCode: o.baseCurrency(), CurrencyRate: sandbox.NewAmount("1"),
			Payments: []PaymentRef{}, UpdatedDateUTC: MSDate{now}}
		acc := findAccount(o, "429", "")
		l := LineItem{LineItemID: uuid.NewString(), Description: "Bill from " + c.Name, Quantity: sandbox.NewAmount("1"),
			UnitAmount: sandbox.AmountOf(amt), LineAmount: sandbox.AmountOf(amt), TaxType: "NONE", TaxAmount: sandbox.NewAmount("0")}
		if acc != nil {
			l.AccountCode, l.AccountID = acc.Code, acc.AccountID
		}
		inv.LineItems = []LineItem{l}
		sumLines(inv)
		s.addInvoice(o, inv)
		out = inv.clone()
		return nil
	})
	return out, err
}

// AddInvoices puts n approved sales invoices of total each (major units, no tax) for the
// organisation's first customer ("Bulk customer", created if none) into the organisation at
// once, numbered BULK-000001..., for tests and benchmarks that need large books quickly.
func (s *Sandbox) AddInvoices(ctx context.Context, tenantID string, n int, total string) error {
	amt, err := parseAmount(total)
	if err != nil {
		return err
	}
	return s.locked(ctx, tenantID, func(o *org) error {
		now := s.now()
		var c *Contact
		for _, x := range sortedBySeq(o, o.contacts, func(v *Contact) string { return v.ContactID }) {
			if x.ContactStatus == "ACTIVE" {
				c = x
				break
			}
		}
		if c == nil {
			c = &Contact{ContactID: uuid.NewString(), ContactStatus: "ACTIVE", Name: "Bulk customer", Addresses: []Address{}, Phones: []Phone{}, UpdatedDateUTC: MSDate{now}}
			o.seqs[c.ContactID] = s.nextSeq()
			o.contacts[c.ContactID] = c
		}
		c.IsCustomer = true
		s.saveContact(o, c)
		acc := findAccount(o, "200", "")
		if acc == nil {
			return refused(http.StatusConflict, "The organisation has no sales account 200 for the invoices.")
		}
		y, m, d := now.UTC().Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		base := len(o.invoices)
		for i := range n {
			inv := &Invoice{Type: "ACCREC", InvoiceID: uuid.NewString(), InvoiceNumber: fmt.Sprintf("BULK-%06d", base+i+1),
				Contact: ContactRef{ContactID: c.ContactID, ContactNumber: c.ContactNumber, Name: c.Name},
				Date:    msPtr(day), DateString: dateString(day), DueDate: msPtr(day), DueDateString: dateString(day),
				Status: "AUTHORISED", LineAmountTypes: "NoTax", CurrencyCode: o.baseCurrency(), CurrencyRate: sandbox.NewAmount("1"),
				Payments: []PaymentRef{}, UpdatedDateUTC: MSDate{now},
				LineItems: []LineItem{{LineItemID: uuid.NewString(), Description: "Services", Quantity: sandbox.NewAmount("1"),
					UnitAmount: sandbox.AmountOf(amt), LineAmount: sandbox.AmountOf(amt), AccountCode: acc.Code, AccountID: acc.AccountID,
					TaxType: "NONE", TaxAmount: sandbox.NewAmount("0")}}}
			sumLines(inv)
			s.addInvoice(o, inv)
		}
		return nil
	})
}

// The routes of the actions, behind the gate.

// actionInput reads an action's fields: a JSON object of strings from a script, or a form from
// the organisation page. Unknown fields are refused, so that a misspelt one is not ignored.
func actionInput(w http.ResponseWriter, r *http.Request, fields ...string) (map[string]string, bool) {
	out := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var raw map[string]any
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			sandbox.WriteError(w, r, http.StatusBadRequest, "The body could not be read: "+err.Error()+"; nothing was changed.")
			return nil, false
		}
		if len(bytes.TrimSpace(body)) == 0 {
			// No body: an action without fields, such as a void.
			return out, true
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil || raw == nil {
			if err == nil {
				err = errors.New("null")
			}
			sandbox.WriteError(w, r, http.StatusBadRequest, "The body is not a JSON object: "+err.Error()+"; nothing was changed.")
			return nil, false
		}
		for k, v := range raw {
			if !containsFold(fields, k) {
				sandbox.WriteError(w, r, http.StatusBadRequest, fmt.Sprintf("Unknown field %q (this action takes %s); nothing was changed.", k, strings.Join(fields, ", ")))
				return nil, false
			}
			switch x := v.(type) {
			case string:
				out[k] = x
			case json.Number:
				out[k] = x.String()
			case nil:
			default:
				sandbox.WriteError(w, r, http.StatusBadRequest, fmt.Sprintf("Field %q must be a string; nothing was changed.", k))
				return nil, false
			}
		}
		return out, true
	}
	if !sandbox.ParseForm(w, r) {
		return nil, false
	}
	for k := range r.PostForm {
		if !containsFold(fields, k) {
			sandbox.WriteError(w, r, http.StatusBadRequest, fmt.Sprintf("Unknown field %q (this action takes %s); nothing was changed.", k, strings.Join(fields, ", ")))
			return nil, false
		}
		out[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	return out, true
}

// visibleOwner finds the organisation, among those the request's partner may see, that holds an
// object; "" when none does (another partner's looks exactly like a missing one).
func (s *Sandbox) visibleOwner(r *http.Request, has func(o *org) bool) string {
	s.srv.Lock()
	defer s.srv.Unlock()
	for id, o := range s.orgs {
		if sandbox.Visible(r, id) && has(o) {
			return id
		}
	}
	return ""
}

// answer reports an action's outcome: a browser goes back to the organisation page (or sees the
// problem), a script gets the object as JSON with status, or the problem.
func (s *Sandbox) answer(w http.ResponseWriter, r *http.Request, tenant string, status int, v any, err error) {
	if err != nil {
		var ae *ActionError
		if errors.As(err, &ae) {
			sandbox.WriteError(w, r, ae.Status, ae.Message)
			return
		}
		sandbox.WriteError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	if sandbox.WantsHTML(r) {
		s.backToOrg(w, r, tenant)
		return
	}
	writeJSON(w, status, v)
}

func (s *Sandbox) invoiceAction(w http.ResponseWriter, r *http.Request, fields []string,
	do func(tenant, id string, in map[string]string) (int, any, error)) {
	id := r.PathValue("invoice")
	tenant := s.visibleOwner(r, func(o *org) bool { return o.invoices[strings.ToLower(id)] != nil })
	if tenant == "" {
		sandbox.WriteError(w, r, http.StatusNotFound, "No invoice "+strconv.Quote(id)+" in the organisations your entities connected.")
		return
	}
	in, ok := actionInput(w, r, fields...)
	if !ok {
		return
	}
	status, v, err := do(tenant, id, in)
	s.answer(w, r, tenant, status, v, err)
}

func (s *Sandbox) handlePayInvoice(w http.ResponseWriter, r *http.Request) {
	s.invoiceAction(w, r, []string{"amount", "date"}, func(tenant, id string, in map[string]string) (int, any, error) {
		p, err := s.PayInvoice(r.Context(), tenant, id, in["amount"], in["date"])
		return http.StatusCreated, p, err
	})
}

func (s *Sandbox) handleVoidInvoice(w http.ResponseWriter, r *http.Request) {
	s.invoiceAction(w, r, nil, func(tenant, id string, _ map[string]string) (int, any, error) {
		inv, err := s.VoidInvoice(r.Context(), tenant, id)
		return http.StatusOK, inv, err
	})
}

func (s *Sandbox) handleCreditInvoice(w http.ResponseWriter, r *http.Request) {
	s.invoiceAction(w, r, []string{"amount", "date"}, func(tenant, id string, in map[string]string) (int, any, error) {
		if in["amount"] == "" {
			return 0, nil, refused(http.StatusBadRequest, "amount is required: how much to credit, such as \"10.00\".")
		}
		cn, err := s.CreditInvoice(r.Context(), tenant, id, in["amount"], in["date"])
		return http.StatusCreated, cn, err
	})
}

func (s *Sandbox) handleDeletePayment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("payment")
	tenant := s.visibleOwner(r, func(o *org) bool { return o.payments[strings.ToLower(id)] != nil })
	if tenant == "" {
		sandbox.WriteError(w, r, http.StatusNotFound, "No payment "+strconv.Quote(id)+" in the organisations your entities connected.")
		return
	}
	if _, ok := actionInput(w, r); !ok {
		return
	}
	p, err := s.DeletePayment(r.Context(), tenant, id)
	s.answer(w, r, tenant, http.StatusOK, p, err)
}

func (s *Sandbox) handleAddBill(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if s.visibleOwner(r, func(o *org) bool { return o.meta.TenantID == tenant }) == "" {
		sandbox.WriteError(w, r, http.StatusNotFound, "No organisation "+strconv.Quote(tenant)+" among those your entities connected.")
		return
	}
	in, ok := actionInput(w, r, "contact", "amount", "date", "due_date", "number")
	if !ok {
		return
	}
	bill, err := s.AddBill(r.Context(), tenant, Bill{Contact: in["contact"], Amount: in["amount"], Date: in["date"], DueDate: in["due_date"], Number: in["number"]})
	s.answer(w, r, tenant, http.StatusCreated, bill, err)
}
