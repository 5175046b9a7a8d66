package xero

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/money"
)

// Xero's JSON, PascalCase as the API spells it. Amounts are json.Number so that they cross the
// wire as exact decimals, never through float64. Each type serves requests and responses; the
// omitempty tags keep read-only fields out of requests.

type wireOrganisation struct {
	OrganisationID string `json:"OrganisationID"`
	Name           string `json:"Name"`
	BaseCurrency   string `json:"BaseCurrency"`
	CountryCode    string `json:"CountryCode"`
}

type wireTaxComponent struct {
	Name       string      `json:"Name"`
	Rate       json.Number `json:"Rate"`
	IsCompound bool        `json:"IsCompound"`
}

type wireTaxRate struct {
	Name              string             `json:"Name"`
	TaxType           string             `json:"TaxType"`
	Status            string             `json:"Status"`
	CanApplyToRevenue bool               `json:"CanApplyToRevenue"`
	EffectiveRate     json.Number        `json:"EffectiveRate"`
	DisplayTaxRate    json.Number        `json:"DisplayTaxRate"`
	TaxComponents     []wireTaxComponent `json:"TaxComponents"`
}

type wireAccount struct {
	AccountID               string `json:"AccountID"`
	Code                    string `json:"Code"`
	Name                    string `json:"Name"`
	Type                    string `json:"Type"`
	Class                   string `json:"Class"`
	Status                  string `json:"Status"`
	CurrencyCode            string `json:"CurrencyCode"`
	Description             string `json:"Description"`
	EnablePaymentsToAccount bool   `json:"EnablePaymentsToAccount"`
	SystemAccount           string `json:"SystemAccount"`
}

type wireAddress struct {
	AddressType  string `json:"AddressType,omitempty"`
	AddressLine1 string `json:"AddressLine1,omitempty"`
	AddressLine2 string `json:"AddressLine2,omitempty"`
	City         string `json:"City,omitempty"`
	Region       string `json:"Region,omitempty"`
	PostalCode   string `json:"PostalCode,omitempty"`
	Country      string `json:"Country,omitempty"`
}

type wireContact struct {
	ContactID             string        `json:"ContactID,omitempty"`
	ContactNumber         string        `json:"ContactNumber,omitempty"`
	ContactStatus         string        `json:"ContactStatus,omitempty"`
	Name                  string        `json:"Name,omitempty"`
	FirstName             string        `json:"FirstName,omitempty"`
	LastName              string        `json:"LastName,omitempty"`
	EmailAddress          string        `json:"EmailAddress,omitempty"`
	TaxNumber             string        `json:"TaxNumber,omitempty"`
	Addresses             []wireAddress `json:"Addresses,omitempty"`
	UpdatedDateUTC        string        `json:"UpdatedDateUTC,omitempty"`
	HasValidationErrors   bool          `json:"HasValidationErrors,omitempty"`
	StatusAttributeString string        `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []message     `json:"ValidationErrors,omitempty"`
}

type wireSalesDetails struct {
	UnitPrice   json.Number `json:"UnitPrice,omitempty"`
	AccountCode string      `json:"AccountCode,omitempty"`
	TaxType     string      `json:"TaxType,omitempty"`
}

type wireItem struct {
	ItemID                string            `json:"ItemID,omitempty"`
	Code                  string            `json:"Code"`
	Name                  string            `json:"Name,omitempty"`
	Description           string            `json:"Description,omitempty"`
	IsSold                bool              `json:"IsSold,omitempty"`
	SalesDetails          *wireSalesDetails `json:"SalesDetails,omitempty"`
	UpdatedDateUTC        string            `json:"UpdatedDateUTC,omitempty"`
	StatusAttributeString string            `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []message         `json:"ValidationErrors,omitempty"`
}

type wireLine struct {
	Description    string      `json:"Description,omitempty"`
	Quantity       json.Number `json:"Quantity,omitempty"`
	UnitAmount     json.Number `json:"UnitAmount,omitempty"`
	DiscountAmount json.Number `json:"DiscountAmount,omitempty"`
	DiscountRate   json.Number `json:"DiscountRate,omitempty"`
	ItemCode       string      `json:"ItemCode,omitempty"`
	AccountCode    string      `json:"AccountCode,omitempty"`
	TaxType        string      `json:"TaxType,omitempty"`
	TaxAmount      json.Number `json:"TaxAmount,omitempty"`
	LineAmount     json.Number `json:"LineAmount,omitempty"`
}

type wireInvoice struct {
	Type                  string              `json:"Type,omitempty"`
	InvoiceID             string              `json:"InvoiceID,omitempty"`
	Contact               *wireContact        `json:"Contact,omitempty"`
	Date                  string              `json:"Date,omitempty"`
	DueDate               string              `json:"DueDate,omitempty"`
	DateString            string              `json:"DateString,omitempty"`
	DueDateString         string              `json:"DueDateString,omitempty"`
	InvoiceNumber         string              `json:"InvoiceNumber,omitempty"`
	Reference             string              `json:"Reference,omitempty"`
	CurrencyCode          string              `json:"CurrencyCode,omitempty"`
	LineAmountTypes       string              `json:"LineAmountTypes,omitempty"`
	Status                string              `json:"Status,omitempty"`
	LineItems             []wireLine          `json:"LineItems,omitempty"`
	SubTotal              json.Number         `json:"SubTotal,omitempty"`
	TotalTax              json.Number         `json:"TotalTax,omitempty"`
	Total                 json.Number         `json:"Total,omitempty"`
	AmountDue             json.Number         `json:"AmountDue,omitempty"`
	AmountPaid            json.Number         `json:"AmountPaid,omitempty"`
	AmountCredited        json.Number         `json:"AmountCredited,omitempty"`
	Payments              []wirePaymentRef    `json:"Payments,omitempty"`
	CreditNotes           []wireCreditNoteRef `json:"CreditNotes,omitempty"`
	UpdatedDateUTC        string              `json:"UpdatedDateUTC,omitempty"`
	HasErrors             bool                `json:"HasErrors,omitempty"`
	StatusAttributeString string              `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []message           `json:"ValidationErrors,omitempty"`
}

type wireRef struct {
	InvoiceID string `json:"InvoiceID,omitempty"`
	// Type and InvoiceNumber are read from payments' and allocations' invoices.
	Type          string `json:"Type,omitempty"`
	InvoiceNumber string `json:"InvoiceNumber,omitempty"`
	CurrencyCode  string `json:"CurrencyCode,omitempty"`
	AccountID     string `json:"AccountID,omitempty"`
	Code          string `json:"Code,omitempty"`
}

type wirePayment struct {
	PaymentID             string      `json:"PaymentID,omitempty"`
	Invoice               *wireRef    `json:"Invoice,omitempty"`
	Account               *wireRef    `json:"Account,omitempty"`
	Date                  string      `json:"Date,omitempty"`
	Amount                json.Number `json:"Amount,omitempty"`
	Reference             string      `json:"Reference,omitempty"`
	Status                string      `json:"Status,omitempty"`
	PaymentType           string      `json:"PaymentType,omitempty"`
	CurrencyCode          string      `json:"CurrencyCode,omitempty"`
	UpdatedDateUTC        string      `json:"UpdatedDateUTC,omitempty"`
	HasValidationErrors   bool        `json:"HasValidationErrors,omitempty"`
	StatusAttributeString string      `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []message   `json:"ValidationErrors,omitempty"`
}

// wirePaymentRef is a payment as an invoice lists it.
type wirePaymentRef struct {
	PaymentID string      `json:"PaymentID,omitempty"`
	Date      string      `json:"Date,omitempty"`
	Amount    json.Number `json:"Amount,omitempty"`
	Reference string      `json:"Reference,omitempty"`
}

// wireCreditNoteRef is a credit note as an invoice lists it.
type wireCreditNoteRef struct {
	CreditNoteID     string      `json:"CreditNoteID,omitempty"`
	CreditNoteNumber string      `json:"CreditNoteNumber,omitempty"`
	Total            json.Number `json:"Total,omitempty"`
	AppliedAmount    json.Number `json:"AppliedAmount,omitempty"`
}

// wireCreditNote is a credit note, as sent and as read.
type wireCreditNote struct {
	Type                  string           `json:"Type,omitempty"`
	CreditNoteID          string           `json:"CreditNoteID,omitempty"`
	CreditNoteNumber      string           `json:"CreditNoteNumber,omitempty"`
	Contact               *wireContact     `json:"Contact,omitempty"`
	Date                  string           `json:"Date,omitempty"`
	Reference             string           `json:"Reference,omitempty"`
	CurrencyCode          string           `json:"CurrencyCode,omitempty"`
	LineAmountTypes       string           `json:"LineAmountTypes,omitempty"`
	Status                string           `json:"Status,omitempty"`
	LineItems             []wireLine       `json:"LineItems,omitempty"`
	SubTotal              json.Number      `json:"SubTotal,omitempty"`
	TotalTax              json.Number      `json:"TotalTax,omitempty"`
	Total                 json.Number      `json:"Total,omitempty"`
	RemainingCredit       json.Number      `json:"RemainingCredit,omitempty"`
	Allocations           []wireAllocation `json:"Allocations,omitempty"`
	UpdatedDateUTC        string           `json:"UpdatedDateUTC,omitempty"`
	StatusAttributeString string           `json:"StatusAttributeString,omitempty"`
	ValidationErrors      []message        `json:"ValidationErrors,omitempty"`
}

// wireAllocation is part of a credit note applied to an invoice.
type wireAllocation struct {
	AllocationID     string      `json:"AllocationID,omitempty"`
	Invoice          *wireRef    `json:"Invoice,omitempty"`
	Amount           json.Number `json:"Amount,omitempty"`
	Date             string      `json:"Date,omitempty"`
	IsDeleted        bool        `json:"IsDeleted,omitempty"`
	ValidationErrors []message   `json:"ValidationErrors,omitempty"`
}

// msDate matches Xero's Microsoft JSON dates, "/Date(1699999999000+0000)/".
var msDate = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// parseTime reads a Xero timestamp: "/Date(ms±hhmm)/" (milliseconds since the Unix epoch in UTC;
// the offset only says which zone the value was entered in, so it does not shift the instant),
// RFC 3339, or Xero's zone-less "2006-01-02T15:04:05", which is UTC. "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if m := msDate.FindStringSubmatch(s); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("xero: date %q: %w", s, err)
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("xero: unrecognised date %q", s)
}

// parseDate returns a Xero date as YYYY-MM-DD, preferring the plain DateString when Xero sends
// one; "" when there is none.
func parseDate(dateString, date string) (string, error) {
	s := dateString
	if s == "" {
		s = date
	}
	t, err := parseTime(s)
	if err != nil || t.IsZero() {
		return "", err
	}
	return t.Format(time.DateOnly), nil
}

// minor converts a major-unit amount from Xero to minor units of currency, exactly; "" is 0.
func minor(n json.Number, currency string) (int64, error) {
	if n == "" {
		return 0, nil
	}
	s := string(n)
	if strings.ContainsAny(s, "eE") {
		// ParseMajor takes plain decimals only; a JSON exponent is rewritten without changing
		// the value.
		d, err := decimal.NewFromString(s)
		if err != nil {
			return 0, fmt.Errorf("xero: amount %q: %w", s, err)
		}
		s = d.String()
	}
	return money.ParseMajor(s, currency)
}

// major formats minor units of currency as a JSON number in major units.
func major(amount int64, currency string) json.Number {
	return json.Number(money.FormatMinor(amount, currency))
}

// rate converts a percentage ("12.5000") to percent minor units (1250). A rate with more than two
// decimals (a US combined sales tax of 8.875%) is rounded half away from zero to the nearest
// hundredth: platform.TaxRate cannot hold it, and the totals check after each push reveals any
// difference the rounding makes.
func rate(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return 0, fmt.Errorf("xero: tax rate %q: %w", n, err)
	}
	return d.Shift(2).Round(0).IntPart(), nil
}

// truncate shortens s to at most n characters (Xero counts characters, not bytes).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// idempotencyKey derives a chunk's Idempotency-Key from its kind, its refs in any order and its
// body: the same chunk sent again replays Xero's first answer, while a chunk whose data changed
// (the user fixed a tax mapping after a validation error) is a new request and is not answered
// with the stale error. The key is 73 characters at most for the kinds used, under Xero's 128.
func idempotencyKey(kind string, refs []string, body []byte) string {
	sorted := slices.Clone(refs)
	slices.Sort(sorted)
	h := sha256.New()
	for _, r := range sorted {
		h.Write([]byte(r))
		h.Write([]byte{0})
	}
	h.Write([]byte{0})
	h.Write(body)
	return kind + "-" + hex.EncodeToString(h.Sum(nil))
}

// whereValue quotes s for a Xero where filter, or reports false when s cannot be quoted safely.
// Xero's filter language has no documented escape for a double quote, and a filter it cannot
// parse fails the whole look-up, so such values are left out of the filter: the object is then
// created, and a name clash comes back as a per-object validation error.
func whereValue(s string) (string, bool) {
	if s == "" || strings.ContainsAny(s, "\"\\") {
		return "", false
	}
	return `"` + s + `"`, true
}

// filterChunks groups where-filter terms into filters joined by OR, each with at most maxTerms
// terms and maxLen characters, so that look-up URLs stay well under common 8 KB limits.
func filterChunks(terms []string, maxTerms, maxLen int) []string {
	var out []string
	var cur []string
	n := 0
	for _, t := range terms {
		if len(cur) > 0 && (len(cur) >= maxTerms || n+len(t)+4 > maxLen) {
			out = append(out, strings.Join(cur, " OR "))
			cur, n = nil, 0
		}
		cur = append(cur, t)
		n += len(t) + 4
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " OR "))
	}
	return out
}
