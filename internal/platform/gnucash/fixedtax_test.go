package gnucash

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/booksync/booksync/internal/platform"
)

// TestFixedTaxAmounts pushes invoices whose per-line tax GnuCash's per-invoice rounding would not
// reproduce (exclusive and inclusive VAT, line and invoice discounts, a negative line, a credit
// note, and an invoice reversed by a credit note) and has the real GnuCash engine read them back:
// every invoice, every entry's value and tax, and every lot balance is booksync's, every
// transaction balances, and an invoice a user then posts by hand with the same tax table gets
// the table's percentage.
func TestFixedTaxAmounts(t *testing.T) {
	t.Parallel()
	requireEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	b := openBook(t, dir, "entity-fixed", "GB", "GBP")
	cres, err := b.PushContacts(ctx, []platform.Contact{{Ref: "cp-1", Name: "Acme Ltd"}})
	if err != nil || cres[0].Err != nil {
		t.Fatalf("PushContacts: %+v %v", cres, err)
	}
	acme := cres[0].PlatformID
	invoices := []platform.Invoice{
		// Exclusive: 0.005 twice is 0.01 in GnuCash, 0.02 per line; 4.995 at 20% is 0.999; a line
		// discount; a line whose tax is exact keeps its percentage.
		{Ref: "r-ex", Number: "INV-EX", ContactID: acme, Date: "2025-03-10", Currency: "GBP",
			Lines: []platform.InvoiceLine{
				line("Pin", "1", 10, 0, "4000", "VAT 5%", 10, 1),
				line("Pin 2", "1", 10, 0, "4000", "VAT 5%", 10, 1),
				line("Widgets", "1.5", 333, 0, "4000", "VAT 20%", 500, 100),
				line("Consulting", "3", 1999, 150, "4100", "VAT 5%", 5847, 292),
				line("Books", "2", 1000, 0, "4000", "VAT 20%", 2000, 400),
			},
			Expected: platform.Totals{Subtotal: 8367, Tax: 794, Total: 9161}},
		// Inclusive: three lines of 1.00 at 20% are 2.99 in GnuCash with percentages (net 0.83
		// each, tax 0.50), 3.00 per line (tax 0.17 each); a line discount; a fractional
		// quantity; a line with its share of an invoice discount (812.5 rounds up).
		{Ref: "r-in", Number: "INV-IN", ContactID: acme, Date: "2025-03-11", Currency: "GBP", Inclusive: true,
			Lines: []platform.InvoiceLine{
				line("Cup 1", "1", 100, 0, "4000", "VAT 20%", 100, 17),
				line("Cup 2", "1", 100, 0, "4000", "VAT 20%", 100, 17),
				line("Cup 3", "1", 100, 0, "4000", "VAT 20%", 100, 17),
				line("Energy", "1", 600, 30, "4000", "VAT 5%", 570, 27),
				line("Thirds", "0.333", 1000, 0, "4000", "VAT 20%", 333, 56),
				line("Chair", "2", 2500, 125, "4000", "VAT 20%", 4875, 813),
			},
			Expected: platform.Totals{Subtotal: 5131, Tax: 947, Total: 6078}},
		// A negative line (a deduction) with its negative tax, rounded half away from zero.
		{Ref: "r-ded", Number: "INV-DED", ContactID: acme, Date: "2025-03-12", Currency: "GBP",
			Lines: []platform.InvoiceLine{
				line("Clip", "1", 10, 0, "4000", "VAT 5%", 10, 1),
				line("Clip 2", "1", 10, 0, "4000", "VAT 5%", 10, 1),
				line("Service", "1", 1000, 0, "4000", "VAT 20%", 1000, 200),
				line("Deduction", "1", -333, 0, "4000", "VAT 20%", -333, -67),
			},
			Expected: platform.Totals{Subtotal: 687, Tax: 135, Total: 822}},
	}
	res, err := b.PushInvoices(ctx, invoices)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for i, r := range res {
		if r.Err != nil || r.Totals == nil || *r.Totals != invoices[i].Expected {
			t.Fatalf("invoice %s: %+v (totals %+v)", invoices[i].Number, r, r.Totals)
		}
		id[invoices[i].Number] = r.PlatformID
	}
	// The Pins of INV-EX and the Clips of INV-DED share one table: 0.01 on VAT Payable.
	var pins int
	if err := b.db.QueryRow(`SELECT COUNT(DISTINCT e.i_taxtable) FROM entries e JOIN taxtables t ON t.guid = e.i_taxtable
		JOIN taxtable_entries x ON x.taxtable = t.guid
		WHERE e.description IN ('Pin', 'Pin 2', 'Clip', 'Clip 2') AND t.name = 'VAT 5%' AND t.invisible = 1
		AND t.parent IS NULL AND x.type = 1 AND x.amount_num = 1 AND x.amount_denom = 100`).Scan(&pins); err != nil || pins != 1 {
		t.Fatalf("the Pins and Clips use %d tables of 0.01 (%v), want 1", pins, err)
	}
	// "Books" (20.00 at 20%) keeps the percentage: its entry is on the copy of VAT 20%.
	var books string
	if err := b.db.QueryRow(`SELECT p.name FROM entries e JOIN taxtables t ON t.guid = e.i_taxtable
		JOIN taxtables p ON p.guid = t.parent WHERE e.description = 'Books'`).Scan(&books); err != nil || books != "VAT 20%" {
		t.Fatalf("Books's table's parent %q, %v", books, err)
	}
	// Visible tables, what booksync lists as tax rates, are the book's own three.
	if rates, err := b.TaxRates(ctx); err != nil || len(rates) != 3 {
		t.Fatalf("TaxRates = %+v, %v", rates, err)
	}

	// A credit note of the Pins on INV-EX.
	cn := platform.CreditNote{Invoice: platform.Invoice{Ref: "r-cn", Number: "CN-1", Date: "2025-03-15", Currency: "GBP",
		Lines: []platform.InvoiceLine{
			line("Pin back", "1", 10, 0, "4000", "VAT 5%", 10, 1),
			line("Pin 2 back", "1", 10, 0, "4000", "VAT 5%", 10, 1),
		}, Expected: platform.Totals{Subtotal: 20, Tax: 2, Total: 22}},
		InvoiceID: id["INV-EX"], InvoiceNumber: "INV-EX", Amount: 22}
	nres, err := b.PushCreditNotes(ctx, []platform.CreditNote{cn})
	if err != nil || nres[0].Err != nil || nres[0].Totals == nil || *nres[0].Totals != cn.Expected {
		t.Fatalf("PushCreditNotes: %+v %v", nres, err)
	}
	// INV-DED's posting is reconciled: voiding it reverses it with a credit note.
	if _, err := b.db.Exec(`UPDATE splits SET reconcile_state = 'y' WHERE tx_guid = (SELECT post_txn FROM invoices WHERE guid = ?)`, id["INV-DED"]); err != nil {
		t.Fatal(err)
	}
	if vres, err := b.VoidInvoices(ctx, []platform.Void{{Ref: "r-ded", InvoiceID: id["INV-DED"], Number: "INV-DED"}}); err != nil || vres[0].Err != nil {
		t.Fatalf("VoidInvoices: %+v %v", vres, err)
	}

	// booksync reads its figures back.
	remote, err := b.Invoices(ctx, platform.InvoiceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range remote {
		for _, want := range invoices {
			if want.Number != r.Number || r.Number == "INV-DED" {
				continue
			}
			if platform.Totals(r.Totals) != want.Expected || len(r.Lines) != len(want.Lines) {
				t.Fatalf("remote %s = %+v", r.Number, r)
			}
			for j, l := range r.Lines {
				w := want.Lines[j]
				if l.LineAmount != w.LineAmount || l.TaxAmount != w.TaxAmount || l.TaxCode != w.TaxCode {
					t.Fatalf("remote %s line %d = %+v, want %+v", r.Number, j, l, w)
				}
			}
		}
	}
	path := b.Path()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// A user posts an invoice by hand with VAT 5%: GnuCash's copy of the table, not a fixed amount.
	runEngine(t, path, "invoice", "INV-HAND", "INV-EX", "1001", "100", "VAT 5%")

	eb := readBook(t, path)
	want := map[string]platform.Invoice{"CN-1": cn.Invoice}
	for _, inv := range invoices {
		want[inv.Number] = inv
	}
	want["INV-DED-VOID"] = platform.Invoice{Expected: invoices[2].Expected}
	want["INV-HAND"] = platform.Invoice{Expected: platform.Totals{Subtotal: 1001, Tax: 50, Total: 1051}}
	balances := map[string]int64{"INV-EX": 9161 - 22, "INV-IN": 6078, "CN-1": 0, "INV-DED": 0, "INV-DED-VOID": 0, "INV-HAND": 1051}
	if len(eb.Invoices) != len(want) {
		t.Fatalf("engine sees %d invoices, want %d", len(eb.Invoices), len(want))
	}
	for _, ei := range eb.Invoices {
		w, ok := want[ei.ID]
		got := platform.Totals{Subtotal: minor(t, ei.Subtotal, 100), Tax: minor(t, ei.Tax, 100), Total: minor(t, ei.Total, 100)}
		if !ok || !ei.Posted || got != w.Expected {
			t.Fatalf("engine totals of %s = %+v, booksync %+v", ei.ID, got, w.Expected)
		}
		if bal := minor(t, ei.LotBalance, 100); bal != balances[ei.ID] {
			t.Fatalf("lot of %s balances %d, want %d", ei.ID, bal, balances[ei.ID])
		}
		sign := int64(1)
		if ei.CreditNote {
			sign = -1 // readbook.py reads entries as the engine stores them, negated on credit notes
		}
		for _, e := range ei.Entries {
			var wl *platform.InvoiceLine
			for k := range w.Lines {
				if w.Lines[k].Description == e.Description {
					wl = &w.Lines[k]
				}
			}
			if wl == nil {
				continue
			}
			value, tax := sign*minor(t, e.Value, 100), sign*minor(t, e.Tax, 100)
			amount := value
			if w.Inclusive {
				amount += tax
			}
			if amount != wl.LineAmount || tax != wl.TaxAmount || e.Taxtable != wl.TaxCode {
				t.Fatalf("engine entry %+v of %s, want %+v", e, ei.ID, wl)
			}
		}
		if ei.ID == "INV-HAND" && (len(ei.Entries) != 1 || ei.Entries[0].Tax != "1/2") {
			t.Fatalf("the hand-posted invoice's tax is not 5%% of 10.01: %+v", ei)
		}
	}
	for _, tx := range eb.Transactions {
		if !tx.Balanced {
			t.Fatalf("transaction %+v does not balance", tx)
		}
	}
}

// TestTaxBeyondTheEngineNumbers: tax-inclusive lines at several US combined rates with two
// decimals (1/1.1035 and 1/1.0975 have denominators 2207 and 439) on one tax account make sums of
// exact taxes that GnuCash's 64-bit numbers cannot hold, and the engine then shows no tax or total
// for the invoice at all. Such lines carry their tax as fixed amounts: the real engine reads back
// booksync's figures for every one of 300 such invoices.
func TestTaxBeyondTheEngineNumbers(t *testing.T) {
	t.Parallel()
	requireEngine(t)
	ctx := context.Background()
	b := openBook(t, t.TempDir(), "entity-us", "US", "USD")
	cres, err := b.PushContacts(ctx, []platform.Contact{{Ref: "c", Name: "Emerald Freight"}})
	if err != nil || cres[0].Err != nil {
		t.Fatal(err, cres)
	}
	tables := []string{"Sales Tax Seattle, WA", "Sales Tax Chicago, IL", "Sales Tax Austin, TX", "Sales Tax Los Angeles, CA", "Sales Tax Miami, FL"}
	rates := []*big.Rat{big.NewRat(1035, 10000), big.NewRat(1025, 10000), big.NewRat(825, 10000), big.NewRat(975, 10000), big.NewRat(7, 100)}
	quantities := []string{"1", "2", "0.5", "1.5", "2.75", "0.333", "1.125", "7.777", "12.5", "3.3333", "0.333333", "2.1234567"}
	round := func(r *big.Rat) int64 { // half away from zero, for amounts that are not negative
		n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(r.Num(), big.NewInt(2)), r.Denom()), new(big.Int).Mul(r.Denom(), big.NewInt(2)))
		return n.Int64()
	}
	rnd := rand.New(rand.NewPCG(10, 35))
	var invs []platform.Invoice
	for n := range 300 {
		inv := platform.Invoice{Ref: fmt.Sprintf("r%d", n), Number: fmt.Sprintf("US-%d", n), ContactID: cres[0].PlatformID,
			Date: "2026-03-01", Currency: "USD", Inclusive: true}
		for i := range 2 + rnd.IntN(5) {
			k := rnd.IntN(len(tables))
			qty := quantities[rnd.IntN(len(quantities))]
			price := 1 + rnd.Int64N(999_999)
			q, _ := new(big.Rat).SetString(qty)
			gross := round(new(big.Rat).Mul(q, big.NewRat(price, 1)))
			// booksync's tax of an inclusive line: its gross × rate / (1 + rate), rounded.
			tax := round(new(big.Rat).Mul(big.NewRat(gross, 1), new(big.Rat).Quo(rates[k], new(big.Rat).Add(rates[k], big.NewRat(1, 1)))))
			inv.Lines = append(inv.Lines, line(fmt.Sprintf("Line %d", i+1), qty, price, 0, "4000", tables[k], gross, tax))
			inv.Expected.Subtotal += gross - tax
			inv.Expected.Tax += tax
		}
		inv.Expected.Total = inv.Expected.Subtotal + inv.Expected.Tax
		invs = append(invs, inv)
	}
	res, err := b.PushInvoices(ctx, invs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || *r.Totals != invs[i].Expected {
			t.Fatalf("%s: %+v", invs[i].Number, r)
		}
	}
	b.Close()
	read := readBook(t, b.Path())
	want := map[string]platform.Totals{}
	for _, inv := range invs {
		want[inv.Number] = inv.Expected
	}
	for _, ei := range read.Invoices {
		if got := (platform.Totals{Subtotal: minor(t, ei.Subtotal, 100), Tax: minor(t, ei.Tax, 100), Total: minor(t, ei.Total, 100)}); got != want[ei.ID] {
			t.Errorf("%s: GnuCash reads %+v, booksync %+v", ei.ID, got, want[ei.ID])
		}
	}
	if len(read.Invoices) != len(invs) {
		t.Fatalf("%d invoices in the book, want %d", len(read.Invoices), len(invs))
	}
}
