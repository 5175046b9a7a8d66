package quickbooks

import (
	"context"
	"net/http"

	"github.com/booksync/booksync/internal/sandbox"
)

// InjectFault arms a fault for a company; unknown realms are ignored. Its Path is relative to
// the company ("/invoice") or absolute ("/v3/company/{realmId}/invoice"). The QuickBooks sandbox
// answers sandbox.FaultServerError with 500 SystemFault and sandbox.FaultRateLimit with 429
// ThrottleExceeded (no Retry-After, as Intuit sends none); after
// sandbox.FaultExpireAccessTokens calls get 401 AuthenticationFault "Token expired", as Intuit
// answers an expired token, while refreshes still work.
func (s *Sandbox) InjectFault(realmID string, f sandbox.Fault) {
	s.srv.Lock()
	defer s.srv.Unlock()
	s.injectFault(realmID, f)
	_ = s.srv.Flush(context.Background())
}

func (s *Sandbox) injectFault(realmID string, f sandbox.Fault) bool {
	c := s.companies[realmID]
	if c == nil {
		return false
	}
	s.srv.ArmFault(realmID, &c.Faults, "/v3/company/"+realmID, f)
	return true
}

// handleFaults answers POST /faults {"realm_id", "kind", "count", "path"}; sandbox.ServeFaults reads
// and checks the body.
func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	sandbox.ServeFaults(w, r, "realm_id", func(id string, f sandbox.Fault) (bool, error) {
		s.srv.Lock()
		defer s.srv.Unlock()
		if !s.injectFault(id, f) {
			return false, nil
		}
		return true, s.srv.Flush(r.Context())
	})
}

// PendingFaults returns how many injected failures of a company have not
// fired yet, so that a test can show each one really happened.
func (s *Sandbox) PendingFaults(realmID string) int {
	s.srv.Lock()
	defer s.srv.Unlock()
	if c := s.companies[realmID]; c != nil {
		return c.Faults.Pending()
	}
	return 0
}
