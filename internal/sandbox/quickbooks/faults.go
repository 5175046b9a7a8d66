package quickbooks

import (
	"context"
	"net/http"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// FaultKind names a failure the sandbox can inject.
type FaultKind = sandbox.FaultKind

// Fault is one injected failure; its Path is relative to the company ("/invoice") or absolute
// ("/v3/company/{realmId}/invoice").
type Fault = sandbox.Fault

// The faults a connector must survive. The QuickBooks sandbox answers FaultServerError with
// 500 SystemFault and FaultRateLimit with 429 ThrottleExceeded (no Retry-After, as Intuit sends
// none).
const (
	FaultServerError       = sandbox.FaultServerError
	FaultRateLimit         = sandbox.FaultRateLimit
	FaultTimeoutAfterStore = sandbox.FaultTimeoutAfterStore
	FaultRevoke            = sandbox.FaultRevoke
	// FaultExpireAccessTokens ends the company's access tokens early: calls with them get 401
	// AuthenticationFault "Token expired", as Intuit answers an expired token; refreshes still work.
	FaultExpireAccessTokens = sandbox.FaultExpireAccessTokens
)

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
	if f.Kind == FaultExpireAccessTokens {
		now := s.now()
		for _, at := range s.auth.Access {
			if g := s.auth.Grants[at.GrantID]; g != nil && g.RealmID == realmID && !at.Expires.Before(now) {
				at.Expires = now.Add(-time.Second)
			}
		}
		s.saveAuth()
		return true
	}
	c.faults.Arm(f, "/v3/company/"+realmID)
	return true
}

// handleFaults answers POST /faults {"realm_id", "kind", "count", "path"}; sandbox.ServeFaults reads
// and checks the body.
func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	sandbox.ServeFaults(w, r, "realm_id", func(id string, f Fault) (bool, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.injectFault(id, f) {
			return false, nil
		}
		return true, s.flush(r.Context())
	})
}

// PendingFaults returns how many injected failures of a company have not
// fired yet, so that a test can show each one really happened.
func (s *Sandbox) PendingFaults(realmID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.companies[realmID]; c != nil {
		return c.faults.Pending()
	}
	return 0
}
