package api_test

import (
	"regexp"
	"strings"
	"testing"
)

// goInternals matches what Go's encoding/json says about its own types: a 422 speaks JSON and the
// API's field names, never booksync's Go structs.
var goInternals = regexp.MustCompile(`json: |Go (struct|value)|int64|int32|float64|uint|\bstruct\b|\[\]|map\[|booksync\.|api\.`)

// TestIntegralNumbersInAnyNotation sends integers written as JSON Schema allows (1e3, 100.0) to
// bodies that take integers, at the top level, nested, in lines and in a discount: each is taken as
// the integer it is. Numbers that are not integers, or that no integer field can carry, are a 422
// in the validator's words, naming the field, with nothing of Go's types in the message.
func TestIntegralNumbersInAnyNotation(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Numbers Ltd", "GB")
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f)

		var pr struct {
			Amount int64 `json:"amount"`
		}
		for amount, want := range map[string]int64{"1e3": 1000, "100.0": 100, "2.5E2": 250, "1.000e1": 10} {
			r := e.raw("POST", "/payment_records", strings.NewReader(`{"amount": `+amount+`, "currency": "GBP", "object": {"id": "`+inv.ID+`", "type": "receivable"}}`), nil)
			if r.status != 201 {
				t.Errorf("payment of %s: status %d, want 201: %s", amount, r.status, r.body)
				continue
			}
			r.decode(t, &pr)
			if pr.Amount != want {
				t.Errorf("payment of %s recorded %d, want %d", amount, pr.Amount, want)
			}
		}

		var prod struct {
			Price struct{ Value int64 } `json:"price"`
		}
		r := e.raw("POST", "/products", strings.NewReader(`{"name": "P", "price": {"currency": "GBP", "value": 1.5e3}}`), nil)
		if r.status != 201 {
			t.Fatalf("product priced 1.5e3: status %d: %s", r.status, r.body)
		}
		r.decode(t, &prod)
		if prod.Price.Value != 1500 {
			t.Errorf("product priced 1.5e3 has price %d, want 1500", prod.Price.Value)
		}

		var created invoice
		r = e.raw("POST", "/receivables", strings.NewReader(`{"type": "invoice", "currency": "GBP", "counterpart_id": "`+f.counterpartID+
			`", "counterpart_billing_address_id": "`+f.addressID+`", "discount": {"type": "amount", "amount": 1e2}, "line_items": [{"quantity": 2e0, "product_id": "`+
			f.productID+`", "tax_rate_value": 2.0e3}]}`), nil)
		if r.status != 201 {
			t.Fatalf("invoice with 1e2, 2e0 and 2.0e3: status %d: %s", r.status, r.body)
		}
		r.decode(t, &created)
		if created.Subtotal != 20000 || created.TotalVATAmount != 3980 {
			t.Errorf("invoice with a discount of 1e2 and a rate of 2.0e3: subtotal %d VAT %d, want 20000 and 3980", created.Subtotal, created.TotalVATAmount)
		}

		refused := []struct{ method, path, body, field string }{
			{"POST", "/payment_records", `{"amount": 1.5, "currency": "GBP", "object": {"id": "` + inv.ID + `", "type": "receivable"}}`, "amount"},
			{"POST", "/payment_records", `{"amount": "100", "currency": "GBP", "object": {"id": "` + inv.ID + `", "type": "receivable"}}`, "amount"},
			{"POST", "/payment_records", `{"amount": 100, "currency": "GBP", "object": {"id": 5, "type": "receivable"}}`, "id"},
			{"POST", "/products", `{"name": "P", "price": {"currency": "GBP", "value": 1e400}}`, "value"},
			{"PATCH", "/entities/" + e.entityID + "/settings", `{"document_ids": {"next_number": {"invoice": 1e19}}}`, "invoice"},
			{"PATCH", "/entities/" + e.entityID + "/settings", `{"document_ids": {"next_number": {"invoice": 9223372036854775808}}}`, "invoice"},
			{"PATCH", "/entities/" + e.entityID + "/settings", `{"vat_mode": 5}`, "vat_mode"},
			{"POST", "/receivables", `{"type": "invoice", "currency": "GBP", "counterpart_id": "` + f.counterpartID + `", "counterpart_billing_address_id": "` +
				f.addressID + `", "line_items": [{"quantity": 1, "product_id": "` + f.productID + `", "tax_rate_value": 1e30}]}`, "tax_rate_value"},
		}
		for _, c := range refused {
			r := e.raw(c.method, c.path, strings.NewReader(c.body), nil)
			if r.status != 422 || !strings.Contains(string(r.body), `"`+c.field+`"`) {
				t.Errorf("%s %s %s: status %d, want 422 naming %s: %s", c.method, c.path, c.body, r.status, c.field, r.body)
			}
			if goInternals.Match(r.body) {
				t.Errorf("%s %s %s: the 422 speaks of Go's types: %s", c.method, c.path, c.body, r.body)
			}
		}
	})
}
