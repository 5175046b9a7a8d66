package booksync

import (
	"fmt"
	"strings"
	"time"
)

// What booksync does with a change made in the entity's books (docs/architecture.md, "The
// invoice's whole life"). Each rule either brings booksync's object in line with the books or,
// when the two sides hold facts no rule reconciles, returns a SyncError for the object's record
// that states both facts and the fix, and changes neither side.

// PaymentMadeInBooks returns the invoice after a payment of amount, made in the books on date
// (YYYY-MM-DD), is applied to it. An invoice that is canceled here, or that the payment would
// overpay, is a disagreement: the payment is not recorded and the SyncError says why.
func PaymentMadeInBooks(r Receivable, system, paymentID string, amount int64, currency, date string, at time.Time) (Receivable, *SyncError) {
	number := r.ID
	if r.DocumentID != nil {
		number = *r.DocumentID
	}
	fact := fmt.Sprintf("%s has a payment of %d (minor units, %s) dated %s against invoice %s (payment %s)", system, amount, currency, date, number, paymentID)
	var err error
	updated := r
	if currency == r.Currency {
		updated, err = ApplyPayment(r, amount, at)
	}
	if currency == r.Currency && err == nil {
		return updated, nil
	}
	var here, fix string
	switch {
	case currency != r.Currency:
		here = "booksync has the invoice in " + r.Currency
		fix = "booksync takes payments in the invoice's currency only: record the payment in " + system + " in " + r.Currency + " instead. " +
			"booksync tries the payment again at every sync, and records it once " + system + " no longer has it in " + currency + "."
	case r.Status == StatusCanceled:
		here = "booksync has the invoice canceled"
		fix = "Delete the payment in " + system + ". If the invoice was in fact paid, issue a new invoice here and record the payment against it here (booksync pushes both)."
	case r.Status == StatusPaid:
		here = "booksync has it paid in full already"
		fix = "If it pays the invoice twice, delete it in " + system + ". If booksync's own payment record is the wrong one, cancel it (GET /payment_records?object_id=" + r.ID + " lists them; POST /payment_records/{its id}/cancel): " +
			"booksync tries the payment from " + system + " again at every sync and records it once the invoice has room for it."
	default:
		here = fmt.Sprintf("booksync has %d due on it, less than the payment", r.AmountDue)
		fix = "Correct the payment in " + system + ", or cancel the payment record here that it duplicates (GET /payment_records?object_id=" + r.ID + " lists them; POST /payment_records/{its id}/cancel): " +
			"booksync tries the payment from " + system + " again at every sync and records it once the invoice has room for it."
	}
	return r, &SyncError{Status: CodeBooksDisagree, Message: "Books disagree: " + fact + ", but " + here,
		Details: []SyncErrorDetail{{Field: "amount_paid", Message: fact + "; " + here, Fix: fix}}}
}

// InvoiceVoidedInBooks returns the invoice after the books report it voided (or deleted): an
// issued or uncollectible invoice with nothing paid and no credit notes is canceled here too, and
// changed reports that. An invoice booksync holds payments or credit notes of is a disagreement,
// and one already canceled needs nothing.
func InvoiceVoidedInBooks(r Receivable, system, status string, at time.Time) (updated Receivable, changed bool, se *SyncError) {
	credited := len(r.RelatedDocuments.CreditNoteIDs) > 0
	switch {
	case r.Status == StatusCanceled:
		return r, false, nil
	case (r.Status == StatusIssued || r.Status == StatusUncollectible) && r.AmountPaid == 0 && !credited:
		r.Status = StatusCanceled
		r.UpdatedAt = at
		return r, true, nil
	}
	number := r.ID
	if r.DocumentID != nil {
		number = *r.DocumentID
	}
	fact := fmt.Sprintf("%s has invoice %s %s", system, number, status)
	var here, fix string
	if r.AmountPaid > 0 {
		here = fmt.Sprintf("booksync has it %s with %d (minor units, %s) paid", r.Status, r.AmountPaid, r.Currency)
		fix = "If the invoice stands, reverse the void in " + system + " (issue it again there) and push this record again with POST /accounting_synced_records/{id}/push; " +
			"if it is void, cancel its payment records here (GET /payment_records?object_id=" + r.ID + " lists them; POST /payment_records/{its id}/cancel), which removes them from the books, and then the invoice (POST /receivables/" + r.ID + "/cancel)."
	} else {
		here = fmt.Sprintf("booksync has it %s with credit notes (%s)", r.Status, strings.Join(r.RelatedDocuments.CreditNoteIDs, ", "))
		fix = "Credit notes stand: reverse the void in " + system + " (issue it again there), then credit what is left of it here with another credit note."
	}
	return r, false, &SyncError{Status: CodeBooksDisagree, Message: "Books disagree: " + fact + ", but " + here,
		Details: []SyncErrorDetail{{Field: "status", Message: fact + "; " + here, Fix: fix}}}
}

// CreditedInBooks returns the invoice after the books report credited (minor units of its
// currency) applied to it by credit notes. What booksync's own credit notes do not explain was
// credited in the books: the invoice's amount due here falls by it too, and an invoice credited to
// nothing is paid, as ApplyCreditNote has it; changed reports that. booksync's credit notes that
// are not in the books yet make the books' figure the smaller one, which needs nothing. A credit
// there of an invoice canceled here, or of more than is due here, is a disagreement.
func CreditedInBooks(r Receivable, system string, credited int64, at time.Time) (updated Receivable, changed bool, se *SyncError) {
	here := r.TotalAmount - r.TotalAmountWithCreditNotes
	if credited <= here || r.IsCreditNote() {
		return r, false, nil
	}
	extra := credited - here
	if r.Status == StatusCanceled || extra > r.AmountDue {
		number := r.ID
		if r.DocumentID != nil {
			number = *r.DocumentID
		}
		fact := fmt.Sprintf("%s has %d (minor units, %s) credited on invoice %s, %d more than booksync's credit notes", system, credited, r.Currency, number, extra)
		var here, fix string
		if r.Status == StatusCanceled {
			here = "booksync has the invoice canceled"
			fix = "Remove the credit note's allocation in " + system + "; the invoice is canceled."
		} else {
			here = fmt.Sprintf("booksync has only %d due on it", r.AmountDue)
			fix = "Correct the credit in " + system + ", or cancel the payment records here that it stands for (GET /payment_records?object_id=" + r.ID + " lists them; POST /payment_records/{its id}/cancel), then sync again."
		}
		return r, false, &SyncError{Status: CodeBooksDisagree, Message: "Books disagree: " + fact + ", but " + here,
			Details: []SyncErrorDetail{{Field: "total_amount_with_credit_notes", Message: fact + "; " + here, Fix: fix}}}
	}
	r.TotalAmountWithCreditNotes -= extra
	r.AmountDue -= extra
	r.AmountToPay = r.AmountDue
	r.UpdatedAt = at
	if r.AmountDue == 0 {
		r.Status = StatusPaid
		t := at
		r.PaidAt = &t
	}
	return r, true, nil
}
