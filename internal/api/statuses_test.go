package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/contract"
)

// TestEveryRouteDocumentsItsStatuses walks the server's route table and provokes, on every
// operation, the statuses any operation of its kind answers: 401 without a token (or with wrong
// client credentials on /auth), 404 for an entity or a path object that does not exist, 413 for a
// body over the limit. Each must be the status answered and be listed for the operation in the
// served /openapi.json (the harness checks every response against it, so the handler-specific
// statuses the other tests receive are covered too).
func TestEveryRouteDocumentsItsStatuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, t.TempDir()+"/statuses.db")
	p := h.partner()
	e := p.newEntity("Statuses Ltd", "GB")
	f := e.fixture("GBP", 100)
	inv := e.newInvoice(f, "GBP", map[string]any{"quantity": 1, "product_id": f.productID, "tax_rate_value": 2000})
	const unknown = "0b8e2a1c-9a39-4b0a-9f3a-3c7d2b0f6a11"
	var sub struct{ ID string }
	if r := p.raw("POST", "/webhook_subscriptions", strings.NewReader(`{"object_type": "receivable", "url": "https://example.com/hooks"}`), nil); r.status != http.StatusCreated {
		t.Fatalf("create a webhook subscription: %d %s", r.status, r.body)
	} else if err := json.Unmarshal(r.body, &sub); err != nil {
		t.Fatal(err)
	}
	huge := `{"name": "` + strings.Repeat("x", 1<<20) + `"}`
	for _, rt := range h.api.Routes() {
		path := rt.Path
		for {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			if i < 0 || j < i {
				break
			}
			path = path[:i] + unknown + path[j+1:]
		}
		want := func(who *session, body string, status int) {
			t.Helper()
			var rd *strings.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			var r response
			if rd == nil {
				r = who.raw(rt.Method, path, nil, nil)
			} else {
				r = who.raw(rt.Method, path, rd, nil)
			}
			if r.status != status {
				t.Errorf("%s %s: status %d, want %d: %s", rt.Method, rt.Path, r.status, status, truncateBody(r.body))
			}
			if !contract.Documented(t, rt.Method, rt.Path, status) {
				t.Errorf("%s %s: %d is not in the served spec", rt.Method, rt.Path, status)
			}
		}
		anonymous := &session{h: h, entityID: e.entityID}
		if rt.Path == "/auth/token" {
			want(anonymous, `{"grant_type": "client_credentials", "client_id": "`+unknown+`", "client_secret": "wrong"}`, http.StatusUnauthorized)
		} else if rt.Path == "/auth/revoke" {
			want(anonymous, `{"client_id": "`+unknown+`", "client_secret": "wrong", "token": "x"}`, http.StatusUnauthorized)
		} else {
			want(anonymous, "", http.StatusUnauthorized)
		}
		if strings.HasPrefix(rt.Path, "/auth/") {
			want(p, huge, http.StatusRequestEntityTooLarge)
			continue
		}
		// Entities, webhook subscriptions and GET /events/{id} are the partner's, without an entity.
		entityScoped := !strings.HasPrefix(rt.Path, "/entities") && !strings.HasPrefix(rt.Path, "/webhook_subscriptions") &&
			rt.Path != "/events/{event_id}"
		if entityScoped {
			want(p.forEntity(unknown), "", http.StatusNotFound)
		}
		if strings.Contains(rt.Path, "{") && !strings.HasPrefix(rt.Path, "/accounting") && !strings.HasPrefix(rt.Path, "/ledger_accounts") {
			// An unknown id in the path. This server has no sync engine, so the accounting
			// operations answer 500 here; internal/app's tests reach their 404s.
			who := p
			if entityScoped {
				who = e
			}
			r := who.raw(rt.Method, path, strings.NewReader(`{}`), nil)
			if r.status != http.StatusNotFound && r.status != http.StatusInternalServerError {
				t.Errorf("%s %s with an unknown id: status %d, want 404: %s", rt.Method, rt.Path, r.status, truncateBody(r.body))
			}
		}
		if rt.Method != "GET" && rt.Method != "DELETE" && !strings.HasSuffix(rt.Path, "/issue") && !strings.HasSuffix(rt.Path, "/cancel") &&
			!strings.HasSuffix(rt.Path, "/disconnect") && !strings.HasSuffix(rt.Path, "/sync") && !strings.HasSuffix(rt.Path, "/push") &&
			!strings.HasSuffix(rt.Path, "/enable") && !strings.HasSuffix(rt.Path, "/disable") && !strings.HasSuffix(rt.Path, "/regenerate_secret") {
			who := e
			if !entityScoped {
				who = p
			}
			// The body is read once the object is found, so the path names real ones.
			path = rt.Path
			for param, id := range map[string]string{"{entity_id}": e.entityID, "{counterpart_id}": f.counterpartID,
				"{product_id}": f.productID, "{receivable_id}": inv.ID, "{webhook_subscription_id}": sub.ID} {
				path = strings.Replace(path, param, id, 1)
			}
			want(who, huge, http.StatusRequestEntityTooLarge)
		}
	}
}

func truncateBody(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}
