package api_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/booksync/booksync/internal/contract"
)

// snapshot is what a rejected request must leave exactly as it was: the invoice and the payment
// records of the entity.
func (s *session) snapshot(invID string) string {
	s.h.t.Helper()
	inv := s.do("GET", "/receivables/"+invID, nil, 200, nil)
	pays := s.do("GET", "/payment_records?limit=100", nil, 200, nil)
	return string(inv.body) + "\n" + string(pays.body)
}

// mustRefuse sends a raw body and requires the status and a detail whose loc names field; the
// invoice and its payments must be unchanged afterwards.
func (s *session) mustRefuse(method, path, body string, status int, field, invID string) {
	s.h.t.Helper()
	before := s.snapshot(invID)
	r := s.raw(method, path, strings.NewReader(body), nil)
	if r.status != status {
		s.h.t.Errorf("%s %s %s: status %d, want %d; body %s", method, path, body, r.status, status, r.body)
	}
	if field != "" && !bytes.Contains(r.body, []byte(`"`+field+`"`)) {
		s.h.t.Errorf("%s %s %s: the error does not name %s: %s", method, path, body, field, r.body)
	}
	if after := s.snapshot(invID); after != before {
		s.h.t.Errorf("%s %s %s was refused but changed the invoice or its payments:\nbefore %s\nafter  %s", method, path, body, before, after)
	}
}

// TestPaymentAmountsAreBounded: a payment record's amount is positive and at most the invoice's
// amount due, whatever its status, because every ledger booksync pushes to refuses a refund or an
// overpayment, and booksync's amount_paid would then never agree with the books. A refused payment
// changes nothing.
func TestPaymentAmountsAreBounded(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Payments Ltd", "GB")
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f)
		pay := func(amount string, extra string) string {
			return `{"amount": ` + amount + `, "currency": "GBP", "object": {"id": "` + inv.ID + `", "type": "receivable"}` + extra + `}`
		}
		for _, amount := range []string{"-9223372036854775808", "9223372036854775807", "9007199254740992", "-9007199254740992", "9007199254740991", "0", "-1", "12001"} {
			e.mustRefuse("POST", "/payment_records", pay(amount, ""), 422, "amount", inv.ID)
			// A payment that does not move the invoice is bounded all the same.
			e.mustRefuse("POST", "/payment_records", pay(amount, `, "status": "processing"`), 422, "amount", inv.ID)
		}
		// The refusal of an overpayment says how much is due, so the caller can correct it.
		r := e.raw("POST", "/payment_records", strings.NewReader(pay("12001", "")), nil)
		if r.status != 422 || !bytes.Contains(r.body, []byte("12000")) {
			t.Errorf("overpayment: status %d, want 422 naming the amount due 12000: %s", r.status, r.body)
		}

		// 100, then the largest int64: the second must not wrap amount_paid round.
		e.do("POST", "/payment_records", map[string]any{"amount": 100, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, nil)
		e.mustRefuse("POST", "/payment_records", pay("9223372036854775807", ""), 422, "amount", inv.ID)
		// Neither a refund of what was paid nor one cent beyond what is now due.
		e.mustRefuse("POST", "/payment_records", pay("-100", ""), 422, "amount", inv.ID)
		e.mustRefuse("POST", "/payment_records", pay("11901", ""), 422, "amount", inv.ID)

		var got invoice
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &got)
		if got.AmountPaid != 100 || got.AmountDue != 12000-100 || got.Status != "partially_paid" {
			t.Fatalf("after a payment of 100: %+v", got)
		}

		// Exactly what is due pays the invoice, with nothing overpaid.
		var pr struct {
			Amount         int64 `json:"amount"`
			OverpaidAmount int64 `json:"overpaid_amount"`
		}
		e.do("POST", "/payment_records", map[string]any{"amount": 11900, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, &pr)
		if pr.Amount != 11900 || pr.OverpaidAmount != 0 {
			t.Errorf("payment of the amount due: %+v", pr)
		}
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &got)
		if got.AmountPaid != 12000 || got.AmountDue != 0 || got.Status != "paid" {
			t.Fatalf("after paying what was due: %+v", got)
		}
		e.mustRefuse("POST", "/payment_records", pay("1", ""), 409, "", inv.ID)
		e.mustRefuse("POST", "/payment_records", pay("-12000", ""), 422, "amount", inv.ID)
	})
}

// TestPaymentsRaceForTheAmountDue sends payments that each fit the amount due but together exceed
// it, all at once: exactly as many succeed as the amount due allows, and the invoice's amount paid
// is the sum of the payment records that were accepted.
func TestPaymentsRaceForTheAmountDue(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Race Ltd", "GB")
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f)
		// 12000 is due; two payments of 5000 fit, a third does not.
		const n, amount = 8, 5000
		// The requests go out from goroutines; what they answer is checked here, on the test's own.
		answers := make(chan response, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := `{"amount": 5000, "currency": "GBP", "object": {"id": "` + inv.ID + `", "type": "receivable"}}`
				answers <- e.send("POST", "/payment_records", strings.NewReader(body))
			}()
		}
		wg.Wait()
		close(answers)
		won := 0
		for r := range answers {
			contract.Check(t, "POST", "/payment_records", r.status, r.body)
			switch r.status {
			case 201:
				won++
			case 422:
			default:
				t.Errorf("racing payment: status %d, want 201 or 422: %s", r.status, r.body)
			}
		}
		if won != 2 {
			t.Errorf("%d payments of %d were accepted against 12000 due, want 2", won, amount)
		}
		var got invoice
		e.do("GET", "/receivables/"+inv.ID, nil, 200, &got)
		if got.AmountPaid != int64(won)*amount || got.AmountDue != 12000-got.AmountPaid {
			t.Errorf("after the race: paid %d due %d, want paid %d", got.AmountPaid, got.AmountDue, won*amount)
		}
	})
}

// TestInvoiceAmountsAreBounded sends amounts at and past the API's limits through every body that
// carries one: each is a 422 naming a field of the request, and nothing is stored.
func TestInvoiceAmountsAreBounded(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Amounts Ltd", "GB")
		f := e.fixture("GBP", 100)
		inv := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
		const max = "9007199254740991"
		inline := func(qty, price string, extra string) string {
			return `{"quantity": ` + qty + `, "tax_rate_value": 2000, "product": {"name": "Big", "price": {"currency": "GBP", "value": ` + price + `}}` + extra + `}`
		}
		create := func(lines ...string) string {
			return `{"type": "invoice", "currency": "GBP", "counterpart_id": "` + f.counterpartID + `", "counterpart_billing_address_id": "` +
				f.addressID + `", "line_items": [` + strings.Join(lines, ",") + `]}`
		}
		cases := []struct {
			name, method, path, body, field string
		}{
			{"quantity x price", "POST", "/receivables", create(inline("2147483647", max, "")), "quantity"},
			{"price past the limit", "POST", "/receivables", create(inline("1", "9007199254740992", "")), "value"},
			{"price with VAT past the limit", "POST", "/receivables", create(inline("1", max, "")), "quantity"},
			{"sum of lines", "POST", "/receivables", create(inline("1", "5000000000000000", ""), inline("1", "5000000000000000", "")), "line_items"},
			{"line discount past the limit", "POST", "/receivables", create(inline("1", "100", `, "discount": {"type": "amount", "amount": 9223372036854775807}`)), "amount"},
			{"deduction past the limit", "PATCH", "/receivables/" + inv.ID, `{"invoice": {"deduction_amount": 9223372036854775807}}`, "deduction_amount"},
			{"deduction over the total", "PATCH", "/receivables/" + inv.ID, `{"invoice": {"deduction_amount": 121}}`, "deduction_amount"},
			{"invoice discount past the limit", "PATCH", "/receivables/" + inv.ID, `{"invoice": {"discount": {"type": "amount", "amount": -9223372036854775808}}}`, "amount"},
			{"patched price", "PATCH", "/receivables/" + inv.ID, `{"invoice": {"line_items": [{"quantity": 2147483647, "price": ` + max + `}]}}`, "quantity"},
			{"put lines", "PUT", "/receivables/" + inv.ID + "/line_items", `{"data": [` + inline("2147483647", max, "") + `]}`, "quantity"},
			{"product price", "POST", "/products", `{"name": "P", "price": {"currency": "GBP", "value": 9223372036854775807}}`, "value"},
		}
		for _, c := range cases {
			e.mustRefuse(c.method, c.path, c.body, 422, c.field, inv.ID)
		}
		var list struct{ Data []any }
		e.do("GET", "/receivables", nil, 200, &list)
		if len(list.Data) != 1 {
			t.Errorf("refused creates left %d invoices, want the 1 fixture", len(list.Data))
		}
		e.do("GET", "/products", nil, 200, &list)
		if len(list.Data) != 1 {
			t.Errorf("refused product left %d products, want 1", len(list.Data))
		}
	})
}
