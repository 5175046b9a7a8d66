package quickbooks

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/money"
)

// QuickBooks' JSON: field names are the XSD element and attribute names (Finance.xsd,
// IntuitBaseTypes.xsd, IntuitNamesTypes.xsd, IntuitRestServiceDef.xsd). Amounts are json.Number
// so that they cross the wire as exact decimals, never through float64. Each type serves requests
// and responses; omitempty keeps read-only fields out of requests.

// wireRef is a ReferenceType: the id in value, the name as QuickBooks shows it.
type wireRef struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
}

// ref returns a reference to id, nil for "".
func ref(id string) *wireRef {
	if id == "" {
		return nil
	}
	return &wireRef{Value: id}
}

// refValue returns r's id, "" for nil.
func refValue(r *wireRef) string {
	if r == nil {
		return ""
	}
	return r.Value
}

type wireMetaData struct {
	CreateTime      string `json:"CreateTime,omitempty"`
	LastUpdatedTime string `json:"LastUpdatedTime,omitempty"`
}

type wireAddress struct {
	Line1                  string `json:"Line1,omitempty"`
	Line2                  string `json:"Line2,omitempty"`
	City                   string `json:"City,omitempty"`
	Country                string `json:"Country,omitempty"`
	CountrySubDivisionCode string `json:"CountrySubDivisionCode,omitempty"`
	PostalCode             string `json:"PostalCode,omitempty"`
}

type wireEmail struct {
	Address string `json:"Address,omitempty"`
}

type wireCompanyInfo struct {
	Id          string `json:"Id,omitempty"`
	CompanyName string `json:"CompanyName,omitempty"`
	LegalName   string `json:"LegalName,omitempty"`
	Country     string `json:"Country,omitempty"`
}

type wireTaxPrefs struct {
	UsingSalesTax     bool `json:"UsingSalesTax"`
	PartnerTaxEnabled bool `json:"PartnerTaxEnabled"`
}

type wireCurrencyPrefs struct {
	MultiCurrencyEnabled bool     `json:"MultiCurrencyEnabled"`
	HomeCurrency         *wireRef `json:"HomeCurrency"`
}

type wirePreferences struct {
	TaxPrefs      *wireTaxPrefs      `json:"TaxPrefs"`
	CurrencyPrefs *wireCurrencyPrefs `json:"CurrencyPrefs"`
}

type wireTaxRateDetail struct {
	TaxRateRef        *wireRef `json:"TaxRateRef"`
	TaxTypeApplicable string   `json:"TaxTypeApplicable"`
	TaxOrder          int      `json:"TaxOrder"`
}

type wireTaxRateList struct {
	TaxRateDetail []wireTaxRateDetail `json:"TaxRateDetail"`
}

type wireTaxCode struct {
	Id               string           `json:"Id"`
	Name             string           `json:"Name"`
	Description      string           `json:"Description"`
	Active           *bool            `json:"Active"`
	Hidden           bool             `json:"Hidden"`
	Taxable          bool             `json:"Taxable"`
	TaxGroup         bool             `json:"TaxGroup"`
	SalesTaxRateList *wireTaxRateList `json:"SalesTaxRateList"`
	MetaData         *wireMetaData    `json:"MetaData"`
}

type wireTaxRate struct {
	Id        string      `json:"Id"`
	Name      string      `json:"Name"`
	Active    *bool       `json:"Active"`
	RateValue json.Number `json:"RateValue"`
}

type wireAccount struct {
	Id             string   `json:"Id"`
	Name           string   `json:"Name"`
	AcctNum        string   `json:"AcctNum"`
	Description    string   `json:"Description"`
	Active         *bool    `json:"Active"`
	Classification string   `json:"Classification"`
	AccountType    string   `json:"AccountType"`
	AccountSubType string   `json:"AccountSubType"`
	CurrencyRef    *wireRef `json:"CurrencyRef"`
}

type wireCustomer struct {
	Id                   string        `json:"Id,omitempty"`
	SyncToken            string        `json:"SyncToken,omitempty"`
	MetaData             *wireMetaData `json:"MetaData,omitempty"`
	GivenName            string        `json:"GivenName,omitempty"`
	FamilyName           string        `json:"FamilyName,omitempty"`
	CompanyName          string        `json:"CompanyName,omitempty"`
	DisplayName          string        `json:"DisplayName,omitempty"`
	Active               *bool         `json:"Active,omitempty"`
	PrimaryEmailAddr     *wireEmail    `json:"PrimaryEmailAddr,omitempty"`
	BillAddr             *wireAddress  `json:"BillAddr,omitempty"`
	PrimaryTaxIdentifier string        `json:"PrimaryTaxIdentifier,omitempty"`
	CurrencyRef          *wireRef      `json:"CurrencyRef,omitempty"`
	// Sparse marks an update that changes only the fields sent.
	Sparse bool `json:"sparse,omitempty"`
}

type wireItem struct {
	Id               string        `json:"Id,omitempty"`
	SyncToken        string        `json:"SyncToken,omitempty"`
	MetaData         *wireMetaData `json:"MetaData,omitempty"`
	Name             string        `json:"Name,omitempty"`
	Sku              string        `json:"Sku,omitempty"`
	Description      string        `json:"Description,omitempty"`
	Active           *bool         `json:"Active,omitempty"`
	Taxable          *bool         `json:"Taxable,omitempty"`
	UnitPrice        json.Number   `json:"UnitPrice,omitempty"`
	Type             string        `json:"Type,omitempty"`
	IncomeAccountRef *wireRef      `json:"IncomeAccountRef,omitempty"`
	SalesTaxCodeRef  *wireRef      `json:"SalesTaxCodeRef,omitempty"`
}

type wireSalesItemLineDetail struct {
	ItemRef         *wireRef    `json:"ItemRef,omitempty"`
	UnitPrice       json.Number `json:"UnitPrice,omitempty"`
	Qty             json.Number `json:"Qty,omitempty"`
	ItemAccountRef  *wireRef    `json:"ItemAccountRef,omitempty"`
	TaxCodeRef      *wireRef    `json:"TaxCodeRef,omitempty"`
	TaxInclusiveAmt json.Number `json:"TaxInclusiveAmt,omitempty"`
}

type wireTaxLineDetail struct {
	TaxRateRef       *wireRef    `json:"TaxRateRef,omitempty"`
	PercentBased     bool        `json:"PercentBased,omitempty"`
	TaxPercent       json.Number `json:"TaxPercent,omitempty"`
	NetAmountTaxable json.Number `json:"NetAmountTaxable,omitempty"`
}

type wireLinkedTxn struct {
	TxnId   string `json:"TxnId"`
	TxnType string `json:"TxnType"`
}

type wireLine struct {
	Id                  string                   `json:"Id,omitempty"`
	Description         string                   `json:"Description,omitempty"`
	Amount              json.Number              `json:"Amount"`
	DetailType          string                   `json:"DetailType,omitempty"`
	SalesItemLineDetail *wireSalesItemLineDetail `json:"SalesItemLineDetail,omitempty"`
	TaxLineDetail       *wireTaxLineDetail       `json:"TaxLineDetail,omitempty"`
	LinkedTxn           []wireLinkedTxn          `json:"LinkedTxn,omitempty"`
}

type wireTxnTaxDetail struct {
	TxnTaxCodeRef *wireRef    `json:"TxnTaxCodeRef,omitempty"`
	TotalTax      json.Number `json:"TotalTax,omitempty"`
	TaxLine       []wireLine  `json:"TaxLine,omitempty"`
}

type wireInvoice struct {
	Id                   string            `json:"Id,omitempty"`
	SyncToken            string            `json:"SyncToken,omitempty"`
	MetaData             *wireMetaData     `json:"MetaData,omitempty"`
	DocNumber            string            `json:"DocNumber,omitempty"`
	TxnDate              string            `json:"TxnDate,omitempty"`
	CurrencyRef          *wireRef          `json:"CurrencyRef,omitempty"`
	PrivateNote          string            `json:"PrivateNote,omitempty"`
	Line                 []wireLine        `json:"Line,omitempty"`
	TxnTaxDetail         *wireTxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	CustomerRef          *wireRef          `json:"CustomerRef,omitempty"`
	DueDate              string            `json:"DueDate,omitempty"`
	GlobalTaxCalculation string            `json:"GlobalTaxCalculation,omitempty"`
	TotalAmt             json.Number       `json:"TotalAmt,omitempty"`
	Balance              json.Number       `json:"Balance,omitempty"`
	// LinkedTxn (read-only) names the payments and credits applied to the invoice.
	LinkedTxn []wireLinkedTxn `json:"LinkedTxn,omitempty"`
	// RemainingCredit is a credit memo's credit not yet applied (read-only).
	RemainingCredit json.Number `json:"RemainingCredit,omitempty"`
	// Status is "Deleted" for a deleted entity in a change data capture (read-only).
	Status string `json:"status,omitempty"`
}

type wirePayment struct {
	Id                  string        `json:"Id,omitempty"`
	SyncToken           string        `json:"SyncToken,omitempty"`
	Status              string        `json:"status,omitempty"`
	MetaData            *wireMetaData `json:"MetaData,omitempty"`
	TxnDate             string        `json:"TxnDate,omitempty"`
	CurrencyRef         *wireRef      `json:"CurrencyRef,omitempty"`
	PrivateNote         string        `json:"PrivateNote,omitempty"`
	Line                []wireLine    `json:"Line,omitempty"`
	CustomerRef         *wireRef      `json:"CustomerRef,omitempty"`
	DepositToAccountRef *wireRef      `json:"DepositToAccountRef,omitempty"`
	PaymentRefNum       string        `json:"PaymentRefNum,omitempty"`
	TotalAmt            json.Number   `json:"TotalAmt,omitempty"`
}

// active reports whether an Active flag means active: QuickBooks omits it on some entities, and
// an omitted flag is active.
func active(a *bool) bool { return a == nil || *a }

// activeOrArchived maps Active onto booksync's two statuses.
func activeOrArchived(a *bool) string {
	if active(a) {
		return "Active"
	}
	return "Archived"
}

// parseTime reads a QuickBooks timestamp (RFC 3339 with the company's offset); "" is zero.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("quickbooks: unrecognised time %q", s)
}

// updatedAt returns the last change of an entity, zero when unknown.
func updatedAt(m *wireMetaData) time.Time {
	if m == nil {
		return time.Time{}
	}
	t, _ := parseTime(m.LastUpdatedTime)
	return t
}

// minor converts a major-unit amount from QuickBooks to minor units of currency, exactly; "" is
// 0. QuickBooks writes amounts as JSON numbers such as 150.0, or with an exponent when large.
func minor(n json.Number, currency string) (int64, error) {
	if n == "" {
		return 0, nil
	}
	s := string(n)
	if strings.ContainsAny(s, "eE") {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return 0, fmt.Errorf("quickbooks: amount %q: %w", s, err)
		}
		s = d.String()
	}
	return money.ParseMajor(s, currency)
}

// major formats minor units of currency as a JSON number in major units.
func major(amount int64, currency string) json.Number {
	return json.Number(money.FormatMinor(amount, currency))
}

// decimalNumber formats d as a JSON number.
func decimalNumber(d decimal.Decimal) json.Number {
	return json.Number(d.String())
}

// rate converts a percentage ("12.5") to percent minor units (1250), exactly when it has at most
// two decimals. A rate with more (a US combined 8.875%) is rounded half away from zero to the
// nearest hundredth, as platform.TaxRate cannot hold it; the totals check after each push shows
// any difference the rounding makes.
func rate(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return 0, fmt.Errorf("quickbooks: tax rate %q: %w", n, err)
	}
	return d.Shift(2).Round(0).IntPart(), nil
}

// truncate shortens s to at most n characters (QuickBooks counts characters, not bytes).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// clean replaces the characters QuickBooks refuses in names (tab and newlines; for items also
// the colon, which separates sub-items) with spaces and trims the result.
func clean(s string, colon bool) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case colon && r == ':':
			return ' '
		}
		return r
	}, s))
}

// requestNamespace seeds booksync's request ids, so that they cannot collide with another app's.
var requestNamespace = uuid.MustParse("6f1c2d4e-8b1a-4f0e-9c51-0b95e3f6a7d2")

// requestID derives a write's requestid from its kind, its objects' refs in any order and its
// body: the same request sent again replays QuickBooks' first answer, while a request whose data
// changed (the user fixed a tax mapping after a validation error) is new and is not answered with
// the stale error. It is a UUID (version 8, from SHA-256): 36 characters, within the limit of 36
// for batch requests and 50 for others.
func requestID(kind string, refs []string, body []byte) string {
	sorted := slices.Clone(refs)
	slices.Sort(sorted)
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	for _, r := range sorted {
		h.Write([]byte(r))
		h.Write([]byte{0})
	}
	h.Write([]byte{0})
	h.Write(body)
	return uuid.NewHash(sha256.New(), requestNamespace, h.Sum(nil), 8).String()
}

// quote quotes s for a QuickBooks query, or reports false when it cannot be quoted safely.
// Intuit documents a backslash before an apostrophe and no other escape, so values with a
// backslash are left out of look-ups: the object is then created, and a clash comes back as a
// per-object validation error.
func quote(s string) (string, bool) {
	if s == "" || strings.ContainsAny(s, "\\\n\r") {
		return "", false
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'", true
}

// inChunks groups quoted values into "in (...)" lists of at most maxValues values and maxLen
// characters, so that query URLs stay well under common 8 KB limits.
func inChunks(values []string, maxValues, maxLen int) []string {
	var out, cur []string
	n := 0
	for _, v := range values {
		if len(cur) > 0 && (len(cur) >= maxValues || n+len(v)+1 > maxLen) {
			out = append(out, "("+strings.Join(cur, ",")+")")
			cur, n = nil, 0
		}
		cur = append(cur, v)
		n += len(v) + 1
	}
	if len(cur) > 0 {
		out = append(out, "("+strings.Join(cur, ",")+")")
	}
	return out
}

// mustMarshal marshals the wire types, which cannot fail to marshal.
func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// wireVoid is the body of a void or delete: the entity's Id and current SyncToken.
type wireVoid struct {
	Id        string `json:"Id"`
	SyncToken string `json:"SyncToken"`
}

type wireExpenseLineDetail struct {
	AccountRef *wireRef `json:"AccountRef,omitempty"`
	TaxCodeRef *wireRef `json:"TaxCodeRef,omitempty"`
}

type wireBillLine struct {
	Description                   string                 `json:"Description,omitempty"`
	Amount                        json.Number            `json:"Amount"`
	DetailType                    string                 `json:"DetailType,omitempty"`
	AccountBasedExpenseLineDetail *wireExpenseLineDetail `json:"AccountBasedExpenseLineDetail,omitempty"`
}

type wireBill struct {
	Id           string            `json:"Id,omitempty"`
	MetaData     *wireMetaData     `json:"MetaData,omitempty"`
	DocNumber    string            `json:"DocNumber,omitempty"`
	TxnDate      string            `json:"TxnDate,omitempty"`
	DueDate      string            `json:"DueDate,omitempty"`
	CurrencyRef  *wireRef          `json:"CurrencyRef,omitempty"`
	PrivateNote  string            `json:"PrivateNote,omitempty"`
	Line         []wireBillLine    `json:"Line,omitempty"`
	TxnTaxDetail *wireTxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	VendorRef    *wireRef          `json:"VendorRef,omitempty"`
	TotalAmt     json.Number       `json:"TotalAmt,omitempty"`
	Balance      json.Number       `json:"Balance,omitempty"`
	LinkedTxn    []wireLinkedTxn   `json:"LinkedTxn,omitempty"`
	Status       string            `json:"status,omitempty"`
}
