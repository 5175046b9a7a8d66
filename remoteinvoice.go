package booksync

import (
	"time"

	"github.com/shopspring/decimal"
)

// RemoteInvoice is a sales invoice as read back from an entity's accounting system (GET
// /accounting/receivables). Amounts are minor units of Currency unless a field says otherwise.
type RemoteInvoice struct {
	ID          string // the accounting system's id of the invoice
	Number      string
	ContactID   string // the accounting system's id of the customer
	ContactName string
	Currency    string
	Date        string // YYYY-MM-DD
	DueDate     string // YYYY-MM-DD; may be empty
	Status      string // the accounting system's own word for it
	Reference   string
	Inclusive   bool // line amounts include tax
	Lines       []RemoteLine
	Totals      InvoiceTotals
	AmountDue   int64
	AmountPaid  int64
	UpdatedAt   time.Time
}

// InvoiceTotals are an invoice's totals in minor units of its currency.
type InvoiceTotals struct {
	Subtotal int64 // excluding tax
	Tax      int64
	Total    int64
}

// RemoteLine is a line of a RemoteInvoice.
type RemoteLine struct {
	Description string
	Quantity    decimal.Decimal
	UnitAmount  decimal.Decimal // major units, as the accounting system stores it
	AccountCode string
	AccountID   string // the accounting system's id of the account, when its connector reads it
	TaxCode     string
	LineAmount  int64
	TaxAmount   int64
	Discount    decimal.Decimal // discount rate in percent, when the accounting system has one
	// TaxRateID and LedgerAccountID are booksync's ids of the line's tax rate and account (the
	// ids GET /accounting_tax_rates and GET /ledger_accounts give), filled in by the sync engine.
	TaxRateID       string
	LedgerAccountID string
}

// Bill states, as Monite's AccountingPayable names them.
const (
	BillOpen          = "open"
	BillDraft         = "draft"
	BillPartiallyPaid = "partially_paid"
	BillPaid          = "paid"
	BillVoid          = "void"
	BillUnknown       = "unknown"
)

// RemoteBill is a purchase bill (accounts payable) as read from an entity's accounting system (GET
// /accounting/payables): an invoice from a vendor, whose contact is the vendor.
type RemoteBill struct {
	RemoteInvoice
	// State is the bill's status in Monite's words (BillOpen, ...); Status keeps the accounting
	// system's own.
	State string
	Memo  string
}
