package booksync

import (
	"encoding/json"
	"time"
)

// Entity types and statuses, as Monite names them.
const (
	EntityTypeOrganization = "organization"
	EntityTypeIndividual   = "individual"
	EntityStatusActive     = "active"
)

// Entity is a business a partner platform manages: the issuer of invoices, and the owner of one set
// of books in an accounting system. JSON tags give Monite's EntityResponse shape.
type Entity struct {
	ID                    string        `json:"id"`
	PartnerID             string        `json:"-"`
	CreatedAt             time.Time     `json:"created_at"`
	UpdatedAt             time.Time     `json:"updated_at"`
	Type                  string        `json:"type"`
	Status                string        `json:"status"`
	Email                 *string       `json:"email"`
	Phone                 *string       `json:"phone,omitempty"`
	Website               *string       `json:"website,omitempty"`
	TaxID                 *string       `json:"tax_id,omitempty"`
	RegistrationNumber    *string       `json:"registration_number,omitempty"`
	RegistrationAuthority *string       `json:"registration_authority,omitempty"`
	Address               EntityAddress `json:"address"`
	Organization          *Organization `json:"organization,omitempty"`
	Individual            *Individual   `json:"individual,omitempty"`
}

// Name is how documents and ledgers name the entity: the organization's legal name, or the
// individual's first and last name.
func (e *Entity) Name() string {
	if e.Organization != nil {
		return e.Organization.LegalName
	}
	if e.Individual != nil {
		return e.Individual.FirstName + " " + e.Individual.LastName
	}
	return ""
}

// Clone returns a deep copy of e: a change made through any pointer of the copy leaves e as it
// was, so that one kept entity can be handed to many requests.
func (e *Entity) Clone() *Entity {
	c := *e
	c.Email, c.Phone, c.Website = clonePtr(e.Email), clonePtr(e.Phone), clonePtr(e.Website)
	c.TaxID, c.RegistrationNumber, c.RegistrationAuthority = clonePtr(e.TaxID), clonePtr(e.RegistrationNumber), clonePtr(e.RegistrationAuthority)
	c.Address.Line2, c.Address.State = clonePtr(e.Address.Line2), clonePtr(e.Address.State)
	if e.Organization != nil {
		o := *e.Organization
		o.BusinessStructure, o.LegalEntityID = clonePtr(o.BusinessStructure), clonePtr(o.LegalEntityID)
		c.Organization = &o
	}
	if e.Individual != nil {
		i := *e.Individual
		i.Title, i.DateOfBirth, i.IDNumber = clonePtr(i.Title), clonePtr(i.DateOfBirth), clonePtr(i.IDNumber)
		c.Individual = &i
	}
	return &c
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// EntityAddress is an entity's registered address.
type EntityAddress struct {
	Country    string  `json:"country"`
	City       string  `json:"city"`
	PostalCode string  `json:"postal_code"`
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2,omitempty"`
	State      *string `json:"state,omitempty"`
}

// Organization holds the fields of an entity of type organization.
type Organization struct {
	LegalName         string  `json:"legal_name"`
	BusinessStructure *string `json:"business_structure,omitempty"`
	LegalEntityID     *string `json:"legal_entity_id,omitempty"`
}

// Individual holds the fields of an entity of type individual.
type Individual struct {
	FirstName   string  `json:"first_name"`
	LastName    string  `json:"last_name"`
	Title       *string `json:"title,omitempty"`
	DateOfBirth *string `json:"date_of_birth,omitempty"`
	IDNumber    *string `json:"id_number,omitempty"`
}

// VAT modes: whether product prices exclude or include VAT.
const (
	VATModeExclusive = "exclusive"
	VATModeInclusive = "inclusive"
)

// Settings are an entity's settings. booksync acts on VATMode and Accounting; every other key a
// caller sets (Monite has many) is kept in Other and returned as it was given.
type Settings struct {
	VATMode    string              `json:"vat_mode"`
	Accounting *AccountingSettings `json:"accounting"`
	Other      map[string]json.RawMessage
}

// AccountingSettings says which ledger accounts and tax rates a push uses when an object does not
// name its own.
type AccountingSettings struct {
	LedgerAccountIDs *DefaultLedgerAccountIDs `json:"ledger_account_ids"`
	TaxIDs           *DefaultAccountingTaxIDs `json:"tax_ids"`
}

// DefaultLedgerAccountIDs are the entity's default ledger accounts.
type DefaultLedgerAccountIDs struct {
	// Products is the ledger account for invoice lines whose product names none.
	Products *string `json:"products"`
	// Payments is the ledger account that payment records are pushed to.
	Payments *string `json:"payments"`
}

// DefaultAccountingTaxIDs are the entity's default accounting tax rates.
type DefaultAccountingTaxIDs struct {
	// Deductions is the accounting tax rate used to push invoice deductions.
	Deductions *string `json:"deductions"`
}

// EffectiveVATMode returns the VAT mode new invoices use: exclusive unless set otherwise.
func (s *Settings) EffectiveVATMode() string {
	if s == nil || s.VATMode == "" {
		return VATModeExclusive
	}
	return s.VATMode
}

// MarshalJSON writes the settings as one object: the keys booksync knows and the ones it keeps.
func (s Settings) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(s.Other)+3)
	for k, v := range s.Other {
		out[k] = v
	}
	out["vat_mode"] = s.EffectiveVATMode()
	if _, ok := out["vat_inclusive_discount_mode"]; !ok {
		out["vat_inclusive_discount_mode"] = VATModeExclusive
	}
	out["accounting"] = s.Accounting
	return json.Marshal(out)
}

// UnmarshalJSON reads the keys booksync knows into fields and keeps the rest in Other.
func (s *Settings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = Settings{Other: map[string]json.RawMessage{}}
	for k, v := range raw {
		var err error
		switch k {
		case "vat_mode":
			var m *string
			err = json.Unmarshal(v, &m)
			if m != nil {
				s.VATMode = *m
			}
		case "accounting":
			err = json.Unmarshal(v, &s.Accounting)
		default:
			s.Other[k] = v
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// MergeSettings applies a PATCH body to settings: a key that is present replaces the stored value
// (null clears it), nested objects merge key by key, and absent keys are kept. Clearing vat_mode
// returns it to the default, exclusive.
func MergeSettings(s Settings, patch map[string]any) (Settings, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return s, err
	}
	var cur map[string]any
	if err := json.Unmarshal(b, &cur); err != nil {
		return s, err
	}
	mergeJSON(cur, patch)
	b, err = json.Marshal(cur)
	if err != nil {
		return s, err
	}
	var out Settings
	if err := json.Unmarshal(b, &out); err != nil {
		return s, err
	}
	return out, nil
}

func mergeJSON(dst, patch map[string]any) {
	for k, v := range patch {
		pm, pok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if pok && dok {
			mergeJSON(dm, pm)
			continue
		}
		dst[k] = v
	}
}
