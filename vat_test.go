package booksync_test

import (
	"slices"
	"testing"
	"time"

	"github.com/booksync/booksync"
)

func TestApplicableVATRates(t *testing.T) {
	de := booksync.CountryVAT{Country: "DE", EU: true, Standard: 1900, Reduced: []int64{700}}
	gb := booksync.CountryVAT{Country: "GB", Standard: 2000, Reduced: []int64{500}}
	asOf := time.Date(2026, 5, 19, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		seller     booksync.CountryVAT
		registered bool
		to         booksync.VATParty
		want       []booksync.VATRateKind
		values     []int64
	}{
		{"no counterpart", de, true, booksync.VATParty{}, []booksync.VATRateKind{"standard", "reduced"}, []int64{1900, 700}},
		{"not registered", de, false, booksync.VATParty{Known: true, Country: "DE"}, []booksync.VATRateKind{"not_registered"}, []int64{0}},
		{"domestic", de, true, booksync.VATParty{Known: true, Country: "DE"}, []booksync.VATRateKind{"standard", "reduced"}, []int64{1900, 700}},
		{"no address", de, true, booksync.VATParty{Known: true}, []booksync.VATRateKind{"standard", "reduced"}, []int64{1900, 700}},
		{"EU business", de, true, booksync.VATParty{Known: true, Country: "FR", InEU: true, EUVatID: true}, []booksync.VATRateKind{"reverse_charge"}, []int64{0}},
		{"EU consumer", de, true, booksync.VATParty{Known: true, Country: "FR", InEU: true}, []booksync.VATRateKind{"standard", "reduced"}, []int64{1900, 700}},
		{"export", de, true, booksync.VATParty{Known: true, Country: "US"}, []booksync.VATRateKind{"export"}, []int64{0}},
		{"GB to FR business", gb, true, booksync.VATParty{Known: true, Country: "FR", InEU: true, EUVatID: true}, []booksync.VATRateKind{"export"}, []int64{0}},
	} {
		got := booksync.ApplicableVATRates(tc.seller, tc.registered, tc.to, asOf)
		var k []booksync.VATRateKind
		var v []int64
		for _, r := range got {
			k, v = append(k, r.Kind), append(v, r.Value)
			if r.Country != tc.seller.Country {
				t.Errorf("%s: rate of country %s, want the seller's %s", tc.name, r.Country, tc.seller.Country)
			}
		}
		if !slices.Equal(k, tc.want) || !slices.Equal(v, tc.values) {
			t.Errorf("%s: got kinds %v values %v, want %v %v", tc.name, k, v, tc.want, tc.values)
		}
	}
	a := booksync.ApplicableVATRates(de, true, booksync.VATParty{}, asOf)
	b := booksync.ApplicableVATRates(de, true, booksync.VATParty{Known: true, Country: "FR", InEU: true}, asOf.AddDate(1, 0, 0))
	if a[0].ID != b[0].ID || a[0].ID == a[1].ID {
		t.Errorf("ids %s %s %s: want the same rate to keep its id and different rates to differ", a[0].ID, b[0].ID, a[1].ID)
	}
}

func TestCounterpartTaxNumber(t *testing.T) {
	taxID := "12/345"
	c := &booksync.Counterpart{TaxID: &taxID}
	if got := booksync.CounterpartTaxNumber(c, nil); got != taxID {
		t.Errorf("without VAT ids: %q, want the tax_id", got)
	}
	if got := booksync.CounterpartTaxNumber(c, []booksync.VatID{{Value: "FR1"}}); got != "FR1" {
		t.Errorf("with a VAT id: %q, want it", got)
	}
	if got := booksync.CounterpartTaxNumber(&booksync.Counterpart{}, nil); got != "" {
		t.Errorf("neither: %q, want empty", got)
	}
}
