package xero

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
	// FaultServerError answers the next Count API calls with 500 and no effect.
	FaultServerError FaultKind = "server_error"
	// FaultRateLimit answers the next Count API calls with 429, Retry-After 1
	// and X-Rate-Limit-Problem: minute.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultTimeoutAfterStore applies and stores the next Count write calls,
	// then closes the connection without a response: an unknown outcome.
	FaultTimeoutAfterStore FaultKind = "timeout_after_store"
	// FaultRevoke revokes every grant to the organisation at once, as a user
	// disconnecting the app in Xero does; Count and Path are ignored.
	FaultRevoke FaultKind = "revoke"
)

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Count is how many calls fail; 0 means 1.
	Count int `json:"count"`
	// Path limits the fault to API paths starting with it, relative to the
	// API base ("/Invoices") or absolute ("/api.xro/2.0/Invoices"); empty matches all.
	Path string `json:"path,omitempty"`
}

// InjectFault arms a fault for an organisation; unknown tenants are ignored.
func (s *Sandbox) InjectFault(tenantID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injectFault(tenantID, f)
	_ = s.flush(context.Background())
}

func (s *Sandbox) injectFault(tenantID string, f Fault) bool {
	o := s.orgs[tenantID]
	if o == nil {
		return false
	}
	if f.Kind == FaultRevoke {
		for _, g := range s.auth.Grants {
			if g.hasTenant(tenantID) && !g.Revoked {
				s.revokeGrant(g)
			}
		}
		return true
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	f.Path = strings.TrimPrefix(f.Path, apiPrefix)
	o.faults = append(o.faults, f)
	return true
}

// takeFault consumes one matching fault; callers hold s.mu. With writes
// false it looks for faults that replace the call (server error, rate
// limit); with writes true for FaultTimeoutAfterStore.
func (s *Sandbox) takeFault(o *org, rel string, writes bool) (FaultKind, bool) {
	for i := range o.faults {
		f := &o.faults[i]
		if (f.Kind == FaultTimeoutAfterStore) != writes {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(strings.ToLower(rel), strings.ToLower(f.Path)) {
			continue
		}
		kind := f.Kind
		f.Count--
		if f.Count <= 0 {
			o.faults = append(o.faults[:i], o.faults[i+1:]...)
		}
		return kind, true
	}
	return "", false
}

// faultRequest is the body of POST /faults.
type faultRequest struct {
	TenantID string    `json:"tenant_id"`
	Kind     FaultKind `json:"kind"`
	Count    int       `json:"count"`
	Path     string    `json:"path"`
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
	ok := s.injectFault(req.TenantID, Fault{Kind: req.Kind, Count: req.Count, Path: req.Path})
	err := s.flush(r.Context())
	s.mu.Unlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown tenant_id"})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, req)
	}
}

// PendingFaults returns how many injected failures of an organisation have not fired yet, so that
// a test can show each one really happened.
func (s *Sandbox) PendingFaults(tenantID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if o := s.orgs[tenantID]; o != nil {
		for _, f := range o.faults {
			n += f.Count
		}
	}
	return n
}
