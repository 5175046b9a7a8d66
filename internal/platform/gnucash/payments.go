package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// PushPayments records each payment in its own transaction, as GnuCash's Process Payment does
// for one invoice: a transaction (num = Reference, description = the customer's name, slot
// trans-txn-type "P") debiting the bank account and crediting accounts receivable in the
// invoice's lot, so that GnuCash shows the invoice paid, and the lot closed, once its balance is
// zero. InvoiceID is the invoice's GUID; the bank account is AccountID (a GUID) or AccountCode.
//
// Payments are idempotent: the transaction carries the payment's Ref in the slot
// booksync/payment-ref, and a payment whose Ref is already in the book is Matched. A payment
// larger than the amount due is refused (GnuCash would turn the rest into a prepayment).
func (b *Book) PushPayments(ctx context.Context, payments []platform.Payment) ([]platform.Result, error) {
	results := make([]platform.Result, len(payments))
	for i, p := range payments {
		results[i].Ref = p.Ref
		if err := b.precheckPayment(p); err != nil {
			results[i].Err = err
			continue
		}
		err := b.write(ctx, func(tx *sql.Tx) error {
			r, err := b.pushPayment(tx, p)
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

// precheckPayment checks what needs no book.
func (b *Book) precheckPayment(p platform.Payment) error {
	switch {
	case p.Ref == "":
		return needsUser("payment_ref_missing", "Payment has no booksync id", "id", "booksync finds payments again by their id", "This is a booksync bug")
	case p.Amount <= 0:
		return needsUser("payment_amount_invalid", "Payment amount must be positive", "amount", fmt.Sprintf("amount is %d", p.Amount), "Record the payment with a positive amount")
	case p.InvoiceID == "":
		return needsUser("invoice_not_synced", "Invoice not yet in GnuCash", "invoice_id", "the payment's invoice has no GnuCash GUID", "Push the invoice first")
	case p.Currency != "" && p.Currency != b.currency:
		return needsUser("currency_mismatch", fmt.Sprintf("Currency %s differs from the GnuCash book's currency %s", p.Currency, b.currency),
			"currency", "booksync records payments in the book's currency only", "Record the payment in "+b.currency)
	}
	if _, _, err := neutral(p.Date); err != nil {
		return needsUser("payment_date_invalid", "Payment date is not a valid date", "date", err.Error(), "Set the payment's date")
	}
	return nil
}

// pushPayment matches or writes one payment inside tx.
func (b *Book) pushPayment(tx *sql.Tx, p platform.Payment) (platform.Result, error) {
	res := platform.Result{Ref: p.Ref}
	existing, err := framedObject(tx, "booksync", "booksync/payment-ref", p.Ref)
	if err != nil {
		return res, err
	}
	if existing != "" {
		res.PlatformID, res.Matched, res.UpdatedAt = existing, true, time.Now().UTC()
		return res, nil
	}
	var lot, ar, custName string
	err = tx.QueryRow(`SELECT i.post_lot, i.post_acc, c.name FROM invoices i JOIN customers c ON c.guid = i.owner_guid
		WHERE i.guid = ? AND i.post_lot IS NOT NULL`, p.InvoiceID).Scan(&lot, &ar, &custName)
	if errors.Is(err, sql.ErrNoRows) {
		return res, needsUser("invoice_not_found", "Invoice does not exist in the GnuCash book, or is not posted", "invoice_id",
			"No posted GnuCash invoice has GUID "+p.InvoiceID, "Push the invoice again, or post it in GnuCash")
	} else if err != nil {
		return res, err
	}
	bank, err := bankAccount(tx, p)
	if err != nil {
		return res, err
	}
	due, err := b.lotBalance(tx, lot)
	if err != nil {
		return res, err
	}
	if p.Amount > due {
		return res, needsUser("payment_exceeds_amount_due", "Payment is more than the amount due", "amount",
			fmt.Sprintf("the payment is %s but the invoice's amount due in GnuCash is %s", b.formatMinor(p.Amount), b.formatMinor(due)),
			"Check the payments already recorded against the invoice")
	}
	posted, _, _ := neutral(p.Date)
	txn := newGUID()
	if _, err := tx.Exec(`INSERT INTO transactions (guid, currency_guid, num, post_date, enter_date, description)
		VALUES (?, ?, ?, ?, ?, ?)`, txn, b.currGUID, p.Reference, posted, nowText(), custName); err != nil {
		return res, err
	}
	if err := b.insertSplit(tx, txn, bank, actionPayment, p.Amount, ""); err != nil {
		return res, err
	}
	if err := b.insertSplit(tx, txn, ar, actionPayment, -p.Amount, lot); err != nil {
		return res, err
	}
	if err := insertSlot(tx, slot{obj: txn, name: "trans-txn-type", typ: slotString, str: "P"}); err != nil {
		return res, err
	}
	if err := insertFramed(tx, txn, "booksync", slot{name: "booksync/payment-ref", typ: slotString, str: p.Ref}); err != nil {
		return res, err
	}
	res.PlatformID, res.UpdatedAt = txn, time.Now().UTC()
	return res, nil
}

// bankAccount finds the payment's account by GUID or code: a bank, cash or asset account.
func bankAccount(tx *sql.Tx, p platform.Payment) (string, error) {
	var guid string
	err := tx.QueryRow(`SELECT guid FROM accounts WHERE (guid = ? OR (? = '' AND code = ? AND code <> ''))
		AND account_type IN ('BANK', 'CASH', 'ASSET') AND COALESCE(placeholder, 0) = 0
		ORDER BY account_type = 'BANK' DESC LIMIT 1`, p.AccountID, p.AccountID, p.AccountCode).Scan(&guid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", needsUser("ledger_account_not_found", "Bank account does not exist in the GnuCash book", "account_id",
			fmt.Sprintf("no bank, cash or asset account has GUID %q or code %q", p.AccountID, p.AccountCode),
			"Choose an account GET /ledger_accounts lists with is_bank_account true")
	}
	return guid, err
}

// lotBalance returns the sum of a lot's splits in minor units.
func (b *Book) lotBalance(q querier, lot string) (int64, error) {
	rows, err := q.Query(`SELECT value_num, value_denom FROM splits WHERE lot_guid = ?`, lot)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var sum int64
	for rows.Next() {
		var num, denom int64
		if err := rows.Scan(&num, &denom); err != nil {
			return 0, err
		}
		v, err := b.toMinor(num, denom)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, rows.Err()
}
