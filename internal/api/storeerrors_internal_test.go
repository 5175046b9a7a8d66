package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/booksync/booksync/internal/store"
)

// TestStoreErrorMessages: every typed error of the store, bare or wrapped, is answered with its
// HTTP status and the message users have always read for it.
func TestStoreErrorMessages(t *testing.T) {
	dbErr := errors.New("UNIQUE constraint failed: receivables.entity_id, receivables.document_id")
	cases := []struct {
		err     error
		status  int
		message string
	}{
		{&store.NotFoundError{Object: "receivable"}, 404, "Receivable not found."},
		{fmt.Errorf("syncer: load: %w", &store.NotFoundError{Object: "accounting connection"}), 404, "Accounting connection not found."},
		{&store.NotFoundError{Object: "synced record"}, 404, "Synced record not found."},
		{&store.StatusError{Object: "receivable", Action: "issue", Status: "paid"}, 409, "Only draft invoices can be issued; this invoice is paid."},
		{&store.StatusError{Object: "receivable", Action: "delete", Status: "issued"}, 409, "Only draft invoices can be deleted; this invoice is issued."},
		{fmt.Errorf("store: create receivable: %w", errors.Join(store.ErrAlreadyExists, dbErr)), 409, "An object with this id or number already exists."},
		{store.ErrVersionConflict, 409, "The receivable was changed by another request; reload it and try again."},
		{store.ErrActiveConnection, 409, "The entity already has an active accounting connection; disconnect it with POST /accounting_connections/{id}/disconnect before connecting another."},
		{fmt.Errorf("syncer: store refreshed token: %w", store.ErrTokenChanged), 409, "The connection's token changed concurrently."},
	}
	s := &Server{}
	for _, c := range cases {
		w := httptest.NewRecorder()
		s.writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), c.err)
		var body errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: %v", c.err, err)
		}
		if w.Code != c.status || body.Error.Message != c.message {
			t.Errorf("%v: %d %q, want %d %q", c.err, w.Code, body.Error.Message, c.status, c.message)
		}
	}
}
