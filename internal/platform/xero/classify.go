package xero

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// Classification of Xero's answers (docs/architecture.md, "Errors are classified"):
//
//	2xx                                   success (per-object ValidationErrors: NeedsUserAction)
//	400 ValidationException               NeedsUserAction, per object when Xero names the objects
//	401                                   Auth (the engine refreshes once, then deauthorizes)
//	403                                   Auth: tenant disconnected or access withdrawn; reconnect
//	404                                   NeedsUserAction, code not_found
//	408                                   Transient (Xero gave up before reading the request)
//	429                                   RateLimited, RetryAfter from Retry-After; budget paused
//	502, 504 on a write                   UnknownOutcome (a gateway gave up; Xero may have acted)
//	other 5xx                             Transient
//	other 4xx                             NeedsUserAction, code request_rejected
//	network failure before the request    Transient
//	  was sent in full, or on any GET
//	network failure or timeout after a    UnknownOutcome
//	  write was sent
//	token refresh refused                 Auth; token service 5xx: Transient

// xeroError is the body of a 400 (components/schemas/Error).
type xeroError struct {
	ErrorNumber int               `json:"ErrorNumber"`
	Type        string            `json:"Type"`
	Message     string            `json:"Message"`
	Elements    []json.RawMessage `json:"Elements"`
}

// problem is the RFC 7807-style body Xero's gateway answers 401 and 403 with.
type problem struct {
	Title  string `json:"Title"`
	Detail string `json:"Detail"`
}

// message is Xero's ValidationError and Warning.
type message struct {
	Message string `json:"Message"`
}

// elementErrors reads the ValidationErrors of one element of a 400.
type elementErrors struct {
	ValidationErrors []message `json:"ValidationErrors"`
}

// service makes the round trips to Xero and names it in the messages of transport failures.
var service = platform.Service{Name: "Xero", Login: "Xero's login service",
	RefreshHint: "Reconnect Xero from the accounting connection; Xero refresh tokens expire after 60 days unused and rotate on each use"}

// unexpected reports an answer booksync could not read. After a write Xero has acted on the
// request, so the outcome is unknown; after a read, trying again is all there is to do.
func unexpected(err error, write bool) *platform.Error {
	class := platform.Transient
	if write {
		class = platform.UnknownOutcome
	}
	return &platform.Error{Class: class, Code: "unexpected_response",
		Message: "Unexpected answer from Xero", Err: err}
}

// classifyStatus returns nil for a 2xx answer and the classified error for any other. A 400 is
// classified as a whole here; pushes that can tell which objects failed look at it first.
func classifyStatus(resp response, write bool) *platform.Error {
	s := resp.status
	switch {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusBadRequest:
		var xe xeroError
		_ = json.Unmarshal(resp.body, &xe)
		msgs := xe.messages()
		if len(msgs) == 0 {
			msgs = []string{"Xero rejected the request (400 Bad Request)"}
		}
		e := validationError(msgs, nil)
		e.Status = s
		return e
	case s == http.StatusUnauthorized:
		return &platform.Error{Class: platform.Auth, Status: s, Code: "unauthorized",
			Message: "Xero refused the access token (401 Unauthorized" + problemDetail(resp.body) + ")",
			Details: []platform.Detail{{Message: "The access token is expired or revoked",
				Fix: "booksync refreshes the token once; if Xero refuses again, reconnect Xero from the accounting connection"}}}
	case s == http.StatusForbidden:
		return &platform.Error{Class: platform.Auth, Status: s, Code: "forbidden",
			Message: "Xero organisation is not connected to booksync (403 Forbidden" + problemDetail(resp.body) + ")",
			Details: []platform.Detail{{Message: "The connection no longer has access to this Xero organisation, or lacks a permission",
				Fix: "Reconnect Xero and select this organisation; the connecting user needs the Standard or Adviser role"}}}
	case s == http.StatusNotFound:
		return &platform.Error{Class: platform.NeedsUserAction, Status: s, Code: "not_found",
			Message: "Not found in Xero (404)",
			Details: []platform.Detail{{Message: "The object does not exist in this Xero organisation",
				Fix: "Check that the connection points at the right organisation; if the object was deleted in Xero, push it again"}}}
	case s == http.StatusTooManyRequests:
		d := retryAfter(resp.header)
		problem := resp.header.Get("X-Rate-Limit-Problem")
		msg := "Xero rate limit reached"
		if problem != "" {
			msg += " (" + problem + " limit)"
		}
		return &platform.Error{Class: platform.RateLimited, Status: s, RetryAfter: d, Code: "rate_limited",
			Message: fmt.Sprintf("%s; retry after %s", msg, d)}
	case s == http.StatusRequestTimeout:
		return &platform.Error{Class: platform.Transient, Status: s, Code: "timeout",
			Message: "Timeout: Xero closed the request before reading it (408)"}
	case s >= 500:
		if write && (s == http.StatusBadGateway || s == http.StatusGatewayTimeout) {
			return &platform.Error{Class: platform.UnknownOutcome, Status: s, Code: "gateway_timeout",
				Message: fmt.Sprintf("Xero gateway error (%d) after the request was sent; it may or may not have been applied", s)}
		}
		return &platform.Error{Class: platform.Transient, Status: s, Code: "server_error",
			Message: fmt.Sprintf("Xero server error (%d %s)", s, http.StatusText(s))}
	default:
		return &platform.Error{Class: platform.NeedsUserAction, Status: s, Code: "request_rejected",
			Message: fmt.Sprintf("Xero rejected the request (%d %s)%s", s, http.StatusText(s), problemDetail(resp.body))}
	}
}

// messages returns the validation messages of a 400: the elements' when Xero names them, else
// the top-level message.
func (xe xeroError) messages() []string {
	var out []string
	for _, raw := range xe.Elements {
		var el elementErrors
		if json.Unmarshal(raw, &el) == nil {
			for _, m := range el.ValidationErrors {
				out = append(out, m.Message)
			}
		}
	}
	if len(out) == 0 && xe.Message != "" {
		out = append(out, xe.Message)
	}
	return out
}

// problemDetail returns ": detail" from a 401/403 body, or "".
func problemDetail(body []byte) string {
	var p problem
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	d := p.Detail
	if d == "" {
		d = p.Title
	}
	if d == "" || len(d) > 200 {
		return ""
	}
	return ": " + d
}

// retryAfter reads Retry-After (seconds, or an HTTP date); Xero always sends seconds, and a minute
// is the safe guess when it is missing because the minute limit is the one usually hit.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return time.Minute
}

// cause is one kind of Xero validation message and what booksync says about it.
type cause struct {
	code  string
	words string // the plain cause, which starts the error message
	field string // the Xero field concerned, when the message does not say better
	fix   string
	match func(m string) bool // m is the message in lower case
}

// has reports whether m contains any of subs.
func has(m string, subs ...string) bool {
	for _, s := range subs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// invalid are the words Xero uses for a reference to something that is missing or unusable.
var invalid = []string{"does not exist", "not valid", "must be valid", "invalid", "cannot be used",
	"archived", "is not a valid", "could not be found", "not found", "deleted"}

// causes are tried in order; the first match wins, so narrower causes come first.
var causes = []cause{
	{code: "invoice_has_payments", words: "Invoice has payments or credit notes in Xero", field: "Invoice",
		fix:   "Remove the payments and credit note allocations from the invoice in Xero (or cancel booksync's payment records), then try again.",
		match: func(m string) bool { return has(m, "payment or credit note allocated") }},
	{code: "credit_exceeds_amount_due", words: "Credit is more than Xero allows", field: "Amount",
		fix:   "Check the invoice in Xero for payments or credit notes recorded there directly; a credit note can apply at most what is still due on the invoice.",
		match: func(m string) bool { return has(m, "exceeds the amount due", "exceeds the remaining credit") }},
	{code: "invalid_status", words: "Status change refused by Xero", field: "Status",
		fix:   "Check the document's status in Xero: an approved invoice can be voided, a draft deleted, and a voided or deleted one changes no more.",
		match: func(m string) bool { return has(m, "not of valid status") }},
	{code: "duplicate_invoice_number", words: "Invoice number already exists in Xero", field: "InvoiceNumber",
		fix:   "Xero already has another invoice with this number that booksync did not match when it looked the number up (for example a deleted invoice, or one being created at the same moment). Give the invoice a different number in booksync, or remove the other invoice in Xero, then push again.",
		match: func(m string) bool { return has(m, "must be unique") && has(m, "invoice") }},
	{code: "contact_name_taken", words: "Contact name already used by another contact in Xero", field: "Contact.Name",
		fix: "Another Xero contact (possibly archived) has this name. Restore or rename that contact in Xero, or rename the counterpart in booksync, then push again.",
		match: func(m string) bool {
			return has(m, "already assigned to another contact") || (has(m, "contact") && has(m, "name") && has(m, "unique", "already exists"))
		}},
	{code: "currency_not_enabled", words: "Currency not enabled in Xero", field: "CurrencyCode",
		fix: "Add the currency in Xero (Settings > Currencies; it needs a plan with multi-currency; in booksync's built-in sandbox, the organisation page's Add currency or POST /sandbox/xero/orgs/{tenant}/currencies {\"code\": \"EUR\"}), then push again.",
		match: func(m string) bool {
			return has(m, "currency") && has(m, "not subscribed", "not enabled", "not available", "subscribe")
		}},
	{code: "period_locked", words: "Date is before the lock date in Xero", field: "Date",
		fix:   "Xero does not accept transactions before the organisation's lock date. Change the date, or ask the organisation's adviser to move the lock date in Xero, then push again.",
		match: func(m string) bool { return has(m, "lock date", "period is locked", "locked period") }},
	{code: "tax_rate_account_mismatch", words: "Tax rate cannot be used with this ledger account in Xero", field: "LineItems.TaxType",
		fix: "Choose a tax rate that Xero allows for the account (see the account's tax in Xero's chart of accounts), or use another ledger account, then push again.",
		match: func(m string) bool {
			return has(m, "taxtype", "tax type", "tax rate") && has(m, "with account", "for account")
		}},
	{code: "tax_rate_not_found", words: "Tax rate does not exist in Xero", field: "LineItems.TaxType",
		fix:   "Create the tax rate in Xero (Settings > Tax rates) or activate it, or set accounting_tax_rate_id on booksync's tax rate to one of the organisation's tax rates, then push again.",
		match: func(m string) bool { return has(m, "taxtype", "tax type", "tax rate") && has(m, invalid...) }},
	{code: "payment_account_not_allowed", words: "Ledger account does not accept payments in Xero", field: "Account",
		fix: "Pay into a bank account, or enable \"Enable payments to this account\" on the account in Xero's chart of accounts, then push again.",
		match: func(m string) bool {
			return has(m, "payment") && has(m, "account") && has(m, "not enabled for payments", "making a payment", "payments to this account")
		}},
	{code: "ledger_account_not_found", words: "Ledger account does not exist in Xero", field: "LineItems.AccountCode",
		fix:   "Create or restore the account in Xero's chart of accounts, or set the product's ledger_account_id (or the entity's accounting.ledger_account_ids.products) to an existing account, then push again.",
		match: func(m string) bool { return has(m, "account") && !has(m, "contact") && has(m, invalid...) }},
	{code: "item_code_taken", words: "Item code already exists in Xero", field: "Code",
		fix:   "Another Xero item has this code; rename one of them, then push again.",
		match: func(m string) bool { return has(m, "item") && has(m, "code") && has(m, "already exists", "unique") }},
	{code: "item_not_found", words: "Item does not exist in Xero", field: "LineItems.ItemCode",
		fix:   "Push the product again so booksync creates the item in Xero, or restore it in Xero, then push the invoice again.",
		match: func(m string) bool { return has(m, "item") && has(m, invalid...) }},
	{code: "contact_not_found", words: "Contact does not exist in Xero", field: "Contact",
		fix: "The customer is missing or archived in Xero. Restore it in Xero or push the counterpart again, then push the invoice again.",
		match: func(m string) bool {
			return has(m, "contact") && (has(m, invalid...) || has(m, "must contain at least"))
		}},
	{code: "payment_exceeds_amount_due", words: "Payment is more than the amount due in Xero", field: "Amount",
		fix: "Check the invoice in Xero for payments or credit notes recorded there directly, and record only what is still due.",
		match: func(m string) bool {
			return has(m, "exceeds the amount outstanding", "payment amount exceeds", "overpayment")
		}},
	{code: "invoice_not_payable", words: "Invoice cannot take payments in Xero", field: "Invoice",
		fix:   "Xero records payments only on approved (AUTHORISED) invoices. Approve the invoice in Xero or push it as issued, then push the payment again.",
		match: func(m string) bool { return has(m, "payment") && has(m, "authorised", "status") }},
	{code: "line_total_mismatch", words: "Line total does not match in Xero", field: "LineItems.LineAmount",
		fix:   "Xero computed a different line total; check the line's quantity, unit price and discount (Xero rounds line amounts to 2 decimals), then push again.",
		match: func(m string) bool { return has(m, "line total") && has(m, "does not match") }},
	{code: "due_date_required", words: "Due date required by Xero", field: "DueDate",
		fix:   "Set a due date or payment terms on the invoice, then push again.",
		match: func(m string) bool { return has(m, "due date") }},
}

// fallback is the cause of a message booksync does not recognise.
var fallback = cause{code: "validation_failed", words: "Xero rejected the data",
	fix: "Correct what Xero's message describes, then push again."}

// quoted finds the first 'value' in a Xero message, which names the code it refused.
var quoted = regexp.MustCompile(`'([^']*)'`)

// locator returns the field a message with code is about, given the value the message quotes
// ("" when it quotes none); "" keeps the cause's field.
type locator func(code, value string) string

// validationError maps Xero validation messages onto one NeedsUserAction error: the code and the
// start of the message come from the first message; every message becomes a detail.
func validationError(msgs []string, locate locator) *platform.Error {
	e := &platform.Error{Class: platform.NeedsUserAction}
	for i, m := range msgs {
		c := fallback
		lm := strings.ToLower(m)
		for _, cand := range causes {
			if cand.match(lm) {
				c = cand
				break
			}
		}
		field := c.field
		if locate != nil {
			value := ""
			if q := quoted.FindStringSubmatch(m); q != nil {
				value = q[1]
			}
			if f := locate(c.code, value); f != "" {
				field = f
			}
		}
		if i == 0 {
			e.Code = c.code
			e.Message = c.words + ": " + m
		}
		e.Details = append(e.Details, platform.Detail{Field: field, Message: m, Fix: c.fix})
	}
	if len(msgs) > 1 {
		e.Message += fmt.Sprintf(" (and %d more)", len(msgs)-1)
	}
	return e
}

// objectError maps one object's ValidationErrors; nil when there are none.
func objectError(msgs []message, locate locator) error {
	if len(msgs) == 0 {
		return nil
	}
	s := make([]string, len(msgs))
	for i, m := range msgs {
		s[i] = m.Message
	}
	return validationError(s, locate)
}
