package xero

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// MSDate is a time Xero writes in the Microsoft JSON form "/Date(ms+0000)/".
// It reads that form and also "YYYY-MM-DD" and RFC 3339, which clients send.
type MSDate struct{ time.Time }

// MarshalJSON writes "/Date(1699999999000+0000)/".
func (d MSDate) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("/Date(%d+0000)/", d.UnixMilli()))
}

// UnmarshalJSON reads any form parseDate accepts.
func (d *MSDate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := parseDate(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

var msDateRE = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// parseDate reads the date forms Xero accepts in requests.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if m := msDateRE.FindStringSubmatch(s); m != nil {
		ms, _ := strconv.ParseInt(m[1], 10, 64)
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a valid date", s)
}

// dateString is Xero's companion "DateString" form, local date-time without zone.
func dateString(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// ValidationError is one message in ValidationErrors or Warnings.
type ValidationError struct {
	Message string `json:"Message"`
}

// TaxComponent is one component of a tax rate; UK VAT rates have exactly one.
type TaxComponent struct {
	Name             string         `json:"Name"`
	Rate             sandbox.Amount `json:"Rate"`
	IsCompound       bool           `json:"IsCompound"`
	IsNonRecoverable bool           `json:"IsNonRecoverable"`
}

// TaxRate is an organisation's tax rate as GET /TaxRates returns it.
type TaxRate struct {
	Name                  string            `json:"Name"`
	TaxType               string            `json:"TaxType"`
	ReportTaxType         string            `json:"ReportTaxType,omitempty"`
	CanApplyToAssets      bool              `json:"CanApplyToAssets"`
	CanApplyToEquity      bool              `json:"CanApplyToEquity"`
	CanApplyToExpenses    bool              `json:"CanApplyToExpenses"`
	CanApplyToLiabilities bool              `json:"CanApplyToLiabilities"`
	CanApplyToRevenue     bool              `json:"CanApplyToRevenue"`
	DisplayTaxRate        sandbox.Amount    `json:"DisplayTaxRate"`
	EffectiveRate         sandbox.Amount    `json:"EffectiveRate"`
	Status                string            `json:"Status"`
	TaxComponents         []TaxComponent    `json:"TaxComponents"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
}

// Account is one account of the chart of accounts.
type Account struct {
	AccountID               string  `json:"AccountID"`
	Code                    string  `json:"Code"`
	Name                    string  `json:"Name"`
	Status                  string  `json:"Status"`
	Type                    string  `json:"Type"`
	TaxType                 string  `json:"TaxType"`
	Class                   string  `json:"Class"`
	SystemAccount           string  `json:"SystemAccount,omitempty"`
	EnablePaymentsToAccount bool    `json:"EnablePaymentsToAccount"`
	ShowInExpenseClaims     bool    `json:"ShowInExpenseClaims"`
	BankAccountNumber       string  `json:"BankAccountNumber,omitempty"`
	BankAccountType         string  `json:"BankAccountType"`
	CurrencyCode            string  `json:"CurrencyCode,omitempty"`
	ReportingCode           string  `json:"ReportingCode,omitempty"`
	HasAttachments          bool    `json:"HasAttachments"`
	UpdatedDateUTC          *MSDate `json:"UpdatedDateUTC,omitempty"`
}

// Address is a contact's postal or street address.
type Address struct {
	AddressType  string `json:"AddressType,omitempty"`
	AddressLine1 string `json:"AddressLine1,omitempty"`
	AddressLine2 string `json:"AddressLine2,omitempty"`
	AddressLine3 string `json:"AddressLine3,omitempty"`
	AddressLine4 string `json:"AddressLine4,omitempty"`
	City         string `json:"City,omitempty"`
	Region       string `json:"Region,omitempty"`
	PostalCode   string `json:"PostalCode,omitempty"`
	Country      string `json:"Country,omitempty"`
	AttentionTo  string `json:"AttentionTo,omitempty"`
}

// Phone is one of a contact's phone numbers.
type Phone struct {
	PhoneType        string `json:"PhoneType,omitempty"`
	PhoneNumber      string `json:"PhoneNumber,omitempty"`
	PhoneAreaCode    string `json:"PhoneAreaCode,omitempty"`
	PhoneCountryCode string `json:"PhoneCountryCode,omitempty"`
}

// Contact is a customer or supplier of the organisation.
type Contact struct {
	ContactID                 string            `json:"ContactID"`
	ContactNumber             string            `json:"ContactNumber,omitempty"`
	AccountNumber             string            `json:"AccountNumber,omitempty"`
	ContactStatus             string            `json:"ContactStatus"`
	Name                      string            `json:"Name"`
	FirstName                 string            `json:"FirstName,omitempty"`
	LastName                  string            `json:"LastName,omitempty"`
	CompanyNumber             string            `json:"CompanyNumber,omitempty"`
	EmailAddress              string            `json:"EmailAddress,omitempty"`
	TaxNumber                 string            `json:"TaxNumber,omitempty"`
	AccountsReceivableTaxType string            `json:"AccountsReceivableTaxType,omitempty"`
	AccountsPayableTaxType    string            `json:"AccountsPayableTaxType,omitempty"`
	DefaultCurrency           string            `json:"DefaultCurrency,omitempty"`
	Addresses                 []Address         `json:"Addresses"`
	Phones                    []Phone           `json:"Phones"`
	IsSupplier                bool              `json:"IsSupplier"`
	IsCustomer                bool              `json:"IsCustomer"`
	UpdatedDateUTC            MSDate            `json:"UpdatedDateUTC"`
	HasAttachments            bool              `json:"HasAttachments"`
	HasValidationErrors       bool              `json:"HasValidationErrors"`
	StatusAttributeString     string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors          []ValidationError `json:"ValidationErrors,omitempty"`
}

// ItemDetails is an item's sales or purchase defaults.
type ItemDetails struct {
	UnitPrice   *sandbox.Amount `json:"UnitPrice,omitempty"`
	AccountCode string          `json:"AccountCode,omitempty"`
	TaxType     string          `json:"TaxType,omitempty"`
}

// Item is a product or service the organisation sells.
type Item struct {
	ItemID                string            `json:"ItemID"`
	Code                  string            `json:"Code"`
	Name                  string            `json:"Name,omitempty"`
	Description           string            `json:"Description,omitempty"`
	PurchaseDescription   string            `json:"PurchaseDescription,omitempty"`
	IsSold                bool              `json:"IsSold"`
	IsPurchased           bool              `json:"IsPurchased"`
	IsTrackedAsInventory  bool              `json:"IsTrackedAsInventory"`
	SalesDetails          *ItemDetails      `json:"SalesDetails,omitempty"`
	PurchaseDetails       *ItemDetails      `json:"PurchaseDetails,omitempty"`
	UpdatedDateUTC        MSDate            `json:"UpdatedDateUTC"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
}

// LineItem is one line of an invoice, with the amounts the sandbox computed.
type LineItem struct {
	LineItemID     string          `json:"LineItemID"`
	Description    string          `json:"Description,omitempty"`
	Quantity       sandbox.Amount  `json:"Quantity"`
	UnitAmount     sandbox.Amount  `json:"UnitAmount"`
	ItemCode       string          `json:"ItemCode,omitempty"`
	AccountCode    string          `json:"AccountCode,omitempty"`
	AccountID      string          `json:"AccountID,omitempty"`
	TaxType        string          `json:"TaxType,omitempty"`
	TaxAmount      sandbox.Amount  `json:"TaxAmount"`
	LineAmount     sandbox.Amount  `json:"LineAmount"`
	DiscountRate   *sandbox.Amount `json:"DiscountRate,omitempty"`
	DiscountAmount *sandbox.Amount `json:"DiscountAmount,omitempty"`
}

// ContactRef is the summary of a contact that invoices and payments embed.
type ContactRef struct {
	ContactID     string `json:"ContactID"`
	ContactNumber string `json:"ContactNumber,omitempty"`
	Name          string `json:"Name"`
}

// PaymentRef is the summary of a payment an invoice lists.
type PaymentRef struct {
	PaymentID    string         `json:"PaymentID"`
	Date         MSDate         `json:"Date"`
	Amount       sandbox.Amount `json:"Amount"`
	Reference    string         `json:"Reference,omitempty"`
	CurrencyRate sandbox.Amount `json:"CurrencyRate"`
	HasAccount   bool           `json:"HasAccount"`
}

// CreditNoteRef is the summary of a credit note allocated to an invoice, as the invoice lists it.
type CreditNoteRef struct {
	CreditNoteID     string         `json:"CreditNoteID"`
	CreditNoteNumber string         `json:"CreditNoteNumber"`
	Total            sandbox.Amount `json:"Total"`
	AppliedAmount    sandbox.Amount `json:"AppliedAmount"`
}

// Invoice is a sales invoice (ACCREC) or a bill (ACCPAY) as the organisation holds it.
type Invoice struct {
	Type                  string            `json:"Type"`
	InvoiceID             string            `json:"InvoiceID"`
	InvoiceNumber         string            `json:"InvoiceNumber"`
	Reference             string            `json:"Reference,omitempty"`
	Contact               ContactRef        `json:"Contact"`
	Date                  *MSDate           `json:"Date,omitempty"`
	DateString            string            `json:"DateString,omitempty"`
	DueDate               *MSDate           `json:"DueDate,omitempty"`
	DueDateString         string            `json:"DueDateString,omitempty"`
	Status                string            `json:"Status"`
	LineAmountTypes       string            `json:"LineAmountTypes"`
	LineItems             []LineItem        `json:"LineItems"`
	SubTotal              sandbox.Amount    `json:"SubTotal"`
	TotalTax              sandbox.Amount    `json:"TotalTax"`
	Total                 sandbox.Amount    `json:"Total"`
	TotalDiscount         sandbox.Amount    `json:"TotalDiscount"`
	AmountDue             sandbox.Amount    `json:"AmountDue"`
	AmountPaid            sandbox.Amount    `json:"AmountPaid"`
	AmountCredited        sandbox.Amount    `json:"AmountCredited"`
	CurrencyCode          string            `json:"CurrencyCode"`
	CurrencyRate          sandbox.Amount    `json:"CurrencyRate"`
	FullyPaidOnDate       *MSDate           `json:"FullyPaidOnDate,omitempty"`
	Payments              []PaymentRef      `json:"Payments"`
	CreditNotes           []CreditNoteRef   `json:"CreditNotes,omitempty"`
	SentToContact         bool              `json:"SentToContact"`
	IsDiscounted          bool              `json:"IsDiscounted"`
	HasAttachments        bool              `json:"HasAttachments"`
	HasErrors             bool              `json:"HasErrors"`
	UpdatedDateUTC        MSDate            `json:"UpdatedDateUTC"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
	Warnings              []ValidationError `json:"Warnings,omitempty"`
}

// clone returns a deep copy of inv, the same as sandbox.Clone's trip through JSON gives (times to
// the millisecond, in UTC; an empty list that JSON omits, nil) without that trip, which costs more
// than the rest of a write: a batch of invoices copies each one for its answer and for the state
// it keeps. Amounts are shared, as decimal.Decimal never changes once made.
func (inv *Invoice) clone() Invoice {
	out := *inv
	out.Date, out.DueDate, out.FullyPaidOnDate = inv.Date.cloneMS(), inv.DueDate.cloneMS(), inv.FullyPaidOnDate.cloneMS()
	out.UpdatedDateUTC = inv.UpdatedDateUTC.ms()
	if inv.LineItems != nil {
		out.LineItems = make([]LineItem, len(inv.LineItems))
		for i, l := range inv.LineItems {
			l.DiscountRate, l.DiscountAmount = cloneAmount(l.DiscountRate), cloneAmount(l.DiscountAmount)
			out.LineItems[i] = l
		}
	}
	if inv.Payments != nil {
		out.Payments = make([]PaymentRef, len(inv.Payments))
		for i, p := range inv.Payments {
			p.Date = p.Date.ms()
			out.Payments[i] = p
		}
	}
	out.CreditNotes = cloneOmitEmpty(inv.CreditNotes)
	out.ValidationErrors, out.Warnings = cloneOmitEmpty(inv.ValidationErrors), cloneOmitEmpty(inv.Warnings)
	return out
}

// ms returns d to the millisecond, in UTC: d as its JSON gives it back.
func (d MSDate) ms() MSDate { return MSDate{time.UnixMilli(d.UnixMilli()).UTC()} }

// cloneMS returns a copy of *d to the millisecond, nil for nil.
func (d *MSDate) cloneMS() *MSDate {
	if d == nil {
		return nil
	}
	c := d.ms()
	return &c
}

func cloneAmount(a *sandbox.Amount) *sandbox.Amount {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

// cloneOmitEmpty copies a list that JSON leaves out when empty: empty, it is nil.
func cloneOmitEmpty[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return slices.Clone(v)
}

// AccountRef is the summary of an account that payments embed.
type AccountRef struct {
	AccountID string `json:"AccountID"`
	Code      string `json:"Code"`
}

// InvoiceRef is the summary of an invoice that payments embed.
type InvoiceRef struct {
	Type          string     `json:"Type"`
	InvoiceID     string     `json:"InvoiceID"`
	InvoiceNumber string     `json:"InvoiceNumber"`
	Contact       ContactRef `json:"Contact"`
	CurrencyCode  string     `json:"CurrencyCode"`
}

// Payment is a customer payment applied to a sales invoice.
type Payment struct {
	PaymentID             string            `json:"PaymentID"`
	Date                  MSDate            `json:"Date"`
	Amount                sandbox.Amount    `json:"Amount"`
	BankAmount            sandbox.Amount    `json:"BankAmount"`
	CurrencyRate          sandbox.Amount    `json:"CurrencyRate"`
	Reference             string            `json:"Reference,omitempty"`
	IsReconciled          bool              `json:"IsReconciled"`
	Status                string            `json:"Status"`
	PaymentType           string            `json:"PaymentType"`
	UpdatedDateUTC        MSDate            `json:"UpdatedDateUTC"`
	HasAccount            bool              `json:"HasAccount"`
	HasValidationErrors   bool              `json:"HasValidationErrors"`
	Account               AccountRef        `json:"Account"`
	Invoice               InvoiceRef        `json:"Invoice"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
}

// num is a number read from a request that remembers whether it was given
// and whether it parsed, so a bad Quantity becomes a per-element validation
// error, as Xero reports it, instead of failing the whole body.
type num struct {
	d        decimal.Decimal
	set, bad bool
	raw      string
}

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	n.set = true
	n.raw = strings.Trim(string(b), `"`)
	d, err := decimal.NewFromString(n.raw)
	if err != nil {
		n.bad = true
		return nil
	}
	n.d = d
	return nil
}

// dateIn is a date read from a request, kept lenient for the same reason as num.
type dateIn struct {
	t        time.Time
	set, bad bool
	raw      string
}

func (d *dateIn) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	d.set = true
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		d.bad, d.raw = true, string(b)
		return nil
	}
	d.raw = s
	if s == "" {
		d.set = false
		return nil
	}
	t, err := parseDate(s)
	if err != nil {
		d.bad = true
		return nil
	}
	d.t = t
	return nil
}

func msPtr(t time.Time) *MSDate { return &MSDate{t} }

// CreditNoteSummary is the summary of a credit note that an allocation embeds.
type CreditNoteSummary struct {
	CreditNoteID     string `json:"CreditNoteID"`
	CreditNoteNumber string `json:"CreditNoteNumber"`
}

// Allocation is part of a credit note applied to an invoice.
type Allocation struct {
	AllocationID string            `json:"AllocationID"`
	Amount       sandbox.Amount    `json:"Amount"`
	Date         MSDate            `json:"Date"`
	Invoice      InvoiceRef        `json:"Invoice"`
	CreditNote   CreditNoteSummary `json:"CreditNote"`
	IsDeleted    bool              `json:"IsDeleted"`

	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
}

// CreditNote is a sales credit note (ACCRECCREDIT) as the organisation holds it.
type CreditNote struct {
	Type                  string            `json:"Type"`
	CreditNoteID          string            `json:"CreditNoteID"`
	CreditNoteNumber      string            `json:"CreditNoteNumber"`
	Reference             string            `json:"Reference,omitempty"`
	Contact               ContactRef        `json:"Contact"`
	Date                  *MSDate           `json:"Date,omitempty"`
	Status                string            `json:"Status"`
	LineAmountTypes       string            `json:"LineAmountTypes"`
	LineItems             []LineItem        `json:"LineItems"`
	SubTotal              sandbox.Amount    `json:"SubTotal"`
	TotalTax              sandbox.Amount    `json:"TotalTax"`
	Total                 sandbox.Amount    `json:"Total"`
	RemainingCredit       sandbox.Amount    `json:"RemainingCredit"`
	CurrencyCode          string            `json:"CurrencyCode"`
	CurrencyRate          sandbox.Amount    `json:"CurrencyRate"`
	FullyPaidOnDate       *MSDate           `json:"FullyPaidOnDate,omitempty"`
	Allocations           []Allocation      `json:"Allocations"`
	HasErrors             bool              `json:"HasErrors"`
	UpdatedDateUTC        MSDate            `json:"UpdatedDateUTC"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []ValidationError `json:"ValidationErrors,omitempty"`
}
