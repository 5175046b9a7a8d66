package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// testReceivablesJSON: the list the API answers with, which serves most invoices' stored JSON
// without decoding it, holds byte for byte what encoding the decoded invoices gives, page by page
// and with the same cursors, for invoices in every state (draft, issued, partially paid, paid,
// canceled, uncollectible, credited, credit notes), with every optional field, text that mimics
// the stored JSON, strings and metadata that do not decode to what was written, a creation time an
// update tried to change, and rows stored in an older shape of the JSON.
func testReceivablesJSON(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	n := 0
	at := func() time.Time { n++; return base.Add(time.Duration(n) * time.Minute) }
	create := func(edit func(r *booksync.Receivable)) *booksync.Receivable {
		t.Helper()
		r := newReceivable(e.ID, at())
		if edit != nil {
			edit(r)
		}
		must(t, s.CreateReceivable(ctx, r))
		return r
	}
	issued := func(edit func(r *booksync.Receivable)) *booksync.Receivable {
		t.Helper()
		r, err := issue(ctx, s, e.ID, create(edit).ID, at())
		must(t, err)
		return r
	}
	update := func(r booksync.Receivable, err error) *booksync.Receivable {
		t.Helper()
		must(t, err)
		must(t, s.UpdateReceivable(ctx, &r))
		return &r
	}
	pay := func(r *booksync.Receivable, amount int64) {
		t.Helper()
		paidAt := at()
		must(t, createPayment(ctx, s, &booksync.PaymentRecord{ID: uuid.NewString(), EntityID: e.ID,
			Object: booksync.PaymentRecordObject{ID: r.ID, Type: "receivable"}, Status: booksync.PaymentStatusSucceeded,
			Amount: amount, Currency: r.Currency, PaidAt: &paidAt},
			func(r booksync.Receivable) (booksync.Receivable, error) {
				return booksync.ApplyPayment(r, amount, paidAt)
			}))
	}
	everyField := func(r *booksync.Receivable) {
		addr := booksync.ReceivableAddress{ID: ptr(uuid.NewString()), Country: "DE", City: "München", PostalCode: "80331",
			Line1: `Marienplatz "1" <b>&</b>`, Line2: ptr("Hinterhaus\u2028oben"), State: ptr("BY")}
		r.Comment = ptr(`says "line_items":null <b>&</b>`)
		r.PartnerMetadata = map[string]any{`a"line_items":null`: "x", "line_items": nil, "n": 12.5, "big": 1e21,
			"list": []any{"a", true, nil, map[string]any{"z": -0.000001}}, "html": "<script>&</script>", "emoji": "🧾"}
		r.Memo = ptr("Zahlbar in 14 Tagen — danke\n\t\\")
		r.Footer, r.PurchaseOrder, r.TradeName = ptr("footer"), ptr("PO-1"), ptr("Acme")
		r.DueDate, r.FulfillmentDate = ptr("2026-04-01"), ptr("2026-03-01")
		r.CounterpartTaxID, r.CounterpartExternalRef = ptr("DE123"), ptr("ext-1")
		r.CounterpartBillingAddress, r.CounterpartShippingAddress = &addr, &addr
		r.CounterpartVatID = &booksync.VatID{ID: uuid.NewString(), CounterpartID: r.CounterpartID, Country: "FR",
			Type: "eu_vat", Value: "FR40303265045"}
		r.EntityVatID = &booksync.VatID{ID: uuid.NewString(), EntityID: r.EntityID, Country: "DE", Type: "eu_vat", Value: "DE136695976"}
		r.Entity = booksync.ReceivableEntity{Type: booksync.EntityTypeOrganization, Name: ptr("Acme GmbH"), Email: ptr("a@acme.test")}
		r.EntityAddress = addr
		r.Discount = &booksync.Discount{Type: booksync.DiscountTypeAmount, Amount: 10}
		r.DeductionAmount, r.DeductionMemo = ptr(int64(5)), ptr("deducted")
		r.VATExempt, r.VATExemptionRationale = ptr(false), ptr("none")
		r.FileLanguage, r.OriginalFileLanguage = "de", "de"
		r.LineItems = append(r.LineItems, r.LineItems[0])
		r.LineItems[1].Discount = &booksync.Discount{Type: booksync.DiscountTypeAmount, Amount: 100}
		r.LineItems[1].Quantity = booksync.Quantity{Decimal: decimal.RequireFromString("0.50")}
		r.TotalVATAmounts = []booksync.TotalVATAmount{{Value: 1900, Amount: 190, TaxableAmount: 1000}}
	}

	create(nil)
	create(everyField)
	create(func(r *booksync.Receivable) { r.LineItems = nil })
	create(func(r *booksync.Receivable) { r.LineItems = []booksync.LineItem{} })
	issued(nil)
	issued(everyField)
	partly := issued(nil)
	pay(partly, 500)
	pay(issued(nil), 1190)
	canceled := issued(nil)
	canceled.Status = booksync.StatusCanceled
	update(*canceled, nil)
	uncollectible := issued(nil)
	update(booksync.MarkUncollectible(*uncollectible, ptr("gone away"), at()))
	for _, quantity := range []string{"1", "2.5"} { // credited in part, and wholly (which pays it)
		inv := issued(everyField)
		cn, err := booksync.NewCreditNote(*inv, uuid.NewString(), at())
		must(t, err)
		cn.LineItems = cn.LineItems[:1]
		cn.LineItems[0].Quantity = booksync.Quantity{Decimal: decimal.RequireFromString(quantity)}
		must(t, cn.ComputeTotals())
		must(t, s.CreateReceivable(ctx, &cn))
		issuedCN, err := issue(ctx, s, e.ID, cn.ID, at())
		must(t, err)
		update(booksync.ApplyCreditNote(*inv, *issuedCN, at()))
	}
	create(func(r *booksync.Receivable) { r.Memo = ptr("Glob\xffex") })
	create(func(r *booksync.Receivable) { r.LineItems[0].Product.Name = "Wid\xffget" })
	create(func(r *booksync.Receivable) {
		r.PartnerMetadata = map[string]any{"exact": json.Number("1.50"), "big": int64(1<<60 + 1)}
	})
	moved := create(nil)
	moved.CreatedAt = base.Add(-24 * time.Hour)
	update(*moved, nil)
	// Rows as an older booksync stored them: data in another shape (the fields in another order,
	// some missing), and data in today's shape from before the data version was stored.
	for _, drop := range [][]string{{"total_amount_with_credit_notes", "related_documents", "vat_inclusive_discount_mode"}, nil} {
		r := issued(everyField)
		row, err := s.Receivable(ctx, e.ID, r.ID)
		must(t, err)
		row.LineItems = nil
		old, err := json.Marshal(row)
		must(t, err)
		if drop != nil {
			var fields map[string]any
			must(t, json.Unmarshal(old, &fields))
			for _, f := range drop {
				delete(fields, f)
			}
			old, err = json.Marshal(fields)
			must(t, err)
		}
		_, err = s.Writer().ExecContext(ctx, "UPDATE receivables SET data = $1, data_version = 0, api_lines = '' WHERE id = $2", string(old), r.ID)
		must(t, err)
	}

	for _, q := range []booksync.ListQuery{
		{Limit: 3},
		{Limit: 250, Sort: "total_amount", Order: booksync.OrderDesc},
		{Limit: 2, Filters: []booksync.Filter{{Field: "status", Op: booksync.OpEq, Values: []any{booksync.StatusIssued}}}},
	} {
		seen := 0
		for pages := 0; ; pages++ {
			want, err := s.Receivables(ctx, e.ID, q)
			must(t, err)
			got, err := s.ReceivablesJSON(ctx, e.ID, q)
			must(t, err)
			if len(got.Items) != len(want.Items) || !reflect.DeepEqual(got.Next, want.Next) || !reflect.DeepEqual(got.Prev, want.Prev) {
				t.Fatalf("%+v: JSON page of %d items (next %v, prev %v), decoded page of %d (next %v, prev %v)",
					q, len(got.Items), got.Next, got.Prev, len(want.Items), want.Next, want.Prev)
			}
			if pages == 0 && len(got.Items) == 0 {
				t.Fatalf("%+v: empty first page", q)
			}
			for i := range want.Items {
				enc, err := json.Marshal(want.Items[i])
				must(t, err)
				if !bytes.Equal(got.Items[i], enc) {
					t.Fatalf("%+v: item %d (%s)\n got %s\nwant %s", q, i, want.Items[i].Status, got.Items[i], enc)
				}
			}
			seen += len(got.Items)
			if want.Next == nil {
				break
			}
			q.After = want.Next
		}
		if q.Limit == 3 && seen != 20 {
			t.Fatalf("listed %d invoices, want 20", seen)
		}
	}

	// The invoices written today are served as stored; those that would not decode to what was
	// written, and the old rows, are decoded.
	rows, err := s.Writer().QueryContext(ctx, "SELECT data_version FROM receivables WHERE entity_id = $1", e.ID)
	must(t, err)
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		must(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	must(t, rows.Err())
	if zero := len(versions) - len(slices.DeleteFunc(versions, func(v int) bool { return v == 0 })); zero != 6 {
		t.Errorf("%d rows to decode when listed, want 6 (bad UTF-8 twice, metadata, moved creation time, two old rows)", zero)
	}
}
