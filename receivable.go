package booksync

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Receivable statuses booksync uses, from Monite's ReceivablesStatusEnum.
const (
	StatusDraft         = "draft"
	StatusIssued        = "issued"
	StatusPartiallyPaid = "partially_paid"
	StatusPaid          = "paid"
	StatusUncollectible = "uncollectible"
	StatusCanceled      = "canceled"
)

// Receivable types booksync serves, from Monite's ReceivableType: invoices, and credit notes of
// issued invoices.
const (
	ReceivableTypeInvoice    = "invoice"
	ReceivableTypeCreditNote = "credit_note"
)

// Discount types, as Monite names them.
const (
	DiscountTypeAmount     = "amount"
	DiscountTypePercentage = "percentage"
)

// Receivable is an invoice an entity issues to a counterpart, or a credit note of one. JSON tags
// give Monite's InvoiceResponsePayload shape (CreditNoteResponsePayload for a credit note, whose
// BasedOn and BasedOnDocumentID name the invoice it credits). Amounts are minor units of Currency
// and are computed by internal/money from the lines; payments and credit notes then move an
// invoice's amount paid and due (ApplyPayment, ApplyCreditNote, CancelPayment).
type Receivable struct {
	ID                         string             `json:"id"`
	EntityID                   string             `json:"-"`
	Version                    int64              `json:"-"` // bumped by every write; guards against lost updates
	CreatedAt                  time.Time          `json:"created_at"`
	UpdatedAt                  time.Time          `json:"updated_at"`
	Type                       string             `json:"type"`
	Status                     string             `json:"status"`
	BasedOn                    *string            `json:"based_on,omitempty"`
	BasedOnDocumentID          *string            `json:"based_on_document_id,omitempty"`
	Comment                    *string            `json:"comment,omitempty"`
	DocumentID                 *string            `json:"document_id,omitempty"`
	Currency                   string             `json:"currency"`
	IssueDate                  *time.Time         `json:"issue_date,omitempty"`
	DueDate                    *string            `json:"due_date,omitempty"`
	FulfillmentDate            *string            `json:"fulfillment_date,omitempty"`
	PaidAt                     *time.Time         `json:"paid_at,omitempty"`
	CounterpartID              string             `json:"counterpart_id"`
	CounterpartType            string             `json:"counterpart_type"`
	CounterpartName            string             `json:"counterpart_name"`
	CounterpartTaxID           *string            `json:"counterpart_tax_id,omitempty"`
	CounterpartExternalRef     *string            `json:"counterpart_external_reference,omitempty"`
	CounterpartBillingAddress  *ReceivableAddress `json:"counterpart_billing_address,omitempty"`
	CounterpartShippingAddress *ReceivableAddress `json:"counterpart_shipping_address,omitempty"`
	CounterpartVatID           *VatID             `json:"counterpart_vat_id,omitempty"` // the counterpart's VAT id the invoice names, a copy: what its reverse charge rests on
	EntityVatID                *VatID             `json:"entity_vat_id,omitempty"`      // the entity's VAT id the invoice is issued under, a copy
	Entity                     ReceivableEntity   `json:"entity"`
	EntityAddress              ReceivableAddress  `json:"entity_address"`
	LineItems                  []LineItem         `json:"line_items"`
	Discount                   *Discount          `json:"discount,omitempty"`
	DeductionAmount            *int64             `json:"deduction_amount,omitempty"`
	DeductionMemo              *string            `json:"deduction_memo,omitempty"`
	Memo                       *string            `json:"memo,omitempty"`
	Footer                     *string            `json:"footer,omitempty"`
	CommercialCondition        *string            `json:"commercial_condition_description,omitempty"`
	PurchaseOrder              *string            `json:"purchase_order,omitempty"`
	TradeName                  *string            `json:"trade_name,omitempty"`
	PaymentPageURL             *string            `json:"payment_page_url,omitempty"`
	PartnerMetadata            map[string]any     `json:"partner_metadata,omitempty"`
	VATMode                    string             `json:"vat_mode"`
	VATInclusiveDiscountMode   string             `json:"vat_inclusive_discount_mode"`
	VATExempt                  *bool              `json:"vat_exempt,omitempty"`
	VATExemptionRationale      *string            `json:"vat_exemption_rationale,omitempty"`
	FileLanguage               string             `json:"file_language"`
	OriginalFileLanguage       string             `json:"original_file_language"`
	RelatedDocuments           RelatedDocuments   `json:"related_documents"`
	Subtotal                   int64              `json:"subtotal"`
	SubtotalAfterVAT           int64              `json:"subtotal_after_vat"`
	DiscountedSubtotal         int64              `json:"discounted_subtotal"`
	TotalVATAmount             int64              `json:"total_vat_amount"`
	TotalVATAmounts            []TotalVATAmount   `json:"total_vat_amounts"`
	TotalAmount                int64              `json:"total_amount"`
	TotalAmountWithCreditNotes int64              `json:"total_amount_with_credit_notes"`
	AmountPaid                 int64              `json:"amount_paid"`
	AmountDue                  int64              `json:"amount_due"`
	AmountToPay                int64              `json:"amount_to_pay"`
}

// IsMutable reports whether the invoice's lines and amounts may still change: only drafts may.
func (r *Receivable) IsMutable() bool { return r.Status == StatusDraft }

// CheckCancel reports, as an ECONFLICT that says what to do instead, why the invoice cannot be
// canceled; nil when it can. Only an issued invoice with nothing paid and no credit notes can: a
// draft is deleted instead, a credited invoice is credited further (its credit notes stand), and a
// paid or partially paid one keeps its payments.
func (r *Receivable) CheckCancel() error {
	switch {
	case r.IsCreditNote():
		return Errorf(ECONFLICT, "Credit notes cannot be canceled; a draft one is deleted with DELETE /receivables/%s.", r.ID)
	case r.Status == StatusIssued && len(r.RelatedDocuments.CreditNoteIDs) > 0:
		return Errorf(ECONFLICT, "Invoice %s has credit notes (%s); credit the rest of it with another credit note instead of canceling it.",
			r.ID, strings.Join(r.RelatedDocuments.CreditNoteIDs, ", "))
	case r.Status == StatusIssued:
		return nil
	case r.Status == StatusDraft:
		return Errorf(ECONFLICT, "A draft invoice is not canceled but deleted: DELETE /receivables/%s.", r.ID)
	default:
		return Errorf(ECONFLICT, "Only issued, unpaid invoices can be canceled; this invoice is %s.", r.Status)
	}
}

// TakesIssuedUpdate reports whether an issued invoice may still change what leaves its amounts and
// customer alone (Monite's UpdateIssuedInvoice: memo, footer, ...): one that is issued or partially
// paid may; a paid or canceled invoice is final.
func (r *Receivable) TakesIssuedUpdate() bool {
	return r.Status == StatusIssued || r.Status == StatusPartiallyPaid
}

// ReceivableEntity is the issuing entity as printed on the invoice when it was created.
type ReceivableEntity struct {
	Type                  string  `json:"type"`
	Name                  *string `json:"name,omitempty"`
	FirstName             *string `json:"first_name,omitempty"`
	LastName              *string `json:"last_name,omitempty"`
	Email                 *string `json:"email,omitempty"`
	Phone                 *string `json:"phone,omitempty"`
	Website               *string `json:"website,omitempty"`
	TaxID                 *string `json:"tax_id,omitempty"`
	RegistrationNumber    *string `json:"registration_number,omitempty"`
	RegistrationAuthority *string `json:"registration_authority,omitempty"`
}

// ReceivableAddress is an address as printed on an invoice.
type ReceivableAddress struct {
	ID         *string `json:"id,omitempty"`
	Country    string  `json:"country"`
	City       string  `json:"city"`
	PostalCode string  `json:"postal_code"`
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2,omitempty"`
	State      *string `json:"state,omitempty"`
}

// RelatedDocuments lists documents related to an invoice: the credit notes issued against it.
type RelatedDocuments struct {
	CreditNoteIDs []string `json:"credit_note_ids"`
}

// TotalVATAmount is the VAT of all lines with one rate.
type TotalVATAmount struct {
	Value         int64 `json:"value"`
	Amount        int64 `json:"amount"`
	TaxableAmount int64 `json:"taxable_amount"`
}

// Discount is a line or invoice discount: Amount is minor units for type amount and percent minor
// units (12.5% is 1250) for type percentage. Value is the discount in minor units as computed.
type Discount struct {
	Type   string `json:"type"`
	Amount int64  `json:"amount"`
	Value  *int64 `json:"value,omitempty"`
}

// LineItem is one line of an invoice, with the product as it was when the line was set (a catalog
// product is copied so that later edits to the catalog do not change issued invoices).
type LineItem struct {
	Quantity            Quantity    `json:"quantity"`
	Product             LineProduct `json:"product"`
	Discount            *Discount   `json:"discount,omitempty"`
	TotalBeforeVAT      int64       `json:"total_before_vat"`
	TotalAfterVAT       int64       `json:"total_after_vat"`
	TaxRateValue        int64       `json:"-"`
	TaxRateName         *string     `json:"-"`
	AccountingTaxRateID *string     `json:"-"`
	// VatRateID is the VAT rate (from GET /vat_rates) the line was given, if it was given one.
	VatRateID *string `json:"-"`
	// VatRateKind is why that VAT rate applies (reverse charge, export, ...), kept with the line so
	// that its push books it with the accounting system's rate of that kind; empty for a line
	// whose rate was given by its value.
	VatRateKind VATRateKind `json:"-"`
}

// lineItemStored is a LineItem with the fields the API response nests elsewhere, for storage.
type lineItemStored struct {
	Quantity            Quantity    `json:"quantity"`
	Product             LineProduct `json:"product"`
	Discount            *Discount   `json:"discount,omitempty"`
	TotalBeforeVAT      int64       `json:"total_before_vat"`
	TotalAfterVAT       int64       `json:"total_after_vat"`
	TaxRateValue        int64       `json:"tax_rate_value"`
	TaxRateName         *string     `json:"tax_rate_name,omitempty"`
	AccountingTaxRateID *string     `json:"accounting_tax_rate_id,omitempty"`
	VatRateID           *string     `json:"vat_rate_id,omitempty"`
	VatRateKind         VATRateKind `json:"vat_rate_kind,omitempty"`
}

// MarshalStored encodes line items with every field, for the store.
func MarshalStoredLines(lines []LineItem) ([]byte, error) {
	out := make([]lineItemStored, len(lines))
	for i, l := range lines {
		out[i] = lineItemStored(l)
	}
	return json.Marshal(out)
}

// UnmarshalStoredLines decodes line items written by MarshalStoredLines.
func UnmarshalStoredLines(b []byte) ([]LineItem, error) {
	var in []lineItemStored
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]LineItem, len(in))
	for i, l := range in {
		out[i] = LineItem(l)
	}
	return out, nil
}

// LineProduct is the product of an invoice line: a copy of a catalog product, or an inline product
// defined on the line itself. JSON tags give Monite's LineItemProduct shape.
type LineProduct struct {
	ID                  string      `json:"id"`
	Name                string      `json:"name"`
	Description         *string     `json:"description,omitempty"`
	Type                string      `json:"type,omitempty"`
	IsInline            bool        `json:"is_inline"`
	LedgerAccountID     *string     `json:"ledger_account_id,omitempty"`
	AccountingTaxRateID *string     `json:"accounting_tax_rate_id,omitempty"`
	ExternalReference   *string     `json:"external_reference,omitempty"`
	Price               Price       `json:"price"`
	PriceAfterVAT       Price       `json:"price_after_vat"`
	VATRate             LineVATRate `json:"vat_rate"`
	// CatalogDeleted reports, when a push plans the line, that its catalog product was deleted
	// after the invoice was issued, so the line's copy is all there is and cannot be edited.
	CatalogDeleted bool `json:"-"`
}

// LineVATRate is the VAT rate of a line: Value in percent minor units.
type LineVATRate struct {
	// ID is the VAT rate's id from GET /vat_rates; empty for a rate given by its value.
	ID       string  `json:"id,omitempty"`
	Value    int64   `json:"value"`
	Country  string  `json:"country"`
	Name     *string `json:"name,omitempty"`
	IsCustom bool    `json:"is_custom"`
}

// Quantity is a decimal quantity. It is exact (no binary floating point) and reads and writes as a
// JSON number, as Monite's API has it.
type Quantity struct{ decimal.Decimal }

// MarshalJSON writes the quantity as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.Decimal.String()), nil }

// UnmarshalJSON reads a JSON number (a quoted number is also accepted).
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("quantity %q is not a number", s)
	}
	q.Decimal = d
	return nil
}
