package api

import (
	"net/http"

	"github.com/booksync/booksync"
)

type counterpartAddressInput struct {
	Country    string  `json:"country"`
	City       string  `json:"city"`
	PostalCode string  `json:"postal_code"`
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2"`
	State      *string `json:"state"`
}

func (a counterpartAddressInput) address(counterpartID string) *booksync.CounterpartAddress {
	return &booksync.CounterpartAddress{ID: newID(), CounterpartID: counterpartID, Country: a.Country, City: a.City,
		PostalCode: a.PostalCode, Line1: a.Line1, Line2: a.Line2, State: a.State}
}

// counterpartPartyInput is the organization or individual part of a create or update payload.
type counterpartPartyInput struct {
	LegalName  *string                  `json:"legal_name"`
	FirstName  *string                  `json:"first_name"`
	LastName   *string                  `json:"last_name"`
	Title      *string                  `json:"title"`
	IsCustomer *bool                    `json:"is_customer"`
	IsVendor   *bool                    `json:"is_vendor"`
	Email      *string                  `json:"email"`
	Phone      *string                  `json:"phone"`
	Address    *counterpartAddressInput `json:"address"`
}

type counterpartInput struct {
	Type                     string                 `json:"type"`
	ExternalReference        *string                `json:"external_reference"`
	Language                 *string                `json:"language"`
	RemindersEnabled         *bool                  `json:"reminders_enabled"`
	TaxID                    *string                `json:"tax_id"`
	DefaultBillingAddressID  *string                `json:"default_billing_address_id"`
	DefaultShippingAddressID *string                `json:"default_shipping_address_id"`
	Organization             *counterpartPartyInput `json:"organization"`
	Individual               *counterpartPartyInput `json:"individual"`
}

func setStr(dst **string, src *string) {
	if src != nil {
		*dst = src
	}
}

// apply copies the given fields onto c.
func (in *counterpartInput) apply(c *booksync.Counterpart) error {
	setStr(&c.ExternalReference, in.ExternalReference)
	setStr(&c.Language, in.Language)
	setStr(&c.TaxID, in.TaxID)
	if in.RemindersEnabled != nil {
		c.RemindersEnabled = *in.RemindersEnabled
	}
	if o := in.Organization; o != nil {
		if c.Type != booksync.CounterpartTypeOrganization {
			return booksync.FieldErrorf("value_error", []any{"body", "organization"}, "This counterpart is an individual; update it with individual, not organization.")
		}
		if c.Organization == nil {
			c.Organization = &booksync.CounterpartOrganization{}
		}
		p := c.Organization
		if o.LegalName != nil {
			p.LegalName = *o.LegalName
		}
		if o.IsCustomer != nil {
			p.IsCustomer = *o.IsCustomer
		}
		if o.IsVendor != nil {
			p.IsVendor = *o.IsVendor
		}
		setStr(&p.Email, o.Email)
		setStr(&p.Phone, o.Phone)
	}
	if i := in.Individual; i != nil {
		if c.Type != booksync.CounterpartTypeIndividual {
			return booksync.FieldErrorf("value_error", []any{"body", "individual"}, "This counterpart is an organization; update it with organization, not individual.")
		}
		if c.Individual == nil {
			c.Individual = &booksync.CounterpartIndividual{}
		}
		p := c.Individual
		if i.FirstName != nil {
			p.FirstName = *i.FirstName
		}
		if i.LastName != nil {
			p.LastName = *i.LastName
		}
		if i.IsCustomer != nil {
			p.IsCustomer = *i.IsCustomer
		}
		if i.IsVendor != nil {
			p.IsVendor = *i.IsVendor
		}
		setStr(&p.Title, i.Title)
		setStr(&p.Email, i.Email)
		setStr(&p.Phone, i.Phone)
	}
	return nil
}

func (s *Server) postCounterpart(w http.ResponseWriter, r *http.Request) {
	var in counterpartInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	c := &booksync.Counterpart{ID: newID(), EntityID: entityOf(r).ID, CreatedAt: now, UpdatedAt: now, Type: in.Type, RemindersEnabled: true}
	party := in.Organization
	if in.Type == booksync.CounterpartTypeIndividual {
		party = in.Individual
	}
	if party == nil {
		s.writeError(w, r, booksync.FieldErrorf("missing", []any{"body", in.Type}, "Field required: a counterpart of type %s needs %s.", in.Type, in.Type))
		return
	}
	if err := in.apply(c); err != nil {
		s.writeError(w, r, err)
		return
	}
	var addr *booksync.CounterpartAddress
	if party.Address != nil {
		addr = party.Address.address(c.ID)
	}
	if err := s.store.CreateCounterpart(r.Context(), c, addr); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) counterpartFromPath(r *http.Request) (*booksync.Counterpart, error) {
	id, err := pathID(r, "counterpart_id", "Counterpart")
	if err != nil {
		return nil, err
	}
	return s.store.Counterpart(r.Context(), entityOf(r).ID, id)
}

func (s *Server) getCounterpart(w http.ResponseWriter, r *http.Request) {
	c, err := s.counterpartFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) patchCounterpart(w http.ResponseWriter, r *http.Request) {
	c, err := s.counterpartFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in counterpartInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.apply(c); err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, ref := range []struct {
		id    *string
		dst   **string
		field string
	}{{in.DefaultBillingAddressID, &c.DefaultBillingAddressID, "default_billing_address_id"},
		{in.DefaultShippingAddressID, &c.DefaultShippingAddressID, "default_shipping_address_id"}} {
		if ref.id == nil {
			continue
		}
		if _, err := s.counterpartAddress(r, c.ID, *ref.id); err != nil {
			s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", ref.field}, "Address %s is not an address of this counterpart; list them with GET /counterparts/%s/addresses.", *ref.id, c.ID))
			return
		}
		*ref.dst = ref.id
	}
	c.UpdatedAt = s.now()
	if err := s.store.UpdateCounterpart(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// counterpartAddress returns the address of a counterpart of the request's entity, or ENOTFOUND.
func (s *Server) counterpartAddress(r *http.Request, counterpartID, addressID string) (*booksync.CounterpartAddress, error) {
	addrs, err := s.store.CounterpartAddresses(r.Context(), entityOf(r).ID, counterpartID)
	if err != nil {
		return nil, err
	}
	for i := range addrs {
		if addrs[i].ID == addressID {
			return &addrs[i], nil
		}
	}
	return nil, booksync.Errorf(booksync.ENOTFOUND, "Address not found.")
}

func (s *Server) deleteCounterpart(w http.ResponseWriter, r *http.Request) {
	c, err := s.counterpartFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteCounterpart(r.Context(), c.EntityID, c.ID, s.now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCounterparts(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.CounterpartList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.Counterparts(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) listCounterpartAddresses(w http.ResponseWriter, r *http.Request) {
	c, err := s.counterpartFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addrs, err := s.store.CounterpartAddresses(r.Context(), c.EntityID, c.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if addrs == nil {
		addrs = []booksync.CounterpartAddress{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": addrs})
}

func (s *Server) postCounterpartAddress(w http.ResponseWriter, r *http.Request) {
	c, err := s.counterpartFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in counterpartAddressInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	a := in.address(c.ID)
	if err := s.store.CreateCounterpartAddress(r.Context(), c.EntityID, a); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}
