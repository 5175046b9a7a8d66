package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// books is what a lifecycle test does in an entity's accounting system as its users would: pay
// an invoice, delete a payment, void an invoice, enter a bill.
type books struct {
	name string
	// connect connects the entity and sets its sales and payments accounts.
	connect func(c *client) (connID string)
	// pay pays an invoice (the books' id, and booksync's number) in the books; it returns the
	// payment's reference there (what deletePayment takes).
	pay func(c *client, invoiceID, number string, amount string) string
	// deletePayment deletes a payment made with pay.
	deletePayment func(c *client, ref string)
	// void voids (or unposts) an invoice in the books.
	void func(c *client, invoiceID, number string)
	// credit credits an invoice in the books with a credit note of amount, applied to it.
	credit func(c *client, invoiceID, number string, amount string)
	// addBill enters a bill from a vendor.
	addBill func(c *client, vendor, number string)
	// check reads the books back by other means than booksync's (the sandbox's own state, the
	// real GnuCash engine) and fails the test when an invoice's amount due there is not want.
	check func(c *client, invoiceID, number string, wantDue int64)
}

// script calls a sandbox's page action as a partner's script does, with its bearer token.
func (c *client) script(path string, body any, want int) []byte {
	c.s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest("POST", c.s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.s.t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, out)
	}
	return out
}

func xeroBooks() books {
	var tenant string
	return books{
		name: "Xero",
		connect: func(c *client) string {
			connID, t := c.connect()
			tenant = t
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{"ledger_account_ids": map[string]any{
				"products": c.idByName("/ledger_accounts", "Sales"), "payments": c.idByName("/ledger_accounts", "Business Bank Account")}}}, 200, nil)
			return connID
		},
		pay: func(c *client, id, _ string, amount string) string {
			var p struct{ PaymentID string }
			_ = json.Unmarshal(c.script("/sandbox/xero/invoices/"+id+"/payments", map[string]string{"amount": amount, "date": "2026-11-20"}, 201), &p)
			return p.PaymentID
		},
		deletePayment: func(c *client, ref string) { c.script("/sandbox/xero/payments/"+ref+"/delete", nil, 200) },
		void:          func(c *client, id, _ string) { c.script("/sandbox/xero/invoices/"+id+"/void", nil, 200) },
		credit: func(c *client, id, _ string, amount string) {
			c.script("/sandbox/xero/invoices/"+id+"/credit_notes", map[string]string{"amount": amount}, 201)
		},
		addBill: func(c *client, vendor, number string) {
			c.script("/sandbox/xero/orgs/"+tenant+"/bills", map[string]string{"contact": vendor, "amount": "120.00", "date": "2026-11-01", "due_date": "2026-12-01", "number": number}, 201)
		},
		check: func(c *client, id, _ string, want int64) {
			c.s.t.Helper()
			for _, inv := range c.s.app.XeroSandbox.Invoices(tenant) {
				if inv.InvoiceID == id {
					if got := inv.AmountDue.Shift(2).IntPart(); got != want {
						c.s.t.Fatalf("Xero has %d due on %s (%s), want %d", got, inv.InvoiceNumber, inv.Status, want)
					}
					return
				}
			}
			c.s.t.Fatalf("Xero has no invoice %s", id)
		},
	}
}

func quickBooksBooks() books {
	var realm string
	return books{
		name: "QuickBooks",
		connect: func(c *client) string {
			connID := c.connectPlatform("quickbooks", url.Values{"company": {"uk"}})
			companies := c.s.app.QuickBooksSandbox.Companies()
			realm = companies[len(companies)-1]
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{"ledger_account_ids": map[string]any{
				"products": c.idByName("/ledger_accounts", "Sales of Product Income"), "payments": c.idByName("/ledger_accounts", "Checking")}}}, 200, nil)
			return connID
		},
		pay: func(c *client, id, _ string, amount string) string {
			var p struct{ ID string }
			_ = json.Unmarshal(c.script("/sandbox/quickbooks/companies/"+realm+"/invoices/"+id+"/payments", map[string]string{"amount": amount, "date": "2026-11-20"}, 201), &p)
			if p.ID == "" {
				c.s.t.Fatal("the QuickBooks sandbox gave the payment no Id")
			}
			return p.ID
		},
		deletePayment: func(c *client, ref string) {
			c.script("/sandbox/quickbooks/companies/"+realm+"/payments/"+ref+"/delete", nil, 200)
		},
		void: func(c *client, id, _ string) {
			c.script("/sandbox/quickbooks/companies/"+realm+"/invoices/"+id+"/void", nil, 200)
		},
		credit: func(c *client, id, _ string, amount string) {
			c.script("/sandbox/quickbooks/companies/"+realm+"/invoices/"+id+"/credit_memos", map[string]string{"amount": amount}, 201)
		},
		addBill: func(c *client, vendor, number string) {
			c.script("/sandbox/quickbooks/companies/"+realm+"/bills", map[string]string{"vendor": vendor, "amount": "120.00", "date": "2026-11-01", "due_date": "2026-12-01", "number": number}, 201)
		},
		check: func(c *client, id, _ string, want int64) {
			c.s.t.Helper()
			for _, inv := range c.s.app.QuickBooksSandbox.Invoices(realm) {
				if inv.ID == id {
					if got := inv.Balance.Shift(2).IntPart(); got != want {
						c.s.t.Fatalf("QuickBooks has a balance of %d on %s, want %d", got, inv.DocNumber, want)
					}
					return
				}
			}
			c.s.t.Fatalf("QuickBooks has no invoice %s", id)
		},
	}
}

// gnucashEngine runs testdata/engine.py: the real GnuCash engine changing the book as a GnuCash
// user would. The book is locked while booksync has it open; the engine then tries again.
func gnucashEngine(c *client, args ...string) string {
	c.s.t.Helper()
	requireGnuCash(c.s.t)
	book := filepath.Join(c.s.gnucashDir, c.entityID+".gnucash")
	var out, errb bytes.Buffer
	for try := 0; ; try++ {
		out.Reset()
		errb.Reset()
		cmd := exec.Command("/usr/bin/python3", append([]string{filepath.Join("..", "platform", "gnucash", "testdata", "engine.py"), book}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err == nil {
			return strings.TrimSpace(out.String())
		}
		if try > 50 || !strings.Contains(strings.ToLower(errb.String()), "lock") {
			c.s.t.Fatalf("engine.py %v: %v\n%s", args, err, errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireGnuCash skips (locally) or fails (in CI) a test that needs the real GnuCash engine.
func requireGnuCash(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import gnucash").Run(); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("BOOKSYNC_REQUIRE_GNUCASH") != "" {
			t.Fatalf("the GnuCash engine is not installed: run scripts/ensure-gnucash")
		}
		t.Skip("the GnuCash engine is not installed (apt-get install gnucash python3-gnucash libdbd-sqlite3, or make test)")
	}
}

func gnucashBooks() books {
	payments := 0
	return books{
		name: "GnuCash",
		connect: func(c *client) string {
			var conn struct{ ID string }
			c.do("POST", "/accounting_connections", map[string]any{"platform": "gnucash"}, 201, &conn)
			c.waitFor("the initial pull", func() bool {
				var l struct{ Data []any }
				c.do("GET", "/accounting_tax_rates", nil, 200, &l)
				return len(l.Data) > 0
			})
			c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{"ledger_account_ids": map[string]any{
				"products": c.idByName("/ledger_accounts", "Income:Sales"), "payments": c.idByName("/ledger_accounts", "Assets:Current Assets:Checking Account")}}}, 200, nil)
			return conn.ID
		},
		pay: func(c *client, _, number string, amount string) string {
			payments++
			num := fmt.Sprintf("BACS-%d", payments)
			minor := strings.ReplaceAll(amount, ".", "")
			gnucashEngine(c, "pay", number, minor, "100", "2026-11-20", num, "1010")
			return num
		},
		credit: func(c *client, _, number string, amount string) {
			// A credit note entered and applied in GnuCash, numbered apart from booksync's own.
			gnucashEngine(c, "credit", number, "GC-CN-"+number, strings.ReplaceAll(amount, ".", ""), "100")
		},
		deletePayment: func(c *client, ref string) { gnucashEngine(c, "delete-payment", ref) },
		void:          func(c *client, _, number string) { gnucashEngine(c, "unpost", number) },
		addBill: func(c *client, vendor, number string) {
			gnucashEngine(c, "bill", vendor, number, "12000", "100", "1", "0")
		},
		check: func(c *client, _, number string, want int64) {
			c.s.t.Helper()
			book := readWithGnuCash(c.s.t, filepath.Join(c.s.gnucashDir, c.entityID+".gnucash"))
			for _, inv := range book.Invoices {
				if inv.ID == number {
					got := int64(0)
					if inv.Posted {
						got = minorUnits(c.s.t, inv.LotBalance, 100)
					}
					if got != want {
						c.s.t.Fatalf("GnuCash reads %d due on %s (%+v), want %d", got, number, inv, want)
					}
					return
				}
			}
			c.s.t.Fatalf("GnuCash reads no invoice %s", number)
		},
	}
}

// receivable is what GET /receivables/{id} says of an invoice's amounts.
type receivable struct {
	Status      string `json:"status"`
	TotalAmount int64  `json:"total_amount"`
	AmountPaid  int64  `json:"amount_paid"`
	AmountDue   int64  `json:"amount_due"`
}

func (c *client) receivable(id string) receivable {
	c.s.t.Helper()
	var r receivable
	c.do("GET", "/receivables/"+id, nil, 200, &r)
	return r
}

// syncNow asks for a sync and waits until it pulled: the connection's last_pull moves past the
// moment of asking (a sync pulls the changes in the books before it stamps last_pull).
func (c *client) syncNow(connID string) {
	c.s.t.Helper()
	asked := time.Now().UTC()
	c.do("POST", "/accounting_connections/"+connID+"/sync", nil, 202, nil)
	c.waitFor("a sync to pull", func() bool {
		var conn struct {
			LastPull *time.Time `json:"last_pull"`
		}
		c.do("GET", "/accounting_connections/"+connID, nil, 200, &conn)
		return conn.LastPull != nil && conn.LastPull.After(asked)
	})
}

// paymentsOf returns the payment records of an invoice.
func (c *client) paymentsOf(invoiceID string) []struct {
	ID, Status string
	Amount     int64
	IsExternal bool `json:"is_external"`
} {
	var l struct {
		Data []struct {
			ID, Status string
			Amount     int64
			IsExternal bool `json:"is_external"`
		}
	}
	c.do("GET", "/payment_records?object_id="+invoiceID, nil, 200, &l)
	return l.Data
}

// TestInvoiceLifeBothWays follows invoices after they reach each accounting system, through the
// API as a platform would and in the books as an accountant would: a cancel voids the invoice
// there; a cancel is refused while the books hold a payment; payments made there come back once,
// however often booksync syncs; a credit note is created and applied there, lowering what is due
// on both sides; a canceled payment leaves the books; a payment deleted there is canceled here;
// an invoice voided there is canceled here; bills are read through.
func TestInvoiceLifeBothWays(t *testing.T) {
	t.Parallel()
	for _, b := range []func() books{xeroBooks, quickBooksBooks, gnucashBooks} {
		bk := b()
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, s *stack) {
				lifeBothWays(t, s, b())
			})
		})
	}
}

func lifeBothWays(t *testing.T, s *stack, bk books) {
	c := s.partner().newEntity()
	connID := bk.connect(c)
	r := c.customerAndProduct("Acme Trading Ltd", nil)
	// 2 x 123.45 + 20% VAT = 296.28
	pushed := func() (id, number, booksID string) {
		id, number = c.issue(r, nil, line(r.product, 2, 2000))
		rec := c.record("receivable", id)
		if rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
			t.Fatalf("%s invoice record: %s", bk.name, rec)
		}
		return id, number, *rec.PlatformObjectID
	}

	// Cancel -> voided in the books.
	a, aNum, aBooks := pushed()
	c.do("POST", "/receivables/"+a+"/cancel", nil, 204, nil)
	if rec := c.record("receivable", a); rec.SyncStatus != "done" {
		t.Fatalf("canceled invoice's record: %s", rec)
	}
	bk.check(c, aBooks, aNum, 0)
	var voided struct {
		PassThrough struct {
			Status    string      `json:"status"`
			AmountDue json.Number `json:"amount_due"`
		} `json:"pass_through"`
	}
	c.do("GET", "/accounting/receivables/"+aBooks, nil, 200, &voided)
	if d, _ := voided.PassThrough.AmountDue.Float64(); d != 0 || voided.PassThrough.Status == "" {
		t.Fatalf("%s reads the voided invoice back as %+v", bk.name, voided.PassThrough)
	}

	// Paid in the books: the cancel is refused, naming the payment; the payment comes back once.
	b, bNum, bBooks := pushed()
	payRef := bk.pay(c, bBooks, bNum, "100.00")
	body := c.do("POST", "/receivables/"+b+"/cancel", nil, 409, nil)
	if !strings.Contains(string(body), "100.00") || !strings.Contains(string(body), bNum) {
		t.Fatalf("cancel of an invoice paid in the books: %s", body)
	}
	// A credit note of the whole invoice is refused too: the books have only 196.28 due.
	var full struct{ ID string }
	c.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": b}, 201, &full)
	body = c.do("POST", "/receivables/"+full.ID+"/issue", nil, 409, nil)
	if !strings.Contains(string(body), "196.28") {
		t.Fatalf("credit note beyond what the books have due: %s", body)
	}
	c.do("DELETE", "/receivables/"+full.ID, nil, 204, nil)
	c.syncNow(connID)
	c.syncNow(connID)
	if got := c.receivable(b); got.Status != "partially_paid" || got.AmountPaid != 10000 || got.AmountDue != 29628-10000 {
		t.Fatalf("after a payment of 100.00 in the books: %+v", got)
	}
	if ps := c.paymentsOf(b); len(ps) != 1 || ps[0].Amount != 10000 || ps[0].Status != "succeeded" {
		t.Fatalf("payment records after two syncs: %+v", ps)
	}
	// Deleted in the books: canceled here.
	bk.deletePayment(c, payRef)
	c.syncNow(connID)
	if got := c.receivable(b); got.Status != "issued" || got.AmountPaid != 0 {
		t.Fatalf("after the payment's deletion in the books: %+v", got)
	}
	if ps := c.paymentsOf(b); len(ps) != 1 || ps[0].Status != "canceled" {
		t.Fatalf("payment records after the deletion in the books: %+v", ps)
	}
	// Paid in full there: paid here.
	bk.pay(c, bBooks, bNum, "296.28")
	c.syncNow(connID)
	if got := c.receivable(b); got.Status != "paid" || got.AmountDue != 0 {
		t.Fatalf("after paying in full in the books: %+v", got)
	}

	// A credit note of half the invoice: in the books, applied, amount due lowered on both sides.
	cInv, cNum, cBooks := pushed()
	var cn struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		LineItems []any  `json:"line_items"`
	}
	c.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": cInv}, 201, &cn)
	c.do("PUT", "/receivables/"+cn.ID+"/line_items", map[string]any{"data": []any{line(r.product, 1, 2000)}}, 200, nil)
	c.do("POST", "/receivables/"+cn.ID+"/issue", nil, 200, nil)
	if rec := c.record("receivable", cn.ID); rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
		t.Fatalf("credit note's record: %s", rec)
	}
	if got := c.receivable(cInv); got.AmountDue != 29628-14814 {
		t.Fatalf("invoice after its credit note: %+v", got)
	}
	bk.check(c, cBooks, cNum, 29628-14814)

	// A payment recorded here, pushed, then canceled: gone from the books.
	var pay struct{ ID string }
	c.do("POST", "/payment_records", map[string]any{"amount": 5000, "currency": "GBP", "object": map[string]any{"id": cInv, "type": "receivable"}}, 201, &pay)
	if rec := c.record("payment_record", pay.ID); rec.SyncStatus != "done" {
		t.Fatalf("payment's record: %s", rec)
	}
	bk.check(c, cBooks, cNum, 29628-14814-5000)
	c.do("POST", "/payment_records/"+pay.ID+"/cancel", map[string]any{}, 200, nil)
	if rec := c.record("payment_record", pay.ID); rec.SyncStatus != "done" {
		t.Fatalf("canceled payment's record: %s", rec)
	}
	bk.check(c, cBooks, cNum, 29628-14814)
	c.syncNow(connID)
	if got := c.receivable(cInv); got.AmountDue != 29628-14814 || got.AmountPaid != 0 {
		t.Fatalf("invoice after its payment was canceled and the books synced: %+v", got)
	}

	// Credited in the books: the amount due falls here too, once.
	if bk.credit != nil {
		d, dNum, dBooks := pushed()
		bk.credit(c, dBooks, dNum, "96.28")
		c.syncNow(connID)
		c.syncNow(connID)
		if got := c.receivable(d); got.AmountDue != 20000 || got.Status != "issued" {
			t.Fatalf("invoice credited 96.28 in the books: %+v", got)
		}
		bk.check(c, dBooks, dNum, 20000)
	}

	// Voided in the books: canceled here.
	e, eNum, eBooks := pushed()
	bk.void(c, eBooks, eNum)
	c.syncNow(connID)
	if got := c.receivable(e); got.Status != "canceled" {
		t.Fatalf("invoice voided in the books is %+v here", got)
	}

	// The platform heard of it all: each change wrote its event.
	actions := map[string]bool{}
	next := "/events?limit=100"
	for next != "" {
		var l struct {
			Data []struct {
				Action   string `json:"action"`
				ObjectID string `json:"object_id"`
			}
			Next *string `json:"next_pagination_token"`
		}
		c.do("GET", next, nil, 200, &l)
		for _, ev := range l.Data {
			actions[ev.Action] = true
		}
		next = ""
		if l.Next != nil {
			next = "/events?limit=100&pagination_token=" + url.QueryEscape(*l.Next)
		}
	}
	for _, want := range []string{"receivable.canceled", "receivable.partially_paid", "receivable.paid", "receivable.updated",
		"payment.accounting_pulled", "payment.canceled", "payment.created", "receivable.accounting_pushed"} {
		if !actions[want] {
			t.Errorf("no %s event among %v", want, actions)
		}
	}

	// Bills in the books, read through.
	bk.addBill(c, "Paper Supplies Ltd", "BILL-7")
	var bills struct {
		Data []struct {
			ID            string                 `json:"id"`
			InvoiceNumber string                 `json:"invoice_number"`
			Status        string                 `json:"status"`
			TotalAmount   json.Number            `json:"total_amount"`
			VendorRef     *struct{ Name string } `json:"vendor_ref"`
		}
	}
	c.do("GET", "/accounting/payables", nil, 200, &bills)
	found := false
	for _, bill := range bills.Data {
		if bill.InvoiceNumber == "BILL-7" {
			found = true
			if bill.TotalAmount.String() != "120.00" || bill.VendorRef == nil || bill.VendorRef.Name != "Paper Supplies Ltd" {
				t.Fatalf("bill as read through: %+v", bill)
			}
			c.do("GET", "/accounting/payables/"+bill.ID, nil, 200, nil)
		}
	}
	if !found {
		t.Fatalf("%s bills read through: %+v", bk.name, bills.Data)
	}
}

// TestWhatWasRecordedBeforeConnectingFollowsTheInvoice records a payment and issues a credit note
// of an invoice before its entity connects. When the invoice's record is pushed (on request, as
// Monite does for invoices issued before the connection), both follow it into the books.
func TestWhatWasRecordedBeforeConnectingFollowsTheInvoice(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		bk := xeroBooks()
		c := s.partner().newEntity()
		r := c.customerAndProduct("Acme Trading Ltd", nil)
		inv, num := c.issue(r, nil, line(r.product, 2, 2000)) // 296.28
		var pay struct{ ID string }
		c.do("POST", "/payment_records", map[string]any{"amount": 10000, "currency": "GBP", "object": map[string]any{"id": inv, "type": "receivable"}}, 201, &pay)
		var cn struct{ ID string }
		c.do("POST", "/receivables", map[string]any{"type": "credit_note", "based_on": inv}, 201, &cn)
		c.do("PUT", "/receivables/"+cn.ID+"/line_items", map[string]any{"data": []any{line(r.product, 1, 2000)}}, 200, nil)
		c.do("POST", "/receivables/"+cn.ID+"/issue", nil, 200, nil)

		bk.connect(c)
		rec := c.record("receivable", inv)
		if rec.SyncStatus != "error" || rec.Errors.Status != "issued_before_connection" {
			t.Fatalf("invoice issued before connecting: %s", rec)
		}
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("invoice pushed on request: %s", rec)
		}
		if p := c.record("payment_record", pay.ID); p.SyncStatus != "done" {
			t.Fatalf("its earlier payment: %s", p)
		}
		if n := c.record("receivable", cn.ID); n.SyncStatus != "done" {
			t.Fatalf("its earlier credit note: %s", n)
		}
		bk.check(c, *rec.PlatformObjectID, num, 29628-10000-14814)
	})
}
