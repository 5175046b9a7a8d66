package xero

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// withInvoices connects partner A's organisation with approved invoices of 120.00 (100.00 and
// 20% VAT) numbered INV-1..., and returns their ids.
func withInvoices(t *testing.T, n int) (*bundle, []string) {
	t.Helper()
	b := withContact(t)
	var ids []string
	for i := range n {
		r := b.api("PUT", "/Invoices", invoices(invoice("INV-"+string(rune('1'+i)), "Acme Ltd", "Exclusive", line("Work", 1, 100, "200", "OUTPUT2")))).MustStatus(t, 200)
		ids = append(ids, decodeKey[Invoice](t, r, "Invoices")[0].InvoiceID)
	}
	return b, ids
}

// script posts a JSON body to a script route with a bearer token.
func (b *bundle) script(path, token, body string) (int, string) {
	b.t.Helper()
	return sandboxtest.PostJSON(b.t, b.client, b.Server.URL+path, token, body)
}

func (b *bundle) invoice(id string) Invoice {
	b.t.Helper()
	for _, inv := range b.sb.Invoices(b.tenant) {
		if inv.InvoiceID == id {
			return inv
		}
	}
	b.t.Fatalf("no invoice %s", id)
	return Invoice{}
}

func TestScriptActions(t *testing.T) {
	b, ids := withInvoices(t, 2)
	pay := "/invoices/" + ids[0] + "/payments"

	// Who may call: partner A with its token; B's token finds nothing; no token is not logged in.
	if status, body := b.script(pay, "token-b", `{"amount": "50.00"}`); status != http.StatusNotFound || !strings.Contains(moniteError(t, body), ids[0]) {
		t.Errorf("partner B: %d %s", status, body)
	}
	if status, _ := b.script(pay, "", `{"amount": "50.00"}`); status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", status)
	}
	// Bad input: a clear 4xx, and nothing changes.
	for _, body := range []string{`{"amount": "abc"}`, `{"amount": "-5"}`, `{"amount": "1.001"}`, `{"amount": "500.00"}`,
		`{"amount": "5", "date": "20/11/2026"}`, `{"amout": "5"}`, `{"amount": 5, "x": 1}`, `[1]`} {
		if status, resp := b.script(pay, "token-a", body); status != http.StatusBadRequest || moniteError(t, resp) == "" {
			t.Errorf("%s: %d %s", body, status, resp)
		}
	}
	if status, _ := b.script("/invoices/"+ids[0]+"/payments/x", "token-a", `{}`); status != http.StatusNotFound {
		t.Errorf("unknown route: %d", status)
	}
	if len(b.sb.Payments(b.tenant)) != 0 {
		t.Fatal("a refused payment was recorded")
	}

	// Pay 50.00, then the rest (the default amount).
	status, body := b.script(pay, "token-a", `{"amount": "50.00", "date": "2026-11-20"}`)
	var p Payment
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &p) != nil || p.PaymentID == "" || !p.Amount.Equal(decimal.NewFromInt(50)) ||
		p.Date.Format(time.DateOnly) != "2026-11-20" || p.Invoice.InvoiceID != ids[0] {
		t.Fatalf("payment: %d %s", status, body)
	}
	if inv := b.invoice(ids[0]); !inv.AmountDue.Equal(decimal.NewFromInt(70)) || inv.Status != "AUTHORISED" {
		t.Errorf("after 50.00: due %s, %s", inv.AmountDue, inv.Status)
	}
	// Xero's rule: a part-paid invoice cannot be voided.
	if status, body := b.script("/invoices/"+ids[0]+"/void", "token-a", ""); status != http.StatusBadRequest ||
		!strings.Contains(moniteError(t, body), "payment or credit note allocated") {
		t.Errorf("void of a paid invoice: %d %s", status, body)
	}
	// Credit 10.00: a credit note allocated to it.
	status, body = b.script("/invoices/"+ids[0]+"/credit_notes", "token-a", `{"amount": "10.00"}`)
	var cn CreditNote
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &cn) != nil || cn.CreditNoteNumber != "CN-0001" || len(cn.Allocations) != 1 || cn.Status != "PAID" {
		t.Fatalf("credit: %d %s", status, body)
	}
	if status, body := b.script("/invoices/"+ids[0]+"/credit_notes", "token-a", `{"amount": "60.01"}`); status != http.StatusBadRequest ||
		!strings.Contains(moniteError(t, body), "exceeds the amount due") {
		t.Errorf("credit over the amount due: %d %s", status, body)
	}
	if status, _ := b.script("/invoices/"+ids[0]+"/credit_notes", "token-a", `{}`); status != http.StatusBadRequest {
		t.Errorf("credit without an amount: %d", status)
	}
	if inv := b.invoice(ids[0]); !inv.AmountDue.Equal(decimal.NewFromInt(60)) || !inv.AmountCredited.Equal(decimal.NewFromInt(10)) {
		t.Errorf("after the credit: due %s credited %s", inv.AmountDue, inv.AmountCredited)
	}
	if status, _ := b.script(pay, "token-a", `{}`); status != http.StatusCreated || b.invoice(ids[0]).Status != "PAID" {
		t.Errorf("pay the rest: %d %s", status, b.invoice(ids[0]).Status)
	}

	// Delete the first payment: the invoice owes it again. Twice is refused, as Xero does.
	del := "/payments/" + p.PaymentID + "/delete"
	if status, _ := b.script(del, "token-b", ""); status != http.StatusNotFound {
		t.Errorf("partner B deletes: %d", status)
	}
	if status, body := b.script(del, "token-a", ""); status != http.StatusOK || !strings.Contains(body, `"DELETED"`) {
		t.Errorf("delete: %d %s", status, body)
	}
	if inv := b.invoice(ids[0]); !inv.AmountDue.Equal(decimal.NewFromInt(50)) || inv.Status != "AUTHORISED" || len(inv.Payments) != 1 {
		t.Errorf("after the delete: due %s, %s, %d payments", inv.AmountDue, inv.Status, len(inv.Payments))
	}
	if status, _ := b.script(del, "token-a", ""); status != http.StatusBadRequest {
		t.Errorf("deleted twice: %d", status)
	}

	// Void the untouched invoice; twice is refused.
	void := "/invoices/" + ids[1] + "/void"
	if status, _ := b.script(void, "token-b", ""); status != http.StatusNotFound {
		t.Errorf("partner B voids: %d", status)
	}
	if status, body := b.script(void, "token-a", ""); status != http.StatusOK || b.invoice(ids[1]).Status != "VOIDED" || !b.invoice(ids[1]).AmountDue.IsZero() {
		t.Errorf("void: %d %s", status, body)
	}
	if status, _ := b.script(void, "token-a", ""); status != http.StatusBadRequest {
		t.Errorf("voided twice: %d", status)
	}

	// Bills.
	bills := "/orgs/" + b.tenant + "/bills"
	if status, _ := b.script(bills, "token-b", `{"contact": "Paper Co", "amount": "120.00"}`); status != http.StatusNotFound {
		t.Errorf("partner B adds a bill: %d", status)
	}
	for _, body := range []string{`{"amount": "120.00"}`, `{"contact": "Paper Co"}`, `{"contact": "Paper Co", "amount": "1", "date": "2026-11-20", "due_date": "2026-11-01"}`} {
		if status, _ := b.script(bills, "token-a", body); status != http.StatusBadRequest {
			t.Errorf("bill %s: %d", body, status)
		}
	}
	status, body = b.script(bills, "token-a", `{"contact": "Paper Co", "amount": "120.00", "date": "2026-11-20", "due_date": "2026-12-20"}`)
	var bill Invoice
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &bill) != nil || bill.Type != "ACCPAY" || !bill.Total.Equal(decimal.NewFromInt(120)) || bill.DueDateString != "2026-12-20T00:00:00" {
		t.Errorf("bill: %d %s", status, body)
	}
	r := b.api("GET", `/Invoices?where=Type%3D%3D%22ACCPAY%22`, nil).MustStatus(t, 200)
	if got := decodeKey[Invoice](t, r, "Invoices"); len(got) != 1 || got[0].InvoiceID != bill.InvoiceID {
		t.Errorf("bills listed: %+v", got)
	}
}

func TestPageButtons(t *testing.T) {
	b, ids := withInvoices(t, 1)
	// A browser's form: back to the organisation page, which now offers the payment's delete.
	req, _ := http.NewRequest("POST", b.Server.URL+"/invoices/"+ids[0]+"/payments", strings.NewReader(url.Values{"amount": {"20.00"}, "date": {""}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer token-a")
	r := sandboxtest.Do(t, b.client, req)
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/orgs/"+b.tenant) {
		t.Fatalf("form: %d %s", r.Status, r.Header.Get("Location"))
	}
	status, page := b.page("GET", "/orgs/"+b.tenant, "token-a", nil)
	pay := b.sb.Payments(b.tenant)[0]
	for _, want := range []string{"/invoices/" + ids[0] + "/void", "/invoices/" + ids[0] + "/credit_notes", "/payments/" + pay.PaymentID + "/delete", "/orgs/" + b.tenant + "/bills"} {
		if status != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("page lacks %s (%d)", want, status)
		}
	}
}

func TestLifecycleThroughTheAPI(t *testing.T) {
	b, ids := withInvoices(t, 1)
	ctx := context.Background()
	since := b.Clock.Now()
	b.Clock.Advance(time.Minute)
	p, err := b.sb.PayInvoice(ctx, b.tenant, ids[0], "20.00", "")
	if err != nil {
		t.Fatal(err)
	}
	// If-Modified-Since: the payment and its invoice changed, nothing else.
	ims := header("If-Modified-Since", since.Add(time.Second).Format(time.RFC3339))
	if got := decodeKey[Invoice](t, b.api("GET", "/Invoices?page=1", nil, ims).MustStatus(t, 200), "Invoices"); len(got) != 1 || got[0].InvoiceID != ids[0] {
		t.Errorf("invoices since: %+v", got)
	}
	if got := decodeKey[Payment](t, b.api("GET", "/Payments?page=1", nil, ims).MustStatus(t, 200), "Payments"); len(got) != 1 {
		t.Errorf("payments since: %+v", got)
	}
	later := header("If-Modified-Since", b.Clock.Now().Add(time.Second).Format(time.RFC3339))
	if got := decodeKey[Invoice](t, b.api("GET", "/Invoices?page=1", nil, later).MustStatus(t, 200), "Invoices"); len(got) != 0 {
		t.Errorf("invoices after the last change: %+v", got)
	}

	// A credit note, by number, then allocated; over-allocation is refused.
	cn := map[string]any{"CreditNotes": []any{map[string]any{"Type": "ACCRECCREDIT", "CreditNoteNumber": "CN-9", "Status": "AUTHORISED",
		"Contact": map[string]any{"Name": "Acme Ltd"}, "Date": "2026-03-14", "LineAmountTypes": "NoTax",
		"LineItems": []any{map[string]any{"Description": "Refund", "Quantity": 1, "UnitAmount": 150, "AccountCode": "200"}}}}}
	created := decodeKey[CreditNote](t, b.api("PUT", "/CreditNotes", cn).MustStatus(t, 200), "CreditNotes")[0]
	if created.CreditNoteID == "" || !created.RemainingCredit.Equal(decimal.NewFromInt(150)) {
		t.Fatalf("created %+v", created)
	}
	if got := decodeKey[CreditNote](t, b.api("GET", `/CreditNotes?where=CreditNoteNumber%3D%3D%22CN-9%22`, nil).MustStatus(t, 200), "CreditNotes"); len(got) != 1 {
		t.Errorf("by number: %+v", got)
	}
	alloc := func(amount string) map[string]any {
		return map[string]any{"Allocations": []any{map[string]any{"Invoice": map[string]any{"InvoiceID": ids[0]}, "Amount": json.Number(amount), "Date": "2026-03-14"}}}
	}
	if r := b.api("PUT", "/CreditNotes/"+created.CreditNoteID+"/Allocations", alloc("100.01")); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "exceeds the amount due") {
		t.Errorf("over-allocation: %d %s", r.Status, r.Body)
	}
	b.api("PUT", "/CreditNotes/"+created.CreditNoteID+"/Allocations", alloc("100.00")).MustStatus(t, 200)
	inv := b.invoice(ids[0])
	if inv.Status != "PAID" || !inv.AmountCredited.Equal(decimal.NewFromInt(100)) || !inv.AmountDue.IsZero() || len(inv.CreditNotes) != 1 {
		t.Errorf("invoice after the allocation: %+v", inv)
	}
	if got := b.sb.CreditNotes(b.tenant)[0]; !got.RemainingCredit.Equal(decimal.NewFromInt(50)) || got.Status != "AUTHORISED" {
		t.Errorf("credit note after the allocation: %+v", got)
	}

	// Deleting the payment through the API; its invoice owes it again.
	b.api("POST", "/Payments/"+p.PaymentID, map[string]any{"Status": "DELETED"}).MustStatus(t, 200)
	if inv := b.invoice(ids[0]); inv.Status != "AUTHORISED" || !inv.AmountDue.Equal(decimal.NewFromInt(20)) {
		t.Errorf("after deleting the payment: %s due %s", inv.Status, inv.AmountDue)
	}
	if r := b.api("POST", "/Payments/"+p.PaymentID, map[string]any{"Status": "DELETED"}); r.Status != http.StatusBadRequest {
		t.Errorf("deleted twice: %d %s", r.Status, r.Body)
	}
	// Credited, so it cannot be voided through the API either.
	void := map[string]any{"Invoices": []any{map[string]any{"InvoiceID": ids[0], "Status": "VOIDED"}}}
	if r := b.api("POST", "/Invoices/"+ids[0], void); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "payment or credit note allocated") {
		t.Errorf("void of a credited invoice: %d %s", r.Status, r.Body)
	}
}
