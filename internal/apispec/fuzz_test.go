package apispec

import (
	"encoding/json"
	"testing"
)

// fuzzOperations cover objects, unions (counterparts), nullable fields
// (settings, tokens), arrays of objects (line items) and numbers.
var fuzzOperations = []string{
	"post_receivables", "post_counterparts", "patch_counterparts_id", "patch_entities_id_settings",
	"post_auth_token", "put_receivables_id_line_items", "post_payment_records", "post_entities",
}

func FuzzValidateBody(f *testing.F) {
	for _, seed := range []string{
		fullInvoice, `{}`, `[]`, `null`, `"x"`, `1e400`, `-0`, `{"type": "organization", "organization": {}}`,
		`{"line_items": [{"quantity": 1e-400}, {"quantity": 99999999999999999999999}]}`,
		`{"data": [{"quantity": 1.5, "product": {"price": {"value": 9007199254740993}}}]}`,
		`{"document_ids": {"next_number": {"invoice": -9223372036854775809}}}`, `{"a":`, "\xff\xfe",
	} {
		for i := range fuzzOperations {
			f.Add(uint8(i), []byte(seed))
		}
	}
	v := validator(f)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		details := v.ValidateBody(fuzzOperations[int(op)%len(fuzzOperations)], body)
		for _, d := range details {
			if len(d.Loc) == 0 || d.Loc[0] != "body" || d.Msg == "" || d.Type == "" {
				t.Fatalf("malformed detail %+v", d)
			}
		}
		if _, err := json.Marshal(details); err != nil {
			t.Fatalf("details do not marshal: %v", err)
		}
	})
}
