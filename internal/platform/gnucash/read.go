package gnucash

import (
	"context"
	"database/sql"
	"math/big"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// invoicesPerPage is the page size of Invoices.
const invoicesPerPage = 100

// Invoices reads posted customer invoices (not credit notes), by id (q.Numbers) or all, ordered
// by posting date and id, 100 a page. q.ModifiedSince keeps invoices whose posting or payment transactions were
// entered since then. Unposted invoices (drafts in GnuCash) are left out.
func (b *Book) Invoices(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) {
	where := []string{"i.owner_type = ?", "i.post_txn IS NOT NULL",
		"NOT EXISTS (SELECT 1 FROM slots c WHERE c.obj_guid = i.guid AND c.name = 'credit-note' AND c.int64_val = 1)"}
	args := []any{ownerCustomer}
	if len(q.Numbers) > 0 {
		where = append(where, "i.id IN (?"+strings.Repeat(", ?", len(q.Numbers)-1)+")")
		for _, n := range q.Numbers {
			args = append(args, n)
		}
	}
	page := max(q.Page, 1)
	rows, err := b.db.QueryContext(ctx, `SELECT i.guid FROM invoices i WHERE `+strings.Join(where, " AND ")+
		` ORDER BY i.date_posted, i.id`, args...)
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
	var out []booksync.RemoteInvoice
	skip := (page - 1) * invoicesPerPage
	for _, g := range guids {
		inv, err := b.readInvoice(ctx, g)
		if err != nil {
			return nil, err
		}
		if !q.ModifiedSince.IsZero() && inv.UpdatedAt.Before(q.ModifiedSince) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, inv)
		if len(out) == invoicesPerPage {
			break
		}
	}
	return out, nil
}

// Invoice reads one posted invoice by GUID.
func (b *Book) Invoice(ctx context.Context, id string) (booksync.RemoteInvoice, error) {
	return b.readInvoice(ctx, id)
}

// readInvoice reads an invoice with its customer, lines, totals (from the posting splits) and
// amount due (the balance of its lot). Status is "paid" when nothing is due, else "posted".
func (b *Book) readInvoice(ctx context.Context, guid string) (booksync.RemoteInvoice, error) {
	fail := func(err error) (booksync.RemoteInvoice, error) {
		if err == sql.ErrNoRows {
			return booksync.RemoteInvoice{}, needsUser("not_found", "Invoice does not exist in the GnuCash book", "id",
				"No posted GnuCash invoice has GUID "+guid, "Push the invoice again")
		}
		return booksync.RemoteInvoice{}, transient("book_unreadable", "GnuCash book cannot be read", err)
	}
	var r booksync.RemoteInvoice
	var posted, lot string
	var enter sql.NullString
	err := b.db.QueryRowContext(ctx, `SELECT i.guid, i.id, i.owner_guid, COALESCE(c.name, ''), i.date_posted,
		COALESCE(i.billing_id, ''), i.post_lot, t.enter_date
		FROM invoices i LEFT JOIN customers c ON c.guid = i.owner_guid JOIN transactions t ON t.guid = i.post_txn
		WHERE i.guid = ? AND i.post_txn IS NOT NULL`, guid).
		Scan(&r.ID, &r.Number, &r.ContactID, &r.ContactName, &posted, &r.Reference, &lot, &enter)
	if err == sql.ErrNoRows {
		return b.readUnposted(ctx, guid, fail)
	}
	if err != nil {
		return fail(err)
	}
	r.Currency, r.Date = b.currency, dateOf(posted)
	var due sql.NullString
	err = b.db.QueryRowContext(ctx, `SELECT s.timespec_val FROM slots s JOIN invoices i ON s.obj_guid = i.post_txn
		WHERE i.guid = ? AND s.name = 'trans-date-due'`, guid).Scan(&due)
	if err != nil && err != sql.ErrNoRows {
		return fail(err)
	}
	r.DueDate = dateOf(due.String)
	t, err := b.invoiceTotals(b.db, guid)
	if err != nil {
		return fail(err)
	}
	r.Totals = booksync.InvoiceTotals(t)
	if r.AmountDue, err = b.lotBalance(b.db, lot); err != nil {
		return fail(err)
	}
	r.AmountPaid = r.Totals.Total - r.AmountDue
	r.Status = "posted"
	if r.AmountDue == 0 {
		r.Status = "paid"
	}
	r.UpdatedAt = parseTime(enter.String)
	var last sql.NullString
	if err := b.db.QueryRowContext(ctx, `SELECT MAX(t.enter_date) FROM splits s JOIN transactions t ON t.guid = s.tx_guid
		WHERE s.lot_guid = ?`, lot).Scan(&last); err != nil {
		return fail(err)
	}
	if t := parseTime(last.String); t.After(r.UpdatedAt) {
		r.UpdatedAt = t
	}
	if r.Lines, r.Inclusive, err = b.readLines(ctx, guid); err != nil {
		return fail(err)
	}
	return r, nil
}

// readLines reads an invoice's entries and computes each one's amounts as GnuCash shows them.
func (b *Book) readLines(ctx context.Context, guid string) ([]booksync.RemoteLine, bool, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT COALESCE(e.description, ''), e.quantity_num, e.quantity_denom,
		e.i_price_num, e.i_price_denom, COALESCE(e.i_discount_num, 0), COALESCE(e.i_discount_denom, 1),
		COALESCE(e.i_disc_type, 'PERCENT'), COALESCE(e.i_taxable, 0), COALESCE(e.i_taxincluded, 0),
		COALESCE(e.i_taxtable, ''), COALESCE(t.name, ''), COALESCE(a.code, ''), COALESCE(e.i_acct, '')
		FROM entries e LEFT JOIN taxtables t ON t.guid = e.i_taxtable LEFT JOIN accounts a ON a.guid = e.i_acct
		WHERE e.invoice = ? ORDER BY e.date, e.rowid`, guid)
	if err != nil {
		return nil, false, err
	}
	type row struct {
		desc, discType, table, tableName, code, acct string
		qn, qd, pn, pd, dn, dd                       int64
		taxable, incl                                bool
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.desc, &r.qn, &r.qd, &r.pn, &r.pd, &r.dn, &r.dd, &r.discType, &r.taxable, &r.incl,
			&r.table, &r.tableName, &r.code, &r.acct); err != nil {
			rows.Close()
			return nil, false, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	var lines []booksync.RemoteLine
	inclusive := false
	for _, r := range all {
		for _, d := range []*int64{&r.qd, &r.pd, &r.dd} {
			if *d <= 0 {
				*d = 1
			}
		}
		in := entryInput{quantity: big.NewRat(r.qn, r.qd), price: big.NewRat(r.pn, r.pd),
			discount: big.NewRat(r.dn, r.dd), inclusive: r.incl, account: r.acct}
		in.discountPercent = r.discType == "PERCENT"
		if r.taxable && r.table != "" {
			t, err := loadEntries(b.db, r.table)
			if err != nil {
				return nil, false, err
			}
			in.taxes = []taxEntry{}
			for i, e := range t.rows {
				in.taxes = append(in.taxes, taxEntry{account: t.accounts[i], amount: big.NewRat(e[0], e[1]), percent: e[2] == taxPercent})
			}
		}
		ev := computeEntry(in, b.fraction)
		line := booksync.RemoteLine{Description: r.desc, Quantity: decimalOfRat(in.quantity),
			UnitAmount: decimalOfRat(in.price), AccountCode: r.code, AccountID: r.acct, TaxCode: r.tableName,
			LineAmount: ev.net, TaxAmount: ev.taxMinor}
		if r.discType == "PERCENT" && r.dn != 0 {
			line.Discount = decimalOfRat(big.NewRat(r.dn, r.dd))
		}
		if r.incl {
			inclusive = true
			line.LineAmount = ev.net + ev.taxMinor
		}
		lines = append(lines, line)
	}
	return lines, inclusive, nil
}

// decimalOfRat returns r as a decimal, exact when r has a finite decimal expansion, else to 12
// places.
func decimalOfRat(r *big.Rat) decimal.Decimal {
	d, err := decimal.NewFromString(r.FloatString(12))
	if err != nil {
		return decimal.Zero
	}
	return d
}

// dateOf returns the date part of a GnuCash time ("2025-01-15 10:59:00" -> "2025-01-15").
func dateOf(ts string) string {
	if len(ts) >= 10 {
		return ts[:10]
	}
	return ""
}

// parseTime parses a GnuCash time (UTC).
func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// readUnposted reads an invoice that is in the book but not posted: voided (unposted and
// inactive, as booksync voids and a GnuCash user unposts and hides) or not posted yet. It asks for
// nothing, so its amounts are zero; a GUID the book does not have is not_found.
func (b *Book) readUnposted(ctx context.Context, guid string, fail func(error) (booksync.RemoteInvoice, error)) (booksync.RemoteInvoice, error) {
	var r booksync.RemoteInvoice
	var active int
	err := b.db.QueryRowContext(ctx, `SELECT i.guid, i.id, i.owner_guid, COALESCE(c.name, ''), COALESCE(i.billing_id, ''), i.active
		FROM invoices i JOIN customers c ON c.guid = i.owner_guid WHERE i.guid = ?`, guid).
		Scan(&r.ID, &r.Number, &r.ContactID, &r.ContactName, &r.Reference, &active)
	if err != nil {
		return fail(err)
	}
	r.Currency, r.Status, r.Lines = b.currency, "voided", []booksync.RemoteLine{}
	if active != 0 {
		r.Status = "unposted"
	}
	return r, nil
}
