package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/booksync/booksync"
)

// errorBody is Monite's ErrorSchemaResponse.
type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// validationBody is Monite's HTTPValidationError.
type validationBody struct {
	Detail []booksync.FieldError `json:"detail"`
}

// writeError writes err in Monite's error shapes: 422 {"detail": [...]} for field errors, else
// {"error": {"message": ...}}. Errors that are not application errors are logged and answered
// with a generic 500, so internals never reach the caller.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	cause := err
	err = appError(err)
	code := booksync.ErrorCode(err)
	status := booksync.HTTPStatus(code)
	if code == booksync.EINTERNAL {
		s.logger().Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", cause))
	}
	var e *booksync.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, validationBody{Detail: e.Fields})
		return
	}
	var body errorBody
	body.Error.Message = booksync.ErrorMessage(err)
	writeJSON(w, status, body)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// appError maps the errors that reached the API onto application errors, so that each is answered
// with its status and message rather than a bare 500: the store's typed errors (see storeError),
// and a failure of an accounting system (from connecting, an OAuth callback or a read through to
// the books). Application errors and any other errors pass unchanged.
func appError(err error) error {
	if err == nil {
		return nil
	}
	var ae *booksync.Error
	if errors.As(err, &ae) {
		return err // the application already said what it means
	}
	if e, ok := storeError(err); ok {
		return e
	}
	var be booksync.BooksError
	if !errors.As(err, &be) {
		return err
	}
	kind, msg := be.BooksFailure()
	switch kind {
	case booksync.BooksNotFound:
		return &booksync.Error{Code: booksync.ENOTFOUND, Message: msg}
	case booksync.BooksRefused:
		return &booksync.Error{Code: booksync.EINVALID, Message: msg}
	case booksync.BooksDeauthorized:
		return &booksync.Error{Code: booksync.ECONFLICT, Message: msg + "; reconnect with POST /accounting_connections."}
	case booksync.BooksMisconfigured:
		// booksync's own setting is wrong: a server error, but one that waiting does not fix.
		return &booksync.Error{Code: booksync.EINTERNAL, Message: msg + "."}
	}
	// Transient, rate-limited and unknown outcomes: the accounting system failed, not the
	// request. The message says so; the underlying error stays in the log.
	return &booksync.Error{Code: booksync.EINTERNAL, Message: "The accounting system could not complete the request (" + msg + "); try again later."}
}
