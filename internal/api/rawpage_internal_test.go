package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/booksync/booksync"
)

// TestWriteRawPageWritesWhatWritePageWrites: a page of items that are already JSON goes out byte
// for byte as encoding the same items would send it, with and without tokens and items.
func TestWriteRawPageWritesWhatWritePageWrites(t *testing.T) {
	type item struct {
		ID   string         `json:"id"`
		Memo string         `json:"memo"`
		Meta map[string]any `json:"meta,omitempty"`
	}
	var items []json.RawMessage
	for _, it := range []item{
		{ID: "a", Memo: `<b>"quoted" & more</b>`},
		{ID: "b", Memo: "Zahlbar — danke\n", Meta: map[string]any{"n": 1.5, "k": []any{true, nil}}},
	} {
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, b)
	}
	for _, c := range []struct {
		name, url string
		page      booksync.Page[json.RawMessage]
	}{
		{"empty", "/receivables?limit=10", booksync.Page[json.RawMessage]{}},
		{"first", "/receivables?limit=2&status=issued&sort=total_amount",
			booksync.Page[json.RawMessage]{Items: items, Next: &booksync.Cursor{Key: int64(5), ID: "b"}}},
		{"middle", "/receivables?limit=2&counterpart_name__icontains=%3Cx%3E",
			booksync.Page[json.RawMessage]{Items: items, Next: &booksync.Cursor{Key: "z<&>", ID: "b"},
				Prev: &booksync.Cursor{Key: "a", ID: "a"}}},
		{"last", "/receivables?limit=2",
			booksync.Page[json.RawMessage]{Items: items[:1], Prev: &booksync.Cursor{Key: int64(-3), ID: "a"}}},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writePage(want, httptest.NewRequest("GET", c.url, nil), c.page)
		writeRawPage(got, httptest.NewRequest("GET", c.url, nil), c.page)
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || got.Code != want.Code ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s: writeRawPage %d %q\n%s\nwritePage %d %q\n%s", c.name, got.Code, got.Header().Get("Content-Type"),
				got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
		}
	}
}
