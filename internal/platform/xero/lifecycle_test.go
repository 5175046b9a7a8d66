package xero

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
)

// pushed connects an organisation with the customer and pushes invoices(n): the even ones
// (INV-0001, INV-0003, ...) approved, the odd ones drafts. It returns the Xero ids in order.
func pushed(t *testing.T, n int, mutate ...func(*sandbox.Options)) (*books, []string) {
	t.Helper()
	b := newBooks(t, mutate...)
	c := b.client(Config{})
	ctx := context.Background()
	res, err := c.PushContacts(ctx, []platform.Contact{{Ref: "cp-1", Name: "Acme Ltd"}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("customer: %v %+v", err, res)
	}
	items, err := c.PushItems(ctx, []platform.Item{{Ref: "p1", Code: "SKU-1", Name: "Widget", Currency: "GBP"}})
	if err != nil || items[0].Err != nil {
		t.Fatalf("product: %v %+v", err, items)
	}
	invs, err := c.PushInvoices(ctx, invoices(n, res[0].PlatformID))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range invs {
		if r.Err != nil {
			t.Fatalf("invoice %d: %v", i, r.Err)
		}
		ids[i] = r.PlatformID
	}
	b.rec.reset()
	return b, ids
}

// held returns the organisation's invoice id as the sandbox holds it.
func (b *books) held(id string) xerosandbox.Invoice {
	b.t.Helper()
	for _, inv := range b.sb.Invoices(b.tenant) {
		if inv.InvoiceID == id {
			return inv
		}
	}
	b.t.Fatalf("no invoice %s in the sandbox", id)
	return xerosandbox.Invoice{}
}

// writes returns the recorded calls that were not GETs.
func (b *books) writes() []call {
	var out []call
	for _, c := range b.rec.recorded() {
		if c.method != http.MethodGet {
			out = append(out, c)
		}
	}
	return out
}

func TestVoidInvoices(t *testing.T) {
	t.Parallel()
	b, ids := pushed(t, 3)
	ctx := context.Background()
	pay, err := b.sb.PayInvoice(ctx, b.tenant, ids[2], "12.34", "2024-02-10")
	if err != nil {
		t.Fatal(err)
	}
	c := b.client(Config{})
	voids := []platform.Void{
		{Ref: "rcv-1", InvoiceID: ids[0], Number: "INV-0001"},
		{Ref: "rcv-2", InvoiceID: ids[1], Number: "INV-0002"},
		{Ref: "rcv-3", InvoiceID: ids[2], Number: "INV-0003"},
		{Ref: "rcv-4", InvoiceID: "not-pushed", Number: "INV-0004"},
	}
	res, err := c.VoidInvoices(ctx, voids)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].PlatformID != ids[0] || b.held(ids[0]).Status != "VOIDED" || !b.held(ids[0]).AmountDue.IsZero() {
		t.Errorf("approved invoice: %+v, held %s", res[0], b.held(ids[0]).Status)
	}
	if res[1].Err != nil || b.held(ids[1]).Status != "DELETED" {
		t.Errorf("draft: %+v, held %s", res[1], b.held(ids[1]).Status)
	}
	class, code := classOf(t, res[2].Err)
	if class != platform.NeedsUserAction || code != "invoice_has_payments" ||
		!strings.Contains(res[2].Err.Error(), pay.PaymentID) || !strings.Contains(res[2].Err.Error(), "12.34") ||
		!strings.Contains(res[2].Err.Error(), "2024-02-10") {
		t.Errorf("paid invoice: %v", res[2].Err)
	}
	if b.held(ids[2]).Status != "AUTHORISED" {
		t.Errorf("the paid invoice was changed: %s", b.held(ids[2]).Status)
	}
	if _, code := classOf(t, res[3].Err); code != "invoice_not_synced" {
		t.Errorf("unpushed: %v", res[3].Err)
	}
	w := b.writes()
	if len(w) != 1 || w[0].method != http.MethodPost || w[0].path != "/Invoices" || !strings.HasPrefix(w[0].header.Get("Idempotency-Key"), "voids-") {
		t.Errorf("writes: %+v", w)
	}

	// Voiding again succeeds without writing.
	b.rec.reset()
	res, err = c.VoidInvoices(ctx, voids[:2])
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("second void: %v %+v", err, res)
	}
	if w := b.writes(); len(w) != 0 {
		t.Errorf("second void wrote %+v", w)
	}
}

func TestVoidRefusedByXeroIsClassified(t *testing.T) {
	t.Parallel()
	b, ids := pushed(t, 1)
	ctx := context.Background()
	c := b.client(Config{})
	// Paid between booksync's read and its write: Xero's own refusal is the user's to settle.
	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if r.Method == http.MethodPost {
			if _, err := b.sb.PayInvoice(ctx, b.tenant, ids[0], "1.00", ""); err != nil {
				t.Error(err)
			}
		}
		return next.RoundTrip(r)
	})
	res, err := c.VoidInvoices(ctx, []platform.Void{{Ref: "rcv-1", InvoiceID: ids[0], Number: "INV-0001"}})
	if err != nil {
		t.Fatal(err)
	}
	if class, code := classOf(t, res[0].Err); class != platform.NeedsUserAction || code != "invoice_has_payments" {
		t.Errorf("got %v", res[0].Err)
	}
	if b.held(ids[0]).Status != "AUTHORISED" {
		t.Errorf("status %s", b.held(ids[0]).Status)
	}
}

func TestVoidFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault sandbox.Fault
		class platform.Class
	}{
		{"500 on read", sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/Invoices"}, platform.Transient},
		{"429", sandbox.Fault{Kind: sandbox.FaultRateLimit, Path: "/Invoices"}, platform.RateLimited},
		{"500 on write", sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/Invoices", Count: 1}, platform.Transient},
		{"timeout after store", sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/Invoices"}, platform.UnknownOutcome},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ids := pushed(t, 1)
			c := b.client(Config{})
			ctx := context.Background()
			void := []platform.Void{{Ref: "rcv-1", InvoiceID: ids[0], Number: "INV-0001"}}
			if tt.name == "500 on write" {
				// Let the read through; fail the write.
				b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
					if r.Method == http.MethodPost {
						b.sb.InjectFault(b.tenant, tt.fault)
					}
					return next.RoundTrip(r)
				})
			} else {
				b.sb.InjectFault(b.tenant, tt.fault)
				b.dropWrites()
			}
			res, err := c.VoidInvoices(ctx, void)
			if err == nil {
				t.Fatalf("no error: %+v", res)
			}
			if class, _ := classOf(t, err); class != tt.class {
				t.Errorf("class %v, want %v: %v", class, tt.class, err)
			}
			b.setIntercept(nil)
			// Voiding again settles it either way.
			res, err = c.VoidInvoices(ctx, void)
			if err != nil || res[0].Err != nil || b.held(ids[0]).Status != "VOIDED" {
				t.Errorf("retry: %v %+v, status %s", err, res, b.held(ids[0]).Status)
			}
		})
	}
}

// creditNote credits the invoice id (INV-0001 of pushed) with one line of amount pence, no tax.
func creditNote(ref, number, contact, invoiceID string, amount int64) platform.CreditNote {
	return platform.CreditNote{
		Invoice: platform.Invoice{Ref: ref, Number: number, ContactID: contact, Date: "2024-02-05", Currency: "GBP",
			Lines: []platform.InvoiceLine{{Description: "Refund", Quantity: decimal.NewFromInt(1), UnitAmount: amount, AccountCode: "200", TaxCode: "NONE"}}},
		InvoiceID: invoiceID, InvoiceNumber: "INV-0001", Amount: amount,
	}
}

func TestPushCreditNotes(t *testing.T) {
	t.Parallel()
	b, ids := pushed(t, 1)
	ctx := context.Background()
	c := b.client(Config{})
	contact := b.held(ids[0]).Contact.ContactID
	due := b.held(ids[0]).AmountDue

	// The third fits the amount due alone, not after the first.
	res, err := c.PushCreditNotes(ctx, []platform.CreditNote{
		creditNote("cn-1", "CN-A1", contact, ids[0], 1000),
		creditNote("cn-2", "CN-A2", contact, ids[0], 1_000_000),
		creditNote("cn-3", "CN-A3", contact, ids[0], due.Shift(2).IntPart()),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].PlatformID == "" || res[0].Totals == nil || res[0].Totals.Total != 1000 {
		t.Errorf("credit note: %+v", res[0])
	}
	class, code := classOf(t, res[1].Err)
	if class != platform.NeedsUserAction || code != "credit_exceeds_amount_due" ||
		!strings.Contains(res[1].Err.Error(), "10000.00") || !strings.Contains(res[1].Err.Error(), "INV-0001") {
		t.Errorf("too large: %v", res[1].Err)
	}
	if _, code := classOf(t, res[2].Err); code != "credit_exceeds_amount_due" {
		t.Errorf("too large with the first: %v", res[2].Err)
	}
	inv := b.held(ids[0])
	if !inv.AmountCredited.Equal(decimal.NewFromInt(10)) || !inv.AmountDue.Equal(due.Sub(decimal.NewFromInt(10))) {
		t.Errorf("invoice credited %s, due %s (was %s)", inv.AmountCredited, inv.AmountDue, due)
	}
	cns := b.sb.CreditNotes(b.tenant)
	if len(cns) != 1 || cns[0].CreditNoteNumber != "CN-A1" || cns[0].Type != "ACCRECCREDIT" || cns[0].Status != "PAID" ||
		len(cns[0].Allocations) != 1 || !cns[0].RemainingCredit.IsZero() {
		t.Errorf("credit notes held: %+v", cns)
	}

	// Pushed again as possibly existing: matched, not allocated twice.
	again := creditNote("cn-1", "CN-A1", contact, ids[0], 1000)
	again.MaybeExists = true
	b.rec.reset()
	res, err = c.PushCreditNotes(ctx, []platform.CreditNote{again})
	if err != nil || res[0].Err != nil || !res[0].Matched || res[0].PlatformID != cns[0].CreditNoteID {
		t.Fatalf("again: %v %+v", err, res)
	}
	if w := b.writes(); len(w) != 0 {
		t.Errorf("pushed again, it wrote %+v", w)
	}
	if got := b.held(ids[0]).AmountCredited; !got.Equal(decimal.NewFromInt(10)) {
		t.Errorf("credited %s after the second push", got)
	}
	// The sandbox keeps credit notes across a restart.
	if got := b.restarted().sb.CreditNotes(b.tenant); len(got) != 1 || len(got[0].Allocations) != 1 {
		t.Errorf("after a restart: %+v", got)
	}
}

func TestPushCreditNotesAfterAFaultAllocatesOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault sandbox.Fault
		class platform.Class
	}{
		// "/CreditNotes/" is the allocation; "/CreditNotes" the creation first.
		{"dropped creation", sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/CreditNotes"}, platform.UnknownOutcome},
		{"dropped allocation", sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/CreditNotes/"}, platform.UnknownOutcome},
		{"500 on the creation", sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/CreditNotes"}, platform.Transient},
		{"429 on the allocation", sandbox.Fault{Kind: sandbox.FaultRateLimit, Path: "/CreditNotes/"}, platform.RateLimited},
		{"500 reading the invoice", sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/Invoices"}, platform.Transient},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ids := pushed(t, 1)
			ctx := context.Background()
			c := b.client(Config{})
			contact := b.held(ids[0]).Contact.ContactID
			b.sb.InjectFault(b.tenant, tt.fault)
			b.dropWrites()
			note := creditNote("cn-1", "CN-B1", contact, ids[0], 2500)
			_, err := c.PushCreditNotes(ctx, []platform.CreditNote{note})
			if class, _ := classOf(t, err); class != tt.class {
				t.Fatalf("first push: %v", err)
			}
			if b.sb.PendingFaults(b.tenant) != 0 {
				t.Fatal("the fault did not fire")
			}
			note.MaybeExists = true
			res, err := c.PushCreditNotes(ctx, []platform.CreditNote{note})
			if err != nil || res[0].Err != nil {
				t.Fatalf("retry: %v %+v", err, res)
			}
			cns := b.sb.CreditNotes(b.tenant)
			if len(cns) != 1 || len(cns[0].Allocations) != 1 {
				t.Fatalf("credit notes: %+v", cns)
			}
			if got := b.held(ids[0]).AmountCredited; !got.Equal(decimal.RequireFromString("25")) {
				t.Errorf("credited %s, want 25", got)
			}
		})
	}
}

func TestDeletePayments(t *testing.T) {
	t.Parallel()
	b, ids := pushed(t, 1)
	ctx := context.Background()
	c := b.client(Config{})
	total := b.held(ids[0]).Total
	pays, err := c.PushPayments(ctx, []platform.Payment{{Ref: "pay-1", InvoiceID: ids[0], AccountCode: "090", Date: "2024-02-03", Amount: total.Shift(2).IntPart(), Currency: "GBP"}})
	if err != nil || pays[0].Err != nil {
		t.Fatal(err, pays)
	}
	if b.held(ids[0]).Status != "PAID" {
		t.Fatalf("not paid: %s", b.held(ids[0]).Status)
	}
	ref := platform.PaymentRef{Ref: "pay-1", PaymentID: pays[0].PlatformID, InvoiceID: ids[0]}
	b.rec.reset()
	res, err := c.DeletePayments(ctx, []platform.PaymentRef{ref})
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	inv := b.held(ids[0])
	if inv.Status != "AUTHORISED" || !inv.AmountDue.Equal(total.Decimal) || !inv.AmountPaid.IsZero() {
		t.Errorf("invoice after the delete: %s due %s paid %s", inv.Status, inv.AmountDue, inv.AmountPaid)
	}
	if p := b.sb.Payments(b.tenant)[0]; p.Status != "DELETED" {
		t.Errorf("payment %s", p.Status)
	}
	if w := b.writes(); len(w) != 1 || string(w[0].body) != `{"Status":"DELETED"}` {
		t.Errorf("writes %+v", w)
	}
	// Deleted again (a retry, or deleted in Xero meanwhile): succeeds.
	res, err = c.DeletePayments(ctx, []platform.PaymentRef{ref})
	if err != nil || res[0].Err != nil {
		t.Errorf("again: %v %+v", err, res)
	}
	// A fault while deleting leaves it to the retry.
	pay, err := b.sb.PayInvoice(ctx, b.tenant, ids[0], "1.00", "")
	if err != nil {
		t.Fatal(err)
	}
	b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/Payments/"})
	b.wire.CloseIdleConnections()
	ref2 := platform.PaymentRef{Ref: "pay-2", PaymentID: pay.PaymentID, InvoiceID: ids[0]}
	if _, err := c.DeletePayments(ctx, []platform.PaymentRef{ref2}); err == nil {
		t.Fatal("no error for the dropped call")
	}
	if res, err := c.DeletePayments(ctx, []platform.PaymentRef{ref2}); err != nil || res[0].Err != nil {
		t.Errorf("retry: %v %+v", err, res)
	}
	if inv := b.held(ids[0]); !inv.AmountDue.Equal(total.Decimal) {
		t.Errorf("due %s, want %s", inv.AmountDue, total)
	}
}

// dropWrites makes every write of the connector go on a new connection, so that a
// FaultTimeoutAfterStore reaches it as a dropped call: on a connection used before, net/http
// sends a request with an Idempotency-Key again by itself, and Xero replays its answer.
func (b *books) dropWrites() {
	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if r.Method != http.MethodGet {
			b.wire.CloseIdleConnections()
		}
		return next.RoundTrip(r)
	})
}

// gated gives the sandbox the login of partner-a (bearer token "token-a"), so that tests can
// call its scripts' routes; connect the organisation to the partner after newBooks.
func gated(partners **sandboxtest.Partners) func(*sandbox.Options) {
	return func(o *sandbox.Options) {
		p := sandboxtest.NewPartners()
		p.Add("partner-a", "secret-a", "token-a")
		*partners = p
		o.Gate = sandbox.NewGate(sandbox.GateOptions{BaseURL: o.BaseURL, Partners: p, Now: o.Now})
	}
}

func TestChanges(t *testing.T) {
	t.Parallel()
	var partners *sandboxtest.Partners
	b, ids := pushed(t, 2, gated(&partners))
	partners.Connect("partner-a", xerosandbox.Namespace, b.tenant)
	ctx := context.Background()
	c := b.client(Config{})

	// The first pull from when the books were connected sees what booksync pushed.
	first, err := c.Changes(ctx, platform.ChangeQuery{Since: start})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Invoices) != 2 || len(first.Payments) != 0 || first.More || first.Calls != 3 {
		t.Errorf("first pull: %+v", first)
	}
	// Nothing changed: nothing reported.
	b.clock.Advance(time.Minute)
	none, err := c.Changes(ctx, platform.ChangeQuery{Cursor: first.Cursor})
	if err != nil || len(none.Invoices)+len(none.Payments) != 0 || none.Calls != 3 {
		t.Fatalf("unchanged: %v %+v", err, none)
	}

	// A payment made in Xero, through the sandbox's script route.
	status, body := sandboxtest.PostJSON(t, http.DefaultClient, b.srv.URL+"/invoices/"+ids[0]+"/payments", "token-a", `{"amount": "50.00", "date": "2024-03-01"}`)
	if status != http.StatusCreated {
		t.Fatalf("script payment: %d %s", status, body)
	}
	paid, err := c.Changes(ctx, platform.ChangeQuery{Cursor: none.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(paid.Payments) != 1 || len(paid.Invoices) != 1 {
		t.Fatalf("after a payment: %+v", paid)
	}
	p, inv := paid.Payments[0], paid.Invoices[0]
	if p.InvoiceID != ids[0] || p.Amount != 5000 || p.Currency != "GBP" || p.Date != "2024-03-01" || p.Deleted || p.ID == "" {
		t.Errorf("payment change %+v", p)
	}
	if inv.ID != ids[0] || inv.State != platform.InvoiceOpen || inv.AmountPaid != 5000 || inv.AmountDue != inv.Total-5000 {
		t.Errorf("invoice change %+v", inv)
	}
	again, err := c.Changes(ctx, platform.ChangeQuery{Cursor: paid.Cursor})
	if err != nil || len(again.Invoices)+len(again.Payments) != 0 {
		t.Fatalf("reported twice: %v %+v", err, again)
	}

	// Deleted, voided and credited in Xero.
	b.clock.Advance(time.Minute)
	if _, err := b.sb.DeletePayment(ctx, b.tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.sb.CreditInvoice(ctx, b.tenant, ids[0], "10.00", ""); err != nil {
		t.Fatal(err)
	}
	gone, err := c.Changes(ctx, platform.ChangeQuery{Cursor: again.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(gone.Payments) != 1 || !gone.Payments[0].Deleted || gone.Payments[0].ID != p.ID {
		t.Errorf("deleted payment: %+v", gone.Payments)
	}
	var credited, note bool
	for _, ch := range gone.Invoices {
		switch {
		case ch.ID == ids[0]:
			credited = ch.AmountCredited == 1000 && ch.AmountPaid == 0 && ch.State == platform.InvoiceOpen
		case strings.HasPrefix(ch.Number, "CN-"):
			note = ch.Total == 1000 && ch.AmountCredited == 1000 && ch.AmountDue == 0
		}
	}
	if !credited || !note || len(gone.Invoices) != 2 {
		t.Errorf("credited: %+v", gone.Invoices)
	}
}

func TestChangesPagesAndFaults(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	ctx := context.Background()
	// 650 invoices changed at one instant: more than five pages, so a pull stops with More and
	// the next goes on from there, all reported once.
	if err := b.sb.AddInvoices(ctx, b.tenant, 650, "10.00"); err != nil {
		t.Fatal(err)
	}
	c := b.client(Config{})
	seen := map[string]int{}
	q := platform.ChangeQuery{Since: start}
	pulls := 0
	for {
		pulls++
		if pulls == 2 {
			// A fault during the pull leaves the cursor where it was: the pull is simply run again.
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/Payments"})
			if _, err := c.Changes(ctx, q); err == nil {
				t.Fatal("no error from the faulted pull")
			} else if class, _ := classOf(t, err); class != platform.Transient {
				t.Fatalf("fault: %v", err)
			}
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultRateLimit, Path: "/CreditNotes"})
			if _, err := c.Changes(ctx, q); err == nil {
				t.Fatal("no error from the rate-limited pull")
			} else if class, _ := classOf(t, err); class != platform.RateLimited {
				t.Fatalf("rate limit: %v", err)
			}
		}
		ch, err := c.Changes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range ch.Invoices {
			seen[inv.ID]++
		}
		q = platform.ChangeQuery{Cursor: ch.Cursor}
		if !ch.More {
			break
		}
		if pulls > 10 {
			t.Fatal("the pull does not end")
		}
	}
	if len(seen) != 650 || pulls < 2 {
		t.Errorf("saw %d invoices in %d pulls", len(seen), pulls)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("invoice %s reported %d times", id, n)
		}
	}
}

func TestBills(t *testing.T) {
	t.Parallel()
	b, ids := pushed(t, 1)
	ctx := context.Background()
	bill, err := b.sb.AddBill(ctx, b.tenant, xerosandbox.Bill{Contact: "Paper Co", Amount: "120.00", Date: "2024-02-01", DueDate: "2024-03-01", Number: "P-77"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.sb.PayInvoice(ctx, b.tenant, bill.InvoiceID, "20.00", "2024-02-15"); err != nil {
		t.Fatal(err)
	}
	c := b.client(Config{})
	bills, err := c.Bills(ctx, platform.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bills) != 1 {
		t.Fatalf("bills: %+v", bills)
	}
	got := bills[0]
	if got.ID != bill.InvoiceID || got.Number != "P-77" || got.ContactName != "Paper Co" || got.State != booksync.BillPartiallyPaid ||
		got.Totals.Total != 12000 || got.AmountDue != 10000 || got.DueDate != "2024-03-01" {
		t.Errorf("bill %+v", got)
	}
	one, err := c.Bill(ctx, bill.InvoiceID)
	if err != nil || one.ID != bill.InvoiceID || one.State != booksync.BillPartiallyPaid {
		t.Errorf("Bill: %v %+v", err, one)
	}
	// A sales invoice is no bill.
	if _, err := c.Bill(ctx, ids[0]); err == nil {
		t.Error("a sales invoice was read as a bill")
	} else if _, code := classOf(t, err); code != "not_found" {
		t.Errorf("sales invoice: %v", err)
	}
	// A changed sales invoice does not come back as a bill, nor a bill's payment as a sale's.
	ch, err := c.Changes(ctx, platform.ChangeQuery{Since: start})
	if err != nil || len(ch.Invoices) != 1 || len(ch.Payments) != 0 {
		t.Errorf("changes with a bill: %v %+v", err, ch)
	}
}

// BenchmarkChanges reports what a sync costs with one payment made since the last pull, for
// books of 10 and of 10,000 invoices: the calls must not grow with the books.
func BenchmarkChanges(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			bk := newBooks(b)
			ctx := context.Background()
			if err := bk.sb.AddInvoices(ctx, bk.tenant, n, "100.00"); err != nil {
				b.Fatal(err)
			}
			c := bk.client(Config{})
			bk.clock.Advance(time.Minute)
			since := bk.clock.Now()
			bk.clock.Advance(time.Minute)
			first := bk.sb.Invoices(bk.tenant)[0].InvoiceID
			if _, err := bk.sb.PayInvoice(ctx, bk.tenant, first, "1.00", ""); err != nil {
				b.Fatal(err)
			}
			calls := 0
			b.ResetTimer()
			for range b.N {
				ch, err := c.Changes(ctx, platform.ChangeQuery{Since: since})
				if err != nil {
					b.Fatal(err)
				}
				if len(ch.Payments) != 1 || len(ch.Invoices) != 1 || ch.More {
					b.Fatalf("changes: %d payments, %d invoices, more %v", len(ch.Payments), len(ch.Invoices), ch.More)
				}
				calls = ch.Calls
			}
			b.ReportMetric(float64(calls), "calls/sync")
		})
	}
}
