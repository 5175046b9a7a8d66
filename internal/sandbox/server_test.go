package sandbox

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// A QuickBooks sandbox saved its grants with one realm_id each and its counter as
// company_counter; loading such a record keeps the tokens working for that company and the
// numbering going on.
func TestLoadKeepsGrantsSavedWithOneRealm(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	store := NewMemoryStore()
	legacy := `{"company_counter":3,"codes":{},"refresh":{},
		"grants":{"g1":{"id":"g1","client_id":"app","scope":"s","realm_id":"r1","revoked":false,"created_at":"2026-03-01T00:00:00Z"}},
		"access":{"tok":{"grant_id":"g1","expires":"2026-03-14T10:00:00Z"}}}`
	if err := store.SaveSandbox(context.Background(), "quickbooks", map[string][]byte{"auth": []byte(legacy)}); err != nil {
		t.Fatal(err)
	}
	org := &Org{Replays: map[string]time.Time{}}
	s := NewServer(Config{Namespace: "quickbooks", Store: store, Now: func() time.Time { return now }, KeyPrefix: "realm",
		Org: func(id string) (*Org, string) {
			if id == "r1" {
				return org, "/v3/company/r1"
			}
			return nil, ""
		}})
	if err := s.Load(context.Background(), func([]byte) error { return nil }, func(string, string, string, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer tok")
	s.Lock()
	b := s.Bearer(r)
	counter := s.auth.OrgCounter
	s.Unlock()
	if b.Problem != TokenUsable || !b.Grant.Has("r1") || b.Grant.Has("r2") {
		t.Fatalf("bearer = %+v, want a usable grant to r1 only", b)
	}
	if counter != 3 {
		t.Fatalf("org counter = %d, want 3", counter)
	}
	// Revoking the company reaches the grant loaded that way.
	s.InjectFault("r1", Fault{Kind: FaultRevoke})
	s.Lock()
	b = s.Bearer(r)
	s.Unlock()
	if b.Problem != TokenInvalid {
		t.Fatalf("after revoke: problem %d, want TokenInvalid", b.Problem)
	}
}
