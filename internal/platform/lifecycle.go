package platform

import (
	"context"
	"time"

	"github.com/booksync/booksync"
)

// What happens to an invoice after it is pushed, in both directions (docs/architecture.md, "The
// invoice's whole life"): booksync voids invoices, pushes credit notes and deletes payments; the
// books report, on every sync, what changed there since the last one.

// Void is a pushed invoice to void in the books, because booksync canceled it.
type Void struct {
	Ref       string // booksync's receivable id
	InvoiceID string // the accounting system's id of the invoice
	Number    string // the invoice number, for messages
}

// CreditNote is a sales credit note to create, found again by its Number (booksync's document
// number), and applied (allocated) to the invoice it credits. Its Invoice carries the header,
// lines and expected totals as for an invoice; Ref is booksync's id of the credit note, and amounts
// are positive.
type CreditNote struct {
	Invoice
	// InvoiceID is the accounting system's id of the invoice it credits, InvoiceNumber its number.
	InvoiceID     string
	InvoiceNumber string
	// Amount is what is applied to the invoice: the credit note's total, in minor units.
	Amount int64
}

// PaymentRef names a pushed payment to remove from the books, because booksync canceled it.
type PaymentRef struct {
	Ref       string // booksync's payment record id
	PaymentID string // the accounting system's id of the payment
	InvoiceID string // the accounting system's id of the invoice it paid
}

// Invoice states the engine understands, whatever the accounting system calls them.
const (
	InvoiceOpen    = "open"    // issued, with an amount due (partly paid or credited included)
	InvoicePaid    = "paid"    // nothing left due
	InvoiceVoided  = "voided"  // voided, or deleted: it no longer asks for money
	InvoiceDraft   = "draft"   // not issued in the books
	InvoiceUnknown = "unknown" // a status the connector does not map
)

// ChangeQuery asks for what changed in the books since the last pull.
type ChangeQuery struct {
	// Cursor is what the last Changes returned (its Cursor); empty on the first pull, which then
	// reports changes from Since on.
	Cursor string
	// Since is when booksync first connected the books: nothing older concerns it.
	Since time.Time
	// KnownPayments lists the accounting system's ids of the payments booksync holds for this
	// connection (pushed by it or pulled before). A connector whose books have no change feed
	// (GnuCash) calls it to find the payments deleted since; others need not.
	KnownPayments func(ctx context.Context) ([]string, error)
}

// Changes is what changed in the books since a ChangeQuery's cursor: sales invoices and credit
// notes whose state or amounts changed, and payments made or deleted. A connector reports each
// change at least once; the engine applies them idempotently (payments are keyed by their id).
type Changes struct {
	Invoices []InvoiceChange
	Payments []PaymentChange
	// Cursor is passed back in the next ChangeQuery. It is stored only after the changes are
	// applied, so a crash in between makes the next pull report them again.
	Cursor string
	// More reports that the connector stopped early (a page limit): call again with Cursor.
	More bool
	// Calls is how many requests the pull cost, for the figures of a sync's cost.
	Calls int
}

// InvoiceChange is the state of a sales invoice that changed in the books. Amounts are minor units
// of Currency.
type InvoiceChange struct {
	ID             string // the accounting system's id
	Number         string
	State          string // one of the Invoice* states
	Status         string // the accounting system's own word for it, for messages
	Currency       string
	Total          int64
	AmountPaid     int64
	AmountCredited int64
	AmountDue      int64
	UpdatedAt      time.Time
}

// PaymentChange is a payment of a sales invoice made, or deleted, in the books.
type PaymentChange struct {
	ID        string // the accounting system's id of the payment: the key of its payment record
	InvoiceID string // the accounting system's id of the invoice it pays
	Amount    int64  // minor units of Currency, positive
	Currency  string
	Date      string // YYYY-MM-DD
	Reference string
	Deleted   bool // deleted or voided in the books
	UpdatedAt time.Time
}

// CodeInvoiceHasPayments is the code of a void the books refuse because they hold payments or
// credits against the invoice.
const CodeInvoiceHasPayments = "invoice_has_payments"

// Lifecycle is the part of Connector that follows an invoice after it is pushed.
type Lifecycle interface {
	// VoidInvoices voids each invoice in the books; one already voided (or deleted) succeeds.
	// An invoice with payments or credit notes applied is not voided: its Result.Err is a
	// NeedsUserAction *Error with Code "invoice_has_payments" whose message names them.
	VoidInvoices(ctx context.Context, voids []Void) ([]Result, error)
	// PushCreditNotes looks up by number each credit note that MaybeExists, creates the missing
	// ones, and applies each to its invoice unless it is applied already; Result.Totals are the
	// credit note's totals as the accounting system computed them.
	PushCreditNotes(ctx context.Context, notes []CreditNote) ([]Result, error)
	// DeletePayments removes payments from the books (deletes or voids them, as the accounting
	// system allows); one already gone succeeds.
	DeletePayments(ctx context.Context, payments []PaymentRef) ([]Result, error)
	// Changes reports what changed in the books since q.Cursor, costing calls in proportion to
	// the changes, not to the size of the books.
	Changes(ctx context.Context, q ChangeQuery) (Changes, error)
	// Bills reads purchase bills (accounts payable), newest first, a page at a time.
	Bills(ctx context.Context, q InvoiceQuery) ([]booksync.RemoteBill, error)
	// Bill reads one purchase bill by the accounting system's id.
	Bill(ctx context.Context, id string) (booksync.RemoteBill, error)
}
