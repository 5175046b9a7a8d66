package xero

import (
	"context"
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

// handleFaults answers POST /faults {"tenant_id", "kind", "count", "path"}; sandbox.ServeFaults reads
// and checks the body.
func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	sandbox.ServeFaults(w, r, "tenant_id", func(id string, f Fault) (bool, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.injectFault(id, f) {
			return false, nil
		}
		return true, s.flush(r.Context())
	})
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
