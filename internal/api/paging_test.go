package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

func TestPagingBothWays(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Pages Ltd", "GB")
		var want []string
		for i := 0; i < 23; i++ {
			var p struct{ ID string }
			// Names repeat so that the sort key has ties, which the id must break.
			e.do("POST", "/products", map[string]any{"name": fmt.Sprintf("Item %02d", i%7), "price": map[string]any{"currency": "GBP", "value": 100 + i}}, 201, &p)
			want = append(want, p.ID)
		}
		for _, order := range []string{"asc", "desc"} {
			// Walk forward in pages of 5, then back again with prev tokens.
			var pages [][]string
			var tokens []string
			next := "/products?sort=name&limit=5&order=" + order
			for next != "" {
				var page struct {
					Data []struct{ ID, Name string }
					Next *string `json:"next_pagination_token"`
					Prev *string `json:"prev_pagination_token"`
				}
				e.do("GET", next, nil, 200, &page)
				var ids []string
				for _, d := range page.Data {
					ids = append(ids, d.ID)
				}
				pages = append(pages, ids)
				if len(pages) == 1 && page.Prev != nil {
					t.Fatal("first page has a prev token")
				}
				next = ""
				if page.Next != nil {
					next = "/products?limit=5&pagination_token=" + url.QueryEscape(*page.Next)
				}
				prev := ""
				if page.Prev != nil {
					prev = *page.Prev
				}
				tokens = append(tokens, prev)
			}
			if len(pages) != 5 || len(pages[4]) != 3 {
				t.Fatalf("%s: page sizes %v", order, pages)
			}
			var all []string
			for _, pg := range pages {
				all = append(all, pg...)
			}
			got := slices.Clone(all)
			slices.Sort(got)
			w := slices.Clone(want)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Fatalf("%s: pages do not cover every product exactly once", order)
			}
			// Going back from each page gives exactly the page before it.
			for i := len(pages) - 1; i > 0; i-- {
				var page struct{ Data []struct{ ID string } }
				e.do("GET", "/products?limit=5&pagination_token="+url.QueryEscape(tokens[i]), nil, 200, &page)
				var ids []string
				for _, d := range page.Data {
					ids = append(ids, d.ID)
				}
				if !slices.Equal(ids, pages[i-1]) {
					t.Fatalf("%s: prev of page %d = %v, want %v", order, i, ids, pages[i-1])
				}
			}
		}
		// Filters travel inside the token.
		var page struct {
			Data []struct{ Name string }
			Next *string `json:"next_pagination_token"`
		}
		e.do("GET", "/products?name=Item%2003&limit=2", nil, 200, &page)
		if len(page.Data) != 2 || page.Next == nil {
			t.Fatalf("filtered page: %+v", page)
		}
		var page2 struct {
			Data []struct{ Name string }
			Next *string `json:"next_pagination_token"`
		}
		e.do("GET", "/products?limit=2&pagination_token="+url.QueryEscape(*page.Next), nil, 200, &page2)
		if len(page2.Data) != 1 || page2.Data[0].Name != "Item 03" || page2.Next != nil {
			t.Fatalf("filtered second page: %+v", page2)
		}
	})
}

func TestReceivableFilters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Filters Ltd", "GB")
		f := e.fixture("GBP", 1000)
		var ids []string
		for i := 1; i <= 4; i++ {
			inv := e.newInvoice(f, "GBP", map[string]any{"quantity": i, "product_id": f.productID, "tax_rate_value": 0})
			ids = append(ids, inv.ID)
		}
		e.do("POST", "/receivables/"+ids[1]+"/issue", nil, 200, nil)
		e.do("POST", "/receivables/"+ids[3]+"/issue", nil, 200, nil)
		count := func(q string) int {
			var page struct{ Data []any }
			e.do("GET", "/receivables"+q, nil, 200, &page)
			return len(page.Data)
		}
		checks := map[string]int{
			"":                                     4,
			"?status=issued":                       2,
			"?status__in=draft&status__in=issued":  4,
			"?status__in=draft":                    2,
			"?total_amount__gte=2000":              3,
			"?total_amount__lt=2000":               1,
			"?document_id=INV-00002":               1,
			"?counterpart_id=" + f.counterpartID:   4,
			"?created_at__gt=2100-01-01T00:00:00Z": 0,
			"?created_at__lt=2100-01-01T00:00:00Z": 4,
		}
		for q, want := range checks {
			if got := count(q); got != want {
				t.Errorf("GET /receivables%s: %d invoices, want %d", q, got, want)
			}
		}
		var page struct {
			Data []struct {
				DocumentID *string `json:"document_id"`
			}
		}
		e.do("GET", "/receivables?status=issued&sort=document_id&order=desc", nil, 200, &page)
		if len(page.Data) != 2 || *page.Data[0].DocumentID != "INV-00002" || *page.Data[1].DocumentID != "INV-00001" {
			t.Fatalf("sorted by document_id desc: %+v", page.Data)
		}
	})
}
