package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/apispec"
)

// fixture is a customer and a product of an entity.
type fixture struct {
	counterpartID, addressID, productID string
}

func (s *session) fixture(currency string, price int64) fixture {
	var cp struct {
		ID                      string `json:"id"`
		DefaultBillingAddressID string `json:"default_billing_address_id"`
	}
	s.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": "Acme Ltd", "is_customer": true, "is_vendor": false, "email": "ap@acme.example",
		"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"},
	}}, 201, &cp)
	if cp.DefaultBillingAddressID == "" {
		s.h.t.Fatal("the address given at creation did not become the default billing address")
	}
	var prod struct{ ID string }
	s.do("POST", "/products", map[string]any{"name": "Consulting hour", "type": "service",
		"price": map[string]any{"currency": currency, "value": price}}, 201, &prod)
	return fixture{cp.ID, cp.DefaultBillingAddressID, prod.ID}
}

type invoice struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	DocumentID         *string `json:"document_id"`
	Subtotal           int64   `json:"subtotal"`
	DiscountedSubtotal int64   `json:"discounted_subtotal"`
	TotalVATAmount     int64   `json:"total_vat_amount"`
	TotalAmount        int64   `json:"total_amount"`
	AmountDue          int64   `json:"amount_due"`
	AmountPaid         int64   `json:"amount_paid"`
	LineItems          []struct {
		Quantity       float64 `json:"quantity"`
		TotalBeforeVAT int64   `json:"total_before_vat"`
		TotalAfterVAT  int64   `json:"total_after_vat"`
		Product        struct {
			Price         struct{ Value int64 } `json:"price"`
			PriceAfterVAT struct{ Value int64 } `json:"price_after_vat"`
		} `json:"product"`
	} `json:"line_items"`
}

func (s *session) newInvoice(f fixture, currency string, lines ...map[string]any) invoice {
	var inv invoice
	s.do("POST", "/receivables", map[string]any{"type": "invoice", "currency": currency,
		"counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": lines}, 201, &inv)
	return inv
}

// issuedInvoice creates and issues an invoice of one line: the fixture's product at 20% VAT.
func (s *session) issuedInvoice(f fixture) invoice {
	inv := s.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
	s.do("POST", "/receivables/"+inv.ID+"/issue", nil, 200, nil)
	return inv
}

func TestRoutesMatchOpenAPIDocument(t *testing.T) {
	t.Parallel()
	h := newHarness(t, t.TempDir()+"/b.db")
	var served []string
	for _, r := range h.api.Routes() {
		served = append(served, r.Method+" "+r.Path+" "+r.OperationID)
	}
	var documented []string
	for _, op := range apispec.Operations() {
		documented = append(documented, op.Method+" "+op.Path+" "+op.ID)
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Fatalf("routes and /openapi.json disagree\nserved:     %v\ndocumented: %v", served, documented)
	}
	s := &session{h: h}
	r := s.raw("GET", "/openapi.json", nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"/receivables/{receivable_id}/issue"`) {
		t.Fatalf("/openapi.json: %d %.200s", r.status, r.body)
	}
	r = s.raw("GET", "/docs", nil, nil)
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		s := h.partner()
		s.do("GET", "/entities", nil, 200, nil)

		anon := &session{h: h}
		anon.do("GET", "/entities", nil, 401, nil)
		bad := &session{h: h, token: "not-a-token"}
		bad.do("GET", "/entities", nil, 401, nil)
		anon.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": s.clientID, "client_secret": "wrong"}, 401, nil)
		anon.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": "7f1d7a59-1a51-4bfb-9d0e-2a0b1fb3b1c1", "client_secret": "x"}, 401, nil)
		anon.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": s.clientID}, 422, nil)

		// A revoked token stops working at once; the client can get a new one.
		anon.do("POST", "/auth/revoke", map[string]any{"client_id": s.clientID, "client_secret": "wrong", "token": s.token}, 401, nil)
		anon.do("POST", "/auth/revoke", map[string]any{"client_id": s.clientID, "client_secret": s.secret, "token": s.token}, 200, nil)
		s.do("GET", "/entities", nil, 401, nil)
	})
}

// TestEntityAuth checks the authentication of entity-scoped calls, which read the token and the
// entity together: a token that is not valid is refused first, whatever x-monite-entity-id holds;
// then the header; then an entity that is not the partner's.
func TestEntityAuth(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.partner(), h.partner()
		a := alice.newEntity("Alpha", "GB")
		b := bob.newEntity("Bravo", "GB")
		a.do("GET", "/receivables", nil, 200, nil)

		for _, id := range []string{a.entityID, "not-a-uuid", ""} {
			(&session{h: h, entityID: id}).do("GET", "/receivables", nil, 401, nil)
			(&session{h: h, token: "not-a-token", entityID: id}).do("GET", "/receivables", nil, 401, nil)
		}
		alice.do("GET", "/receivables", nil, 422, nil) // no x-monite-entity-id
		alice.forEntity("not-a-uuid").do("GET", "/receivables", nil, 422, nil)
		alice.forEntity(b.entityID).do("GET", "/receivables", nil, 404, nil)
		alice.forEntity(uuid.NewString()).do("GET", "/receivables", nil, 404, nil)
		b.do("GET", "/receivables", nil, 200, nil)

		// A revoked token stops working at once for entity-scoped calls too.
		(&session{h: h}).do("POST", "/auth/revoke", map[string]any{"client_id": alice.clientID, "client_secret": alice.secret, "token": alice.token}, 200, nil)
		a.do("GET", "/receivables", nil, 401, nil)
		a.forEntity("not-a-uuid").do("GET", "/receivables", nil, 401, nil)
		b.do("GET", "/receivables", nil, 200, nil)
	})
}

// TestIssueRefusesDeletedCounterpart: a draft whose counterpart was deleted since is refused at
// issue with a 400 that says so, and stays a draft.
func TestIssueRefusesDeletedCounterpart(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Alpha", "GB")
		f := e.fixture("GBP", 1000)
		var inv struct{ ID, Status string }
		e.do("POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID,
			"counterpart_billing_address_id": f.addressID,
			"line_items":                     []any{map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000}}}, 201, &inv)
		e.do("DELETE", "/counterparts/"+f.counterpartID, nil, 204, nil)
		r := e.do("POST", "/receivables/"+inv.ID+"/issue", nil, 400, nil)
		if !strings.Contains(string(r.body), "counterpart "+f.counterpartID+" was deleted") {
			t.Fatalf("issue with a deleted counterpart: %s", r.body)
		}
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &inv)
		if inv.Status != "draft" {
			t.Fatalf("status after the refused issue = %s, want draft", inv.Status)
		}
	})
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.partner(), h.partner()
		a1 := alice.newEntity("Alpha One", "GB")
		a2 := alice.newEntity("Alpha Two", "GB")
		b1 := bob.newEntity("Bravo", "DE")

		f := a1.fixture("GBP", 10000)
		inv := a1.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})

		// Bob sees none of Alice's entities, by list or by id, nor can he act for them.
		var list struct{ Data []struct{ ID string } }
		bob.do("GET", "/entities", nil, 200, &list)
		if len(list.Data) != 1 || list.Data[0].ID != b1.entityID {
			t.Fatalf("bob lists %+v", list.Data)
		}
		bob.do("GET", "/entities/"+a1.entityID, nil, 404, nil)
		bob.do("PATCH", "/entities/"+a1.entityID, map[string]any{"email": "x@y.example"}, 404, nil)
		bob.do("GET", "/entities/"+a1.entityID+"/settings", nil, 404, nil)
		bob.forEntity(a1.entityID).do("GET", "/receivables/"+inv.ID, nil, 404, nil)
		bob.forEntity(a1.entityID).do("GET", "/receivables", nil, 404, nil)

		// Another entity of the same partner sees none of the first one's objects.
		a2.do("GET", "/receivables/"+inv.ID, nil, 404, nil)
		a2.do("GET", "/products/"+f.productID, nil, 404, nil)
		a2.do("GET", "/counterparts/"+f.counterpartID, nil, 404, nil)
		a2.do("GET", "/counterparts/"+f.counterpartID+"/addresses", nil, 404, nil)
		a2.do("POST", "/receivables/"+inv.ID+"/issue", nil, 404, nil)
		a2.do("DELETE", "/products/"+f.productID, nil, 404, nil)
		var empty struct{ Data []any }
		a2.do("GET", "/receivables", nil, 200, &empty)
		if len(empty.Data) != 0 {
			t.Fatalf("entity two lists entity one's invoices: %v", empty.Data)
		}
		// Naming another entity's product or counterpart in a body is a field error, not a leak.
		r := a2.do("POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP",
			"counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID,
			"line_items": []any{map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 0}}}, 422, nil)
		if !strings.Contains(string(r.body), "counterpart_id") {
			t.Fatalf("422 does not name counterpart_id: %s", r.body)
		}
		a2.do("POST", "/payment_records", map[string]any{"amount": 100, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 422, nil)
		// The entity header is required and must be a UUID.
		alice.do("GET", "/products", nil, 422, nil)
		alice.forEntity("nope").do("GET", "/products", nil, 422, nil)
	})
}

func TestInvoiceLifecycle(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Lifecycle Ltd", "GB")
		f := e.fixture("GBP", 12345) // 123.45
		inv := e.newInvoice(f, "GBP",
			map[string]any{"quantity": 2.5, "product_id": f.productID, "tax_rate_value": 2000},
			map[string]any{"quantity": 1, "tax_rate_value": 500, "product": map[string]any{"name": "Travel", "price": map[string]any{"currency": "GBP", "value": 999}}})
		// 2.5 x 123.45 = 308.625 -> 308.63; VAT 20% = 61.726 -> 61.73. 9.99 at 5% = 0.4995 -> 0.50.
		if inv.Status != "draft" || inv.DocumentID != nil {
			t.Fatalf("new invoice: %+v", inv)
		}
		if inv.Subtotal != 30863+999 || inv.TotalVATAmount != 6173+50 || inv.TotalAmount != 30863+999+6173+50 || inv.AmountDue != inv.TotalAmount {
			t.Fatalf("totals: %+v", inv)
		}
		if inv.LineItems[0].TotalAfterVAT != 30863+6173 || inv.LineItems[0].Product.PriceAfterVAT.Value != 14814 {
			t.Fatalf("line totals: %+v", inv.LineItems[0])
		}

		// A draft's lines may change; the totals follow.
		var lines struct {
			Data []struct {
				TotalBeforeVAT int64 `json:"total_before_vat"`
			}
		}
		e.do("PUT", "/receivables/"+inv.ID+"/line_items", map[string]any{"data": []any{
			map[string]any{"quantity": 3, "product_id": f.productID, "tax_rate_value": 2000}}}, 200, &lines)
		if len(lines.Data) != 1 || lines.Data[0].TotalBeforeVAT != 37035 {
			t.Fatalf("put lines: %+v", lines)
		}
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &inv)
		if inv.TotalAmount != 37035+7407 {
			t.Fatalf("after put: %+v", inv)
		}
		// Payments need an issued invoice.
		pay := map[string]any{"amount": 10000, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}
		e.do("POST", "/payment_records", pay, 409, nil)

		e.do("POST", "/receivables/"+inv.ID+"/issue", nil, 200, &inv)
		if inv.Status != "issued" || inv.DocumentID == nil || *inv.DocumentID != "INV-00001" {
			t.Fatalf("issued: %+v", inv)
		}
		e.do("POST", "/receivables/"+inv.ID+"/issue", nil, 409, nil)
		e.do("PUT", "/receivables/"+inv.ID+"/line_items", map[string]any{"data": []any{
			map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000}}}, 409, nil)
		e.do("PATCH", "/receivables/"+inv.ID, map[string]any{"invoice": map[string]any{"deduction_amount": 5}}, 409, nil)
		e.do("DELETE", "/receivables/"+inv.ID, nil, 409, nil)
		// A memo may still change on an issued invoice, with Monite's body for issued invoices.
		e.do("PATCH", "/receivables/"+inv.ID, map[string]any{"issued_invoice": map[string]any{"memo": "Thanks!"}}, 200, nil)

		// A second invoice gets the next number.
		inv2 := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 0})
		e.do("POST", "/receivables/"+inv2.ID+"/issue", nil, 200, &inv2)
		if *inv2.DocumentID != "INV-00002" {
			t.Fatalf("second number %v", *inv2.DocumentID)
		}

		var pr struct {
			ID     string
			Object struct {
				OldStatus string `json:"old_status"`
				NewStatus string `json:"new_status"`
			}
		}
		e.do("POST", "/payment_records", pay, 201, &pr)
		if pr.Object.OldStatus != "issued" || pr.Object.NewStatus != "partially_paid" {
			t.Fatalf("payment: %+v", pr)
		}
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &inv)
		if inv.Status != "partially_paid" || inv.AmountPaid != 10000 || inv.AmountDue != 44442-10000 {
			t.Fatalf("after partial payment: %+v", inv)
		}
		e.do("GET", "/payment_records/"+pr.ID, nil, 200, nil)
		e.do("POST", "/receivables/"+inv.ID+"/cancel", nil, 409, nil)
		// A payment that is only processing does not move the invoice.
		e.do("POST", "/payment_records", map[string]any{"amount": 34442, "currency": "GBP", "status": "processing", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, nil)
		e.do("POST", "/payment_records", map[string]any{"amount": 34442, "currency": "EUR", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 422, nil)
		e.do("POST", "/payment_records", map[string]any{"amount": 34442, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, nil)
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &inv)
		if inv.Status != "paid" || inv.AmountDue != 0 || inv.AmountPaid != 44442 {
			t.Fatalf("after full payment: %+v", inv)
		}
		var prs struct{ Data []any }
		e.do("GET", "/payment_records?object_id="+inv.ID, nil, 200, &prs)
		if len(prs.Data) != 3 {
			t.Fatalf("payment records of the invoice: %d", len(prs.Data))
		}

		// Issued and unpaid: cancel works once.
		e.do("POST", "/receivables/"+inv2.ID+"/cancel", nil, 204, nil)
		e.do("POST", "/receivables/"+inv2.ID+"/cancel", nil, 409, nil)
		e.do("GET", "/receivables/"+inv2.ID, nil, 200, &inv2)
		if inv2.Status != "canceled" {
			t.Fatalf("canceled: %v", inv2.Status)
		}
		// A draft is deleted, not canceled.
		inv3 := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 0})
		e.do("POST", "/receivables/"+inv3.ID+"/cancel", nil, 409, nil)
		e.do("DELETE", "/receivables/"+inv3.ID, nil, 204, nil)
		e.do("GET", "/receivables/"+inv3.ID, nil, 404, nil)
	})
}

func TestInclusiveVATAndDiscounts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Inclusive GmbH", "DE")
		var st struct {
			VATMode string `json:"vat_mode"`
		}
		e.do("PATCH", "/entities/"+e.entityID+"/settings", map[string]any{"vat_mode": "inclusive"}, 200, &st)
		if st.VATMode != "inclusive" {
			t.Fatalf("settings: %+v", st)
		}
		f := e.fixture("EUR", 11900) // 119.00 gross at 19%
		inv := e.newInvoice(f, "EUR",
			map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 1900},
			map[string]any{"quantity": 2, "product_id": f.productID, "tax_rate_value": 700, "discount": map[string]any{"type": "percentage", "amount": 1000}})
		// Line 1: gross 119.00, VAT 19.00, net 100.00.
		// Line 2: 2 x 119.00 = 238.00 less 10% = 214.20 gross; VAT 7/107 = 14.01; net 200.19.
		if inv.TotalAmount != 11900+21420 || inv.TotalVATAmount != 1900+1401 || inv.Subtotal != 10000+20019 {
			t.Fatalf("inclusive totals: %+v", inv)
		}
		// An invoice discount is spread over the lines and VAT recomputed per line.
		var got invoice
		e.do("PATCH", "/receivables/"+inv.ID, map[string]any{"invoice": map[string]any{"discount": map[string]any{"type": "amount", "amount": 3332}}}, 200, &got)
		// Shares of 33.32 by gross 119.00 : 214.20 -> 11.90 and 21.42; lines 107.10 and 192.78.
		// VAT: 107.10*19/119 = 17.10; 192.78*7/107 = 12.612 -> 12.61.
		if got.TotalAmount != 10710+19278 || got.TotalVATAmount != 1710+1261 || got.DiscountedSubtotal != (10710-1710)+(19278-1261) {
			t.Fatalf("discounted: %+v", got)
		}
	})
}

func TestBadInputLosesNothing(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Strict Ltd", "GB")
		f := e.fixture("GBP", 1000)
		line := func(extra map[string]any) map[string]any {
			l := map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000}
			for k, v := range extra {
				l[k] = v
			}
			return l
		}
		cases := []struct {
			name   string
			body   string
			status int
			want   string // a field name the error must mention
		}{
			{"malformed JSON", `{"type": "invoice",`, 422, "body"},
			{"not an object", `[1,2]`, 422, "body"},
			{"empty body", ``, 422, "body"},
			{"unknown field", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(nil)}, "colour": "red"}), 422, "colour"},
			{"wrong type", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(map[string]any{"quantity": "two"})}}), 422, "quantity"},
			{"negative quantity", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(map[string]any{"quantity": -1})}}), 422, "quantity"},
			{"tax over 100%", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(map[string]any{"tax_rate_value": 10001})}}), 422, "tax_rate_value"},
			{"currency mismatch", mustJSON(map[string]any{"type": "invoice", "currency": "EUR", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(nil)}}), 422, "Currency mismatch"},
			{"unknown product", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(map[string]any{"product_id": "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"})}}), 422, "product_id"},
			{"unknown counterpart", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11", "counterpart_billing_address_id": f.addressID, "line_items": []any{line(nil)}}), 422, "counterpart_id"},
			{"foreign address", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11", "line_items": []any{line(nil)}}), 422, "counterpart_billing_address_id"},
			{"discount over line", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{line(map[string]any{"discount": map[string]any{"type": "amount", "amount": 1001}})}}), 422, "discount"},
			{"no tax rate", mustJSON(map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": f.counterpartID, "counterpart_billing_address_id": f.addressID, "line_items": []any{map[string]any{"quantity": 1, "product_id": f.productID}}}), 422, "tax_rate_value"},
			{"huge integer", `{"type":"invoice","currency":"GBP","counterpart_id":"` + f.counterpartID + `","counterpart_billing_address_id":"` + f.addressID + `","deduction_amount":9007199254740993,"line_items":[]}`, 422, "deduction_amount"},
			{"oversized body", `{"type":"invoice","memo":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`, 413, "limit"},
		}
		for _, c := range cases {
			r := e.raw("POST", "/receivables", strings.NewReader(c.body), nil)
			if r.status != c.status || !strings.Contains(string(r.body), c.want) {
				t.Errorf("%s: status %d, body %.300s; want %d mentioning %q", c.name, r.status, r.body, c.status, c.want)
			}
		}
		var list struct{ Data []any }
		e.do("GET", "/receivables", nil, 200, &list)
		if len(list.Data) != 0 {
			t.Fatalf("rejected requests left %d invoices behind", len(list.Data))
		}
		// Bad list parameters.
		for _, q := range []string{"?limit=0", "?limit=251", "?limit=x", "?pagination_token=garbage", "?sort=colour", "?order=up", "?status__in=draft&colour=red", "?created_at__gt=yesterday", "?counterpart_id=12"} {
			r := e.raw("GET", "/receivables"+q, nil, nil)
			if r.status != 422 {
				t.Errorf("GET /receivables%s: %d %s", q, r.status, r.body)
			}
		}
		e.do("GET", "/receivables/not-a-uuid", nil, 422, nil)
		e.do("GET", "/receivables/0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11", nil, 404, nil)
		if r := e.raw("POST", "/nope", nil, nil); r.status != 404 || !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("POST /nope: %d %s, want 404 in Monite's error shape", r.status, r.body)
		}
		if r := e.raw("DELETE", "/entities", nil, nil); r.status != 405 {
			t.Errorf("DELETE /entities: %d", r.status)
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
