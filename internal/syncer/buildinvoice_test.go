package syncer

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/shopspring/decimal"
)

// TestBuildInvoiceMapsHeaderLinesAndDeduction builds the platform's invoice from one invoice in
// both VAT modes: its header, its lines as internal/money computed them (a quantity rounded up to
// the decimals the system keeps, the rest of the line amount a discount; the product's own code),
// and the deduction as a negative line; the expected totals are booksync's.
func TestBuildInvoiceMapsHeaderLinesAndDeduction(t *testing.T) {
	t.Parallel()
	rules := &platform.Provider{QuantityDecimals: 2, ItemCodeMax: 8}
	header := platform.Invoice{Ref: "rcv-1", Number: "INV-7", ContactID: "C-1", Date: "2026-03-05", DueDate: "2026-04-03",
		Currency: "EUR", Reference: "PO-9", MarkIssued: true}
	for _, tc := range []struct {
		mode     string
		lines    []string
		expected platform.Totals
	}{
		{booksync.VATModeExclusive, []string{
			"Widget - blue|SKU-1|1.01|1000|105|4000|acc-1|VAT19|905|172",
			"Fee||3|250|0||acc-2|VAT19|750|143",
			"Deduction: deposit||1|-1190|0|4000|acc-3|VAT19|-1190|-226",
		}, platform.Totals{Subtotal: 465, Tax: 89, Total: 554}},
		{booksync.VATModeInclusive, []string{
			"Widget - blue|SKU-1|1.01|1000|105|4000|acc-1|VAT19|905|144",
			"Fee||3|250|0||acc-2|VAT19|750|120",
			"Deduction: deposit||1|-1190|0|4000|acc-3|VAT19|-1190|-190",
		}, platform.Totals{Subtotal: 391, Tax: 74, Total: 465}},
	} {
		inv, plan := sampleInvoice(tc.mode)
		pi, err := buildInvoice(inv, plan, "C-1", rules)
		if err != nil {
			t.Fatal(err)
		}
		want := header
		want.Inclusive = tc.mode == booksync.VATModeInclusive
		want.Expected = tc.expected
		checkInvoice(t, tc.mode, pi, want, tc.lines)
	}
}

// TestBuildInvoiceWithoutOptionalFields builds an invoice with no number, due date, purchase order
// or deduction, for a system that keeps any quantity and takes short item codes: the memo is the
// reference, the quantity is booksync's, and the code derives from the product's id.
func TestBuildInvoiceWithoutOptionalFields(t *testing.T) {
	t.Parallel()
	inv, plan := sampleInvoice(booksync.VATModeExclusive)
	memo, empty := "hello", ""
	inv.DocumentID, inv.DueDate, inv.PurchaseOrder, inv.Memo, inv.DeductionAmount = nil, nil, nil, &memo, nil
	inv.LineItems[0].Product.Description = &empty
	plan.Deduction = nil
	pi, err := buildInvoice(inv, plan, "C-2", &platform.Provider{ItemCodeMax: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := platform.Invoice{Ref: "rcv-1", ContactID: "C-2", Date: "2026-03-05", Currency: "EUR", Reference: "hello",
		MarkIssued: true, Expected: platform.Totals{Subtotal: 1655, Tax: 315, Total: 1970}}
	checkInvoice(t, "without optional fields", pi, want, []string{
		"Widget|0F8F|1.005|1000|100|4000|acc-1|VAT19|905|172",
		"Fee||3|250|0||acc-2|VAT19|750|143",
	})
}

// checkInvoice compares an invoice's header and totals with want's, and its lines with lines
// (Description|ItemCode|Quantity|UnitAmount|DiscountAmount|AccountCode|AccountID|TaxCode|LineAmount|TaxAmount).
func checkInvoice(t *testing.T, name string, got, want platform.Invoice, lines []string) {
	t.Helper()
	var gotLines []string
	for _, l := range got.Lines {
		gotLines = append(gotLines, fmt.Sprintf("%s|%s|%s|%d|%d|%s|%s|%s|%d|%d", l.Description, l.ItemCode, l.Quantity,
			l.UnitAmount, l.DiscountAmount, l.AccountCode, l.AccountID, l.TaxCode, l.LineAmount, l.TaxAmount))
	}
	if !slices.Equal(gotLines, lines) {
		t.Errorf("%s: lines\n%q\nwant\n%q", name, gotLines, lines)
	}
	got.Lines = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: invoice\n%+v\nwant\n%+v", name, got, want)
	}
}

// sampleInvoice is an invoice of a product line (a fractional quantity, a description, its own
// code, a discount) and an inline line, both at 19 %, with a deduction, and its plan.
func sampleInvoice(mode string) (*booksync.Receivable, booksync.InvoicePlan) {
	issued := time.Date(2026, 3, 4, 23, 30, 0, 0, time.FixedZone("x", -2*3600))
	number, due, po, desc, ref := "INV-7", "2026-04-03", "PO-9", "blue", "SKU-1"
	deduction := int64(1190)
	sales := "4000"
	rate := booksync.AccountingTaxRate{Code: "VAT19", EffectiveTaxRate: 1900}
	inv := &booksync.Receivable{ID: "rcv-1", Currency: "EUR", VATMode: mode, IssueDate: &issued, DocumentID: &number,
		DueDate: &due, PurchaseOrder: &po, DeductionAmount: &deduction,
		LineItems: []booksync.LineItem{
			{Quantity: booksync.Quantity{Decimal: decimal.RequireFromString("1.005")}, TaxRateValue: 1900,
				Product: booksync.LineProduct{ID: "0f8fad5b-d9cb-469f-a165-70867728950e", Name: "Widget", Description: &desc,
					ExternalReference: &ref, Price: booksync.Price{Currency: "EUR", Value: 1000}},
				Discount: &booksync.Discount{Type: "amount", Amount: 100}},
			{Quantity: booksync.Quantity{Decimal: decimal.NewFromInt(3)}, TaxRateValue: 1900,
				Product: booksync.LineProduct{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", Name: "Fee", IsInline: true,
					Price: booksync.Price{Currency: "EUR", Value: 250}}},
		}}
	plan := booksync.InvoicePlan{
		Lines: []booksync.LinePlan{
			{TaxRate: rate, LedgerAccount: booksync.LedgerAccount{PlatformID: "acc-1", NominalCode: &sales}},
			{TaxRate: rate, LedgerAccount: booksync.LedgerAccount{PlatformID: "acc-2"}},
		},
		Deduction: &booksync.DeductionPlan{Amount: deduction, Memo: "deposit", TaxRate: rate,
			LedgerAccount: booksync.LedgerAccount{PlatformID: "acc-3", NominalCode: &sales}},
	}
	return inv, plan
}
