package vatrates

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code     string
		eu       bool
		standard int64
		reduced  []int64
	}{
		{"DE", true, 1900, []int64{700}},
		{"FR", true, 2000, []int64{1000, 550, 210}},
		{"GB", false, 2000, []int64{500}},
		{"AU", false, 1000, nil},
		// Finland changed its rates after the reduced rates' source was published: standard alone.
		{"FI", true, 2550, nil},
	} {
		c, ok := tab.Country(tc.code)
		if !ok || c.EU != tc.eu || c.Standard != tc.standard || !slices.Equal(c.Reduced, tc.reduced) {
			t.Errorf("%s: got %+v (found %v), want EU %v standard %d reduced %v", tc.code, c, ok, tc.eu, tc.standard, tc.reduced)
		}
	}
	if _, ok := tab.Country("US"); ok {
		t.Error("US: the data levies no VAT there, want not found")
	}
	if !tab.InEU("FR") || tab.InEU("GB") || tab.InEU("US") {
		t.Error("InEU: want FR in, GB and US out")
	}
}
