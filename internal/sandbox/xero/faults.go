package xero

import (
	"github.com/booksync/booksync/internal/sandbox"
)

// InjectFault arms a fault for an organisation; unknown tenants are ignored. Its Path is
// relative to the API base ("/Invoices") or absolute ("/api.xro/2.0/Invoices"). Xero's sandbox
// answers sandbox.FaultServerError with 500 and sandbox.FaultRateLimit with 429, Retry-After 1
// and X-Rate-Limit-Problem: minute; after sandbox.FaultExpireAccessTokens calls get 401 with the
// detail "TokenExpired: token expired at ...", as Xero answers an expired token, while refreshes
// still work.
func (s *Sandbox) InjectFault(tenantID string, f sandbox.Fault) { s.srv.InjectFault(tenantID, f) }

// PendingFaults returns how many injected failures of an organisation have not fired yet, so that
// a test can show each one really happened.
func (s *Sandbox) PendingFaults(tenantID string) int { return s.srv.PendingFaults(tenantID) }

// orgOf finds an organisation's part in the sandbox.Server; callers hold the lock.
func (s *Sandbox) orgOf(tenantID string) (*sandbox.Org, string) {
	if o := s.orgs[tenantID]; o != nil {
		return &o.Org, apiPrefix
	}
	return nil, ""
}
