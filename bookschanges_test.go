package booksync

import (
	"strings"
	"testing"
	"time"
)

func issuedInvoice(total int64) Receivable {
	n := "INV-7"
	return Receivable{ID: "r1", DocumentID: &n, Status: StatusIssued, Currency: "GBP", TotalAmount: total,
		TotalAmountWithCreditNotes: total, AmountDue: total, AmountToPay: total}
}

func TestPaymentMadeInBooks(t *testing.T) {
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	r, se := PaymentMadeInBooks(issuedInvoice(1000), "Xero", "pay-1", 400, "GBP", "2026-11-20", at)
	if se != nil || r.Status != StatusPartiallyPaid || r.AmountPaid != 400 || r.AmountDue != 600 {
		t.Fatalf("part payment: %+v %+v", r, se)
	}
	r, se = PaymentMadeInBooks(r, "Xero", "pay-2", 600, "GBP", "2026-11-21", at)
	if se != nil || r.Status != StatusPaid || r.AmountDue != 0 || r.PaidAt == nil {
		t.Fatalf("payment in full: %+v %+v", r, se)
	}
	for name, tc := range map[string]struct {
		r        Receivable
		amount   int64
		currency string
		want     string
	}{
		"canceled here": {func() Receivable { r := issuedInvoice(1000); r.Status = StatusCanceled; return r }(), 100, "GBP", "canceled"},
		"paid here":     {r, 100, "GBP", "paid in full"},
		"overpays":      {issuedInvoice(1000), 1001, "GBP", "1000 due"},
		"currency":      {issuedInvoice(1000), 100, "EUR", "in GBP"},
	} {
		got, se := PaymentMadeInBooks(tc.r, "Xero", "pay-9", tc.amount, tc.currency, "2026-11-22", at)
		if se == nil || se.Status != CodeBooksDisagree || !strings.Contains(se.Message, tc.want) || !strings.Contains(se.Message, "pay-9") ||
			se.Details[0].Fix == "" || got.AmountPaid != tc.r.AmountPaid || got.Status != tc.r.Status {
			t.Errorf("%s: %+v, invoice %+v", name, se, got)
		}
	}
}

func TestInvoiceVoidedInBooks(t *testing.T) {
	at := time.Now()
	r, changed, se := InvoiceVoidedInBooks(issuedInvoice(1000), "Xero", "VOIDED", at)
	if se != nil || !changed || r.Status != StatusCanceled {
		t.Fatalf("issued, unpaid: %+v %v %+v", r, changed, se)
	}
	if _, changed, se = InvoiceVoidedInBooks(r, "Xero", "VOIDED", at); changed || se != nil {
		t.Fatalf("canceled already: changed %v, %+v", changed, se)
	}
	paid := issuedInvoice(1000)
	paid.Status, paid.AmountPaid, paid.AmountDue = StatusPartiallyPaid, 300, 700
	got, changed, se := InvoiceVoidedInBooks(paid, "QuickBooks", "Voided", at)
	if se == nil || changed || se.Status != CodeBooksDisagree || got.Status != StatusPartiallyPaid ||
		!strings.Contains(se.Message, "QuickBooks has invoice INV-7 Voided") || !strings.Contains(se.Message, "300") {
		t.Fatalf("voided there, paid here: %+v %v %+v", got, changed, se)
	}
}

func TestCreditedInBooks(t *testing.T) {
	at := time.Now()
	inv := issuedInvoice(1000)
	if _, changed, se := CreditedInBooks(inv, "Xero", 0, at); changed || se != nil {
		t.Fatal("no credit changed the invoice")
	}
	// booksync's own credit note of 200, in the books too: nothing more to do.
	inv.TotalAmountWithCreditNotes, inv.AmountDue, inv.AmountToPay = 800, 800, 800
	if _, changed, se := CreditedInBooks(inv, "Xero", 200, at); changed || se != nil {
		t.Fatal("booksync's own credit note was counted twice")
	}
	// 300 more credited in the books: due falls to 500; reported again, nothing changes.
	r, changed, se := CreditedInBooks(inv, "Xero", 500, at)
	if se != nil || !changed || r.AmountDue != 500 || r.TotalAmountWithCreditNotes != 500 || r.Status != StatusIssued {
		t.Fatalf("credited in the books: %+v %v %+v", r, changed, se)
	}
	if _, changed, _ = CreditedInBooks(r, "Xero", 500, at); changed {
		t.Fatal("the same credit was applied twice")
	}
	// Credited to nothing: paid.
	if r, changed, se = CreditedInBooks(r, "Xero", 1000, at); se != nil || !changed || r.Status != StatusPaid || r.AmountDue != 0 {
		t.Fatalf("credited in full: %+v %v %+v", r, changed, se)
	}
	// More than is due here: a disagreement, nothing changed.
	part := issuedInvoice(1000)
	part.Status, part.AmountPaid, part.AmountDue = StatusPartiallyPaid, 900, 100
	if got, changed, se := CreditedInBooks(part, "Xero", 200, at); se == nil || changed || got.AmountDue != 100 || se.Status != CodeBooksDisagree {
		t.Fatalf("credit beyond what is due: %+v %v %+v", got, changed, se)
	}
}
