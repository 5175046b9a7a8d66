package salestax

import "testing"

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		country, state, city, label, combined string
	}{
		{"US", "NY", "Brooklyn", "New York City, NY", "8.875"},
		{"", "california", "los angeles", "Los Angeles, CA", "9.75"},
		{"US", "CA", "San Francisco", "San Francisco, CA", "8.625"},
		{"US", "CA", "Fresno", "CA", "7.25"},
		{"US", "TX", "Austin", "Austin, TX", "8.25"},
		{"US", "WA", "Seattle", "Seattle, WA", "10.35"},
		{"US", "IL", "Chicago", "Chicago, IL", "10.25"},
		{"US", "OR", "Portland", "OR", "0"},
	} {
		p := Lookup(c.country, c.state, c.city)
		if p == nil || p.Label() != c.label || p.Combined().String() != c.combined {
			t.Errorf("%s %s: %+v", c.state, c.city, p)
		}
	}
	if p := Lookup("US", "NJ", "Newark"); p != nil {
		t.Errorf("a state the table does not hold: %+v", p)
	}
	if p := Lookup("GB", "NY", "New York"); p != nil {
		t.Errorf("outside the US: %+v", p)
	}
}
