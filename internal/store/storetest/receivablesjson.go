package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// testReceivablesJSON: the list the API answers with, read from the stored JSON without decoding
// it, holds byte for byte what encoding the decoded invoices gives, page by page and with the same
// cursors, for invoices whose text and metadata mimic the stored line items.
func testReceivablesJSON(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	for i := range 7 {
		r := newReceivable(e.ID, base.Add(time.Duration(i)*time.Minute))
		switch i % 3 {
		case 0:
			r.Comment = ptr(`says "line_items":null <b>&</b>`)
			r.PartnerMetadata = map[string]any{`a"line_items":null`: "x", "n": 12.5, "list": []any{"a", true}}
			r.Memo = ptr("Zahlbar in 14 Tagen — danke")
		case 1:
			r.LineItems = nil
		case 2:
			r.LineItems = append(r.LineItems, r.LineItems[0])
			r.LineItems[1].Discount = &booksync.Discount{Type: booksync.DiscountTypeAmount, Amount: 100}
		}
		must(t, s.CreateReceivable(ctx, r))
		if i%2 == 0 {
			_, err := issue(ctx, s, e.ID, r.ID, base.Add(time.Hour))
			must(t, err)
		}
	}
	for _, q := range []booksync.ListQuery{
		{Limit: 3},
		{Limit: 250, Sort: "total_amount", Order: booksync.OrderDesc},
		{Limit: 2, Filters: []booksync.Filter{{Field: "status", Op: booksync.OpEq, Values: []any{booksync.StatusIssued}}}},
	} {
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
					t.Fatalf("%+v: item %d\n got %s\nwant %s", q, i, got.Items[i], enc)
				}
			}
			if want.Next == nil {
				break
			}
			q.After = want.Next
		}
	}
}
