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
		// Countries that changed their standard rate after the reduced rates' source was published
		// (Finland 2024-09, Slovakia and Estonia 2025, Romania 2025-08): the current standard rate
		// alone, never the reduced rates of before.
		{"FI", true, 2550, nil},
		{"SK", true, 2300, nil},
		{"EE", true, 2400, nil},
		{"RO", true, 2100, nil},
		{"NL", true, 2100, []int64{900}},
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
