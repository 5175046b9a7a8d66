package qbospec

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Intuit's rules for every Accounting API call that the XSDs do not carry.
const (
	// MinMinorVersion is the oldest minorversion Intuit serves since August 2025.
	MinMinorVersion = 75
	// MaxRequestID is the longest requestid Intuit accepts on a write; MaxBatchRequestID on a
	// batch.
	MaxRequestID      = 50
	MaxBatchRequestID = 36
)

// Transport is an http.RoundTripper for tests that checks every QuickBooks Accounting API call
// (paths under /v3/company/) passing through it and reports each violation with the test's
// Errorf:
//   - the request: minorversion of at least MinMinorVersion, Accept: application/json, and on a
//     POST other than a query a JSON body of the XSD type its path names (IntuitBatchRequest for
//     /batch, Invoice for /invoice, ...) with a requestid, when sent, no longer than Intuit takes;
//   - the answer, whatever its status: an IntuitResponse (an entity, a Fault, a QueryResponse or
//     BatchItemResponses).
//
// The XSDs do not describe the TaxService (/taxservice/taxcode), whose bodies pass unchecked, as
// do other calls (OAuth, the sandbox's own pages). Failures to connect pass through
// as they are. Its methods are safe for concurrent use.
type Transport struct {
	tb     testing.TB
	base   http.RoundTripper
	schema *Schema

	mu      sync.Mutex
	checked map[string]int
}

// NewTransport returns a Transport that sends through base (nil: http.DefaultTransport) and
// reports to tb.
func NewTransport(tb testing.TB, base http.RoundTripper) *Transport {
	tb.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{tb: tb, base: base, schema: Load(tb), checked: map[string]int{}}
}

// Checked returns how many objects of the XSD type typ ("Invoice", "Fault", ...) the transport
// has checked in requests and answers, so that a test can show what its traffic covered.
func (t *Transport) Checked(typ string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked[typ]
}

// RoundTrip checks r, sends it, and checks the answer.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, rest, api := strings.Cut(r.URL.Path, "/v3/company/")
	if !api {
		return t.base.RoundTrip(r)
	}
	_, rel, _ := strings.Cut(rest, "/")
	rel = "/" + strings.ToLower(strings.TrimRight(rel, "/"))
	call := r.Method + " " + r.URL.Path
	if err := t.checkRequest(r, rel, call); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil // the client sees the truncated body and a read error of its own
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return resp, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		t.tb.Errorf("qbospec: %s answered %d with Content-Type %q, not JSON: %.200s", call, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		return resp, nil
	}
	if !taxService(rel) {
		t.check(call+" answer", "IntuitResponse", body)
	}
	return resp, nil
}

// checkRequest checks what every call must carry and a write's body; it restores r.Body.
func (t *Transport) checkRequest(r *http.Request, rel, call string) error {
	q := r.URL.Query()
	if mv, err := strconv.Atoi(q.Get("minorversion")); err != nil || mv < MinMinorVersion {
		t.tb.Errorf("qbospec: %s: minorversion %q, want %d or later", call, q.Get("minorversion"), MinMinorVersion)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.tb.Errorf("qbospec: %s: Accept %q, want application/json", call, got)
	}
	if r.Method != http.MethodPost || rel == "/query" {
		return nil
	}
	if id := q.Get("requestid"); id != "" {
		limit := MaxRequestID
		if rel == "/batch" {
			limit = MaxBatchRequestID
		}
		if len(id) > limit {
			t.tb.Errorf("qbospec: %s: requestid %q is longer than %d characters", call, id, limit)
		}
	}
	if r.Body == nil || r.Body == http.NoBody || taxService(rel) {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		t.tb.Errorf("qbospec: %s: Content-Type %q, want application/json", call, r.Header.Get("Content-Type"))
	}
	var typ string
	switch {
	case rel == "/batch":
		typ = "IntuitBatchRequest"
	default:
		entity, _, _ := strings.Cut(strings.TrimPrefix(rel, "/"), "/")
		var ok bool
		if typ, ok = t.schema.Element(entity); !ok {
			t.tb.Errorf("qbospec: %s: Intuit's XSDs have no entity %q", call, entity)
			return nil
		}
	}
	t.check(call, typ, body)
	return nil
}

// check checks body against typ, reports problems and counts the objects checked.
func (t *Transport) check(call, typ string, body []byte) {
	problems, seen := t.schema.check(typ, body)
	if len(problems) > 0 {
		t.tb.Errorf("qbospec: %s is not Intuit's %s:\n  %s\nbody: %.2000s", call, typ, strings.Join(problems, "\n  "), body)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, n := range seen {
		t.checked[k] += n
	}
}

// taxService reports whether rel is a TaxService path, which Intuit's XSDs do not describe.
func taxService(rel string) bool { return strings.HasPrefix(rel, "/taxservice/") }
