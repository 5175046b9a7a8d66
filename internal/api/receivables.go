package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

type discountInput struct {
	Type   string `json:"type"`
	Amount int64  `json:"amount"`
}

func (d *discountInput) discount() *booksync.Discount {
	if d == nil {
		return nil
	}
	return &booksync.Discount{Type: d.Type, Amount: d.Amount}
}

type inlineProductInput struct {
	Name              string         `json:"name"`
	Description       *string        `json:"description"`
	Type              *string        `json:"type"`
	Price             booksync.Price `json:"price"`
	LedgerAccountID   *string        `json:"ledger_account_id"`
	ExternalReference *string        `json:"external_reference"`
}

// lineInput is a LineItem of a create payload or of PUT line_items, or a LineItemUpdate of a PATCH.
// Fields of Monite's schemas that booksync does not serve (custom_vat_rate_id, measure units) are not in
// the served schemas, so the request validator refuses them before a handler runs.
type lineInput struct {
	Quantity            *booksync.Quantity  `json:"quantity"`
	ProductID           *string             `json:"product_id"`
	Product             *inlineProductInput `json:"product"`
	Price               *int64              `json:"price"`
	TaxRateValue        *int64              `json:"tax_rate_value"`
	TaxRateName         *string             `json:"tax_rate_name"`
	AccountingTaxRateID *string             `json:"accounting_tax_rate_id"`
	VatRateID           *string             `json:"vat_rate_id"`
	Discount            *discountInput      `json:"discount"`
}

// receivableInput is an invoice create payload, or the "invoice" object of a PATCH of a draft. A
// create payload with based_on is Monite's ReceivableCreateBasedOnPayload: a credit note.
type receivableInput struct {
	Type                         string          `json:"type"`
	BasedOn                      *string         `json:"based_on"`
	CounterpartID                *string         `json:"counterpart_id"`
	CounterpartBillingAddressID  *string         `json:"counterpart_billing_address_id"`
	CounterpartShippingAddressID *string         `json:"counterpart_shipping_address_id"`
	Currency                     *string         `json:"currency"`
	LineItems                    *[]lineInput    `json:"line_items"`
	Discount                     json.RawMessage `json:"discount"`
	DeductionAmount              *int64          `json:"deduction_amount"`
	DeductionMemo                *string         `json:"deduction_memo"`
	DocumentID                   *string         `json:"document_id"`
	Memo                         *string         `json:"memo"`
	Footer                       *string         `json:"footer"`
	CommercialCondition          *string         `json:"commercial_condition_description"`
	PurchaseOrder                *string         `json:"purchase_order"`
	TradeName                    *string         `json:"trade_name"`
	PaymentPageURL               *string         `json:"payment_page_url"`
	PartnerMetadata              map[string]any  `json:"partner_metadata"`
	FulfillmentDate              *string         `json:"fulfillment_date"`
	VATMode                      *string         `json:"vat_mode"`
	VATExempt                    *bool           `json:"vat_exempt"`
	VATExemptionRationale        *string         `json:"vat_exemption_rationale"`
	CounterpartVatIDID           *string         `json:"counterpart_vat_id_id"`
	EntityVatIDID                *string         `json:"entity_vat_id_id"`
	// IsEInvoice may only be false (the served schema says so): booksync sends no e-invoices.
	IsEInvoice *bool `json:"is_einvoice"`
}

func (s *Server) postReceivable(w http.ResponseWriter, r *http.Request) {
	var in receivableInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.BasedOn != nil {
		s.createCreditNote(w, r, *in.BasedOn)
		return
	}
	ent := entityOf(r)
	settings, err := entitySettings(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	rec := &booksync.Receivable{
		ID: newID(), EntityID: ent.ID, CreatedAt: now, UpdatedAt: now, Type: booksync.ReceivableTypeInvoice,
		Status: booksync.StatusDraft, Currency: *in.Currency, VATMode: settings.EffectiveVATMode(),
		VATInclusiveDiscountMode: booksync.VATModeExclusive, FileLanguage: "en", OriginalFileLanguage: "en",
		RelatedDocuments: booksync.RelatedDocuments{CreditNoteIDs: []string{}},
		Entity:           receivableEntity(ent),
		EntityAddress: booksync.ReceivableAddress{Country: ent.Address.Country, City: ent.Address.City,
			PostalCode: ent.Address.PostalCode, Line1: ent.Address.Line1, Line2: ent.Address.Line2, State: ent.Address.State},
	}
	if err := s.applyReceivableInput(r, rec, &in, []any{"body"}); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.CreateReceivable(r.Context(), rec); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

func receivableEntity(e *booksync.Entity) booksync.ReceivableEntity {
	re := booksync.ReceivableEntity{Type: e.Type, Email: e.Email, Phone: e.Phone, Website: e.Website, TaxID: e.TaxID,
		RegistrationNumber: e.RegistrationNumber, RegistrationAuthority: e.RegistrationAuthority}
	if e.Organization != nil {
		name := e.Organization.LegalName
		re.Name = &name
	}
	if e.Individual != nil {
		first, last := e.Individual.FirstName, e.Individual.LastName
		re.FirstName, re.LastName = &first, &last
	}
	return re
}

// applyReceivableInput applies a create or update payload to a draft invoice, resolving and
// checking every id it names, and recomputes the totals. loc is where the payload sits in the
// body: ("body") for a create, ("body", "invoice") for a PATCH.
func (s *Server) applyReceivableInput(r *http.Request, rec *booksync.Receivable, in *receivableInput, loc []any) error {
	at := func(field ...any) []any { return append(append([]any{}, loc...), field...) }
	if in.Currency != nil && *in.Currency != rec.Currency {
		if in.LineItems == nil && len(rec.LineItems) > 0 {
			return booksync.FieldErrorf("value_error", at("currency"), "Changing the currency from %s to %s needs new line_items in %s as well.", rec.Currency, *in.Currency, *in.Currency)
		}
		rec.Currency = *in.Currency
	}
	if in.CounterpartID != nil || in.CounterpartBillingAddressID != nil || in.CounterpartShippingAddressID != nil {
		if err := s.applyCounterpart(r, rec, in, at); err != nil {
			return err
		}
	}
	if err := s.applyVatIDs(r, rec, in, at); err != nil {
		return err
	}
	if in.VATMode != nil {
		rec.VATMode = *in.VATMode
	}
	if in.VATExempt != nil {
		rec.VATExempt = in.VATExempt
	}
	setStr(&rec.VATExemptionRationale, in.VATExemptionRationale)
	if len(in.Discount) > 0 {
		var d *discountInput
		if err := json.Unmarshal(in.Discount, &d); err != nil {
			return booksync.FieldErrorf("value_error", at("discount"), "discount must be {type, amount}.")
		}
		rec.Discount = d.discount()
	}
	if in.DeductionAmount != nil {
		v := *in.DeductionAmount
		rec.DeductionAmount = &v
	}
	setStr(&rec.DeductionMemo, in.DeductionMemo)
	if in.DocumentID != nil {
		rec.DocumentID = in.DocumentID
	}
	setStr(&rec.Memo, in.Memo)
	setStr(&rec.Footer, in.Footer)
	setStr(&rec.CommercialCondition, in.CommercialCondition)
	setStr(&rec.PurchaseOrder, in.PurchaseOrder)
	setStr(&rec.TradeName, in.TradeName)
	setStr(&rec.PaymentPageURL, in.PaymentPageURL)
	setStr(&rec.FulfillmentDate, in.FulfillmentDate)
	if in.PartnerMetadata != nil {
		rec.PartnerMetadata = in.PartnerMetadata
	}
	if in.LineItems != nil {
		var lines []booksync.LineItem
		var err error
		if loc[len(loc)-1] == "invoice" {
			lines, err = s.updateLines(r, rec, *in.LineItems, at("line_items"))
		} else {
			lines, err = s.resolveLines(r, rec, *in.LineItems, at("line_items"))
		}
		if err != nil {
			return err
		}
		rec.LineItems = lines
	}
	if rec.LineItems == nil {
		rec.LineItems = []booksync.LineItem{}
	}
	if err := s.checkLineVatRates(r, rec, at); err != nil {
		return err
	}
	if err := s.checkLineRateKinds(r.Context(), rec, at); err != nil {
		return err
	}
	return rec.ComputeTotals(at("line_items")...)
}

// applyCounterpart sets the invoice's counterpart and addresses, copying them onto the invoice.
func (s *Server) applyCounterpart(r *http.Request, rec *booksync.Receivable, in *receivableInput, at func(...any) []any) error {
	cpID := rec.CounterpartID
	if in.CounterpartID != nil {
		cpID = strings.ToLower(*in.CounterpartID)
	}
	cp, addrs, err := s.store.CounterpartWithAddresses(r.Context(), rec.EntityID, cpID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return booksync.FieldErrorf("value_error", at("counterpart_id"), "Counterpart %s does not exist for this entity; create it with POST /counterparts or list them with GET /counterparts.", cpID)
	} else if err != nil {
		return err
	}
	if !cp.IsCustomer() {
		return booksync.FieldErrorf("value_error", at("counterpart_id"), "Counterpart %s is not a customer; set is_customer to true with PATCH /counterparts/%s before invoicing it.", cp.ID, cp.ID)
	}
	changed := cp.ID != rec.CounterpartID
	rec.CounterpartID, rec.CounterpartType, rec.CounterpartName = cp.ID, cp.Type, cp.Name()
	rec.CounterpartTaxID, rec.CounterpartExternalRef = cp.TaxID, cp.ExternalReference
	find := func(field string, id *string) (*booksync.ReceivableAddress, error) {
		for _, a := range addrs {
			if strings.EqualFold(a.ID, *id) {
				return &booksync.ReceivableAddress{ID: &a.ID, Country: a.Country, City: a.City, PostalCode: a.PostalCode,
					Line1: a.Line1, Line2: a.Line2, State: a.State}, nil
			}
		}
		return nil, booksync.FieldErrorf("value_error", at(field), "Address %s is not an address of counterpart %s; list them with GET /counterparts/%s/addresses.", *id, cp.ID, cp.ID)
	}
	billing := in.CounterpartBillingAddressID
	if billing == nil && changed {
		billing = cp.DefaultBillingAddressID
	}
	if billing != nil {
		a, err := find("counterpart_billing_address_id", billing)
		if err != nil {
			return err
		}
		rec.CounterpartBillingAddress = a
	} else if changed {
		return booksync.FieldErrorf("missing", at("counterpart_billing_address_id"), "Field required: the counterpart's billing address id.")
	}
	if in.CounterpartShippingAddressID != nil {
		a, err := find("counterpart_shipping_address_id", in.CounterpartShippingAddressID)
		if err != nil {
			return err
		}
		rec.CounterpartShippingAddress = a
	} else if changed {
		rec.CounterpartShippingAddress = nil
	}
	return nil
}

// applyVatIDs sets the VAT ids the invoice names: counterpart_vat_id_id must be a VAT id of the
// invoice's counterpart and entity_vat_id_id one of the entity's (else a 422 naming the field).
// A change of counterpart drops the VAT id of the one before.
func (s *Server) applyVatIDs(r *http.Request, rec *booksync.Receivable, in *receivableInput, at func(...any) []any) error {
	if rec.CounterpartVatID != nil && rec.CounterpartVatID.CounterpartID != rec.CounterpartID {
		rec.CounterpartVatID = nil
	}
	if in.CounterpartVatIDID != nil {
		id := strings.ToLower(*in.CounterpartVatIDID)
		v, err := s.store.VatID(r.Context(), rec.EntityID, rec.CounterpartID, id)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return booksync.FieldErrorf("value_error", at("counterpart_vat_id_id"), "VAT id %s is not one of counterpart %s's; list them with GET /counterparts/%s/vat_ids.", id, rec.CounterpartID, rec.CounterpartID)
		} else if err != nil {
			return err
		}
		v.EntityID = ""
		rec.CounterpartVatID = v
	}
	if in.EntityVatIDID != nil {
		id := strings.ToLower(*in.EntityVatIDID)
		v, err := s.store.VatID(r.Context(), rec.EntityID, "", id)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return booksync.FieldErrorf("value_error", at("entity_vat_id_id"), "VAT id %s is not one of this entity's; list them with GET /entities/%s/vat_ids.", id, rec.EntityID)
		} else if err != nil {
			return err
		}
		if v.Country == "" {
			v.Country = rec.EntityAddress.Country
		}
		rec.EntityVatID = v
	}
	return nil
}

// resolveLines turns request lines into invoice lines: a catalog product is copied onto the line,
// an inline product is kept as given, and every price must be in the invoice's currency.
func (s *Server) resolveLines(r *http.Request, rec *booksync.Receivable, in []lineInput, loc []any) ([]booksync.LineItem, error) {
	if err := s.checkAccountingRefs(r.Context(), rec.EntityID, lineRefs(in, loc)); err != nil {
		return nil, err
	}
	out := make([]booksync.LineItem, 0, len(in))
	country := entityOf(r).Address.Country
	rates := &lineRates{s: s, r: r, rec: rec}
	for i, li := range in {
		at := func(field ...any) []any { return append(append(append([]any{}, loc...), i), field...) }
		var p booksync.LineProduct
		switch {
		case li.ProductID != nil && li.Product != nil:
			return nil, booksync.FieldErrorf("value_error", at("product"), "Give either product_id or product on a line, not both.")
		case li.ProductID != nil:
			prod, err := s.store.Product(r.Context(), rec.EntityID, strings.ToLower(*li.ProductID))
			if booksync.ErrorCode(err) == booksync.ENOTFOUND {
				return nil, booksync.FieldErrorf("value_error", at("product_id"), "Product %s does not exist for this entity; create it with POST /products or list them with GET /products.", *li.ProductID)
			} else if err != nil {
				return nil, err
			}
			if prod.Price == nil {
				return nil, booksync.FieldErrorf("value_error", at("product_id"), "Product %s has no price; set one with PATCH /products/%s.", prod.ID, prod.ID)
			}
			p = booksync.LineProduct{ID: prod.ID, Name: prod.Name, Description: prod.Description, Type: prod.Type,
				LedgerAccountID: prod.LedgerAccountID, ExternalReference: prod.ExternalReference, Price: *prod.Price}
		case li.Product != nil:
			typ := booksync.ProductTypeProduct
			if li.Product.Type != nil {
				typ = *li.Product.Type
			}
			var account *string
			if li.Product.LedgerAccountID != nil {
				id := strings.ToLower(*li.Product.LedgerAccountID)
				account = &id
			}
			p = booksync.LineProduct{ID: newID(), Name: li.Product.Name, Description: li.Product.Description, Type: typ,
				IsInline: true, LedgerAccountID: account, ExternalReference: li.Product.ExternalReference,
				Price: li.Product.Price}
		default:
			return nil, booksync.FieldErrorf("missing", at("product_id"), "Field required: each line needs product_id (a catalog product) or product (an inline product).")
		}
		if p.Price.Currency != rec.Currency {
			field := at("product_id")
			if p.IsInline {
				field = at("product", "price", "currency")
			}
			return nil, booksync.FieldErrorf("value_error", field, "Currency mismatch: the product's price is in %s but the invoice is in %s.", p.Price.Currency, rec.Currency)
		}
		var rate *booksync.VatRate
		if li.VatRateID != nil {
			var err error
			if rate, err = rates.resolve(li, at); err != nil {
				return nil, err
			}
			v := rate.Value
			li.TaxRateValue = &v
		}
		line, err := lineTax(li, rec, at)
		if err != nil {
			return nil, err
		}
		line.Product = p
		line.Product.AccountingTaxRateID = line.AccountingTaxRateID
		line.Product.VATRate = booksync.LineVATRate{Value: line.TaxRateValue, Country: country, Name: line.TaxRateName, IsCustom: true}
		if rate != nil {
			id := rate.ID
			line.VatRateID, line.VatRateKind = &id, rate.Kind
			line.Product.VATRate = booksync.LineVATRate{ID: id, Value: rate.Value, Country: rate.Country, Name: line.TaxRateName}
		}
		out = append(out, line)
	}
	return out, nil
}

// invoiceVatRates returns the VAT rates that apply between the invoice's entity and its counterpart,
// in the country of the invoice's billing address.
func (s *Server) invoiceVatRates(r *http.Request, rec *booksync.Receivable) ([]booksync.VatRate, error) {
	q := vatRateQuery{counterpartID: rec.CounterpartID}
	if a := rec.CounterpartBillingAddress; a != nil {
		q.billingCountry = a.Country
	}
	if rec.CounterpartVatID != nil {
		q.counterpartVatIDID = rec.CounterpartVatID.ID
	}
	if rec.EntityVatID != nil {
		q.entityVatIDID = rec.EntityVatID.ID
	}
	return s.applicableVatRates(r.Context(), entityOf(r), q)
}

// checkLineVatRates refuses a draft whose lines name a VAT rate that no longer applies to it (its
// counterpart or billing address changed since the rate was chosen), naming what a reverse-charged
// line lacks: its counterpart's VAT id of an EU member state.
func (s *Server) checkLineVatRates(r *http.Request, rec *booksync.Receivable, at func(...any) []any) error {
	var rates []booksync.VatRate
	for i, l := range rec.LineItems {
		if l.VatRateID == nil {
			continue
		}
		if rates == nil {
			var err error
			if rates, err = s.invoiceVatRates(r, rec); err != nil {
				return err
			}
		}
		line := func(field ...any) []any { return append(at("line_items", i), field...) }
		_, err := lineVatRate(*l.VatRateID, rates, rec, line)
		if err != nil && l.VatRateKind == booksync.VATRateReverseCharge {
			return booksync.FieldErrorf("value_error", line("vat_rate_id"), "Line %d is reverse-charged (vat_rate_id %s), but counterpart %s has no VAT id of an EU member state to charge it to; add one with POST /counterparts/%s/vat_ids, or give the line a rate from GET /vat_rates?counterpart_id=%s with PATCH /receivables/%s.",
				i+1, *l.VatRateID, rec.CounterpartID, rec.CounterpartID, rec.CounterpartID, rec.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lineRates resolves the vat_rate_id of an invoice's lines, reading the rates that apply to the
// invoice at the first one.
type lineRates struct {
	s     *Server
	r     *http.Request
	rec   *booksync.Receivable
	rates []booksync.VatRate
}

// resolve returns the rate a line's vat_rate_id names, refusing one that does not apply to the
// invoice or that disagrees with the line's tax_rate_value.
func (lr *lineRates) resolve(li lineInput, at func(...any) []any) (*booksync.VatRate, error) {
	if lr.rates == nil {
		var err error
		if lr.rates, err = lr.s.invoiceVatRates(lr.r, lr.rec); err != nil {
			return nil, err
		}
	}
	rate, err := lineVatRate(*li.VatRateID, lr.rates, lr.rec, at)
	if err != nil {
		return nil, err
	}
	if li.TaxRateValue != nil && *li.TaxRateValue != rate.Value {
		return nil, booksync.FieldErrorf("value_error", at("tax_rate_value"), "tax_rate_value %d disagrees with vat_rate_id %s, whose rate is %d; give one of them.", *li.TaxRateValue, rate.ID, rate.Value)
	}
	return rate, nil
}

// lineVatRate finds a line's vat_rate_id among the rates that apply to the invoice.
func lineVatRate(id string, rates []booksync.VatRate, rec *booksync.Receivable, at func(...any) []any) (*booksync.VatRate, error) {
	id = strings.ToLower(id)
	for i := range rates {
		if rates[i].ID == id {
			return &rates[i], nil
		}
	}
	return nil, booksync.FieldErrorf("value_error", at("vat_rate_id"), "VAT rate %s does not apply to this entity and counterpart %s; list the rates that do with GET /vat_rates?counterpart_id=%s.", id, rec.CounterpartID, rec.CounterpartID)
}

// lineTax reads a line's quantity, tax and discount.
func lineTax(li lineInput, rec *booksync.Receivable, at func(...any) []any) (booksync.LineItem, error) {
	var line booksync.LineItem
	if li.Quantity == nil {
		return line, booksync.FieldErrorf("missing", at("quantity"), "Field required: quantity.")
	}
	line.Quantity = *li.Quantity
	switch {
	case li.TaxRateValue != nil:
		line.TaxRateValue = *li.TaxRateValue
	case rec.VATExempt != nil && *rec.VATExempt:
		line.TaxRateValue = 0
	default:
		return line, booksync.FieldErrorf("missing", at("tax_rate_value"), "Field required: tax_rate_value, the line's tax rate in percent minor units (20%% is 2000; 0 for no tax).")
	}
	if rec.VATExempt != nil && *rec.VATExempt && line.TaxRateValue != 0 {
		return line, booksync.FieldErrorf("value_error", at("tax_rate_value"), "The invoice is VAT exempt, so every line's tax_rate_value must be 0.")
	}
	line.TaxRateName = li.TaxRateName
	if li.AccountingTaxRateID != nil {
		id := strings.ToLower(*li.AccountingTaxRateID)
		line.AccountingTaxRateID = &id
	}
	line.Discount = li.Discount.discount()
	return line, nil
}

// updateLines applies a PATCH's line_items (Monite's LineItemUpdate, which names no product) to the
// invoice's lines position by position.
func (s *Server) updateLines(r *http.Request, rec *booksync.Receivable, in []lineInput, loc []any) ([]booksync.LineItem, error) {
	if len(in) != len(rec.LineItems) {
		return nil, booksync.FieldErrorf("value_error", loc, "PATCH updates the invoice's %d lines in place, so line_items must have %d items; replace lines with PUT /receivables/%s/line_items.", len(rec.LineItems), len(rec.LineItems), rec.ID)
	}
	out := append([]booksync.LineItem(nil), rec.LineItems...)
	rates := &lineRates{s: s, r: r, rec: rec}
	for i, li := range in {
		l := &out[i]
		if li.Quantity != nil {
			l.Quantity = *li.Quantity
		}
		if li.Price != nil {
			l.Product.Price.Value = *li.Price
		}
		switch {
		case li.VatRateID != nil:
			at := func(field ...any) []any { return append(append(append([]any{}, loc...), i), field...) }
			rate, err := rates.resolve(li, at)
			if err != nil {
				return nil, err
			}
			id := rate.ID
			l.VatRateID, l.VatRateKind = &id, rate.Kind
			l.TaxRateValue = rate.Value
			l.Product.VATRate.ID, l.Product.VATRate.Value, l.Product.VATRate.Country, l.Product.VATRate.IsCustom = id, rate.Value, rate.Country, false
		case li.TaxRateValue != nil:
			// A rate given by its value replaces the VAT rate the line had.
			l.VatRateID, l.VatRateKind = nil, ""
			l.TaxRateValue = *li.TaxRateValue
			l.Product.VATRate.ID, l.Product.VATRate.IsCustom = "", true
			l.Product.VATRate.Value = *li.TaxRateValue
		}
		if li.TaxRateName != nil {
			l.TaxRateName = li.TaxRateName
			l.Product.VATRate.Name = li.TaxRateName
		}
		if li.Discount != nil {
			l.Discount = li.Discount.discount()
		}
	}
	return out, nil
}

func (s *Server) receivableFromPath(r *http.Request) (*booksync.Receivable, error) {
	id, err := pathID(r, "receivable_id", "Receivable")
	if err != nil {
		return nil, err
	}
	return s.store.Receivable(r.Context(), entityOf(r).ID, id)
}

func (s *Server) getReceivable(w http.ResponseWriter, r *http.Request) {
	rec, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// receivablePatch is Monite's ReceivableUpdatePayload as booksync serves it: UpdateInvoicePayload
// for a draft, UpdateIssuedInvoicePayload for an issued one, UpdateCreditNotePayload for a draft
// credit note. The schema lets exactly one through.
type receivablePatch struct {
	Invoice       *receivableInput    `json:"invoice"`
	IssuedInvoice *issuedInvoiceInput `json:"issued_invoice"`
	CreditNote    *creditNoteInput    `json:"credit_note"`
}

// issuedInvoiceInput is what booksync accepts of Monite's UpdateIssuedInvoice: the fields that
// change neither what the invoice charges nor to whom, which its books already hold.
type issuedInvoiceInput struct {
	Memo            *string        `json:"memo"`
	Footer          *string        `json:"footer"`
	FulfillmentDate *string        `json:"fulfillment_date"`
	PartnerMetadata map[string]any `json:"partner_metadata"`
}

func (in *issuedInvoiceInput) apply(rec *booksync.Receivable) {
	setStr(&rec.Memo, in.Memo)
	setStr(&rec.Footer, in.Footer)
	setStr(&rec.FulfillmentDate, in.FulfillmentDate)
	if in.PartnerMetadata != nil {
		rec.PartnerMetadata = in.PartnerMetadata
	}
}

// patchReceivable updates an invoice as Monite does: a draft takes {"invoice": ...} and may change
// everything; an issued or partially paid invoice takes {"issued_invoice": ...} with the few
// fields that leave its amounts alone; a paid or canceled invoice changes no more.
func (s *Server) patchReceivable(w http.ResponseWriter, r *http.Request) {
	rec, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body receivablePatch
	if err := s.decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case rec.IsCreditNote():
		if !rec.IsMutable() {
			s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This credit note is %s and can no longer be updated; only a draft credit note can.", rec.Status))
			return
		}
		if body.CreditNote == nil {
			s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This receivable is a draft credit note: update it with {\"credit_note\": {...}}."))
			return
		}
		if err := s.applyCreditNoteInput(r, rec, body.CreditNote); err != nil {
			s.writeError(w, r, err)
			return
		}
	case body.CreditNote != nil:
		s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This receivable is an invoice, not a credit note: update it with {\"invoice\": {...}} or {\"issued_invoice\": {...}}."))
		return
	case rec.IsMutable():
		if body.Invoice == nil {
			s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This invoice is a draft: update it with {\"invoice\": {...}}; issued_invoice is for invoices that were issued."))
			return
		}
		if err := s.applyReceivableInput(r, rec, body.Invoice, []any{"body", "invoice"}); err != nil {
			s.writeError(w, r, err)
			return
		}
	case rec.TakesIssuedUpdate():
		if body.IssuedInvoice == nil {
			s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This invoice is %s, so its lines, amounts and customer no longer change: update its memo, footer, fulfillment_date or partner_metadata with {\"issued_invoice\": {...}}, or cancel it with POST /receivables/%s/cancel.", rec.Status, rec.ID))
			return
		}
		body.IssuedInvoice.apply(rec)
	default:
		s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "This invoice is %s and can no longer be updated.", rec.Status))
		return
	}
	rec.UpdatedAt = s.now()
	if err := s.store.UpdateReceivable(r.Context(), rec); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

type lineItemsBody struct {
	Data []lineInput `json:"data"`
}

func (s *Server) putLineItems(w http.ResponseWriter, r *http.Request) {
	rec, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body lineItemsBody
	if err := s.decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !rec.IsMutable() {
		s.writeError(w, r, booksync.Errorf(booksync.ECONFLICT, "An issued invoice cannot change its lines; this invoice is %s.", rec.Status))
		return
	}
	lines, err := s.resolveLines(r, rec, body.Data, []any{"body", "data"})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec.LineItems = lines
	if err := rec.ComputeTotals("body", "data"); err != nil {
		s.writeError(w, r, err)
		return
	}
	rec.UpdatedAt = s.now()
	if err := s.store.UpdateReceivable(r.Context(), rec); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": rec.LineItems})
}

func (s *Server) issueReceivable(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "receivable_id", "Receivable")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	read, err := s.store.ReceivableWithCounterpart(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec := read.Receivable
	if rec.Status != booksync.StatusDraft {
		// The refusal the store gives, checked first so that it wins over the checks below.
		s.writeError(w, r, &store.StatusError{Object: "receivable", Action: "issue", Status: rec.Status})
		return
	}
	if len(rec.LineItems) == 0 {
		s.writeError(w, r, booksync.Errorf(booksync.EINVALID, "An invoice needs at least one line item to be issued; add lines with PUT /receivables/%s/line_items.", rec.ID))
		return
	}
	if !read.CounterpartLive {
		s.writeError(w, r, booksync.Errorf(booksync.EINVALID, "The invoice's counterpart %s was deleted; choose another with PATCH /receivables/%s.", rec.CounterpartID, rec.ID))
		return
	}
	if err := s.checkVatAtIssue(r, rec); err != nil {
		s.writeError(w, r, err)
		return
	}
	if rec.IsCreditNote() && rec.BasedOn != nil && s.accounting != nil {
		// The books may hold payments booksync has not pulled yet: they would refuse the credit.
		if err := s.accounting.CheckCredit(r.Context(), rec.EntityID, *rec.BasedOn, rec.TotalAmount); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	// What is issued is the draft checked above: a change since gives a conflict.
	issued, err := s.invoices.IssueDraft(r.Context(), read, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issued)
}

// checkVatAtIssue refuses to issue a draft whose VAT no longer holds (a 422 naming the field): a
// VAT id it names was deleted since, or a line's VAT rate no longer applies to its entity and
// counterpart. A reverse-charged line needs its counterpart's VAT id of an EU member state: without
// one, the sale is taxed where it is made, and the invoice would leave the VAT uncharged. A line
// whose accounting_tax_rate_id is, in the books pulled since the draft was made, a rate for another
// kind of sale than its VAT rate is refused too (checkLineRateKinds). A credit note is not checked:
// it reverses its invoice's lines as they were issued.
func (s *Server) checkVatAtIssue(r *http.Request, rec *booksync.Receivable) error {
	if rec.IsCreditNote() {
		return nil
	}
	ctx := r.Context()
	if v := rec.CounterpartVatID; v != nil {
		if _, err := s.store.VatID(ctx, rec.EntityID, rec.CounterpartID, v.ID); booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return booksync.FieldErrorf("value_error", []any{"counterpart_vat_id_id"}, "The invoice's counterpart VAT id %s (%s) was deleted; add it again with POST /counterparts/%s/vat_ids and name it with PATCH /receivables/%s.", v.ID, v.Value, rec.CounterpartID, rec.ID)
		} else if err != nil {
			return err
		}
	}
	if v := rec.EntityVatID; v != nil {
		if _, err := s.store.VatID(ctx, rec.EntityID, "", v.ID); booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return booksync.FieldErrorf("value_error", []any{"entity_vat_id_id"}, "The invoice's entity VAT id %s (%s) was deleted; name another with PATCH /receivables/%s.", v.ID, v.Value, rec.ID)
		} else if err != nil {
			return err
		}
	}
	at := func(field ...any) []any { return field }
	if err := s.checkLineVatRates(r, rec, at); err != nil {
		return err
	}
	return s.checkLineRateKinds(ctx, rec, at)
}

func (s *Server) cancelReceivable(w http.ResponseWriter, r *http.Request) {
	rec, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// An invoice booksync may cancel, and that is in the books, is voided there, which the books
	// refuse while they hold payments against it: the engine asks them first. The service checks
	// the invoice again in its transaction.
	if err := rec.CheckCancel(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.accounting != nil {
		if err := s.accounting.CheckVoid(r.Context(), rec.EntityID, rec.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if _, err := s.invoices.Cancel(r.Context(), rec.EntityID, rec.ID, s.now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteReceivable(w http.ResponseWriter, r *http.Request) {
	rec, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteReceivable(r.Context(), rec.EntityID, rec.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listReceivables(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.ReceivableList, 250)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Each invoice goes out as stored, without being decoded and encoded again.
	page, err := s.store.ReceivablesJSON(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRawPage(w, r, page)
}
