package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// PushInvoices posts each invoice to the book in its own transaction, exactly once: an invoice's
// GnuCash id is its Number, and an invoice whose id the book already holds is Matched, with the
// totals read from the book, whatever MaybeExists says (the look-up is one local query).
//
// Otherwise it writes what GnuCash 4.13 writes when a user posts an invoice: the invoices row
// (owner: the customer whose GUID is ContactID), one entries row per line (quantity and price as
// exact num/denom, the income account by code, the invisible child copy of the tax table named
// by TaxCode, a VALUE discount applied PRETAX), the posting transaction (receivable debit with
// the invoice's lot, income credits per account, tax credits per tax account), the lot, and
// their slots.
//
// Before writing, it computes the invoice as the engine will recompute it from the entries (see
// compute.go). GnuCash rounds tax once per invoice and tax account, booksync per line: where the
// two differ, the lines whose tax GnuCash would round carry booksync's tax as a fixed amount (see
// fixedTax), so that GnuCash holds booksync's figures line for line. When the engine's figures
// still differ from Expected or from a line's LineAmount or TaxAmount (the line's tax table does
// not give booksync's rate), the invoice gets a NeedsUserAction error with code
// totals_not_reproducible that says which figure differs and by how much, and nothing is
// written. Result.Totals are the totals as GnuCash holds them.
//
// A failure of the whole book (locked, unwritable) stops the batch: the invoices not yet pushed
// get that error too, and it is returned.
func (b *Book) PushInvoices(ctx context.Context, invoices []platform.Invoice) ([]platform.Result, error) {
	results := make([]platform.Result, len(invoices))
	for i, inv := range invoices {
		results[i].Ref = inv.Ref
		if err := b.precheckInvoice(inv); err != nil {
			results[i].Err = err
			continue
		}
		err := b.write(ctx, func(tx *sql.Tx) error {
			r, err := b.pushInvoice(tx, inv)
			if err != nil {
				return err
			}
			results[i] = r
			return nil
		})
		if err == nil {
			continue
		}
		if platform.ClassOf(err) == platform.NeedsUserAction {
			results[i] = platform.Result{Ref: inv.Ref, Err: err}
			continue
		}
		for j := i; j < len(results); j++ {
			results[j] = platform.Result{Ref: invoices[j].Ref, Err: err}
		}
		return results, err
	}
	return results, nil
}

// needsUser returns a NeedsUserAction error with one detail.
func needsUser(code, msg, field, detail, fix string) *platform.Error {
	return &platform.Error{Class: platform.NeedsUserAction, Code: code, Message: msg,
		Details: []platform.Detail{{Field: field, Message: detail, Fix: fix}}}
}

// precheckInvoice checks what needs no book.
func (b *Book) precheckInvoice(inv platform.Invoice) error {
	return b.precheckDocument(inv, true)
}

// precheckDocument checks an invoice's or credit note's header; a credit note may leave its
// customer to the invoice it credits (needContact false).
func (b *Book) precheckDocument(inv platform.Invoice, needContact bool) error {
	switch {
	case strings.TrimSpace(inv.Number) == "":
		return needsUser("invoice_number_missing", "Invoice number is missing", "document_id",
			"GnuCash finds invoices by their id, booksync's invoice number", "Issue the invoice with a document_id, then push again")
	case needContact && inv.ContactID == "":
		return needsUser("contact_not_synced", "Customer not yet in GnuCash: the invoice has no GnuCash customer",
			"counterpart_id", "The invoice's customer has no GnuCash GUID", "Push the counterpart first; booksync does this before its invoices, so this is a booksync bug if it persists")
	case inv.Currency != "" && inv.Currency != b.currency:
		return needsUser("currency_mismatch", fmt.Sprintf("Currency %s differs from the GnuCash book's currency %s", inv.Currency, b.currency),
			"currency", "booksync posts invoices in the book's currency only", "Issue the invoice in "+b.currency+", or connect a book kept in "+inv.Currency)
	}
	if _, _, err := neutral(inv.Date); err != nil {
		return needsUser("invoice_date_invalid", "Invoice date is not a valid date", "issue_date", err.Error(), "Set the invoice's issue date")
	}
	if inv.DueDate != "" {
		if _, _, err := neutral(inv.DueDate); err != nil {
			return needsUser("due_date_invalid", "Invoice due date is not a valid date", "due_date", err.Error(), "Set a valid due date")
		}
	}
	return nil
}

// taxTable is a visible tax table with its entries, or (fixed) the table of fixed amounts that
// carries one line's exact tax (see fixedTax), written when the invoice is.
type taxTable struct {
	guid, name string
	fixed      bool
	entries    []taxEntry
	rows       [][4]int64 // amount_num, amount_denom, type, unused
	accounts   []string
}

// pushInvoice matches or writes one invoice inside tx.
func (b *Book) pushInvoice(tx *sql.Tx, inv platform.Invoice) (platform.Result, error) {
	res := platform.Result{Ref: inv.Ref}
	var existing string
	var isCredit bool
	err := tx.QueryRow(`SELECT guid, EXISTS (SELECT 1 FROM slots WHERE obj_guid = invoices.guid AND name = 'credit-note' AND int64_val = 1)
		FROM invoices WHERE id = ? AND owner_type = ? ORDER BY 2 LIMIT 1`, inv.Number, ownerCustomer).Scan(&existing, &isCredit)
	switch {
	case err == nil && isCredit:
		return res, needsUser("document_number_in_use", "Document number is a credit note's in the GnuCash book", "document_id",
			fmt.Sprintf("GnuCash credit note %s has the invoice's number", inv.Number), "Give the invoice its own document number")
	case err == nil:
		t, err := b.invoiceTotals(tx, existing)
		if err != nil {
			return res, err
		}
		res.PlatformID, res.Matched, res.Totals, res.UpdatedAt = existing, true, &t, time.Now().UTC()
		return res, nil
	case !errors.Is(err, sql.ErrNoRows):
		return res, err
	}
	d, err := b.prepare(tx, inv)
	if err != nil {
		return res, err
	}
	guid, err := b.writeInvoice(tx, inv, d, false)
	if err != nil {
		return res, err
	}
	res.PlatformID = guid
	res.Totals = &platform.Totals{Subtotal: d.values.subtotal, Tax: d.values.tax, Total: d.values.total}
	res.UpdatedAt = time.Now().UTC()
	return res, nil
}

// document is an invoice or credit note ready to be written: its customer, its receivable
// account, and its entries as the engine will compute them.
type document struct {
	custName, ar string
	inputs       []entryInput
	tables       []*taxTable
	values       invoiceValues
}

// prepare finds an invoice's customer, receivable account, entry accounts and tax tables inside
// tx, and computes it as the engine will; it refuses, with nothing written, an invoice whose
// figures GnuCash would not reproduce.
func (b *Book) prepare(tx *sql.Tx, inv platform.Invoice) (document, error) {
	var d document
	err := tx.QueryRow(`SELECT name FROM customers WHERE guid = ?`, inv.ContactID).Scan(&d.custName)
	if errors.Is(err, sql.ErrNoRows) {
		return d, needsUser("contact_not_found", "Customer does not exist in the GnuCash book", "counterpart_id",
			"No GnuCash customer has GUID "+inv.ContactID, "Push the counterpart again so that booksync creates it in the book")
	} else if err != nil {
		return d, err
	}
	d.ar, err = b.receivable(tx)
	if err != nil {
		return d, err
	}
	inputs := make([]entryInput, len(inv.Lines))
	tables := make([]*taxTable, len(inv.Lines))
	for i, l := range inv.Lines {
		field := fmt.Sprintf("line_items[%d]", i)
		acct, err := entryAccount(tx, i, l)
		if err != nil {
			return d, err
		}
		in := entryInput{account: acct, price: b.minorRat(l.UnitAmount), inclusive: inv.Inclusive}
		if in.quantity, err = ratOf(l.Quantity.String()); err != nil {
			return d, needsUser("quantity_invalid", "Quantity is not a number", field+".quantity", err.Error(), "Fix the line's quantity")
		}
		if l.TaxCode != "" {
			t, err := loadTaxTable(tx, l.TaxCode)
			if err != nil {
				return d, err
			}
			if t == nil {
				return d, needsUser("tax_rate_not_found", "Tax rate does not exist in the GnuCash book",
					field+".tax_rate_value", fmt.Sprintf("Line %d names tax table %q, which the book does not have", i+1, l.TaxCode),
					"Create that sales tax table in GnuCash (Business > Sales Tax Table), or set the line's accounting_tax_rate_id to a rate GET /accounting_tax_rates lists")
			}
			tables[i], in.taxes = t, t.entries
		}
		in.discount = b.minorRat(l.DiscountAmount)
		if inv.Inclusive && in.taxes != nil {
			// GnuCash subtracts a discount from the net amount; booksync's is part of the gross.
			in.discount = grossToNet(in.discount, in.taxes)
		}
		inputs[i] = in
	}
	iv := computeInvoice(inputs, b.fraction)
	if b.reproducible(inv, iv) != nil || !engineCanCompute(inputs, b.fraction) {
		// GnuCash's rounding of the tax tables' percentages does not give booksync's figures, or
		// its numbers cannot hold the exact sums of the lines' taxes (engineCanCompute): the
		// lines whose tax is not a whole number of minor units carry their own tax as a fixed
		// amount instead (see fixedTax), and the invoice is computed again.
		for i, l := range inv.Lines {
			if tables[i] == nil {
				continue
			}
			if ft := b.fixedTax(inv.Inclusive, l, inputs[i], tables[i]); ft != nil {
				tables[i], inputs[i].taxes, inputs[i].discount = ft, ft.entries, b.minorRat(l.DiscountAmount)
			}
		}
		iv = computeInvoice(inputs, b.fraction)
	}
	if err := b.reproducible(inv, iv); err != nil {
		return d, err
	}
	if !engineCanCompute(inputs, b.fraction) {
		return d, &platform.Error{Class: platform.NeedsUserAction, Code: "totals_not_reproducible",
			Message: "Invoice totals cannot be reproduced in GnuCash: the exact tax of its lines is beyond the precision of GnuCash's numbers, so booksync did not post the invoice",
			Details: []platform.Detail{{Field: "line_items", Message: "GnuCash would show no tax or total for this invoice",
				Fix: "Use a GnuCash tax table whose percentage is booksync's rate for each taxed line (GET /accounting_tax_rates), or fewer decimals in the lines' quantities, then push again."}}}
	}
	d.inputs, d.tables, d.values = inputs, tables, iv
	return d, nil
}

// fixedTax returns the tax table that gives line l exactly booksync's tax, or nil when the line
// keeps its table t: when t's percentages already give an exact tax that is booksync's, or when
// booksync's tax is not t's rate applied to the line (then the figures differ for a reason other
// than rounding, and the invoice is refused).
//
// The GnuCash engine (gncEntryComputeValue in gncEntry.c) adds a tax-table entry of type VALUE
// to an entry's tax as it is, once per entry, whatever the quantity; with the price tax-inclusive
// it subtracts it from the gross before deriving the net. It rounds each tax account's sum of
// entry taxes once per invoice (gncInvoiceGetNetAndTaxesInternal), which changes nothing when
// every entry's tax is a whole number of minor units. So a table whose entries hold the line's
// tax, per tax account, as fixed amounts makes GnuCash compute, line for line and in total,
// booksync's per-line figures, exclusive or inclusive, with line and invoice discounts.
//
// The table is named after t and is invisible, like the copies GnuCash makes of tax tables when
// it posts, but has no parent: GnuCash's SQL loader makes every table with a parent its parent's
// current copy (gncTaxTableSetChild in gnc-tax-table-sql.cpp), which posting by hand with the
// parent would then use (gncTaxTableReturnChild). Unposting in GnuCash with "reset tax tables"
// leaves such entries without a table, to be chosen again.
func (b *Book) fixedTax(inclusive bool, l platform.InvoiceLine, in entryInput, t *taxTable) *taxTable {
	rate := new(big.Rat)
	weights := map[string]*big.Rat{}
	var accounts []string
	for _, e := range t.entries {
		if !e.percent {
			return nil // a fixed amount of the user's own, which booksync's rates do not hold
		}
		rate.Add(rate, e.amount)
		if w, ok := weights[e.account]; ok {
			w.Add(w, e.amount)
		} else {
			weights[e.account] = new(big.Rat).Set(e.amount)
			accounts = append(accounts, e.account)
		}
	}
	if len(accounts) == 0 || rate.Sign() == 0 {
		return nil
	}
	ev := computeEntry(in, b.fraction)
	net := l.LineAmount
	if inclusive {
		net -= l.TaxAmount
	}
	exact := ev.net == net && ev.taxMinor == l.TaxAmount
	for _, a := range ev.taxOrder {
		exact = exact && new(big.Rat).Mul(ev.taxes[a], big.NewRat(b.fraction, 1)).IsInt()
	}
	if exact {
		return nil
	}
	// booksync's tax of the line: its net (or gross) at the table's rate, rounded per line.
	share := new(big.Rat).Quo(rate, big.NewRat(100, 1))
	if inclusive {
		share.Quo(share, new(big.Rat).Add(share, big.NewRat(1, 1)))
	}
	if roundMinor(new(big.Rat).Mul(b.minorRat(l.LineAmount), share), b.fraction) != l.TaxAmount {
		return nil
	}
	ft := &taxTable{name: t.name, fixed: true}
	left := l.TaxAmount
	for i, a := range accounts {
		amount := left
		if i < len(accounts)-1 {
			part := new(big.Rat).Mul(big.NewRat(l.TaxAmount, 1), new(big.Rat).Quo(weights[a], rate))
			amount = roundMinor(part, 1)
		}
		left -= amount
		ft.entries = append(ft.entries, taxEntry{account: a, amount: big.NewRat(amount, b.fraction)})
		ft.rows = append(ft.rows, [4]int64{amount, b.fraction, taxValue})
		ft.accounts = append(ft.accounts, a)
	}
	return ft
}

// grossToNet turns a discount on a tax-inclusive amount into the discount on the net amount that
// GnuCash applies: d / (1 + sum of percent taxes).
func grossToNet(d *big.Rat, taxes []taxEntry) *big.Rat {
	div := big.NewRat(1, 1)
	for _, t := range taxes {
		if t.percent {
			div.Add(div, new(big.Rat).Quo(t.amount, big.NewRat(100, 1)))
		}
	}
	return new(big.Rat).Quo(d, div)
}

// ratOf parses a decimal string exactly.
func ratOf(s string) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return r, nil
}

// reproducible compares the engine's figures with booksync's.
func (b *Book) reproducible(inv platform.Invoice, iv invoiceValues) error {
	var details []platform.Detail
	diff := func(field, what string, gnucash, booksync int64) {
		if gnucash == booksync {
			return
		}
		details = append(details, platform.Detail{Field: field,
			Message: fmt.Sprintf("%s: GnuCash computes %s, booksync expects %s (differs by %s)", what,
				b.formatMinor(gnucash), b.formatMinor(booksync), b.formatMinor(gnucash-booksync))})
	}
	for i, l := range inv.Lines {
		ev := iv.entries[i]
		amount := ev.net
		if inv.Inclusive {
			amount = ev.net + ev.taxMinor
		}
		diff(fmt.Sprintf("line_items[%d].amount", i), fmt.Sprintf("line %d amount", i+1), amount, l.LineAmount)
		diff(fmt.Sprintf("line_items[%d].tax_amount", i), fmt.Sprintf("line %d tax", i+1), ev.taxMinor, l.TaxAmount)
	}
	diff("subtotal", "subtotal", iv.subtotal, inv.Expected.Subtotal)
	diff("total_vat_amount", "tax", iv.tax, inv.Expected.Tax)
	diff("total_amount", "total", iv.total, inv.Expected.Total)
	if len(details) == 0 {
		return nil
	}
	var msgs []string
	for _, d := range details {
		msgs = append(msgs, d.Message)
	}
	fix := "The line's GnuCash sales tax table does not give booksync's tax rate (its percentages were changed" +
		" in GnuCash, or it holds fixed amounts booksync's rates do not), so booksync did not post the invoice:" +
		" set the lines' accounting_tax_rate_id to the table GET /accounting_tax_rates lists with the line's rate," +
		" or correct the table in GnuCash (Business > Sales Tax Table), then push again; or enter the invoice" +
		" in GnuCash by hand with booksync's figures (GET /receivables/{id})"
	for i := range details {
		details[i].Fix = fix
	}
	return &platform.Error{Class: platform.NeedsUserAction, Code: "totals_not_reproducible",
		Message: "Invoice totals differ in GnuCash: " + strings.Join(msgs, "; "), Details: details}
}

// receivable returns the GUID of the book's accounts receivable account in its currency (the
// one with the lowest code when there are several).
func (b *Book) receivable(tx *sql.Tx) (string, error) {
	var guid string
	err := tx.QueryRow(`SELECT guid FROM accounts WHERE account_type = 'RECEIVABLE' AND commodity_guid = ?
		AND COALESCE(placeholder, 0) = 0 ORDER BY COALESCE(hidden, 0), code, name LIMIT 1`, b.currGUID).Scan(&guid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", needsUser("receivable_account_missing", "Accounts receivable account does not exist in the GnuCash book",
			"", "GnuCash posts invoices to an account of type A/Receivable in "+b.currency,
			"Create an account of type A/Receivable in GnuCash, then push again")
	}
	return guid, err
}

// entryAccount returns the GUID of the account line i is booked to: the account whose GUID is
// AccountID (what booksync lists as the ledger account's platform id), else the account with
// code AccountCode, preferring income accounts. An account that takes no invoice lines (see
// salesRefusal) is an error, so that nothing is posted to a placeholder.
func entryAccount(tx *sql.Tx, i int, l platform.InvoiceLine) (string, error) {
	field := fmt.Sprintf("line_items[%d].ledger_account_id", i)
	var guid, name, typ string
	var placeholder bool
	const cols = `SELECT guid, name, account_type, COALESCE(placeholder, 0) FROM accounts `
	var err error
	switch {
	case l.AccountID != "":
		err = tx.QueryRow(cols+`WHERE guid = ?`, l.AccountID).Scan(&guid, &name, &typ, &placeholder)
	case l.AccountCode != "":
		err = tx.QueryRow(cols+`WHERE code = ? ORDER BY COALESCE(placeholder, 0), account_type = 'INCOME' DESC,
			COALESCE(hidden, 0) LIMIT 1`, l.AccountCode).Scan(&guid, &name, &typ, &placeholder)
	default:
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", needsUser("ledger_account_not_found", "Ledger account does not exist in the GnuCash book", field,
			fmt.Sprintf("Line %d names account %q, which the GnuCash book does not have", i+1, cmpOr(l.AccountID, l.AccountCode)),
			"Set the product's ledger_account_id to an account GET /ledger_accounts lists (pull again with POST /accounting_connections/{connection_id}/sync if it was just created in GnuCash)")
	} else if err != nil {
		return "", err
	}
	if why := salesRefusal(typ, placeholder); why != "" {
		return "", needsUser("ledger_account_not_usable", "Ledger account cannot take sales in the GnuCash book", field,
			fmt.Sprintf("Line %d names account %s, but %s", i+1, name, why),
			"Set the product's ledger_account_id to an income account GET /ledger_accounts lists")
	}
	return guid, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loadTaxTable reads the visible tax table named name, nil when there is none.
func loadTaxTable(tx *sql.Tx, name string) (*taxTable, error) {
	t := &taxTable{name: name}
	err := tx.QueryRow(`SELECT guid FROM taxtables WHERE name = ? AND invisible = 0 LIMIT 1`, name).Scan(&t.guid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := tx.Query(`SELECT account, amount_num, amount_denom, type FROM taxtable_entries
		WHERE taxtable = ? ORDER BY id`, t.guid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var acct string
		var num, denom, typ int64
		if err := rows.Scan(&acct, &num, &denom, &typ); err != nil {
			return nil, err
		}
		if denom <= 0 {
			return nil, fmt.Errorf("tax table %q has an entry with denominator %d", name, denom)
		}
		t.entries = append(t.entries, taxEntry{account: acct, amount: big.NewRat(num, denom), percent: typ == taxPercent})
		t.rows = append(t.rows, [4]int64{num, denom, typ})
		t.accounts = append(t.accounts, acct)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// childTable returns the invisible copy of t that entries point at, as gncTaxTableReturnChild
// does: an existing child of t with the same entries, else a new one.
func childTable(tx *sql.Tx, t *taxTable) (string, error) {
	rows, err := tx.Query(`SELECT guid FROM taxtables WHERE parent = ? AND invisible = 1`, t.guid)
	if err != nil {
		return "", err
	}
	var children []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return "", err
		}
		children = append(children, g)
	}
	rows.Close()
	for _, c := range children {
		ct, err := loadEntries(tx, c)
		if err != nil {
			return "", err
		}
		if sameEntries(ct, t) {
			return c, nil
		}
	}
	child := newGUID()
	if _, err := tx.Exec(`INSERT INTO taxtables (guid, name, refcount, invisible, parent) VALUES (?, ?, 0, 1, ?)`,
		child, t.name, t.guid); err != nil {
		return "", err
	}
	for i, r := range t.rows {
		if _, err := tx.Exec(`INSERT INTO taxtable_entries (taxtable, account, amount_num, amount_denom, type)
			VALUES (?, ?, ?, ?, ?)`, child, t.accounts[i], r[0], r[1], r[2]); err != nil {
			return "", err
		}
	}
	return child, nil
}

// loadEntries reads a tax table's entries by GUID.
func loadEntries(tx querier, guid string) (*taxTable, error) {
	t := &taxTable{guid: guid}
	rows, err := tx.Query(`SELECT account, amount_num, amount_denom, type FROM taxtable_entries WHERE taxtable = ? ORDER BY id`, guid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var acct string
		var r [4]int64
		if err := rows.Scan(&acct, &r[0], &r[1], &r[2]); err != nil {
			return nil, err
		}
		if r[1] <= 0 {
			r[1] = 1
		}
		t.rows = append(t.rows, r)
		t.accounts = append(t.accounts, acct)
	}
	return t, rows.Err()
}

// sameEntries reports whether two tables have the same entries in the same order.
func sameEntries(a, b *taxTable) bool {
	if len(a.rows) != len(b.rows) {
		return false
	}
	for i := range a.rows {
		if a.accounts[i] != b.accounts[i] || a.rows[i][2] != b.rows[i][2] ||
			big.NewRat(a.rows[i][0], a.rows[i][1]).Cmp(big.NewRat(b.rows[i][0], b.rows[i][1])) != 0 {
			return false
		}
	}
	return true
}

// fixedKey identifies a table of fixed amounts by its name and entries, with the amounts of sign.
func fixedKey(t *taxTable, sign int64) string {
	k := t.name
	for i, r := range t.rows {
		k += fmt.Sprintf("|%s %d/%d", t.accounts[i], sign*r[0], r[1])
	}
	return k
}

// fixedTable returns the GUID of the invisible, parentless table named t.name whose entries are
// t's fixed amounts times sign, creating it unless the book has it. A credit note's entries hold
// negated quantities (gncEntrySetDocQuantity), and the engine negates an entry's tax for the
// document (gncEntryGetDocTaxValue) but does not multiply a fixed amount by the quantity, so a
// credit note (sign -1) carries the negated amounts.
func fixedTable(tx *sql.Tx, t *taxTable, sign int64) (string, error) {
	want := &taxTable{accounts: t.accounts}
	for _, r := range t.rows {
		want.rows = append(want.rows, [4]int64{sign * r[0], r[1], r[2]})
	}
	rows, err := tx.Query(`SELECT t.guid FROM taxtables t WHERE t.name = ? AND t.invisible = 1
		AND COALESCE(t.parent, '') = '' AND EXISTS (SELECT 1 FROM taxtable_entries e WHERE e.taxtable = t.guid
		AND e.type = ? AND e.account = ? AND e.amount_num = ? AND e.amount_denom = ?)`,
		t.name, taxValue, want.accounts[0], want.rows[0][0], want.rows[0][1])
	if err != nil {
		return "", err
	}
	var candidates []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return "", err
		}
		candidates = append(candidates, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, c := range candidates {
		ct, err := loadEntries(tx, c)
		if err != nil {
			return "", err
		}
		if sameEntries(ct, want) {
			return c, nil
		}
	}
	g := newGUID()
	if _, err := tx.Exec(`INSERT INTO taxtables (guid, name, refcount, invisible, parent) VALUES (?, ?, 0, 1, NULL)`,
		g, t.name); err != nil {
		return "", err
	}
	for i, r := range want.rows {
		if _, err := tx.Exec(`INSERT INTO taxtable_entries (taxtable, account, amount_num, amount_denom, type)
			VALUES (?, ?, ?, ?, ?)`, g, want.accounts[i], r[0], r[1], r[2]); err != nil {
			return "", err
		}
	}
	return g, nil
}
