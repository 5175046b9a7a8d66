package xero

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// TestInvoiceCloneIsTheJSONTrip: an invoice's copy is what sandbox.Clone's trip through JSON
// gives, to the nanosecond of every time, and shares nothing that a write could change.
func TestInvoiceCloneIsTheJSONTrip(t *testing.T) {
	at := time.Date(2026, 5, 4, 3, 2, 1, 987654321, time.FixedZone("CEST", 2*3600))
	rate, discount := sandbox.NewAmount("12.50"), sandbox.NewAmount("3.10")
	due := MSDate{at.Add(30 * 24 * time.Hour)}
	for name, inv := range map[string]*Invoice{
		"full": {Type: "ACCREC", InvoiceID: "id", InvoiceNumber: "INV-0001", Contact: ContactRef{ContactID: "c", Name: "Acme"},
			Date: &MSDate{at}, DueDate: &due, Status: "AUTHORISED", LineAmountTypes: "Exclusive",
			LineItems: []LineItem{{LineItemID: "l1", Quantity: sandbox.NewAmount("2.50"), UnitAmount: sandbox.NewAmount("10.00"),
				DiscountRate: &rate, DiscountAmount: &discount, TaxAmount: sandbox.NewAmount("4.75"), LineAmount: sandbox.NewAmount("21.875")}},
			Total: sandbox.NewAmount("26.63"), CurrencyRate: sandbox.NewAmount("1"),
			FullyPaidOnDate: &MSDate{at}, Payments: []PaymentRef{{PaymentID: "p", Date: MSDate{at}, Amount: sandbox.NewAmount("1.00")}},
			CreditNotes: []CreditNoteRef{{CreditNoteID: "cn", Total: sandbox.NewAmount("2")}}, UpdatedDateUTC: MSDate{at},
			ValidationErrors: []ValidationError{{Message: "m"}}, Warnings: []ValidationError{{Message: "w"}}},
		"empty lists": {LineItems: []LineItem{}, Payments: []PaymentRef{}, CreditNotes: []CreditNoteRef{},
			ValidationErrors: []ValidationError{}, Warnings: []ValidationError{}},
		"nil lists": {},
	} {
		t.Run(name, func(t *testing.T) {
			got, want := inv.clone(), sandbox.Clone(inv)
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				t.Fatalf("copy\n%s\nwant\n%s", g, w)
			}
			times := func(i *Invoice) []any {
				out := []any{i.UpdatedDateUTC.Time, i.Date, i.DueDate, i.FullyPaidOnDate, i.LineItems == nil, i.Payments == nil,
					i.CreditNotes == nil, i.ValidationErrors == nil, i.Warnings == nil}
				for _, p := range i.Payments {
					out = append(out, p.Date.Time)
				}
				return out
			}
			g, w := times(&got), times(&want)
			for k := range w {
				switch wv := w[k].(type) {
				case time.Time:
					if gv := g[k].(time.Time); !gv.Equal(wv) || gv.Location() != wv.Location() {
						t.Fatalf("time %d: %v, want %v", k, gv, wv)
					}
				case *MSDate:
					gv := g[k].(*MSDate)
					if (gv == nil) != (wv == nil) || gv != nil && (!gv.Equal(wv.Time) || gv.Location() != wv.Location()) {
						t.Fatalf("date %d: %v, want %v", k, gv, wv)
					}
				default:
					if g[k] != wv {
						t.Fatalf("nil list %d: %v, want %v", k, g[k], wv)
					}
				}
			}
			if len(got.LineItems) > 0 {
				// Nothing is shared: changing the copy leaves the invoice as it was.
				before := mustJSON(t, inv)
				got.LineItems[0].Description = "changed"
				*got.LineItems[0].DiscountRate = sandbox.NewAmount("99")
				got.Payments[0].PaymentID = "changed"
				got.CreditNotes[0].CreditNoteID = "changed"
				got.ValidationErrors[0].Message = "changed"
				got.Date.Time = time.Time{}
				if after := mustJSON(t, inv); after != before {
					t.Fatalf("changing the copy changed the invoice:\n%s\nwas\n%s", after, before)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
