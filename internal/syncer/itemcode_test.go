package syncer

import (
	"strings"
	"testing"

	"github.com/booksync/booksync"
)

// TestItemCodeFitsTheSystem: a product's reference is its item code where the accounting system's
// ItemCodeMax allows it; otherwise the code derived from the product's id, which fits too.
func TestItemCodeFitsTheSystem(t *testing.T) {
	ref := func(s string) *string { return &s }
	const id = "0f8fad5b-d9cb-469f-a165-70867728950e"
	long := strings.Repeat("R", 31)
	for _, tc := range []struct {
		ref   *string
		limit int
		want  string
	}{
		{ref("SKU-1"), 30, "SKU-1"},
		{ref(long[:30]), 30, long[:30]},
		{ref(long), 30, "BS-0F8FAD5BD9CB"},
		{nil, 30, "BS-0F8FAD5BD9CB"},
		{ref(""), 30, "BS-0F8FAD5BD9CB"},
		{ref(long), 0, long},
		{ref(long), 12, "0F8FAD5BD9CB"},
		{ref(long), 40, long},
	} {
		if got := itemCode(booksync.LineProduct{ID: id, ExternalReference: tc.ref}, tc.limit); got != tc.want {
			t.Errorf("itemCode(ref %v, limit %d) = %q, want %q", tc.ref != nil, tc.limit, got, tc.want)
		}
	}
}
