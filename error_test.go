package booksync

import (
	"errors"
	"net/http"
	"testing"
)

func TestHTTPStatus(t *testing.T) {
	for code, want := range map[string]int{
		EINVALID:       http.StatusBadRequest,
		EVALIDATION:    http.StatusUnprocessableEntity,
		ENOTFOUND:      http.StatusNotFound,
		ECONFLICT:      http.StatusConflict,
		EUNAUTHORIZED:  http.StatusUnauthorized,
		EFORBIDDEN:     http.StatusForbidden,
		ETOOLARGE:      http.StatusRequestEntityTooLarge,
		EINTERNAL:      http.StatusInternalServerError,
		"no_such_code": http.StatusInternalServerError,
	} {
		if got := HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", code, got, want)
		}
	}
	// An error that is not an application error is internal, whatever it says.
	if got := HTTPStatus(ErrorCode(errors.New("not found"))); got != http.StatusInternalServerError {
		t.Errorf("a plain error answers %d, want 500", got)
	}
}
