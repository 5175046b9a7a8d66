package quickbooks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// act posts a JSON body to a company page's action as a partner's script.
func (b *bundle) act(token, path, body string) (int, string) {
	b.t.Helper()
	return sandboxtest.PostJSON(b.t, b.client, b.Server.URL+"/companies/"+b.realm+path, token, body)
}

// ukInvoice creates an invoice of 100.00 + 20.00 VAT and returns it.
func (b *bundle) ukInvoice(doc string) Invoice {
	b.t.Helper()
	return b.invoice(invoiceBody(doc, b.customer("Customer of "+doc), salesLine(100, 1, 100, "2")))
}

func TestScriptActions(t *testing.T) {
	b := setup(t).connect("")
	inv := b.ukInvoice("INV-1")
	pay := "/invoices/" + inv.ID + "/payments"

	if status, body := b.act("", pay, `{"amount": "50.00"}`); status != http.StatusUnauthorized || moniteMessage(body) == "" {
		t.Errorf("anonymous: %d %s, want 401", status, body)
	}
	if status, _ := b.act("token-b", pay, `{"amount": "50.00"}`); status != http.StatusNotFound {
		t.Errorf("another partner: %d, want 404", status)
	}
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/invoices/999/payments", `{"amount": "1.00"}`, http.StatusNotFound},
		{pay, `{"amount": "-1"}`, http.StatusBadRequest},
		{pay, `{"amount": "1.001"}`, http.StatusBadRequest},
		{pay, `{"amount": 50}`, http.StatusBadRequest},
		{pay, `{"amount": "1.00", "date": "20/11/2026"}`, http.StatusBadRequest},
		{pay, `{"amount": "1.00", "memo": "x"}`, http.StatusBadRequest},
		{pay, `[1]`, http.StatusBadRequest},
		{pay, `{"amount": "120.01"}`, http.StatusUnprocessableEntity},
		{"/invoices/" + inv.ID + "/credit_memos", `{"amount": "500.00"}`, http.StatusUnprocessableEntity},
		{"/invoices/" + inv.ID + "/credit_memos", `{}`, http.StatusBadRequest},
		{"/payments/999/delete", ``, http.StatusNotFound},
		{"/bills", `{"amount": "10.00"}`, http.StatusBadRequest},
		{"/bills", `{"vendor": "Acme", "amount": "ten"}`, http.StatusBadRequest},
	} {
		if status, body := b.act("token-a", c.path, c.body); status != c.status || moniteMessage(body) == "" {
			t.Errorf("POST %s %s: %d %s, want %d with a message", c.path, c.body, status, body, c.status)
		}
	}
	if got := b.sb.Invoices(b.realm)[0]; !got.Balance.Equal(got.TotalAmt.Decimal) || len(b.sb.Payments(b.realm)) != 0 {
		t.Fatal("a refused action changed the company")
	}

	status, body := b.act("token-a", pay, `{"amount": "50.00", "date": "2026-11-20"}`)
	var p Payment
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &p) != nil || p.ID == "" || p.TxnDate != "2026-11-20" {
		t.Fatalf("pay: %d %s", status, body)
	}
	if status, body := b.act("token-a", "/invoices/"+inv.ID+"/void", ``); status != http.StatusUnprocessableEntity ||
		!strings.Contains(moniteMessage(body), "Payment "+p.ID) {
		t.Errorf("void of a paid invoice: %d %s, want 422 naming the payment", status, body)
	}
	status, body = b.act("token-a", "/invoices/"+inv.ID+"/credit_memos", `{"amount": "10.00"}`)
	var cm CreditMemo
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &cm) != nil || cm.ID == "" || !cm.Balance.IsZero() {
		t.Fatalf("credit: %d %s", status, body)
	}
	dec(t, b.sb.Invoices(b.realm)[0].Balance, "60")
	// Delete both payments (the cash and the credit's), then the invoice can be voided.
	for _, p := range b.sb.Payments(b.realm) {
		if status, body := b.act("token-a", "/payments/"+p.ID+"/delete", ``); status != http.StatusOK {
			t.Fatalf("delete payment %s: %d %s", p.ID, status, body)
		}
	}
	dec(t, b.sb.Invoices(b.realm)[0].Balance, "120")
	if status, body := b.act("token-a", "/invoices/"+inv.ID+"/void", ``); status != http.StatusOK {
		t.Fatalf("void: %d %s", status, body)
	}
	if got := b.sb.Invoices(b.realm)[0]; !got.TotalAmt.IsZero() || got.PrivateNote != "Voided" {
		t.Errorf("voided invoice %+v", got)
	}
	status, body = b.act("token-a", "/bills", `{"vendor": "Acme", "amount": "120.00", "date": "2026-11-02", "due_date": "2026-12-02"}`)
	var bill Bill
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &bill) != nil || bill.VendorRef.Name != "Acme" || bill.DueDate != "2026-12-02" {
		t.Fatalf("bill: %d %s", status, body)
	}
	dec(t, bill.Balance, "120")

	// The page offers the same actions as forms; a browser's form post comes back to the page.
	other := b.ukInvoice("INV-2")
	_, page := b.page("GET", "/companies/"+b.realm, "token-a", nil)
	for _, want := range []string{"/invoices/" + other.ID + "/payments", "/invoices/" + other.ID + "/credit_memos",
		"/invoices/" + other.ID + "/void", "/bills", "Add bill", "Acme"} {
		if !strings.Contains(page, want) {
			t.Errorf("company page lacks %q", want)
		}
	}
	req, _ := http.NewRequest("POST", b.Server.URL+"/companies/"+b.realm+"/bills", strings.NewReader(url.Values{"vendor": {"Acme"}, "amount": {"5"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer token-a")
	if r := sandboxtest.Do(t, b.client, req); r.Status != http.StatusSeeOther {
		t.Errorf("form post: %d, want 303 back to the page", r.Status)
	}
}

func TestVoidCreditMemoAndChangeDataCapture(t *testing.T) {
	b := setup(t).connect("")
	start := b.Clock.Now()
	inv := b.ukInvoice("INV-1")
	cust := inv.CustomerRef.Value

	// A credit memo is applied with a payment of 0 linking both; over-application is refused.
	memo := invoiceBody("CM-1", cust, salesLine(10, 1, 10, "2"))
	r := b.api("POST", "/creditmemo", memo).MustStatus(t, 200)
	cm := sandboxtest.DecodeKey[CreditMemo](t, r, "CreditMemo")
	dec(t, cm.RemainingCredit, "12")
	b.api("POST", "/creditmemo", memo).MustStatus(t, 400) // DocNumber taken
	apply := func(amount float64) sandboxtest.Response {
		return b.api("POST", "/payment", map[string]any{"CustomerRef": map[string]any{"value": cust}, "TotalAmt": 0,
			"Line": []any{
				map[string]any{"Amount": amount, "LinkedTxn": []any{map[string]any{"TxnId": inv.ID, "TxnType": "Invoice"}}},
				map[string]any{"Amount": amount, "LinkedTxn": []any{map[string]any{"TxnId": cm.ID, "TxnType": "CreditMemo"}}},
			}})
	}
	if code, _ := fault(t, apply(13).MustStatus(t, 400)); code != "6000" {
		t.Errorf("over-application: code %s", code)
	}
	p := sandboxtest.DecodeKey[Payment](t, apply(12).MustStatus(t, 200), "Payment")
	dec(t, b.sb.Invoices(b.realm)[0].Balance, "108")

	// Void is refused while the credit is linked, and works once its payment is deleted.
	cur := b.sb.Invoices(b.realm)[0]
	if code, _ := fault(t, b.api("POST", "/invoice?operation=void", map[string]any{"Id": inv.ID, "SyncToken": cur.SyncToken}).MustStatus(t, 400)); code != "6000" {
		t.Errorf("void with a credit: code %s", code)
	}
	b.Clock.Advance(time.Minute)
	mark := b.Clock.Now()
	b.api("POST", "/payment?operation=delete", map[string]any{"Id": p.ID, "SyncToken": p.SyncToken}).MustStatus(t, 200)
	cur = b.sb.Invoices(b.realm)[0]
	voided := sandboxtest.DecodeKey[Invoice](t, b.api("POST", "/invoice?operation=void",
		map[string]any{"Id": inv.ID, "SyncToken": cur.SyncToken}).MustStatus(t, 200), "Invoice")
	if !voided.TotalAmt.IsZero() || !voided.Balance.IsZero() || voided.PrivateNote != "Voided" {
		t.Errorf("voided %+v", voided)
	}

	// The change data capture since the mark: the invoice, the credit memo, and the deleted payment.
	cdc := func(since time.Time) map[string][]json.RawMessage {
		t.Helper()
		r := b.api("GET", "/cdc?entities=Invoice,Payment,CreditMemo&changedSince="+url.QueryEscape(since.Format(time.RFC3339)), nil).MustStatus(t, 200)
		var env struct {
			CDCResponse []struct{ QueryResponse []map[string]json.RawMessage }
		}
		if err := json.Unmarshal(r.Body, &env); err != nil || len(env.CDCResponse) != 1 {
			t.Fatalf("cdc answer %s", r.Body)
		}
		out := map[string][]json.RawMessage{}
		for _, qr := range env.CDCResponse[0].QueryResponse {
			for k, v := range qr {
				var list []json.RawMessage
				if json.Unmarshal(v, &list) == nil {
					out[k] = append(out[k], list...)
				}
			}
		}
		return out
	}
	got := cdc(mark)
	if len(got["Invoice"]) != 1 || len(got["CreditMemo"]) != 1 || len(got["Payment"]) != 1 ||
		!strings.Contains(string(got["Payment"][0]), `"status":"Deleted"`) {
		t.Errorf("cdc since the mark: %s", got)
	}
	if got := cdc(start); len(got["Invoice"]) != 1 || len(got["Payment"]) != 1 {
		t.Errorf("cdc since the start: %s", got)
	}
	b.Clock.Advance(time.Minute)
	if got := cdc(b.Clock.Now()); len(got) != 0 {
		t.Errorf("cdc of nothing: %s", got)
	}
	b.api("GET", "/cdc?entities=Invoice&changedSince="+url.QueryEscape(b.Clock.Now().Add(-31*24*time.Hour).Format(time.RFC3339)), nil).MustStatus(t, 400)
	b.api("GET", "/cdc?entities=Nonsense&changedSince="+url.QueryEscape(mark.Format(time.RFC3339)), nil).MustStatus(t, 400)

	// Everything survives a restart from the store.
	again, err := New(context.Background(), sandbox.Options{BaseURL: b.Server.URL, Store: b.Store, Now: b.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	b.sb = again
	b.Server.Config.Handler = again.Handler()
	if got := cdc(mark); len(got["Payment"]) != 1 || len(got["CreditMemo"]) != 1 {
		t.Errorf("cdc after a restart: %s", got)
	}
}

func TestCDCAnswersAtMostAThousandObjects(t *testing.T) {
	b := setup(t).connect("")
	since := b.Clock.Now()
	if _, err := b.sb.AddInvoices(context.Background(), b.realm, 1500, "1.00"); err != nil {
		t.Fatal(err)
	}
	r := b.api("GET", "/cdc?entities=Invoice&changedSince="+url.QueryEscape(since.Format(time.RFC3339)), nil).MustStatus(t, 200)
	var env struct {
		CDCResponse []struct {
			QueryResponse []struct{ Invoice []json.RawMessage }
		}
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || len(env.CDCResponse[0].QueryResponse[0].Invoice) != cdcMaxObjects {
		t.Errorf("cdc of 1500 invoices answered %v %d", err, len(env.CDCResponse[0].QueryResponse[0].Invoice))
	}
}
