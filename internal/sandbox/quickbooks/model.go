package quickbooks

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

func amtPtr(d decimal.Decimal) *sandbox.Amount { return &sandbox.Amount{Decimal: d} }

// round2 rounds half away from zero to cents, as QuickBooks does.
func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// Ref is a ReferenceType: {"value":"1","name":"Services"}.
type Ref struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
}

// MetaData is the create and update times every entity carries.
type MetaData struct {
	CreateTime      string `json:"CreateTime"`
	LastUpdatedTime string `json:"LastUpdatedTime"`
}

// qbTime formats t as QuickBooks writes entity times (local offset, seconds).
func qbTime(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

func newMeta(now time.Time) MetaData { return MetaData{qbTime(now), qbTime(now)} }

// EmailAddress is an EmailAddress element.
type EmailAddress struct {
	Address string `json:"Address,omitempty"`
}

// PhysicalAddress is a postal address.
type PhysicalAddress struct {
	Line1                  string `json:"Line1,omitempty"`
	Line2                  string `json:"Line2,omitempty"`
	City                   string `json:"City,omitempty"`
	CountrySubDivisionCode string `json:"CountrySubDivisionCode,omitempty"`
	PostalCode             string `json:"PostalCode,omitempty"`
	Country                string `json:"Country,omitempty"`
}

// Account is one account of the chart of accounts.
type Account struct {
	ID                 string         `json:"Id"`
	SyncToken          string         `json:"SyncToken"`
	MetaData           MetaData       `json:"MetaData"`
	Name               string         `json:"Name"`
	FullyQualifiedName string         `json:"FullyQualifiedName"`
	Description        string         `json:"Description,omitempty"`
	AcctNum            string         `json:"AcctNum,omitempty"`
	Active             bool           `json:"Active"`
	Classification     string         `json:"Classification"`
	AccountType        string         `json:"AccountType"`
	AccountSubType     string         `json:"AccountSubType"`
	CurrentBalance     sandbox.Amount `json:"CurrentBalance"`
	CurrencyRef        Ref            `json:"CurrencyRef"`
	SubAccount         bool           `json:"SubAccount"`
}

// TaxRateDetail links a tax code to one of its rates.
type TaxRateDetail struct {
	TaxRateRef        Ref    `json:"TaxRateRef"`
	TaxTypeApplicable string `json:"TaxTypeApplicable"`
	TaxOrder          int    `json:"TaxOrder"`
}

// TaxRateList is a tax code's SalesTaxRateList or PurchaseTaxRateList.
type TaxRateList struct {
	TaxRateDetail []TaxRateDetail `json:"TaxRateDetail"`
}

// TaxCode groups the tax rates a transaction line applies.
type TaxCode struct {
	ID                  string      `json:"Id"`
	SyncToken           string      `json:"SyncToken"`
	MetaData            MetaData    `json:"MetaData"`
	Name                string      `json:"Name"`
	Description         string      `json:"Description,omitempty"`
	Active              bool        `json:"Active"`
	Hidden              bool        `json:"Hidden"`
	Taxable             bool        `json:"Taxable"`
	TaxGroup            bool        `json:"TaxGroup"`
	SalesTaxRateList    TaxRateList `json:"SalesTaxRateList"`
	PurchaseTaxRateList TaxRateList `json:"PurchaseTaxRateList"`
}

// TaxRate is one rate a tax agency levies.
type TaxRate struct {
	ID             string         `json:"Id"`
	SyncToken      string         `json:"SyncToken"`
	MetaData       MetaData       `json:"MetaData"`
	Name           string         `json:"Name"`
	Description    string         `json:"Description,omitempty"`
	Active         bool           `json:"Active"`
	RateValue      sandbox.Amount `json:"RateValue"`
	AgencyRef      Ref            `json:"AgencyRef"`
	SpecialTaxType string         `json:"SpecialTaxType"`
	DisplayType    string         `json:"DisplayType"`
}

// Customer is a customer of the company.
type Customer struct {
	ID                      string           `json:"Id"`
	SyncToken               string           `json:"SyncToken"`
	MetaData                MetaData         `json:"MetaData"`
	DisplayName             string           `json:"DisplayName"`
	Title                   string           `json:"Title,omitempty"`
	GivenName               string           `json:"GivenName,omitempty"`
	FamilyName              string           `json:"FamilyName,omitempty"`
	CompanyName             string           `json:"CompanyName,omitempty"`
	FullyQualifiedName      string           `json:"FullyQualifiedName"`
	PrintOnCheckName        string           `json:"PrintOnCheckName,omitempty"`
	PrimaryEmailAddr        *EmailAddress    `json:"PrimaryEmailAddr,omitempty"`
	BillAddr                *PhysicalAddress `json:"BillAddr,omitempty"`
	ShipAddr                *PhysicalAddress `json:"ShipAddr,omitempty"`
	Notes                   string           `json:"Notes,omitempty"`
	Active                  bool             `json:"Active"`
	Taxable                 bool             `json:"Taxable"`
	Job                     bool             `json:"Job"`
	BillWithParent          bool             `json:"BillWithParent"`
	Balance                 sandbox.Amount   `json:"Balance"`
	BalanceWithJobs         sandbox.Amount   `json:"BalanceWithJobs"`
	CurrencyRef             Ref              `json:"CurrencyRef"`
	PreferredDeliveryMethod string           `json:"PreferredDeliveryMethod,omitempty"`
	PrimaryTaxIdentifier    string           `json:"PrimaryTaxIdentifier,omitempty"`
}

// Item is a product or service the company sells.
type Item struct {
	ID                 string         `json:"Id"`
	SyncToken          string         `json:"SyncToken"`
	MetaData           MetaData       `json:"MetaData"`
	Name               string         `json:"Name"`
	Sku                string         `json:"Sku,omitempty"`
	Description        string         `json:"Description,omitempty"`
	Active             bool           `json:"Active"`
	FullyQualifiedName string         `json:"FullyQualifiedName"`
	Taxable            bool           `json:"Taxable"`
	SalesTaxIncluded   bool           `json:"SalesTaxIncluded"`
	UnitPrice          sandbox.Amount `json:"UnitPrice"`
	Type               string         `json:"Type"`
	IncomeAccountRef   *Ref           `json:"IncomeAccountRef,omitempty"`
	SalesTaxCodeRef    *Ref           `json:"SalesTaxCodeRef,omitempty"`
	TrackQtyOnHand     bool           `json:"TrackQtyOnHand"`
}

// SalesItemLineDetail is the detail of an item line.
type SalesItemLineDetail struct {
	ItemRef        *Ref            `json:"ItemRef,omitempty"`
	Qty            *sandbox.Amount `json:"Qty,omitempty"`
	UnitPrice      *sandbox.Amount `json:"UnitPrice,omitempty"`
	TaxCodeRef     *Ref            `json:"TaxCodeRef,omitempty"`
	ItemAccountRef *Ref            `json:"ItemAccountRef,omitempty"`
	ServiceDate    string          `json:"ServiceDate,omitempty"`
	// TaxInclusiveAmt is the line's amount including tax, on a TaxInclusive invoice, whose
	// line Amount is net of tax.
	TaxInclusiveAmt *sandbox.Amount `json:"TaxInclusiveAmt,omitempty"`
}

// DiscountLineDetail is the detail of a discount line.
type DiscountLineDetail struct {
	PercentBased       bool            `json:"PercentBased"`
	DiscountPercent    *sandbox.Amount `json:"DiscountPercent,omitempty"`
	DiscountAccountRef *Ref            `json:"DiscountAccountRef,omitempty"`
}

// Line is one line of an invoice.
type Line struct {
	ID                  string               `json:"Id,omitempty"`
	LineNum             int                  `json:"LineNum,omitempty"`
	Description         string               `json:"Description,omitempty"`
	Amount              sandbox.Amount       `json:"Amount"`
	DetailType          string               `json:"DetailType"`
	SalesItemLineDetail *SalesItemLineDetail `json:"SalesItemLineDetail,omitempty"`
	SubTotalLineDetail  *struct{}            `json:"SubTotalLineDetail,omitempty"`
	DiscountLineDetail  *DiscountLineDetail  `json:"DiscountLineDetail,omitempty"`
	LinkedTxn           []LinkedTxn          `json:"LinkedTxn,omitempty"`
}

// TaxLineDetail is the detail of one TxnTaxDetail.TaxLine.
type TaxLineDetail struct {
	TaxRateRef       Ref            `json:"TaxRateRef"`
	PercentBased     bool           `json:"PercentBased"`
	TaxPercent       sandbox.Amount `json:"TaxPercent"`
	NetAmountTaxable sandbox.Amount `json:"NetAmountTaxable"`
	// OverrideDeltaAmount is the client's tax less the computed one, when the client set it.
	OverrideDeltaAmount *sandbox.Amount `json:"OverrideDeltaAmount,omitempty"`
}

// TaxLine is the tax of one rate on a transaction.
type TaxLine struct {
	Amount        sandbox.Amount `json:"Amount"`
	DetailType    string         `json:"DetailType"`
	TaxLineDetail TaxLineDetail  `json:"TaxLineDetail"`
}

// TxnTaxDetail is a transaction's tax summary.
type TxnTaxDetail struct {
	TxnTaxCodeRef *Ref           `json:"TxnTaxCodeRef,omitempty"`
	TotalTax      sandbox.Amount `json:"TotalTax"`
	// TaxReviewStatus is AST_TAX_OVERRIDE when the client's TotalTax replaced automated sales tax.
	TaxReviewStatus      string    `json:"TaxReviewStatus,omitempty"`
	TaxLine              []TaxLine `json:"TaxLine,omitempty"`
	UseAutomatedSalesTax *bool     `json:"UseAutomatedSalesTax,omitempty"`
}

// LinkedTxn links a transaction to another (an invoice to its payments and back).
type LinkedTxn struct {
	TxnID     string `json:"TxnId"`
	TxnType   string `json:"TxnType"`
	TxnLineID string `json:"TxnLineId,omitempty"`
}

// MemoRef is a CustomerMemo.
type MemoRef struct {
	Value string `json:"value"`
}

// Invoice is a sales invoice with the amounts the sandbox computed.
type Invoice struct {
	ID                    string           `json:"Id"`
	SyncToken             string           `json:"SyncToken"`
	MetaData              MetaData         `json:"MetaData"`
	DocNumber             string           `json:"DocNumber"`
	TxnDate               string           `json:"TxnDate"`
	DueDate               string           `json:"DueDate"`
	CurrencyRef           Ref              `json:"CurrencyRef"`
	ExchangeRate          sandbox.Amount   `json:"ExchangeRate"`
	PrivateNote           string           `json:"PrivateNote,omitempty"`
	CustomerMemo          *MemoRef         `json:"CustomerMemo,omitempty"`
	LinkedTxn             []LinkedTxn      `json:"LinkedTxn"`
	Line                  []Line           `json:"Line"`
	TxnTaxDetail          TxnTaxDetail     `json:"TxnTaxDetail"`
	CustomerRef           Ref              `json:"CustomerRef"`
	BillEmail             *EmailAddress    `json:"BillEmail,omitempty"`
	ShipAddr              *PhysicalAddress `json:"ShipAddr,omitempty"`
	GlobalTaxCalculation  string           `json:"GlobalTaxCalculation,omitempty"`
	ApplyTaxAfterDiscount bool             `json:"ApplyTaxAfterDiscount"`
	PrintStatus           string           `json:"PrintStatus"`
	EmailStatus           string           `json:"EmailStatus"`
	TotalAmt              sandbox.Amount   `json:"TotalAmt"`
	HomeTotalAmt          sandbox.Amount   `json:"HomeTotalAmt"`
	Balance               sandbox.Amount   `json:"Balance"`
}

// PaymentLine applies part of a payment to one transaction.
type PaymentLine struct {
	Amount    sandbox.Amount `json:"Amount"`
	LinkedTxn []LinkedTxn    `json:"LinkedTxn"`
}

// Payment is a customer payment received against invoices.
type Payment struct {
	ID                  string         `json:"Id"`
	SyncToken           string         `json:"SyncToken"`
	MetaData            MetaData       `json:"MetaData"`
	TxnDate             string         `json:"TxnDate"`
	CurrencyRef         Ref            `json:"CurrencyRef"`
	CustomerRef         Ref            `json:"CustomerRef"`
	DepositToAccountRef *Ref           `json:"DepositToAccountRef,omitempty"`
	PaymentRefNum       string         `json:"PaymentRefNum,omitempty"`
	PrivateNote         string         `json:"PrivateNote,omitempty"`
	TotalAmt            sandbox.Amount `json:"TotalAmt"`
	UnappliedAmt        sandbox.Amount `json:"UnappliedAmt"`
	ProcessPayment      bool           `json:"ProcessPayment"`
	Line                []PaymentLine  `json:"Line"`
}

// CompanyInfo describes the company, as GET /companyinfo/{realmId} returns it.
type CompanyInfo struct {
	ID                   string          `json:"Id"`
	SyncToken            string          `json:"SyncToken"`
	MetaData             MetaData        `json:"MetaData"`
	CompanyName          string          `json:"CompanyName"`
	LegalName            string          `json:"LegalName"`
	CompanyAddr          PhysicalAddress `json:"CompanyAddr"`
	LegalAddr            PhysicalAddress `json:"LegalAddr"`
	CompanyStartDate     string          `json:"CompanyStartDate"`
	FiscalYearStartMonth string          `json:"FiscalYearStartMonth"`
	Country              string          `json:"Country"`
	Email                EmailAddress    `json:"Email"`
	SupportedLanguages   string          `json:"SupportedLanguages"`
	DefaultTimeZone      string          `json:"DefaultTimeZone"`
	NameValue            []NameValue     `json:"NameValue"`
}

// NameValue is a name/value pair of CompanyInfo.
type NameValue struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// TaxPrefs are the company's sales-tax preferences.
type TaxPrefs struct {
	UsingSalesTax     bool `json:"UsingSalesTax"`
	PartnerTaxEnabled bool `json:"PartnerTaxEnabled"`
	TaxGroupCodeRef   *Ref `json:"TaxGroupCodeRef,omitempty"`
}

// CurrencyPrefs are the company's currency preferences.
type CurrencyPrefs struct {
	MultiCurrencyEnabled bool `json:"MultiCurrencyEnabled"`
	HomeCurrency         Ref  `json:"HomeCurrency"`
}

// SalesFormsPrefs are the company's invoice preferences.
type SalesFormsPrefs struct {
	CustomTxnNumbers       bool   `json:"CustomTxnNumbers"`
	AllowDiscount          bool   `json:"AllowDiscount"`
	AllowShipping          bool   `json:"AllowShipping"`
	DefaultTerms           *Ref   `json:"DefaultTerms,omitempty"`
	DefaultDiscountAccount string `json:"DefaultDiscountAccount,omitempty"`
}

// Preferences are the company's settings, as GET /preferences returns them.
type Preferences struct {
	ID              string          `json:"Id"`
	SyncToken       string          `json:"SyncToken"`
	MetaData        MetaData        `json:"MetaData"`
	TaxPrefs        TaxPrefs        `json:"TaxPrefs"`
	CurrencyPrefs   CurrencyPrefs   `json:"CurrencyPrefs"`
	SalesFormsPrefs SalesFormsPrefs `json:"SalesFormsPrefs"`
}

// CreditMemo is a sales credit memo: a SalesTransaction computed as an invoice is, whose Balance
// (and RemainingCredit) is the credit not yet applied to an invoice.
type CreditMemo struct {
	Invoice
	RemainingCredit sandbox.Amount `json:"RemainingCredit"`
}

// Vendor is a supplier of the company, whose bills it owes.
type Vendor struct {
	ID                 string         `json:"Id"`
	SyncToken          string         `json:"SyncToken"`
	MetaData           MetaData       `json:"MetaData"`
	DisplayName        string         `json:"DisplayName"`
	FullyQualifiedName string         `json:"FullyQualifiedName"`
	Active             bool           `json:"Active"`
	Balance            sandbox.Amount `json:"Balance"`
	CurrencyRef        Ref            `json:"CurrencyRef"`
}

// AccountBasedExpenseLineDetail is the detail of a bill line booked to an expense account.
type AccountBasedExpenseLineDetail struct {
	AccountRef *Ref `json:"AccountRef,omitempty"`
	TaxCodeRef *Ref `json:"TaxCodeRef,omitempty"`
}

// BillLine is one line of a bill.
type BillLine struct {
	ID                            string                         `json:"Id,omitempty"`
	LineNum                       int                            `json:"LineNum,omitempty"`
	Description                   string                         `json:"Description,omitempty"`
	Amount                        sandbox.Amount                 `json:"Amount"`
	DetailType                    string                         `json:"DetailType"`
	AccountBasedExpenseLineDetail *AccountBasedExpenseLineDetail `json:"AccountBasedExpenseLineDetail,omitempty"`
}

// Bill is a vendor's bill the company owes (accounts payable).
type Bill struct {
	ID           string         `json:"Id"`
	SyncToken    string         `json:"SyncToken"`
	MetaData     MetaData       `json:"MetaData"`
	DocNumber    string         `json:"DocNumber,omitempty"`
	TxnDate      string         `json:"TxnDate"`
	CurrencyRef  Ref            `json:"CurrencyRef"`
	PrivateNote  string         `json:"PrivateNote,omitempty"`
	LinkedTxn    []LinkedTxn    `json:"LinkedTxn"`
	Line         []BillLine     `json:"Line"`
	VendorRef    Ref            `json:"VendorRef"`
	APAccountRef *Ref           `json:"APAccountRef,omitempty"`
	TotalAmt     sandbox.Amount `json:"TotalAmt"`
	DueDate      string         `json:"DueDate,omitempty"`
	Balance      sandbox.Amount `json:"Balance"`
}

// Tombstone records an entity deleted from the company, which a change data capture reports as
// {"Id": ..., "status": "Deleted"} for 30 days.
type Tombstone struct {
	Entity string    `json:"entity"` // "Payment", "Invoice", ...
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
}
