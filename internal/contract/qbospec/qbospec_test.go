package qbospec

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The checker itself must refuse what QuickBooks would not understand.
func TestCheckCatchesUnknownFields(t *testing.T) {
	t.Parallel()
	s := Load(t)
	ok := s.Check("Invoice", []byte(`{"DocNumber":"1","CustomerRef":{"value":"1"},"Line":[{"Amount":1.5,"DetailType":"SalesItemLineDetail",
		"SalesItemLineDetail":{"Qty":2,"UnitPrice":0.75,"TaxCodeRef":{"value":"TAX"}}}],"TxnTaxDetail":{"TotalTax":0.1}}`))
	if len(ok) != 0 {
		t.Errorf("valid invoice: %v", ok)
	}
	bad := s.Check("Invoice", []byte(`{"InvoiceNumber":"1","Line":[{"Amount":"1.5","DetailType":"Bogus","SalesItemLineDetail":{"Quantity":2}}],"GlobalTaxCalculation":"Exclusive"}`))
	want := []string{"Invoice.GlobalTaxCalculation", "Invoice.InvoiceNumber", "Invoice.Line[0].Amount", "Invoice.Line[0].DetailType", "Invoice.Line[0].SalesItemLineDetail.Quantity"}
	if len(bad) != len(want) {
		t.Fatalf("problems = %v", bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) {
			t.Errorf("problem %d = %q, want %s...", i, bad[i], w)
		}
	}
	batch := s.Check("IntuitBatchRequest", []byte(`{"BatchItemRequest":[{"bId":"0","operation":"create","Customer":{"DisplayName":"A","Nickname":"x"}}]}`))
	if len(batch) != 1 || !strings.Contains(batch[0], "Nickname") {
		t.Errorf("batch problems = %v", batch)
	}
	answer := s.Check("IntuitResponse", []byte(`{"QueryResponse":{"Customer":[{"Id":"1","DisplayName":"A"}],"startPosition":1,"maxResults":1},
		"BatchItemResponse":[{"bId":"0","Fault":{"type":"ValidationFault","Error":[{"Message":"m","Detail":"d","code":"6240","element":""}]}}],"time":"t"}`))
	if len(answer) != 0 {
		t.Errorf("valid answer: %v", answer)
	}
	if got := s.Check("IntuitResponse", []byte(`{"Invoice":{"Id":"1","Total":3}}`)); len(got) != 1 || !strings.HasPrefix(got[0], "IntuitResponse.Invoice.Total") {
		t.Errorf("answer problems = %v", got)
	}
}

// reports records what a Transport reports instead of failing the test.
type reports struct {
	testing.TB
	mu  sync.Mutex
	got []string
}

func (r *reports) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fmt.Sprintf(format, args...))
}

func (r *reports) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// The transport checks both directions and leaves bodies readable.
func TestTransportChecksRequestsAndAnswers(t *testing.T) {
	t.Parallel()
	answer := `{"Customer":{"Id":"1","DisplayName":"A"},"time":"t"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if strings.Contains(string(body), "Nickname") {
			io.WriteString(w, `{"Customer":{"Id":"1","Nickname":"x"}}`)
			return
		}
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	rep := &reports{TB: t}
	tr := NewTransport(rep, srv.Client().Transport)
	client := &http.Client{Transport: tr}
	post := func(path, body string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return string(out)
	}
	if got := post("/v3/company/1/customer?minorversion=75&requestid=r", `{"DisplayName":"A"}`); got != answer {
		t.Errorf("answer passed on as %q", got)
	}
	if got := rep.take(); len(got) != 0 {
		t.Errorf("a valid call was reported: %v", got)
	}
	if tr.Checked("Customer") != 2 {
		t.Errorf("checked %d customers, want the request's and the answer's", tr.Checked("Customer"))
	}
	post("/v3/company/1/customer?minorversion=65&requestid="+strings.Repeat("x", 51), `{"DisplayName":"A","Nickname":"x"}`)
	got := strings.Join(rep.take(), "\n")
	for _, want := range []string{"minorversion \"65\"", "longer than 50", "Customer.Nickname: not an element of Customer", "IntuitResponse.Customer.Nickname"} {
		if !strings.Contains(got, want) {
			t.Errorf("reports do not mention %s:\n%s", want, got)
		}
	}
	post("/sandbox/page", `not checked`)
	if got := rep.take(); len(got) != 0 {
		t.Errorf("a call outside the Accounting API was checked: %v", got)
	}
}
