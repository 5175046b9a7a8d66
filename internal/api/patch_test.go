package api_test

import (
	"strings"
	"testing"
)

// TestPatchReceivableByStatus sends each update body to an invoice in each status: a draft takes
// {"invoice": ...}, an issued or partially paid invoice takes {"issued_invoice": ...} with the
// fields Monite lists there that booksync serves, and a paid or canceled invoice takes nothing.
// Every refused request leaves the invoice and its payments exactly as they were.
func TestPatchReceivableByStatus(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Patch Ltd", "GB")
		f := e.fixture("GBP", 10000)
		pay := func(id string, amount int64) {
			e.do("POST", "/payment_records", map[string]any{"amount": amount, "currency": "GBP", "object": map[string]any{"id": id, "type": "receivable"}}, 201, nil)
		}
		// inStatus returns a new invoice (total 120.00) brought to a status.
		inStatus := func(status string) string {
			inv := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
			if status == "draft" {
				return inv.ID
			}
			e.do("POST", "/receivables/"+inv.ID+"/issue", nil, 200, nil)
			switch status {
			case "partially_paid":
				pay(inv.ID, 100)
			case "paid":
				pay(inv.ID, 12000)
			case "canceled":
				e.do("POST", "/receivables/"+inv.ID+"/cancel", nil, 204, nil)
			}
			return inv.ID
		}
		const (
			invoiceMemo      = `{"invoice": {"memo": "changed"}}`
			invoiceAmounts   = `{"invoice": {"deduction_amount": 5, "memo": "changed"}}`
			invoiceLines     = `{"invoice": {"line_items": [{"quantity": 3}]}}`
			issuedMemo       = `{"issued_invoice": {"memo": "changed", "footer": "changed", "fulfillment_date": "2024-05-25", "partner_metadata": {"k": "changed"}}}`
			issuedDueDate    = `{"issued_invoice": {"due_date": "2030-01-01"}}`
			issuedCustomer   = `{"issued_invoice": {"counterpart_id": "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"}}`
			both             = `{"invoice": {"memo": "changed"}, "issued_invoice": {"memo": "changed"}}`
			neither          = `{}`
			quote            = `{"quote": {"memo": "changed"}}`
			invoiceUnmanaged = `{"invoice": {"tag_ids": []}}`
		)
		// want is the status each body gets in each invoice status; 200 means the update applies.
		want := map[string]map[string]int{
			"draft":          {invoiceMemo: 200, invoiceAmounts: 200, invoiceLines: 200, issuedMemo: 409},
			"issued":         {invoiceMemo: 409, invoiceAmounts: 409, invoiceLines: 409, issuedMemo: 200},
			"partially_paid": {invoiceMemo: 409, invoiceAmounts: 409, invoiceLines: 409, issuedMemo: 200},
			"paid":           {invoiceMemo: 409, invoiceAmounts: 409, invoiceLines: 409, issuedMemo: 409},
			"canceled":       {invoiceMemo: 409, invoiceAmounts: 409, invoiceLines: 409, issuedMemo: 409},
		}
		for status, bodies := range want {
			// Bodies outside what booksync serves are a 422 whatever the status.
			for _, b := range []string{issuedDueDate, issuedCustomer, both, neither, quote, invoiceUnmanaged} {
				bodies[b] = 422
			}
			for body, code := range bodies {
				id := inStatus(status)
				if code != 200 {
					e.mustRefuse("PATCH", "/receivables/"+id, body, code, "", id)
					continue
				}
				var got struct {
					Status          string         `json:"status"`
					Memo            string         `json:"memo"`
					Footer          string         `json:"footer"`
					PartnerMetadata map[string]any `json:"partner_metadata"`
					DeductionAmount int64          `json:"deduction_amount"`
					LineItems       []struct {
						Quantity float64 `json:"quantity"`
					} `json:"line_items"`
				}
				r := e.raw("PATCH", "/receivables/"+id, strings.NewReader(body), nil)
				if r.status != 200 {
					t.Errorf("%s invoice, PATCH %s: %d %s", status, body, r.status, r.body)
					continue
				}
				r.decode(t, &got)
				ok := got.Status == status
				switch body {
				case invoiceMemo:
					ok = ok && got.Memo == "changed"
				case invoiceAmounts:
					ok = ok && got.Memo == "changed" && got.DeductionAmount == 5
				case invoiceLines:
					ok = ok && len(got.LineItems) == 1 && got.LineItems[0].Quantity == 3
				case issuedMemo:
					ok = ok && got.Memo == "changed" && got.Footer == "changed" && got.PartnerMetadata["k"] == "changed"
				}
				if !ok {
					t.Errorf("%s invoice, PATCH %s answered %s", status, body, r.body)
				}
			}
		}
	})
}
