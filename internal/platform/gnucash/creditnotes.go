package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// The book feature GnuCash sets when the first credit note is created; older versions refuse to
// open a book that has it.
const (
	creditNotesFeature     = "features/Credit Notes"
	creditNotesFeatureText = "Customer and vendor credit notes (requires at least GnuCash 2.5.0)"
)

// PushCreditNotes posts each credit note as GnuCash writes a customer credit note (see
// writeInvoice), and links it to the lot of the invoice it credits with a lot-link transaction,
// as gncOwnerCreateLotLink writes it: one transaction (trans-txn-type L, no number, the
// customer's name as description) with two receivable splits of action "Lot Link", +Amount in the
// credit note's lot and -Amount in the invoice's. booksync writes the link itself because
// GnuCash's own auto-apply picks the oldest open invoice, not necessarily the one credited.
//
// A credit note's GnuCash id is its Number: one the book already holds is Matched (and linked,
// if it is not yet), so that it is never posted or linked twice. A credit note for more than the
// invoice still owes, or whose total differs from Amount, is refused (NeedsUserAction) with
// nothing written. Result.Totals are the credit note's totals as GnuCash computes them, positive.
func (b *Book) PushCreditNotes(ctx context.Context, notes []platform.CreditNote) ([]platform.Result, error) {
	results := make([]platform.Result, len(notes))
	for i, n := range notes {
		results[i] = platform.Result{Ref: n.Ref}
		if err := b.precheckCreditNote(n); err != nil {
			results[i].Err = err
			continue
		}
		err := b.write(ctx, func(tx *sql.Tx) error {
			r, err := b.pushCreditNote(tx, n)
			results[i] = r
			return err
		})
		if err == nil {
			continue
		}
		if platform.ClassOf(err) == platform.NeedsUserAction {
			results[i] = platform.Result{Ref: n.Ref, Err: err}
			continue
		}
		for j := i; j < len(results); j++ {
			results[j] = platform.Result{Ref: notes[j].Ref, Err: err}
		}
		return results, err
	}
	return results, nil
}

// precheckCreditNote checks what needs no book.
func (b *Book) precheckCreditNote(n platform.CreditNote) error {
	if n.InvoiceID == "" {
		return needsUser("invoice_not_synced", "Credited invoice not yet in GnuCash", "based_on",
			"the invoice the credit note credits has no GnuCash GUID", "Push the invoice first")
	}
	if n.Amount <= 0 {
		return needsUser("credit_note_amount_invalid", "Credit note amount must be positive", "total_amount",
			fmt.Sprintf("amount is %d", n.Amount), "Give the credit note lines with a positive total")
	}
	// The customer is the credited invoice's: pushCreditNote fills it in when it is missing.
	return b.precheckDocument(n.Invoice, false)
}

// pushCreditNote matches or writes one credit note, and its link, inside tx.
func (b *Book) pushCreditNote(tx *sql.Tx, n platform.CreditNote) (platform.Result, error) {
	res := platform.Result{Ref: n.Ref}
	inv, ok, err := loadDoc(tx, n.InvoiceID)
	if err != nil {
		return res, err
	}
	if !ok || inv.credit || !inv.posted() {
		return res, needsUser("invoice_not_found", "Credited invoice does not exist in the GnuCash book, or is not posted", "based_on",
			fmt.Sprintf("No posted GnuCash invoice has GUID %s (invoice %s)", n.InvoiceID, n.InvoiceNumber),
			"Push the invoice again, or post it in GnuCash")
	}
	if n.ContactID != "" && n.ContactID != inv.owner {
		return res, needsUser("contact_mismatch", "Credit note's customer differs from the credited invoice's", "counterpart_id",
			fmt.Sprintf("invoice %s belongs to GnuCash customer %s (%s), the credit note names %s", inv.number, inv.ownerName, inv.owner, n.ContactID),
			"Issue the credit note to the invoice's counterpart")
	}
	n.ContactID = inv.owner
	var guid string
	var isCredit bool
	err = tx.QueryRow(`SELECT guid, EXISTS (SELECT 1 FROM slots WHERE obj_guid = invoices.guid AND name = 'credit-note' AND int64_val = 1)
		FROM invoices WHERE id = ? AND owner_type = ? ORDER BY 2 DESC LIMIT 1`, n.Number, ownerCustomer).Scan(&guid, &isCredit)
	switch {
	case err == nil && !isCredit:
		return res, needsUser("document_number_in_use", "Document number is an invoice's in the GnuCash book", "document_id",
			fmt.Sprintf("GnuCash invoice %s has the credit note's number", n.Number), "Give the credit note its own document number")
	case err == nil:
		cn, _, err := loadDoc(tx, guid)
		if err != nil {
			return res, err
		}
		if !cn.posted() {
			return res, needsUser("credit_note_unposted", "Credit note is not posted in GnuCash", "document_id",
				fmt.Sprintf("GnuCash credit note %s exists but was unposted", n.Number), "Post it again in GnuCash, or delete it there and push again")
		}
		t, err := b.creditTotals(tx, guid)
		if err != nil {
			return res, err
		}
		res.PlatformID, res.Matched, res.Totals, res.UpdatedAt = guid, true, &t, time.Now().UTC()
		linked, err := linkedBetween(tx, cn.postLot, inv.postLot)
		if err != nil || linked {
			return res, err
		}
		if err := b.checkCredit(tx, inv, n.Amount); err != nil {
			return res, err
		}
		left, err := b.lotBalance(tx, cn.postLot)
		if err != nil {
			return res, err
		}
		if -left < n.Amount {
			return res, needsUser("credit_note_applied_elsewhere", "Credit note is already applied in GnuCash", "document_id",
				fmt.Sprintf("GnuCash credit note %s has %s left to apply, booksync applies %s to invoice %s",
					n.Number, b.formatMinor(-left), b.formatMinor(n.Amount), inv.number),
				"Check in GnuCash which invoice the credit note is applied to (Business > Customer > Process Payment)")
		}
		return res, b.writeLink(tx, cn, inv, n.Amount)
	case !errors.Is(err, sql.ErrNoRows):
		return res, err
	}
	if err := b.checkCredit(tx, inv, n.Amount); err != nil {
		return res, err
	}
	d, err := b.prepare(tx, n.Invoice)
	if err != nil {
		return res, err
	}
	if d.values.total != n.Amount {
		return res, needsUser("credit_note_amount_mismatch", "Credit note total differs from the amount to credit", "total_amount",
			fmt.Sprintf("GnuCash computes the credit note's total as %s, booksync applies %s", b.formatMinor(d.values.total), b.formatMinor(n.Amount)),
			"This is a booksync bug: the credit note's total is the amount it credits")
	}
	if guid, err = b.writeInvoice(tx, n.Invoice, d, true); err != nil {
		return res, err
	}
	if err := b.setFeature(tx, creditNotesFeature, creditNotesFeatureText); err != nil {
		return res, err
	}
	cn, _, err := loadDoc(tx, guid)
	if err != nil {
		return res, err
	}
	if err := b.writeLink(tx, cn, inv, n.Amount); err != nil {
		return res, err
	}
	res.PlatformID = guid
	res.Totals = &platform.Totals{Subtotal: d.values.subtotal, Tax: d.values.tax, Total: d.values.total}
	res.UpdatedAt = time.Now().UTC()
	return res, nil
}

// checkCredit refuses a credit larger than what the invoice still owes.
func (b *Book) checkCredit(tx *sql.Tx, inv postedDoc, amount int64) error {
	due, err := b.lotBalance(tx, inv.postLot)
	if err != nil {
		return err
	}
	if amount > due {
		return needsUser("credit_note_exceeds_amount_due", "Credit note is more than the invoice still owes", "total_amount",
			fmt.Sprintf("the credit note is %s but invoice %s's amount due in GnuCash is %s", b.formatMinor(amount), inv.number, b.formatMinor(due)),
			"Check the payments and credit notes already applied to the invoice, and credit at most what it still owes")
	}
	return nil
}

// creditTotals reads a posted credit note's totals, positive.
func (b *Book) creditTotals(q querier, guid string) (platform.Totals, error) {
	t, err := b.invoiceTotals(q, guid)
	return platform.Totals{Subtotal: -t.Subtotal, Tax: -t.Tax, Total: -t.Total}, err
}

// linkedBetween reports whether a lot-link transaction joins the two lots.
func linkedBetween(q querier, a, b string) (bool, error) {
	var linked bool
	err := q.QueryRow(`SELECT EXISTS (SELECT 1 FROM splits x JOIN splits y ON y.tx_guid = x.tx_guid
		JOIN slots ty ON ty.obj_guid = x.tx_guid AND ty.name = 'trans-txn-type' AND ty.string_val = 'L'
		WHERE x.lot_guid = ? AND y.lot_guid = ? AND x.value_num <> 0)`, a, b).Scan(&linked)
	return linked, err
}

// writeLink writes the lot-link transaction that applies amount of the credit note cn to the
// invoice inv, as gncOwnerCreateLotLink does: dated as the later of the two documents.
func (b *Book) writeLink(tx *sql.Tx, cn, inv postedDoc, amount int64) error {
	date := cn.postDate
	if inv.postDate > date {
		date = inv.postDate
	}
	txn := newGUID()
	if _, err := tx.Exec(`INSERT INTO transactions (guid, currency_guid, num, post_date, enter_date, description)
		VALUES (?, ?, '', ?, ?, ?)`, txn, b.currGUID, date, nowText(), inv.ownerName); err != nil {
		return err
	}
	memo := fmt.Sprintf("Offset between documents: Credit Note %s - Invoice %s", cn.number, inv.number)
	for _, s := range []struct {
		acct, lot string
		value     int64
	}{{cn.postAcc, cn.postLot, amount}, {inv.postAcc, inv.postLot, -amount}} {
		if _, err := tx.Exec(`INSERT INTO splits (guid, tx_guid, account_guid, memo, action, reconcile_state,
			reconcile_date, value_num, value_denom, quantity_num, quantity_denom, lot_guid)
			VALUES (?, ?, ?, ?, ?, 'n', ?, ?, ?, ?, ?, ?)`,
			newGUID(), txn, s.acct, memo, actionLink, noDate, s.value, b.fraction, s.value, b.fraction, s.lot); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE lots SET is_closed = -1 WHERE guid = ?`, s.lot); err != nil {
			return err
		}
	}
	return insertSlot(tx, slot{obj: txn, name: "trans-txn-type", typ: slotString, str: "L"})
}

// setFeature adds a book feature (a slot in the book's features frame) unless it is set.
func (b *Book) setFeature(tx *sql.Tx, name, text string) error {
	var frame string
	err := tx.QueryRow(`SELECT guid_val FROM slots WHERE obj_guid = ? AND name = 'features' AND slot_type = ?`, b.guid, slotFrame).Scan(&frame)
	if errors.Is(err, sql.ErrNoRows) {
		frame = newGUID()
		err = insertSlot(tx, slot{obj: b.guid, name: "features", typ: slotFrame, guid: frame})
	}
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM slots WHERE obj_guid = ? AND name = ?`, frame, name).Scan(&n); err != nil || n > 0 {
		return err
	}
	return insertSlot(tx, slot{obj: frame, name: name, typ: slotString, str: text})
}
