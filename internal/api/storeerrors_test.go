package api_test

import (
	"testing"

	"github.com/google/uuid"
)

// TestStoreErrorsReachUsersInTheirWords: what the store reports with a typed error (an object not
// found, a status that refuses an action) reaches the caller with the documented status and message.
func TestStoreErrorsReachUsersInTheirWords(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		e := h.partner().newEntity("Acme", "GB")
		wantError := func(method, path string, status int, message string) {
			t.Helper()
			var body struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			e.do(method, path, nil, status, &body)
			if body.Error.Message != message {
				t.Fatalf("%s %s: message %q, want %q", method, path, body.Error.Message, message)
			}
		}
		wantError("GET", "/receivables/"+uuid.NewString(), 404, "Receivable not found.")
		inv := e.issuedInvoice(e.fixture("GBP", 1000))
		wantError("DELETE", "/receivables/"+inv.ID, 409, "Only draft invoices can be deleted; this invoice is issued.")
	})
}
