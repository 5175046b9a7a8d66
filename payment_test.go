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

func TestCancelPaymentKeepsTheInvoiceConsistent(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 25, 10, 0, 0, 0, time.UTC)
	inv := booksync.Receivable{ID: "inv-1", Status: booksync.StatusIssued, TotalAmount: 10000, AmountDue: 10000, AmountToPay: 10000}
	paid, err := booksync.ApplyPayment(inv, 3000, at)
	if err != nil {
		t.Fatal(err)
	}
	paid, err = booksync.ApplyPayment(paid, 7000, at)
	if err != nil || paid.Status != booksync.StatusPaid {
		t.Fatalf("paying in full: %+v, %v", paid, err)
	}

	got, err := booksync.CancelPayment(paid, 7000)
	if err != nil || got.Status != booksync.StatusPartiallyPaid || got.AmountPaid != 3000 || got.AmountDue != 7000 ||
		got.AmountToPay != 7000 || got.PaidAt != nil {
		t.Fatalf("canceling the second payment: %+v, %v", got, err)
	}
	got, err = booksync.CancelPayment(got, 3000)
	if err != nil || got.Status != booksync.StatusIssued || got.AmountPaid != 0 || got.AmountDue != 10000 {
		t.Fatalf("canceling the first payment too: %+v, %v", got, err)
	}

	bad := paid
	bad.Status = booksync.StatusUncollectible
	bad.AmountPaid, bad.AmountDue = 3000, 7000
	if got, err := booksync.CancelPayment(bad, 3000); err != nil || got.Status != booksync.StatusUncollectible || got.AmountDue != 10000 {
		t.Fatalf("canceling the payment of an uncollectible invoice: %+v, %v", got, err)
	}

	for _, c := range []struct {
		name   string
		status string
		amount int64
	}{
		{"more than was paid", booksync.StatusPaid, 10001},
		{"nothing", booksync.StatusPaid, 0},
		{"of an issued invoice", booksync.StatusIssued, 100},
		{"of a canceled invoice", booksync.StatusCanceled, 100},
	} {
		r := paid
		r.Status = c.status
		got, err := booksync.CancelPayment(r, c.amount)
		if booksync.ErrorCode(err) != booksync.ECONFLICT {
			t.Errorf("canceling a payment %s = %v, want ECONFLICT", c.name, err)
		}
		if got.AmountPaid != r.AmountPaid || got.AmountDue != r.AmountDue || got.Status != r.Status {
			t.Errorf("a refused cancel (%s) changed the invoice: %+v", c.name, got)
		}
	}
}

func TestPaymentsThatMarkAnInvoice(t *testing.T) {
	t.Parallel()
	inv := booksync.Receivable{ID: "inv-1", Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusPartiallyPaid,
		TotalAmount: 10000, AmountPaid: 3000, AmountDue: 7000, AmountToPay: 7000}
	if amount, err := booksync.PaymentToMarkPaid(inv); err != nil || amount != 7000 {
		t.Fatalf("marking paid takes %d (%v), want 7000", amount, err)
	}
	if amount, err := booksync.PaymentToMarkPartiallyPaid(inv, 9999); err != nil || amount != 6999 {
		t.Fatalf("marking 9999 paid in total takes %d (%v), want 6999", amount, err)
	}
	for _, c := range []struct {
		name  string
		total int64
		msg   string
	}{
		{"what is paid already", 3000, "3000 (minor units) has already been paid"},
		{"less than is paid already", 1000, "has already been paid"},
		{"the whole invoice", 10000, "mark_as_paid"},
		{"more than the invoice", 20000, "mark_as_paid"},
	} {
		if _, err := booksync.PaymentToMarkPartiallyPaid(inv, c.total); booksync.ErrorCode(err) != booksync.EVALIDATION || !strings.Contains(booksync.ErrorMessage(err), c.msg) {
			t.Errorf("marking %s paid = %v, want EVALIDATION saying %q", c.name, err, c.msg)
		}
	}
	for _, status := range []string{booksync.StatusDraft, booksync.StatusPaid, booksync.StatusCanceled} {
		r := inv
		r.Status = status
		if _, err := booksync.PaymentToMarkPaid(r); booksync.ErrorCode(err) != booksync.ECONFLICT {
			t.Errorf("marking a %s invoice paid = %v, want ECONFLICT", status, err)
		}
		if _, err := booksync.PaymentToMarkPartiallyPaid(r, 5000); booksync.ErrorCode(err) != booksync.ECONFLICT {
			t.Errorf("marking a %s invoice partially paid = %v, want ECONFLICT", status, err)
		}
	}
	cn := inv
	cn.Type = booksync.ReceivableTypeCreditNote
	if _, err := booksync.PaymentToMarkPaid(cn); booksync.ErrorCode(err) != booksync.ECONFLICT {
		t.Errorf("marking a credit note paid = %v, want ECONFLICT", err)
	}
	if _, err := booksync.ApplyPayment(cn, 100, time.Now()); booksync.ErrorCode(err) != booksync.ECONFLICT {
		t.Errorf("paying a credit note = %v, want ECONFLICT", err)
	}

	comment := "customer went bankrupt"
	at := time.Date(2024, 5, 25, 10, 0, 0, 0, time.UTC)
	bad, err := booksync.MarkUncollectible(inv, &comment, at)
	if err != nil || bad.Status != booksync.StatusUncollectible || bad.Comment == nil || *bad.Comment != comment ||
		bad.AmountDue != 7000 || bad.AmountPaid != 3000 || !bad.UpdatedAt.Equal(at) {
		t.Fatalf("marking uncollectible: %+v, %v", bad, err)
	}
	if _, err := booksync.MarkUncollectible(bad, nil, at); booksync.ErrorCode(err) != booksync.ECONFLICT {
		t.Fatalf("marking uncollectible twice = %v, want ECONFLICT", err)
	}
	// A debt written off may still be paid.
	if got, err := booksync.ApplyPayment(bad, 7000, at); err != nil || got.Status != booksync.StatusPaid {
		t.Fatalf("paying an uncollectible invoice: %+v, %v", got, err)
	}
}
