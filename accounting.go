package booksync

import (
	"time"

	"github.com/google/uuid"
)

// Accounting platforms, as Monite names them (Platform enum).
const (
	PlatformXero             = "xero"
	PlatformQuickBooks       = "quickbooks"
	PlatformQuickBooksOnline = "quickbooks_online"
	PlatformGnuCash          = "gnucash"
)

// Connection statuses, as Monite names them (ConnectionStatus enum).
const (
	ConnectionPendingAuth  = "pending_auth"
	ConnectionConnected    = "connected"
	ConnectionDisconnected = "disconnected"
	ConnectionDeauthorized = "deauthorized"
)

// SyncInterval is how often a connected connection syncs after its initial sync.
const SyncInterval = time.Hour

// Connection links an entity to its books in one accounting system. JSON tags give Monite's
// AccountingConnectionResponse shape; the OAuth state and tokens never leave the store.
type Connection struct {
	ID            string            `json:"id"`
	EntityID      string            `json:"-"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	Platform      string            `json:"platform"`
	Status        string            `json:"status"`
	ConnectionURL string            `json:"connection_url"`
	Errors        []ConnectionError `json:"errors"`
	LastPull      *time.Time        `json:"last_pull,omitempty"`
	BusinessInfo  *BusinessInfo     `json:"business_info,omitempty"`
	// TenantID is the organisation in the accounting system (Xero tenant, QuickBooks realm).
	TenantID string `json:"-"`
	// NextSyncAt is when the hourly sweeper next syncs the connection.
	NextSyncAt time.Time `json:"-"`
}

// IsActive reports whether the connection counts as the entity's one connection.
func (c *Connection) IsActive() bool {
	return c.Status != ConnectionDisconnected
}

// ConnectionError is a problem with a connection as a whole, such as a revoked grant.
type ConnectionError struct {
	Message string `json:"message"`
}

// BusinessInfo describes the organisation a connection writes to.
type BusinessInfo struct {
	Name         *string `json:"name,omitempty"`
	LegalName    *string `json:"legal_name,omitempty"`
	BaseCurrency *string `json:"base_currency,omitempty"`
	Type         *string `json:"type,omitempty"`
}

// Synced record object types and statuses, as Monite names them.
const (
	ObjectProduct       = "product"
	ObjectCustomer      = "customer"
	ObjectReceivable    = "receivable"
	ObjectPaymentRecord = "payment_record"

	SyncStatusPending = "pending"
	SyncStatusDone    = "done"
	SyncStatusError   = "error"
)

// SyncedRecord says what happened to one object in one connection's books: pending, done with the
// ids on both sides, or error with the cause and the fix. JSON tags give Monite's SyncRecordResource.
type SyncedRecord struct {
	ID                string     `json:"id"`
	EntityID          string     `json:"-"`
	ConnectionID      string     `json:"-"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	ObjectType        string     `json:"object_type"`
	ObjectID          string     `json:"object_id"`
	ObjectUpdatedAt   *time.Time `json:"object_updated_at,omitempty"`
	SyncStatus        string     `json:"sync_status"`
	Errors            *SyncError `json:"errors,omitempty"`
	LastPulledAt      time.Time  `json:"last_pulled_at"`
	Platform          string     `json:"platform"`
	PlatformObjectID  *string    `json:"platform_object_id,omitempty"`
	PlatformUpdatedAt *time.Time `json:"platform_updated_at,omitempty"`
	// Attempts counts pushes that may have reached the accounting system since the record last
	// settled; when it is not zero, a push looks the object up before creating it.
	Attempts int `json:"-"`
	// Auto is false for an invoice issued before its entity connected: it is pushed only when the
	// partner pushes its record, as Monite does.
	Auto bool `json:"-"`
	// WaitsForPull is true for a pending record that is pushed only after a sync has pulled the
	// books, one that began after the record was last written: a record in error pushed again,
	// whose cause was most likely fixed in the books (a tax rate or an account added there).
	WaitsForPull bool `json:"-"`
}

// NewPendingRecord returns a new pending record, created at now, of an object that a connection's
// books are to hold. objectUpdated, when not nil, is copied as the object's update time. The record
// is pushed by itself (Auto); until the connection first pulls, its last pull counts as now.
func NewPendingRecord(conn *Connection, objectType, objectID string, objectUpdated *time.Time, now time.Time) *SyncedRecord {
	last := now
	if conn.LastPull != nil {
		last = *conn.LastPull
	}
	var ou *time.Time
	if objectUpdated != nil {
		t := *objectUpdated
		ou = &t
	}
	return &SyncedRecord{ID: NewID(), EntityID: conn.EntityID, ConnectionID: conn.ID,
		CreatedAt: now, UpdatedAt: now, ObjectType: objectType, ObjectID: objectID, ObjectUpdatedAt: ou,
		SyncStatus: SyncStatusPending, LastPulledAt: last, Platform: conn.Platform, Auto: true}
}

// SyncError is the errors object of a synced record in error: a stable code, a one-line message
// that starts with the plain cause, and details saying which line or field and what to do.
type SyncError struct {
	Status  string            `json:"status"`
	Message string            `json:"message"`
	Details []SyncErrorDetail `json:"details"`
}

// SyncErrorDetail is one cause of a synced record's error and its fix.
type SyncErrorDetail struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// AccountingTaxRate is a tax rate pulled from a connection's books. JSON tags give Monite's
// AccountingTaxRateResponse shape.
type AccountingTaxRate struct {
	ID               string         `json:"id"`
	EntityID         string         `json:"-"`
	ConnectionID     string         `json:"-"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	Code             string         `json:"code"`
	Name             string         `json:"name"`
	Status           string         `json:"status"`
	EffectiveTaxRate int64          `json:"effective_tax_rate"`
	TotalTaxRate     int64          `json:"total_tax_rate"`
	Components       []TaxComponent `json:"components"`
	// Revenue reports whether the rate may be used on sales.
	Revenue bool `json:"-"`
	// Kind is the kind of sale the rate is for in the books: VATRateReverseCharge or VATRateExport
	// for their 0% rates of those sales, empty for any other rate.
	Kind VATRateKind `json:"-"`
}

// TaxComponent is one component of an accounting tax rate.
type TaxComponent struct {
	Name       string `json:"name"`
	Rate       int64  `json:"rate"`
	IsCompound bool   `json:"is_compound"`
}

// LedgerAccount is an account pulled from a connection's chart of accounts. JSON tags give
// Monite's LedgerAccountResponse shape.
type LedgerAccount struct {
	ID           string    `json:"id"`
	EntityID     string    `json:"-"`
	ConnectionID string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	PlatformID   string    `json:"-"`
	Name         string    `json:"name"`
	Type         string    `json:"type"`
	Subtype      *string   `json:"subtype,omitempty"`
	Status       string    `json:"status"`
	IsBank       bool      `json:"is_bank_account"`
	NominalCode  *string   `json:"nominal_code,omitempty"`
	Description  *string   `json:"description,omitempty"`
	Currency     *string   `json:"currency,omitempty"`
	// PaymentsAllowed reports whether payments may be recorded against the account.
	PaymentsAllowed bool `json:"-"`
	// SalesRefusal says why invoice lines cannot be booked to the account (a GnuCash
	// placeholder, a bank or receivables account); empty when they can.
	SalesRefusal string `json:"-"`
}

// idNamespace scopes booksync's derived ids.
var idNamespace = uuid.MustParse("5b0b8c35-8e7e-4b64-9a8f-6a1c1f0b7a52")

// StableID derives the id booksync gives an object pulled from an accounting system, from the
// entity, the platform, the organisation and the platform's key. Pulling again, or reconnecting the
// same organisation, gives the same id, so settings and lines that name it stay valid.
func StableID(entityID, platform, tenantID, kind, key string) string {
	return uuid.NewSHA1(idNamespace, []byte(entityID+"\x00"+platform+"\x00"+tenantID+"\x00"+kind+"\x00"+key)).String()
}

// SyncedRecordList is what GET /accounting_synced_records filters and sorts by.
var SyncedRecordList = ListSpec{
	Fields: map[string]FieldKind{"object_type": KindEnum, "object_id": KindUUID, "created_at": KindTime, "updated_at": KindTime},
	Ops: map[string][]FilterOp{"object_type": {OpEq}, "object_id": eqIn,
		"created_at": {OpGt, OpLt, OpGte, OpLte}, "updated_at": {OpGt, OpLt, OpGte, OpLte}},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "created_at",
}

// AccountingTaxRateList is what GET /accounting_tax_rates sorts by.
var AccountingTaxRateList = ListSpec{Fields: map[string]FieldKind{"name": KindString}, Sorts: []string{"name"}, DefaultSort: "name"}

// LedgerAccountList is what GET /ledger_accounts sorts by.
var LedgerAccountList = ListSpec{Fields: map[string]FieldKind{"name": KindString}, Sorts: []string{"name"}, DefaultSort: "name"}

// LedgerAccountTypeIncome is the Type a connector gives an income account: Xero's class REVENUE
// (account types REVENUE, SALES and OTHERINCOME), QuickBooks' classification Revenue (Income and
// Other Income) and GnuCash's INCOME. Fixes suggest only these for sales.
const LedgerAccountTypeIncome = "Income"

// AccountUse is what a ledger account is named for.
type AccountUse int

const (
	// ForSales is an account invoice lines are booked to: accounting.ledger_account_ids.products
	// and a catalog or inline product's ledger_account_id.
	ForSales AccountUse = iota
	// ForPayments is accounting.ledger_account_ids.payments, which payments are pushed to.
	ForPayments
)

// LedgerAccountUnusable says why a pulled ledger account cannot be named for use, "" when it can.
// It is the one rule that the API applies when the id is set and the push applies when it is
// used, so an id the API accepted is one the push takes. Only what the books themselves refuse is
// refused: an active sales account that is not an income account is the user's choice.
func LedgerAccountUnusable(a *LedgerAccount, use AccountUse) string {
	switch {
	case a.Status != "Active":
		return "is archived in the connected books"
	case use == ForPayments && !a.PaymentsAllowed:
		return "does not take payments in the connected books (choose a bank account)"
	case use == ForSales && a.SalesRefusal != "":
		return "cannot take sales: " + a.SalesRefusal
	}
	return ""
}

// TaxRateUnusable says why a pulled tax rate cannot be named on a sale (a line's
// accounting_tax_rate_id, accounting.tax_ids.deductions), "" when it can; like
// LedgerAccountUnusable, the API and the push apply the same rule.
func TaxRateUnusable(t *AccountingTaxRate) string {
	switch {
	case t.Status != "Active":
		return "is archived in the connected books"
	case !t.Revenue:
		return "is for purchases only"
	}
	return ""
}

// HasPulledBooks reports whether the connection is connected and has pulled the books' tax
// rates and ledger accounts, so that ids naming them can be checked when they are set rather
// than when an invoice is pushed.
func (c *Connection) HasPulledBooks() bool {
	return c.Status == ConnectionConnected && c.LastPull != nil
}
