package xero

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// paymentIn is a Payment as a request sends it.
type paymentIn struct {
	Invoice *struct {
		InvoiceID     string `json:"InvoiceID"`
		InvoiceNumber string `json:"InvoiceNumber"`
	} `json:"Invoice"`
	Account *struct {
		AccountID string `json:"AccountID"`
		Code      string `json:"Code"`
	} `json:"Account"`
	Date         dateIn `json:"Date"`
	Amount       num    `json:"Amount"`
	Reference    string `json:"Reference"`
	IsReconciled bool   `json:"IsReconciled"`
	Status       string `json:"Status"`
}

// writePayments serves PUT /Payments (a Payments array) and POST /Payments
// (a single Payment, or an array).
func (s *Sandbox) writePayments(o *org, w http.ResponseWriter, r *http.Request, id string) {
	if id != "" {
		s.deletePaymentAPI(o, w, r, id)
		return
	}
	ins, err := decodeList[paymentIn](r, "Payments", r.Method == http.MethodPost)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	now := s.now()
	staged := map[*Invoice]decimal.Decimal{} // amounts earlier elements already claim
	var elems []element
	for _, in := range ins {
		var errs []ValidationError
		add := func(f string, a ...any) { errs = append(errs, ValidationError{Message: fmt.Sprintf(f, a...)}) }
		p := &Payment{Status: "AUTHORISED", PaymentType: "ACCRECPAYMENT", CurrencyRate: sandbox.NewAmount("1"), HasAccount: true, Reference: in.Reference, IsReconciled: in.IsReconciled}
		var inv *Invoice
		switch {
		case in.Invoice == nil || (in.Invoice.InvoiceID == "" && in.Invoice.InvoiceNumber == ""):
			add("An Invoice must be specified for a payment.")
		case in.Invoice.InvoiceID != "":
			inv = s.invoice(o, in.Invoice.InvoiceID)
		default:
			inv = s.findInvoice(o, in.Invoice.InvoiceNumber)
		}
		if in.Invoice != nil && inv == nil && len(errs) == 0 {
			add("Invoice could not be found.")
		}
		if inv != nil {
			// A payment into the base-currency bank account of a foreign-currency invoice is
			// converted at the invoice's rate.
			p.CurrencyRate = inv.CurrencyRate
		}
		var acc *Account
		if in.Account == nil || (in.Account.AccountID == "" && in.Account.Code == "") {
			add("An Account must be specified for a payment.")
		} else if acc = findAccount(o, in.Account.Code, in.Account.AccountID); acc == nil || acc.Status != "ACTIVE" {
			add("Account code '%s' is not a valid code for this document.", cmpOr(in.Account.Code, in.Account.AccountID))
			acc = nil
		} else if acc.Type != "BANK" && !acc.EnablePaymentsToAccount {
			add("Account type is invalid for making a payment.")
		}
		amount := decimal.Zero
		switch {
		case in.Amount.bad:
			add("Amount '%s' is not a valid number.", in.Amount.raw)
		case !in.Amount.set || !in.Amount.d.IsPositive():
			add("Payment amount must be greater than zero.")
		default:
			amount = round2(in.Amount.d)
		}
		if in.Status != "" && !strings.EqualFold(in.Status, "AUTHORISED") {
			add("Payment Status '%s' is not valid for a new payment.", in.Status)
		}
		if in.Date.bad {
			add("Date '%s' is not a valid date.", in.Date.raw)
		}
		date := in.Date.t
		if !in.Date.set || in.Date.bad {
			y, m, d := now.UTC().Date()
			date = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		if inv != nil {
			if inv.Status != "AUTHORISED" {
				add("Payments can only be made against Authorised documents.")
			} else if amount.GreaterThan(inv.AmountDue.Sub(staged[inv])) {
				add("Payment amount exceeds the amount outstanding on this document.")
			}
			p.Invoice = invoiceRef(inv)
			if inv.Type == "ACCPAY" {
				p.PaymentType = "ACCPAYPAYMENT"
			}
		}
		if acc != nil {
			p.Account = AccountRef{AccountID: acc.AccountID, Code: acc.Code}
		}
		p.Date, p.Amount, p.BankAmount, p.UpdatedDateUTC = MSDate{date}, sandbox.AmountOf(amount), sandbox.AmountOf(amount), MSDate{now}
		if len(errs) > 0 {
			p.PaymentID, p.HasValidationErrors, p.StatusAttributeString, p.ValidationErrors = zeroID, true, "ERROR", errs
			elems = append(elems, element{out: p, errs: errs})
			continue
		}
		staged[inv] = staged[inv].Add(amount)
		p.PaymentID = uuid.NewString()
		elems = append(elems, element{out: p, commit: func() {
			s.storePayment(o, inv, p, now)
			p.StatusAttributeString = "OK"
		}})
	}
	s.finishBatch(w, r, "Payments", elems)
}

func (s *Sandbox) getPayments(o *org, w http.ResponseWriter, r *http.Request, id string) {
	if id != "" {
		p := o.payments[strings.ToLower(id)]
		if p == nil {
			notFound(w)
			return
		}
		s.writeList(w, "Payments", []*Payment{p}, nil)
		return
	}
	conds, err := parseWhere(r.URL.Query().Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	since, hasSince := ifModifiedSince(r)
	out := []*Payment{}
	list := sortedBySeq(o, o.payments, func(p *Payment) string { return p.PaymentID })
	// Oldest change first, so that a client paging with If-Modified-Since misses nothing.
	slices.SortStableFunc(list, func(a, b *Payment) int { return a.UpdatedDateUTC.Compare(b.UpdatedDateUTC.Time) })
	for _, p := range list {
		if hasSince && p.UpdatedDateUTC.Before(since) {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Status":
				return p.Status, true
			case "PaymentType":
				return p.PaymentType, true
			case "Reference":
				return p.Reference, true
			case "Invoice.InvoiceID":
				return p.Invoice.InvoiceID, true
			case "Invoice.InvoiceNumber":
				return p.Invoice.InvoiceNumber, true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, p)
		}
	}
	page, pagination, err := paginate(r, out)
	if err != nil {
		queryParseError(w, err)
		return
	}
	s.writeList(w, "Payments", page, pagination)
}

// invoiceRef is the summary of inv that payments and allocations embed.
func invoiceRef(inv *Invoice) InvoiceRef {
	return InvoiceRef{Type: inv.Type, InvoiceID: inv.InvoiceID, InvoiceNumber: inv.InvoiceNumber, Contact: inv.Contact, CurrencyCode: inv.CurrencyCode}
}

// storePayment keeps a validated payment p of inv and applies it to the invoice: its amounts,
// its status (PAID once nothing is due) and its UpdatedDateUTC; callers hold the lock.
func (s *Sandbox) storePayment(o *org, inv *Invoice, p *Payment, now time.Time) *Payment {
	stored := sandbox.Clone(p)
	stored.StatusAttributeString = ""
	o.seqs[stored.PaymentID] = s.nextSeq()
	o.payments[stored.PaymentID] = &stored
	s.savePayment(o, &stored)
	amount := stored.Amount.Decimal
	inv.AmountPaid = sandbox.AmountOf(inv.AmountPaid.Add(amount))
	inv.AmountDue = sandbox.AmountOf(inv.AmountDue.Sub(amount))
	inv.Payments = append(inv.Payments, PaymentRef{PaymentID: stored.PaymentID, Date: stored.Date, Amount: stored.Amount, Reference: stored.Reference, CurrencyRate: stored.CurrencyRate, HasAccount: true})
	if !inv.AmountDue.IsPositive() {
		inv.Status = "PAID"
		inv.FullyPaidOnDate = &MSDate{stored.Date.Time}
	}
	inv.UpdatedDateUTC = MSDate{now}
	s.saveInvoice(o, inv)
	return &stored
}

// removePayment deletes a payment as Xero does: the payment stays, with Status DELETED, and its
// invoice owes the amount again. It returns Xero's message when the payment cannot be deleted;
// callers hold the lock.
func (s *Sandbox) removePayment(o *org, p *Payment, now time.Time) string {
	if p.Status == "DELETED" {
		return "This payment has already been deleted."
	}
	inv := s.invoice(o, p.Invoice.InvoiceID)
	if inv != nil && (inv.Status == "VOIDED" || inv.Status == "DELETED") {
		return "Payments cannot be deleted from a voided or deleted document."
	}
	p.Status, p.UpdatedDateUTC = "DELETED", MSDate{now}
	s.savePayment(o, p)
	if inv != nil {
		amount := p.Amount.Decimal
		inv.AmountPaid = sandbox.AmountOf(inv.AmountPaid.Sub(amount))
		inv.AmountDue = sandbox.AmountOf(inv.AmountDue.Add(amount))
		inv.Payments = slices.DeleteFunc(inv.Payments, func(r PaymentRef) bool { return r.PaymentID == p.PaymentID })
		if inv.Status == "PAID" && inv.AmountDue.IsPositive() {
			inv.Status, inv.FullyPaidOnDate = "AUTHORISED", nil
		}
		inv.UpdatedDateUTC = MSDate{now}
		s.saveInvoice(o, inv)
	}
	return ""
}

// deletePaymentAPI serves POST /Payments/{PaymentID} with {"Status":"DELETED"} (the spec's
// PaymentDelete; the form wrapped in a Payments array is read too).
func (s *Sandbox) deletePaymentAPI(o *org, w http.ResponseWriter, r *http.Request, id string) {
	ins, err := decodeList[paymentIn](r, "Payments", true)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	p := o.payments[strings.ToLower(id)]
	if p == nil {
		notFound(w)
		return
	}
	if len(ins) != 1 || !strings.EqualFold(ins[0].Status, "DELETED") {
		apiError(w, http.StatusBadRequest, 10, "ValidationException", "A validation exception occurred",
			[]any{map[string]any{"ValidationErrors": []ValidationError{{Message: "Payments can only be deleted: send {\"Status\":\"DELETED\"}."}}}})
		return
	}
	if msg := s.removePayment(o, p, s.now()); msg != "" {
		out := sandbox.Clone(p)
		out.StatusAttributeString, out.ValidationErrors = "ERROR", []ValidationError{{Message: msg}}
		validationException(w, []any{out})
		return
	}
	s.writeList(w, "Payments", []*Payment{p}, nil)
}
