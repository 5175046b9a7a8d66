package quickbooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

const (
	// Intuit's documented per-company throttles.
	limitConcurrent = 10
	limitMinute     = 500
	maxBatchItems   = 30
	minMinorVersion = 75
	maxBody         = 4 << 20
)

// qbError is one Error of a Fault.
type qbError struct {
	Message string `json:"Message"`
	Detail  string `json:"Detail,omitempty"`
	Code    string `json:"code"`
	Element string `json:"element,omitempty"`
}

// qbFault is the Fault element QuickBooks answers failures with; status is
// the HTTP status it gets outside a batch.
type qbFault struct {
	Error  []qbError `json:"Error"`
	Type   string    `json:"type"`
	status int
}

func validationFault(code, msg, detail, element string) *qbFault {
	return &qbFault{Type: "ValidationFault", status: http.StatusBadRequest,
		Error: []qbError{{Message: msg, Detail: detail, Code: code, Element: element}}}
}

// The faults QuickBooks answers most often, with its codes and wording.
func objectNotFound(element, what string) *qbFault {
	return validationFault("610", "Object Not Found",
		"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. ("+what+")", element)
}

func requiredMissing(element string) *qbFault {
	return validationFault("2020", "Required param missing, need to supply the required value for the API",
		"Required parameter "+element+" is missing in the request", element)
}

func invalidReference(element, detail string) *qbFault {
	return validationFault("2500", "Invalid Reference Id", "Invalid Reference Id : "+detail, element)
}

func businessError(detail string) *qbFault {
	return validationFault("6000", "A business validation error has occurred while processing your request",
		"Business Validation Error: "+detail, "")
}

func invalidProperty(detail string) *qbFault {
	return validationFault("2010", "Request has invalid or unsupported property", "Property Name:"+detail, "")
}

func staleObject(id, token string) *qbFault {
	return validationFault("5010", "Stale Object Error",
		fmt.Sprintf("Stale Object Error : You and another user were working on the same thing. SyncToken %s is not the latest for Id %s.", token, id), "")
}

func unsupported(what string) *qbFault {
	return validationFault("500", "Unsupported Operation", "Operation "+what+" is not supported.", "")
}

// limiter holds one company's rate-limit window.
type limiter struct {
	minute sandbox.Window
}

// admit applies the throttles to a call metered as n calls (a batch counts
// each item) and counts it; callers hold the lock. It reports false when the call must get 429.
func (s *Sandbox) admit(c *company, now time.Time, n int) bool {
	l := &c.limiter
	l.minute.Prune(now, s.srv.Scaled(time.Minute))
	if s.opts.Limits && (c.InFlight >= limitConcurrent || len(l.minute)+n > limitMinute) {
		return false
	}
	l.minute.Add(now, n)
	return true
}

func (s *Sandbox) timeString() string { return s.now().Format("2006-01-02T15:04:05.000-07:00") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Sandbox) writeFault(w http.ResponseWriter, f *qbFault) {
	if f.Type == "AuthenticationFault" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Intuit", error="invalid_token"`)
	}
	writeJSON(w, f.status, map[string]any{"Fault": f, "time": s.timeString()})
}

func authenticationFault(detail string) *qbFault {
	return &qbFault{Type: "AuthenticationFault", status: http.StatusUnauthorized, Error: []qbError{{
		Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", Detail: detail, Code: "3200"}}}
}

func throttled() *qbFault {
	return &qbFault{Type: "ThrottleExceeded", status: http.StatusTooManyRequests, Error: []qbError{{
		Message: "Too Many Requests", Code: "003001"}}}
}

func systemFault() *qbFault {
	return &qbFault{Type: "SystemFault", status: http.StatusInternalServerError, Error: []qbError{{
		Message: "An application error has occurred while processing your request",
		Detail:  "System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.",
		Code:    "10000"}}}
}

// batchSize counts a batch body's items for metering; 1 for anything else.
func batchSize(rel string, body []byte) int {
	if !strings.EqualFold(rel, "/batch") {
		return 1
	}
	var b struct {
		BatchItemRequest []json.RawMessage `json:"BatchItemRequest"`
	}
	if json.Unmarshal(body, &b) != nil || len(b.BatchItemRequest) == 0 {
		return 1
	}
	return len(b.BatchItemRequest)
}

// isWrite reports whether a call can change data: every POST but queries.
func isWrite(r *http.Request, rel string) bool {
	return r.Method == http.MethodPost && !strings.EqualFold(rel, "/query")
}

// apiHandler wraps the Accounting API with what Intuit does around every
// call: authentication, realm check, faults, throttles, minorversion and
// requestid replay.
func (s *Sandbox) apiHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			s.writeFault(w, invalidProperty(err.Error()))
			return
		}
		s.srv.ServeAPI(w, r, s.apiHooks(body))
	})
}

// apiHooks are the QuickBooks parts of one API call with its body; c is the company Resolve
// found.
func (s *Sandbox) apiHooks(body []byte) sandbox.APIHooks {
	var c *company
	return sandbox.APIHooks{
		Resolve: func(r *http.Request) (sandbox.APICall, func(http.ResponseWriter)) {
			realmID, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v3/company/"), "/")
			g, detail := s.bearerGrant(r)
			if g == nil {
				return sandbox.APICall{}, func(w http.ResponseWriter) { s.writeFault(w, authenticationFault(detail)) }
			}
			c = s.companies[realmID]
			if c == nil || !g.Has(realmID) {
				return sandbox.APICall{}, func(w http.ResponseWriter) {
					s.writeFault(w, &qbFault{Type: "AuthorizationFault", status: http.StatusForbidden, Error: []qbError{{
						Message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
						Detail:  "The token is not authorized for realm " + realmID, Code: "003100"}}})
				}
			}
			rel := "/" + strings.TrimRight(rest, "/")
			call := sandbox.APICall{Org: &c.Org, OrgID: realmID, Rel: rel, Weight: batchSize(rel, body), Write: isWrite(r, rel)}
			if reqID := r.URL.Query().Get("requestid"); reqID != "" && call.Write {
				call.Idempotency, call.IdempotencyID = reqID, sandbox.HashKey(reqID)
			}
			return call, nil
		},
		Admit: func(call sandbox.APICall) func(http.ResponseWriter) {
			if s.admit(c, call.At, call.Weight) {
				return nil
			}
			return func(w http.ResponseWriter) { s.writeFault(w, throttled()) }
		},
		Fault: func(w http.ResponseWriter, kind sandbox.FaultKind) {
			if kind == sandbox.FaultRateLimit {
				s.writeFault(w, throttled())
				return
			}
			s.writeFault(w, systemFault())
		},
		BeforeServe: func(sandbox.APICall) {
			if s.beforeServe != nil {
				s.beforeServe(c.meta.RealmID)
			}
		},
		Serve: func(call sandbox.APICall, r *http.Request) (int, http.Header, []byte) {
			status, resp := s.serveAPI(c, r, call.Rel, body)
			var buf bytes.Buffer
			_ = json.NewEncoder(&buf).Encode(resp)
			return status, nil, buf.Bytes()
		},
		Respond: func(h http.Header, call sandbox.APICall) {
			h.Set("Content-Type", "application/json;charset=UTF-8")
			h.Set("intuit_tid", sandbox.HashKey(c.meta.RealmID, call.At.String(), call.Rel))
		},
		Failed: func(w http.ResponseWriter, _ error) { s.writeFault(w, systemFault()) },
	}
}

// entityNames maps lower-case path segments and query names to entity names.
var entityNames = map[string]string{
	"customer": "Customer", "item": "Item", "invoice": "Invoice", "payment": "Payment",
	"account": "Account", "taxcode": "TaxCode", "taxrate": "TaxRate",
	"companyinfo": "CompanyInfo", "preferences": "Preferences",
	"creditmemo": "CreditMemo", "vendor": "Vendor", "bill": "Bill",
}

// writable are the entities the API creates and updates.
var writable = map[string]bool{"Customer": true, "Item": true, "Invoice": true, "Payment": true, "Account": true,
	"CreditMemo": true, "Vendor": true, "Bill": true}

// serveAPI routes one call and returns its status and body; callers hold s.mu.
func (s *Sandbox) serveAPI(c *company, r *http.Request, rel string, body []byte) (int, any) {
	q := r.URL.Query()
	mv, err := strconv.Atoi(q.Get("minorversion"))
	if err != nil || mv < minMinorVersion {
		f := validationFault("2000", "minorversion 75 or later is required",
			fmt.Sprintf("minorversion %q is not supported: minor versions 1-74 were retired on 2025-08-01; send minorversion=75 or later", q.Get("minorversion")), "minorversion")
		return f.status, s.faultBody(f)
	}
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	name := entityNames[strings.ToLower(segs[0])]
	switch {
	case strings.EqualFold(segs[0], "query") && len(segs) == 1 && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		query := q.Get("query")
		if r.Method == http.MethodPost && query == "" {
			query = strings.TrimSpace(string(body)) // Content-Type application/text
		}
		qr, f := s.runQuery(c, query)
		if f != nil {
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, map[string]any{"QueryResponse": qr, "time": s.timeString()}
	case strings.EqualFold(segs[0], "cdc") && len(segs) == 1 && r.Method == http.MethodGet:
		resp, f := s.runCDC(c, q.Get("entities"), q.Get("changedSince"))
		if f != nil {
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, resp
	case strings.EqualFold(segs[0], "taxservice"):
		return s.serveTaxService(c, r, segs, body)
	case strings.EqualFold(segs[0], "batch") && len(segs) == 1 && r.Method == http.MethodPost:
		resp, f := s.runBatch(c, body)
		if f != nil {
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, resp
	case name == "CompanyInfo" && r.Method == http.MethodGet && len(segs) == 2:
		if segs[1] != c.meta.RealmID && segs[1] != c.meta.Info.ID {
			f := objectNotFound("", "CompanyInfo "+segs[1])
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, map[string]any{"CompanyInfo": c.meta.Info, "time": s.timeString()}
	case name == "Preferences" && r.Method == http.MethodGet && len(segs) == 1:
		return http.StatusOK, map[string]any{"Preferences": c.meta.Prefs, "time": s.timeString()}
	case name != "" && r.Method == http.MethodGet && len(segs) == 2:
		v := s.lookup(c, name, segs[1])
		if v == nil {
			f := objectNotFound("", name+" "+segs[1])
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, map[string]any{name: v, "time": s.timeString()}
	case writable[name] && r.Method == http.MethodPost && len(segs) == 1:
		v, f := s.writeEntity(c, name, q.Get("operation"), body)
		if f != nil {
			return f.status, s.faultBody(f)
		}
		return http.StatusOK, map[string]any{name: v, "time": s.timeString()}
	}
	f := unsupported(r.Method + " " + rel)
	return f.status, s.faultBody(f)
}

func (s *Sandbox) faultBody(f *qbFault) map[string]any {
	return map[string]any{"Fault": f, "time": s.timeString()}
}

// lookup returns one entity by Id, or nil.
func (s *Sandbox) lookup(c *company, name, id string) any {
	switch name {
	case "Customer":
		if v := c.customers[id]; v != nil {
			return v
		}
	case "Item":
		if v := c.items[id]; v != nil {
			return v
		}
	case "Invoice":
		if v := s.invoice(c, id); v != nil {
			return v
		}
	case "Payment":
		if v := c.payments[id]; v != nil {
			return v
		}
	case "CreditMemo":
		if v := c.creditMemos[id]; v != nil {
			return v
		}
	case "Vendor":
		if v := c.vendors[id]; v != nil {
			return v
		}
	case "Bill":
		if v := c.bills[id]; v != nil {
			return v
		}
	case "Account":
		if v := c.account(id); v != nil {
			return v
		}
	case "TaxCode":
		if v := c.taxCode(id); v != nil {
			return v
		}
	case "TaxRate":
		if v := c.taxRate(id); v != nil {
			return v
		}
	}
	return nil
}
