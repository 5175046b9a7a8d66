package api

import (
	"errors"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Messages the API answers the store's typed errors with. The store says what happened (which kind
// of object is missing, which status refused an action); these say it to the API's users.
const (
	msgAlreadyExists    = "An object with this id or number already exists."
	msgVersionConflict  = "The receivable was changed by another request; reload it and try again."
	msgActiveConnection = "The entity already has an active accounting connection; disconnect it with POST /accounting_connections/{id}/disconnect before connecting another."
	msgTokenChanged     = "The connection's token changed concurrently."
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
	switch {
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
	}
	return nil, false
}

// capitalize upper-cases the first letter of a store's object name: "receivable" -> "Receivable".
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
