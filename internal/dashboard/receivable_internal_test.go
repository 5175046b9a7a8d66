package dashboard

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
)

func TestCompareMarksEachDifference(t *testing.T) {
	doc := "INV-7"
	inv := &booksync.Receivable{DocumentID: &doc, Currency: "GBP", CounterpartName: "Acme Ltd",
		LineItems: []booksync.LineItem{{Quantity: booksync.Quantity{Decimal: decimal.RequireFromString("2")},
			Product: booksync.LineProduct{Name: "Consulting"}, TotalBeforeVAT: 20000, TotalAfterVAT: 24000}},
		TotalAmount: 24000, TotalVATAmount: 4000}
	remote := &booksync.RemoteInvoice{Number: "INV-7", ContactName: "Acme Ltd", Currency: "GBP",
		Lines: []booksync.RemoteLine{{Description: "Consulting", Quantity: decimal.RequireFromString("2.00"),
			LineAmount: 20000, TaxAmount: 3999}},
		Totals: booksync.InvoiceTotals{Subtotal: 20000, Tax: 3999, Total: 23999}}

	p := receivablePage{Receivable: inv, Remote: remote}
	p.compare()
	var diffs []string
	for _, rows := range append([][]comparison{p.Head, p.Totals}, p.Lines...) {
		for _, c := range rows {
			if c.Diff {
				diffs = append(diffs, c.Label+": "+c.Ours+" / "+c.Theirs)
			}
		}
	}
	want := []string{"Tax: 40.00 GBP / 39.99 GBP", "Total: 240.00 GBP / 239.99 GBP", "Tax: 40.00 GBP / 39.99 GBP"}
	if len(diffs) != len(want) || p.Differs != len(want) {
		t.Fatalf("differences %q (counted %d), want %q", diffs, p.Differs, want)
	}
	for i := range want {
		if diffs[i] != want[i] {
			t.Fatalf("differences %q, want %q", diffs, want)
		}
	}

	// Inclusive amounts in the books compare net of tax; a missing line is a difference.
	remote.Inclusive, remote.Lines[0].LineAmount, remote.Lines[0].TaxAmount = true, 24000, 4000
	remote.Totals = booksync.InvoiceTotals{Subtotal: 20000, Tax: 4000, Total: 24000}
	p = receivablePage{Receivable: inv, Remote: remote}
	p.compare()
	if p.Differs != 0 {
		t.Fatalf("inclusive books with the same amounts: %d differences", p.Differs)
	}
	remote.Lines = nil
	p = receivablePage{Receivable: inv, Remote: remote}
	p.compare()
	if p.Differs != 4 {
		t.Fatalf("books without the line: %d differences, want the line's 4", p.Differs)
	}
}
