package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/booksync/booksync"
)

// ErrAlreadyExists is what a write returns, wrapped, when it would duplicate a unique key (an id,
// a token, an entity's document number) on either database. It is an ECONFLICT application error,
// so the API answers 409 without knowing about the store; test for it with errors.Is.
var ErrAlreadyExists = &booksync.Error{Code: booksync.ECONFLICT, Message: "An object with this id or number already exists."}

// errVersionConflict is UpdateReceivable's answer to a stale Version.
func errVersionConflict() error {
	return booksync.Errorf(booksync.ECONFLICT, "The receivable was changed by another request; reload it and try again.")
}

// notFound returns the ENOTFOUND error for an object, such as "Receivable not found.".
func notFound(object string) error {
	return booksync.Errorf(booksync.ENOTFOUND, "%s not found.", object)
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

// mapNotFound turns sql.ErrNoRows into the ENOTFOUND error for object.
func mapNotFound(err error, object string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(object)
	}
	return err
}
