package booksync_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
)

// issuedInvoice returns an issued invoice of two lines, 100.00 + 20% VAT and 2 x 10.00 at 0%:
// 140.00 in total, all of it due.
func issuedInvoice(t *testing.T) booksync.Receivable {
	t.Helper()
	doc := "INV-00007"
	inv := booksync.Receivable{ID: "inv-1", EntityID: "ent-1", Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusIssued,
		DocumentID: &doc, Currency: "EUR", CounterpartID: "cp-1", CounterpartName: "Globex", VATMode: booksync.VATModeExclusive,
		RelatedDocuments: booksync.RelatedDocuments{CreditNoteIDs: []string{}},
		LineItems: []booksync.LineItem{
			{Quantity: booksync.Quantity{Decimal: decimal.NewFromInt(1)}, TaxRateValue: 2000,
				Product: booksync.LineProduct{ID: "p-1", Name: "Consulting", Price: booksync.Price{Currency: "EUR", Value: 10000}}},
			{Quantity: booksync.Quantity{Decimal: decimal.NewFromInt(2)}, TaxRateValue: 0,
				Product: booksync.LineProduct{ID: "p-2", Name: "Book", Price: booksync.Price{Currency: "EUR", Value: 1000}}},
		}}
	if err := inv.ComputeTotals("body", "line_items"); err != nil {
		t.Fatal(err)
	}
	if inv.TotalAmount != 14000 || inv.AmountDue != 14000 {
		t.Fatalf("the invoice totals %d with %d due, want 14000", inv.TotalAmount, inv.AmountDue)
	}
	return inv
}

func TestNewCreditNoteCopiesAnIssuedInvoice(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	inv := issuedInvoice(t)
	cn, err := booksync.NewCreditNote(inv, "cn-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if cn.Type != booksync.ReceivableTypeCreditNote || cn.Status != booksync.StatusDraft || cn.BasedOn == nil || *cn.BasedOn != inv.ID ||
		cn.BasedOnDocumentID == nil || *cn.BasedOnDocumentID != "INV-00007" || cn.DocumentID != nil ||
		cn.CounterpartID != inv.CounterpartID || cn.Currency != "EUR" || len(cn.LineItems) != 2 || cn.TotalAmount != 14000 {
		t.Fatalf("credit note = %+v", cn)
	}
	// Its lines are its own: editing them leaves the invoice's alone.
	cn.LineItems[0].Quantity = booksync.Quantity{Decimal: decimal.Zero}
	if !inv.LineItems[0].Quantity.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("editing the credit note's line changed the invoice's")
	}

	for _, c := range []struct {
		name, status, typ, msg string
	}{
		{"a draft", booksync.StatusDraft, booksync.ReceivableTypeInvoice, "is a draft"},
		{"a paid invoice", booksync.StatusPaid, booksync.ReceivableTypeInvoice, "is paid"},
		{"a canceled invoice", booksync.StatusCanceled, booksync.ReceivableTypeInvoice, "is canceled"},
		{"an uncollectible invoice", booksync.StatusUncollectible, booksync.ReceivableTypeInvoice, "is uncollectible"},
		{"a credit note", booksync.StatusIssued, booksync.ReceivableTypeCreditNote, "is a credit note"},
	} {
		r := inv
		r.Status, r.Type = c.status, c.typ
		if _, err := booksync.NewCreditNote(r, "cn-2", now); booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), c.msg) {
			t.Errorf("crediting %s = %v, want ECONFLICT saying %q", c.name, err, c.msg)
		}
	}
}

func TestApplyCreditNoteCreditsNoMoreThanIsDue(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	inv := issuedInvoice(t)
	// 40.00 paid: 100.00 due.
	inv, err := booksync.ApplyPayment(inv, 4000, at)
	if err != nil {
		t.Fatal(err)
	}
	cn, err := booksync.NewCreditNote(inv, "cn-1", at)
	if err != nil {
		t.Fatal(err)
	}

	// The whole invoice, 140.00, is more than the 100.00 due.
	got, err := booksync.ApplyCreditNote(inv, cn, at)
	if booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "totals 14000") ||
		!strings.Contains(booksync.ErrorMessage(err), "still has due, 10000") {
		t.Fatalf("crediting more than is due = %v, want ECONFLICT naming 14000 and 10000", err)
	}
	if got.AmountDue != inv.AmountDue || got.Status != inv.Status || len(got.RelatedDocuments.CreditNoteIDs) != 0 {
		t.Fatalf("a refused credit changed the invoice: %+v", got)
	}
	other := cn
	other.Currency = "USD"
	if _, err := booksync.ApplyCreditNote(inv, other, at); booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "USD") {
		t.Fatalf("a credit note in another currency = %v, want ECONFLICT", err)
	}
	empty := cn
	empty.TotalAmount = 0
	if _, err := booksync.ApplyCreditNote(inv, empty, at); booksync.ErrorCode(err) != booksync.EINVALID {
		t.Fatalf("a credit note of nothing = %v, want EINVALID", err)
	}

	// The first line only, 120.00, is still too much; the second, 20.00, fits.
	cn.LineItems = cn.LineItems[1:]
	if err := cn.ComputeTotals(); err != nil || cn.TotalAmount != 2000 {
		t.Fatalf("credit note of the second line totals %d (%v)", cn.TotalAmount, err)
	}
	got, err = booksync.ApplyCreditNote(inv, cn, at)
	if err != nil || got.Status != booksync.StatusPartiallyPaid || got.AmountDue != 8000 || got.AmountToPay != 8000 ||
		got.TotalAmountWithCreditNotes != 12000 || got.AmountPaid != 4000 || got.PaidAt != nil ||
		len(got.RelatedDocuments.CreditNoteIDs) != 1 || got.RelatedDocuments.CreditNoteIDs[0] != "cn-1" {
		t.Fatalf("after a credit of 2000: %+v, %v", got, err)
	}
	if len(inv.RelatedDocuments.CreditNoteIDs) != 0 {
		t.Fatalf("applying a credit note changed the invoice passed in")
	}

	// A second credit note for the rest pays the invoice off.
	rest := cn
	rest.ID, rest.TotalAmount = "cn-2", 8000
	got, err = booksync.ApplyCreditNote(got, rest, at)
	if err != nil || got.Status != booksync.StatusPaid || got.AmountDue != 0 || got.PaidAt == nil || !got.PaidAt.Equal(at) ||
		got.TotalAmountWithCreditNotes != 4000 || len(got.RelatedDocuments.CreditNoteIDs) != 2 {
		t.Fatalf("after crediting the rest: %+v, %v", got, err)
	}
	if _, err := booksync.ApplyCreditNote(got, rest, at); booksync.ErrorCode(err) != booksync.ECONFLICT {
		t.Fatalf("crediting a paid invoice = %v, want ECONFLICT", err)
	}
}

func TestCreditNotePrefix(t *testing.T) {
	t.Parallel()
	var none *booksync.Settings
	if p := none.CreditNotePrefix(); p != "CN" {
		t.Fatalf("default prefix %q", p)
	}
	var s booksync.Settings
	if err := json.Unmarshal([]byte(`{"document_ids": {"document_type_prefix": {"credit_note": "GS"}}}`), &s); err != nil {
		t.Fatal(err)
	}
	if p := s.CreditNotePrefix(); p != "GS" {
		t.Fatalf("prefix from the settings %q, want GS", p)
	}
}
