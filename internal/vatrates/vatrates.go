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

// Table holds the VAT of every country in the data, by ISO 3166-1 alpha-2 code.
type Table struct {
	countries map[string]booksync.CountryVAT
	eu        map[string]bool
}

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
			if minor(p.Rates.Standard, 100) != c.Standard {
				break // the reduced rates' source is older than the country's last change: offer none
			}
			var rs []int64
			for _, v := range append(append([]float64{}, p.Rates.Reduced...), p.Rates.SuperReduced, p.Rates.Parking) {
				if m := minor(v, 100); m > 0 && m < c.Standard && !slices.Contains(rs, m) {
					rs = append(rs, m)
				}
			}
			slices.SortFunc(rs, func(a, b int64) int { return int(b - a) })
			c.Reduced = rs
			t.countries[rc.CountryCode] = c
			break
		}
	}
	return t, nil
}
