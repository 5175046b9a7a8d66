package xero

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

const (
	apiPrefix = "/api.xro/2.0"
	// Xero's documented per-organisation and per-app limits.
	limitConcurrent = 5
	limitMinute     = 60
	limitDay        = 5000
	limitAppMinute  = 10000
	providerName    = "booksync Xero sandbox"
)

// limiter holds one organisation's rate-limit windows.
type limiter struct {
	minute sandbox.Window
	day    sandbox.Window
}

// admit applies the rate limits to one call and counts it; callers hold the lock. It returns
// the exceeded limit's name and how long to wait, or "" when the call may proceed.
func (s *Sandbox) admit(o *org, now time.Time) (problem string, wait time.Duration) {
	l := &o.limiter
	minute, day := s.srv.Scaled(time.Minute), s.srv.Scaled(24*time.Hour)
	l.minute.Prune(now, minute)
	l.day.Prune(now, day)
	s.app.Prune(now, minute)
	if s.opts.Limits {
		switch {
		case o.InFlight >= limitConcurrent:
			return "concurrent", time.Second
		case len(l.minute) >= limitMinute:
			return "minute", l.minute.Wait(now, minute)
		case len(l.day) >= limitDay:
			return "day", l.day.Wait(now, day)
		case len(s.app) >= limitAppMinute:
			return "appminute", s.app.Wait(now, minute)
		}
	}
	l.minute.Add(now, 1)
	l.day.Add(now, 1)
	s.app.Add(now, 1)
	return "", 0
}

func (s *Sandbox) setLimitHeaders(h http.Header, o *org) {
	h.Set("X-MinLimit-Remaining", strconv.Itoa(max(0, limitMinute-len(o.limiter.minute))))
	h.Set("X-DayLimit-Remaining", strconv.Itoa(max(0, limitDay-len(o.limiter.day))))
	h.Set("X-AppMinLimit-Remaining", strconv.Itoa(max(0, limitAppMinute-len(s.app))))
}

// retryAfterSeconds rounds up to whole seconds, at least 1, as Xero sends it.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// recorder buffers a handler's response so it can be stored for
// Idempotency-Key replay, or withheld for FaultTimeoutAfterStore.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func isWrite(method string) bool {
	return method == http.MethodPut || method == http.MethodPost || method == http.MethodDelete
}

// apiHandler wraps the Accounting API with what Xero does around every
// call: authentication, tenant check, faults, rate limits, idempotency and
// the rate-limit headers.
func (s *Sandbox) apiHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.srv.ServeAPI(w, r, s.apiHooks()) })
}

// apiHooks are the Xero parts of one API call; o is the organisation Resolve found.
func (s *Sandbox) apiHooks() sandbox.APIHooks {
	var o *org
	return sandbox.APIHooks{
		Resolve: func(r *http.Request) (sandbox.APICall, func(http.ResponseWriter)) {
			g, detail := s.bearerGrant(r)
			if g == nil {
				return sandbox.APICall{}, func(w http.ResponseWriter) { writeProblem(w, http.StatusUnauthorized, "Unauthorized", detail) }
			}
			tenantID := r.Header.Get("xero-tenant-id")
			o = s.orgs[tenantID]
			if o == nil || !g.Has(tenantID) {
				return sandbox.APICall{}, func(w http.ResponseWriter) {
					writeProblem(w, http.StatusForbidden, "Forbidden", "AuthenticationUnsuccessful")
				}
			}
			call := sandbox.APICall{Org: &o.Org, OrgID: o.meta.TenantID, Rel: strings.TrimPrefix(r.URL.Path, apiPrefix), Weight: 1, Write: isWrite(r.Method)}
			if key := r.Header.Get("Idempotency-Key"); key != "" && call.Write {
				call.Idempotency, call.IdempotencyID = key, sandbox.HashKey(r.Method, strings.ToLower(call.Rel), key)
			}
			return call, nil
		},
		Admit: func(call sandbox.APICall) func(http.ResponseWriter) {
			problem, wait := s.admit(o, call.At)
			if problem == "" {
				return nil
			}
			return func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", retryAfterSeconds(wait))
				w.Header().Set("X-Rate-Limit-Problem", problem)
				writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", "Rate limit exceeded: "+problem)
			}
		},
		Headers: func(h http.Header, _ sandbox.APICall) { s.setLimitHeaders(h, o) },
		Fault: func(w http.ResponseWriter, kind sandbox.FaultKind) {
			if kind == sandbox.FaultRateLimit {
				w.Header().Set("Retry-After", "1")
				w.Header().Set("X-Rate-Limit-Problem", "minute")
				writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", "Rate limit exceeded")
				return
			}
			writeProblem(w, http.StatusInternalServerError, "An error occurred",
				"An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.")
		},
		BeforeServe: func(sandbox.APICall) {
			if s.beforeServe != nil {
				s.beforeServe(o.meta.TenantID)
			}
		},
		Serve: func(call sandbox.APICall, r *http.Request) (int, http.Header, []byte) {
			rec := &recorder{header: http.Header{}}
			s.serveAPI(o, rec, r, call.Rel)
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			return rec.status, rec.header, rec.body.Bytes()
		},
		// Every answer is JSON; a replayed one has no header of its own.
		Respond: func(h http.Header, _ sandbox.APICall) { h.Set("Content-Type", "application/json; charset=utf-8") },
		Failed: func(w http.ResponseWriter, err error) {
			writeProblem(w, http.StatusInternalServerError, "An error occurred", err.Error())
		},
	}
}

// resourceNames maps lower-case path segments to Xero's names; Xero's
// routing is case-insensitive.
var resourceNames = map[string]string{
	"accounts": "Accounts", "taxrates": "TaxRates", "contacts": "Contacts", "items": "Items",
	"invoices": "Invoices", "payments": "Payments", "organisation": "Organisation", "creditnotes": "CreditNotes",
	"currencies": "Currencies",
}

// serveAPI routes one Accounting API call; callers hold s.mu.
func (s *Sandbox) serveAPI(o *org, w http.ResponseWriter, r *http.Request, rel string) {
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	res := resourceNames[strings.ToLower(segs[0])]
	id := ""
	if len(segs) == 2 {
		id = segs[1]
	}
	if res == "CreditNotes" && len(segs) == 3 && strings.EqualFold(segs[2], "Allocations") {
		if r.Method != http.MethodPut {
			writeProblem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The requested method is not supported for this resource")
			return
		}
		s.writeAllocations(o, w, r, segs[1])
		return
	}
	if res == "" || len(segs) > 2 {
		writeProblem(w, http.StatusNotFound, "NotFound", "The resource you're looking for cannot be found")
		return
	}
	type route struct{ res, method string }
	handlers := map[route]func(*org, http.ResponseWriter, *http.Request, string){
		{"Accounts", "GET"}:     s.getAccounts,
		{"TaxRates", "GET"}:     s.getTaxRates,
		{"TaxRates", "PUT"}:     s.putTaxRates,
		{"TaxRates", "POST"}:    s.postTaxRates,
		{"Contacts", "GET"}:     s.getContacts,
		{"Contacts", "PUT"}:     s.writeContacts,
		{"Contacts", "POST"}:    s.writeContacts,
		{"Items", "GET"}:        s.getItems,
		{"Items", "PUT"}:        s.writeItems,
		{"Items", "POST"}:       s.writeItems,
		{"Invoices", "GET"}:     s.getInvoices,
		{"Invoices", "PUT"}:     s.writeInvoices,
		{"Invoices", "POST"}:    s.writeInvoices,
		{"Payments", "GET"}:     s.getPayments,
		{"Payments", "PUT"}:     s.writePayments,
		{"Payments", "POST"}:    s.writePayments,
		{"Organisation", "GET"}: s.getOrganisation,
		{"Currencies", "GET"}:   s.getCurrencies,
		{"CreditNotes", "GET"}:  s.getCreditNotes,
		{"CreditNotes", "PUT"}:  s.writeCreditNotes,
		{"CreditNotes", "POST"}: s.writeCreditNotes,
	}
	h := handlers[route{res, r.Method}]
	if h == nil || (id != "" && r.Method == http.MethodPut) {
		writeProblem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The requested method is not supported for this resource")
		return
	}
	h(o, w, r, id)
}

// envelope is Xero's response wrapper around a list of objects.
func (s *Sandbox) envelope(key string, list any) map[string]any {
	return map[string]any{
		"Id":           uuid.NewString(),
		"Status":       "OK",
		"ProviderName": providerName,
		"DateTimeUTC":  MSDate{s.now()},
		key:            list,
	}
}

// apiError writes Xero's Error body ({ErrorNumber, Type, Message, Elements}).
func apiError(w http.ResponseWriter, status, number int, typ, msg string, elements []any) {
	body := map[string]any{"ErrorNumber": number, "Type": typ, "Message": msg}
	if elements != nil {
		body["Elements"] = elements
	}
	writeJSON(w, status, body)
}

func validationException(w http.ResponseWriter, elements []any) {
	apiError(w, http.StatusBadRequest, 10, "ValidationException", "A validation exception occurred", elements)
}

func postDataInvalid(w http.ResponseWriter, err error) {
	apiError(w, http.StatusBadRequest, 14, "PostDataInvalidException", "JSON for post data was invalid, "+err.Error(), nil)
}

func notFound(w http.ResponseWriter) {
	writeProblem(w, http.StatusNotFound, "NotFound", "The resource you're looking for cannot be found")
}

// decodeList reads {"<key>":[...]} or, for single-object endpoints such
// as POST /Payments, a bare object.
func decodeList[T any](r *http.Request, key string, allowSingle bool) ([]T, error) {
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, err
	}
	if list, ok := raw[key]; ok {
		var out []T
		if err := json.Unmarshal(list, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if allowSingle {
		b, _ := json.Marshal(raw)
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, err
		}
		return []T{one}, nil
	}
	return nil, fmt.Errorf("missing %q array", key)
}

// element is one object of a batch write after validation.
type element struct {
	out    any // what the response shows for this element
	errs   []ValidationError
	commit func()
}

// finishBatch applies Xero's summarizeErrors rules: with summarizeErrors=false
// valid elements are stored and every element is returned (200); otherwise any
// invalid element fails the whole call with 400 and nothing is stored.
func (s *Sandbox) finishBatch(w http.ResponseWriter, r *http.Request, key string, elems []element) {
	perElement := strings.EqualFold(r.URL.Query().Get("summarizeErrors"), "false")
	var failed []any
	for _, e := range elems {
		if len(e.errs) > 0 {
			failed = append(failed, e.out)
		}
	}
	if len(failed) > 0 && !perElement {
		validationException(w, failed)
		return
	}
	outs := make([]any, 0, len(elems))
	for _, e := range elems {
		if len(e.errs) == 0 {
			e.commit()
		}
		outs = append(outs, e.out)
	}
	writeJSON(w, http.StatusOK, s.envelope(key, outs))
}

// condition is one Field=="value" clause of a where filter.
type condition struct{ field, value string }

// whereFilter is a parsed where filter: alternatives joined by OR, each a list of conditions
// joined by AND. Empty matches everything.
type whereFilter [][]condition

// parseWhere understands the exact-match forms connectors use:
// Field=="value", Field==Guid("..."), Field==true, joined by AND (or &&) and OR (or ||), AND
// binding tighter, as in Xero.
func parseWhere(where string) (whereFilter, error) {
	where = strings.TrimSpace(where)
	if where == "" {
		return nil, nil
	}
	var out whereFilter
	for _, alt := range splitOutsideQuotes(where, " OR ", "||") {
		var conds []condition
		for _, part := range splitAnd(alt) {
			f, v, ok := strings.Cut(part, "==")
			if !ok {
				return nil, fmt.Errorf("unsupported where clause %q (the sandbox supports Field==\"value\" joined by AND and OR)", part)
			}
			f = strings.TrimSpace(f)
			v = strings.TrimSpace(v)
			if inner, ok := strings.CutPrefix(v, "Guid("); ok {
				v = strings.TrimSuffix(inner, ")")
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
			}
			conds = append(conds, condition{f, v})
		}
		out = append(out, conds)
	}
	return out, nil
}

func splitAnd(s string) []string { return splitOutsideQuotes(s, " AND ", "&&") }

// splitOutsideQuotes splits s at word (matched case-insensitively) and at symbol, outside
// double quotes.
func splitOutsideQuotes(s, word, symbol string) []string {
	var parts []string
	inQuote := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && strings.HasPrefix(s[i:], symbol):
			parts = append(parts, s[start:i])
			start = i + len(symbol)
			i += len(symbol) - 1
		case !inQuote && len(s) >= i+len(word) && strings.EqualFold(s[i:i+len(word)], word):
			parts = append(parts, s[start:i])
			start = i + len(word)
			i += len(word) - 1
		}
	}
	return append(parts, s[start:])
}

// matchWhere reports whether obj satisfies every condition of one of the filter's alternatives;
// field returns an object's value for a field name and false when the field is unsupported.
// Comparison ignores case, as Xero's does.
func matchWhere(filter whereFilter, field func(string) (string, bool)) (bool, error) {
	if len(filter) == 0 {
		return true, nil
	}
	matched := false
	for _, conds := range filter {
		all := true
		for _, c := range conds {
			v, ok := field(c.field)
			if !ok {
				return false, fmt.Errorf("unsupported where field %q", c.field)
			}
			all = all && strings.EqualFold(v, c.value)
		}
		matched = matched || all
	}
	return matched, nil
}

func queryParseError(w http.ResponseWriter, err error) {
	apiError(w, http.StatusBadRequest, 16, "QueryParseException", err.Error(), nil)
}

// splitList reads comma-separated query parameters (IDs=a,b and IDs=a&IDs=b).
func splitList(q []string) []string {
	var out []string
	for _, v := range q {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// ifModifiedSince reads the header in the forms clients send (RFC 3339 as
// the spec says, HTTP dates, or Xero's own yyyy-MM-ddTHH:mm:ss).
func ifModifiedSince(r *http.Request) (time.Time, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Modified-Since"))
	if h == "" {
		return time.Time{}, false
	}
	if t, err := http.ParseTime(h); err == nil {
		return t, true
	}
	if t, err := parseDate(h); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// paginate applies page/pageSize; without page every match is returned.
func paginate[T any](r *http.Request, list []T) ([]T, map[string]int, error) {
	q := r.URL.Query()
	if q.Get("page") == "" {
		return list, nil, nil
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		return nil, nil, errors.New("page must be a positive integer")
	}
	size := 100
	if ps := q.Get("pageSize"); ps != "" {
		if size, err = strconv.Atoi(ps); err != nil || size < 1 {
			return nil, nil, errors.New("pageSize must be a positive integer")
		}
		size = min(size, 1000)
	}
	start := min((page-1)*size, len(list))
	end := min(start+size, len(list))
	return list[start:end], map[string]int{
		"page": page, "pageSize": size, "pageCount": (len(list) + size - 1) / size, "itemCount": len(list),
	}, nil
}

func (s *Sandbox) writeList(w http.ResponseWriter, key string, list any, pagination map[string]int) {
	env := s.envelope(key, list)
	if pagination != nil {
		env["pagination"] = pagination
	}
	writeJSON(w, http.StatusOK, env)
}

// getCurrencies lists the organisation's currencies: its base currency, then those added.
func (s *Sandbox) getCurrencies(o *org, w http.ResponseWriter, _ *http.Request, _ string) {
	out := []map[string]string{{"Code": o.baseCurrency(), "Description": o.baseCurrency()}}
	for _, c := range o.meta.Currencies {
		out = append(out, map[string]string{"Code": c, "Description": c})
	}
	writeJSON(w, http.StatusOK, s.envelope("Currencies", out))
}

func (s *Sandbox) getOrganisation(o *org, w http.ResponseWriter, _ *http.Request, _ string) {
	e := editionOf(o.country())
	writeJSON(w, http.StatusOK, s.envelope("Organisations", []map[string]any{{
		"OrganisationID": o.meta.TenantID, "Name": o.meta.Name, "LegalName": o.meta.Name,
		"PaysTax": true, "Version": e.Version, "OrganisationType": "COMPANY", "BaseCurrency": o.baseCurrency(),
		"CountryCode": o.country(), "IsDemoCompany": true, "OrganisationStatus": "ACTIVE",
		"TaxNumber": e.TaxNumber, "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
		"SalesTaxBasis": "ACCRUALS", "SalesTaxPeriod": "QUARTERLY1", "DefaultSalesTax": "Tax Exclusive",
		"DefaultPurchasesTax": "Tax Exclusive", "CreatedDateUTC": MSDate{o.meta.CreatedAt},
		"OrganisationEntityType": "COMPANY", "Timezone": e.Timezone, "ShortCode": o.meta.ShortCode,
		"Edition": "BUSINESS", "Class": "DEMO", "Addresses": []any{}, "Phones": []any{}, "ExternalLinks": []any{},
	}}))
}
