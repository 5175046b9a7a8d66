package api_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
)

// TestReceivablesListServesWhatGetServes: each invoice in GET /receivables is byte for byte what
// GET /receivables/{id} answers for it, in every state an invoice reaches through the API (draft,
// issued, partially paid, paid, uncollectible, canceled, credited, credit notes draft and issued),
// with VAT ids, partner metadata and text that the encoder escapes. The list serves most invoices
// from their stored JSON without decoding them; the single GET decodes and encodes.
func TestReceivablesListServesWhatGetServes(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("List Ltd", "GB")
		f := e.fixture("GBP", 10000)
		var vat struct{ ID string }
		e.do("POST", "/counterparts/"+f.counterpartID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB999999973"}, 201, &vat)
		var entityVat struct{ ID string }
		e.do("POST", "/entities/"+e.entityID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB123456789"}, 201, &entityVat)
		line := map[string]any{"quantity": 1.5, "product_id": f.productID, "tax_rate_value": 2000,
			"discount": map[string]any{"type": "amount", "amount": 100}}

		e.newInvoice(f, "GBP", line) // a draft
		rich := e.newInvoice(f, "GBP", line)
		e.do("PATCH", "/receivables/"+rich.ID, map[string]any{"invoice": map[string]any{
			"memo": `Danke — "line_items":null <b>&</b>` + "\u2028", "footer": "🧾",
			"counterpart_vat_id_id": vat.ID, "entity_vat_id_id": entityVat.ID, "deduction_amount": 50, "deduction_memo": "early",
			"discount":         map[string]any{"type": "percentage", "amount": 500},
			"partner_metadata": map[string]any{"n": 1.50, "e": 1e3, "big": 12345678901234567890.0, "line_items": nil, "tag": "<x>"},
		}}, 200, nil)
		e.do("POST", "/receivables/"+e.issuedInvoice(f).ID+"/mark_as_partially_paid", map[string]any{"amount_paid": 5000}, 200, nil)
		e.do("POST", "/receivables/"+e.issuedInvoice(f).ID+"/mark_as_paid", map[string]any{"comment": "paid"}, 200, nil)
		e.do("POST", "/receivables/"+e.issuedInvoice(f).ID+"/mark_as_uncollectible", map[string]any{"comment": "gone"}, 200, nil)
		e.do("POST", "/receivables/"+e.issuedInvoice(f).ID+"/cancel", nil, 204, nil)
		credited := e.issuedInvoice(f)
		cn := e.newCreditNote(credited, f.productID, 4000)
		e.do("POST", "/receivables/"+cn.ID+"/issue", nil, 200, nil)
		e.newCreditNote(credited, f.productID, 9000) // stays a draft
		e.do("POST", "/receivables/"+rich.ID+"/issue", nil, 200, nil)

		statuses := map[string]bool{}
		seen := 0
		for next := "/receivables?limit=3"; next != ""; {
			var page struct {
				Data []json.RawMessage `json:"data"`
				Next *string           `json:"next_pagination_token"`
			}
			e.do("GET", next, nil, 200, &page)
			for _, item := range page.Data {
				var head struct{ ID, Type, Status string }
				if err := json.Unmarshal(item, &head); err != nil {
					t.Fatal(err)
				}
				statuses[head.Type+" "+head.Status] = true
				one := e.do("GET", "/receivables/"+head.ID, nil, 200, nil)
				if want := bytes.TrimSuffix(one.body, []byte("\n")); !bytes.Equal(item, want) {
					t.Errorf("%s %s in the list:\n%s\nGET /receivables/%s:\n%s", head.Type, head.Status, item, head.ID, want)
				}
				seen++
			}
			next = ""
			if page.Next != nil {
				next = "/receivables?limit=3&pagination_token=" + url.QueryEscape(*page.Next)
			}
		}
		if seen != 9 || len(statuses) != 8 {
			t.Fatalf("listed %d invoices in %d type and status pairs %v, want 9 in 8", seen, len(statuses), statuses)
		}
	})
}
