package quickbooks

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// FaultKind names a failure the sandbox can inject.
type FaultKind string

// The faults a connector must survive.
const (
	// FaultServerError answers the next Count API calls with 500 SystemFault and no effect.
	FaultServerError FaultKind = "server_error"
	// FaultRateLimit answers the next Count API calls with 429 ThrottleExceeded
	// (no Retry-After, as Intuit sends none).
	FaultRateLimit FaultKind = "rate_limit"
	// FaultTimeoutAfterStore applies and stores the next Count write calls,
	// then closes the connection without a response: an unknown outcome.
	FaultTimeoutAfterStore FaultKind = "timeout_after_store"
	// FaultRevoke revokes every grant to the company at once, as a user
	// disconnecting the app does; Count and Path are ignored.
	FaultRevoke FaultKind = "revoke"
)

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Count is how many calls fail; 0 means 1.
	Count int `json:"count"`
	// Path limits the fault to API paths starting with it, relative to the
	// company ("/invoice") or absolute ("/v3/company/{realmId}/invoice");
	// empty matches all. Case is ignored.
	Path string `json:"path,omitempty"`
}

// InjectFault arms a fault for a company; unknown realms are ignored.
func (s *Sandbox) InjectFault(realmID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injectFault(realmID, f)
	_ = s.flush(context.Background())
}

func (s *Sandbox) injectFault(realmID string, f Fault) bool {
	c := s.companies[realmID]
	if c == nil {
		return false
	}
	if f.Kind == FaultRevoke {
		for _, g := range s.auth.Grants {
			if g.RealmID == realmID && !g.Revoked {
				s.revokeGrant(g)
			}
		}
		return true
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	f.Path = strings.TrimPrefix(f.Path, "/v3/company/"+realmID)
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		f.Path = "/" + f.Path
	}
	c.faults = append(c.faults, f)
	return true
}

// takeFault consumes one matching fault; callers hold s.mu. With writes
// false it looks for faults that replace the call (server error, rate
// limit); with writes true for FaultTimeoutAfterStore. rel starts with "/".
func (s *Sandbox) takeFault(c *company, rel string, writes bool) (FaultKind, bool) {
	for i := range c.faults {
		f := &c.faults[i]
		if (f.Kind == FaultTimeoutAfterStore) != writes {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(strings.ToLower(rel), strings.ToLower(f.Path)) {
			continue
		}
		kind := f.Kind
		f.Count--
		if f.Count <= 0 {
			c.faults = append(c.faults[:i], c.faults[i+1:]...)
		}
		return kind, true
	}
	return "", false
}

// faultRequest is the body of POST /faults.
type faultRequest struct {
	RealmID string    `json:"realm_id"`
	Kind    FaultKind `json:"kind"`
	Count   int       `json:"count"`
	Path    string    `json:"path"`
}

func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	switch req.Kind {
	case FaultServerError, FaultRateLimit, FaultTimeoutAfterStore, FaultRevoke:
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "kind must be server_error, rate_limit, timeout_after_store or revoke"})
		return
	}
	s.mu.Lock()
	ok := s.injectFault(req.RealmID, Fault{Kind: req.Kind, Count: req.Count, Path: req.Path})
	err := s.flush(r.Context())
	s.mu.Unlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown realm_id"})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, req)
	}
}

// PendingFaults returns how many injected failures of a company have not
// fired yet, so that a test can show each one really happened.
func (s *Sandbox) PendingFaults(realmID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if c := s.companies[realmID]; c != nil {
		for _, f := range c.faults {
			n += f.Count
		}
	}
	return n
}
