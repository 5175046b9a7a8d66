package booksync

import "time"

// Counterpart types, as Monite names them.
const (
	CounterpartTypeOrganization = "organization"
	CounterpartTypeIndividual   = "individual"
)

// Counterpart is a customer or vendor of an entity. Invoices are issued to counterparts, and a
// push creates or matches the counterpart as a contact in the accounting system. JSON tags give
// Monite's CounterpartResponse shape.
type Counterpart struct {
	ID                       string                   `json:"id"`
	EntityID                 string                   `json:"-"`
	CreatedAt                time.Time                `json:"created_at"`
	UpdatedAt                time.Time                `json:"updated_at"`
	Type                     string                   `json:"type"`
	CreatedAutomatically     bool                     `json:"created_automatically"`
	DefaultBillingAddressID  *string                  `json:"default_billing_address_id,omitempty"`
	DefaultShippingAddressID *string                  `json:"default_shipping_address_id,omitempty"`
	ExternalReference        *string                  `json:"external_reference,omitempty"`
	Language                 *string                  `json:"language,omitempty"`
	RemindersEnabled         bool                     `json:"reminders_enabled"`
	TaxID                    *string                  `json:"tax_id,omitempty"`
	Organization             *CounterpartOrganization `json:"organization,omitempty"`
	Individual               *CounterpartIndividual   `json:"individual,omitempty"`
}

// Name is the counterpart's display name: the organization's legal name, or the individual's first
// and last name. Accounting systems match contacts by it.
func (c *Counterpart) Name() string {
	if c.Organization != nil {
		return c.Organization.LegalName
	}
	if c.Individual != nil {
		return c.Individual.FirstName + " " + c.Individual.LastName
	}
	return ""
}

// IsCustomer reports whether invoices may be issued to the counterpart.
func (c *Counterpart) IsCustomer() bool {
	if c.Organization != nil {
		return c.Organization.IsCustomer
	}
	return c.Individual != nil && c.Individual.IsCustomer
}

// Email returns the counterpart's email, if any.
func (c *Counterpart) Email() *string {
	if c.Organization != nil {
		return c.Organization.Email
	}
	if c.Individual != nil {
		return c.Individual.Email
	}
	return nil
}

// CounterpartOrganization holds the fields of a counterpart of type organization.
type CounterpartOrganization struct {
	LegalName  string  `json:"legal_name"`
	IsCustomer bool    `json:"is_customer"`
	IsVendor   bool    `json:"is_vendor"`
	Email      *string `json:"email,omitempty"`
	Phone      *string `json:"phone,omitempty"`
}

// CounterpartIndividual holds the fields of a counterpart of type individual.
type CounterpartIndividual struct {
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	Title      *string `json:"title,omitempty"`
	IsCustomer bool    `json:"is_customer"`
	IsVendor   bool    `json:"is_vendor"`
	Email      *string `json:"email,omitempty"`
	Phone      *string `json:"phone,omitempty"`
}

// CounterpartAddress is one address of a counterpart. JSON tags give Monite's
// CounterpartAddressResponseWithCounterpartID shape.
type CounterpartAddress struct {
	ID            string  `json:"id"`
	CounterpartID string  `json:"counterpart_id"`
	Country       string  `json:"country"`
	City          string  `json:"city"`
	PostalCode    string  `json:"postal_code"`
	Line1         string  `json:"line1"`
	Line2         *string `json:"line2,omitempty"`
	State         *string `json:"state,omitempty"`
}
