package api

import (
	"errors"
	"fmt"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Messages the API answers the store's typed errors with. The store says what happened (which kind
// of object is missing, which status refused an action, which part of a list query it refused);
// these say it to the API's users.
const (
	msgAlreadyExists      = "An object with this id or number already exists."
	msgVersionConflict    = "The receivable was changed by another request; reload it and try again."
	msgActiveConnection   = "The entity already has an active accounting connection; disconnect it with POST /accounting_connections/{id}/disconnect before connecting another."
	msgTokenChanged       = "The connection's token changed concurrently."
	msgNumberTaken        = "The entity's next document number was given to another document by hand while this one was being issued; issue it again."
	msgConnectedMeanwhile = "The entity was connected to an accounting system while this document was being issued; issue it again."
)

// statusRefusals are the messages for an invoice whose status refuses an action, by action.
var statusRefusals = map[string]string{
	"issue":  "Only draft invoices can be issued; this invoice is %s.",
	"delete": "Only draft invoices can be deleted; this invoice is %s.",
}

// storeError maps a typed error of the store onto the application error users see, with its code
// and message, and reports whether err was one. Application errors the store passed through (such
// as one from a payment's apply function) are left to the caller.
func storeError(err error) (*booksync.Error, bool) {
	var nf *store.NotFoundError
	var st *store.StatusError
	var qe *store.QueryError
	switch {
	case errors.As(err, &qe):
		return queryError(qe), true
	case errors.As(err, &nf):
		return booksync.Errorf(booksync.ENOTFOUND, "%s not found.", capitalize(nf.Object)), true
	case errors.As(err, &st):
		if format, ok := statusRefusals[st.Action]; ok && st.Object == "receivable" {
			return booksync.Errorf(booksync.ECONFLICT, format, st.Status), true
		}
		return booksync.Errorf(booksync.ECONFLICT, "%s is %s, which does not allow this.", capitalize(st.Object), st.Status), true
	case errors.Is(err, store.ErrAlreadyExists):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgAlreadyExists}, true
	case errors.Is(err, store.ErrVersionConflict):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgVersionConflict}, true
	case errors.Is(err, store.ErrActiveConnection):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgActiveConnection}, true
	case errors.Is(err, store.ErrTokenChanged):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgTokenChanged}, true
	case errors.Is(err, store.ErrNumberTaken):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgNumberTaken}, true
	case errors.Is(err, store.ErrConnectedMeanwhile):
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msgConnectedMeanwhile}, true
	}
	return nil, false
}

// queryError answers a list query the store refused. parseList checks every query before the
// store sees it, so this is the answer only to a query that got past that check; it says what the
// store found wrong in the words the API has always used for it.
func queryError(e *store.QueryError) *booksync.Error {
	loc := []any{"query", e.Field}
	switch e.Reason {
	case store.QueryBadSort:
		return booksync.FieldErrorf("enum", loc, "Input should be one of: %s.", strings.Join(e.Allowed, ", "))
	case store.QueryBadOrder:
		return booksync.FieldErrorf("enum", loc, "Input should be 'asc' or 'desc'.")
	case store.QueryBadLimit:
		return booksync.FieldErrorf("value_error", loc, "Input should be between 1 and %d.", e.Max)
	case store.QueryTwoCursors:
		return booksync.FieldErrorf("value_error", loc, "A page cannot start both after and before a cursor.")
	case store.QueryBadCursor:
		return booksync.FieldErrorf("value_error", loc, "The pagination token does not fit this list's sort order.")
	case store.QueryNoFilter:
		return booksync.FieldErrorf("value_error", loc, "Filtering by %s is not supported.", e.Field)
	case store.QueryValueCount:
		return booksync.FieldErrorf("value_error", loc, "Expected exactly one value.")
	case store.QueryBadValue:
		return booksync.FieldErrorf("value_error", loc, "%s", valueMismatch(e.Kind, e.Value))
	case store.QueryNotText:
		return booksync.FieldErrorf("value_error", loc, "Only text fields support %s.", e.Op)
	case store.QueryBadOperator:
		return booksync.FieldErrorf("value_error", loc, "Unknown filter operator %q.", e.Op)
	}
	return booksync.FieldErrorf("value_error", loc, "The list cannot be read with this %s.", e.Field)
}

// valueMismatch says that a filter's value does not fit its field's kind.
func valueMismatch(kind booksync.FieldKind, v any) string {
	switch kind {
	case booksync.KindString, booksync.KindUUID, booksync.KindEnum:
		return fmt.Sprintf("Expected a string, got %T.", v)
	case booksync.KindBool:
		return fmt.Sprintf("Expected a boolean, got %T.", v)
	case booksync.KindInt, booksync.KindTime:
		return fmt.Sprintf("Expected an integer, got %v.", v)
	}
	return fmt.Sprintf("Unknown field kind %d.", kind)
}

// capitalize upper-cases the first letter of a store's object name: "receivable" -> "Receivable".
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
