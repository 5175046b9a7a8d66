package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/booksync/booksync"
)

// The store's errors are typed, so that callers can tell them apart with errors.Is and errors.As;
// the words users read are the API's. Each carries the application error code it stands for
// (ErrorCode), which booksync.ErrorCode honours, so that code which only asks "not found?" or
// "conflict?" need not know the store.

// NotFoundError reports that an object does not exist, or is not the caller's to see (another
// entity's or partner's): the store does not tell the two apart. Its code is ENOTFOUND.
type NotFoundError struct {
	// Object names the kind of object in lower case, such as "receivable" or
	// "accounting connection".
	Object string
}

// Error implements the error interface.
func (e *NotFoundError) Error() string { return "store: " + e.Object + " not found" }

// ErrorCode returns booksync.ENOTFOUND.
func (e *NotFoundError) ErrorCode() string { return booksync.ENOTFOUND }

// StatusError reports that an object's status forbids an action, such as issuing an invoice that
// is not a draft. Its code is ECONFLICT.
type StatusError struct {
	Object string // the kind of object, as in NotFoundError: "receivable"
	Action string // what was refused: "issue", "delete"
	Status string // the status the object has
}

// Error implements the error interface.
func (e *StatusError) Error() string {
	return fmt.Sprintf("store: cannot %s a %s whose status is %s", e.Action, e.Object, e.Status)
}

// ErrorCode returns booksync.ECONFLICT.
func (e *StatusError) ErrorCode() string { return booksync.ECONFLICT }

// conflictError is a store error whose code is ECONFLICT; its values are the Err variables below.
type conflictError struct{ text string }

func (e *conflictError) Error() string { return "store: " + e.text }

// ErrorCode returns booksync.ECONFLICT.
func (e *conflictError) ErrorCode() string { return booksync.ECONFLICT }

var (
	// ErrAlreadyExists is what a write returns, wrapped, when it would duplicate a unique key (an
	// id, a token, an entity's document number) on either database.
	ErrAlreadyExists error = &conflictError{"an object with this key already exists"}
	// ErrVersionConflict is UpdateReceivable's answer to a stale Version: another write changed the
	// invoice since it was read.
	ErrVersionConflict error = &conflictError{"the receivable's version changed"}
	// ErrActiveConnection is returned when an entity that already has an active connection gets
	// another.
	ErrActiveConnection error = &conflictError{"the entity already has an active connection"}
	// ErrTokenChanged is SetConnectionToken's answer when another process stored a token since the
	// expected version was read.
	ErrTokenChanged error = &conflictError{"the connection's token changed concurrently"}
)

// notFound returns the NotFoundError for a kind of object.
func notFound(object string) error {
	return &NotFoundError{Object: object}
}

// isUniqueViolation reports whether err is SQLite's or PostgreSQL's unique-constraint violation.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// mapErr turns a dialect's unique violation into ErrAlreadyExists (keeping the database's words
// for the log) and leaves any other error as it is.
func mapErr(err error) error {
	if isUniqueViolation(err) {
		return errors.Join(ErrAlreadyExists, err)
	}
	return err
}

// mapNotFound turns sql.ErrNoRows into the NotFoundError for object.
func mapNotFound(err error, object string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(object)
	}
	return err
}
