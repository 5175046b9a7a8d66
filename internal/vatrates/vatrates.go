// Package vatrates loads the VAT rates of every country booksync knows from the data files
// in data/ (their origin and how to refresh them are in README.md beside this file).
package vatrates

//go:generate ../../scripts/vatrates-data

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/booksync/booksync"
)

//go:embed data/*.json
var files embed.FS

// DataDate is the date of the newest data file: npm sales-tax 2.23.0 was published on 2026-05-19.
var DataDate = time.Date(2026, 5, 19, 0, 0, 0, 0, time.UTC)

// staleReduced are reduced rates of vatrates 2.0.3 that a dated second source shows are no longer
// in force, so booksync does not serve them: the European Commission's TEDB as vatnode publishes
// it (github.com/vatnode/eu-vat-rates-data-go, eu-vat-rates-data.json, "version": "2026-07-01",
// commit 5e391ad3ffe132c8ff718133300b08b4a10b2305, MIT). No registry this project uses serves that
// source (the Go proxy answers 403, npm 404), so it is read as evidence, not vendored, and no rate
// is taken from it: it only takes rates away. Compared country by country with vatrates' national
// reduced rates, it lacks these (it adds others: new rates and territories' rates such as
// Corsica's, which booksync does not serve either way); TestWithheldRatesAreInTheData fails when a
// refresh of the data drops one, so the list goes with the data that needs it.
var staleReduced = map[string]struct {
	rates    []int64
	evidence string
}{
	"CZ": {[]int64{1500, 1000}, "the EU's TEDB as vatnode published it on 2026-07-01 lists one reduced rate, 12%, which replaced both in 2024"},
	"LT": {[]int64{900}, "the EU's TEDB as vatnode published it on 2026-07-01 lists 5% and 12%, not 9%"},
}

// Withheld is a country some or all of whose reduced rates in the data booksync does not serve,
// because the data is known to be stale there.
type Withheld struct {
	Country string
	// Rates are the reduced rates not served (percent minor units, highest first), all of the
	// country's when AllReduced.
	Rates      []int64
	AllReduced bool
	// Reason says why, with the evidence, for people.
	Reason string
}

// Table holds the VAT of every country in the data, by ISO 3166-1 alpha-2 code.
type Table struct {
	countries map[string]booksync.CountryVAT
	eu        map[string]bool
	withheld  []Withheld
	// reducedAsOf is the newest period the reduced rates' data records.
	reducedAsOf string
}

// Withheld returns the countries whose reduced rates, in part or in whole, booksync does not serve,
// by country code: those whose standard rate changed after the reduced rates' data was made (its
// reduced rates of before are not served, since they changed with it or may have), and those whose
// rates a dated second source shows are no longer in force.
func (t *Table) Withheld() []Withheld { return t.withheld }

// ReducedAsOf is the start of the newest period the reduced rates' data (npm vatrates 2.0.3)
// records, "2021-01-01": the data was made in 2020 and knows nothing later.
func (t *Table) ReducedAsOf() string { return t.reducedAsOf }

// Country returns the VAT of a country, and false when the country levies no VAT or GST that the
// data knows (the US, for one, whose sales taxes are set by state).
func (t *Table) Country(code string) (booksync.CountryVAT, bool) {
	c, ok := t.countries[strings.ToUpper(code)]
	return c, ok
}

// Countries returns the VAT of every country in the data, by country code.
func (t *Table) Countries() []booksync.CountryVAT {
	out := make([]booksync.CountryVAT, 0, len(t.countries))
	for _, c := range t.countries {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b booksync.CountryVAT) int { return strings.Compare(a.Country, b.Country) })
	return out
}

// InEU reports whether the country is a member state of the European Union.
func (t *Table) InEU(code string) bool { return t.eu[strings.ToUpper(code)] }

var (
	loadOnce sync.Once
	loaded   *Table
	loadErr  error
)

// Load returns the table, read once from the embedded data files.
func Load() (*Table, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(DataDate) })
	return loaded, loadErr
}

type salesTaxCountry struct {
	Type string  `json:"type"`
	Rate float64 `json:"rate"`
	// Before maps the instant a rate ended to the rate in force until then.
	Before map[string]struct {
		Rate float64 `json:"rate"`
	} `json:"before"`
}

// lastChange is the instant sales-tax records the country's standard rate last changed, "" when it
// records none.
func (c salesTaxCountry) lastChange() string {
	last := ""
	for at := range c.Before {
		last = max(last, at)
	}
	return last
}

type vatRatesFile struct {
	Rates []struct {
		CountryCode string `json:"countryCode"`
		Periods     []struct {
			EffectiveFrom string `json:"effectiveFrom"`
			Rates         struct {
				Standard     float64   `json:"standard"`
				Reduced      []float64 `json:"reduced"`
				SuperReduced float64   `json:"superReduced"`
				Parking      float64   `json:"parking"`
			} `json:"rates"`
		} `json:"periods"`
	} `json:"rates"`
}

// minor turns a rate in percent (19, 5.5) or as a fraction (0.19) times scale into percent minor units.
func minor(v, scale float64) int64 { return int64(math.Round(v * scale)) }

func parse(asOf time.Time) (*Table, error) {
	var standard map[string]salesTaxCountry
	var regions map[string][]string
	var reduced vatRatesFile
	for name, dst := range map[string]any{"sales_tax_rates.json": &standard, "region_countries.json": &regions, "vatrates.json": &reduced} {
		b, err := files.ReadFile("data/" + name)
		if err != nil {
			return nil, fmt.Errorf("vatrates: %w", err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return nil, fmt.Errorf("vatrates: %s: %w", name, err)
		}
	}
	t := &Table{countries: map[string]booksync.CountryVAT{}, eu: map[string]bool{}}
	for _, c := range regions["EU"] {
		t.eu[c] = true
	}
	for code, c := range standard {
		if c.Type != "vat" && c.Type != "gst" || c.Rate <= 0 {
			continue
		}
		t.countries[code] = booksync.CountryVAT{Country: code, EU: t.eu[code], Standard: minor(c.Rate, 10000)}
	}
	day := asOf.Format(time.DateOnly)
	for _, rc := range reduced.Rates {
		for _, p := range rc.Periods {
			t.reducedAsOf = max(t.reducedAsOf, p.EffectiveFrom)
		}
		c, ok := t.countries[rc.CountryCode]
		if !ok {
			continue
		}
		// The period in force on asOf: the latest that began on or before it.
		periods := rc.Periods
		sort.Slice(periods, func(i, j int) bool { return periods[i].EffectiveFrom > periods[j].EffectiveFrom })
		for _, p := range periods {
			if p.EffectiveFrom > day {
				continue
			}
			var rs []int64
			for _, v := range append(append([]float64{}, p.Rates.Reduced...), p.Rates.SuperReduced, p.Rates.Parking) {
				if m := minor(v, 100); m > 0 && m < c.Standard && !slices.Contains(rs, m) {
					rs = append(rs, m)
				}
			}
			slices.SortFunc(rs, func(a, b int64) int { return int(b - a) })
			if old := minor(p.Rates.Standard, 100); old != c.Standard {
				// The country changed its VAT after the reduced rates' data was made: its reduced
				// rates of before changed with it or may have, so none is served.
				t.withheld = append(t.withheld, Withheld{Country: c.Country, Rates: rs, AllReduced: true,
					Reason: fmt.Sprintf("its standard rate is %s in npm sales-tax (changed at %s) but %s in npm vatrates' data of 2020",
						booksync.Percent(c.Standard), standard[c.Country].lastChange(), booksync.Percent(old))})
				break
			}
			if stale, ok := staleReduced[c.Country]; ok {
				rs = slices.DeleteFunc(rs, func(v int64) bool { return slices.Contains(stale.rates, v) })
				t.withheld = append(t.withheld, Withheld{Country: c.Country, Rates: stale.rates, Reason: stale.evidence})
			}
			c.Reduced = rs
			t.countries[rc.CountryCode] = c
			break
		}
	}
	slices.SortFunc(t.withheld, func(a, b Withheld) int { return strings.Compare(a.Country, b.Country) })
	return t, nil
}
