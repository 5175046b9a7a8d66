package apispec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var (
	sharedValidator     *Validator
	sharedValidatorErr  error
	sharedValidatorOnce sync.Once
)

func validator(t testing.TB) *Validator {
	t.Helper()
	sharedValidatorOnce.Do(func() { sharedValidator, sharedValidatorErr = NewValidator() })
	if sharedValidatorErr != nil {
		t.Fatal(sharedValidatorErr)
	}
	return sharedValidator
}

const (
	uuid1 = "9d2b4c8f-2087-4738-ba91-7359683c49a4"
	uuid2 = "0b5bd4b5-2b4c-4d5b-9d3a-3f0b2a0d6b51"
)

// fullInvoice uses most of what booksync serves of ReceivableFacadeCreateInvoicePayload,
// including inline products and discounts, as a client would send it.
var fullInvoice = `{
  "type": "invoice",
  "currency": "EUR",
  "counterpart_id": "` + uuid1 + `",
  "counterpart_billing_address_id": "` + uuid2 + `",
  "counterpart_shipping_address_id": "` + uuid2 + `",
  "document_id": "INV-0001",
  "fulfillment_date": "2024-05-25",
  "memo": "Thanks for your business",
  "footer": "Acme GmbH",
  "purchase_order": "PO-17",
  "deduction_amount": 0,
  "deduction_memo": "",
  "discount": {"type": "percentage", "amount": 500},
  "payment_page_url": "https://pay.example.com/inv/1",
  "partner_metadata": {"anything": ["goes", 1, null]},
  "vat_exempt": false,
  "is_einvoice": false,
  "line_items": [
    {"product_id": "` + uuid1 + `", "quantity": 2, "tax_rate_value": 2000},
    {"quantity": 1.5, "tax_rate_value": 1250, "accounting_tax_rate_id": "` + uuid2 + `",
     "discount": {"type": "amount", "amount": 100},
     "product": {"name": "Consulting", "type": "service", "price": {"currency": "EUR", "value": 12000},
                 "ledger_account_id": "` + uuid1 + `", "description": "Hourly"}}
  ]
}`

func TestValidateBodyAcceptsValidPayloads(t *testing.T) {
	t.Parallel()
	v := validator(t)
	cases := []struct{ op, body string }{
		{"post_receivables", fullInvoice},
		{"post_auth_token", `{"grant_type": "client_credentials", "client_id": "` + uuid1 + `", "client_secret": "s3cret"}`},
		// Nullable fields (anyOf [X, null]) take null.
		{"patch_entities_id_settings", `{"accounting": null, "vat_mode": null, "document_ids": {"prefix": null, "next_number": {"invoice": 9223372036854775807}}}`},
		{"patch_entities_id_settings", `{"accounting": {"ledger_account_ids": {"products": "` + uuid1 + `"}, "tax_ids": {"deductions": null}}}`},
		{"post_counterparts", `{"type": "organization", "organization": {"legal_name": "Acme Inc.", "is_customer": true, "is_vendor": false,
			"email": "billing@acme.example", "address": {"city": "Berlin", "country": "DE", "line1": "Flughafenstrasse 52", "postal_code": "10115"}}}`},
		{"post_counterparts", `{"type": "individual", "individual": {"first_name": "Adnan", "last_name": "Singh", "is_customer": true, "is_vendor": false,
			"address": {"city": "Berlin", "country": "DE", "line1": "Flughafenstrasse 52", "postal_code": "10115"}}}`},
		{"post_products", `{"name": "Widget", "price": {"currency": "USD", "value": 9007199254740991}, "smallest_amount": 0.5}`},
		{"put_receivables_id_line_items", `{"data": [{"product_id": "` + uuid1 + `", "quantity": 1.0}]}`},
		{"post_payment_records", `{"amount": 500, "currency": "EUR", "object": {"id": "` + uuid1 + `", "type": "receivable"}, "paid_at": "2024-05-25T10:00:00Z", "payment_intent_id": "` + uuid2 + `"}`},
		// Operations without a request body ignore whatever is sent.
		{"post_receivables_id_issue", `not json at all`},
		{"get_receivables", ``},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.op, i), func(t *testing.T) {
			t.Parallel()
			if d := v.ValidateBody(c.op, []byte(c.body)); d != nil {
				t.Fatalf("ValidateBody = %s, want nil", mustJSON(d))
			}
		})
	}
}

// invoice returns fullInvoice with top-level fields replaced (nil deletes).
func invoice(t testing.TB, changes map[string]any) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(fullInvoice))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return mustJSON(m)
}

func TestValidateBodyReportsEachErrorClass(t *testing.T) {
	t.Parallel()
	v := validator(t)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name    string
		op      string
		body    string
		want    Detail // Msg is matched as a substring
		wantLen int    // 0: exactly one detail
	}{
		{"malformed json", "post_receivables", `{"type": "invoice",}`,
			Detail{[]any{"body", 19}, "JSON decode error", "json_invalid"}, 0},
		{"truncated json", "post_receivables", `{"type": `,
			Detail{[]any{"body", 9}, "JSON decode error", "json_invalid"}, 0},
		{"trailing data", "post_receivables", `{} {}`,
			Detail{[]any{"body", 3}, "JSON decode error", "json_invalid"}, 0},
		{"empty body", "post_receivables", "  \n",
			Detail{[]any{"body"}, "Field required", "missing"}, 0},
		{"unknown property", "post_receivables", invoice(t, map[string]any{"colour": "red"}),
			Detail{[]any{"body", "colour"}, "Extra inputs are not permitted", "extra_forbidden"}, 0},
		{"unknown nested property", "post_receivables", invoice(t, map[string]any{"discount": raw(`{"type": "amount", "amount": 1, "why": "x"}`)}),
			Detail{[]any{"body", "discount", "why"}, "Extra inputs are not permitted", "extra_forbidden"}, 0},
		{"missing required", "post_receivables", invoice(t, map[string]any{"counterpart_id": nil}),
			Detail{[]any{"body", "counterpart_id"}, "Field required", "missing"}, 0},
		{"missing required in line item", "post_receivables", invoice(t, map[string]any{"line_items": raw(`[{"product_id": "` + uuid1 + `"}]`)}),
			Detail{[]any{"body", "line_items", 0, "quantity"}, "Field required", "missing"}, 0},
		{"int type", "post_receivables", invoice(t, map[string]any{"deduction_amount": "12"}),
			Detail{[]any{"body", "deduction_amount"}, "Input should be a valid integer", "int_type"}, 0},
		{"int from float", "post_receivables", invoice(t, map[string]any{"deduction_amount": raw(`1.5`)}),
			Detail{[]any{"body", "deduction_amount"}, "got a number with a fractional part", "int_from_float"}, 0},
		{"string type", "post_receivables", invoice(t, map[string]any{"memo": raw(`42`)}),
			Detail{[]any{"body", "memo"}, "Input should be a valid string", "string_type"}, 0},
		{"null where not nullable", "post_receivables", invoice(t, map[string]any{"memo": raw(`null`)}),
			Detail{[]any{"body", "memo"}, "Input should be a valid string", "string_type"}, 0},
		{"bool type", "post_receivables", invoice(t, map[string]any{"vat_exempt": "yes"}),
			Detail{[]any{"body", "vat_exempt"}, "Input should be a valid boolean", "bool_type"}, 0},
		{"float type in line item", "post_receivables", invoice(t, map[string]any{"line_items": raw(`[{"product_id": "` + uuid1 + `", "quantity": "2"}]`)}),
			Detail{[]any{"body", "line_items", 0, "quantity"}, "Input should be a valid number", "float_type"}, 0},
		{"list type", "post_receivables", invoice(t, map[string]any{"line_items": raw(`{"quantity": 1}`)}),
			Detail{[]any{"body", "line_items"}, "Input should be a valid list", "list_type"}, 0},
		{"dict type", "post_receivables", invoice(t, map[string]any{"discount": raw(`[1]`)}),
			Detail{[]any{"body", "discount"}, "Input should be a valid dictionary", "dict_type"}, 0},
		{"greater than equal in second line item", "post_receivables", invoice(t, map[string]any{"line_items": raw(`[{"product_id": "` + uuid1 + `", "quantity": 1}, {"product_id": "` + uuid1 + `", "quantity": -1}]`)}),
			Detail{[]any{"body", "line_items", 1, "quantity"}, "Input should be greater than or equal to 0", "greater_than_equal"}, 0},
		{"less than equal", "post_receivables", invoice(t, map[string]any{"line_items": raw(`[{"product_id": "` + uuid1 + `", "quantity": 1, "tax_rate_value": 10001}]`)}),
			Detail{[]any{"body", "line_items", 0, "tax_rate_value"}, "Input should be less than or equal to 10000", "less_than_equal"}, 0},
		{"string too short", "post_receivables", invoice(t, map[string]any{"document_id": ""}),
			Detail{[]any{"body", "document_id"}, "String should have at least 1 character", "string_too_short"}, 0},
		{"string too long", "post_receivables", invoice(t, map[string]any{"purchase_order": strings.Repeat("é", 101)}),
			Detail{[]any{"body", "purchase_order"}, "String should have at most 100 characters", "string_too_long"}, 0},
		{"enum", "post_receivables", invoice(t, map[string]any{"currency": "XXX"}),
			Detail{[]any{"body", "currency"}, "'EUR'", "enum"}, 0},
		{"enum via allOf", "post_receivables", invoice(t, map[string]any{"discount": raw(`{"type": "half", "amount": 1}`)}),
			Detail{[]any{"body", "discount", "type"}, "Input should be 'amount' or 'percentage'", "enum"}, 0},
		{"uuid", "post_receivables", invoice(t, map[string]any{"counterpart_id": "42"}),
			Detail{[]any{"body", "counterpart_id"}, "Input should be a valid UUID", "uuid_parsing"}, 0},
		{"uuid in array", "patch_entities_id_settings", `{"payables_ocr_auto_tagging": [{"enabled": true, "keywords": ["a"], "tag_id": "` + uuid1 + `"}, {"enabled": true, "keywords": ["b"], "tag_id": "nope"}]}`,
			Detail{[]any{"body", "payables_ocr_auto_tagging", 1, "tag_id"}, "Input should be a valid UUID", "uuid_parsing"}, 0},
		{"date", "post_receivables", invoice(t, map[string]any{"fulfillment_date": "25/05/2024"}),
			Detail{[]any{"body", "fulfillment_date"}, "valid date", "value_error"}, 0},
		{"uri", "post_receivables", invoice(t, map[string]any{"payment_page_url": "pay here"}),
			Detail{[]any{"body", "payment_page_url"}, "valid absolute URL", "value_error"}, 0},
		{"date-time", "post_payment_records", `{"amount": 1, "currency": "EUR", "object": {"id": "` + uuid1 + `", "type": "receivable"}, "paid_at": "yesterday"}`,
			Detail{[]any{"body", "paid_at"}, "valid date-time", "value_error"}, 0},
		{"email", "post_counterparts", `{"type": "organization", "organization": {"legal_name": "Acme", "is_customer": true, "is_vendor": false, "email": "not-an-email",
			"address": {"city": "Berlin", "country": "DE", "line1": "x", "postal_code": "1"}}}`,
			Detail{[]any{"body", "organization", "email"}, "valid email address", "value_error"}, 0},
		// 9007199254740993 rounds to 9007199254740992 as a float64; both
		// exceed 2^53-1, but only exact comparison reports the value sent.
		{"large integer above maximum", "post_products", `{"name": "Widget", "price": {"currency": "USD", "value": 9007199254740993}}`,
			Detail{[]any{"body", "price", "value"}, "Input should be less than or equal to 9007199254740991", "less_than_equal"}, 0},
		{"payment amount beyond the API's integers", "post_payment_records", `{"amount": -9223372036854775808, "currency": "EUR", "object": {"id": "` + uuid1 + `", "type": "receivable"}}`,
			Detail{[]any{"body", "amount"}, "greater than or equal to 1", "greater_than_equal"}, 0},
		{"integer beyond float64", "post_products", `{"name": "Widget", "price": {"currency": "USD", "value": 1e400}}`,
			Detail{[]any{"body", "price", "value"}, "got a number beyond any integer", "int_parsing_size"}, 0},
		{"refund", "post_payment_records", `{"amount": -500, "currency": "EUR", "object": {"id": "` + uuid1 + `", "type": "receivable"}}`,
			Detail{[]any{"body", "amount"}, "greater than or equal to 1", "greater_than_equal"}, 0},
		{"nullable field reports the non-null branch", "patch_entities_id_settings", `{"accounting": {"ledger_account_ids": {"products": "bob"}}}`,
			Detail{[]any{"body", "accounting", "ledger_account_ids", "products"}, "Input should be a valid UUID", "uuid_parsing"}, 0},
		{"nullable nested bound", "patch_entities_id_settings", `{"document_ids": {"next_number": {"invoice": 0}}}`,
			Detail{[]any{"body", "document_ids", "next_number", "invoice"}, "Input should be greater than or equal to 1", "greater_than_equal"}, 0},
		{"counterpart union picks branch by type", "post_counterparts", `{"type": "individual", "individual": {"first_name": "", "last_name": "Singh", "is_customer": true, "is_vendor": false,
			"address": {"city": "Berlin", "country": "DE", "line1": "x", "postal_code": "1"}}}`,
			Detail{[]any{"body", "individual", "first_name"}, "String should have at least 1 character", "string_too_short"}, 0},
		{"counterpart union unknown type", "post_counterparts", `{"type": "company", "organization": {}}`,
			Detail{[]any{"body", "type"}, "Input should be 'organization' or 'individual', not 'company'", "enum"}, 0},
		{"counterpart union missing type with nothing else to go on", "post_counterparts", `{}`,
			Detail{[]any{"body", "type"}, "Field required; it should be 'organization' or 'individual'", "missing"}, 0},
		{"counterpart union picks branch by required properties", "post_counterparts", `{"individual": {"first_name": "A", "last_name": "B", "is_customer": true, "is_vendor": false,
			"address": {"city": "Berlin", "country": "DE", "line1": "x", "postal_code": "1"}}}`,
			Detail{[]any{"body", "type"}, "Field required", "missing"}, 0},
		{"untagged union picks branch by properties", "patch_counterparts_id", `{"individual": {"first_name": ""}}`,
			Detail{[]any{"body", "individual", "first_name"}, "String should have at least 1 character", "string_too_short"}, 0},
		{"untagged union keeps errors all branches share", "patch_counterparts_id", `{"tax_id": 5}`,
			Detail{[]any{"body", "tax_id"}, "Input should be a valid string", "string_type"}, 2},
		{"counterpart union wrong kind", "post_counterparts", `"acme"`,
			Detail{[]any{"body"}, "Input should be a valid dictionary", "dict_type"}, 0},
		{"union with nothing to tell the branches apart", "patch_counterparts_id", `{"tax_id": 5}`,
			Detail{[]any{"body"}, "Input does not match any allowed shape: CounterpartIndividualRootUpdatePayload, CounterpartOrganizationRootUpdatePayload", "union_mismatch"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := v.ValidateBody(c.op, []byte(c.body))
			wantLen := c.wantLen
			if wantLen == 0 {
				wantLen = 1
			}
			if len(got) != wantLen {
				t.Fatalf("got %d details, want %d: %s", len(got), wantLen, mustJSON(got))
			}
			for _, d := range got {
				if reflect.DeepEqual(d.Loc, c.want.Loc) && d.Type == c.want.Type && strings.Contains(d.Msg, c.want.Msg) {
					return
				}
			}
			t.Fatalf("no detail like %s in %s", mustJSON(c.want), mustJSON(got))
		})
	}
}

func TestValidateBodyReportsEveryErrorInOrder(t *testing.T) {
	t.Parallel()
	v := validator(t)
	body := `{"type": "invoice", "currency": "EUR", "counterpart_id": "x", "colour": 1,
		"line_items": [{"quantity": -1, "discount": {"type": "amount"}}, {"product_id": "` + uuid1 + `", "quantity": "many"}]}`
	want := []Detail{
		{Loc: []any{"body", "colour"}, Msg: "Extra inputs are not permitted", Type: "extra_forbidden"},
		{Loc: []any{"body", "counterpart_billing_address_id"}, Msg: "Field required", Type: "missing"},
		{Loc: []any{"body", "counterpart_id"}, Msg: "Input should be a valid UUID, like 9d2b4c8f-2087-4738-ba91-7359683c49a4", Type: "uuid_parsing"},
		{Loc: []any{"body", "line_items", 0, "discount", "amount"}, Msg: "Field required", Type: "missing"},
		{Loc: []any{"body", "line_items", 0, "quantity"}, Msg: "Input should be greater than or equal to 0", Type: "greater_than_equal"},
		{Loc: []any{"body", "line_items", 1, "quantity"}, Msg: "Input should be a valid number", Type: "float_type"},
	}
	for range 20 { // map iteration order varies; the output must not
		got := v.ValidateBody("post_receivables", []byte(body))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %s\nwant %s", mustJSON(got), mustJSON(want))
		}
	}
}

func TestValidateBodyNarrowedReceivableBodies(t *testing.T) {
	t.Parallel()
	v := validator(t)
	// A quote payload is valid for Monite but not for booksync.
	got := v.ValidateBody("post_receivables", []byte(invoice(t, map[string]any{"type": "quote"})))
	if len(got) != 1 || got[0].Type != "enum" || !reflect.DeepEqual(got[0].Loc, []any{"body", "type"}) {
		t.Errorf("quote payload: %s", mustJSON(got))
	}
	got = v.ValidateBody("patch_receivables_id", []byte(`{"invoice": {"memo": "new memo"}}`))
	if got != nil {
		t.Errorf("invoice update: %s", mustJSON(got))
	}
	got = v.ValidateBody("patch_receivables_id", []byte(`{"issued_invoice": {"memo": "new memo", "footer": "f", "fulfillment_date": "2024-05-25", "partner_metadata": {}}}`))
	if got != nil {
		t.Errorf("issued invoice update: %s", mustJSON(got))
	}
	got = v.ValidateBody("patch_receivables_id", []byte(`{"quote": {"memo": "new memo"}}`))
	if len(got) == 0 {
		t.Error("quote update accepted")
	}
	// What booksync does not serve is refused by name, not silently dropped.
	for body, loc := range map[string][]any{
		`{"issued_invoice": {"due_date": "2024-06-01"}}`:                         {"body", "issued_invoice", "due_date"},
		`{"invoice": {"tag_ids": []}}`:                                           {"body", "invoice", "tag_ids"},
		`{"invoice": {"line_items": [{"custom_vat_rate_id": "` + uuid1 + `"}]}}`: {"body", "invoice", "line_items", 0, "custom_vat_rate_id"},
	} {
		got = v.ValidateBody("patch_receivables_id", []byte(body))
		if len(got) != 1 || got[0].Type != "extra_forbidden" || !reflect.DeepEqual(got[0].Loc, loc) {
			t.Errorf("%s: %s, want extra_forbidden at %v", body, mustJSON(got), loc)
		}
	}
}

func TestValidateBodyDetailJSONShape(t *testing.T) {
	t.Parallel()
	got := mustJSON(validator(t).ValidateBody("post_receivables", []byte(invoice(t, map[string]any{
		"line_items": json.RawMessage(`[{"product_id": "` + uuid1 + `", "quantity": -1}]`),
	}))))
	want := `[{"loc":["body","line_items",0,"quantity"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal"}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestValidateBodyUnknownOperationPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for an unknown operation id")
		}
	}()
	validator(t).ValidateBody("post_quotes", []byte(`{}`))
}

func TestValidateBodyKnowsEveryOperation(t *testing.T) {
	t.Parallel()
	v := validator(t)
	for _, op := range Operations() {
		v.ValidateBody(op.ID, []byte(`{}`)) // must not panic
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestValidateQueryEnum(t *testing.T) {
	t.Parallel()
	v := validator(t)
	cases := []struct {
		op, param, value string
		want             *Detail
	}{
		// An enum of its own, one through $ref, one through allOf, one beside null, and array items.
		{"get_receivables", "status", "paid", nil},
		{"get_receivables", "type", "credit_note", nil},
		{"get_accounting_synced_records", "object_type", "payment_record", nil},
		{"get_accounting_synced_records", "order", "desc", nil},
		{"get_entities", "status", "inactive", nil},
		{"get_products", "currency__in", "EUR", nil},
		// Parameters without an enum, and parameters the operation does not declare, take anything.
		{"get_products", "name", "anything", nil},
		{"get_products", "no_such_parameter", "anything", nil},
		{"get_receivables", "type", "bill", &Detail{Loc: []any{"query", "type"}, Msg: `Input should be 'quote', 'invoice' or 'credit_note', got "bill".`, Type: "enum"}},
		{"get_entities", "status", "Active", &Detail{Loc: []any{"query", "status"}, Msg: `Input should be 'active', 'inactive' or 'deleted', got "Active".`, Type: "enum"}},
		{"get_accounting_synced_records", "object_type", "", &Detail{Loc: []any{"query", "object_type"}, Msg: `Input should be 'product', 'customer', 'vendor', 'receivable', 'bill' or 'payment_record', got "".`, Type: "enum"}},
	}
	for _, c := range cases {
		got := v.ValidateQueryEnum(c.op, c.param, c.value)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s=%q: %+v, want %+v", c.op, c.param, c.value, got, c.want)
		}
	}
	// A repeated parameter's values are checked against its items' enum.
	if d := v.ValidateQueryEnum("get_products", "currency__in", "eur"); d == nil || !reflect.DeepEqual(d.Loc, []any{"query", "currency__in"}) ||
		!strings.HasPrefix(d.Msg, "Input should be 'AED', 'AFN'") || d.Type != "enum" {
		t.Errorf("currency__in=eur: %+v", d)
	}
	if got, want := v.QueryEnum("get_accounting_synced_records", "object_type"), []string{"product", "customer", "vendor", "receivable", "bill", "payment_record"}; !reflect.DeepEqual(got, want) {
		t.Errorf("QueryEnum(object_type) = %q, want %q", got, want)
	}
	if got := v.QueryEnum("get_products", "name"); got != nil {
		t.Errorf("QueryEnum(name) = %q, want none", got)
	}
	long := v.ValidateQueryEnum("get_receivables", "type", strings.Repeat("x", 100))
	if long == nil || !strings.HasSuffix(long.Msg, `got "`+strings.Repeat("x", 64)+`...".`) {
		t.Errorf("a long value is reported as %+v", long)
	}
}

func TestValidateQueryEnumUnknownOperationPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for an unknown operation")
		}
	}()
	validator(t).ValidateQueryEnum("get_nothing", "status", "x")
}
