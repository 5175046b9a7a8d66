package quickbooks

import (
	"github.com/booksync/booksync/internal/sandbox"
)

// InjectFault arms a fault for a company; unknown realms are ignored. Its Path is relative to
// the company ("/invoice") or absolute ("/v3/company/{realmId}/invoice"). The QuickBooks sandbox
// answers sandbox.FaultServerError with 500 SystemFault and sandbox.FaultRateLimit with 429
// ThrottleExceeded (no Retry-After, as Intuit sends none); after
// sandbox.FaultExpireAccessTokens calls get 401 AuthenticationFault "Token expired", as Intuit
// answers an expired token, while refreshes still work.
func (s *Sandbox) InjectFault(realmID string, f sandbox.Fault) { s.srv.InjectFault(realmID, f) }

// PendingFaults returns how many injected failures of a company have not
// fired yet, so that a test can show each one really happened.
func (s *Sandbox) PendingFaults(realmID string) int { return s.srv.PendingFaults(realmID) }

// companyOf finds a company's part in the sandbox.Server; callers hold the lock.
func (s *Sandbox) companyOf(realmID string) (*sandbox.Org, string) {
	if c := s.companies[realmID]; c != nil {
		return &c.Org, "/v3/company/" + realmID
	}
	return nil, ""
}
