// Package salestax holds published US state and local sales tax rates for a useful set of
// places. The built-in sandboxes charge them (QuickBooks' automated sales tax computes with them
// from a customer's address; a Xero US organisation has a tax rate per place, a component per
// jurisdiction), and a new GnuCash book in the US gets a tax table per place. rates.tsv, beside
// this file, names the publications each figure comes from and their date.
package salestax

import (
	_ "embed"
	"strings"

	"github.com/shopspring/decimal"
)

//go:embed rates.tsv
var table string

// Jurisdiction is one authority's sales tax rate: a state's, a county's, a city's or a special
// district's.
type Jurisdiction struct {
	Name string
	// Rate is in percent.
	Rate decimal.Decimal
}

// Place is where a rate applies: a city with its own rates on top of its state's, or a whole
// state (Name empty), whose rates alone apply in a city the table does not list.
type Place struct {
	// State is the USPS code ("CA").
	State string
	// Name is the city's ("Los Angeles"), empty for the whole state.
	Name string
	// Jurisdictions are the state's rates first, then the place's own.
	Jurisdictions []Jurisdiction
}

// Label names the place as a tax code or tax rate does: "Los Angeles, CA", or "OR" for a whole
// state.
func (p *Place) Label() string {
	if p.Name == "" {
		return p.State
	}
	return p.Name + ", " + p.State
}

// Combined is the sum of the place's rates, in percent.
func (p *Place) Combined() decimal.Decimal {
	sum := decimal.Zero
	for _, j := range p.Jurisdictions {
		sum = sum.Add(j.Rate)
	}
	return sum
}

// places are the table's places in its order; byKey has each by state and lower-case city
// ("NY/brooklyn", every alias of a city) and each whole state by its code ("OR").
var places, byKey = parse(table)

// Places returns every place of the table, in its order (a state before its cities).
func Places() []*Place { return places }

func parse(table string) ([]*Place, map[string]*Place) {
	var list []*Place
	by := map[string]*Place{}
	for _, row := range strings.Split(table, "\n") {
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		if len(f) != 4 {
			panic("salestax: rates.tsv: a row needs 4 tab-separated columns: " + row)
		}
		state, cities, name := f[0], f[1], f[2]
		rate := decimal.RequireFromString(f[3])
		statewide := by[state]
		if statewide == nil {
			statewide = &Place{State: state}
			by[state] = statewide
			list = append(list, statewide)
		}
		if cities == "" {
			statewide.Jurisdictions = append(statewide.Jurisdictions, Jurisdiction{name, rate})
			continue
		}
		alias := strings.Split(cities, "|")
		p := by[state+"/"+strings.ToLower(alias[0])]
		if p == nil {
			// A state's own rows come first in the table, so they are all known here.
			p = &Place{State: state, Name: alias[0], Jurisdictions: append([]Jurisdiction(nil), statewide.Jurisdictions...)}
			list = append(list, p)
			for _, a := range alias {
				by[state+"/"+strings.ToLower(a)] = p
			}
		}
		p.Jurisdictions = append(p.Jurisdictions, Jurisdiction{name, rate})
	}
	return list, by
}

// stateCodes reads the full names of the table's states as their USPS codes.
var stateCodes = map[string]string{
	"new york": "NY", "california": "CA", "texas": "TX", "washington": "WA", "illinois": "IL",
	"florida": "FL", "massachusetts": "MA", "oregon": "OR",
}

// Lookup finds where an address in the US is taxed: its city in the table, else its state as a
// whole; nil when the table does not know the state. state is a USPS code or a state's name;
// country, when given, must be the US.
func Lookup(country, state, city string) *Place {
	switch strings.ToUpper(strings.TrimSpace(country)) {
	case "", "US", "USA", "UNITED STATES":
	default:
		return nil
	}
	st := strings.ToUpper(strings.TrimSpace(state))
	if code, ok := stateCodes[strings.ToLower(st)]; ok {
		st = code
	}
	if p := byKey[st+"/"+strings.ToLower(strings.TrimSpace(city))]; p != nil {
		return p
	}
	return byKey[st]
}
