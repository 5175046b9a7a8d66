package platform

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

// Class says what the sync engine does after a failure.
type Class string

// Error classes (docs/architecture.md, "Errors are classified").
const (
	// NeedsUserAction: the data is wrong for the accounting system (validation). The record goes
	// to error with the cause and the fix; it is not retried until pushed again.
	NeedsUserAction Class = "needs_user_action"
	// Transient: a server error or network failure before the request was sent; retried with backoff.
	Transient Class = "transient"
	// RateLimited: the accounting system asked to wait (RetryAfter); retried then without using
	// an attempt.
	RateLimited Class = "rate_limited"
	// Auth: the access token was refused; refreshed once, else the connection is deauthorized.
	Auth Class = "auth"
	// UnknownOutcome: the request may or may not have taken effect (a timeout after sending it).
	// The engine looks the objects up by natural key before trying again.
	UnknownOutcome Class = "unknown_outcome"
	// Misconfigured: a setting of booksync's operator is wrong (a books folder that cannot be
	// used), so retrying the same call at once cannot help. The API answers it as a server error
	// whose message names the setting and what is wrong with it, never "try again later"; the
	// sync engine retries the job with backoff, so pushing resumes once the setting is fixed.
	Misconfigured Class = "misconfigured"
)

// Error is a classified failure from an accounting system. Message starts with the plain cause in
// the words users search for; Details say which field and how to fix it.
type Error struct {
	Class      Class
	Status     int           // HTTP status, when there was one
	RetryAfter time.Duration // for RateLimited
	Code       string        // a stable code for the cause, e.g. "tax_rate_not_found"
	Message    string
	Details    []Detail
	Err        error // the underlying error, for logs
}

// Detail names one field of a failure and what to do about it.
type Detail struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Class, e.Message)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// BooksFailure implements booksync.BooksError: it says what kind of failure the class is for the
// application, and gives the message with the first fix of its details.
func (e *Error) BooksFailure() (booksync.BooksFailure, string) {
	msg := e.Message
	for _, d := range e.Details {
		if d.Fix != "" {
			msg += ". " + d.Fix
			break
		}
	}
	switch e.Class {
	case NeedsUserAction:
		if e.Code == "not_found" || strings.HasSuffix(e.Code, "_not_found") {
			return booksync.BooksNotFound, msg
		}
		return booksync.BooksRefused, msg
	case Auth:
		return booksync.BooksDeauthorized, msg
	case Misconfigured:
		return booksync.BooksMisconfigured, msg
	}
	return booksync.BooksUnavailable, msg
}

// ClassOf returns the class of a platform error, Transient for any other error (a bug or a
// network failure is worth retrying), and "" for nil.
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Transient
}
