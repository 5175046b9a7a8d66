package api_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRequestBodies sends arbitrary bodies to every operation that takes one: whatever arrives,
// the answer is a 4xx (or a success), never a 5xx or a dropped connection.
func FuzzRequestBodies(f *testing.F) {
	h := newHarness(f, filepath.Join(f.TempDir(), "fuzz.db"))
	e := h.partner().newEntity("Fuzz Ltd", "GB")
	fx := e.fixture("GBP", 1000)
	inv := e.newInvoice(fx, "GBP", map[string]any{"quantity": 1, "product_id": fx.productID, "tax_rate_value": 2000})
	targets := []struct{ method, path string }{
		{"POST", "/receivables"}, {"PATCH", "/receivables/" + inv.ID}, {"PUT", "/receivables/" + inv.ID + "/line_items"},
		{"POST", "/counterparts"}, {"PATCH", "/counterparts/" + fx.counterpartID}, {"POST", "/products"},
		{"PATCH", "/products/" + fx.productID}, {"POST", "/payment_records"}, {"POST", "/entities"},
		{"PATCH", "/entities/" + e.entityID + "/settings"}, {"POST", "/auth/token"},
	}
	seeds := []string{
		`{"type":"invoice","currency":"GBP","counterpart_id":"` + fx.counterpartID + `","counterpart_billing_address_id":"` + fx.addressID + `","line_items":[{"quantity":1.5,"product_id":"` + fx.productID + `","tax_rate_value":2000,"discount":{"type":"percentage","amount":10000}}]}`,
		`{"invoice":{"discount":{"type":"amount","amount":99999999999},"line_items":[{"quantity":1e308}]}}`,
		`{"data":[{"quantity":0,"product":{"name":"x","price":{"currency":"GBP","value":9007199254740991}},"tax_rate_value":10000}]}`,
		`{"accounting":{"ledger_account_ids":{"products":null}},"vat_mode":"inclusive"}`,
		`{"amount":-5,"currency":"GBP","object":{"id":"` + inv.ID + `","type":"receivable"}}`,
		`[`, `null`, `"x"`, `{"a":`, "\x00\xff",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		tg := targets[int(target)%len(targets)]
		r := e.rawQuiet(tg.method, tg.path, body)
		if r.status >= 500 || r.status <= 0 {
			t.Fatalf("%s %s with %q: status %d: %s", tg.method, tg.path, body, r.status, r.body)
		}
	})
}

// FuzzListQueries sends arbitrary query strings and pagination tokens to the lists.
func FuzzListQueries(f *testing.F) {
	h := newHarness(f, filepath.Join(f.TempDir(), "fuzz.db"))
	e := h.partner().newEntity("Fuzz Lists Ltd", "GB")
	for i := 0; i < 3; i++ {
		e.rawQuiet("POST", "/products", `{"name":"P","price":{"currency":"GBP","value":1}}`)
	}
	r := e.rawQuiet("GET", "/products?limit=1", "")
	tok := jsonField(r.body, "next_pagination_token")
	for _, s := range []string{"limit=1&pagination_token=" + url.QueryEscape(tok), "pagination_token=" + tok[:len(tok)/2],
		"sort=name&order=desc&name__icontains=p", "created_at__gt=2020-01-01T00:00:00Z&price__lt=5", "id__in=a,b", "limit=-1", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, list := range []string{"/products", "/receivables", "/counterparts", "/payment_records", "/entities"} {
			r := e.rawQuiet("GET", list+"?"+strings.TrimPrefix(query, "?"), "")
			if r.status == -1 && strings.Contains(string(r.body), "invalid") {
				t.Skip("not a URL an HTTP client can send")
			}
			if r.status != 200 && r.status != 422 && r.status != 400 {
				t.Fatalf("GET %s?%s: status %d: %s", list, query, r.status, r.body)
			}
		}
	})
}
