package api_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/booksync/booksync/internal/apispec"
)

// schemaPaths lists every property path a served schema advertises ("line_items[].product.name"),
// following references, all-of wrappers and array items; free-form objects end a path.
func schemaPaths(ref *openapi3.SchemaRef, prefix string, out map[string]bool) {
	if ref == nil || ref.Value == nil {
		return
	}
	s := ref.Value
	for _, b := range s.AllOf {
		schemaPaths(b, prefix, out)
	}
	if s.Items != nil {
		schemaPaths(s.Items, prefix+"[]", out)
	}
	for name, p := range s.Properties {
		path := strings.TrimPrefix(prefix+"."+name, ".")
		out[path] = true
		schemaPaths(p, path, out)
	}
}

// valuePaths lists every property path a JSON value sets, in the same form.
func valuePaths(v any, prefix string, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			path := strings.TrimPrefix(prefix+"."+k, ".")
			out[path] = true
			valuePaths(c, path, out)
		}
	case []any:
		for _, c := range t {
			valuePaths(c, prefix+"[]", out)
		}
	}
}

// sendsEverything fails the test unless body sets every property the served schema advertises,
// so that the request below proves booksync accepts each of them.
func sendsEverything(t *testing.T, schema string, body string, skip ...string) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(apispec.Document())
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas[schema]
	if ref == nil {
		t.Fatalf("no schema %s in /openapi.json", schema)
	}
	want, got := map[string]bool{}, map[string]bool{}
	schemaPaths(ref, "", want)
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	valuePaths(v, "", got)
	var missing []string
	for p := range want {
		if !got[p] && !slices.Contains(skip, p) && !slices.ContainsFunc(skip, func(s string) bool { return strings.HasPrefix(p, s+".") }) {
			missing = append(missing, p)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the request for %s does not send %v, which /openapi.json advertises; add them so the test proves they are accepted", schema, missing)
	}
}

// TestEveryServedFieldIsAccepted sends, for the invoice, product and payment operations, one
// request that sets every property the served schema advertises, and requires it to succeed and
// keep what was sent: the served document promises nothing booksync refuses.
func TestEveryServedFieldIsAccepted(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Every Field Ltd", "GB")
		b := e.connectBooks("connected")
		f := e.fixture("GBP", 10000)
		var entityVat, counterpartVat struct{ ID string }
		e.do("POST", "/entities/"+e.entityID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB123456789"}, 201, &entityVat)
		e.do("POST", "/counterparts/"+f.counterpartID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB999999973"}, 201, &counterpartVat)
		standard, reduced := e.vatRate(f.counterpartID, 2000), e.vatRate(f.counterpartID, 500)
		lines := `[{"quantity": 2, "product_id": "` + f.productID + `", "vat_rate_id": "` + standard + `", "tax_rate_value": 2000, "tax_rate_name": "Standard",
			"accounting_tax_rate_id": "` + b.rate + `", "discount": {"type": "percentage", "amount": 1000}},
			{"quantity": 1, "tax_rate_value": 2000, "product": {"name": "Travel", "description": "Train", "type": "service",
			"price": {"currency": "GBP", "value": 999}, "ledger_account_id": "` + b.sales + `", "external_reference": "T-1"}}]`
		create := `{"type": "invoice", "currency": "GBP", "counterpart_id": "` + f.counterpartID + `",
			"counterpart_billing_address_id": "` + f.addressID + `", "counterpart_shipping_address_id": "` + f.addressID + `",
			"line_items": ` + lines + `, "discount": {"type": "amount", "amount": 100}, "deduction_amount": 50, "deduction_memo": "Withheld",
			"document_id": "CUSTOM-1", "memo": "Thanks", "footer": "Footer", "commercial_condition_description": "Net 30",
			"purchase_order": "PO-1", "trade_name": "Every Field", "payment_page_url": "https://pay.example/1",
			"partner_metadata": {"k": "v"}, "fulfillment_date": "2024-05-25", "vat_mode": "exclusive", "vat_exempt": false,
			"vat_exemption_rationale": "none", "is_einvoice": false,
			"counterpart_vat_id_id": "` + counterpartVat.ID + `", "entity_vat_id_id": "` + entityVat.ID + `"}`
		sendsEverything(t, "ReceivableFacadeCreateInvoicePayload", create)
		r := e.raw("POST", "/receivables", strings.NewReader(create), nil)
		if r.status != 201 {
			t.Fatalf("create with every field: %d %s", r.status, r.body)
		}
		var inv map[string]any
		r.decode(t, &inv)
		echoes(t, "create", create, inv, "memo", "footer", "document_id", "trade_name", "purchase_order", "commercial_condition_description",
			"payment_page_url", "fulfillment_date", "vat_exemption_rationale", "deduction_memo", "deduction_amount", "vat_mode", "partner_metadata", "currency", "counterpart_id")
		id := inv["id"].(string)

		put := `{"data": ` + lines + `}`
		sendsEverything(t, "UpdateLineItems", put)
		e.do("PUT", "/receivables/"+id+"/line_items", json.RawMessage(put), 200, nil)

		patch := `{"invoice": {"counterpart_id": "` + f.counterpartID + `", "counterpart_billing_address_id": "` + f.addressID + `",
			"counterpart_shipping_address_id": "` + f.addressID + `", "currency": "GBP", "deduction_amount": 60, "deduction_memo": "Withheld more",
			"discount": {"type": "percentage", "amount": 100}, "footer": "Footer 2", "fulfillment_date": "2024-05-26", "is_einvoice": false,
			"line_items": [{"quantity": 3, "price": 5000, "vat_rate_id": "` + reduced + `", "tax_rate_value": 500, "tax_rate_name": "Reduced", "discount": {"type": "amount", "amount": 10}},
				{"quantity": 2}],
			"memo": "Thanks again", "partner_metadata": {"k": "w"}, "payment_page_url": "https://pay.example/2", "trade_name": "Every Field 2",
			"vat_exempt": false, "vat_exemption_rationale": "still none",
			"counterpart_vat_id_id": "` + counterpartVat.ID + `", "entity_vat_id_id": "` + entityVat.ID + `"}}`
		sendsEverything(t, "UpdateInvoicePayload", patch)
		r = e.raw("PATCH", "/receivables/"+id, strings.NewReader(patch), nil)
		if r.status != 200 {
			t.Fatalf("PATCH a draft with every field: %d %s", r.status, r.body)
		}
		var patched map[string]any
		r.decode(t, &patched)
		var in map[string]map[string]any
		_ = json.Unmarshal([]byte(patch), &in)
		echoes(t, "PATCH invoice", mustJSON(in["invoice"]), patched, "memo", "footer", "fulfillment_date", "deduction_memo", "deduction_amount",
			"payment_page_url", "trade_name", "vat_exemption_rationale", "partner_metadata")

		e.do("POST", "/receivables/"+id+"/issue", nil, 200, nil)
		issued := `{"issued_invoice": {"memo": "Paid soon", "footer": "Footer 3", "fulfillment_date": "2024-05-27", "partner_metadata": {"k": "x"}}}`
		sendsEverything(t, "UpdateIssuedInvoicePayload", issued)
		r = e.raw("PATCH", "/receivables/"+id, strings.NewReader(issued), nil)
		if r.status != 200 {
			t.Fatalf("PATCH an issued invoice with every field: %d %s", r.status, r.body)
		}
		r.decode(t, &patched)
		_ = json.Unmarshal([]byte(issued), &in)
		echoes(t, "PATCH issued_invoice", mustJSON(in["issued_invoice"]), patched, "memo", "footer", "fulfillment_date", "partner_metadata")

		product := `{"name": "Widget", "description": "A widget", "type": "product", "price": {"currency": "GBP", "value": 500},
			"ledger_account_id": "` + b.sales + `", "external_reference": "W-1", "smallest_amount": 1}`
		sendsEverything(t, "ProductServiceRequest", product)
		r = e.raw("POST", "/products", strings.NewReader(product), nil)
		if r.status != 201 {
			t.Fatalf("product with every field: %d %s", r.status, r.body)
		}
		var prod map[string]any
		r.decode(t, &prod)
		echoes(t, "product", product, prod, "name", "description", "type", "price", "ledger_account_id", "external_reference", "smallest_amount")
		sendsEverything(t, "ProductServiceUpdate", product)
		e.do("PATCH", "/products/"+prod["id"].(string), json.RawMessage(product), 200, nil)

		payment := `{"amount": 100, "currency": "GBP", "object": {"id": "` + id + `", "type": "receivable"}, "status": "succeeded",
			"paid_at": "2024-05-28T10:00:00Z", "planned_payment_date": "2024-05-28", "payment_intent_id": "` + f.productID + `",
			"payment_intent_status": "succeeded", "payment_method": "bank_transfer"}`
		sendsEverything(t, "PaymentRecordRequest", payment)
		r = e.raw("POST", "/payment_records", strings.NewReader(payment), nil)
		if r.status != 201 {
			t.Fatalf("payment with every field: %d %s", r.status, r.body)
		}
		var pr map[string]any
		r.decode(t, &pr)
		echoes(t, "payment", payment, pr, "amount", "currency", "status", "planned_payment_date", "payment_intent_id", "payment_intent_status", "payment_method")

		based := `{"type": "credit_note", "based_on": "` + id + `"}`
		sendsEverything(t, "ReceivableCreateBasedOnPayload", based)
		r = e.raw("POST", "/receivables", strings.NewReader(based), nil)
		if r.status != 201 {
			t.Fatalf("credit note with every field: %d %s", r.status, r.body)
		}
		var cn map[string]any
		r.decode(t, &cn)
		cnPatch := `{"credit_note": {"counterpart_billing_address_id": "` + f.addressID + `", "counterpart_shipping_address_id": "` + f.addressID + `",
			"footer": "CN footer", "memo": "CN memo", "partner_metadata": {"k": "cn"},
			"line_items": {"` + f.productID + `": {"quantity": 1, "price_diff": 1000, "old_price": 5000}}}}`
		sendsEverything(t, "UpdateCreditNotePayload", cnPatch)
		r = e.raw("PATCH", "/receivables/"+cn["id"].(string), strings.NewReader(cnPatch), nil)
		if r.status != 200 {
			t.Fatalf("PATCH a credit note with every field: %d %s", r.status, r.body)
		}
		r.decode(t, &patched)
		_ = json.Unmarshal([]byte(cnPatch), &in)
		echoes(t, "PATCH credit_note", mustJSON(in["credit_note"]), patched, "memo", "footer", "partner_metadata")

		cancel := `{"payment_intent_status": "refunded"}`
		sendsEverything(t, "PaymentRecordStatusUpdateRequest", cancel)
		r = e.raw("POST", "/payment_records/"+pr["id"].(string)+"/cancel", strings.NewReader(cancel), nil)
		if r.status != 200 {
			t.Fatalf("cancel a payment with every field: %d %s", r.status, r.body)
		}
		r.decode(t, &pr)
		echoes(t, "cancel payment", cancel, pr, "payment_intent_status")
	})
}

// echoes requires the response to carry each named field of the request as it was sent.
func echoes(t *testing.T, what, request string, response map[string]any, fields ...string) {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal([]byte(request), &req); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if !reflect.DeepEqual(req[f], response[f]) {
			t.Errorf("%s: sent %s = %v, the response has %v", what, f, req[f], response[f])
		}
	}
}
