package vatrates

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
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
		// Reduced rates a dated second source shows are no longer in force (staleReduced).
		{"CZ", true, 2100, nil},
		{"LT", true, 2100, []int64{500}},
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

// TestWithheld pins the countries whose reduced rates booksync does not serve and the evidence for
// each: a standard rate that sales-tax, the maintained source, records changing after the newest
// period of vatrates' data (so vatrates is the stale one, not sales-tax), or a dated second source.
// A refresh of the data that changes the list fails here, for a person to look at the new list.
func TestWithheld(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if tab.ReducedAsOf() != "2021-01-01" {
		t.Errorf("ReducedAsOf = %q, want vatrates 2.0.3's newest period, 2021-01-01", tab.ReducedAsOf())
	}
	var standard map[string]salesTaxCountry
	b, _ := files.ReadFile("data/sales_tax_rates.json")
	if err := json.Unmarshal(b, &standard); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range tab.Withheld() {
		got = append(got, w.Country)
		if len(w.Rates) == 0 || w.Reason == "" {
			t.Errorf("%s: withheld %+v, want the rates and why", w.Country, w)
		}
		if c, _ := tab.Country(w.Country); slices.ContainsFunc(c.Reduced, func(v int64) bool { return slices.Contains(w.Rates, v) }) {
			t.Errorf("%s: serves %v, of which %v are withheld", w.Country, c.Reduced, w.Rates)
		}
		_, stale := staleReduced[w.Country]
		if w.AllReduced == stale {
			t.Errorf("%s: AllReduced %v, want it for a changed standard rate only", w.Country, w.AllReduced)
		}
		if changed := standard[w.Country].lastChange(); w.AllReduced && (changed <= tab.ReducedAsOf() || !strings.Contains(w.Reason, changed)) {
			t.Errorf("%s: sales-tax records its last change at %q, want one after %s, named in %q", w.Country, changed, tab.ReducedAsOf(), w.Reason)
		}
	}
	if want := []string{"CZ", "EE", "FI", "LT", "RO", "SK"}; !slices.Equal(got, want) {
		t.Errorf("withheld %v, want %v", got, want)
	}
}

// TestWithheldRatesAreInTheData: each rate of staleReduced is one vatrates' data holds for its
// country, so the list takes away only what the data would serve and goes when a refresh drops it.
func TestWithheldRatesAreInTheData(t *testing.T) {
	var data vatRatesFile
	b, _ := files.ReadFile("data/vatrates.json")
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	for country, stale := range staleReduced {
		var all []int64
		for _, rc := range data.Rates {
			if rc.CountryCode != country {
				continue
			}
			for _, p := range rc.Periods {
				for _, v := range append(append([]float64{}, p.Rates.Reduced...), p.Rates.SuperReduced, p.Rates.Parking) {
					all = append(all, minor(v, 100))
				}
			}
		}
		for _, v := range stale.rates {
			if !slices.Contains(all, v) {
				t.Errorf("%s: %d is not in vatrates' data (%v); drop it from staleReduced", country, v, all)
			}
		}
	}
}

// TestSourcesRecordTheDates: data/SOURCES, which scripts/vatrates-data writes from the packages,
// records the dates the code serves rates as of: DataDate is sales-tax's release, ReducedAsOf the
// newest period of vatrates' data.
func TestSourcesRecordTheDates(t *testing.T) {
	b, err := os.ReadFile("data/SOURCES")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nsales-tax 2.23.0 released " + DataDate.Format("2006-01-02") + "\n",
		"\nvatrates 2.0.3 newest-period " + tab.ReducedAsOf() + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("data/SOURCES lacks %q:\n%s", want, b)
		}
	}
}
