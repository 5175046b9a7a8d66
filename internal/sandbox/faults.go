package sandbox

import (
	"fmt"
	"strings"
)

// FaultKind names a failure a sandbox can inject into an organisation's API calls.
type FaultKind string

// The faults a connector must survive. Each sandbox answers them in its accounting system's own
// wording: its package documentation gives the status codes and headers.
const (
	// FaultServerError answers the next Count API calls with 500 and no effect.
	FaultServerError FaultKind = "server_error"
	// FaultRateLimit answers the next Count API calls with 429 and no effect.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultTimeoutAfterStore applies and stores the next Count write calls,
	// then closes the connection without a response: an unknown outcome.
	FaultTimeoutAfterStore FaultKind = "timeout_after_store"
	// FaultRevoke revokes every grant to the organisation at once, as a user
	// disconnecting the app does; Count and Path are ignored.
	FaultRevoke FaultKind = "revoke"
	// FaultExpireAccessTokens ends every access token issued for the
	// organisation now, before the expiry its token response announced (as a
	// platform may, and as a client with a fast clock sees it): API calls with
	// them get the platform's 401 for an expired token, while refresh tokens
	// stay good. Count and Path are ignored.
	FaultExpireAccessTokens FaultKind = "expire_access_tokens"
)

// Valid reports an unknown kind as an error that names the known ones.
func (k FaultKind) Valid() error {
	switch k {
	case FaultServerError, FaultRateLimit, FaultTimeoutAfterStore, FaultRevoke, FaultExpireAccessTokens:
		return nil
	}
	return fmt.Errorf("kind must be %s, %s, %s, %s or %s", FaultServerError, FaultRateLimit, FaultTimeoutAfterStore, FaultRevoke, FaultExpireAccessTokens)
}

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Count is how many calls fail; 0 means 1.
	Count int `json:"count"`
	// Path limits the fault to API paths starting with it, relative to the organisation's API
	// base ("/Invoices", "/invoice"); empty matches all. Case is ignored.
	Path string `json:"path,omitempty"`
}

// Faults is the queue of faults armed for one organisation, consumed in the order they were
// armed. The zero value is empty; it is not safe for concurrent use: the sandbox holds its lock.
type Faults []Fault

// Arm queues f, its Path made relative to base (the organisation's absolute API prefix) and
// starting with "/".
func (q *Faults) Arm(f Fault, base string) {
	if f.Count <= 0 {
		f.Count = 1
	}
	f.Path = strings.TrimPrefix(f.Path, base)
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		f.Path = "/" + f.Path
	}
	*q = append(*q, f)
}

// Take consumes one call's worth of the first fault matching rel, the call's path relative to
// the API base. With writes false it looks for faults that replace the call (server error, rate
// limit); with writes true for FaultTimeoutAfterStore.
func (q *Faults) Take(rel string, writes bool) (FaultKind, bool) {
	for i := range *q {
		f := &(*q)[i]
		if (f.Kind == FaultTimeoutAfterStore) != writes {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(strings.ToLower(rel), strings.ToLower(f.Path)) {
			continue
		}
		kind := f.Kind
		f.Count--
		if f.Count <= 0 {
			*q = append((*q)[:i], (*q)[i+1:]...)
		}
		return kind, true
	}
	return "", false
}

// Pending returns how many calls the queued faults will still fail.
func (q Faults) Pending() int {
	n := 0
	for _, f := range q {
		n += f.Count
	}
	return n
}
