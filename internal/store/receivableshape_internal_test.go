package store

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/booksync/booksync"
)

// receivableShapes holds, for each receivableDataVersion, the JSON shape of booksync.Receivable
// that the version stands for, as receivableShape describes it. A version's shape never changes:
// a new shape is a new version, so that rows stored in an older one are decoded when listed.
var receivableShapes = map[int]string{
	1: `id string
created_at time.Time (encodes itself)
updated_at time.Time (encodes itself)
type string
status string
based_on,omitempty *string
based_on_document_id,omitempty *string
comment,omitempty *string
document_id,omitempty *string
currency string
issue_date,omitempty *time.Time (encodes itself)
due_date,omitempty *string
fulfillment_date,omitempty *string
paid_at,omitempty *time.Time (encodes itself)
counterpart_id string
counterpart_type string
counterpart_name string
counterpart_tax_id,omitempty *string
counterpart_external_reference,omitempty *string
counterpart_billing_address,omitempty *struct
  id,omitempty *string
  country string
  city string
  postal_code string
  line1 string
  line2,omitempty *string
  state,omitempty *string
counterpart_shipping_address,omitempty *struct
  id,omitempty *string
  country string
  city string
  postal_code string
  line1 string
  line2,omitempty *string
  state,omitempty *string
counterpart_vat_id,omitempty *struct
  id string
  counterpart_id,omitempty string
  entity_id,omitempty string
  country,omitempty string
  type string
  value string
entity_vat_id,omitempty *struct
  id string
  counterpart_id,omitempty string
  entity_id,omitempty string
  country,omitempty string
  type string
  value string
entity struct
  type string
  name,omitempty *string
  first_name,omitempty *string
  last_name,omitempty *string
  email,omitempty *string
  phone,omitempty *string
  website,omitempty *string
  tax_id,omitempty *string
  registration_number,omitempty *string
  registration_authority,omitempty *string
entity_address struct
  id,omitempty *string
  country string
  city string
  postal_code string
  line1 string
  line2,omitempty *string
  state,omitempty *string
line_items []struct
  quantity booksync.Quantity (encodes itself)
  product struct
    id string
    name string
    description,omitempty *string
    type,omitempty string
    is_inline bool
    ledger_account_id,omitempty *string
    accounting_tax_rate_id,omitempty *string
    external_reference,omitempty *string
    price struct
      currency string
      value int64
    price_after_vat struct
      currency string
      value int64
    vat_rate struct
      id,omitempty string
      value int64
      country string
      name,omitempty *string
      is_custom bool
  discount,omitempty *struct
    type string
    amount int64
    value,omitempty *int64
  total_before_vat int64
  total_after_vat int64
discount,omitempty *struct
  type string
  amount int64
  value,omitempty *int64
deduction_amount,omitempty *int64
deduction_memo,omitempty *string
memo,omitempty *string
footer,omitempty *string
commercial_condition_description,omitempty *string
purchase_order,omitempty *string
trade_name,omitempty *string
payment_page_url,omitempty *string
partner_metadata,omitempty map[string]any
vat_mode string
vat_inclusive_discount_mode string
vat_exempt,omitempty *bool
vat_exemption_rationale,omitempty *string
file_language string
original_file_language string
related_documents struct
  credit_note_ids []string
subtotal int64
subtotal_after_vat int64
discounted_subtotal int64
total_vat_amount int64
total_vat_amounts []struct
  value int64
  amount int64
  taxable_amount int64
total_amount int64
total_amount_with_credit_notes int64
amount_paid int64
amount_due int64
amount_to_pay int64
`,
}

// TestReceivableDataShape: the JSON an invoice is stored in has the shape receivableDataVersion
// names. GET /receivables serves rows of that version as stored, so a change to Receivable's JSON
// without a new version would serve rows written before the change in their old shape.
func TestReceivableDataShape(t *testing.T) {
	got := receivableShape()
	want, ok := receivableShapes[receivableDataVersion]
	if !ok || got != want {
		t.Fatalf("booksync.Receivable's JSON is not the shape data version %d stands for, so rows stored "+
			"before the change would be listed in their old shape. Make receivableDataVersion %d and add "+
			"its shape to receivableShapes (never change an old version's):\n%d: `%s`",
			receivableDataVersion, receivableDataVersion+1, receivableDataVersion+1, got)
	}
	for v, shape := range receivableShapes {
		if v != receivableDataVersion && shape == got {
			t.Errorf("data versions %d and %d have the same shape", v, receivableDataVersion)
		}
	}
}

// receivableShape describes the JSON encodeReceivable writes for a booksync.Receivable, in data and
// api_lines: each field in the order encoding/json writes it, with its name and options, and the
// shape of its value.
func receivableShape() string {
	var b strings.Builder
	t := reflect.TypeFor[booksync.Receivable]()
	for i := range t.NumField() {
		f := t.Field(i)
		writeFieldShape(&b, f, "")
	}
	return b.String()
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// writeFieldShape writes one struct field as encoding/json sees it, or nothing for a field it
// skips.
func writeFieldShape(b *strings.Builder, f reflect.StructField, indent string) {
	tag := f.Tag.Get("json")
	if !f.IsExported() || tag == "-" {
		return
	}
	name := tag
	if name == "" || strings.HasPrefix(name, ",") {
		name = f.Name + name
	}
	if f.Anonymous {
		name += " (embedded)"
	}
	fmt.Fprintf(b, "%s%s %s\n", indent, name, typeShape(b, f.Type, indent+"  "))
}

// typeShape names how a value of type t is written; the fields of a struct it contains follow on
// the next lines, indented.
func typeShape(b *strings.Builder, t reflect.Type, indent string) string {
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return t.String() + " (encodes itself)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeShape(b, t.Elem(), indent)
	case reflect.Slice, reflect.Array:
		return "[]" + typeShape(b, t.Elem(), indent)
	case reflect.Map:
		return "map[" + t.Key().Kind().String() + "]" + typeShape(b, t.Elem(), indent)
	case reflect.Interface:
		return "any"
	case reflect.Struct:
		var fields strings.Builder
		for i := range t.NumField() {
			writeFieldShape(&fields, t.Field(i), indent)
		}
		return "struct\n" + strings.TrimSuffix(fields.String(), "\n")
	default:
		return t.Kind().String()
	}
}
