package xero

import (
	"context"
	"net/http"

	"github.com/booksync/booksync/internal/sandbox"
)

// InjectFault arms a fault for an organisation; unknown tenants are ignored. Its Path is
// relative to the API base ("/Invoices") or absolute ("/api.xro/2.0/Invoices"). Xero's sandbox
// answers sandbox.FaultServerError with 500 and sandbox.FaultRateLimit with 429, Retry-After 1
// and X-Rate-Limit-Problem: minute; after sandbox.FaultExpireAccessTokens calls get 401 with the
// detail "TokenExpired: token expired at ...", as Xero answers an expired token, while refreshes
// still work.
func (s *Sandbox) InjectFault(tenantID string, f sandbox.Fault) {
	s.srv.Lock()
	defer s.srv.Unlock()
	s.injectFault(tenantID, f)
	_ = s.srv.Flush(context.Background())
}

func (s *Sandbox) injectFault(tenantID string, f sandbox.Fault) bool {
	o := s.orgs[tenantID]
	if o == nil {
		return false
	}
	s.srv.ArmFault(tenantID, &o.Faults, apiPrefix, f)
	return true
}

// handleFaults answers POST /faults {"tenant_id", "kind", "count", "path"}; sandbox.ServeFaults reads
// and checks the body.
func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	sandbox.ServeFaults(w, r, "tenant_id", func(id string, f sandbox.Fault) (bool, error) {
		s.srv.Lock()
		defer s.srv.Unlock()
		if !s.injectFault(id, f) {
			return false, nil
		}
		return true, s.srv.Flush(r.Context())
	})
}

// PendingFaults returns how many injected failures of an organisation have not fired yet, so that
// a test can show each one really happened.
func (s *Sandbox) PendingFaults(tenantID string) int {
	s.srv.Lock()
	defer s.srv.Unlock()
	if o := s.orgs[tenantID]; o != nil {
		return o.Faults.Pending()
	}
	return 0
}
