package api

import (
	"net/http"
	"strings"

	"github.com/booksync/booksync"
)

// createCreditNote answers POST /receivables with Monite's ReceivableCreateBasedOnPayload: a draft
// credit note of an issued or partially paid invoice of the entity, with a copy of its customer,
// currency and lines.
func (s *Server) createCreditNote(w http.ResponseWriter, r *http.Request, basedOn string) {
	ent := entityOf(r)
	inv, err := s.store.Receivable(r.Context(), ent.ID, strings.ToLower(basedOn))
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		s.writeError(w, r, booksync.Errorf(booksync.ENOTFOUND, "Receivable %s, which based_on names, does not exist for this entity.", basedOn))
		return
	} else if err != nil {
		s.writeError(w, r, err)
		return
	}
	cn, err := booksync.NewCreditNote(*inv, newID(), s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.CreateReceivable(r.Context(), &cn); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, cn)
}

// creditNoteInput is what booksync takes of Monite's UpdateCreditNote, for a draft credit note.
type creditNoteInput struct {
	CounterpartBillingAddressID  *string                         `json:"counterpart_billing_address_id"`
	CounterpartShippingAddressID *string                         `json:"counterpart_shipping_address_id"`
	Memo                         *string                         `json:"memo"`
	Footer                       *string                         `json:"footer"`
	PartnerMetadata              map[string]any                  `json:"partner_metadata"`
	LineItems                    map[string]creditNoteLineUpdate `json:"line_items"`
}

// creditNoteLineUpdate is Monite's UpdateProductForCreditNote: the new quantity of the line with
// the product (the key of line_items), and optionally how much less its price is (price_diff); when
// several lines have the product, old_price says which.
type creditNoteLineUpdate struct {
	Quantity  booksync.Quantity `json:"quantity"`
	PriceDiff *int64            `json:"price_diff"`
	OldPrice  *int64            `json:"old_price"`
}

// applyCreditNoteInput applies a PATCH of a draft credit note and recomputes its totals.
func (s *Server) applyCreditNoteInput(r *http.Request, cn *booksync.Receivable, in *creditNoteInput) error {
	loc := []any{"body", "credit_note"}
	at := func(field ...any) []any { return append(append([]any{}, loc...), field...) }
	if in.CounterpartBillingAddressID != nil || in.CounterpartShippingAddressID != nil {
		addrs := &receivableInput{CounterpartBillingAddressID: in.CounterpartBillingAddressID,
			CounterpartShippingAddressID: in.CounterpartShippingAddressID}
		if err := s.applyCounterpart(r, cn, addrs, at); err != nil {
			return err
		}
	}
	setStr(&cn.Memo, in.Memo)
	setStr(&cn.Footer, in.Footer)
	if in.PartnerMetadata != nil {
		cn.PartnerMetadata = in.PartnerMetadata
	}
	lines := append([]booksync.LineItem(nil), cn.LineItems...)
	for productID, u := range in.LineItems {
		field := at("line_items", productID)
		i := -1
		for j, l := range lines {
			if strings.EqualFold(l.Product.ID, productID) && (u.OldPrice == nil || l.Product.Price.Value == *u.OldPrice) {
				i = j
				break
			}
		}
		if i < 0 {
			return booksync.FieldErrorf("value_error", field, "Credit note %s has no line with product %s (and old_price, if given); its lines name the products they were copied with.", cn.ID, productID)
		}
		l := &lines[i]
		l.Quantity = u.Quantity
		if u.PriceDiff != nil {
			if *u.PriceDiff >= l.Product.Price.Value {
				return booksync.FieldErrorf("value_error", append(field, "price_diff"), "price_diff %d must be less than the line's price, %d (minor units).", *u.PriceDiff, l.Product.Price.Value)
			}
			l.Product.Price.Value -= *u.PriceDiff
		}
	}
	cn.LineItems = lines
	return cn.ComputeTotals(at("line_items")...)
}
