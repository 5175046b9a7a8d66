package api

import (
	"encoding/json"
	"net/http"

	"github.com/booksync/booksync"
)

type entityAddressInput struct {
	Country    *string `json:"country"`
	City       *string `json:"city"`
	PostalCode *string `json:"postal_code"`
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	State      *string `json:"state"`
}

type entityInput struct {
	Type                  string              `json:"type"`
	Email                 *string             `json:"email"`
	Phone                 *string             `json:"phone"`
	Website               *string             `json:"website"`
	TaxID                 *string             `json:"tax_id"`
	RegistrationNumber    *string             `json:"registration_number"`
	RegistrationAuthority *string             `json:"registration_authority"`
	Address               *entityAddressInput `json:"address"`
	Organization          *struct {
		LegalName         *string `json:"legal_name"`
		BusinessStructure *string `json:"business_structure"`
		LegalEntityID     *string `json:"legal_entity_id"`
	} `json:"organization"`
	Individual *struct {
		FirstName   *string `json:"first_name"`
		LastName    *string `json:"last_name"`
		Title       *string `json:"title"`
		DateOfBirth *string `json:"date_of_birth"`
		IDNumber    *string `json:"id_number"`
	} `json:"individual"`
}

// apply copies the fields present in the input onto e. On create every required field is present
// (the schema says so); on update only the given ones change.
func (in *entityInput) apply(e *booksync.Entity) error {
	set := func(dst **string, src *string) {
		if src != nil {
			*dst = src
		}
	}
	set(&e.Email, in.Email)
	set(&e.Phone, in.Phone)
	set(&e.Website, in.Website)
	set(&e.TaxID, in.TaxID)
	set(&e.RegistrationNumber, in.RegistrationNumber)
	set(&e.RegistrationAuthority, in.RegistrationAuthority)
	if a := in.Address; a != nil {
		setv := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		setv(&e.Address.Country, a.Country)
		setv(&e.Address.City, a.City)
		setv(&e.Address.PostalCode, a.PostalCode)
		setv(&e.Address.Line1, a.Line1)
		set(&e.Address.Line2, a.Line2)
		set(&e.Address.State, a.State)
	}
	if o := in.Organization; o != nil {
		if e.Type != booksync.EntityTypeOrganization {
			return booksync.FieldErrorf("value_error", []any{"body", "organization"}, "organization is only for entities of type organization; this one is %s.", e.Type)
		}
		if e.Organization == nil {
			e.Organization = &booksync.Organization{}
		}
		if o.LegalName != nil {
			e.Organization.LegalName = *o.LegalName
		}
		set(&e.Organization.BusinessStructure, o.BusinessStructure)
		set(&e.Organization.LegalEntityID, o.LegalEntityID)
	}
	if i := in.Individual; i != nil {
		if e.Type != booksync.EntityTypeIndividual {
			return booksync.FieldErrorf("value_error", []any{"body", "individual"}, "individual is only for entities of type individual; this one is %s.", e.Type)
		}
		if e.Individual == nil {
			e.Individual = &booksync.Individual{}
		}
		if i.FirstName != nil {
			e.Individual.FirstName = *i.FirstName
		}
		if i.LastName != nil {
			e.Individual.LastName = *i.LastName
		}
		set(&e.Individual.Title, i.Title)
		set(&e.Individual.DateOfBirth, i.DateOfBirth)
		set(&e.Individual.IDNumber, i.IDNumber)
	}
	return nil
}

func (s *Server) postEntity(w http.ResponseWriter, r *http.Request) {
	var in entityInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case in.Type == booksync.EntityTypeOrganization && in.Organization == nil:
		s.writeError(w, r, booksync.FieldErrorf("missing", []any{"body", "organization"}, "Field required: an entity of type organization needs organization.legal_name."))
		return
	case in.Type == booksync.EntityTypeIndividual && in.Individual == nil:
		s.writeError(w, r, booksync.FieldErrorf("missing", []any{"body", "individual"}, "Field required: an entity of type individual needs individual.first_name and last_name."))
		return
	}
	now := s.now()
	e := &booksync.Entity{ID: newID(), PartnerID: partnerID(r), CreatedAt: now, UpdatedAt: now, Type: in.Type, Status: booksync.EntityStatusActive}
	if err := in.apply(e); err != nil {
		s.writeError(w, r, err)
		return
	}
	settings := booksync.Settings{VATMode: booksync.VATModeExclusive, Other: map[string]json.RawMessage{}}
	if err := s.store.CreateEntity(r.Context(), e, settings); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) entityFromPath(r *http.Request) (*booksync.Entity, error) {
	id, err := pathID(r, "entity_id", "Entity")
	if err != nil {
		return nil, err
	}
	return s.store.Entity(r.Context(), partnerID(r), id)
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) {
	e, err := s.entityFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) patchEntity(w http.ResponseWriter, r *http.Request) {
	e, err := s.entityFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in entityInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.apply(e); err != nil {
		s.writeError(w, r, err)
		return
	}
	e.UpdatedAt = s.now()
	if err := s.store.UpdateEntity(r.Context(), e); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.EntityList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.Entities(r.Context(), partnerID(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	e, err := s.entityFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.store.Settings(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// patchSettings merges the body into the stored settings: a key that is present replaces the
// stored value (null clears it), nested objects merge key by key, and absent keys are kept.
func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	e, err := s.entityFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var patch map[string]any
	if err := s.decodeBody(r, &patch); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkAccountingRefs(r.Context(), e.ID, settingsRefs(patch)); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.store.Settings(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	merged, err := booksync.MergeSettings(st, patch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.UpdateSettings(r.Context(), e.ID, merged); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, merged)
}
