package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/booksync/booksync"
)

func TestPlainInteger(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"1e3", "1000", true}, {"100.0", "100", true}, {"2.5E2", "250", true}, {"1.000e1", "10", true},
		{"-1.20e1", "-12", true}, {"12E+0", "12", true}, {"1500e-1", "150", true}, {"0.0", "0", true},
		{"-0.0e5", "0", true}, {"0e99999999", "0", true}, {"0.000e-3", "0", true}, {"42", "42", true},
		{"9223372036854775807.0", "9223372036854775807", true}, {"-9.223372036854775808e18", "-9223372036854775808", true},
		{"9.223372036854775808e18", "", false}, {"1e19", "", false}, {"1.5", "", false}, {"15e-1", "", false},
		{"1e400", "", false}, {"1e-400", "", false}, {"1e999999999999", "", false},
	}
	for _, c := range cases {
		got, ok := plainInteger(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("plainInteger(%s) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestDecodeTypeErrorSpeaksJSON: when a body the schema let through still does not fit booksync's
// Go types, the 422 names the field and the JSON that was sent, never a Go type.
func TestDecodeTypeErrorSpeaksJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		v    any
		loc  []any
		msg  string
	}{
		{`{"amount": 1e19}`, &paymentRecordInput{}, []any{"body", "amount"}, "Input should be an integer from -9223372036854775808 to 9223372036854775807, got number 1e19."},
		{`{"object": {"id": 5}}`, &paymentRecordInput{}, []any{"body", "object", "id"}, "Input should be a valid string, got number."},
	} {
		err := json.Unmarshal(integralNumbers([]byte(c.body)), c.v)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Fatalf("%s: decode error %v, want a type error", c.body, err)
		}
		var e *booksync.Error
		if !errors.As(typeError(te), &e) || len(e.Fields) != 1 {
			t.Fatalf("%s: typeError = %v", c.body, typeError(te))
		}
		if f := e.Fields[0]; !reflect.DeepEqual(f.Loc, c.loc) || f.Msg != c.msg || strings.Contains(f.Msg, "Go") {
			t.Errorf("%s: %+v, want loc %v msg %q", c.body, f, c.loc, c.msg)
		}
	}
}

// TestDecodeErrorSpeaksJSON: an error of a type's own decoding carries its cause, not Go's names.
func TestDecodeErrorSpeaksJSON(t *testing.T) {
	t.Parallel()
	var in paymentRecordInput
	err := json.Unmarshal([]byte(`{"paid_at": [1]}`), &in)
	if err == nil {
		t.Fatal("a time given as an array decoded")
	}
	msg := goPrefix.ReplaceAllString(err.Error(), "")
	if strings.Contains(msg, "UnmarshalJSON") || strings.Contains(msg, "json:") || msg == "" {
		t.Errorf("decode error %q reads %q after goPrefix", err, msg)
	}
}
