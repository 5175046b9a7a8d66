package booksync

import (
	"encoding/json"
	"time"
)

// DefaultCreditNotePrefix is the prefix of credit notes' document numbers (CN-00001, ...) unless the
// entity's settings give another in document_ids.document_type_prefix.credit_note, as Monite's do.
const DefaultCreditNotePrefix = "CN"

// CreditNotePrefix returns the prefix the entity's credit notes are numbered with.
func (s *Settings) CreditNotePrefix() string {
	if s == nil {
		return DefaultCreditNotePrefix
	}
	var ids struct {
		DocumentTypePrefix struct {
			CreditNote string `json:"credit_note"`
		} `json:"document_type_prefix"`
	}
	if raw, ok := s.Other["document_ids"]; ok && json.Unmarshal(raw, &ids) == nil && ids.DocumentTypePrefix.CreditNote != "" {
		return ids.DocumentTypePrefix.CreditNote
	}
	return DefaultCreditNotePrefix
}

// IsCreditNote reports whether the receivable is a credit note.
func (r *Receivable) IsCreditNote() bool { return r.Type == ReceivableTypeCreditNote }

// NewCreditNote returns a draft credit note of the invoice inv, with the given id and creation
// time: it credits the invoice's customer, in its currency, with a copy of its lines and invoice
// discount (edit them while the credit note is a draft to credit less). Only an issued or partially
// paid invoice can be credited: a draft is changed instead, a canceled one owes nothing, and a paid
// one has nothing left to credit (ECONFLICT).
func NewCreditNote(inv Receivable, id string, now time.Time) (Receivable, error) {
	if inv.IsCreditNote() {
		return Receivable{}, Errorf(ECONFLICT, "Receivable %s is a credit note; a credit note is based on an invoice.", inv.ID)
	}
	switch inv.Status {
	case StatusIssued, StatusPartiallyPaid:
	case StatusDraft:
		return Receivable{}, Errorf(ECONFLICT, "Invoice %s is a draft: change its lines with PATCH /receivables/%s instead of crediting it.", inv.ID, inv.ID)
	default:
		return Receivable{}, Errorf(ECONFLICT, "Only issued or partially paid invoices can be credited; invoice %s is %s.", inv.ID, inv.Status)
	}
	basedOn := inv.ID
	cn := Receivable{
		ID: id, EntityID: inv.EntityID, CreatedAt: now, UpdatedAt: now, Type: ReceivableTypeCreditNote,
		Status: StatusDraft, BasedOn: &basedOn, BasedOnDocumentID: inv.DocumentID, Currency: inv.Currency,
		CounterpartID: inv.CounterpartID, CounterpartType: inv.CounterpartType, CounterpartName: inv.CounterpartName,
		CounterpartTaxID: inv.CounterpartTaxID, CounterpartExternalRef: inv.CounterpartExternalRef,
		CounterpartBillingAddress: inv.CounterpartBillingAddress, CounterpartShippingAddress: inv.CounterpartShippingAddress,
		Entity: inv.Entity, EntityAddress: inv.EntityAddress, LineItems: append([]LineItem{}, inv.LineItems...),
		VATMode: inv.VATMode, VATInclusiveDiscountMode: inv.VATInclusiveDiscountMode, VATExempt: inv.VATExempt,
		VATExemptionRationale: inv.VATExemptionRationale, FileLanguage: inv.FileLanguage,
		OriginalFileLanguage: inv.OriginalFileLanguage, PurchaseOrder: inv.PurchaseOrder, TradeName: inv.TradeName,
		RelatedDocuments: RelatedDocuments{CreditNoteIDs: []string{}},
	}
	if inv.Discount != nil {
		d := Discount{Type: inv.Discount.Type, Amount: inv.Discount.Amount}
		cn.Discount = &d
	}
	if err := cn.ComputeTotals("body", "line_items"); err != nil {
		return Receivable{}, err
	}
	return cn, nil
}

// ApplyCreditNote returns the invoice inv after the credit note cn was issued against it at the
// given time: its amount due (and amount to pay, and total with credit notes) falls by the credit
// note's total, the credit note is listed in its related documents, and an invoice credited down to
// nothing is paid, as Monite has it: nothing more is owed on it. A credit note cannot credit more
// than the invoice still asks for, nor in another currency (ECONFLICT, naming both amounts); a
// refused credit leaves inv as it was.
func ApplyCreditNote(inv, cn Receivable, at time.Time) (Receivable, error) {
	if inv.IsCreditNote() || cn.BasedOn == nil || *cn.BasedOn != inv.ID {
		return inv, Errorf(ECONFLICT, "Credit note %s is not based on invoice %s.", cn.ID, inv.ID)
	}
	switch inv.Status {
	case StatusIssued, StatusPartiallyPaid:
	default:
		return inv, Errorf(ECONFLICT, "Credit note %s cannot be issued: its invoice %s is %s, and only an issued or partially paid invoice can be credited.", cn.ID, inv.ID, inv.Status)
	}
	if cn.Currency != inv.Currency {
		return inv, Errorf(ECONFLICT, "Credit note %s is in %s but its invoice %s is in %s.", cn.ID, cn.Currency, inv.ID, inv.Currency)
	}
	if cn.TotalAmount <= 0 {
		return inv, Errorf(EINVALID, "Credit note %s credits nothing (its total is %d); give it lines with PUT /receivables/%s/line_items.", cn.ID, cn.TotalAmount, cn.ID)
	}
	if cn.TotalAmount > inv.AmountDue {
		return inv, Errorf(ECONFLICT, "Credit note %s totals %d (minor units), more than its invoice %s still has due, %d; lower its lines with PUT /receivables/%s/line_items.",
			cn.ID, cn.TotalAmount, inv.ID, inv.AmountDue, cn.ID)
	}
	inv.AmountDue -= cn.TotalAmount
	inv.AmountToPay = inv.AmountDue
	inv.TotalAmountWithCreditNotes -= cn.TotalAmount
	inv.RelatedDocuments.CreditNoteIDs = append(append([]string{}, inv.RelatedDocuments.CreditNoteIDs...), cn.ID)
	if inv.AmountDue == 0 {
		inv.Status = StatusPaid
		t := at
		inv.PaidAt = &t
	}
	return inv, nil
}
