package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/contract/qbospec"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// books is a company whose sandbox runs on a test clock, with the company page's actions open
// to partner A's scripts (bearer token "token-a"), as an accountant working in QuickBooks.
type books struct {
	*company
	clock *sandboxtest.Clock
	base  string
}

// newBooks starts a sandbox on a clock set to now and connects a "uk" or "us" company.
func newBooks(tb testing.TB, region string) *books {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	clock := sandboxtest.NewClock(time.Now().UTC().Truncate(time.Second))
	partners := sandboxtest.NewPartners()
	partners.Add("partner-a", "secret-a", "token-a")
	partners.Add("partner-b", "secret-b", "token-b")
	gate := sandbox.NewGate(sandbox.GateOptions{BaseURL: base, Partners: partners, Faults: true, Now: clock.Now})
	sb, err := qbsandbox.New(context.Background(), sandbox.Options{BaseURL: base, Store: sandbox.NewMemoryStore(), Now: clock.Now, Gate: gate})
	if err != nil {
		tb.Fatal(err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	tb.Cleanup(srv.Close)
	co := &company{t: tb, sb: sb, srv: srv, spec: qbospec.NewTransport(tb, srv.Client().Transport)}
	co.realm, co.token = co.connect(region)
	co.rec = &recorder{t: tb, realm: co.realm, next: co.spec}
	partners.Connect("partner-a", qbsandbox.Namespace, co.realm)
	return &books{company: co, clock: clock, base: base}
}

// action posts a JSON body to one of the company page's actions as partner A's script, and
// decodes the answer into out (nil: ignore it).
func (b *books) action(path, body string, want int, out any) {
	b.t.Helper()
	status, resp := sandboxtest.PostJSON(b.t, b.srv.Client(), b.base+"/companies/"+b.realm+path, "token-a", body)
	if status != want {
		b.t.Fatalf("POST %s %s: %d %s, want %d", path, body, status, resp, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(resp), out); err != nil {
			b.t.Fatal(err)
		}
	}
}

// invoice pushes an invoice of 100.00 + 20.00 VAT for customer and returns its QuickBooks Id.
func (b *books) invoice(c *Client, customer, number string) string {
	b.t.Helper()
	res, err := c.PushInvoices(context.Background(), []platform.Invoice{{Ref: "rcv-" + number, Number: number, ContactID: customer,
		Date: "2026-11-01", Currency: "GBP", Lines: []platform.InvoiceLine{{Description: "Consulting", Quantity: qty("1"),
			UnitAmount: 10000, TaxCode: "2", LineAmount: 10000, TaxAmount: 2000}},
		Expected: platform.Totals{Subtotal: 10000, Tax: 2000, Total: 12000}}})
	if err != nil || res[0].Err != nil {
		b.t.Fatal(err, res[0].Err)
	}
	return res[0].PlatformID
}

// creditNote is a credit note of 10.00 + 2.00 VAT on an invoice.
func creditNote(customer, invoiceID, number string) platform.CreditNote {
	return platform.CreditNote{Invoice: platform.Invoice{Ref: "cn-" + number, Number: number, ContactID: customer,
		Date: "2026-11-05", Currency: "GBP", Lines: []platform.InvoiceLine{{Description: "Refund", Quantity: qty("1"),
			UnitAmount: 1000, TaxCode: "2", LineAmount: 1000, TaxAmount: 200}},
		Expected: platform.Totals{Subtotal: 1000, Tax: 200, Total: 1200}}, InvoiceID: invoiceID, InvoiceNumber: "INV-1", Amount: 1200}
}

// balance returns an invoice's Balance in pence.
func (b *books) balance(id string) int64 {
	b.t.Helper()
	for _, inv := range b.sb.Invoices(b.realm) {
		if inv.ID == id {
			return inv.Balance.Shift(2).IntPart()
		}
	}
	b.t.Fatalf("no invoice %s", id)
	return 0
}

func TestVoidInvoices(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	acme := b.customer("Acme")
	open, paid := b.invoice(c, acme, "INV-1"), b.invoice(c, acme, "INV-2")
	var pay struct{ Id string }
	b.action("/invoices/"+paid+"/payments", `{"amount": "50.00", "date": "2026-11-20"}`, http.StatusCreated, &pay)

	voids := []platform.Void{{Ref: "r1", InvoiceID: open, Number: "INV-1"}, {Ref: "r2", InvoiceID: paid, Number: "INV-2"}}
	res, err := c.VoidInvoices(ctx, voids)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].PlatformID != open {
		t.Errorf("void of the open invoice: %+v", res[0])
	}
	if cl, code := classOf(t, res[1].Err); cl != platform.NeedsUserAction || code != "invoice_has_payments" ||
		!strings.Contains(res[1].Err.Error(), "Payment "+pay.Id) || !strings.Contains(res[1].Err.Error(), "INV-2") {
		t.Errorf("void of the paid invoice: %v, want invoice_has_payments naming Payment %s", res[1].Err, pay.Id)
	}
	for _, inv := range b.sb.Invoices(b.realm) {
		switch inv.ID {
		case open:
			if !inv.TotalAmt.IsZero() || !inv.Balance.IsZero() || !strings.HasPrefix(inv.PrivateNote, "Voided") {
				t.Errorf("voided invoice: TotalAmt %s Balance %s PrivateNote %q", inv.TotalAmt, inv.Balance, inv.PrivateNote)
			}
		case paid:
			if inv.TotalAmt.String() != "120" || inv.Balance.String() != "70" {
				t.Errorf("refused invoice changed: TotalAmt %s Balance %s", inv.TotalAmt, inv.Balance)
			}
		}
	}
	// Voiding again succeeds without a write.
	batches := len(b.rec.batches())
	res, err = c.VoidInvoices(ctx, voids[:1])
	if err != nil || res[0].Err != nil {
		t.Fatalf("second void: %v %+v", err, res)
	}
	if len(b.rec.batches()) != batches {
		t.Error("voiding a voided invoice wrote to QuickBooks")
	}
}

func TestVoidFaultsLeaveAConsistentState(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	id := b.invoice(c, b.customer("Acme"), "INV-1")
	voids := []platform.Void{{Ref: "r1", InvoiceID: id, Number: "INV-1"}}
	for _, kind := range []sandbox.FaultKind{sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultTimeoutAfterStore} {
		b.sb.InjectFault(b.realm, sandbox.Fault{Kind: kind, Path: "/batch"})
		_, err := c.VoidInvoices(ctx, voids)
		want := map[sandbox.FaultKind]platform.Class{sandbox.FaultServerError: platform.Transient,
			sandbox.FaultRateLimit: platform.RateLimited, sandbox.FaultTimeoutAfterStore: platform.UnknownOutcome}[kind]
		if cl, _ := classOf(t, err); cl != want {
			t.Errorf("%s: class %v, want %v", kind, cl, want)
		}
		if b.sb.PendingFaults(b.realm) != 0 {
			t.Fatalf("%s did not fire", kind)
		}
	}
	// The timeout stored the void; the retry sees it and succeeds.
	res, err := c.VoidInvoices(ctx, voids)
	if err != nil || res[0].Err != nil {
		t.Fatalf("retry: %v %+v", err, res)
	}
	if b.balance(id) != 0 {
		t.Error("invoice not voided")
	}
}

func TestPushCreditNotesAppliesOnceAfterUnknownOutcomes(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	acme := b.customer("Acme")
	id := b.invoice(c, acme, "INV-1")
	note := creditNote(acme, id, "CN-1")

	// The credit memo is stored but its answer lost; then the payment applying it likewise.
	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/batch"})
	if _, err := c.PushCreditNotes(ctx, []platform.CreditNote{note}); err == nil {
		t.Fatal("no error after a timeout")
	} else if cl, _ := classOf(t, err); cl != platform.UnknownOutcome {
		t.Fatalf("class %v, want UnknownOutcome", cl)
	}
	note.MaybeExists = true
	b.sb.InjectFault(b.realm, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/batch"})
	if _, err := c.PushCreditNotes(ctx, []platform.CreditNote{note}); err == nil {
		t.Fatal("no error after the second timeout")
	}
	for range 2 {
		res, err := c.PushCreditNotes(ctx, []platform.CreditNote{note})
		if err != nil || res[0].Err != nil {
			t.Fatalf("push again: %v %+v", err, res)
		}
		if !res[0].Matched || res[0].Totals == nil || *res[0].Totals != (platform.Totals{Subtotal: 1000, Tax: 200, Total: 1200}) {
			t.Errorf("result %+v, totals %+v", res[0], res[0].Totals)
		}
	}
	if got := b.balance(id); got != 10800 {
		t.Errorf("invoice balance %d, want 10800: the credit applied once", got)
	}
	if n := len(b.sb.Payments(b.realm)); n != 1 {
		t.Errorf("%d payments, want one applying the credit", n)
	}
	if b.spec.Checked("CreditMemo") == 0 {
		t.Error("no CreditMemo was checked against the XSDs")
	}
}

func TestPushCreditNoteOverTheBalanceIsRefused(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	acme := b.customer("Acme")
	id := b.invoice(c, acme, "INV-1")
	b.action("/invoices/"+id+"/payments", `{"amount": "115.00"}`, http.StatusCreated, nil)
	res, err := c.PushCreditNotes(context.Background(), []platform.CreditNote{creditNote(acme, id, "CN-1")})
	if err != nil {
		t.Fatal(err)
	}
	if cl, code := classOf(t, res[0].Err); cl != platform.NeedsUserAction || code != "credit_exceeds_balance" ||
		!strings.Contains(res[0].Err.Error(), "12.00") || !strings.Contains(res[0].Err.Error(), "5.00") {
		t.Errorf("over-credit: %v", res[0].Err)
	}
	if b.sb.Invoices(b.realm)[0].Balance.String() != "5" || len(b.sb.Payments(b.realm)) != 1 {
		t.Error("the refused credit changed the books")
	}
}

func TestDeletePayments(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	id := b.invoice(c, b.customer("Acme"), "INV-1")
	var pay struct{ Id string }
	b.action("/invoices/"+id+"/payments", `{"amount": "120.00", "date": "2026-11-20"}`, http.StatusCreated, &pay)
	refs := []platform.PaymentRef{{Ref: "p1", PaymentID: pay.Id, InvoiceID: id}}
	for range 2 { // the second finds it gone
		res, err := c.DeletePayments(ctx, refs)
		if err != nil || res[0].Err != nil {
			t.Fatalf("delete: %v %+v", err, res)
		}
	}
	if len(b.sb.Payments(b.realm)) != 0 || b.balance(id) != 12000 {
		t.Errorf("after delete: %d payments, balance %d", len(b.sb.Payments(b.realm)), b.balance(id))
	}
}

func TestChangesReportsPaymentsOnceAndDeletions(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	acme := b.customer("Acme")
	id := b.invoice(c, acme, "INV-1")
	b.clock.Advance(time.Minute)
	first, err := c.Changes(ctx, platform.ChangeQuery{Since: b.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Invoices)+len(first.Payments) != 0 || first.Calls != 1 || first.More {
		t.Fatalf("nothing changed yet: %+v", first)
	}

	b.clock.Advance(time.Minute)
	var pay struct{ Id string }
	b.action("/invoices/"+id+"/payments", `{"amount": "50.00", "date": "2026-11-20"}`, http.StatusCreated, &pay)
	b.clock.Advance(time.Second)
	got, err := c.Changes(ctx, platform.ChangeQuery{Cursor: first.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	wantPay := platform.PaymentChange{ID: pay.Id, InvoiceID: id, Amount: 5000, Currency: "GBP", Date: "2026-11-20"}
	if len(got.Payments) != 1 || got.Payments[0].UpdatedAt.IsZero() {
		t.Fatalf("payments %+v", got.Payments)
	}
	got.Payments[0].UpdatedAt = time.Time{}
	if got.Payments[0] != wantPay {
		t.Errorf("payment %+v, want %+v", got.Payments[0], wantPay)
	}
	if len(got.Invoices) != 1 || got.Invoices[0].ID != id || got.Invoices[0].State != platform.InvoiceOpen ||
		got.Invoices[0].Total != 12000 || got.Invoices[0].AmountPaid != 5000 || got.Invoices[0].AmountDue != 7000 {
		t.Errorf("invoices %+v", got.Invoices)
	}
	if got.Calls != 1 {
		t.Errorf("%d calls, want 1", got.Calls)
	}
	again, err := c.Changes(ctx, platform.ChangeQuery{Cursor: got.Cursor})
	if err != nil || len(again.Invoices)+len(again.Payments) != 0 {
		t.Fatalf("the next pull reported again: %+v %v", again, err)
	}

	// A credit memo applied in QuickBooks, then the payment deleted.
	b.clock.Advance(time.Second)
	b.action("/invoices/"+id+"/credit_memos", `{"amount": "20.00"}`, http.StatusCreated, nil)
	b.action("/payments/"+pay.Id+"/delete", ``, http.StatusOK, nil)
	b.clock.Advance(time.Second)
	last, err := c.Changes(ctx, platform.ChangeQuery{Cursor: again.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Payments) != 1 || !last.Payments[0].Deleted || last.Payments[0].ID != pay.Id {
		t.Errorf("payments %+v, want the deletion of %s alone (the credit's zero payment is no payment)", last.Payments, pay.Id)
	}
	if len(last.Invoices) != 1 || last.Invoices[0].AmountCredited != 2000 || last.Invoices[0].AmountPaid != 0 ||
		last.Invoices[0].AmountDue != 10000 {
		t.Errorf("invoices %+v", last.Invoices)
	}

	// Voided in QuickBooks once the credit is gone.
	for _, p := range b.sb.Payments(b.realm) {
		b.action("/payments/"+p.ID+"/delete", ``, http.StatusOK, nil)
	}
	b.action("/invoices/"+id+"/void", ``, http.StatusOK, nil)
	b.clock.Advance(time.Second)
	voided, err := c.Changes(ctx, platform.ChangeQuery{Cursor: last.Cursor})
	if err != nil || len(voided.Invoices) != 1 || voided.Invoices[0].State != platform.InvoiceVoided {
		t.Errorf("after void: %+v %v", voided.Invoices, err)
	}
	if b.spec.Checked("CDCResponse") == 0 {
		t.Error("no CDCResponse was checked against the XSDs")
	}
}

func TestChangesFaults(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	q := platform.ChangeQuery{Since: b.clock.Now()}
	for kind, want := range map[sandbox.FaultKind]platform.Class{sandbox.FaultServerError: platform.Transient, sandbox.FaultRateLimit: platform.RateLimited} {
		b.sb.InjectFault(b.realm, sandbox.Fault{Kind: kind, Path: "/cdc"})
		if _, err := c.Changes(ctx, q); err == nil {
			t.Errorf("%s: no error", kind)
		} else if cl, _ := classOf(t, err); cl != want {
			t.Errorf("%s: class %v, want %v", kind, cl, want)
		}
	}
	if _, err := c.Changes(ctx, q); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

func TestBills(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	var bill struct{ Id string }
	b.action("/bills", `{"vendor": "Acme Supplies", "amount": "120.00", "date": "2026-11-02", "due_date": "2026-12-02"}`, http.StatusCreated, &bill)
	b.action("/bills", `{"vendor": "Acme Supplies", "amount": "30.00", "date": "2026-11-10"}`, http.StatusCreated, nil)
	list, err := c.Bills(ctx, platform.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Date != "2026-11-10" || list[1].ID != bill.Id {
		t.Fatalf("bills %+v, want newest first", list)
	}
	one, err := c.Bill(ctx, bill.Id)
	if err != nil {
		t.Fatal(err)
	}
	if one.State != "open" || one.Totals.Total != 12000 || one.AmountDue != 12000 || one.ContactName != "Acme Supplies" ||
		one.DueDate != "2026-12-02" || one.Currency != "GBP" || len(one.Lines) != 1 {
		t.Errorf("bill %+v", one)
	}
	if _, err := c.Bill(ctx, "999"); err == nil {
		t.Error("an unknown bill was found")
	}
	if b.spec.Checked("Bill") == 0 {
		t.Error("no Bill was checked against the XSDs")
	}
}

// BenchmarkChanges reports the calls a pull costs with one payment made since the cursor, for
// books of 10 and of 10,000 invoices: it must not grow with the books.
func BenchmarkChanges(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			bk := newBooks(b, "uk")
			ids, err := bk.sb.AddInvoices(context.Background(), bk.realm, n, "100.00")
			if err != nil {
				b.Fatal(err)
			}
			c := bk.client(Config{})
			calls := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if i > 0 && i%500 == 0 {
					// Each pull moves the sandbox's clock on 3 seconds: a new access token
					// before the hour of the last one is up.
					bk.refresh()
					c = bk.client(Config{})
				}
				bk.clock.Advance(time.Second)
				cursor := bk.clock.Now().UTC().Format(time.RFC3339)
				bk.clock.Advance(time.Second)
				p, err := bk.sb.PayInvoice(context.Background(), bk.realm, ids[i%len(ids)], "0.01")
				if err != nil {
					b.Fatal(err)
				}
				bk.clock.Advance(time.Second)
				b.StartTimer()
				ch, err := c.Changes(context.Background(), platform.ChangeQuery{Cursor: cursor})
				if err != nil || len(ch.Payments) != 1 {
					b.Fatalf("%v %+v", err, ch.Payments)
				}
				calls += ch.Calls
				b.StopTimer()
				// Each pull sees an invoice with one payment: the one made since the cursor.
				if err := bk.sb.DeletePayment(context.Background(), bk.realm, p.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/sync")
		})
	}
}

func TestChangesBeyondACDCAnswer(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	since := b.clock.Now()
	if _, err := b.sb.AddInvoices(ctx, b.realm, 1500, "1.00"); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Second)
	// 1,500 changes: the answer of 1,000 is cut short, and queries read them all.
	got, err := c.Changes(ctx, platform.ChangeQuery{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Invoices) != 1500 || got.More || got.Calls != 5 {
		t.Errorf("%d invoices, More %v, %d calls; want 1500, false, 5 (cdc, 2 pages of invoices, payments, credit memos)",
			len(got.Invoices), got.More, got.Calls)
	}
	if next, err := c.Changes(ctx, platform.ChangeQuery{Cursor: got.Cursor}); err != nil || len(next.Invoices) != 0 {
		t.Errorf("the next pull: %d invoices, %v", len(next.Invoices), err)
	}
	// A cursor older than the change data capture's 30 days is served by queries.
	old := since.Add(-40 * 24 * time.Hour).Format(time.RFC3339)
	got, err = c.Changes(ctx, platform.ChangeQuery{Cursor: old})
	if err != nil || len(got.Invoices) != 1500 || got.Cursor != since.UTC().Format(time.RFC3339) {
		t.Errorf("from 40 days back: %d invoices, cursor %s, %v", len(got.Invoices), got.Cursor, err)
	}
	if n := b.rec.count("GET", "/cdc"); n != 2 {
		t.Errorf("%d cdc calls, want 2: none for the old cursor", n)
	}
}

func TestPushCreditNotesFaultsLeaveAConsistentState(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	acme := b.customer("Acme")
	id := b.invoice(c, acme, "INV-1")
	note := creditNote(acme, id, "CN-1")
	for kind, want := range map[sandbox.FaultKind]platform.Class{sandbox.FaultServerError: platform.Transient, sandbox.FaultRateLimit: platform.RateLimited} {
		// The first batch (the credit memo) fails: nothing is created.
		b.sb.InjectFault(b.realm, sandbox.Fault{Kind: kind, Path: "/batch"})
		if _, err := c.PushCreditNotes(ctx, []platform.CreditNote{note}); err == nil {
			t.Fatalf("%s: no error", kind)
		} else if cl, _ := classOf(t, err); cl != want {
			t.Errorf("%s: class %v, want %v", kind, cl, want)
		}
		if b.balance(id) != 12000 {
			t.Fatalf("%s changed the invoice", kind)
		}
	}
	// The credit memo is created, then applying it fails; the retry applies it once.
	note.MaybeExists = true
	var batches int
	b.rec.setBefore(func(cl call) (*http.Response, error) {
		if cl.path == "/batch" {
			if batches++; batches == 2 {
				return gateway(http.StatusServiceUnavailable), nil
			}
		}
		return nil, nil
	})
	if _, err := c.PushCreditNotes(ctx, []platform.CreditNote{note}); err == nil {
		t.Fatal("no error from the failed application")
	}
	b.rec.setBefore(nil)
	res, err := c.PushCreditNotes(ctx, []platform.CreditNote{note})
	if err != nil || res[0].Err != nil || !res[0].Matched {
		t.Fatalf("retry: %v %+v", err, res)
	}
	if b.balance(id) != 10800 || len(b.sb.Payments(b.realm)) != 1 {
		t.Errorf("balance %d with %d payments, want 10800 with one", b.balance(id), len(b.sb.Payments(b.realm)))
	}
}

func TestVoidRetriesAStaleSyncTokenOnce(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	id := b.invoice(c, b.customer("Acme"), "INV-1")
	pushed := len(b.rec.batches())
	edited := false
	b.rec.setBefore(func(cl call) (*http.Response, error) {
		if cl.path == "/batch" && !edited {
			edited = true // a user edits the invoice between booksync's read and its void
			b.update("Invoice", id, map[string]any{"PrivateNote": "edited"})
		}
		return nil, nil
	})
	res, err := c.VoidInvoices(context.Background(), []platform.Void{{Ref: "r1", InvoiceID: id, Number: "INV-1"}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("void: %v %+v", err, res)
	}
	if n := len(b.rec.batches()) - pushed; n != 2 || b.balance(id) != 0 {
		t.Errorf("%d void batches, balance %d; want 2 and 0", n, b.balance(id))
	}
	if got := b.sb.Invoices(b.realm)[0].PrivateNote; got != "Voided - edited" {
		t.Errorf("PrivateNote %q", got)
	}
}

func TestChangesSplitsAPaymentOfMoneyAndCredit(t *testing.T) {
	t.Parallel()
	b := newBooks(t, "uk")
	c := b.client(Config{})
	ctx := context.Background()
	acme := b.customer("Acme")
	id := b.invoice(c, acme, "INV-1")
	b.clock.Advance(time.Second)
	since := b.clock.Now()
	// In QuickBooks, one payment of 30.00 settles 50.00 of the invoice with a credit memo of 20.00.
	memo := b.create("CreditMemo", map[string]any{"CustomerRef": map[string]any{"value": acme}, "GlobalTaxCalculation": "NotApplicable",
		"Line": []any{map[string]any{"Amount": 20, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{}}}})
	pay := b.create("Payment", map[string]any{"CustomerRef": map[string]any{"value": acme}, "TotalAmt": 30, "Line": []any{
		map[string]any{"Amount": 50, "LinkedTxn": []any{map[string]any{"TxnId": id, "TxnType": "Invoice"}}},
		map[string]any{"Amount": 20, "LinkedTxn": []any{map[string]any{"TxnId": memo, "TxnType": "CreditMemo"}}},
	}})
	b.clock.Advance(time.Second)
	got, err := c.Changes(ctx, platform.ChangeQuery{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Payments) != 1 || got.Payments[0].ID != pay || got.Payments[0].Amount != 3000 {
		t.Errorf("payments %+v, want %s of 30.00", got.Payments, pay)
	}
	if len(got.Invoices) != 1 || got.Invoices[0].AmountPaid != 3000 || got.Invoices[0].AmountCredited != 2000 || got.Invoices[0].AmountDue != 7000 {
		t.Errorf("invoices %+v", got.Invoices)
	}
}
