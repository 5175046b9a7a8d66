package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/apispec"
)

// TestAPIVersionHeader checks x-monite-version on every operation booksync serves: the version it
// serves, or no header, is answered; any other value is a 422 that names the supported version,
// whatever the operation and before anything else is looked at.
func TestAPIVersionHeader(t *testing.T) {
	t.Parallel()
	h := newHarness(t, t.TempDir()+"/v.db")
	e := h.partner().newEntity("Versions Ltd", "GB")
	const someID = "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"
	for _, op := range apispec.Operations() {
		path := op.Path
		for {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			if i < 0 || j < i {
				break
			}
			path = path[:i] + someID + path[j+1:]
		}
		for _, v := range []string{"banana", "2023-09-01", "2024-05-26", "", "2024-05-25,2023-09-01"} {
			before := e.do("GET", "/receivables", nil, 200, nil)
			r := e.raw(op.Method, path, strings.NewReader(`{}`), http.Header{"X-Monite-Version": {v}})
			if r.status != 422 || !strings.Contains(string(r.body), `"x-monite-version"`) || !strings.Contains(string(r.body), "2024-05-25") {
				t.Errorf("%s %s with x-monite-version %q: %d %s; want a 422 naming the header and 2024-05-25", op.Method, op.Path, v, r.status, r.body)
			}
			if after := e.do("GET", "/receivables", nil, 200, nil); string(after.body) != string(before.body) {
				t.Errorf("%s %s with x-monite-version %q changed data", op.Method, op.Path, v)
			}
		}
	}
	// The supported version and no header at all are the same request.
	for _, hdr := range []http.Header{{"X-Monite-Version": {"2024-05-25"}}, {"X-Monite-Version": nil}} {
		if r := e.raw("GET", "/entities/"+e.entityID, nil, hdr); r.status != 200 {
			t.Errorf("GET /entities/{id} with %v: %d %s", hdr, r.status, r.body)
		}
	}
	// A second header with another version is refused too.
	if r := e.raw("GET", "/receivables", nil, http.Header{"X-Monite-Version": {"2024-05-25", "2023-04-12"}}); r.status != 422 {
		t.Errorf("two versions: %d %s", r.status, r.body)
	}
	// What is not Monite's API does not take the header.
	for _, p := range []string{"/openapi.json", "/docs", "/healthz"} {
		if r := e.raw("GET", p, nil, http.Header{"X-Monite-Version": {"banana"}}); r.status != 200 {
			t.Errorf("GET %s with x-monite-version banana: %d", p, r.status)
		}
	}
	if r := e.raw("GET", "/oauth/callback?state=x&code=y", nil, http.Header{"X-Monite-Version": {"banana"}}); strings.Contains(string(r.body), "x-monite-version") {
		t.Errorf("GET /oauth/callback checked the version: %d %s", r.status, r.body)
	}
}
