package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/vatrates"
)

// vatIDInput is Monite's CounterpartVatID, EntityVatID or their update payloads.
type vatIDInput struct {
	Country *string `json:"country"`
	Type    *string `json:"type"`
	Value   *string `json:"value"`
}

func (in vatIDInput) apply(v *booksync.VatID) {
	if in.Country != nil {
		v.Country = *in.Country
	}
	if in.Type != nil {
		v.Type = *in.Type
	}
	if in.Value != nil {
		v.Value = strings.TrimSpace(*in.Value)
	}
	if v.Type == "" {
		v.Type = booksync.VatIDTypeUnknown
	}
}

// vatIDOwner reads the owner of the VAT ids a request names: a counterpart of the request's entity
// (/counterparts/{counterpart_id}/vat_ids), or an entity of the partner (/entities/{entity_id}/vat_ids).
func (s *Server) vatIDOwner(r *http.Request) (entityID, counterpartID string, err error) {
	if r.PathValue("counterpart_id") != "" {
		c, err := s.counterpartFromPath(r)
		if err != nil {
			return "", "", err
		}
		return c.EntityID, c.ID, nil
	}
	e, err := s.entityFromPath(r)
	if err != nil {
		return "", "", err
	}
	return e.ID, "", nil
}

// vatIDPath is the name of the path parameter holding a VAT id's id: Monite calls it vat_id under
// counterparts and id under entities.
func vatIDPath(counterpartID string) string {
	if counterpartID != "" {
		return "vat_id"
	}
	return "id"
}

func (s *Server) listVatIDs(w http.ResponseWriter, r *http.Request) {
	entityID, counterpartID, err := s.vatIDOwner(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := s.store.VatIDs(r.Context(), entityID, counterpartID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]*booksync.VatID, len(ids))
	for i := range ids {
		out[i] = servedVatID(&ids[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) postVatID(w http.ResponseWriter, r *http.Request) {
	entityID, counterpartID, err := s.vatIDOwner(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in vatIDInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v := &booksync.VatID{ID: newID(), EntityID: entityID, CounterpartID: counterpartID}
	in.apply(v)
	if v.Value == "" {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", "value"}, "value must be the VAT id itself, not empty."))
		return
	}
	if err := s.store.CreateVatID(r.Context(), v); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, servedVatID(v))
}

// servedVatID hides the entity id of a counterpart's VAT id, which Monite's
// CounterpartVatIDResponse does not have.
func servedVatID(v *booksync.VatID) *booksync.VatID {
	if v.CounterpartID == "" {
		return v
	}
	out := *v
	out.EntityID = ""
	return &out
}

func (s *Server) vatIDFromPath(r *http.Request) (*booksync.VatID, error) {
	entityID, counterpartID, err := s.vatIDOwner(r)
	if err != nil {
		return nil, err
	}
	return s.ownedVatID(r, entityID, counterpartID)
}

// ownedVatID reads the VAT id the path names, of the entity (counterpartID empty) or of its counterpart.
func (s *Server) ownedVatID(r *http.Request, entityID, counterpartID string) (*booksync.VatID, error) {
	id, err := pathID(r, vatIDPath(counterpartID), "VAT id")
	if err != nil {
		return nil, err
	}
	return s.store.VatID(r.Context(), entityID, counterpartID, id)
}

func (s *Server) getVatID(w http.ResponseWriter, r *http.Request) {
	v, err := s.vatIDFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, servedVatID(v))
}

func (s *Server) patchVatID(w http.ResponseWriter, r *http.Request) {
	entityID, counterpartID, err := s.vatIDOwner(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in vatIDInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.ownedVatID(r, entityID, counterpartID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in.apply(v)
	if v.Value == "" {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", "value"}, "value must be the VAT id itself, not empty."))
		return
	}
	if err := s.store.UpdateVatID(r.Context(), v); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, servedVatID(v))
}

func (s *Server) deleteVatID(w http.ResponseWriter, r *http.Request) {
	v, err := s.vatIDFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteVatID(r.Context(), v.EntityID, v.CounterpartID, v.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// vatRateQuery names the parties of a sale whose VAT rates are asked for (GET /vat_rates's query).
type vatRateQuery struct {
	counterpartID, counterpartAddressID, counterpartVatIDID, entityVatIDID string
	// billingCountry, when set, is the counterpart's country as an invoice's billing address has it.
	billingCountry string
}

// applicableVatRates returns the VAT rates that apply between the entity and the counterpart q names.
func (s *Server) applicableVatRates(ctx context.Context, ent *booksync.Entity, q vatRateQuery) ([]booksync.VatRate, error) {
	table, err := vatrates.Load()
	if err != nil {
		return nil, err
	}
	entityIDs, err := s.store.VatIDs(ctx, ent.ID, "")
	if err != nil {
		return nil, err
	}
	sellerCountry := ent.Address.Country
	if q.entityVatIDID != "" {
		var found *booksync.VatID
		for i := range entityIDs {
			if entityIDs[i].ID == q.entityVatIDID {
				found = &entityIDs[i]
			}
		}
		if found == nil {
			return nil, booksync.FieldErrorf("value_error", []any{"query", "entity_vat_id_id"}, "VAT id %s is not one of this entity's; list them with GET /entities/%s/vat_ids.", q.entityVatIDID, ent.ID)
		}
		if found.Country != "" {
			sellerCountry = found.Country
		}
	}
	seller, ok := table.Country(sellerCountry)
	if !ok {
		return nil, booksync.Errorf(booksync.EINVALID, "booksync has no VAT rates for %q (sales taxes there are not VAT); give each line's rate in tax_rate_value instead of vat_rate_id.", sellerCountry)
	}
	to := booksync.VATParty{}
	if q.counterpartID != "" {
		c, err := s.store.Counterpart(ctx, ent.ID, q.counterpartID)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return nil, booksync.FieldErrorf("value_error", []any{"query", "counterpart_id"}, "Counterpart %s does not exist for this entity.", q.counterpartID)
		} else if err != nil {
			return nil, err
		}
		to.Known = true
		to.Country = q.billingCountry
		if to.Country == "" {
			if to.Country, err = s.counterpartCountry(ctx, c, q.counterpartAddressID); err != nil {
				return nil, err
			}
		}
		ids, err := s.store.VatIDs(ctx, ent.ID, c.ID)
		if err != nil {
			return nil, err
		}
		if q.counterpartVatIDID != "" {
			var kept []booksync.VatID
			for _, v := range ids {
				if v.ID == q.counterpartVatIDID {
					kept = append(kept, v)
				}
			}
			if kept == nil {
				return nil, booksync.FieldErrorf("value_error", []any{"query", "counterpart_vat_id_id"}, "VAT id %s is not one of counterpart %s's; list them with GET /counterparts/%s/vat_ids.", q.counterpartVatIDID, c.ID, c.ID)
			}
			ids = kept
		}
		to.InEU = table.InEU(to.Country)
		for _, v := range ids {
			country := v.Country
			if country == "" {
				country = to.Country
			}
			if table.InEU(country) && (v.Type == booksync.VatIDTypeEUVat || v.Type == booksync.VatIDTypeUnknown) {
				to.EUVatID = true
			}
		}
	} else if q.counterpartAddressID != "" || q.counterpartVatIDID != "" {
		return nil, booksync.FieldErrorf("missing", []any{"query", "counterpart_id"}, "counterpart_address_id and counterpart_vat_id_id need counterpart_id, the counterpart they belong to.")
	}
	return booksync.ApplicableVATRates(seller, len(entityIDs) > 0, to, vatrates.DataDate), nil
}

// counterpartCountry is the country of the counterpart's address addressID, else of its default
// billing address, else of its first address; empty when it has none.
func (s *Server) counterpartCountry(ctx context.Context, c *booksync.Counterpart, addressID string) (string, error) {
	addrs, err := s.store.CounterpartAddresses(ctx, c.EntityID, c.ID)
	if err != nil {
		return "", err
	}
	want := addressID
	if want == "" && c.DefaultBillingAddressID != nil {
		want = *c.DefaultBillingAddressID
	}
	for _, a := range addrs {
		if a.ID == want {
			return a.Country, nil
		}
	}
	if addressID != "" {
		return "", booksync.FieldErrorf("value_error", []any{"query", "counterpart_address_id"}, "Address %s is not an address of counterpart %s; list them with GET /counterparts/%s/addresses.", addressID, c.ID, c.ID)
	}
	if len(addrs) > 0 {
		return addrs[0].Country, nil
	}
	return "", nil
}

func (s *Server) listVatRates(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	// product_type is reserved in Monite's API: the same rates apply to products and services.
	if pt, ok := qv["product_type"]; ok && (len(pt) != 1 || pt[0] != "product" && pt[0] != "service") {
		s.writeError(w, r, booksync.FieldErrorf("enum", []any{"query", "product_type"}, "Input should be 'product' or 'service', got %q.", truncate(strings.Join(pt, ","), 32)))
		return
	}
	q := vatRateQuery{
		counterpartID:        strings.ToLower(qv.Get("counterpart_id")),
		counterpartAddressID: strings.ToLower(qv.Get("counterpart_address_id")),
		counterpartVatIDID:   strings.ToLower(qv.Get("counterpart_vat_id_id")),
		entityVatIDID:        strings.ToLower(qv.Get("entity_vat_id_id")),
	}
	rates, err := s.applicableVatRates(r.Context(), entityOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": rates})
}
