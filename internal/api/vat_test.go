package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

type vatRate struct {
	ID         string `json:"id"`
	Country    string `json:"country"`
	Value      int64  `json:"value"`
	Status     string `json:"status"`
	Components []struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	} `json:"components"`
}

// vatRates answers GET /vat_rates with the query given.
func (s *session) vatRates(query string) []vatRate {
	s.h.t.Helper()
	var out struct{ Data []vatRate }
	s.do("GET", "/vat_rates"+query, nil, 200, &out)
	return out.Data
}

// vatRate returns the id of the rate of the given value that applies to sales to the counterpart.
func (s *session) vatRate(counterpartID string, value int64) string {
	s.h.t.Helper()
	for _, r := range s.vatRates("?counterpart_id=" + counterpartID) {
		if r.Value == value {
			return r.ID
		}
	}
	s.h.t.Fatalf("no VAT rate of %d applies to counterpart %s", value, counterpartID)
	return ""
}

// customer creates an organization counterpart with one address in the country, and returns its id.
func (s *session) customer(name, country string) string {
	s.h.t.Helper()
	var cp struct{ ID string }
	s.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": name, "is_customer": true, "is_vendor": false,
		"address": map[string]any{"country": country, "city": "City", "postal_code": "12345", "line1": "1 Main Street"},
	}}, 201, &cp)
	return cp.ID
}

func values(rates []vatRate) []int64 {
	var out []int64
	for _, r := range rates {
		out = append(out, r.Value)
	}
	return out
}

// TestVatRatesGermanEntity asks GET /vat_rates what a German entity registered for VAT may charge a
// German customer (19% and 7%), a French business with a VAT id (0%, reverse charge), a French
// customer without one (German VAT) and a US customer (0%, export).
func TestVatRatesGermanEntity(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Berlin GmbH", "DE")
		german, french, frenchConsumer, american := e.customer("München AG", "DE"), e.customer("Paris SAS", "FR"),
			e.customer("Lyon Client", "FR"), e.customer("Austin Inc", "US")

		// Without a VAT id of its own the entity charges no VAT, as Monite answers.
		if got := e.vatRates("?counterpart_id=" + german); !slices.Equal(values(got), []int64{0}) {
			t.Fatalf("entity without a VAT id: rates %v, want [0]", values(got))
		}
		var entityVat struct {
			ID, EntityID, Country, Type, Value string
		}
		e.do("POST", "/entities/"+e.entityID+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE123456789"}, 201, &entityVat)
		var frVat struct {
			ID            string `json:"id"`
			CounterpartID string `json:"counterpart_id"`
			Value         string `json:"value"`
		}
		e.do("POST", "/counterparts/"+french+"/vat_ids", map[string]any{"country": "FR", "type": "eu_vat", "value": "FR12345678901"}, 201, &frVat)
		if frVat.CounterpartID != french || frVat.Value != "FR12345678901" {
			t.Fatalf("counterpart VAT id %+v", frVat)
		}

		domestic := e.vatRates("?counterpart_id=" + german)
		if !slices.Equal(values(domestic), []int64{1900, 700}) {
			t.Errorf("German customer: rates %v, want [1900 700]", values(domestic))
		}
		for _, r := range domestic {
			if r.Country != "DE" || r.Status != "active" || len(r.Components) != 1 || r.Components[0].Value != float64(r.Value) {
				t.Errorf("German customer: rate %+v, want country DE, active, one component of its value", r)
			}
		}
		reverse := e.vatRates("?counterpart_id=" + french + "&counterpart_vat_id_id=" + frVat.ID)
		if !slices.Equal(values(reverse), []int64{0}) || !strings.Contains(reverse[0].Components[0].Name, "reverse charge") {
			t.Errorf("French business with a VAT id: rates %+v, want one 0%% reverse charge", reverse)
		}
		if got := e.vatRates("?counterpart_id=" + french); !slices.Equal(values(got), []int64{0}) || got[0].ID != reverse[0].ID {
			t.Errorf("French business, its VAT id not named: rates %+v, want the same reverse charge", got)
		}
		if got := e.vatRates("?counterpart_id=" + frenchConsumer); !slices.Equal(values(got), []int64{1900, 700}) || got[0].ID != domestic[0].ID {
			t.Errorf("French customer without a VAT id: rates %+v, want Germany's, with the same ids", got)
		}
		export := e.vatRates("?counterpart_id=" + american + "&product_type=service")
		if !slices.Equal(values(export), []int64{0}) || !strings.Contains(export[0].Components[0].Name, "export") || export[0].ID == reverse[0].ID {
			t.Errorf("US customer: rates %+v, want one 0%% export rate of its own id", export)
		}
		if got := e.vatRates("?entity_vat_id_id=" + entityVat.ID); !slices.Equal(values(got), []int64{1900, 700}) {
			t.Errorf("no counterpart: rates %v, want the domestic [1900 700]", values(got))
		}

		// A VAT id or address of another counterpart is refused with the parameter named.
		for _, q := range []string{"?counterpart_id=" + german + "&counterpart_vat_id_id=" + frVat.ID,
			"?counterpart_vat_id_id=" + frVat.ID, "?entity_vat_id_id=" + frVat.ID} {
			r := e.raw("GET", "/vat_rates"+q, nil, nil)
			if r.status != 422 {
				t.Errorf("GET /vat_rates%s: status %d, want 422: %s", q, r.status, r.body)
			}
		}

		// A line's vat_rate_id resolves to its rate.
		var prod struct{ ID string }
		e.do("POST", "/products", map[string]any{"name": "Beratung", "type": "service",
			"price": map[string]any{"currency": "EUR", "value": 10000}}, 201, &prod)
		var inv struct {
			ID             string `json:"id"`
			TotalVATAmount int64  `json:"total_vat_amount"`
			LineItems      []struct {
				Product struct {
					VATRate struct {
						ID    string `json:"id"`
						Value int64  `json:"value"`
					} `json:"vat_rate"`
				} `json:"product"`
			} `json:"line_items"`
		}
		create := func(counterpartID, rateID string) map[string]any {
			var c struct {
				Address string `json:"default_billing_address_id"`
			}
			e.do("GET", "/counterparts/"+counterpartID, nil, 200, &c)
			return map[string]any{"type": "invoice", "currency": "EUR", "counterpart_id": counterpartID, "counterpart_billing_address_id": c.Address,
				"line_items": []any{map[string]any{"quantity": 1, "product_id": prod.ID, "vat_rate_id": rateID}}}
		}
		e.do("POST", "/receivables", create(german, domestic[1].ID), 201, &inv)
		if inv.TotalVATAmount != 700 || len(inv.LineItems) != 1 || inv.LineItems[0].Product.VATRate.ID != domestic[1].ID ||
			inv.LineItems[0].Product.VATRate.Value != 700 {
			t.Errorf("invoice with the 7%% rate's id: %+v, want 7%% VAT of 100.00 (700)", inv)
		}
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &inv)
		if inv.TotalVATAmount != 700 || inv.LineItems[0].Product.VATRate.ID != domestic[1].ID {
			t.Errorf("invoice read back: %+v, want the 7%% rate kept", inv)
		}
		// PATCH moves the line to the 19% rate; moving the invoice to a US customer, to whom the
		// German rate does not apply, is refused with the line's vat_rate_id named.
		draft := inv.ID
		e.do("PATCH", "/receivables/"+draft, map[string]any{"invoice": map[string]any{
			"line_items": []any{map[string]any{"vat_rate_id": domestic[0].ID}}}}, 200, &inv)
		if inv.TotalVATAmount != 1900 || inv.LineItems[0].Product.VATRate.ID != domestic[0].ID {
			t.Errorf("PATCH to the 19%% rate: %+v, want 1900 VAT", inv)
		}
		move := create(american, "")
		delete(move, "line_items")
		delete(move, "type")
		delete(move, "currency")
		r := e.raw("PATCH", "/receivables/"+draft, jsonBody(t, map[string]any{"invoice": move}), nil)
		if r.status != 422 || !strings.Contains(string(r.body), domestic[0].ID) || !strings.Contains(string(r.body), "vat_rate_id") {
			t.Errorf("moving a 19%% invoice to a US customer: status %d, want 422 naming the rate: %s", r.status, r.body)
		}
		e.do("GET", "/receivables/"+draft, nil, 200, &inv)
		if inv.TotalVATAmount != 1900 {
			t.Errorf("after the refused PATCH: VAT %d, want 1900 unchanged", inv.TotalVATAmount)
		}

		e.do("POST", "/receivables", create(french, reverse[0].ID), 201, &inv)
		if inv.TotalVATAmount != 0 {
			t.Errorf("reverse-charged invoice: VAT %d, want 0", inv.TotalVATAmount)
		}

		// A rate that does not apply to this counterpart, or a value disagreeing with it, is a 422
		// naming it, and no invoice is made.
		var before struct{ Data []json.RawMessage }
		e.do("GET", "/receivables", nil, 200, &before)
		r = e.raw("POST", "/receivables", jsonBody(t, create(american, domestic[0].ID)), nil)
		if r.status != 422 || !strings.Contains(string(r.body), domestic[0].ID) || !strings.Contains(string(r.body), "vat_rate_id") {
			t.Errorf("19%% to a US customer: status %d, want 422 naming the rate: %s", r.status, r.body)
		}
		bad := create(german, domestic[0].ID)
		bad["line_items"].([]any)[0].(map[string]any)["tax_rate_value"] = 700
		if r := e.raw("POST", "/receivables", jsonBody(t, bad), nil); r.status != 422 || !strings.Contains(string(r.body), "tax_rate_value") {
			t.Errorf("vat_rate_id 19%% with tax_rate_value 700: status %d, want 422: %s", r.status, r.body)
		}
		var after struct{ Data []json.RawMessage }
		e.do("GET", "/receivables", nil, 200, &after)
		if len(after.Data) != len(before.Data) {
			t.Errorf("refused invoices changed the list: %d invoices, want %d", len(after.Data), len(before.Data))
		}
	})
}

// TestVatIDsAreTenantChecked keeps each entity's and counterpart's VAT ids to its own partner and entity.
func TestVatIDsAreTenantChecked(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		p := h.partner()
		e := p.newEntity("Owner Ltd", "GB")
		other := p.newEntity("Other Ltd", "GB")
		stranger := h.partner().newEntity("Stranger Ltd", "GB")
		cp := e.customer("Client Ltd", "GB")

		var v struct{ ID, Value, Type string }
		e.do("POST", "/counterparts/"+cp+"/vat_ids", map[string]any{"value": "GB999999973"}, 201, &v)
		if v.Type != "unknown" {
			t.Errorf("VAT id without a type: type %q, want Monite's default unknown", v.Type)
		}
		e.do("PATCH", "/counterparts/"+cp+"/vat_ids/"+v.ID, map[string]any{"type": "gb_vat", "country": "GB"}, 200, &v)
		if v.Type != "gb_vat" || v.Value != "GB999999973" {
			t.Errorf("patched VAT id %+v", v)
		}
		var list struct {
			Data []map[string]any `json:"data"`
		}
		e.do("GET", "/counterparts/"+cp+"/vat_ids", nil, 200, &list)
		if len(list.Data) != 1 || list.Data[0]["counterpart_id"] != cp || list.Data[0]["entity_id"] != nil {
			t.Errorf("counterpart VAT ids %v, want the one, in Monite's shape", list.Data)
		}
		for _, s := range []*session{other, stranger} {
			for _, path := range []string{"/counterparts/" + cp + "/vat_ids", "/counterparts/" + cp + "/vat_ids/" + v.ID} {
				if r := s.raw("GET", path, nil, nil); r.status != 404 {
					t.Errorf("GET %s from another entity: status %d, want 404", path, r.status)
				}
			}
		}
		// booksync has no VAT rates for a US entity (sales taxes there are set by state): a 400 that
		// says to give tax_rate_value.
		us := p.newEntity("Austin LLC", "US")
		if r := us.raw("GET", "/vat_rates", nil, nil); r.status != 400 || !strings.Contains(string(r.body), "tax_rate_value") {
			t.Errorf("GET /vat_rates for a US entity: status %d, want 400 pointing to tax_rate_value: %s", r.status, r.body)
		}

		var ev struct{ ID string }
		e.do("POST", "/entities/"+e.entityID+"/vat_ids", map[string]any{"country": "GB", "type": "gb_vat", "value": "GB123456789"}, 201, &ev)
		if r := stranger.raw("GET", "/entities/"+e.entityID+"/vat_ids", nil, nil); r.status != 404 {
			t.Errorf("another partner reads the entity's VAT ids: status %d, want 404", r.status)
		}
		if r := stranger.raw("DELETE", "/entities/"+e.entityID+"/vat_ids/"+ev.ID, nil, nil); r.status != 404 {
			t.Errorf("another partner deletes the entity's VAT id: status %d, want 404", r.status)
		}
		// An entity's id is not reachable under a counterpart, nor a counterpart's under the entity.
		if r := e.raw("GET", "/entities/"+e.entityID+"/vat_ids/"+v.ID, nil, nil); r.status != 404 {
			t.Errorf("counterpart's VAT id under the entity: status %d, want 404", r.status)
		}
		e.do("DELETE", "/counterparts/"+cp+"/vat_ids/"+v.ID, nil, 204, nil)
		e.do("GET", "/counterparts/"+cp+"/vat_ids/"+v.ID, nil, 404, nil)
		e.do("DELETE", "/entities/"+e.entityID+"/vat_ids/"+ev.ID, nil, 204, nil)
		e.do("GET", "/entities/"+e.entityID+"/vat_ids", nil, 200, &list)
		if len(list.Data) != 0 {
			t.Errorf("entity VAT ids after delete: %v", list.Data)
		}
	})
}

func jsonBody(t *testing.T, v any) *strings.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// TestInvoiceVatIDs names the counterpart's and the entity's VAT ids on an invoice (each checked
// against its owner), and refuses to issue a reverse-charged invoice once its counterpart has no
// EU VAT id left.
func TestInvoiceVatIDs(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		p := h.partner()
		e := p.newEntity("Berlin GmbH", "DE")
		other := p.newEntity("Hamburg GmbH", "DE")
		french, german := e.customer("Paris SAS", "FR"), e.customer("München AG", "DE")
		type vatID struct {
			ID            string `json:"id"`
			CounterpartID string `json:"counterpart_id"`
			EntityID      string `json:"entity_id"`
			Country       string `json:"country"`
			Value         string `json:"value"`
		}
		var entityVat, otherVat, frVat, deVat vatID
		e.do("POST", "/entities/"+e.entityID+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE123456789"}, 201, &entityVat)
		other.do("POST", "/entities/"+other.entityID+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE987654321"}, 201, &otherVat)
		e.do("POST", "/counterparts/"+french+"/vat_ids", map[string]any{"country": "FR", "type": "eu_vat", "value": "FR12345678901"}, 201, &frVat)
		e.do("POST", "/counterparts/"+german+"/vat_ids", map[string]any{"country": "DE", "type": "eu_vat", "value": "DE111111111"}, 201, &deVat)
		reverse := e.vatRates("?counterpart_id=" + french)
		if len(reverse) != 1 || reverse[0].Value != 0 {
			t.Fatalf("French business with a VAT id: rates %+v, want one 0%% reverse charge", reverse)
		}
		var billing struct {
			Address string `json:"default_billing_address_id"`
		}
		e.do("GET", "/counterparts/"+french, nil, 200, &billing)
		invoice := func(fields map[string]any) map[string]any {
			body := map[string]any{"type": "invoice", "currency": "EUR", "counterpart_id": french, "counterpart_billing_address_id": billing.Address,
				"line_items": []any{map[string]any{"quantity": 2, "vat_rate_id": reverse[0].ID,
					"product": map[string]any{"name": "Beratung", "type": "service", "price": map[string]any{"currency": "EUR", "value": 10000}}}}}
			for k, v := range fields {
				body[k] = v
			}
			return body
		}
		var inv struct {
			ID               string `json:"id"`
			Status           string `json:"status"`
			TotalVATAmount   int64  `json:"total_vat_amount"`
			CounterpartVatID *vatID `json:"counterpart_vat_id"`
			EntityVatID      *vatID `json:"entity_vat_id"`
		}
		e.do("POST", "/receivables", invoice(map[string]any{"counterpart_vat_id_id": frVat.ID, "entity_vat_id_id": entityVat.ID}), 201, &inv)
		named := inv.ID
		e.do("GET", "/receivables/"+named, nil, 200, &inv)
		if c := inv.CounterpartVatID; c == nil || c.ID != frVat.ID || c.CounterpartID != french || c.Value != "FR12345678901" || c.EntityID != "" {
			t.Errorf("invoice's counterpart_vat_id %+v, want the French VAT id in Monite's shape", c)
		}
		if v := inv.EntityVatID; v == nil || v.ID != entityVat.ID || v.EntityID != e.entityID || v.Country != "DE" || v.Value != "DE123456789" {
			t.Errorf("invoice's entity_vat_id %+v, want the entity's, with its country", v)
		}

		// Another counterpart's or another entity's VAT id is a 422 naming the field, and changes nothing.
		for field, id := range map[string]string{"counterpart_vat_id_id": deVat.ID, "entity_vat_id_id": otherVat.ID} {
			if r := e.raw("POST", "/receivables", jsonBody(t, invoice(map[string]any{field: id})), nil); r.status != 422 || !strings.Contains(string(r.body), field) {
				t.Errorf("POST /receivables with a foreign %s: status %d, want 422 naming it: %s", field, r.status, r.body)
			}
			if r := e.raw("PATCH", "/receivables/"+named, jsonBody(t, map[string]any{"invoice": map[string]any{field: id}}), nil); r.status != 422 || !strings.Contains(string(r.body), field) {
				t.Errorf("PATCH with a foreign %s: status %d, want 422 naming it: %s", field, r.status, r.body)
			}
		}
		if r := e.raw("POST", "/receivables", jsonBody(t, invoice(map[string]any{"entity_vat_id_id": frVat.ID})), nil); r.status != 422 {
			t.Errorf("a counterpart's VAT id as entity_vat_id_id: status %d, want 422: %s", r.status, r.body)
		}
		e.do("GET", "/receivables/"+named, nil, 200, &inv)
		if inv.CounterpartVatID == nil || inv.CounterpartVatID.ID != frVat.ID || inv.EntityVatID == nil || inv.EntityVatID.ID != entityVat.ID {
			t.Errorf("after refused PATCHes: %+v, want the VAT ids unchanged", inv)
		}

		e.do("POST", "/receivables", invoice(nil), 201, &inv)
		unnamed := inv.ID
		// The French business's VAT id is deleted: neither draft may be issued reverse-charged.
		e.do("DELETE", "/counterparts/"+french+"/vat_ids/"+frVat.ID, nil, 204, nil)
		for id, field := range map[string]string{named: "counterpart_vat_id_id", unnamed: "vat_rate_id"} {
			r := e.raw("POST", "/receivables/"+id+"/issue", nil, nil)
			if r.status != 422 || !strings.Contains(string(r.body), field) || !strings.Contains(string(r.body), "/counterparts/"+french+"/vat_ids") {
				t.Errorf("issuing a reverse-charged invoice without the counterpart's VAT id: status %d, want 422 naming %s and how to add one: %s", r.status, field, r.body)
			}
			e.do("GET", "/receivables/"+id, nil, 200, &inv)
			if inv.Status != "draft" {
				t.Errorf("refused issue: status %q, want draft", inv.Status)
			}
		}
		// With a VAT id again, the invoice that names none is issued.
		e.do("POST", "/counterparts/"+french+"/vat_ids", map[string]any{"country": "FR", "type": "eu_vat", "value": "FR12345678901"}, 201, nil)
		e.do("POST", "/receivables/"+unnamed+"/issue", nil, 200, &inv)
		if inv.Status != "issued" || inv.TotalVATAmount != 0 {
			t.Errorf("issued reverse-charged invoice: %+v, want issued with no VAT", inv)
		}
	})
}
