package booksync_test

import (
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
)

func TestApplyPaymentTakesNoMoreThanIsDue(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 25, 10, 0, 0, 0, time.UTC)
	// 120.00 with a deduction of 20.00, 30.00 of it paid: 70.00 due.
	deduction := int64(2000)
	inv := booksync.Receivable{Status: booksync.StatusPartiallyPaid, TotalAmount: 12000, DeductionAmount: &deduction,
		AmountPaid: 3000, AmountDue: 7000, AmountToPay: 7000}

	for _, c := range []struct {
		name   string
		status string
		amount int64
		code   string
		msg    string
	}{
		{"refund", booksync.StatusPartiallyPaid, -100, booksync.EVALIDATION, "greater than 0"},
		{"nothing", booksync.StatusPartiallyPaid, 0, booksync.EVALIDATION, "greater than 0"},
		{"a cent over what is due", booksync.StatusPartiallyPaid, 7001, booksync.EVALIDATION, "amount due on this invoice, 7000"},
		{"beyond the API's integers", booksync.StatusPartiallyPaid, 1 << 62, booksync.EVALIDATION, "at most 9007199254740991"},
		{"a draft", booksync.StatusDraft, 100, booksync.ECONFLICT, "draft"},
		{"a canceled invoice", booksync.StatusCanceled, 100, booksync.ECONFLICT, "canceled"},
		{"a paid invoice", booksync.StatusPaid, 100, booksync.ECONFLICT, "already paid"},
	} {
		r := inv
		r.Status = c.status
		got, err := booksync.ApplyPayment(r, c.amount, at)
		if booksync.ErrorCode(err) != c.code || !strings.Contains(booksync.ErrorMessage(err), c.msg) {
			t.Errorf("%s: error %v, want %s saying %q", c.name, err, c.code, c.msg)
		}
		if got.AmountPaid != r.AmountPaid || got.AmountDue != r.AmountDue || got.Status != r.Status {
			t.Errorf("%s: a refused payment changed the invoice: %+v", c.name, got)
		}
	}

	got, err := booksync.ApplyPayment(inv, 2500, at)
	if err != nil || got.Status != booksync.StatusPartiallyPaid || got.AmountPaid != 5500 || got.AmountDue != 4500 || got.AmountToPay != 4500 || got.PaidAt != nil {
		t.Fatalf("a part of what is due: %+v, %v", got, err)
	}
	got, err = booksync.ApplyPayment(got, 4500, at)
	if err != nil || got.Status != booksync.StatusPaid || got.AmountPaid != 10000 || got.AmountDue != 0 || got.PaidAt == nil || !got.PaidAt.Equal(at) {
		t.Fatalf("the rest of what is due: %+v, %v", got, err)
	}
}
