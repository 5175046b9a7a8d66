package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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

// InjectFault arms a fault for an organisation; unknown ones are ignored. FaultRevoke revokes
// every grant to the organisation and FaultExpireAccessTokens ends its access tokens, both at
// once; the other kinds queue, their Path made relative to the organisation's API base.
func (s *Server) InjectFault(orgID string, f Fault) {
	s.mu.Lock()
	defer s.unlock()
	s.injectFault(orgID, f)
	_ = s.Flush(context.Background())
}

// injectFault arms f and reports whether the organisation exists; callers hold the lock.
func (s *Server) injectFault(orgID string, f Fault) bool {
	o, base := s.cfg.Org(orgID)
	if o == nil {
		return false
	}
	switch f.Kind {
	case FaultRevoke:
		s.revokeOrg(orgID)
	case FaultExpireAccessTokens:
		s.expireAccessTokens(orgID)
	default:
		o.Faults.Arm(f, base)
	}
	return true
}

// HandleFaults answers POST /faults (see ServeFaults), which the platform routes behind its
// Gate.Faults.
func (s *Server) HandleFaults(w http.ResponseWriter, r *http.Request) {
	ServeFaults(w, r, s.cfg.OrgField, func(id string, f Fault) (bool, error) {
		s.mu.Lock()
		defer s.unlock()
		if !s.injectFault(id, f) {
			return false, nil
		}
		return true, s.Flush(r.Context())
	})
}

// PendingFaults returns how many injected failures of an organisation have not fired yet, so
// that a test can show each one really happened.
func (s *Server) PendingFaults(orgID string) int {
	s.mu.Lock()
	defer s.unlock()
	if o, _ := s.cfg.Org(orgID); o != nil {
		return o.Faults.Pending()
	}
	return 0
}

// MaxFaultCount bounds a fault's Count over POST /faults: enough for any test of retries, and
// never so many that an organisation fails for good.
const MaxFaultCount = 1000

// maxFaultPath bounds a fault's Path over POST /faults.
const maxFaultPath = 256

// ServeFaults answers a sandbox's POST /faults, which its Gate.Faults guards: a JSON object with
// the organisation's id under orgField ("tenant_id" or "realm_id"), kind, count (1 to
// MaxFaultCount; absent means 1) and path. An organisation the partner may not see answers as
// one that does not exist. inject arms the fault and reports whether the organisation exists.
// Every error, from a body that is not JSON to an unknown organisation, answers in Monite's
// shape {"error":{"message":...}} with a plain message, and arms nothing; a fault armed answers
// 200 with the fault as it was armed.
func ServeFaults(w http.ResponseWriter, r *http.Request, orgField string, inject func(orgID string, f Fault) (bool, error)) {
	orgID, f, status, problem := decodeFault(w, r, orgField)
	if problem != "" {
		writeJSONError(w, status, problem)
		return
	}
	// Another partner's organisation answers exactly as an unknown one does.
	found := false
	var err error
	if Visible(r, orgID) {
		found, err = inject(orgID, f)
	}
	switch {
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, "The sandbox could not save the fault; try again.")
	case !found:
		writeJSONError(w, http.StatusNotFound, "No organisation with "+orgField+" "+strconv.Quote(orgID)+" among those your entities connected.")
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]any{orgField: orgID, "kind": f.Kind, "count": f.Count, "path": f.Path})
	}
}

// decodeFault reads the body of POST /faults field by field, so that each problem gets a plain
// message naming the field rather than the JSON decoder's wording.
func decodeFault(w http.ResponseWriter, r *http.Request, orgField string) (orgID string, f Fault, status int, problem string) {
	shape := `{"` + orgField + `": "...", "kind": "server_error", "count": 2, "path": "/..."}`
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	dec := json.NewDecoder(r.Body)
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil || fields == nil || dec.More() {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", f, http.StatusRequestEntityTooLarge, "The body is larger than the sandbox accepts."
		}
		return "", f, http.StatusBadRequest, "The body must be one JSON object, e.g. " + shape + "."
	}
	unprocessable := http.StatusUnprocessableEntity
	for name := range fields {
		if name != orgField && name != "kind" && name != "count" && name != "path" {
			return "", f, unprocessable, "Unknown field " + strconv.Quote(name) + "; the fields are " + orgField + ", kind, count and path."
		}
	}
	str := func(name string) (string, bool) {
		raw, ok := fields[name]
		if !ok {
			return "", true
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	orgID, ok := str(orgField)
	if !ok || orgID == "" {
		return "", f, unprocessable, orgField + " is required: the id of an organisation your entities connected."
	}
	kind, ok := str("kind")
	f.Kind = FaultKind(kind)
	if err := f.Kind.Valid(); !ok || err != nil {
		got := ""
		if raw, present := fields["kind"]; present {
			got = " (got " + string(raw) + ")"
		}
		return "", f, unprocessable, FaultKind("").Valid().Error() + got + "."
	}
	f.Count = 1
	if raw, ok := fields["count"]; ok {
		// Only a plain JSON integer: 1.5, 1e3, "2" and null are refused, not rounded or guessed.
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n < 1 || n > MaxFaultCount {
			return "", f, unprocessable, fmt.Sprintf("count must be a whole number from 1 to %d: how many calls fail (got %s).", MaxFaultCount, raw)
		}
		f.Count = int(n)
	}
	if f.Path, ok = str("path"); !ok || len(f.Path) > maxFaultPath || textProblem(f.Path) != "" {
		return "", f, unprocessable, fmt.Sprintf("path must be text of at most %d characters: the API path the fault is limited to, e.g. /Invoices.", maxFaultPath)
	}
	return orgID, f, 0, ""
}
