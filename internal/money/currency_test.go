package money

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestExponent(t *testing.T) {
	want := map[string]int{
		"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "HUF": 2, "IDR": 2, "TWD": 2, "MGA": 2, "TOP": 2,
		"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
		"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
		"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	}
	for code, exp := range want {
		got, ok := Exponent(code)
		if !ok || got != exp {
			t.Errorf("Exponent(%q) = %d, %v; want %d, true", code, got, ok, exp)
		}
	}
	// Only the exponents listed above differ from 2.
	for _, code := range Currencies() {
		got, _ := Exponent(code)
		if _, listed := want[code]; !listed && got != 2 {
			t.Errorf("Exponent(%q) = %d, want 2", code, got)
		}
	}
	for _, code := range []string{"usd", "XXX", "", "CLF", "USDT"} {
		if _, ok := Exponent(code); ok {
			t.Errorf("Exponent(%q) reported a supported currency", code)
		}
	}
}

func TestCurrencies(t *testing.T) {
	got := Currencies()
	if len(got) != 145 || !slices.IsSorted(got) {
		t.Fatalf("Currencies() = %d codes, sorted %v; want 145 sorted", len(got), slices.IsSorted(got))
	}
	got[0] = "ZZZ"
	if Currencies()[0] != "AED" {
		t.Error("modifying the result of Currencies changed the package's list")
	}
}

// TestCurrenciesMatchSpec keeps the table in step with the Monite OpenAPI
// document the API is built from (the copy internal/apispec generates from).
func TestCurrenciesMatchSpec(t *testing.T) {
	raw, err := os.ReadFile("../apispec/testdata/monite_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				CurrencyEnum struct {
					Enum []string `json:"enum"`
				} `json:"CurrencyEnum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(doc.Components.Schemas.CurrencyEnum.Enum))
	if got := Currencies(); !slices.Equal(got, want) {
		t.Errorf("Currencies() = %v\nspec CurrencyEnum = %v", got, want)
	}
}

func TestFormatMinor(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{1234, "GBP", "12.34"},
		{1234, "JPY", "1234"},
		{1234, "KWD", "1.234"},
		{5, "EUR", "0.05"},
		{-5, "EUR", "-0.05"},
		{-1234, "KWD", "-1.234"},
		{-7, "JPY", "-7"},
		{0, "USD", "0.00"},
		{0, "JPY", "0"},
		{1, "BHD", "0.001"},
		{100, "USD", "1.00"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
		{1234, "XXX", "12.34"}, // unknown: ISO default of two decimals
	}
	for _, tc := range tests {
		if got := FormatMinor(tc.amount, tc.currency); got != tc.want {
			t.Errorf("FormatMinor(%d, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestParseMajor(t *testing.T) {
	tests := []struct {
		s        string
		currency string
		want     int64
		wantErr  string
	}{
		{"12.34", "GBP", 1234, ""},
		{"12.3", "GBP", 1230, ""},
		{"12", "GBP", 1200, ""},
		{"-0.05", "EUR", -5, ""},
		{"+1.5", "EUR", 150, ""},
		{"0", "USD", 0, ""},
		{"-0", "USD", 0, ""},
		{"007.10", "USD", 710, ""},
		{"1234", "JPY", 1234, ""},
		{"1234.00", "JPY", 1234, ""}, // trailing zeros do not add precision
		{"1.234", "KWD", 1234, ""},
		{"12.340", "GBP", 1234, ""},
		{"92233720368547758.07", "USD", math.MaxInt64, ""},
		{"-92233720368547758.08", "USD", math.MinInt64, ""},
		{"12.345", "GBP", 0, "more than 2 decimal places"},
		{"1234.5", "JPY", 0, "more than 0 decimal places"},
		{"1.2345", "KWD", 0, "more than 3 decimal places"},
		{"92233720368547758.08", "USD", 0, "out of range"},
		{"", "USD", 0, "not a plain decimal"},
		{"-", "USD", 0, "not a plain decimal"},
		{".5", "USD", 0, "not a plain decimal"},
		{"5.", "USD", 0, "not a plain decimal"},
		{"1e3", "USD", 0, "not a plain decimal"},
		{"1,000.00", "USD", 0, "not a plain decimal"},
		{" 1.00", "USD", 0, "not a plain decimal"},
		{"--1", "USD", 0, "not a plain decimal"},
		{"1.00", "XXX", 0, "unknown currency"},
	}
	for _, tc := range tests {
		got, err := ParseMajor(tc.s, tc.currency)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMajor(%q, %q) = %d, %v; want error containing %q", tc.s, tc.currency, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMajor(%q, %q) = %d, %v; want %d", tc.s, tc.currency, got, err, tc.want)
		}
	}
}

// Connectors format our amounts for an accounting system and parse its
// amounts back; any drift would show up as a false mismatch on the record.
func TestFormatParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(4217))
	for _, code := range Currencies() {
		for range 200 {
			n := r.Int63() >> uint(r.Intn(63))
			if r.Intn(2) == 0 {
				n = -n
			}
			s := FormatMinor(n, code)
			got, err := ParseMajor(s, code)
			if err != nil || got != n {
				t.Fatalf("%s: FormatMinor(%d) = %q, ParseMajor gave %d, %v", code, n, s, got, err)
			}
		}
	}
}
