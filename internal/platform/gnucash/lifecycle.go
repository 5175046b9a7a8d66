package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// What happens to an invoice after it is pushed (docs/architecture.md, "The invoice's whole
// life"): GnuCash has no void, so booksync unposts the invoice as GnuCash's Unpost does and marks
// it inactive; a credit note is a posted credit-note document linked to the invoice's lot; a
// payment is removed as GnuCash's Delete Transaction removes it.

// VoidInvoices unposts each invoice as gncInvoiceUnpost does, and marks it inactive so that it no
// longer asks for money: the posting transaction is destroyed (its splits and slots with it), the
// lot loses the invoice (it is deleted when left empty, else it becomes the customer's), the
// entries go back to their visible tax tables, and the invoice's post_txn, post_lot, post_acc and
// date_posted become NULL (GnuCash itself leaves the first three behind and re-attaches the lot
// on the next load; booksync clears them). An invoice already unposted, or gone, succeeds.
//
// An invoice whose lot holds payments or credit-note links is not voided: its Result.Err is a
// NeedsUserAction error with code invoice_has_payments naming each of them. An invoice GnuCash
// will not let booksync unpost, because its posting is reconciled or in the book's read-only
// period, is reversed instead, as GnuCash does: a credit note for its total, dated today,
// linked to it.
func (b *Book) VoidInvoices(ctx context.Context, voids []platform.Void) ([]platform.Result, error) {
	results := make([]platform.Result, len(voids))
	for i, v := range voids {
		results[i] = platform.Result{Ref: v.Ref}
		if v.InvoiceID == "" {
			results[i].Err = needsUser("invoice_not_synced", "Invoice not yet in GnuCash", "invoice_id",
				"the invoice has no GnuCash GUID", "Nothing to void in GnuCash")
			continue
		}
		err := b.write(ctx, func(tx *sql.Tx) error {
			r, err := b.voidInvoice(tx, v)
			results[i] = r
			return err
		})
		if err == nil {
			continue
		}
		if platform.ClassOf(err) == platform.NeedsUserAction {
			results[i] = platform.Result{Ref: v.Ref, Err: err}
			continue
		}
		for j := i; j < len(results); j++ {
			results[j] = platform.Result{Ref: voids[j].Ref, Err: err}
		}
		return results, err
	}
	return results, nil
}

// postedDoc is a customer invoice or credit note as the invoices row holds it.
type postedDoc struct {
	guid, number, owner       string
	active                    bool
	postTxn, postLot, postAcc string // "" when unposted
	postDate                  string
	credit                    bool
	txnExists                 bool
	ownerName                 string
}

// loadDoc reads a customer document by GUID; ok is false when there is none.
func loadDoc(q querier, guid string) (postedDoc, bool, error) {
	d := postedDoc{guid: guid}
	err := q.QueryRow(`SELECT i.id, COALESCE(i.owner_guid, ''), i.active, COALESCE(i.post_txn, ''),
		COALESCE(i.post_lot, ''), COALESCE(i.post_acc, ''), COALESCE(i.date_posted, ''),
		EXISTS (SELECT 1 FROM slots WHERE obj_guid = i.guid AND name = 'credit-note' AND int64_val = 1),
		EXISTS (SELECT 1 FROM transactions WHERE guid = i.post_txn), COALESCE(c.name, '')
		FROM invoices i LEFT JOIN customers c ON c.guid = i.owner_guid
		WHERE i.guid = ? AND i.owner_type = ?`, guid, ownerCustomer).
		Scan(&d.number, &d.owner, &d.active, &d.postTxn, &d.postLot, &d.postAcc, &d.postDate, &d.credit,
			&d.txnExists, &d.ownerName)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	return d, err == nil, err
}

// posted reports whether the document is posted (gncInvoiceIsPosted: its transaction exists).
func (d postedDoc) posted() bool { return d.postTxn != "" && d.txnExists }

// voidInvoice voids one invoice inside tx.
func (b *Book) voidInvoice(tx *sql.Tx, v platform.Void) (platform.Result, error) {
	res := platform.Result{Ref: v.Ref, PlatformID: v.InvoiceID, UpdatedAt: time.Now().UTC()}
	d, ok, err := loadDoc(tx, v.InvoiceID)
	if err != nil || !ok {
		// Gone from the book: nothing asks for money any more.
		return res, err
	}
	if d.credit {
		return res, needsUser("not_an_invoice", "Document is a credit note in GnuCash, not an invoice", "invoice_id",
			fmt.Sprintf("GnuCash document %s (%s) is a credit note", d.number, d.guid), "Void the invoice it credits instead")
	}
	if !d.posted() {
		res.Matched = true
		if d.active {
			_, err = tx.Exec(`UPDATE invoices SET active = 0 WHERE guid = ?`, d.guid)
		}
		return res, err
	}
	reversed, err := framedGUID(tx, d.guid, "booksync", reversedBy)
	if err != nil {
		return res, err
	}
	if reversed != "" {
		// Voided before by a reversing credit note.
		res.Matched = true
		return res, nil
	}
	applied, err := b.lotApplications(tx, d.postLot, d.postTxn)
	if err != nil {
		return res, err
	}
	if len(applied) > 0 {
		return res, b.hasPayments(d, applied)
	}
	frozen, err := b.frozen(tx, d.postTxn)
	if err != nil {
		return res, err
	}
	if frozen != "" {
		return res, b.reverse(tx, d, frozen)
	}
	return res, b.unpost(tx, d)
}

// application is a payment or credit-note link in an invoice's lot.
type application struct {
	txn, kind, num, date string
	amount               int64 // what it took off the amount due, in minor units
	other                string
}

// lotApplications returns the payments and links in a lot, other than the document's own posting
// and voided (zero) splits.
func (b *Book) lotApplications(q querier, lot, postTxn string) ([]application, error) {
	rows, err := q.Query(`SELECT s.tx_guid, COALESCE(ty.string_val, ''), t.num, COALESCE(t.post_date, ''),
		s.value_num, s.value_denom,
		COALESCE((SELECT o.id FROM splits os JOIN invoices o ON o.post_lot = os.lot_guid
			WHERE os.tx_guid = s.tx_guid AND os.guid <> s.guid LIMIT 1), '')
		FROM splits s JOIN transactions t ON t.guid = s.tx_guid
		LEFT JOIN slots ty ON ty.obj_guid = t.guid AND ty.name = 'trans-txn-type'
		WHERE s.lot_guid = ? AND s.tx_guid <> ? ORDER BY t.post_date, t.enter_date`, lot, postTxn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []application
	for rows.Next() {
		var a application
		var num, denom int64
		if err := rows.Scan(&a.txn, &a.kind, &a.num, &a.date, &num, &denom, &a.other); err != nil {
			return nil, err
		}
		v, err := b.toMinor(num, denom)
		if err != nil {
			return nil, err
		}
		if v == 0 {
			continue
		}
		a.amount, a.date = -v, dateOf(a.date)
		out = append(out, a)
	}
	return out, rows.Err()
}

// hasPayments is the refusal of a void: it names every payment and credit note applied.
func (b *Book) hasPayments(d postedDoc, applied []application) error {
	var names []string
	var details []platform.Detail
	for _, a := range applied {
		var name string
		switch a.kind {
		case "L":
			name = fmt.Sprintf("credit note %s of %s for %s %s", cmpOr(a.other, "(unknown)"), a.date, b.formatMinor(a.amount), b.currency)
		default:
			num := a.num
			if num == "" {
				num = "without a number"
			}
			name = fmt.Sprintf("payment %s of %s for %s %s", num, a.date, b.formatMinor(a.amount), b.currency)
		}
		names = append(names, name)
		details = append(details, platform.Detail{Field: "payments", Message: name,
			Fix: "Cancel the payment or credit note in booksync (or delete it in GnuCash), then cancel the invoice again"})
	}
	return &platform.Error{Class: platform.NeedsUserAction, Code: platform.CodeInvoiceHasPayments,
		Message: fmt.Sprintf("Invoice %s has payments or credit notes in GnuCash: %s", d.number, strings.Join(names, "; ")),
		Details: details}
}

// frozen says why GnuCash would not let the posting transaction be destroyed, "" when it may be:
// a split of it is reconciled, or its date falls in the book's read-only period (File >
// Properties > Accounts > Day Threshold for Read-Only Transactions).
func (b *Book) frozen(q querier, txn string) (string, error) {
	var reconciled bool
	var posted string
	if err := q.QueryRow(`SELECT EXISTS (SELECT 1 FROM splits WHERE tx_guid = ? AND reconcile_state IN ('y', 'f')),
		COALESCE((SELECT post_date FROM transactions WHERE guid = ?), '')`, txn, txn).Scan(&reconciled, &posted); err != nil {
		return "", err
	}
	if reconciled {
		return "its posting is reconciled", nil
	}
	// GnuCash keeps the option as a double (slot type 3); older books as an int64.
	var days sql.NullInt64
	err := q.QueryRow(`SELECT CASE d.slot_type WHEN 3 THEN CAST(d.double_val AS INTEGER) ELSE d.int64_val END FROM slots o
		JOIN slots a ON a.obj_guid = o.guid_val AND a.name = 'options/Accounts'
		JOIN slots d ON d.obj_guid = a.guid_val AND d.name = 'options/Accounts/Day Threshold for Read-Only Transactions'
		WHERE o.obj_guid = ? AND o.name = 'options'`, b.guid).Scan(&days)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if days.Valid && days.Int64 > 0 {
		limit := time.Now().UTC().AddDate(0, 0, -int(days.Int64)).Format(dateLayout)
		if dateOf(posted) < limit {
			return fmt.Sprintf("its date is in the book's read-only period (%d days)", days.Int64), nil
		}
	}
	return "", nil
}

// unpost does what gncInvoiceUnpost(invoice, TRUE) does, and marks the invoice inactive.
func (b *Book) unpost(tx *sql.Tx, d postedDoc) error {
	if err := destroyTxn(tx, d.postTxn); err != nil {
		return err
	}
	if err := detachLot(tx, d.postLot, d.owner); err != nil {
		return err
	}
	// The entries go back from the invisible copy of each tax table to the table itself.
	if _, err := tx.Exec(`UPDATE entries SET i_taxtable = (SELECT t.parent FROM taxtables t WHERE t.guid = entries.i_taxtable)
		WHERE invoice = ? AND i_taxtable IN (SELECT guid FROM taxtables WHERE parent IS NOT NULL AND parent <> '')`, d.guid); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE invoices SET post_txn = NULL, post_lot = NULL, post_acc = NULL, date_posted = NULL,
		active = 0 WHERE guid = ?`, d.guid)
	return err
}

// detachLot removes a document from its lot (gncInvoiceDetachFromLot): a lot left empty is
// deleted with its slots; one that still holds splits becomes the owner's (gncOwnerAttachToLot).
func detachLot(tx *sql.Tx, lot, owner string) error {
	if lot == "" {
		return nil
	}
	if err := deleteSlotNamed(tx, lot, "gncInvoice"); err != nil {
		return err
	}
	var left int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM splits WHERE lot_guid = ?`, lot).Scan(&left); err != nil {
		return err
	}
	if left == 0 {
		if err := deleteSlots(tx, lot); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM lots WHERE guid = ?`, lot)
		return err
	}
	if err := deleteSlotNamed(tx, lot, "gncOwner"); err != nil {
		return err
	}
	f := newGUID()
	if err := insertSlot(tx, slot{obj: lot, name: "gncOwner", typ: slotFrame, guid: f}); err != nil {
		return err
	}
	if err := insertSlot(tx, slot{obj: f, name: "gncOwner/owner-type", typ: slotInt64, i64: ownerCustomer}); err != nil {
		return err
	}
	if err := insertSlot(tx, slot{obj: f, name: "gncOwner/owner-guid", typ: slotGUID, guid: owner}); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE lots SET is_closed = -1 WHERE guid = ?`, lot)
	return err
}

// destroyTxn deletes a transaction as xaccTransDestroy does: its row, its splits, and the slots
// of both; the lots it leaves are marked for GnuCash to recompute whether they are closed.
func destroyTxn(tx *sql.Tx, txn string) error {
	rows, err := tx.Query(`SELECT guid, COALESCE(lot_guid, '') FROM splits WHERE tx_guid = ?`, txn)
	if err != nil {
		return err
	}
	var splits, lots []string
	for rows.Next() {
		var s, l string
		if err := rows.Scan(&s, &l); err != nil {
			rows.Close()
			return err
		}
		splits = append(splits, s)
		if l != "" {
			lots = append(lots, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, obj := range append(splits, txn) {
		if err := deleteSlots(tx, obj); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`DELETE FROM splits WHERE tx_guid = ?`, txn); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM transactions WHERE guid = ?`, txn); err != nil {
		return err
	}
	for _, l := range lots {
		if _, err := tx.Exec(`UPDATE lots SET is_closed = -1 WHERE guid = ?`, l); err != nil {
			return err
		}
	}
	return nil
}

// deleteSlots deletes every slot of obj, with the slots of its frames.
func deleteSlots(tx *sql.Tx, obj string) error {
	return deleteSlotsWhere(tx, `obj_guid = ?`, obj)
}

// deleteSlotNamed deletes obj's slot name, with its frame's slots.
func deleteSlotNamed(tx *sql.Tx, obj, name string) error {
	return deleteSlotsWhere(tx, `obj_guid = ? AND name = ?`, obj, name)
}

func deleteSlotsWhere(tx *sql.Tx, where string, args ...any) error {
	rows, err := tx.Query(`SELECT guid_val FROM slots WHERE `+where+` AND slot_type = ? AND guid_val IS NOT NULL`,
		append(args, slotFrame)...)
	if err != nil {
		return err
	}
	var frames []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return err
		}
		frames = append(frames, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range frames {
		if err := deleteSlots(tx, f); err != nil {
			return err
		}
	}
	_, err = tx.Exec(`DELETE FROM slots WHERE `+where, args...)
	return err
}

// DeletePayments removes each payment from the book as GnuCash's Delete Transaction does
// (xaccTransDestroy): the payment's transaction, its splits and their slots are deleted, and the
// invoice's lot balance is restored (GnuCash recomputes whether the lot is closed). A payment
// already gone succeeds. Only a payment transaction (trans-txn-type P) of that invoice is deleted;
// one that also pays other invoices, or whose bank split is reconciled, is refused
// (NeedsUserAction), since deleting it would change more than booksync's payment.
func (b *Book) DeletePayments(ctx context.Context, payments []platform.PaymentRef) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	for i, p := range payments {
		results[i] = platform.Result{Ref: p.Ref}
		err := b.write(ctx, func(tx *sql.Tx) error {
			r, err := b.deletePayment(tx, p)
			results[i] = r
			return err
		})
		if err == nil {
			continue
		}
		if platform.ClassOf(err) == platform.NeedsUserAction {
			results[i] = platform.Result{Ref: p.Ref, Err: err}
			continue
		}
		for j := i; j < len(results); j++ {
			results[j] = platform.Result{Ref: payments[j].Ref, Err: err}
		}
		return results, err
	}
	return results, nil
}

// deletePayment deletes one payment inside tx.
func (b *Book) deletePayment(tx *sql.Tx, p platform.PaymentRef) (platform.Result, error) {
	res := platform.Result{Ref: p.Ref, PlatformID: p.PaymentID, UpdatedAt: time.Now().UTC()}
	txn, _, _ := strings.Cut(p.PaymentID, ":")
	if txn == "" {
		return res, needsUser("payment_not_synced", "Payment not yet in GnuCash", "payment_id",
			"the payment has no GnuCash transaction GUID", "Nothing to delete in GnuCash")
	}
	var kind sql.NullString
	err := tx.QueryRow(`SELECT ty.string_val FROM transactions t
		LEFT JOIN slots ty ON ty.obj_guid = t.guid AND ty.name = 'trans-txn-type' WHERE t.guid = ?`, txn).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		res.Matched = true // already gone
		return res, nil
	} else if err != nil {
		return res, err
	}
	if kind.String != "P" {
		return res, needsUser("not_a_payment", "Transaction is not a payment in GnuCash", "payment_id",
			fmt.Sprintf("GnuCash transaction %s is not a payment (type %q)", txn, kind.String),
			"Delete the payment in GnuCash by hand")
	}
	rows, err := tx.Query(`SELECT DISTINCT i.guid, i.id FROM splits s JOIN invoices i ON i.post_lot = s.lot_guid
		WHERE s.tx_guid = ? AND s.value_num <> 0`, txn)
	if err != nil {
		return res, err
	}
	var paid, numbers []string
	for rows.Next() {
		var g, n string
		if err := rows.Scan(&g, &n); err != nil {
			rows.Close()
			return res, err
		}
		paid, numbers = append(paid, g), append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	if p.InvoiceID != "" && len(paid) > 0 && !contains(paid, p.InvoiceID) {
		return res, needsUser("payment_of_another_invoice", "Payment in GnuCash pays another invoice", "payment_id",
			fmt.Sprintf("GnuCash payment %s is applied to invoice %s, not to GUID %s", txn, strings.Join(numbers, ", "), p.InvoiceID),
			"Check the payment in GnuCash (Business > Customer > Process Payment); this is a booksync bug if booksync pushed it")
	}
	if len(paid) > 1 {
		return res, needsUser("payment_covers_other_invoices", "Payment in GnuCash also pays other invoices", "payment_id",
			fmt.Sprintf("GnuCash payment %s is applied to invoices %s", txn, strings.Join(numbers, ", ")),
			"Delete or change the payment in GnuCash by hand (Business > Customer > Process Payment)")
	}
	var reconciled bool
	if err := tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM splits WHERE tx_guid = ? AND reconcile_state IN ('y', 'f'))`, txn).
		Scan(&reconciled); err != nil {
		return res, err
	}
	if reconciled {
		return res, needsUser("payment_reconciled", "Payment is reconciled in GnuCash", "payment_id",
			fmt.Sprintf("GnuCash payment %s is reconciled with a bank statement", txn),
			"Unreconcile it in GnuCash first, or delete it there")
	}
	return res, destroyTxn(tx, txn)
}

// reversedBy is the slot that marks an invoice booksync voided by reversing it: the GUID of the
// reversing credit note.
const reversedBy = "booksync/reversed-by"

// framedGUID returns the GUID value of obj's slot frame/name, "" when there is none.
func framedGUID(q querier, obj, frame, name string) (string, error) {
	var g sql.NullString
	err := q.QueryRow(`SELECT c.guid_val FROM slots f JOIN slots c ON c.obj_guid = f.guid_val
		WHERE f.obj_guid = ? AND f.name = ? AND c.name = ?`, obj, frame, name).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return g.String, err
}

// reverse voids an invoice that cannot be unposted with a credit note for its total, dated
// today, linked to it: a copy of the invoice's entries and posting with the opposite sign, as a
// GnuCash user reverses a posted invoice. Its id is the invoice's followed by "-VOID", and its
// notes say why; the invoice keeps its GUID in the slot booksync/reversed-by.
func (b *Book) reverse(tx *sql.Tx, d postedDoc, why string) error {
	number := d.number + "-VOID"
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM invoices WHERE id = ? AND owner_type = ?`, number, ownerCustomer).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return needsUser("document_number_in_use", "The reversing credit note's number is in use in the GnuCash book", "invoice_id",
			fmt.Sprintf("booksync reverses invoice %s (%s) with credit note %s, which the book already holds", d.number, why, number),
			"Rename or delete that document in GnuCash, then cancel again")
	}
	today := time.Now().UTC().Format(dateLayout)
	posted, gdate, _ := neutral(today)
	cn, txn, lot := newGUID(), newGUID(), newGUID()
	notes := fmt.Sprintf("Reverses invoice %s, voided by booksync: %s, so it could not be unposted", d.number, why)
	if _, err := tx.Exec(`INSERT INTO invoices (guid, id, date_opened, date_posted, notes, active, currency,
		owner_type, owner_guid, terms, billing_id, post_txn, post_lot, post_acc, billto_type, billto_guid,
		charge_amt_num, charge_amt_denom)
		SELECT ?, ?, ?, ?, ?, 1, currency, owner_type, owner_guid, terms, billing_id, ?, ?, post_acc, billto_type,
		billto_guid, charge_amt_num, charge_amt_denom FROM invoices WHERE guid = ?`,
		cn, number, posted, posted, notes, txn, lot, d.guid); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO entries (guid, date, date_entered, description, action, notes,
		quantity_num, quantity_denom, i_acct, i_price_num, i_price_denom, i_discount_num, i_discount_denom,
		invoice, i_disc_type, i_disc_how, i_taxable, i_taxincluded, i_taxtable, b_acct, b_price_num,
		b_price_denom, bill, b_taxable, b_taxincluded, b_taxtable, b_paytype, billable, billto_type,
		billto_guid, order_guid)
		SELECT lower(hex(randomblob(16))), ?, ?, description, action, notes, -quantity_num, quantity_denom, i_acct,
		i_price_num, i_price_denom, i_discount_num, i_discount_denom, ?, i_disc_type, i_disc_how, i_taxable,
		i_taxincluded, i_taxtable, b_acct, b_price_num, b_price_denom, bill, b_taxable, b_taxincluded, b_taxtable,
		b_paytype, billable, billto_type, billto_guid, order_guid FROM entries WHERE invoice = ? ORDER BY rowid`,
		posted, nowText(), cn, d.guid); err != nil {
		return err
	}
	if err := negateFixedTables(tx, cn); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO transactions (guid, currency_guid, num, post_date, enter_date, description)
		SELECT ?, currency_guid, ?, ?, ?, description FROM transactions WHERE guid = ?`,
		txn, number, posted, nowText(), d.postTxn); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO splits (guid, tx_guid, account_guid, memo, action, reconcile_state,
		reconcile_date, value_num, value_denom, quantity_num, quantity_denom, lot_guid)
		SELECT lower(hex(randomblob(16))), ?, account_guid, memo, ?, 'n', ?, -value_num, value_denom, -quantity_num,
		quantity_denom, CASE WHEN lot_guid IS NULL THEN NULL ELSE ? END FROM splits WHERE tx_guid = ? ORDER BY rowid`,
		txn, actionCredit, noDate, lot, d.postTxn); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO lots (guid, account_guid, is_closed) VALUES (?, ?, -1)`, lot, d.postAcc); err != nil {
		return err
	}
	for _, s := range []func() error{
		func() error { return insertSlot(tx, slot{obj: txn, name: "date-posted", typ: slotGDate, gdate: gdate}) },
		func() error {
			return insertFramed(tx, txn, "gncInvoice", slot{name: "gncInvoice/invoice-guid", typ: slotGUID, guid: cn})
		},
		func() error {
			return insertSlot(tx, slot{obj: txn, name: "trans-date-due", typ: slotTime64, time: posted})
		},
		func() error {
			return insertSlot(tx, slot{obj: txn, name: "trans-read-only", typ: slotString, str: readOnlyNote})
		},
		func() error { return insertSlot(tx, slot{obj: txn, name: "trans-txn-type", typ: slotString, str: "I"}) },
		func() error {
			return insertFramed(tx, lot, "gncInvoice", slot{name: "gncInvoice/invoice-guid", typ: slotGUID, guid: cn})
		},
		func() error {
			return insertSlot(tx, slot{obj: lot, name: "title", typ: slotString, str: "Credit Note " + number})
		},
		func() error { return insertSlot(tx, slot{obj: cn, name: "credit-note", typ: slotInt64, i64: 1}) },
		func() error { return b.setFeature(tx, creditNotesFeature, creditNotesFeatureText) },
		func() error {
			return insertFramed(tx, d.guid, "booksync", slot{name: reversedBy, typ: slotGUID, guid: cn})
		},
	} {
		if err := s(); err != nil {
			return err
		}
	}
	total, err := b.lotBalance(tx, d.postLot)
	if err != nil {
		return err
	}
	doc, _, err := loadDoc(tx, cn)
	if err != nil {
		return err
	}
	return b.writeLink(tx, doc, d, total)
}

// negateFixedTables points the entries of document guid, copied with negated quantities from
// another document, at tables of fixed amounts with negated amounts (see fixedTable): the engine
// does not multiply a fixed amount by the quantity, so the copy's tax would otherwise keep the
// original's sign.
func negateFixedTables(tx *sql.Tx, guid string) error {
	rows, err := tx.Query(`SELECT DISTINCT t.guid, t.name FROM entries e JOIN taxtables t ON t.guid = e.i_taxtable
		WHERE e.invoice = ? AND t.invisible = 1 AND COALESCE(t.parent, '') = ''
		AND NOT EXISTS (SELECT 1 FROM taxtable_entries x WHERE x.taxtable = t.guid AND x.type <> ?)`, guid, taxValue)
	if err != nil {
		return err
	}
	var tables [][2]string
	for rows.Next() {
		var g, name string
		if err := rows.Scan(&g, &name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, [2]string{g, name})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, gt := range tables {
		t, err := loadEntries(tx, gt[0])
		if err != nil {
			return err
		}
		if len(t.rows) == 0 {
			continue
		}
		t.name, t.fixed = gt[1], true
		neg, err := fixedTable(tx, t, -1)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE entries SET i_taxtable = ? WHERE invoice = ? AND i_taxtable = ?`, neg, guid, gt[0]); err != nil {
			return err
		}
	}
	return nil
}
