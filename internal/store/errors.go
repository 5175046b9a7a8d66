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

// QueryError reports that a list query does not fit its list: a sort, order, limit, filter or
// cursor that the list's booksync.ListSpec does not take. The API checks every query before the
// store runs it, so a QueryError means a caller skipped that check; the store refuses the query
// rather than guess. It carries what a message needs (the parameter, the reason and the data
// behind it) and no words for users. Its code is EVALIDATION.
type QueryError struct {
	// Field is the query parameter at fault, as the API names it: "sort", "order", "limit",
	// "pagination_token" for a cursor, or a filter's field with its operator suffix, such as
	// "status" or "created_at__gt".
	Field  string
	Reason QueryReason
	// Allowed lists the list's sorts, for QueryBadSort.
	Allowed []string
	// Max is the largest page, for QueryBadLimit.
	Max int
	// Op is the filter's operator, for QueryNotText and QueryBadOperator.
	Op booksync.FilterOp
	// Kind is the field's kind and Value the value that does not fit it, for QueryBadValue and
	// QueryBadCursor (whose field is the sort's).
	Kind  booksync.FieldKind
	Value any
}

// QueryReason says why a list query was refused.
type QueryReason string

// Reasons for a QueryError.
const (
	QueryBadSort     QueryReason = "not one of the list's sorts"
	QueryBadOrder    QueryReason = "neither asc nor desc"
	QueryBadLimit    QueryReason = "limit out of range"
	QueryTwoCursors  QueryReason = "both an after and a before cursor"
	QueryBadCursor   QueryReason = "cursor key does not fit the sort field"
	QueryNoFilter    QueryReason = "field or operator not filterable"
	QueryValueCount  QueryReason = "wrong number of values"
	QueryBadValue    QueryReason = "value does not fit the field's kind"
	QueryNotText     QueryReason = "text operator on a field that is not text"
	QueryBadOperator QueryReason = "unknown operator"
)

// Error implements the error interface.
func (e *QueryError) Error() string {
	if e.Reason == QueryBadValue {
		return fmt.Sprintf("store: list query %s: %s: %v (%T)", e.Field, e.Reason, e.Value, e.Value)
	}
	return fmt.Sprintf("store: list query %s: %s", e.Field, e.Reason)
}

// ErrorCode returns booksync.EVALIDATION.
func (e *QueryError) ErrorCode() string { return booksync.EVALIDATION }

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
	// ErrNumberTaken is FinishIssueTx's answer on PostgreSQL when the number it took was given to
	// another receivable by hand while it waited for the entity's counter: the transaction is lost,
	// and running it again takes the next number.
	ErrNumberTaken error = &conflictError{"the document number was given to another receivable meanwhile"}
	// ErrConnectedMeanwhile is FinishIssueTx's answer on PostgreSQL when the issue read that the
	// entity has no connection and one was created since: the transaction is lost, and running it
	// again gives the invoice its record in the new connection.
	ErrConnectedMeanwhile error = &conflictError{"the entity got an accounting connection while the receivable was issued"}
	// ErrTokenChanged is SetConnectionToken's answer when another process stored a token since the
	// expected version was read.
	ErrTokenChanged error = &conflictError{"the connection's token changed concurrently"}
)

// notFound returns the NotFoundError for a kind of object.
func notFound(object string) error {
	return &NotFoundError{Object: object}
}

// isIssueRefused reports whether err is IssueAlone's statement failing on purpose: it took a
// number it could not use (booksync_refuse_issue, migration 0014 on PostgreSQL).
func isIssueRefused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == issueRefusedCode
}

// issueRefusedCode is the SQLSTATE of booksync_refuse_issue's error.
const issueRefusedCode = "BSK01"

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
