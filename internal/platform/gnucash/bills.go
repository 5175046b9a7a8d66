package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// billsPerPage is the page size of Bills.
const billsPerPage = 100

// billsFrom selects vendor bills: invoices owned by a vendor (owner type 4, GNC_OWNER_VENDOR), or
// by a job (3) of one, that are not vendor credit notes.
const billsFrom = ` FROM invoices i LEFT JOIN jobs j ON i.owner_type = 3 AND j.guid = i.owner_guid
	JOIN vendors v ON v.guid = CASE WHEN i.owner_type = 4 THEN i.owner_guid ELSE j.owner_guid END
	LEFT JOIN commodities c ON c.guid = i.currency LEFT JOIN transactions t ON t.guid = i.post_txn
	WHERE (i.owner_type = 4 OR (i.owner_type = 3 AND j.owner_type = 4))
	AND NOT EXISTS (SELECT 1 FROM slots cn WHERE cn.obj_guid = i.guid AND cn.name = 'credit-note' AND cn.int64_val = 1)`

// Bills reads vendor bills (Business > Vendor > New Bill), newest first (by posting date, or
// opening date for an unposted bill), 100 a page; q.Numbers keeps the bills with those ids and
// q.ModifiedSince those changed since. State is in Monite's words: an unposted bill is a draft,
// or void when it is inactive; a posted one is open, partially_paid or paid by its lot's balance.
// Vendor credit notes are left out.
func (b *Book) Bills(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteBill, error) {
	where, args := "", []any{}
	if len(q.Numbers) > 0 {
		where = " AND i.id IN (?" + strings.Repeat(", ?", len(q.Numbers)-1) + ")"
		for _, n := range q.Numbers {
			args = append(args, n)
		}
	}
	rows, err := b.db.QueryContext(ctx, `SELECT i.guid`+billsFrom+where+
		` ORDER BY COALESCE(i.date_posted, i.date_opened) DESC, i.id DESC`, args...)
	if err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	var guids []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
		}
		guids = append(guids, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	skip := (max(q.Page, 1) - 1) * billsPerPage
	var out []booksync.RemoteBill
	for _, g := range guids {
		bill, err := b.Bill(ctx, g)
		if err != nil {
			return nil, err
		}
		if !q.ModifiedSince.IsZero() && bill.UpdatedAt.Before(q.ModifiedSince) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, bill)
		if len(out) == billsPerPage {
			break
		}
	}
	return out, nil
}

// Bill reads one vendor bill by GUID: its vendor, dates, lines, totals (from its posting, or as
// the engine computes them from the entries while it is unposted) and amount due (what its lot
// still owes the vendor).
func (b *Book) Bill(ctx context.Context, id string) (booksync.RemoteBill, error) {
	fail := func(err error) (booksync.RemoteBill, error) {
		if errors.Is(err, sql.ErrNoRows) {
			return booksync.RemoteBill{}, needsUser("not_found", "Bill does not exist in the GnuCash book", "id",
				"No GnuCash vendor bill has GUID "+id, "List the bills again")
		}
		return booksync.RemoteBill{}, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	var r booksync.RemoteBill
	var opened, posted, txn, lot, acct, entered string
	var active bool
	var fraction int64
	err := b.db.QueryRowContext(ctx, `SELECT i.guid, i.id, v.guid, v.name, COALESCE(c.mnemonic, ''), COALESCE(c.fraction, 0),
		COALESCE(i.date_opened, ''), COALESCE(i.date_posted, ''), i.active, COALESCE(i.billing_id, ''), i.notes,
		COALESCE(t.guid, ''), COALESCE(i.post_lot, ''), COALESCE(i.post_acc, ''), COALESCE(t.enter_date, '')
		`+billsFrom+` AND i.guid = ?`, id).
		Scan(&r.ID, &r.Number, &r.ContactID, &r.ContactName, &r.Currency, &fraction, &opened, &posted, &active,
			&r.Reference, &r.Memo, &txn, &lot, &acct, &entered)
	if err != nil {
		return fail(err)
	}
	if fraction <= 0 {
		r.Currency, fraction = b.currency, b.fraction
	}
	var inputs []entryInput
	if r.Lines, inputs, err = b.billLines(ctx, id, fraction); err != nil {
		return fail(err)
	}
	r.UpdatedAt = parseTime(entered)
	if txn == "" {
		r.Date = dateOf(opened)
		iv := computeInvoice(inputs, fraction)
		r.Totals = booksync.InvoiceTotals{Subtotal: iv.subtotal, Tax: iv.tax, Total: iv.total}
		r.AmountDue = iv.total
		r.Status, r.State = "unposted", booksync.BillDraft
		if !active {
			r.Status, r.State, r.AmountDue = "inactive", booksync.BillVoid, 0
		}
		var last sql.NullString
		if err := b.db.QueryRowContext(ctx, `SELECT MAX(date_entered) FROM entries WHERE bill = ?`, id).Scan(&last); err != nil {
			return fail(err)
		}
		r.UpdatedAt = parseTime(last.String)
		return r, nil
	}
	r.Date = dateOf(posted)
	var due sql.NullString
	err = b.db.QueryRowContext(ctx, `SELECT timespec_val FROM slots WHERE obj_guid = ? AND name = 'trans-date-due'`, txn).Scan(&due)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	r.DueDate = dateOf(due.String)
	// The posting credits accounts payable with the total and debits the entries' accounts
	// with their values; the rest is tax.
	rows, err := b.db.QueryContext(ctx, `SELECT s.value_num, s.value_denom, s.account_guid = ?,
		s.account_guid IN (SELECT b_acct FROM entries WHERE bill = ?) FROM splits s WHERE s.tx_guid = ?`, acct, id, txn)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var num, denom int64
		var isAP, isExpense bool
		if err := rows.Scan(&num, &denom, &isAP, &isExpense); err != nil {
			rows.Close()
			return fail(err)
		}
		v := minorOf(num, denom, fraction)
		switch {
		case isAP:
			r.Totals.Total -= v
		case isExpense:
			r.Totals.Subtotal += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	r.Totals.Tax = r.Totals.Total - r.Totals.Subtotal
	rows, err = b.db.QueryContext(ctx, `SELECT s.value_num, s.value_denom, COALESCE(t.enter_date, '')
		FROM splits s JOIN transactions t ON t.guid = s.tx_guid WHERE s.lot_guid = ?`, lot)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var num, denom int64
		var when string
		if err := rows.Scan(&num, &denom, &when); err != nil {
			rows.Close()
			return fail(err)
		}
		r.AmountDue -= minorOf(num, denom, fraction)
		if t := parseTime(when); t.After(r.UpdatedAt) {
			r.UpdatedAt = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	r.AmountPaid = r.Totals.Total - r.AmountDue
	switch {
	case r.AmountDue <= 0:
		r.Status, r.State = "paid", booksync.BillPaid
	case r.AmountDue < r.Totals.Total:
		r.Status, r.State = "posted", booksync.BillPartiallyPaid
	default:
		r.Status, r.State = "posted", booksync.BillOpen
	}
	return r, nil
}

// minorOf converts num/denom to minor units of a currency of the given fraction, rounding half
// away from zero (a book's amounts are whole minor units already).
func minorOf(num, denom, fraction int64) int64 {
	if denom <= 0 {
		denom = 1
	}
	return roundMinor(big.NewRat(num, denom), fraction)
}

// billLines reads a bill's entries (their b_ columns) and computes each as the engine does.
func (b *Book) billLines(ctx context.Context, guid string, fraction int64) ([]booksync.RemoteLine, []entryInput, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT COALESCE(e.description, ''), COALESCE(e.quantity_num, 0), COALESCE(e.quantity_denom, 1),
		COALESCE(e.b_price_num, 0), COALESCE(e.b_price_denom, 1), COALESCE(e.b_taxable, 0), COALESCE(e.b_taxincluded, 0),
		COALESCE(e.b_taxtable, ''), COALESCE(t.name, ''), COALESCE(a.code, ''), COALESCE(e.b_acct, '')
		FROM entries e LEFT JOIN taxtables t ON t.guid = e.b_taxtable LEFT JOIN accounts a ON a.guid = e.b_acct
		WHERE e.bill = ? ORDER BY e.date, e.rowid`, guid)
	if err != nil {
		return nil, nil, err
	}
	type row struct {
		desc, table, tableName, code, acct string
		qn, qd, pn, pd                     int64
		taxable, incl                      bool
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.desc, &r.qn, &r.qd, &r.pn, &r.pd, &r.taxable, &r.incl, &r.table, &r.tableName, &r.code, &r.acct); err != nil {
			rows.Close()
			return nil, nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var lines []booksync.RemoteLine
	var inputs []entryInput
	for _, r := range all {
		if r.qd <= 0 {
			r.qd = 1
		}
		if r.pd <= 0 {
			r.pd = 1
		}
		in := entryInput{quantity: big.NewRat(r.qn, r.qd), price: big.NewRat(r.pn, r.pd), discount: new(big.Rat),
			inclusive: r.incl, account: r.acct}
		if r.taxable && r.table != "" {
			t, err := loadEntries(b.db, r.table)
			if err != nil {
				return nil, nil, err
			}
			in.taxes = []taxEntry{}
			for i, e := range t.rows {
				in.taxes = append(in.taxes, taxEntry{account: t.accounts[i], amount: big.NewRat(e[0], e[1]), percent: e[2] == taxPercent})
			}
		}
		ev := computeEntry(in, fraction)
		line := booksync.RemoteLine{Description: r.desc, Quantity: decimalOfRat(in.quantity), UnitAmount: decimalOfRat(in.price),
			AccountCode: r.code, AccountID: r.acct, TaxCode: r.tableName, LineAmount: ev.net, TaxAmount: ev.taxMinor}
		if r.incl {
			line.LineAmount += ev.taxMinor
		}
		lines = append(lines, line)
		inputs = append(inputs, in)
	}
	return lines, inputs, nil
}
