package booksync

import (
	"errors"
	"fmt"
	"net/http"
)

// Application error codes. HTTPStatus maps each to its one HTTP status code.
const (
	EINVALID      = "invalid"      // a request that breaks a business rule (400)
	EVALIDATION   = "validation"   // a request field that fails validation (422)
	ENOTFOUND     = "not_found"    // no such object, or not this caller's (404)
	ECONFLICT     = "conflict"     // the object's state forbids the operation (409)
	EUNAUTHORIZED = "unauthorized" // missing or bad credentials (401)
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed (403)
	ETOOLARGE     = "too_large"    // request body over the limit (413)
	EINTERNAL     = "internal"     // anything else; never shown to callers in detail (500)
)

// Error is an application error: a code that decides the HTTP status and a message that is safe to
// show to the caller. Field errors, when present, become a 422 response's "detail" list.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError names one request field that failed validation and why, in the shape of Monite's
// (FastAPI's) 422 "detail" items.
type FieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("booksync error: code=%s message=%s fields=%v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("booksync error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an application error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a 422 validation error about one field. loc is the path to the field, such as
// ("body", "line_items", 0, "product_id").
func FieldErrorf(typ string, loc []any, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EVALIDATION, Message: msg, Fields: []FieldError{{Loc: loc, Msg: msg, Type: typ}}}
}

// ErrorCode returns the code of an application error, or of an error that says its code with an
// ErrorCode method (such as the store's typed errors), EINTERNAL for any other non-nil error, and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	var coded interface{ ErrorCode() string }
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	} else if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of an application error, or "Internal error." for
// any other error, so that internal details never leak into a response.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// httpStatus maps application error codes to HTTP statuses: the only place that does.
var httpStatus = map[string]int{
	EINVALID:      http.StatusBadRequest,
	EVALIDATION:   http.StatusUnprocessableEntity,
	ENOTFOUND:     http.StatusNotFound,
	ECONFLICT:     http.StatusConflict,
	EUNAUTHORIZED: http.StatusUnauthorized,
	EFORBIDDEN:    http.StatusForbidden,
	ETOOLARGE:     http.StatusRequestEntityTooLarge,
	EINTERNAL:     http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status the API and the dashboard answer an error with code with:
// 500 for an unknown code.
func HTTPStatus(code string) int {
	if status, ok := httpStatus[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}
