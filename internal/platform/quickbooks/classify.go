package quickbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// Classification of QuickBooks' answers (docs/architecture.md, "Errors are classified"). A Fault is
// classified the same way wherever it comes: as the body of an error status, inside a 200, or
// inside one item of a batch answer (where it is that object's error alone).
//
//	2xx without a Fault                   success
//	ValidationFault (400 or in a 200)     NeedsUserAction, mapped per error code (see causes):
//	                                        6140, 6210, "Duplicate Document Number" duplicate_invoice_number
//	                                        6240 Duplicate Name                  contact_name_taken / item_name_taken
//	                                        610 Object Not Found, 2500 Invalid   item_not_found, contact_not_found,
//	                                          Reference Id (by element/detail)     tax_rate_not_found, ledger_account_not_found,
//	                                                                               invoice_not_found
//	                                        6190 Invalid Company Status          company_not_active
//	                                        other (6000-range business rules,    validation_failed, QuickBooks' detail
//	                                          2xxx request errors)                 as the message
//	  code 5010 Stale Object              Transient stale_object (updates re-read and retry once first)
//	AuthenticationFault, 401, code 3200   Auth unauthorized (the engine refreshes once, then deauthorizes)
//	AuthorizationFault, 403, 3100, 120    Auth forbidden (reconnect; the user lacks access to the company)
//	429, ThrottleExceeded, code 3001      RateLimited, RetryAfter 60 s (QuickBooks sends no Retry-After);
//	                                        the connection's budget is paused
//	SystemFault, 500, 503, other 5xx      Transient
//	502, 504 on a write                   UnknownOutcome (a gateway gave up; QuickBooks may have acted)
//	404                                   NeedsUserAction not_found (wrong realm or object)
//	408                                   Transient
//	other 4xx                             NeedsUserAction request_rejected
//	network failure before the request    Transient
//	  was sent in full, or on any GET
//	network failure or timeout after a    UnknownOutcome
//	  write was sent
//	token refresh refused                 Auth; token service 5xx: Transient

// throttleWait is how long to wait after a 429: Intuit documents 60 seconds and sends no
// Retry-After.
const throttleWait = 60 * time.Second

// wireFault is QuickBooks' Fault (IntuitRestServiceDef.xsd). Intuit's gateway spells the keys in
// lower case on 401s ("fault", "error", "message"); encoding/json matches keys case-insensitively,
// so one type reads both.
type wireFault struct {
	Type  string      `json:"type"`
	Error []wireError `json:"Error"`
}

// wireError is one Error of a Fault: Message is the standard text for the code, Detail the
// business logic's explanation, element the field at fault when QuickBooks knows it.
type wireError struct {
	Message string `json:"Message"`
	Detail  string `json:"Detail"`
	Code    string `json:"code"`
	Element string `json:"element"`
}

// text is the most specific description of an error.
func (e wireError) text() string {
	switch {
	case e.Detail != "" && e.Message != "" && !strings.Contains(e.Detail, e.Message):
		return e.Message + ": " + e.Detail
	case e.Detail != "":
		return e.Detail
	case e.Message != "":
		return e.Message
	}
	return "error " + e.Code
}

// codeNum returns the numeric code, 0 when it has none.
func (e wireError) codeNum() int {
	n, _ := strconv.Atoi(strings.TrimSpace(e.Code))
	return n
}

// envelope reads a Fault at the top of any answer.
type envelope struct {
	Fault *wireFault `json:"Fault"`
}

// service makes the round trips to QuickBooks and names it in the messages of transport failures.
var service = platform.Service{Name: "QuickBooks", Login: "Intuit's login service",
	RefreshHint: "Reconnect QuickBooks from the accounting connection; refresh tokens expire after 100 days unused and rotate on use"}

// unexpected reports an answer booksync could not read. After a write QuickBooks has acted on the
// request, so the outcome is unknown; after a read, trying again is all there is to do.
func unexpected(err error, write bool) *platform.Error {
	class := platform.Transient
	if write {
		class = platform.UnknownOutcome
	}
	return &platform.Error{Class: class, Code: "unexpected_response",
		Message: "Unexpected answer from QuickBooks", Err: err}
}

// classifyResponse returns nil for a 2xx answer without a Fault and the classified error for any
// other. kind ("customer", "item", "invoice", "payment", "" for reads) picks the wording of
// validation errors that depend on the object, such as a duplicate name or a missing reference.
func classifyResponse(resp response, write bool, kind string) *platform.Error {
	s := resp.status
	var env envelope
	_ = json.Unmarshal(resp.body, &env)
	if s >= 200 && s < 300 {
		if env.Fault == nil {
			return nil
		}
		e := classifyFault(*env.Fault, write, kind)
		e.Status = s
		return e
	}
	switch {
	case s == http.StatusTooManyRequests:
		return rateLimited(s)
	case s == http.StatusUnauthorized:
		return unauthorized(s, env.Fault)
	case s == http.StatusForbidden:
		return forbidden(s, env.Fault)
	case s >= 500:
		if write && (s == http.StatusBadGateway || s == http.StatusGatewayTimeout) {
			return &platform.Error{Class: platform.UnknownOutcome, Status: s, Code: "gateway_timeout",
				Message: fmt.Sprintf("QuickBooks gateway error (%d) after the request was sent; it may or may not have been applied", s)}
		}
		msg := fmt.Sprintf("QuickBooks server error (%d %s)", s, http.StatusText(s))
		if env.Fault != nil && len(env.Fault.Error) > 0 {
			msg += ": " + env.Fault.Error[0].text()
		}
		return &platform.Error{Class: platform.Transient, Status: s, Code: "server_error", Message: msg}
	case s == http.StatusRequestTimeout:
		return &platform.Error{Class: platform.Transient, Status: s, Code: "timeout",
			Message: "Timeout: QuickBooks closed the request before reading it (408)"}
	case env.Fault != nil && len(env.Fault.Error) > 0:
		e := classifyFault(*env.Fault, write, kind)
		e.Status = s
		return e
	case s == http.StatusNotFound:
		return &platform.Error{Class: platform.NeedsUserAction, Status: s, Code: "not_found",
			Message: "Not found in QuickBooks (404)",
			Details: []platform.Detail{{Message: "The company or object does not exist",
				Fix: "Check that the connection points at the right QuickBooks company (realm); if the object was deleted in QuickBooks, push it again"}}}
	default:
		return &platform.Error{Class: platform.NeedsUserAction, Status: s, Code: "request_rejected",
			Message: fmt.Sprintf("QuickBooks rejected the request (%d %s)", s, http.StatusText(s))}
	}
}

func rateLimited(status int) *platform.Error {
	return &platform.Error{Class: platform.RateLimited, Status: status, RetryAfter: throttleWait, Code: "rate_limited",
		Message: fmt.Sprintf("QuickBooks rate limit reached (500 calls a minute, 10 at once per company); retry after %s", throttleWait)}
}

func unauthorized(status int, f *wireFault) *platform.Error {
	return &platform.Error{Class: platform.Auth, Status: status, Code: "unauthorized",
		Message: "QuickBooks refused the access token (AuthenticationFault" + faultDetail(f) + ")",
		Details: []platform.Detail{{Message: "The access token is expired or revoked",
			Fix: "booksync refreshes the token once; if QuickBooks refuses again, reconnect QuickBooks from the accounting connection"}}}
}

func forbidden(status int, f *wireFault) *platform.Error {
	return &platform.Error{Class: platform.Auth, Status: status, Code: "forbidden",
		Message: "QuickBooks company is not accessible to booksync (AuthorizationFault" + faultDetail(f) + ")",
		Details: []platform.Detail{{Message: "The connection has no access to this company, or the connecting user lacks a permission",
			Fix: "Reconnect QuickBooks as a company administrator and select this company"}}}
}

// faultDetail returns ": <first error>" for messages, "" without one.
func faultDetail(f *wireFault) string {
	if f == nil || len(f.Error) == 0 {
		return ""
	}
	return ": " + f.Error[0].text()
}

// classifyFault classifies a Fault by its type and codes.
func classifyFault(f wireFault, write bool, kind string) *platform.Error {
	typ := strings.ToLower(f.Type)
	has := func(codes ...int) bool {
		for _, e := range f.Error {
			for _, c := range codes {
				if e.codeNum() == c {
					return true
				}
			}
		}
		return false
	}
	mentions := func(word string) bool {
		for _, e := range f.Error {
			if strings.Contains(strings.ToLower(e.Message+" "+e.Detail), word) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(typ, "throttle") || has(3001) || mentions("throttleexceeded"):
		return rateLimited(0)
	case strings.Contains(typ, "authentication") || has(3200) || mentions("authenticationfailed"):
		return unauthorized(0, &f)
	// The XSD spells the type "AuthorizatonFault"; the service says "AuthorizationFault".
	case strings.Contains(typ, "authoriz") || has(3100, 120):
		return forbidden(0, &f)
	case strings.Contains(typ, "system"):
		return &platform.Error{Class: platform.Transient, Code: "server_error",
			Message: "QuickBooks server error (SystemFault)" + faultDetail(&f)}
	case has(5010):
		return &platform.Error{Class: platform.Transient, Code: "stale_object",
			Message: "Stale object: the object changed in QuickBooks since booksync read it" + faultDetail(&f),
			Details: []platform.Detail{{Field: "SyncToken", Message: "Someone edited the object in QuickBooks at the same time",
				Fix: "None needed: booksync reads the object again and retries"}}}
	}
	return validationError(f.Error, kind)
}

// cause is a known validation failure: the code booksync reports, the plain words that start its
// message, the field and the fix.
type cause struct {
	code, words, field, fix string
}

// The causes booksync recognises in QuickBooks' validation errors.
var (
	causeDuplicateNumber = cause{code: "duplicate_invoice_number", words: "Invoice number already exists in QuickBooks", field: "DocNumber",
		fix: "QuickBooks already has another transaction with this number that booksync did not match when it looked the number up. Give the invoice a different number in booksync, or change the other transaction in QuickBooks, then push again."}
	causeContactName = cause{code: "contact_name_taken", words: "Customer name already used in QuickBooks", field: "DisplayName",
		fix: "QuickBooks names must be unique across customers, vendors and employees. Rename the vendor or employee with this name in QuickBooks, or rename the counterpart in booksync, then push again."}
	causeItemName = cause{code: "item_name_taken", words: "Product name already used in QuickBooks", field: "Name",
		fix: "Another QuickBooks product or service (possibly inactive) has this name. Rename one of them, then push again."}
	causeItem = cause{code: "item_not_found", words: "Item does not exist in QuickBooks", field: "Line.SalesItemLineDetail.ItemRef",
		fix: "Push the product again so booksync creates the item in QuickBooks, or make it active again in QuickBooks, then push the invoice again."}
	causeContact = cause{code: "contact_not_found", words: "Customer does not exist in QuickBooks", field: "CustomerRef",
		fix: "The customer is missing or inactive in QuickBooks. Make it active in QuickBooks or push the counterpart again, then push the invoice again."}
	causeTax = cause{code: "tax_rate_not_found", words: "Tax rate does not exist in QuickBooks", field: "Line.SalesItemLineDetail.TaxCodeRef",
		fix: "Activate the tax code in QuickBooks (Taxes), or set accounting_tax_rate_id on booksync's tax rate to one of the company's tax codes, then push again."}
	causeAccount = cause{code: "ledger_account_not_found", words: "Ledger account does not exist in QuickBooks", field: "IncomeAccountRef",
		fix: "Create or activate the account in QuickBooks' chart of accounts, or set the product's ledger_account_id (or the entity's accounting.ledger_account_ids.products) to an existing account, then push again."}
	causeInvoice = cause{code: "invoice_not_found", words: "Invoice does not exist in QuickBooks", field: "Line.LinkedTxn.TxnId",
		fix: "The invoice was deleted or voided in QuickBooks. Push the invoice again, then the payment."}
	causeCompany = cause{code: "company_not_active", words: "QuickBooks company is not active", field: "",
		fix: "The company's QuickBooks subscription has ended or is suspended. Reactivate it in QuickBooks, then push again."}
	causeCurrency = cause{code: "currency_mismatch", words: "Currency not allowed in QuickBooks", field: "CurrencyRef",
		fix: "QuickBooks needs multicurrency enabled for foreign-currency invoices, and a customer invoices in one currency only. Enable multicurrency in QuickBooks (Settings > Account and settings > Advanced; in booksync's built-in sandbox, the company page's button or POST /sandbox/quickbooks/companies/{realm}/multicurrency), or invoice the customer in its currency, then push again."}
	causeFallback = cause{code: "validation_failed", words: "QuickBooks rejected the data",
		fix: "Correct what QuickBooks' message describes, then push again."}
)

// causeOf maps one error to its cause.
func causeOf(e wireError, kind string) cause {
	n := e.codeNum()
	text := strings.ToLower(e.Message + " " + e.Detail)
	switch {
	case n == 6140 || n == 6210 || strings.Contains(text, "duplicate document number"):
		return causeDuplicateNumber
	case n == 6240 || strings.Contains(text, "duplicate name exists"):
		if kind == "item" {
			return causeItemName
		}
		return causeContactName
	case n == 610 || n == 2500 || strings.Contains(text, "object not found") || strings.Contains(text, "invalid reference id"):
		return referenceCause(e, kind)
	case n == 6190:
		return causeCompany
	case strings.Contains(text, "currency"):
		return causeCurrency
	}
	return causeFallback
}

// referenceCause says which reference a "not found" error is about: by the element QuickBooks
// names, else by the words of its detail, else by the kind of object being written.
func referenceCause(e wireError, kind string) cause {
	text := strings.ToLower(e.Detail + " " + e.Message)
	if strings.Contains(text, "accounts, customers, items") {
		// QuickBooks' generic "Something you're trying to use has been made inactive. Check the
		// fields with accounts, customers, items, vendors or employees." names every kind.
		text = ""
	}
	for _, s := range []string{strings.ToLower(e.Element), text} {
		switch {
		case s == "":
			continue
		case strings.Contains(s, "taxcode") || strings.Contains(s, "taxrate") || strings.Contains(s, "tax code") || strings.Contains(s, "tax rate"):
			return causeTax
		case strings.Contains(s, "item"):
			return causeItem
		case strings.Contains(s, "customer"):
			return causeContact
		case strings.Contains(s, "account"):
			c := causeAccount
			if kind == "payment" {
				c.field = "DepositToAccountRef"
			} else if kind == "invoice" {
				c.field = "Line.SalesItemLineDetail.ItemAccountRef"
			}
			return c
		case strings.Contains(s, "linkedtxn") || strings.Contains(s, "txnid") || strings.Contains(s, "invoice"):
			return causeInvoice
		}
	}
	c := causeFallback
	switch kind {
	case "":
		c.code, c.words = "not_found", "Not found in QuickBooks"
		c.fix = "Check that the connection points at the right QuickBooks company; if the object was deleted in QuickBooks, push it again."
		return c
	case "invoice":
		// An invoice refers to its customer, items, tax codes and accounts; the items are the
		// ones users most often make inactive.
		return causeItem
	case "payment":
		return causeInvoice
	}
	c.code = "reference_not_found"
	c.words = "Something the object refers to does not exist or is inactive in QuickBooks"
	return c
}

// validationError maps a ValidationFault's errors onto one NeedsUserAction error: the code and the
// start of the message come from the first error; every error becomes a detail.
func validationError(errs []wireError, kind string) *platform.Error {
	if len(errs) == 0 {
		errs = []wireError{{Message: "QuickBooks rejected the request"}}
	}
	e := &platform.Error{Class: platform.NeedsUserAction}
	for i, we := range errs {
		c := causeOf(we, kind)
		field := c.field
		if we.Element != "" {
			field = we.Element
		}
		if i == 0 {
			e.Code = c.code
			e.Message = c.words + ": " + we.text()
		}
		e.Details = append(e.Details, platform.Detail{Field: field, Message: we.text(), Fix: c.fix})
	}
	if len(errs) > 1 {
		e.Message += fmt.Sprintf(" (and %d more)", len(errs)-1)
	}
	return e
}

// precheck is a NeedsUserAction error for data booksync can tell QuickBooks would refuse, found
// before spending a call on it.
func precheck(code, field, msg, fix string) *platform.Error {
	return &platform.Error{Class: platform.NeedsUserAction, Code: code, Message: msg,
		Details: []platform.Detail{{Field: field, Message: msg, Fix: fix}}}
}

// codeOf returns a platform error's code, "" for other errors.
func codeOf(err error) string {
	var perr *platform.Error
	if errors.As(err, &perr) {
		return perr.Code
	}
	return ""
}
