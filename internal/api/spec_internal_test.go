package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/apispec"
)

// requestTypes is the Go type each handler decodes its request body into, by operationId.
var requestTypes = map[string]any{
	"post_auth_token":                            typeOf[tokenRequest](),
	"post_auth_revoke":                           typeOf[revokeRequest](),
	"post_entities":                              typeOf[entityInput](),
	"patch_entities_id":                          typeOf[entityInput](),
	"patch_entities_id_settings":                 typeOf[map[string]any](),
	"post_counterparts":                          typeOf[counterpartInput](),
	"patch_counterparts_id":                      typeOf[counterpartInput](),
	"post_counterparts_id_addresses":             typeOf[counterpartAddressInput](),
	"post_products":                              typeOf[productInput](),
	"patch_products_id":                          typeOf[productInput](),
	"post_receivables":                           typeOf[receivableInput](),
	"patch_receivables_id":                       typeOf[receivablePatch](),
	"put_receivables_id_line_items":              typeOf[lineItemsBody](),
	"post_payment_records":                       typeOf[paymentRecordInput](),
	"post_payment_records_id_cancel":             typeOf[paymentStatusInput](),
	"post_receivables_id_mark_as_paid":           typeOf[paidInput](),
	"post_receivables_id_mark_as_partially_paid": typeOf[partiallyPaidInput](),
	"post_receivables_id_mark_as_uncollectible":  typeOf[uncollectibleInput](),
	"post_accounting_connections":                typeOf[connectionInput](),
	"post_webhook_subscriptions":                 typeOf[subscriptionInput](),
	"patch_webhook_subscriptions_id":             typeOf[subscriptionInput](),
	"post_counterparts_id_vat_ids":               typeOf[vatIDInput](),
	"patch_counterparts_id_vat_ids_id":           typeOf[vatIDInput](),
	"post_entities_id_vat_ids":                   typeOf[vatIDInput](),
	"patch_entities_id_vat_ids_id":               typeOf[vatIDInput](),
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// TestServedRequestSchemasAreAccepted checks that /openapi.json promises nothing the handlers
// refuse or ignore: every property of every request schema it serves is decoded by the handler
// (a field of its input type, or a map or raw JSON that keeps whatever is sent), or the schema's
// "booksync:" note names it as different from Monite's.
func TestServedRequestSchemasAreAccepted(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(apispec.Document())
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			typ, ok := requestTypes[op.OperationID]
			if !ok {
				t.Errorf("%s %s (%s) takes a body, but the test does not know its handler's input type", method, path, op.OperationID)
				continue
			}
			schema := op.RequestBody.Value.Content.Get("application/json").Schema
			checkAccepted(t, op.OperationID, schema, typ.(reflect.Type), "body", map[*openapi3.Schema]bool{})
		}
	}
}

func checkAccepted(t *testing.T, op string, ref *openapi3.SchemaRef, typ reflect.Type, path string, seen map[*openapi3.Schema]bool) {
	t.Helper()
	if ref == nil || ref.Value == nil {
		return
	}
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array {
		if typ == reflect.TypeFor[json.RawMessage]() {
			return
		}
		typ = typ.Elem()
	}
	if typ.Kind() == reflect.Map || typ.Kind() == reflect.Interface {
		return // kept as given, whatever it holds
	}
	s := ref.Value
	for _, branches := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, b := range branches {
			checkAccepted(t, op, b, typ, path, seen)
		}
	}
	if s.Items != nil {
		checkAccepted(t, op, s.Items, typ, path+"[]", seen)
	}
	if len(s.Properties) == 0 {
		return
	}
	key := s
	if seen[key] {
		return
	}
	seen[key] = true
	if typ.Kind() != reflect.Struct {
		t.Errorf("%s: %s is an object in the served schema, but the handler decodes it as %s", op, path, typ)
		return
	}
	for name, prop := range s.Properties {
		f, ok := fieldByJSONName(typ, name)
		if !ok {
			if !strings.Contains(noteOf(s.Description), name) {
				t.Errorf("%s: the served schema advertises %s.%s, which the handler neither reads nor documents as different", op, path, name)
			}
			continue
		}
		checkAccepted(t, op, prop, f.Type, path+"."+name, seen)
	}
}

func fieldByJSONName(typ reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f, true
		}
		if f.Anonymous && tag == "" {
			if g, ok := fieldByJSONName(f.Type, name); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}

// noteOf returns the part of a schema description where booksync says how it differs.
func noteOf(desc string) string {
	_, note, ok := strings.Cut(desc, "booksync:")
	if !ok {
		return ""
	}
	return note
}

// responseTypes is the Go type each served response schema is written from, for the schemas
// booksync writes from one domain type.
var responseTypes = map[string]reflect.Type{
	"ProductServiceResponse":       typeOf[booksync.Product](),
	"PaymentRecordResponse":        typeOf[booksync.PaymentRecord](),
	"AccountingTaxRateResponse":    typeOf[booksync.AccountingTaxRate](),
	"LedgerAccountResponse":        typeOf[booksync.LedgerAccount](),
	"AccountingConnectionResponse": typeOf[booksync.Connection](),
	"SyncRecordResource":           typeOf[booksync.SyncedRecord](),
}

// TestServedResponseSchemasAreReturned checks that /openapi.json promises no response field
// booksync never writes: every property of these response schemas is a field of the type the
// response is written from, or the schema's "booksync:" note names it.
func TestServedResponseSchemasAreReturned(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(apispec.Document())
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range responseTypes {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("the served spec has no schema %s", name)
			continue
		}
		for prop := range ref.Value.Properties {
			if _, ok := fieldByJSONName(typ, prop); !ok && !strings.Contains(noteOf(ref.Value.Description), prop) {
				t.Errorf("%s advertises %s, which %s never writes and no booksync: note names", name, prop, typ)
			}
		}
	}
}
