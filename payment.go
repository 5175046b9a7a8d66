package booksync

import (
	"time"

	"github.com/booksync/booksync/internal/money"
)

// Payment record statuses, as Monite names them. Only a succeeded payment changes its invoice; a
// canceled one no longer counts (see CancelPayment).
const (
	PaymentStatusCreated    = "created"
	PaymentStatusProcessing = "processing"
	PaymentStatusSucceeded  = "succeeded"
	PaymentStatusCanceled   = "canceled"
)

// PaymentRecord is a payment made against an invoice. JSON tags give Monite's
// PaymentRecordResponse shape.
type PaymentRecord struct {
	ID                  string               `json:"id"`
	EntityID            string               `json:"-"`
	CreatedAt           time.Time            `json:"-"`
	UpdatedAt           time.Time            `json:"-"`
	Amount              int64                `json:"amount"`
	Currency            string               `json:"currency"`
	Status              string               `json:"status"`
	IsExternal          bool                 `json:"is_external"`
	OverpaidAmount      int64                `json:"overpaid_amount"`
	PaidAt              *time.Time           `json:"paid_at,omitempty"`
	PlannedPaymentDate  *string              `json:"planned_payment_date,omitempty"`
	PaymentIntentID     *string              `json:"payment_intent_id,omitempty"`
	PaymentIntentStatus *string              `json:"payment_intent_status,omitempty"`
	PaymentMethod       *string              `json:"payment_method,omitempty"`
	Object              PaymentRecordObject  `json:"object"`
	History             []PaymentHistoryItem `json:"history"`
	// Source is PaymentSourceBooks for a payment made in the accounting system and pulled from
	// it, which is never pushed back; empty for one recorded through the API.
	Source string `json:"-"`
	// ConnectionID and LedgerID name, for a payment pulled from the books, the connection and the
	// books' id of the payment: it is pulled once.
	ConnectionID string `json:"-"`
	LedgerID     string `json:"-"`
}

// PaymentSourceBooks marks a payment record pulled from the entity's accounting system.
const PaymentSourceBooks = "accounting_system"

// PaymentRecordObject names the invoice a payment is for, and the invoice status before and after
// the payment was recorded.
type PaymentRecordObject struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

// PaymentHistoryItem is one status a payment record has had.
type PaymentHistoryItem struct {
	Status    string    `json:"status"`
	Timestamp time.Time `json:"timestamp"`
}

// CheckPaymentAmount reports whether amount may be the amount of a payment record: positive (a
// payment of nothing records nothing, and booksync takes no refunds: see CheckPaymentDue) and
// within the API's integers (Monite's amounts are minor units up to 2^53-1), so that no sum of
// amounts can overflow.
func CheckPaymentAmount(amount int64) error {
	switch {
	case amount <= 0:
		return FieldErrorf("greater_than", []any{"body", "amount"},
			"Payment amount must be greater than 0, got %d; booksync does not record refunds.", amount)
	case amount > money.MaxAmount:
		return FieldErrorf("less_than_equal", []any{"body", "amount"}, "Payment amount must be at most %d minor units.", money.MaxAmount)
	}
	return nil
}

// CheckPaymentDue reports whether a payment of amount fits the invoice r as it is now: at most its
// amount due. booksync takes no overpayments (nor refunds): Xero, QuickBooks and GnuCash all
// refuse a payment beyond what an invoice still asks for, so the invoice's amount paid would then
// never agree with the books.
func CheckPaymentDue(r Receivable, amount int64) error {
	if err := CheckPaymentAmount(amount); err != nil {
		return err
	}
	if amount > r.AmountDue {
		return FieldErrorf("less_than_equal", []any{"body", "amount"},
			"Payment amount %d exceeds the amount due on this invoice, %d (minor units); booksync does not record overpayments.", amount, r.AmountDue)
	}
	return nil
}

// ApplyPayment returns the invoice after a succeeded payment of amount: amount paid and due move,
// and the status becomes partially_paid or paid. The invoice must be issued, partially paid or
// uncollectible (a debt written off may still be paid), and the amount within CheckPaymentDue's
// bounds; a credit note takes no payments. A rejected payment leaves r as it was.
func ApplyPayment(r Receivable, amount int64, at time.Time) (Receivable, error) {
	if r.IsCreditNote() {
		return r, Errorf(ECONFLICT, "Receivable %s is a credit note; payments are recorded against invoices.", r.ID)
	}
	switch r.Status {
	case StatusIssued, StatusPartiallyPaid, StatusUncollectible:
	case StatusPaid:
		return r, Errorf(ECONFLICT, "This invoice is already paid.")
	default:
		return r, Errorf(ECONFLICT, "Payments can only be recorded against issued invoices; this invoice is %s.", r.Status)
	}
	// Bounded amounts keep every sum below within int64: amount and the amounts stored on the
	// invoice are all at most 2^53-1.
	if err := CheckPaymentDue(r, amount); err != nil {
		return r, err
	}
	r.AmountPaid += amount
	r.AmountDue -= amount
	r.AmountToPay = r.AmountDue
	if r.AmountDue == 0 {
		r.Status = StatusPaid
		t := at
		r.PaidAt = &t
	} else {
		r.Status = StatusPartiallyPaid
		r.PaidAt = nil
	}
	return r, nil
}

// CancelPayment returns the invoice after a succeeded payment of amount was canceled: amount paid
// falls and amount due rises by it, and a paid or partially paid invoice becomes partially_paid
// (other payments remain) or issued (none do), with no paid_at. An uncollectible invoice stays
// uncollectible. A cancel that would leave the invoice's amounts inconsistent (more than it has
// paid) is refused and leaves r as it was.
func CancelPayment(r Receivable, amount int64) (Receivable, error) {
	switch r.Status {
	case StatusPaid, StatusPartiallyPaid, StatusUncollectible:
	default:
		return r, Errorf(ECONFLICT, "The payment's invoice %s is %s, so it has no payment to cancel.", r.ID, r.Status)
	}
	if amount <= 0 || amount > r.AmountPaid {
		return r, Errorf(ECONFLICT, "The payment of %d (minor units) is more than invoice %s has paid, %d; its amounts cannot take the cancel.", amount, r.ID, r.AmountPaid)
	}
	r.AmountPaid -= amount
	r.AmountDue += amount
	r.AmountToPay = r.AmountDue
	r.PaidAt = nil
	switch {
	case r.Status == StatusUncollectible:
	case r.AmountPaid > 0:
		r.Status = StatusPartiallyPaid
	default:
		r.Status = StatusIssued
	}
	return r, nil
}

// PaymentToMarkPaid returns the payment that marks the invoice r paid: its whole amount due. An
// invoice that is not issued, partially paid or uncollectible is refused (ECONFLICT), as Monite's
// mark_as_paid refuses it.
func PaymentToMarkPaid(r Receivable) (int64, error) {
	if err := checkMarkable(r, "paid"); err != nil {
		return 0, err
	}
	return r.AmountDue, nil
}

// PaymentToMarkPartiallyPaid returns the payment that brings the invoice r's amount paid to
// totalPaid (Monite's mark_as_partially_paid takes how much has been paid in total): more than it
// has paid already, and less than would pay it off (that is mark_as_paid). Bad amounts are 422s
// naming amount_paid; an invoice in the wrong status is an ECONFLICT.
func PaymentToMarkPartiallyPaid(r Receivable, totalPaid int64) (int64, error) {
	if err := checkMarkable(r, "partially paid"); err != nil {
		return 0, err
	}
	loc := []any{"body", "amount_paid"}
	switch {
	case totalPaid <= r.AmountPaid:
		return 0, FieldErrorf("greater_than", loc,
			"amount_paid is how much has been paid in total: %d (minor units) has already been paid on this invoice, so amount_paid must be more than that, got %d. To remove a payment, cancel it with POST /payment_records/{id}/cancel.", r.AmountPaid, totalPaid)
	case totalPaid-r.AmountPaid >= r.AmountDue:
		return 0, FieldErrorf("less_than", loc,
			"amount_paid %d (minor units) would pay this invoice off or more: %d has been paid and %d is due, so a partial payment brings amount_paid below %d; mark it paid with POST /receivables/%s/mark_as_paid.",
			totalPaid, r.AmountPaid, r.AmountDue, r.AmountPaid+r.AmountDue, r.ID)
	}
	return totalPaid - r.AmountPaid, nil
}

// checkMarkable refuses to mark a receivable paid or partially paid unless it is an invoice that
// is issued, partially paid or uncollectible.
func checkMarkable(r Receivable, as string) error {
	if r.IsCreditNote() {
		return Errorf(ECONFLICT, "Receivable %s is a credit note; only invoices are marked %s.", r.ID, as)
	}
	switch r.Status {
	case StatusIssued, StatusPartiallyPaid, StatusUncollectible:
		return nil
	case StatusPaid:
		return Errorf(ECONFLICT, "This invoice is already paid.")
	}
	return Errorf(ECONFLICT, "Only issued, partially paid or uncollectible invoices can be marked %s; this invoice is %s.", as, r.Status)
}

// MarkUncollectible returns the invoice r marked uncollectible at the given time, with the comment
// (if any). Only an issued or partially paid invoice can be (ECONFLICT otherwise). The status is
// all that changes: the invoice stays open in the books, because writing off a bad debt is the
// accountant's call.
func MarkUncollectible(r Receivable, comment *string, at time.Time) (Receivable, error) {
	if r.IsCreditNote() {
		return r, Errorf(ECONFLICT, "Receivable %s is a credit note; only invoices are marked uncollectible.", r.ID)
	}
	switch r.Status {
	case StatusIssued, StatusPartiallyPaid:
	default:
		return r, Errorf(ECONFLICT, "Only issued or partially paid invoices can be marked uncollectible; this invoice is %s.", r.Status)
	}
	r.Status = StatusUncollectible
	if comment != nil {
		c := *comment
		r.Comment = &c
	}
	r.UpdatedAt = at
	return r, nil
}
