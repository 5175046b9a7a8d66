package xero

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// FaultKind names a failure the sandbox can inject.
type FaultKind = sandbox.FaultKind

// Fault is one injected failure; its Path is relative to the API base ("/Invoices") or
// absolute ("/api.xro/2.0/Invoices").
type Fault = sandbox.Fault

// The faults a connector must survive. Xero's sandbox answers FaultServerError with 500 and
// FaultRateLimit with 429, Retry-After 1 and X-Rate-Limit-Problem: minute.
const (
	FaultServerError       = sandbox.FaultServerError
	FaultRateLimit         = sandbox.FaultRateLimit
	FaultTimeoutAfterStore = sandbox.FaultTimeoutAfterStore
	FaultRevoke            = sandbox.FaultRevoke
	// FaultExpireAccessTokens ends the organisation's access tokens early: calls with them get
	// 401 with the detail "TokenExpired: token expired at ...", as Xero answers an expired token;
	// refreshes still work.
	FaultExpireAccessTokens = sandbox.FaultExpireAccessTokens
)

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
	if f.Kind == FaultExpireAccessTokens {
		now := s.now()
		for _, at := range s.auth.Access {
			if g := s.auth.Grants[at.GrantID]; g != nil && g.hasTenant(tenantID) && !at.Expires.Before(now) {
				at.Expires = now.Add(-time.Second)
			}
		}
		s.saveAuth()
		return true
	}
	o.faults.Arm(f, apiPrefix)
	return true
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
	if err := req.Kind.Valid(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.mu.Lock()
	// Another partner's organisation answers exactly as an unknown one does.
	ok := sandbox.Visible(r, req.TenantID) && s.injectFault(req.TenantID, Fault{Kind: req.Kind, Count: req.Count, Path: req.Path})
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
	if o := s.orgs[tenantID]; o != nil {
		return o.faults.Pending()
	}
	return 0
}
