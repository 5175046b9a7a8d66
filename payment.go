package booksync

import (
	"time"

	"github.com/booksync/booksync/internal/money"
)

// Payment record statuses, as Monite names them. Only a succeeded payment changes its invoice.
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
// and the status becomes partially_paid or paid. The invoice must be issued or partially paid, and
// the amount within CheckPaymentDue's bounds; a rejected payment leaves r as it was.
func ApplyPayment(r Receivable, amount int64, at time.Time) (Receivable, error) {
	switch r.Status {
	case StatusIssued, StatusPartiallyPaid:
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
