package api_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/contract"
)

// creditNote is what the tests read of a credit note, and of the invoice it credits.
type creditNote struct {
	ID                         string  `json:"id"`
	Type                       string  `json:"type"`
	Status                     string  `json:"status"`
	DocumentID                 *string `json:"document_id"`
	BasedOn                    *string `json:"based_on"`
	BasedOnDocumentID          *string `json:"based_on_document_id"`
	CounterpartID              string  `json:"counterpart_id"`
	Currency                   string  `json:"currency"`
	Memo                       *string `json:"memo"`
	Comment                    *string `json:"comment"`
	PaidAt                     *string `json:"paid_at"`
	TotalAmount                int64   `json:"total_amount"`
	TotalAmountWithCreditNotes int64   `json:"total_amount_with_credit_notes"`
	AmountDue                  int64   `json:"amount_due"`
	AmountToPay                int64   `json:"amount_to_pay"`
	AmountPaid                 int64   `json:"amount_paid"`
	RelatedDocuments           struct {
		CreditNoteIDs []string `json:"credit_note_ids"`
	} `json:"related_documents"`
	LineItems []json.RawMessage `json:"line_items"`
}

func (s *session) receivable(id string) creditNote {
	s.h.t.Helper()
	var r creditNote
	s.do("GET", "/receivables/"+id, nil, 200, &r)
	return r
}

// newCreditNote creates a draft credit note of the invoice and, with priceDiff, lowers its line's
// price by that much.
func (s *session) newCreditNote(inv invoice, productID string, priceDiff int64) creditNote {
	s.h.t.Helper()
	var cn creditNote
	s.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": inv.ID}, 201, &cn)
	if priceDiff > 0 {
		s.do("PATCH", "/receivables/"+cn.ID, map[string]any{"credit_note": map[string]any{
			"line_items": map[string]any{productID: map[string]any{"quantity": 1, "price_diff": priceDiff}}}}, 200, &cn)
	}
	return cn
}

// TestCreditNotes: a credit note of an issued invoice is created as a draft copy of it, edited,
// and issued with its own number; issuing lowers the invoice's amount due, never below nothing.
func TestCreditNotes(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		p := h.partner()
		e := p.newEntity("Credit Ltd", "GB")
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f) // 100.00 + 20% VAT: 120.00 due

		var cn creditNote
		e.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": inv.ID}, 201, &cn)
		if cn.Type != "credit_note" || cn.Status != "draft" || cn.BasedOn == nil || *cn.BasedOn != inv.ID ||
			cn.BasedOnDocumentID == nil || *cn.BasedOnDocumentID != "INV-00001" || cn.DocumentID != nil ||
			cn.CounterpartID != f.counterpartID || cn.Currency != "GBP" || cn.TotalAmount != 12000 || len(cn.LineItems) != 1 {
			t.Fatalf("new credit note = %+v", cn)
		}

		// A draft credit note is edited with Monite's UpdateCreditNotePayload: 50.00 off the line.
		e.do("PATCH", "/receivables/"+cn.ID, map[string]any{"credit_note": map[string]any{"memo": "Half refunded",
			"line_items": map[string]any{f.productID: map[string]any{"quantity": 1, "price_diff": 5000, "old_price": 10000}}}}, 200, &cn)
		if cn.TotalAmount != 6000 || cn.Memo == nil || *cn.Memo != "Half refunded" {
			t.Fatalf("edited credit note = %+v", cn)
		}
		e.mustRefuse("PATCH", "/receivables/"+cn.ID, `{"credit_note": {"line_items": {"`+inv.ID+`": {"quantity": 1}}}}`, 422, inv.ID, inv.ID)
		e.mustRefuse("PATCH", "/receivables/"+cn.ID, `{"credit_note": {"line_items": {"`+f.productID+`": {"quantity": 1, "price_diff": 10000}}}}`, 422, "price_diff", inv.ID)
		e.mustRefuse("PATCH", "/receivables/"+cn.ID, `{"invoice": {"memo": "x"}}`, 409, "", inv.ID)
		e.mustRefuse("PATCH", "/receivables/"+inv.ID, `{"credit_note": {"memo": "x"}}`, 409, "", inv.ID)
		// Its lines can be replaced too, as an invoice's are.
		e.do("PUT", "/receivables/"+cn.ID+"/line_items", map[string]any{"data": []any{
			map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000}}}, 200, nil)
		e.do("PATCH", "/receivables/"+cn.ID, map[string]any{"credit_note": map[string]any{
			"line_items": map[string]any{f.productID: map[string]any{"quantity": 1, "price_diff": 5000}}}}, 200, &cn)

		// What cannot be credited: a draft, a credit note, another entity's invoice, nothing.
		draft := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
		e.mustRefuse("POST", "/receivables", `{"type": "credit_note", "based_on": "`+draft.ID+`"}`, 409, "", inv.ID)
		e.mustRefuse("POST", "/receivables", `{"type": "credit_note", "based_on": "`+cn.ID+`"}`, 409, "", inv.ID)
		e.mustRefuse("POST", "/receivables", `{"type": "credit_note", "based_on": "00000000-0000-4000-8000-000000000000"}`, 404, "", inv.ID)
		e.mustRefuse("POST", "/receivables", `{"type": "invoice", "based_on": "`+inv.ID+`"}`, 422, "", inv.ID)
		other := p.newEntity("Other Ltd", "GB")
		other.mustRefuse("POST", "/receivables", `{"type": "credit_note", "based_on": "`+inv.ID+`"}`, 404, "", other.issuedInvoice(other.fixture("GBP", 100)).ID)
		for _, path := range []string{"/receivables/" + cn.ID, "/receivables/" + inv.ID} {
			other.do("GET", path, nil, 404, nil)
		}
		other.do("POST", "/receivables/"+cn.ID+"/issue", nil, 404, nil)

		// The whole invoice cannot be credited twice: the second credit note is refused at issue.
		whole := e.newCreditNote(inv, f.productID, 0)
		issued := e.do("POST", "/receivables/"+cn.ID+"/issue", nil, 200, &cn)
		if cn.Status != "issued" || cn.DocumentID == nil || *cn.DocumentID != "CN-00001" {
			t.Fatalf("issued credit note = %s", issued.body)
		}
		got := e.receivable(inv.ID)
		if got.Status != "issued" || got.AmountDue != 6000 || got.AmountToPay != 6000 || got.TotalAmountWithCreditNotes != 6000 ||
			got.TotalAmount != 12000 || len(got.RelatedDocuments.CreditNoteIDs) != 1 || got.RelatedDocuments.CreditNoteIDs[0] != cn.ID {
			t.Fatalf("the credited invoice = %+v", got)
		}
		before := e.snapshot(whole.ID)
		r := e.raw("POST", "/receivables/"+whole.ID+"/issue", nil, nil)
		if r.status != 409 || !strings.Contains(string(r.body), "12000") || !strings.Contains(string(r.body), "6000") {
			t.Fatalf("issuing a credit note beyond the amount due: %d %s, want 409 naming 12000 and 6000", r.status, r.body)
		}
		if e.snapshot(whole.ID) != before || e.receivable(inv.ID).AmountDue != 6000 {
			t.Fatalf("the refused credit note changed something")
		}

		// An issued credit note is final; a draft one is deleted.
		e.mustRefuse("PATCH", "/receivables/"+cn.ID, `{"credit_note": {"memo": "x"}}`, 409, "", cn.ID)
		e.mustRefuse("PUT", "/receivables/"+cn.ID+"/line_items", `{"data": []}`, 409, "", cn.ID)
		e.mustRefuse("DELETE", "/receivables/"+cn.ID, ``, 409, "", cn.ID)
		e.mustRefuse("POST", "/receivables/"+cn.ID+"/cancel", ``, 409, "", cn.ID)
		e.mustRefuse("POST", "/receivables/"+cn.ID+"/mark_as_paid", `{}`, 409, "", cn.ID)
		e.do("DELETE", "/receivables/"+whole.ID, nil, 204, nil)

		// Lists take Monite's type and based_on filters.
		var page struct{ Data []creditNote }
		e.do("GET", "/receivables?type=credit_note", nil, 200, &page)
		if len(page.Data) != 1 || page.Data[0].ID != cn.ID {
			t.Fatalf("credit notes listed: %+v", page.Data)
		}
		e.do("GET", "/receivables?based_on="+inv.ID, nil, 200, &page)
		if len(page.Data) != 1 || page.Data[0].ID != cn.ID {
			t.Fatalf("credit notes of the invoice listed: %+v", page.Data)
		}
		e.do("GET", "/receivables?type=invoice", nil, 200, &page)
		for _, r := range page.Data {
			if r.Type != "invoice" {
				t.Fatalf("type=invoice listed a %s", r.Type)
			}
		}

		// Crediting the rest leaves nothing to pay: the invoice is paid, and takes no more credit.
		rest := e.newCreditNote(inv, f.productID, 5000)
		e.do("POST", "/receivables/"+rest.ID+"/issue", nil, 200, &rest)
		if *rest.DocumentID != "CN-00002" {
			t.Fatalf("the second credit note is %s", *rest.DocumentID)
		}
		if got := e.receivable(inv.ID); got.Status != "paid" || got.AmountDue != 0 || got.PaidAt == nil || len(got.RelatedDocuments.CreditNoteIDs) != 2 {
			t.Fatalf("the invoice credited in full = %+v", got)
		}
		e.mustRefuse("POST", "/receivables", `{"type": "credit_note", "based_on": "`+inv.ID+`"}`, 409, "", inv.ID)
	})
}

// TestCreditNotesRaceForTheAmountDue: two credit notes issued at once cannot together credit
// more than the invoice has due.
func TestCreditNotesRaceForTheAmountDue(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Credit Race Ltd", "GB")
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f)
		// 120.00 is due; each credit note is 72.00 (60.00 + VAT): one fits, not two.
		cns := []creditNote{e.newCreditNote(inv, f.productID, 4000), e.newCreditNote(inv, f.productID, 4000)}
		answers := make(chan response, len(cns))
		var wg sync.WaitGroup
		for _, cn := range cns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers <- e.send("POST", "/receivables/"+cn.ID+"/issue", nil)
			}()
		}
		wg.Wait()
		close(answers)
		won := 0
		for r := range answers {
			contract.Check(t, "POST", "/receivables/x/issue", r.status, r.body)
			switch r.status {
			case 200:
				won++
			case 409:
			default:
				t.Errorf("racing credit note: status %d, want 200 or 409: %s", r.status, r.body)
			}
		}
		if got := e.receivable(inv.ID); won != 1 || got.AmountDue != 12000-7200 {
			t.Fatalf("%d credit notes of 7200 issued against 12000 due, leaving %d due; want 1", won, got.AmountDue)
		}
	})
}

// TestMarkAs: mark_as_partially_paid and mark_as_paid record the missing amount as a payment, so
// amount_paid is always the sum of the payments; mark_as_uncollectible changes the status only.
func TestMarkAs(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		p := h.partner()
		e := p.newEntity("Marks Ltd", "GB")
		e.connectBooks(booksync.ConnectionConnected)
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f) // 12000 due
		base := "/receivables/" + inv.ID

		var got creditNote
		e.do("POST", base+"/mark_as_partially_paid", map[string]any{"amount_paid": 5000, "comment": "first half"}, 200, &got)
		if got.Status != "partially_paid" || got.AmountPaid != 5000 || got.AmountDue != 7000 || got.Comment == nil || *got.Comment != "first half" {
			t.Fatalf("partially paid = %+v", got)
		}
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{"amount_paid": 5000}`, 422, "amount_paid", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{"amount_paid": 4000}`, 422, "amount_paid", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{"amount_paid": 12000}`, 422, "amount_paid", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{"amount_paid": 0}`, 422, "amount_paid", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{}`, 422, "amount_paid", inv.ID)

		e.do("POST", base+"/mark_as_paid", map[string]any{"comment": "the rest", "paid_at": "2026-11-20T10:00:00Z"}, 200, &got)
		if got.Status != "paid" || got.AmountPaid != 12000 || got.AmountDue != 0 || got.PaidAt == nil || !strings.HasPrefix(*got.PaidAt, "2026-11-20T10:00:00") {
			t.Fatalf("paid = %+v", got)
		}
		var pays struct {
			Data []struct {
				ID     string `json:"id"`
				Amount int64  `json:"amount"`
				Status string `json:"status"`
			}
		}
		e.do("GET", "/payment_records?object_id="+inv.ID, nil, 200, &pays)
		sum := int64(0)
		for _, p := range pays.Data {
			if p.Status == "succeeded" {
				sum += p.Amount
			}
		}
		if len(pays.Data) != 2 || sum != 12000 {
			t.Fatalf("payments of the marked invoice: %+v, want two adding up to 12000", pays.Data)
		}
		// Each is pushed to the books, as a payment record is.
		var recs struct {
			Data []struct {
				ObjectID   string `json:"object_id"`
				SyncStatus string `json:"sync_status"`
			}
		}
		e.do("GET", "/accounting_synced_records?object_type=payment_record", nil, 200, &recs)
		if len(recs.Data) != 2 {
			t.Fatalf("payment records in the books: %+v, want 2", recs.Data)
		}
		e.mustRefuse("POST", base+"/mark_as_paid", `{}`, 409, "", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_partially_paid", `{"amount_paid": 12000}`, 409, "", inv.ID)
		e.mustRefuse("POST", base+"/mark_as_uncollectible", `{}`, 409, "", inv.ID)

		draft := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
		for _, op := range []string{"mark_as_paid", "mark_as_uncollectible"} {
			e.mustRefuse("POST", "/receivables/"+draft.ID+"/"+op, `{}`, 409, "", draft.ID)
		}
		e.mustRefuse("POST", "/receivables/"+draft.ID+"/mark_as_partially_paid", `{"amount_paid": 100}`, 409, "", draft.ID)

		// Uncollectible: the status only; a debt written off may still be paid.
		bad := e.issuedInvoice(f)
		e.do("POST", "/receivables/"+bad.ID+"/mark_as_uncollectible", map[string]any{"comment": "gone bust"}, 200, &got)
		if got.Status != "uncollectible" || got.AmountDue != 12000 || got.Comment == nil || *got.Comment != "gone bust" {
			t.Fatalf("uncollectible = %+v", got)
		}
		e.mustRefuse("POST", "/receivables/"+bad.ID+"/mark_as_uncollectible", `{}`, 409, "", bad.ID)
		e.do("POST", "/receivables/"+bad.ID+"/mark_as_paid", map[string]any{}, 200, &got)
		if got.Status != "paid" || got.AmountPaid != 12000 {
			t.Fatalf("an uncollectible invoice paid = %+v", got)
		}

		// Another entity's invoice is not there.
		other := p.newEntity("Other Marks Ltd", "GB")
		fresh := e.issuedInvoice(f)
		for op, body := range map[string]string{"mark_as_paid": `{}`, "mark_as_partially_paid": `{"amount_paid": 100}`, "mark_as_uncollectible": `{}`} {
			other.mustRefuse("POST", "/receivables/"+fresh.ID+"/"+op, body, 404, "", other.issuedInvoice(other.fixture("GBP", 100)).ID)
		}
		if got := e.receivable(fresh.ID); got.Status != "issued" || got.AmountPaid != 0 {
			t.Fatalf("another entity's marks changed the invoice: %+v", got)
		}
	})
}

// TestCancelPaymentRecord: a canceled payment no longer counts; its invoice's amounts and status
// follow, and a payment in the books is pushed again to be removed from them.
func TestCancelPaymentRecord(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, h *harness) {
		p := h.partner()
		e := p.newEntity("Cancel Pay Ltd", "GB")
		e.connectBooks(booksync.ConnectionConnected)
		f := e.fixture("GBP", 10000)
		inv := e.issuedInvoice(f)
		var first, second struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			History []struct {
				Status string `json:"status"`
			} `json:"history"`
		}
		e.do("POST", "/payment_records", map[string]any{"amount": 2000, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, &first)
		e.do("POST", "/payment_records", map[string]any{"amount": 10000, "currency": "GBP", "object": map[string]any{"id": inv.ID, "type": "receivable"}}, 201, &second)
		if got := e.receivable(inv.ID); got.Status != "paid" {
			t.Fatalf("paid in full, the invoice is %s", got.Status)
		}

		e.do("POST", "/payment_records/"+second.ID+"/cancel", map[string]any{"payment_intent_status": "refunded"}, 200, &second)
		if second.Status != "canceled" || len(second.History) != 2 || second.History[1].Status != "canceled" {
			t.Fatalf("canceled payment = %+v", second)
		}
		got := e.receivable(inv.ID)
		if got.Status != "partially_paid" || got.AmountPaid != 2000 || got.AmountDue != 10000 || got.AmountToPay != 10000 || got.PaidAt != nil {
			t.Fatalf("after the cancel the invoice = %+v", got)
		}
		e.mustRefuse("POST", "/payment_records/"+second.ID+"/cancel", `{}`, 409, "", inv.ID)
		e.do("GET", "/payment_records?status=canceled", nil, 200, nil)

		other := p.newEntity("Other Pay Ltd", "GB")
		other.mustRefuse("POST", "/payment_records/"+first.ID+"/cancel", `{}`, 404, "", other.issuedInvoice(other.fixture("GBP", 100)).ID)
		e.mustRefuse("POST", "/payment_records/00000000-0000-4000-8000-000000000000/cancel", `{}`, 404, "", inv.ID)
		e.mustRefuse("POST", "/payment_records/"+first.ID+"/cancel", `{"amount": 5}`, 422, "amount", inv.ID)

		e.do("POST", "/payment_records/"+first.ID+"/cancel", map[string]any{}, 200, &first)
		if got := e.receivable(inv.ID); got.Status != "issued" || got.AmountPaid != 0 || got.AmountDue != 12000 {
			t.Fatalf("with no payment left the invoice = %+v", got)
		}
		// Both payments' records are pending: the next push removes them from the books.
		var recs struct {
			Data []struct {
				ObjectID   string `json:"object_id"`
				SyncStatus string `json:"sync_status"`
			}
		}
		e.do("GET", "/accounting_synced_records?object_type=payment_record", nil, 200, &recs)
		if len(recs.Data) != 2 || recs.Data[0].SyncStatus != "pending" || recs.Data[1].SyncStatus != "pending" {
			t.Fatalf("records of the canceled payments: %+v", recs.Data)
		}
	})
}
