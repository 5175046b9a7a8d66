package gnucash

import (
	"bytes"
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// runEngine changes a closed book with the real GnuCash engine (testdata/engine.py) and returns
// what the script prints.
func runEngine(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", "engine.py"), path}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("engine.py %v: %v\n%s", args, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// vat20 is an invoice of one line of net minor units at VAT 20%.
func vat20(number, contact string, net int64) platform.Invoice {
	return platform.Invoice{Ref: "r-" + number, Number: number, ContactID: contact, Date: "2025-03-10", DueDate: "2025-04-09",
		Currency: "GBP", Lines: []platform.InvoiceLine{line("Work "+number, "1", net, 0, "4000", "VAT 20%", net, net/5)},
		Expected: platform.Totals{Subtotal: net, Tax: net / 5, Total: net + net/5}}
}

// creditNote credits an invoice with one line of net minor units at VAT 20%.
func creditNote(number string, inv platform.Invoice, invID string, net int64) platform.CreditNote {
	cn := vat20(number, inv.ContactID, net)
	cn.Date = "2025-03-15"
	cn.DueDate = ""
	return platform.CreditNote{Invoice: cn, InvoiceID: invID, InvoiceNumber: inv.Number, Amount: net + net/5}
}

// TestInvoiceLifecycle follows invoices after the push, both ways, and has the real GnuCash
// engine read the book back: voids (unposted, refused with a payment, reversed when the posting
// is reconciled), credit notes linked to their invoice, payments deleted; then payments made,
// deleted and invoices unposted by the engine itself come back through Changes; and bills.
func TestInvoiceLifecycle(t *testing.T) {
	t.Parallel()
	requireEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := openBook(t, dir, "entity-life", "GB", "GBP")
	path := b.Path()
	since := time.Now().UTC().Add(-time.Minute)

	cres, err := b.PushContacts(ctx, []platform.Contact{{Ref: "cp-1", Name: "Acme Ltd"}})
	if err != nil || cres[0].Err != nil {
		t.Fatalf("PushContacts: %+v %v", cres, err)
	}
	acme := cres[0].PlatformID
	var invs []platform.Invoice
	for i, net := range []int64{10000, 10000, 10000, 10000, 10000, 5000, 5000, 5000} {
		invs = append(invs, vat20("INV-"+string(rune('1'+i)), acme, net))
	}
	res, err := b.PushInvoices(ctx, invs)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", invs[i].Number, r.Err)
		}
		id[invs[i].Number] = r.PlatformID
	}
	pres, err := b.PushPayments(ctx, []platform.Payment{
		{Ref: "pay-2", InvoiceID: id["INV-2"], AccountCode: "1010", Date: "2025-03-20", Amount: 3000, Currency: "GBP", Reference: "BACS 2"},
		{Ref: "pay-6", InvoiceID: id["INV-6"], AccountCode: "1010", Date: "2025-03-21", Amount: 6000, Currency: "GBP", Reference: "BACS 6"},
	})
	if err != nil || pres[0].Err != nil || pres[1].Err != nil {
		t.Fatalf("PushPayments: %+v %v", pres, err)
	}
	pay2, pay6 := pres[0].PlatformID, pres[1].PlatformID

	// The first pull reports the payments booksync pushed, with the ids it holds, and every
	// invoice entered since booksync connected.
	known := []string{pay2, pay6}
	knownFn := func(context.Context) ([]string, error) { return known, nil }
	c1, err := b.Changes(ctx, platform.ChangeQuery{Since: since, KnownPayments: knownFn})
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]platform.PaymentChange{}
	for _, p := range c1.Payments {
		first[p.ID] = p
	}
	if p := first[pay2]; len(c1.Payments) != 2 || p.InvoiceID != id["INV-2"] || p.Amount != 3000 || p.Reference != "BACS 2" ||
		p.Date != "2025-03-20" || p.Deleted || first[pay6].Amount != 6000 || c1.Calls != 0 {
		t.Fatalf("first pull payments: %+v", c1.Payments)
	}
	if len(c1.Invoices) != len(invs) {
		t.Fatalf("first pull: %d invoices, want %d", len(c1.Invoices), len(invs))
	}

	// Void: INV-1 is unposted and inactive; again succeeds. INV-2 has a payment: refused, named.
	vres, err := b.VoidInvoices(ctx, []platform.Void{{Ref: "r-INV-1", InvoiceID: id["INV-1"], Number: "INV-1"},
		{Ref: "r-INV-2", InvoiceID: id["INV-2"], Number: "INV-2"}})
	if err != nil || vres[0].Err != nil {
		t.Fatalf("VoidInvoices: %+v %v", vres, err)
	}
	class, code, msg := codeOf(t, vres[1].Err)
	if class != platform.NeedsUserAction || code != "invoice_has_payments" || !strings.Contains(msg, "payment BACS 2 of 2025-03-20 for 30.00 GBP") {
		t.Fatalf("void of a paid invoice: %s %s %s", class, code, msg)
	}
	if again, err := b.VoidInvoices(ctx, []platform.Void{{Ref: "r-INV-1", InvoiceID: id["INV-1"]}}); err != nil || again[0].Err != nil || !again[0].Matched {
		t.Fatalf("void again: %+v %v", again, err)
	}
	// A GUID the book does not hold is gone already: nothing asks for money.
	if r, err := b.VoidInvoices(ctx, []platform.Void{{Ref: "r-x", InvoiceID: "0123456789abcdef0123456789abcdef"}}); err != nil || r[0].Err != nil {
		t.Fatalf("void of an invoice not in the book: %+v %v", r, err)
	}
	var posted, active int
	if err := b.db.QueryRow(`SELECT post_txn IS NOT NULL OR post_lot IS NOT NULL OR post_acc IS NOT NULL OR date_posted IS NOT NULL, active
		FROM invoices WHERE guid = ?`, id["INV-1"]).Scan(&posted, &active); err != nil || posted != 0 || active != 0 {
		t.Fatalf("INV-1 row: posted %d active %d %v", posted, active, err)
	}

	// The payment deleted: INV-2 owes its total again; deleting it again succeeds.
	for range 2 {
		dres, err := b.DeletePayments(ctx, []platform.PaymentRef{{Ref: "pay-2", PaymentID: pay2, InvoiceID: id["INV-2"]}})
		if err != nil || dres[0].Err != nil {
			t.Fatalf("DeletePayments: %+v %v", dres, err)
		}
	}

	// Only booksync's payment of that invoice is deleted: an invoice's posting, or a payment
	// named for another invoice, is refused and stays.
	var post6 string
	if err := b.db.QueryRow(`SELECT post_txn FROM invoices WHERE guid = ?`, id["INV-6"]).Scan(&post6); err != nil {
		t.Fatal(err)
	}
	for want, ref := range map[string]platform.PaymentRef{
		"not_a_payment":              {Ref: "x", PaymentID: post6, InvoiceID: id["INV-6"]},
		"payment_of_another_invoice": {Ref: "x", PaymentID: pay6, InvoiceID: id["INV-3"]},
	} {
		dres, err := b.DeletePayments(ctx, []platform.PaymentRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		if _, code, _ := codeOf(t, dres[0].Err); code != want {
			t.Fatalf("deleting %+v: %v, want %s", ref, dres[0].Err, want)
		}
	}
	var left int
	if err := b.db.QueryRow(`SELECT COUNT(*) FROM transactions WHERE guid IN (?, ?)`, post6, pay6).Scan(&left); err != nil || left != 2 {
		t.Fatalf("%d of INV-6's posting and payment left, %v", left, err)
	}

	// Credit notes: CN-3 credits INV-3 fully, CN-4 part of INV-4; one for more than INV-4 owes
	// is refused with nothing written; pushed again, nothing is posted or linked twice.
	notes := []platform.CreditNote{
		creditNote("CN-3", invs[2], id["INV-3"], 10000),
		creditNote("CN-4", invs[3], id["INV-4"], 2000),
		creditNote("CN-9", invs[3], id["INV-4"], 20000),
	}
	for range 2 {
		nres, err := b.PushCreditNotes(ctx, notes)
		if err != nil || nres[0].Err != nil || nres[1].Err != nil {
			t.Fatalf("PushCreditNotes: %+v %v", nres, err)
		}
		if *nres[0].Totals != (platform.Totals{Subtotal: 10000, Tax: 2000, Total: 12000}) || *nres[1].Totals != (platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}) {
			t.Fatalf("credit note totals %+v %+v", nres[0].Totals, nres[1].Totals)
		}
		if _, code, _ := codeOf(t, nres[2].Err); code != "credit_note_exceeds_amount_due" {
			t.Fatalf("CN-9: %v", nres[2].Err)
		}
		notes[0].MaybeExists, notes[1].MaybeExists = true, true
	}
	// A credit note found again but no longer linked (the link was deleted in GnuCash) is linked
	// again, once.
	var link4 string
	if err := b.db.QueryRow(`SELECT s.tx_guid FROM splits s JOIN invoices i ON i.post_lot = s.lot_guid
		WHERE i.id = 'CN-4' AND s.action = ?`, actionLink).Scan(&link4); err != nil {
		t.Fatal(err)
	}
	if err := b.write(ctx, func(tx *sql.Tx) error { return destroyTxn(tx, link4) }); err != nil {
		t.Fatal(err)
	}
	if nres, err := b.PushCreditNotes(ctx, notes[1:2]); err != nil || nres[0].Err != nil || !nres[0].Matched {
		t.Fatalf("CN-4 again: %+v %v", nres, err)
	}
	wrong := creditNote("CN-8", invs[3], id["INV-4"], 1000)
	wrong.Amount = 1000
	if nres, err := b.PushCreditNotes(ctx, []platform.CreditNote{wrong}); err != nil {
		t.Fatal(err)
	} else if _, code, _ := codeOf(t, nres[0].Err); code != "credit_note_amount_mismatch" {
		t.Fatalf("a credit note whose total is not its amount: %v", nres[0].Err)
	}
	var docs, links int
	b.db.QueryRow(`SELECT COUNT(*) FROM invoices WHERE id LIKE 'CN-%'`).Scan(&docs)
	b.db.QueryRow(`SELECT COUNT(*) FROM slots WHERE name = 'trans-txn-type' AND string_val = 'L'`).Scan(&links)
	if docs != 2 || links != 2 {
		t.Fatalf("%d credit notes and %d links, want 2 and 2", docs, links)
	}
	// An invoice with a credit note applied is not voided either.
	vres, err = b.VoidInvoices(ctx, []platform.Void{{Ref: "r-INV-3", InvoiceID: id["INV-3"], Number: "INV-3"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, code, msg := codeOf(t, vres[0].Err); code != "invoice_has_payments" || !strings.Contains(msg, "credit note CN-3 of 2025-03-15 for 120.00 GBP") {
		t.Fatalf("void of a credited invoice: %s %s", code, msg)
	}
	// INV-5's posting is reconciled: GnuCash will not unpost it, so it is reversed.
	if _, err := b.db.Exec(`UPDATE splits SET reconcile_state = 'y' WHERE tx_guid = (SELECT post_txn FROM invoices WHERE guid = ?)`, id["INV-5"]); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		vres, err = b.VoidInvoices(ctx, []platform.Void{{Ref: "r-INV-5", InvoiceID: id["INV-5"]}})
		if err != nil || vres[0].Err != nil || vres[0].Matched != (i == 1) {
			t.Fatalf("void %d of a reconciled invoice: %+v %v", i+1, vres, err)
		}
	}
	var features, reversals int
	b.db.QueryRow(`SELECT COUNT(*) FROM slots WHERE name = ?`, creditNotesFeature).Scan(&features)
	b.db.QueryRow(`SELECT COUNT(*) FROM invoices WHERE id = 'INV-5-VOID'`).Scan(&reversals)
	if features != 1 || reversals != 1 {
		t.Fatalf("book feature %q set %d times, %d reversals of INV-5", creditNotesFeature, features, reversals)
	}
	// Credit notes are not listed as invoices, and their numbers are not invoices'.
	listed, err := b.Invoices(ctx, platform.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range listed {
		if strings.HasPrefix(r.Number, "CN-") || strings.HasSuffix(r.Number, "-VOID") || r.Number == "INV-1" {
			t.Fatalf("Invoices lists %s", r.Number)
		}
	}
	if len(listed) != 7 {
		t.Fatalf("Invoices lists %d, want 7 posted invoices", len(listed))
	}
	if r, err := b.PushInvoices(ctx, []platform.Invoice{vat20("CN-3", acme, 100)}); err != nil {
		t.Fatal(err)
	} else if _, code, _ := codeOf(t, r[0].Err); code != "document_number_in_use" {
		t.Fatalf("an invoice numbered as a credit note: %v", r[0].Err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// What the engine reads.
	eb := readBook(t, path)
	byID := map[string]int{}
	for i, ei := range eb.Invoices {
		byID[ei.ID] = i
	}
	inv := func(number string) struct {
		posted, active, credit, paid bool
		total, balance               int64
	} {
		i, ok := byID[number]
		if !ok {
			t.Fatalf("the engine does not see %s", number)
		}
		ei := eb.Invoices[i]
		r := struct {
			posted, active, credit, paid bool
			total, balance               int64
		}{ei.Posted, ei.Active, ei.CreditNote, ei.Paid, minor(t, ei.Total, 100), 0}
		if ei.LotBalance != "" {
			r.balance = minor(t, ei.LotBalance, 100)
		}
		return r
	}
	if i1 := inv("INV-1"); i1.posted || i1.active {
		t.Fatalf("INV-1 in GnuCash: %+v", i1)
	}
	if i2 := inv("INV-2"); !i2.posted || i2.balance != 12000 || i2.paid {
		t.Fatalf("INV-2 in GnuCash after its payment was deleted: %+v", i2)
	}
	if i3, c3 := inv("INV-3"), inv("CN-3"); i3.balance != 0 || !i3.paid || !c3.credit || !c3.posted || c3.total != 12000 {
		t.Fatalf("INV-3 and CN-3 in GnuCash: %+v %+v", i3, c3)
	}
	if i4, c4 := inv("INV-4"), inv("CN-4"); i4.balance != 12000-2400 || i4.paid || !c4.credit || !c4.posted || c4.total != 2400 {
		t.Fatalf("INV-4 and CN-4 in GnuCash: %+v %+v", i4, c4)
	}
	if i5, c5 := inv("INV-5"), inv("INV-5-VOID"); !i5.paid || i5.balance != 0 || !c5.credit || !c5.posted || c5.total != 12000 {
		t.Fatalf("INV-5 and its reversal in GnuCash: %+v %+v", i5, c5)
	}
	var lots int64
	for _, ei := range eb.Invoices {
		if ei.LotBalance != "" {
			lots += minor(t, ei.LotBalance, 100)
		}
	}
	balances := map[string]int64{}
	for _, a := range eb.Accounts {
		balances[a.Code] = minor(t, a.Balance, 100)
	}
	// Open: INV-2 120, INV-4 96, INV-6 0 (paid 60), INV-7 60, INV-8 60.
	if want := int64(12000 + 9600 + 6000 + 6000); balances["1100"] != want || lots != want {
		t.Fatalf("AR balance %d, lots %d, want %d", balances["1100"], lots, want)
	}
	for _, tx := range eb.Transactions {
		if !tx.Balanced {
			t.Fatalf("transaction %+v does not balance", tx)
		}
	}

	// The engine pays INV-7, deletes booksync's payment of INV-6, unposts INV-8, and enters bills.
	runEngine(t, path, "pay", "INV-7", "4500", "100", "2025-03-25", "CHQ 7", "1010")
	if got := runEngine(t, path, "delete-payment", "BACS 6"); got != pay6 {
		t.Fatalf("the engine deleted %s, booksync's payment is %s", got, pay6)
	}
	runEngine(t, path, "unpost", "INV-8")
	runEngine(t, path, "bill", "Paper Co", "B-1", "25000", "100", "1", "10000")
	runEngine(t, path, "bill", "Paper Co", "B-2", "7000", "100", "0", "0")
	b = openBook(t, dir, "entity-life", "GB", "GBP")

	c2, err := b.Changes(ctx, platform.ChangeQuery{Cursor: c1.Cursor, Since: since, KnownPayments: knownFn})
	if err != nil {
		t.Fatal(err)
	}
	var chq7 string
	if err := b.db.QueryRow(`SELECT guid FROM transactions WHERE num = 'CHQ 7'`).Scan(&chq7); err != nil {
		t.Fatal(err)
	}
	got := map[string]platform.PaymentChange{}
	for _, p := range c2.Payments {
		got[p.ID] = p
	}
	if p := got[chq7]; len(c2.Payments) != 3 || p.Deleted || p.InvoiceID != id["INV-7"] || p.Amount != 4500 || p.Date != "2025-03-25" ||
		p.Reference != "CHQ 7" || p.Currency != "GBP" {
		t.Fatalf("second pull payments: %+v", c2.Payments)
	}
	if !got[pay2].Deleted || !got[pay6].Deleted {
		t.Fatalf("deleted payments not reported: %+v", c2.Payments)
	}
	states := map[string]platform.InvoiceChange{}
	for _, c := range c2.Invoices {
		states[c.Number] = c
	}
	for number, want := range map[string]platform.InvoiceChange{
		"INV-1": {State: platform.InvoiceVoided},
		"INV-2": {State: platform.InvoiceOpen, Total: 12000, AmountDue: 12000},
		"INV-3": {State: platform.InvoicePaid, Total: 12000, AmountCredited: 12000},
		"INV-4": {State: platform.InvoiceOpen, Total: 12000, AmountCredited: 2400, AmountDue: 9600},
		"INV-6": {State: platform.InvoiceOpen, Total: 6000, AmountDue: 6000},
		"INV-7": {State: platform.InvoiceOpen, Total: 6000, AmountPaid: 4500, AmountDue: 1500},
		"INV-8": {State: platform.InvoiceVoided},
		"INV-5": {State: platform.InvoiceVoided, Total: 12000, AmountCredited: 12000},
	} {
		c, ok := states[number]
		if !ok || c.ID != id[number] || c.State != want.State || c.Total != want.Total || c.AmountPaid != want.AmountPaid ||
			c.AmountCredited != want.AmountCredited || c.AmountDue != want.AmountDue {
			t.Errorf("%s: change %+v (reported %v), want %+v", number, c, ok, want)
		}
	}
	if _, ok := states["INV-9"]; ok {
		t.Fatal("a document that does not exist was reported")
	}

	if _, err := b.Changes(ctx, platform.ChangeQuery{Cursor: "xero:42"}); err == nil {
		t.Fatal("a cursor of another system was accepted")
	} else if _, code, _ := codeOf(t, err); code != "cursor_invalid" {
		t.Fatalf("bad cursor: %v", err)
	}

	// The cursor moves on: nothing new since, once booksync has dropped the deleted payments.
	known = []string{chq7}
	c3, err := b.Changes(ctx, platform.ChangeQuery{Cursor: c2.Cursor, Since: since, KnownPayments: knownFn})
	if err != nil || len(c3.Payments) != 0 || len(c3.Invoices) != 0 {
		t.Fatalf("third pull: %+v %v", c3, err)
	}

	// Bills, newest first: B-2 unposted (a draft), B-1 posted and partly paid.
	bills, err := b.Bills(ctx, platform.InvoiceQuery{})
	if err != nil || len(bills) != 2 {
		t.Fatalf("Bills = %+v %v", bills, err)
	}
	b1, b2 := bills[1], bills[0]
	if b2.Number != "B-2" || b2.State != booksync.BillDraft || b2.Totals.Total != 7000 || b2.ContactName != "Paper Co" {
		t.Fatalf("B-2 = %+v", b2)
	}
	if b1.Number != "B-1" || b1.State != booksync.BillPartiallyPaid || b1.Totals.Total != 25000 || b1.AmountDue != 15000 ||
		b1.AmountPaid != 10000 || b1.Date != "2025-04-01" || b1.DueDate != "2025-05-01" || b1.Currency != "GBP" || len(b1.Lines) != 1 ||
		b1.Lines[0].LineAmount != 25000 {
		t.Fatalf("B-1 = %+v", b1)
	}
	one, err := b.Bill(ctx, b1.ID)
	if err != nil || one.Number != "B-1" {
		t.Fatalf("Bill = %+v %v", one, err)
	}
	if _, err := b.Bill(ctx, id["INV-2"]); err == nil {
		t.Fatal("an invoice was read as a bill")
	}
}

// TestEngineCreditNote has the real GnuCash engine credit an invoice the way a GnuCash user does
// (a customer credit note, posted, then applied to the invoice with a lot link) and reads the
// credit back through Changes: the invoice's amount credited and amount due, and the credit
// note itself, fully applied.
func TestEngineCreditNote(t *testing.T) {
	t.Parallel()
	requireEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := openBook(t, dir, "entity-credit", "GB", "GBP")
	path := b.Path()
	since := time.Now().UTC().Add(-time.Minute)
	cres, err := b.PushContacts(ctx, []platform.Contact{{Ref: "cp-1", Name: "Acme Ltd"}})
	if err != nil || cres[0].Err != nil {
		t.Fatalf("PushContacts: %+v %v", cres, err)
	}
	res, err := b.PushInvoices(ctx, []platform.Invoice{vat20("INV-1", cres[0].PlatformID, 24690), vat20("INV-2", cres[0].PlatformID, 10000)})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("PushInvoices: %+v %v", res, err)
	}
	c1, err := b.Changes(ctx, platform.ChangeQuery{Since: since})
	if err != nil || len(c1.Invoices) != 2 {
		t.Fatalf("first pull: %+v %v", c1, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// 96.28 credited on INV-2, the newer invoice: the engine applies it to the invoice asked for.
	runEngine(t, path, "credit", "INV-2", "CN-1", "9628", "100")
	eb := readBook(t, path)
	due := map[string]int64{}
	for _, inv := range eb.Invoices {
		if inv.Posted {
			due[inv.ID] = minor(t, inv.LotBalance, 100)
		}
		if inv.ID == "CN-1" && (!inv.CreditNote || inv.Owner != "Acme Ltd" || minor(t, inv.Total, 100) != 9628 ||
			len(inv.Entries) != 1 || inv.Entries[0].Account != "4000" || inv.Entries[0].Tax != "0") {
			t.Fatalf("the engine's credit note: %+v", inv)
		}
	}
	if due["INV-1"] != 29628 || due["INV-2"] != 12000-9628 || due["CN-1"] != 0 {
		t.Fatalf("lot balances after the engine's credit note: %v", due)
	}
	for _, tx := range eb.Transactions {
		if !tx.Balanced {
			t.Fatalf("transaction %+v does not balance", tx)
		}
	}

	b = openBook(t, dir, "entity-credit", "GB", "GBP")
	c2, err := b.Changes(ctx, platform.ChangeQuery{Cursor: c1.Cursor, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]platform.InvoiceChange{}
	for _, c := range c2.Invoices {
		got[c.Number] = c
	}
	if c := got["INV-2"]; len(c2.Invoices) != 2 || c.ID != res[1].PlatformID || c.State != platform.InvoiceOpen ||
		c.Total != 12000 || c.AmountCredited != 9628 || c.AmountPaid != 0 || c.AmountDue != 12000-9628 {
		t.Fatalf("second pull: %+v", c2.Invoices)
	}
	if c := got["CN-1"]; c.Total != 9628 || c.AmountCredited != 9628 || c.AmountDue != 0 {
		t.Fatalf("the engine's credit note read back: %+v", c)
	}
	if c3, err := b.Changes(ctx, platform.ChangeQuery{Cursor: c2.Cursor, Since: since}); err != nil || len(c3.Invoices) != 0 || len(c3.Payments) != 0 {
		t.Fatalf("third pull: %+v %v", c3, err)
	}
}
