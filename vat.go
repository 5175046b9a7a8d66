package booksync

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// VAT id types, as Monite names the ones booksync reads (VatIDTypeEnum has more; any of them is stored).
const (
	VatIDTypeEUVat   = "eu_vat"
	VatIDTypeUnknown = "unknown"
)

// VatID is a VAT (or GST) registration number of a counterpart or of an entity. JSON tags give
// Monite's CounterpartVatIDResponse shape; an entity's id is served with entity_id instead of
// counterpart_id (EntityVatIDResponse).
type VatID struct {
	ID            string `json:"id"`
	CounterpartID string `json:"counterpart_id,omitempty"`
	EntityID      string `json:"entity_id,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type"`
	Value         string `json:"value"`
}

// CountryVAT is the VAT of one country as the rate data holds it: rates in percent minor units
// (19% is 1900).
type CountryVAT struct {
	Country string
	// EU reports whether the country is a member state of the European Union, whose sales to a
	// business registered for VAT in another member state are reverse-charged.
	EU       bool
	Standard int64
	// Reduced holds the reduced, super-reduced and parking rates, highest first, without repeats.
	Reduced []int64
}

// VATRateKind says why a rate applies between an entity and a counterpart.
type VATRateKind string

// The kinds of VAT rate booksync offers.
const (
	VATRateStandard      VATRateKind = "standard"
	VATRateReduced       VATRateKind = "reduced"
	VATRateReverseCharge VATRateKind = "reverse_charge"
	VATRateExport        VATRateKind = "export"
	// VATRateNotRegistered is the only rate of an entity that has given no VAT id: a business not
	// registered for VAT charges none.
	VATRateNotRegistered VATRateKind = "not_registered"
)

// VatRateComponent is one named part of a VAT rate (Monite's VatRateComponent2).
type VatRateComponent struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// VatRate is a VAT rate an entity may put on an invoice line. JSON tags give Monite's
// VatRateResponse shape: Value in percent minor units.
type VatRate struct {
	ID         string             `json:"id"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
	Country    string             `json:"country"`
	Value      int64              `json:"value"`
	Components []VatRateComponent `json:"components"`
	Status     string             `json:"status"`
	ValidFrom  *string            `json:"valid_from,omitempty"`
	Kind       VATRateKind        `json:"-"`
}

// vatRateNamespace makes VAT rate ids stable: the same country, kind and value always have the same id.
var vatRateNamespace = uuid.MustParse("5b0c7f3e-8d51-4b8a-9a8e-1f6f5c2b7a10")

// VATParty is the counterpart side of a sale, as far as VAT is concerned: its country (from its
// address; empty when unknown), whether that country is in the EU, and whether it gave a VAT id of
// an EU member state.
type VATParty struct {
	// Known is false when the sale names no counterpart: the seller's domestic rates apply.
	Known   bool
	Country string
	// InEU reports whether Country is a member state of the European Union.
	InEU    bool
	EUVatID bool
}

// ApplicableVATRates returns the VAT rates that apply to a sale by an entity whose country's VAT is
// seller to the counterpart to, as of the rate data's date asOf, as Monite selects them:
//   - the entity has no VAT id (registered is false): 0% alone;
//   - the counterpart is unknown, in the seller's country, or a consumer elsewhere in the EU: the
//     seller's standard and reduced rates;
//   - the seller is in the EU and the counterpart in another member state with an EU VAT id: 0%,
//     reverse charge (the buyer accounts for the VAT);
//   - the counterpart is outside the seller's country and, for an EU seller, outside the EU: 0%,
//     export.
func ApplicableVATRates(seller CountryVAT, registered bool, to VATParty, asOf time.Time) []VatRate {
	domestic := func() []VatRate {
		out := []VatRate{seller.rate(VATRateStandard, seller.Standard, asOf)}
		for _, v := range seller.Reduced {
			out = append(out, seller.rate(VATRateReduced, v, asOf))
		}
		return out
	}
	switch {
	case !registered:
		return []VatRate{seller.rate(VATRateNotRegistered, 0, asOf)}
	case !to.Known || to.Country == "" || to.Country == seller.Country:
		return domestic()
	case seller.EU && to.InEU && to.EUVatID:
		return []VatRate{seller.rate(VATRateReverseCharge, 0, asOf)}
	case seller.EU && to.InEU:
		return domestic()
	default:
		return []VatRate{seller.rate(VATRateExport, 0, asOf)}
	}
}

// VatRateIDOf is the id of a country's VAT rate of a kind and value: the same rate has the same id
// whatever the rate data's date.
func VatRateIDOf(country string, kind VATRateKind, value int64) string {
	return uuid.NewSHA1(vatRateNamespace, []byte(fmt.Sprintf("%s/%s/%d", country, kind, value))).String()
}

func (c CountryVAT) rate(kind VATRateKind, value int64, asOf time.Time) VatRate {
	name := map[VATRateKind]string{
		VATRateStandard:      "VAT standard rate",
		VATRateReduced:       "VAT reduced rate",
		VATRateReverseCharge: "VAT reverse charge (intra-EU business customer)",
		VATRateExport:        "VAT zero rate (export)",
		VATRateNotRegistered: "No VAT (entity not registered for VAT)",
	}[kind]
	from := asOf.Format(time.DateOnly)
	return VatRate{ID: VatRateIDOf(c.Country, kind, value), CreatedAt: asOf, UpdatedAt: asOf,
		Country: c.Country, Value: value, Components: []VatRateComponent{{Name: name, Value: float64(value)}},
		Status: "active", ValidFrom: &from, Kind: kind}
}

// TaxRateKindOf is the kind of sale an accounting system's 0% tax rate is for, read from its name
// where the system has no code for it: a name that says reverse charge ("Reverse charge (EU)",
// "0.0% ECS reverse charge") is VATRateReverseCharge, one that says export ("GST-free exports") is
// VATRateExport; any other, and any rate that is not 0% (rate in percent minor units), is empty.
func TaxRateKindOf(name string, rate int64) VATRateKind {
	n := strings.ToLower(name)
	switch {
	case rate != 0:
		return ""
	case strings.Contains(n, "reverse charge") || strings.Contains(n, "reverse-charge"):
		return VATRateReverseCharge
	case strings.Contains(n, "export"):
		return VATRateExport
	}
	return ""
}

// CounterpartTaxNumber is the tax number the books' contact for a counterpart gets: its first VAT
// id (the registration number its invoices are reverse-charged or zero-rated under), else its tax_id.
func CounterpartTaxNumber(c *Counterpart, vatIDs []VatID) string {
	for _, v := range vatIDs {
		if v.Value != "" {
			return v.Value
		}
	}
	if c.TaxID != nil {
		return *c.TaxID
	}
	return ""
}
