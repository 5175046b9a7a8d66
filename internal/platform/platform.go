// Package platform is what booksync's sync engine knows of an accounting system: its Provider
// (how to authorize, its limits and rules) and the Connector interface, which every system's
// package implements and builds a provider for (internal/platform/xero, quickbooks, gnucash), the
// objects that cross it, the error classes that decide what the engine does after a failure, and
// per-connection rate budgets.
//
// Connectors are batch-first and idempotent: each push takes many objects and returns one result
// per object; every create carries an idempotency key derived from booksync's object; and a
// connector looks objects up by their natural key (contact number, item code, invoice number)
// before creating them, so that a retry after an unknown outcome never creates a duplicate.
package platform

import (
	"context"
	"time"

	"github.com/booksync/booksync"
	"github.com/shopspring/decimal"
)

// Org describes the books a connection writes to.
type Org struct {
	ID           string // the platform's id for the organisation (Xero tenant id, QuickBooks realm id)
	Name         string
	BaseCurrency string // ISO 4217
	CountryCode  string // ISO 3166-1 alpha-2
}

// TaxRate is a tax rate of the accounting system. Rates are percent minor units (20% is 2000).
type TaxRate struct {
	Code       string // the platform's key for the rate: Xero's TaxType, QuickBooks' TaxCode id
	Name       string
	Status     string // "Active" or "Archived"
	Rate       int64  // effective rate, percent minor units; 0 when Automated
	Components []TaxComponent
	// Revenue reports whether the rate may be used on sales (Xero's CanApplyToRevenue).
	Revenue bool
	// Kind is the kind of sale a 0% rate is for: booksync.VATRateReverseCharge (a sale to a
	// business in another EU member state, which accounts for the VAT itself) or
	// booksync.VATRateExport; empty for any other rate. Invoice lines of those kinds are pushed
	// with a rate of their kind.
	Kind booksync.VATRateKind
	// Automated reports a rate the accounting system works out itself for each invoice, so that
	// it has no single value (QuickBooks' "TAX" code under US automated sales tax): it stands for
	// every non-zero rate of booksync's.
	Automated bool
}

// TaxComponent is one component of a tax rate.
type TaxComponent struct {
	Name       string
	Rate       int64 // percent minor units
	IsCompound bool
}

// LedgerAccount is an account of the chart of accounts.
type LedgerAccount struct {
	ID          string // the platform's id
	Code        string // the nominal code users see (Xero's Code, may be empty)
	Name        string
	Type        string // Asset, Equity, Expense, Income, Liability or Unknown (Monite's words)
	Subtype     string // the platform's own type, e.g. Xero's REVENUE, BANK
	Status      string // Active or Archived
	IsBank      bool
	Currency    string
	Description string
	// PaymentsAllowed reports whether payments can be recorded against the account.
	PaymentsAllowed bool
	// SalesRefusal says why invoice lines cannot be booked to the account, in words for the
	// user ("it is a placeholder, which takes no postings"); empty when they can.
	SalesRefusal string
}

// Contact is a customer to create or match. Ref is booksync's counterpart id and doubles as the
// contact's number in the accounting system (Xero's ContactNumber), its natural key.
type Contact struct {
	Ref       string
	Name      string
	FirstName string
	LastName  string
	Email     string
	TaxNumber string
	Address   *Address
	// Currency is the foreign currency the contact's invoices are in, "" for the books' base
	// currency: systems whose customers invoice in one currency only (QuickBooks with
	// multicurrency) create the customer in it.
	Currency string
	// PushID tells one push of booksync's from the next, as Invoice.PushID does.
	PushID string
}

// IdempotencyRef is what a contact's create contributes to its idempotency key: its Ref and, when
// set, its PushID.
func (c Contact) IdempotencyRef() string {
	if c.PushID == "" {
		return c.Ref
	}
	return c.Ref + "@" + c.PushID
}

// Address is a postal address.
type Address struct {
	Line1, Line2, City, Region, PostalCode, Country string
}

// Item is a product to create or match, by Code (its natural key) and then by name.
type Item struct {
	Ref         string // booksync's product id
	Code        string // the item code (Xero Code, at most 30 characters)
	Name        string
	Description string
	UnitPrice   int64 // minor units of Currency
	Currency    string
	AccountCode string // sales account
	TaxCode     string // sales tax rate
}

// Invoice is a sales invoice to create, found again by Number.
type Invoice struct {
	Ref        string // booksync's receivable id; the idempotency key derives from it
	Number     string // the invoice number (booksync's document_id)
	ContactID  string // the platform's id of the customer
	Date       string // YYYY-MM-DD
	DueDate    string // YYYY-MM-DD; may be empty
	Currency   string
	Inclusive  bool // line amounts include tax
	Reference  string
	Lines      []InvoiceLine
	Expected   Totals // what booksync computed; the connector does not change it
	MarkIssued bool   // create as approved/authorised, not draft
	// MaybeExists says an earlier push may have created the invoice (its outcome was unknown, or
	// it was pushed before): the connector looks it up by number before creating it. A first push
	// skips the look-up, which halves the calls it costs.
	MaybeExists bool
	// PushID differs between the pushes booksync makes of the invoice (one the user asked for after
	// fixing the books, say), not between the retries of one request. It is part of the write's
	// idempotency key (IdempotencyRef), so that a push after a fix made in the books is not answered
	// with the refusal the books stored for the earlier one; a retry still replays.
	PushID string
}

// IdempotencyRef is what an invoice's or credit note's create contributes to its idempotency key:
// its Ref and, when set, its PushID.
func (inv Invoice) IdempotencyRef() string {
	if inv.PushID == "" {
		return inv.Ref
	}
	return inv.Ref + "@" + inv.PushID
}

// InvoiceLine is one line of an invoice. Amounts are minor units of the invoice currency.
type InvoiceLine struct {
	Description    string
	ItemCode       string // may be empty
	Quantity       decimal.Decimal
	UnitAmount     int64 // per unit, minor units; negative for a deduction line
	DiscountAmount int64 // total discount on the line, minor units (line and invoice discount shares)
	AccountCode    string
	AccountID      string // the platform's id of the account; wins over AccountCode where the connector can use it
	TaxCode        string
	LineAmount     int64 // expected: round(Quantity x UnitAmount) - DiscountAmount
	TaxAmount      int64 // expected tax of the line
}

// Totals are an invoice's totals in minor units.
type Totals struct {
	Subtotal int64 // excluding tax
	Tax      int64
	Total    int64
}

// Payment is a payment of an invoice into a bank account.
type Payment struct {
	Ref         string // booksync's payment record id
	InvoiceID   string // the platform's invoice id
	AccountCode string // the account the money went to
	AccountID   string // or its id
	Date        string // YYYY-MM-DD
	Amount      int64  // minor units
	Currency    string
	Reference   string
}

// Result is the outcome of pushing one object.
type Result struct {
	Ref        string // the object's booksync id
	PlatformID string // the id the accounting system gave it, when it exists there
	Matched    bool   // an existing object was found and used instead of creating one
	UpdatedAt  time.Time
	Totals     *Totals // for invoices: the totals the accounting system reports
	Err        error   // a *Error for this object alone; nil when it succeeded
}

// InvoiceQuery asks for a page of invoices.
type InvoiceQuery struct {
	ModifiedSince time.Time // zero: all
	Numbers       []string  // only these invoice numbers
	Page          int       // 1-based
}

// Connector talks to one connection's books. Methods that push take whole batches and return one
// Result per object, in order; their error return is for failures of the whole call (transient,
// rate-limited, auth, unknown outcome), always a *Error.
type Connector interface {
	Org(ctx context.Context) (Org, error)
	TaxRates(ctx context.Context) ([]TaxRate, error)
	LedgerAccounts(ctx context.Context) ([]LedgerAccount, error)
	// PushContacts matches each contact by number (Ref), then by name, and creates the missing ones.
	PushContacts(ctx context.Context, contacts []Contact) ([]Result, error)
	// PushItems matches each item by code, then by name, and creates the missing ones.
	PushItems(ctx context.Context, items []Item) ([]Result, error)
	// PushInvoices looks up by number each invoice that MaybeExists, creates the missing ones,
	// and reports the totals the accounting system computed for each.
	PushInvoices(ctx context.Context, invoices []Invoice) ([]Result, error)
	// PushPayments records payments against invoices.
	PushPayments(ctx context.Context, payments []Payment) ([]Result, error)
	// Invoices reads sales invoices back.
	Invoices(ctx context.Context, q InvoiceQuery) ([]booksync.RemoteInvoice, error)
	// Invoice reads one sales invoice by the platform's id.
	Invoice(ctx context.Context, id string) (booksync.RemoteInvoice, error)
	Lifecycle
}
