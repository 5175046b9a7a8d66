package app_test

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestSyncedRecordsListing pages through synced records in both directions and filters them as
// Monite's list does.
func TestSyncedRecordsListing(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		c := s.partner().newEntity()
		r, _, _ := c.ready()
		before := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
		var ids []string
		for i := 0; i < 5; i++ {
			id, _ := c.issue(r, nil, line(r.product, 1, 2000))
			ids = append(ids, id)
		}
		for _, id := range ids {
			if rec := c.record("receivable", id); rec.SyncStatus != "done" {
				t.Fatalf("record %s", rec)
			}
		}
		type page struct {
			Data []record
			Next *string `json:"next_pagination_token"`
			Prev *string `json:"prev_pagination_token"`
		}
		// Forward in pages of two, newest first, then back.
		var pages [][]string
		var prevs []*string
		next := "/accounting_synced_records?object_type=receivable&limit=2&order=desc&sort=created_at"
		for next != "" {
			var p page
			c.do("GET", next, nil, 200, &p)
			var got []string
			for _, d := range p.Data {
				got = append(got, d.ObjectID)
			}
			pages, prevs = append(pages, got), append(prevs, p.Prev)
			next = ""
			if p.Next != nil {
				next = "/accounting_synced_records?limit=2&pagination_token=" + url.QueryEscape(*p.Next)
			}
		}
		var all []string
		for _, p := range pages {
			all = append(all, p...)
		}
		want := slices.Clone(ids)
		slices.Reverse(want)
		if !slices.Equal(all, want) {
			t.Fatalf("records newest first: %v, want %v", all, want)
		}
		var back page
		c.do("GET", "/accounting_synced_records?limit=2&pagination_token="+url.QueryEscape(*prevs[2]), nil, 200, &back)
		if len(back.Data) != 2 || back.Data[0].ObjectID != pages[1][0] || back.Data[1].ObjectID != pages[1][1] {
			t.Fatalf("prev of page 3: %v, want %v", back.Data, pages[1])
		}
		count := func(q string) int {
			var p page
			c.do("GET", "/accounting_synced_records?limit=250&"+q, nil, 200, &p)
			return len(p.Data)
		}
		checks := map[string]int{
			"object_type=receivable":                                            5,
			"object_type=customer":                                              1,
			"object_type=product":                                               1,
			"object_type=receivable&object_id=" + ids[2]:                        1,
			"object_type=receivable&object_id__in=" + ids[0] + "," + ids[1]:     2,
			"object_type=receivable&created_at__gte=" + url.QueryEscape(before): 5,
			"object_type=receivable&updated_at__lt=" + url.QueryEscape(before):  0,
			"object_type=bill":                                                  0,
		}
		for q, want := range checks {
			if got := count(q); got != want {
				t.Errorf("GET /accounting_synced_records?%s: %d records, want %d", q, got, want)
			}
		}
		c.do("GET", "/accounting_synced_records?object_type=receivable&sync_status=error", nil, 422, nil)
	})
}
