package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/booksync/booksync"
)

// statusOf maps application error codes to HTTP statuses: the only place that does.
var statusOf = map[string]int{
	booksync.EINVALID:      http.StatusBadRequest,
	booksync.EVALIDATION:   http.StatusUnprocessableEntity,
	booksync.ENOTFOUND:     http.StatusNotFound,
	booksync.ECONFLICT:     http.StatusConflict,
	booksync.EUNAUTHORIZED: http.StatusUnauthorized,
	booksync.EFORBIDDEN:    http.StatusForbidden,
	booksync.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	booksync.EINTERNAL:     http.StatusInternalServerError,
}

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
	code := booksync.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == booksync.EINTERNAL {
		s.logger().Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
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
