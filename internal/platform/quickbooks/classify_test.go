package quickbooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
)

// TestClassification fails a read (Org) or a write (a customer) with what the sandbox does on
// request (its faults, a token it no longer accepts, another company's token) and with what only
// a network or a gateway between booksync and Intuit does (injected by the recorder).
func TestClassification(t *testing.T) {
	t.Parallel()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cases := []struct {
		name  string
		write bool
		// arm prepares the failure in the company: a sandbox fault, or a recorder hook.
		arm    func(co *company)
		class  platform.Class
		code   string
		status int
	}{
		{"429", false, fault(sandbox.FaultRateLimit), platform.RateLimited, "rate_limited", 429},
		{"429 on a write", true, fault(sandbox.FaultRateLimit), platform.RateLimited, "rate_limited", 429},
		{"401 expired token", false, fault(sandbox.FaultExpireAccessTokens), platform.Auth, "unauthorized", 401},
		{"401 revoked", true, fault(sandbox.FaultRevoke), platform.Auth, "unauthorized", 401},
		{"403 another company", false, func(co *company) { co.realm, _ = co.connect("uk") }, platform.Auth, "forbidden", 403},
		{"500", false, fault(sandbox.FaultServerError), platform.Transient, "server_error", 500},
		{"500 on a write", true, fault(sandbox.FaultServerError), platform.Transient, "server_error", 500},
		{"dropped after a write", true, fault(sandbox.FaultTimeoutAfterStore), platform.UnknownOutcome, "network_error", 0},
		{"503", false, inject(503, nil), platform.Transient, "server_error", 503},
		{"502 on a write", true, inject(502, nil), platform.UnknownOutcome, "gateway_timeout", 502},
		{"504 on a read", false, inject(504, nil), platform.Transient, "server_error", 504},
		{"404", false, inject(404, nil), platform.NeedsUserAction, "not_found", 404},
		{"dropped on a read", false, inject(0, reset), platform.Transient, "network_error", 0},
		{"garbage after a write", true, inject(200, nil), platform.UnknownOutcome, "unexpected_response", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			co := newCompany(t, "uk")
			tc.arm(co)
			budget := platform.NewBudget(Limits, 1)
			c := co.client(Config{Budget: budget})
			var err error
			if tc.write {
				err = c.do(context.Background(), request{method: http.MethodPost, path: "/customer", body: []byte(`{"DisplayName":"Classified"}`), requestID: "r"}, "customer", &struct{}{})
			} else {
				_, err = c.Org(context.Background())
			}
			var perr *platform.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v", err)
			}
			if perr.Class != tc.class || perr.Code != tc.code || (tc.status != 0 && perr.Status != tc.status) {
				t.Errorf("got %s %s %d (%s), want %s %s %d", perr.Class, perr.Code, perr.Status, perr.Message, tc.class, tc.code, tc.status)
			}
			if perr.Message == "" || strings.HasPrefix(perr.Message, " ") {
				t.Errorf("message %q", perr.Message)
			}
			if tc.class == platform.RateLimited {
				if perr.RetryAfter != 60*time.Second {
					t.Errorf("RetryAfter = %s", perr.RetryAfter)
				}
				// The budget is paused: the next call waits for the minute.
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				if _, err := budget.Acquire(ctx); err == nil {
					t.Error("budget not paused after a throttle")
				}
			}
			if n := co.sb.PendingFaults(co.realm); n != 0 {
				t.Errorf("%d faults did not fire", n)
			}
		})
	}
}

// fault arms one sandbox fault of kind for the company.
func fault(kind sandbox.FaultKind) func(co *company) {
	return func(co *company) { co.sb.InjectFault(co.realm, sandbox.Fault{Kind: kind}) }
}

// inject fails every call with err, or answers it with a gateway's HTML page of status, as a
// network or a gateway between booksync and Intuit would.
func inject(status int, err error) func(co *company) {
	return func(co *company) {
		co.rec.setBefore(func(call) (*http.Response, error) {
			if err != nil {
				return nil, err
			}
			return gateway(status), nil
		})
	}
}

// TestClassifyAnswers classifies answers QuickBooks gives that the sandbox does not: a Fault
// inside a 200, and the gateway's lower-case Fault on a 401.
func TestClassifyAnswers(t *testing.T) {
	t.Parallel()
	fault := func(typ, code, msg string) []byte {
		return []byte(fmt.Sprintf(`{"Fault":{"type":%q,"Error":[{"Message":%q,"Detail":"","code":%q}]},"time":"2024-03-01T04:00:00.000-08:00"}`, typ, msg, code))
	}
	for _, tc := range []struct {
		name   string
		status int
		body   []byte
		write  bool
		class  platform.Class
		code   string
	}{
		{"throttle fault in 200", 200, fault("ThrottleExceeded", "3001", "ThrottleExceeded"), false, platform.RateLimited, "rate_limited"},
		{"401 lower-case gateway body", 401, []byte(`{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: AB11","code":"3200"}],"type":"AUTHENTICATION"},"time":"x"}`), false, platform.Auth, "unauthorized"},
		{"authorization fault in 200", 200, fault("AuthorizationFault", "120", "Authorization Failure"), false, platform.Auth, "forbidden"},
		{"400 company not active", 400, fault("ValidationFault", "6190", "Invalid Company Status"), true, platform.NeedsUserAction, "company_not_active"},
	} {
		e := classifyResponse(response{status: tc.status, body: tc.body}, tc.write, "invoice")
		if e == nil || e.Class != tc.class || e.Code != tc.code || e.Status != tc.status || e.Message == "" {
			t.Errorf("%s: %+v, want %s %s", tc.name, e, tc.class, tc.code)
			continue
		}
		if tc.class == platform.RateLimited && e.RetryAfter != 60*time.Second {
			t.Errorf("%s: RetryAfter = %s", tc.name, e.RetryAfter)
		}
	}
}

// When a batch's answer is lost, its objects' outcomes are unknown; those of earlier batches are not.
func TestBatchFailureReportsEveryObject(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	batches := 0
	co.rec.setBefore(func(cl call) (*http.Response, error) {
		if cl.path == "/batch" {
			if batches++; batches == 2 {
				co.sb.InjectFault(co.realm, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/batch"})
			}
		}
		return nil, nil
	})
	c := co.client(Config{})
	var contacts []platform.Contact
	for i := range 35 {
		contacts = append(contacts, platform.Contact{Ref: fmt.Sprint(i), Name: fmt.Sprint("C", i)})
	}
	res, err := c.PushContacts(context.Background(), contacts)
	if cl, _ := classOf(t, err); cl != platform.UnknownOutcome {
		t.Fatalf("err = %v", err)
	}
	if len(res) != 35 || res[0].Err != nil || res[29].PlatformID == "" {
		t.Fatalf("first batch: %+v", res[0])
	}
	for _, r := range res[30:] {
		if cl, _ := classOf(t, r.Err); cl != platform.UnknownOutcome {
			t.Errorf("%s: %v", r.Ref, r.Err)
		}
	}
	// QuickBooks did create them: only the answer was lost.
	if n := len(co.sb.Customers(co.realm)); n != 35 {
		t.Errorf("the company has %d customers, want 35", n)
	}
}

func TestBudgetMetersBatchItems(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	// 31 calls a minute: a 30-item batch and its look-up fit; nothing more does.
	budget := platform.NewBudget(platform.Limits{PerMinute: 31, Concurrent: 10}, 1)
	c := co.client(Config{Budget: budget})
	var cts []platform.Contact
	for i := range 30 {
		cts = append(cts, platform.Contact{Ref: fmt.Sprint(i), Name: fmt.Sprint("C", i)})
	}
	if _, err := c.PushContacts(context.Background(), cts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := budget.Acquire(ctx); err == nil {
		t.Error("a 30-item batch spent less than 30 calls of the budget")
	}
	if n := co.sb.Calls(co.realm); n != 31 {
		t.Errorf("QuickBooks metered %d calls, want 31", n)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	a := requestID("invoice", []string{"b", "a"}, []byte(`{}`))
	if a != requestID("invoice", []string{"a", "b"}, []byte(`{}`)) || len(a) != 36 {
		t.Errorf("requestID %q is not stable or not 36 characters", a)
	}
	if a == requestID("invoice", []string{"a", "b"}, []byte(`{"x":1}`)) || a == requestID("customer", []string{"a", "b"}, []byte(`{}`)) {
		t.Error("requestID ignores the body or the kind")
	}
}

func TestFaultCodes(t *testing.T) {
	t.Parallel()
	generic := "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees."
	for _, tc := range []struct {
		err  wireError
		kind string
		code string
	}{
		{wireError{Code: "6210", Message: "Duplicate Document Number"}, "invoice", "duplicate_invoice_number"},
		{wireError{Code: "6000", Detail: "Duplicate Document Number Error: You must specify a different number"}, "invoice", "duplicate_invoice_number"},
		{wireError{Code: "6240", Message: "Duplicate Name Exists Error"}, "customer", "contact_name_taken"},
		{wireError{Code: "6240", Message: "Duplicate Name Exists Error"}, "item", "item_name_taken"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "IncomeAccountRef"}, "item", "ledger_account_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "TaxCodeRef"}, "invoice", "tax_rate_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: "Object Not Found : Customer 58"}, "invoice", "contact_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "LinkedTxn"}, "payment", "invoice_not_found"},
		{wireError{Code: "2500", Message: "Invalid Reference Id", Detail: "Invalid Reference Id : Accounts element id 99 not found"}, "payment", "ledger_account_not_found"},
		{wireError{Code: "2500", Message: "Invalid Reference Id", Detail: "Invalid Reference Id : TaxCode assigned is invalid or inactive"}, "invoice", "tax_rate_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: generic}, "", "not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: generic}, "payment", "invoice_not_found"},
		{wireError{Code: "6000", Detail: "Business Validation Error: Transaction amount must be positive"}, "invoice", "validation_failed"},
		{wireError{Code: "2020", Message: "Required param missing, need to supply the required value for the API", Detail: "Required parameter Line.Amount is missing"}, "invoice", "validation_failed"},
	} {
		e := validationError([]wireError{tc.err}, tc.kind)
		if e.Code != tc.code || e.Class != platform.NeedsUserAction || len(e.Details) != 1 || e.Details[0].Fix == "" {
			t.Errorf("%+v (%s) = %s %+v, want %s", tc.err, tc.kind, e.Code, e, tc.code)
		}
	}
	// A customer's name held by a vendor or an employee (which booksync's look-up of customers
	// cannot find) says where to look.
	e := validationError([]wireError{{Code: "6240", Message: "Duplicate Name Exists Error", Detail: "The name supplied already exists. : Vendor Co"}}, "customer")
	if !strings.HasPrefix(e.Message, "Customer name already used in QuickBooks") || e.Details[0].Field != "DisplayName" ||
		!strings.Contains(e.Details[0].Fix, "vendors") {
		t.Errorf("name taken: %+v", e)
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	e := Endpoint(ProductionAuthURL, ProductionTokenURL)
	if e.AuthURL != ProductionAuthURL || e.TokenURL != ProductionTokenURL || e.AuthStyle != 2 {
		t.Errorf("endpoint %+v", e)
	}
	if len(Scopes) != 1 || Scopes[0] != "com.intuit.quickbooks.accounting" {
		t.Errorf("scopes %v", Scopes)
	}
}
