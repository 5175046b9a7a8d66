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
	EntityUserID        *string              `json:"entity_user_id,omitempty"`
	Object              PaymentRecordObject  `json:"object"`
	History             []PaymentHistoryItem `json:"history"`
}

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

// CheckPaymentAmount reports whether amount may be the amount of a payment record: not zero (a
// payment of nothing records nothing) and within the API's integers either way (Monite's
// amounts are minor units up to 2^53-1), so that no sum of amounts can overflow.
func CheckPaymentAmount(amount int64) error {
	switch {
	case amount == 0:
		return FieldErrorf("value_error", []any{"body", "amount"}, "Payment amount must not be zero.")
	case amount > money.MaxAmount:
		return FieldErrorf("less_than_equal", []any{"body", "amount"}, "Payment amount must be at most %d minor units.", money.MaxAmount)
	case amount < -money.MaxAmount:
		return FieldErrorf("greater_than_equal", []any{"body", "amount"}, "A refund must be at most %d minor units.", money.MaxAmount)
	}
	return nil
}

// ApplyPayment returns the invoice after a succeeded payment of amount (negative for a refund):
// amount paid and due move, and the status becomes partially_paid, paid, or back to issued. It
// also returns how much of the payment exceeded what was due (Monite's overpaid_amount); the
// invoice's amount paid never exceeds what it asks for. The invoice must be issued, the amount
// within CheckPaymentAmount's bounds and a refund no larger than what was paid.
func ApplyPayment(r Receivable, amount int64, at time.Time) (Receivable, int64, error) {
	switch r.Status {
	case StatusIssued, StatusPartiallyPaid, StatusPaid:
	default:
		return r, 0, Errorf(ECONFLICT, "Payments can only be recorded against issued invoices; this invoice is %s.", r.Status)
	}
	// Bounded amounts keep every sum below within int64: |amount| and the amounts stored on the
	// invoice are all at most 2^53-1.
	if err := CheckPaymentAmount(amount); err != nil {
		return r, 0, err
	}
	if amount < 0 && -amount > r.AmountPaid {
		return r, 0, FieldErrorf("value_error", []any{"body", "amount"},
			"A refund of %d cannot exceed the %d paid on this invoice.", -amount, r.AmountPaid)
	}
	if r.Status == StatusPaid && amount > 0 {
		return r, 0, Errorf(ECONFLICT, "This invoice is already paid.")
	}
	payable := r.TotalAmount - deduction(r)
	paid := r.AmountPaid + amount
	var overpaid int64
	if paid > payable {
		overpaid = paid - payable
		paid = payable
	}
	r.AmountPaid = paid
	r.AmountDue = payable - paid
	r.AmountToPay = r.AmountDue
	switch {
	case r.AmountDue == 0:
		r.Status = StatusPaid
		t := at
		r.PaidAt = &t
	case paid > 0:
		r.Status = StatusPartiallyPaid
		r.PaidAt = nil
	default:
		r.Status = StatusIssued
		r.PaidAt = nil
	}
	return r, overpaid, nil
}

func deduction(r Receivable) int64 {
	if r.DeductionAmount == nil {
		return 0
	}
	return *r.DeductionAmount
}
