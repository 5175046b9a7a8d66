package gnucash

import (
	"database/sql"
	"fmt"
	"math/big"

	"github.com/booksync/booksync/internal/platform"
)

// Split actions and the read-only note GnuCash 4.13 puts on the transactions it generates.
const (
	actionInvoice = "Invoice"
	actionPayment = "Payment"
	actionCredit  = "Credit Note"
	actionLink    = "Lot Link"
	readOnlyNote  = "Generated from an invoice. Try unposting the invoice."
)

// writeInvoice writes a posted invoice, or a posted customer credit note when credit is set,
// and returns its GUID. The rows and slots, and their order, are those GnuCash 4.13 writes for
// Invoice.PostToAccount with accumulated splits. A credit note is the same document with the
// slot credit-note = 1, its entries' quantities negated (gncEntrySetDocQuantity), its posting
// splits of the opposite sign with the action "Credit Note", and its lot titled "Credit Note <id>".
func (b *Book) writeInvoice(tx *sql.Tx, inv platform.Invoice, d document, credit bool) (string, error) {
	custName, ar, inputs, tables, iv := d.custName, d.ar, d.inputs, d.tables, d.values
	action, sign, title := actionInvoice, int64(1), "Invoice "
	if credit {
		action, sign, title = actionCredit, -1, "Credit Note "
	}
	posted, gdate, _ := neutral(inv.Date)
	due := posted
	if inv.DueDate != "" {
		due, _, _ = neutral(inv.DueDate)
	}
	now := nowText()
	invGUID, txnGUID, lotGUID := newGUID(), newGUID(), newGUID()
	if _, err := tx.Exec(`INSERT INTO invoices (guid, id, date_opened, date_posted, notes, active, currency,
		owner_type, owner_guid, terms, billing_id, post_txn, post_lot, post_acc, billto_type, billto_guid,
		charge_amt_num, charge_amt_denom) VALUES (?, ?, ?, ?, '', 1, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL, 0, 1)`,
		invGUID, inv.Number, posted, posted, b.currGUID, ownerCustomer, inv.ContactID, inv.Reference,
		txnGUID, lotGUID, ar); err != nil {
		return "", err
	}
	children := map[string]string{}
	for i, l := range inv.Lines {
		in := inputs[i]
		var child any
		if t := tables[i]; t != nil {
			key := t.guid
			if t.fixed {
				key = fixedKey(t, sign)
			}
			c, ok := children[key]
			if !ok {
				var err error
				if t.fixed {
					c, err = fixedTable(tx, t, sign)
				} else {
					c, err = childTable(tx, t)
				}
				if err != nil {
					return "", err
				}
				children[key] = c
			}
			child = c
		}
		qn, qd, err := quantityFraction(l)
		if err != nil {
			return "", err
		}
		dn, dd := int64(0), int64(1)
		discType := "PERCENT"
		if in.discount.Sign() != 0 {
			discType = "VALUE"
			if in.discount.Denom().IsInt64() && in.discount.Denom().Int64() <= b.fraction && b.fraction%in.discount.Denom().Int64() == 0 {
				dn, dd = roundMinor(in.discount, b.fraction), b.fraction
			} else if dn, dd, err = numDenom(in.discount); err != nil {
				return "", err
			}
		}
		desc := l.Description
		if desc == "" {
			desc = l.ItemCode
		}
		if _, err := tx.Exec(`INSERT INTO entries (guid, date, date_entered, description, action, notes,
			quantity_num, quantity_denom, i_acct, i_price_num, i_price_denom, i_discount_num, i_discount_denom,
			invoice, i_disc_type, i_disc_how, i_taxable, i_taxincluded, i_taxtable, b_acct, b_price_num,
			b_price_denom, bill, b_taxable, b_taxincluded, b_taxtable, b_paytype, billable, billto_type,
			billto_guid, order_guid)
			VALUES (?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PRETAX', ?, ?, ?, NULL, 0, 1, NULL, 1, 0, NULL,
			1, 0, NULL, NULL, NULL)`,
			newGUID(), posted, now, desc, sign*qn, qd, in.account, l.UnitAmount, b.fraction, dn, dd, invGUID,
			discType, child != nil, inv.Inclusive, child); err != nil {
			return "", err
		}
	}
	if _, err := tx.Exec(`INSERT INTO transactions (guid, currency_guid, num, post_date, enter_date, description)
		VALUES (?, ?, ?, ?, ?, ?)`, txnGUID, b.currGUID, inv.Number, posted, now, custName); err != nil {
		return "", err
	}
	if err := b.insertSplit(tx, txnGUID, ar, action, sign*iv.total, lotGUID); err != nil {
		return "", err
	}
	for _, a := range iv.incomeOrder {
		if err := b.insertSplit(tx, txnGUID, a, action, -sign*iv.incomeByAcct[a], ""); err != nil {
			return "", err
		}
	}
	for _, a := range iv.taxOrder {
		if err := b.insertSplit(tx, txnGUID, a, action, -sign*iv.taxByAcct[a], ""); err != nil {
			return "", err
		}
	}
	if _, err := tx.Exec(`INSERT INTO lots (guid, account_guid, is_closed) VALUES (?, ?, -1)`, lotGUID, ar); err != nil {
		return "", err
	}
	dueTS := due
	for _, s := range []func() error{
		func() error {
			return insertSlot(tx, slot{obj: txnGUID, name: "date-posted", typ: slotGDate, gdate: gdate})
		},
		func() error {
			return insertFramed(tx, txnGUID, "gncInvoice", slot{name: "gncInvoice/invoice-guid", typ: slotGUID, guid: invGUID})
		},
		func() error {
			return insertSlot(tx, slot{obj: txnGUID, name: "trans-date-due", typ: slotTime64, time: dueTS})
		},
		func() error {
			return insertSlot(tx, slot{obj: txnGUID, name: "trans-read-only", typ: slotString, str: readOnlyNote})
		},
		func() error {
			return insertSlot(tx, slot{obj: txnGUID, name: "trans-txn-type", typ: slotString, str: "I"})
		},
		func() error {
			return insertFramed(tx, lotGUID, "gncInvoice", slot{name: "gncInvoice/invoice-guid", typ: slotGUID, guid: invGUID})
		},
		func() error {
			return insertSlot(tx, slot{obj: lotGUID, name: "title", typ: slotString, str: title + inv.Number})
		},
		func() error {
			if !credit {
				return nil
			}
			return insertSlot(tx, slot{obj: invGUID, name: "credit-note", typ: slotInt64, i64: 1})
		},
	} {
		if err := s(); err != nil {
			return "", err
		}
	}
	return invGUID, nil
}

// quantityFraction returns a line's quantity as num/denom with a power-of-ten denominator, as
// typed (1.5 is 15/10).
func quantityFraction(l platform.InvoiceLine) (int64, int64, error) {
	q := l.Quantity
	coef, exp := q.Coefficient(), q.Exponent()
	denom := big.NewInt(1)
	if exp > 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	} else {
		denom.Exp(big.NewInt(10), big.NewInt(int64(-exp)), nil)
	}
	if !coef.IsInt64() || !denom.IsInt64() {
		return 0, 0, needsUser("quantity_invalid", "Quantity has too many digits for GnuCash", "quantity",
			fmt.Sprintf("quantity %s does not fit GnuCash's 64-bit num/denom", q), "Round the quantity")
	}
	return coef.Int64(), denom.Int64(), nil
}

// insertSplit writes a split of value minor units (single currency: quantity = value).
func (b *Book) insertSplit(tx *sql.Tx, txn, acct, action string, value int64, lot string) error {
	var lotv any
	if lot != "" {
		lotv = lot
	}
	_, err := tx.Exec(`INSERT INTO splits (guid, tx_guid, account_guid, memo, action, reconcile_state,
		reconcile_date, value_num, value_denom, quantity_num, quantity_denom, lot_guid)
		VALUES (?, ?, ?, '', ?, 'n', ?, ?, ?, ?, ?, ?)`,
		newGUID(), txn, acct, action, noDate, value, b.fraction, value, b.fraction, lotv)
	return err
}

// toMinor converts num/denom to minor units, failing when it is not a whole number of them.
func (b *Book) toMinor(num, denom int64) (int64, error) {
	if denom <= 0 {
		return 0, fmt.Errorf("amount %d/%d has no valid denominator", num, denom)
	}
	r := new(big.Rat).Mul(big.NewRat(num, denom), big.NewRat(b.fraction, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("amount %d/%d is not a whole number of %s minor units", num, denom, b.currency)
	}
	return r.Num().Int64(), nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

// invoiceTotals reads a posted invoice's totals from its posting transaction: the total is the
// receivable split, the subtotal the credits to the entries' income accounts, the tax the rest.
func (b *Book) invoiceTotals(q querier, invGUID string) (platform.Totals, error) {
	var t platform.Totals
	rows, err := q.Query(`SELECT s.account_guid, s.value_num, s.value_denom,
		s.account_guid = i.post_acc, s.account_guid IN (SELECT i_acct FROM entries WHERE invoice = i.guid)
		FROM invoices i JOIN splits s ON s.tx_guid = i.post_txn WHERE i.guid = ?`, invGUID)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var acct string
		var num, denom int64
		var isAR, isIncome bool
		if err := rows.Scan(&acct, &num, &denom, &isAR, &isIncome); err != nil {
			return t, err
		}
		v, err := b.toMinor(num, denom)
		if err != nil {
			return t, err
		}
		switch {
		case isAR:
			t.Total += v
		case isIncome:
			t.Subtotal -= v
		}
	}
	t.Tax = t.Total - t.Subtotal
	return t, rows.Err()
}
