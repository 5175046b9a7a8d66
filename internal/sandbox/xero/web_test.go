package xero

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// moniteError decodes {"error":{"message":...}} and fails unless body is that shape.
func moniteError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("want {\"error\":{\"message\":...}}, got %q", body)
	}
	return e.Error.Message
}

func TestPagesAndFaultsRefuseAnonymousCalls(t *testing.T) {
	b := withContact(t)
	c := b.sb.Contacts(b.tenant)[0]
	rates := len(b.sb.TaxRates(b.tenant))
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/orgs", nil},
		{"GET", "/orgs/" + b.tenant, nil},
		{"POST", "/orgs/" + b.tenant + "/tax_rates", url.Values{"name": {"Sneaky"}, "rate": {"1"}}},
		{"POST", "/orgs/" + b.tenant + "/tax_rates/OUTPUT2/archive", url.Values{}},
		{"POST", "/orgs/" + b.tenant + "/contacts/" + c.ContactID, url.Values{"name": {"Renamed"}, "email": {""}}},
	} {
		for _, token := range []string{"", "not-a-token"} {
			status, body := b.page(tc.method, tc.path, token, tc.form)
			if status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", tc.method, tc.path, token, status)
				continue
			}
			if msg := moniteError(t, body); !strings.Contains(msg, "/login") {
				t.Errorf("%s %s: the 401 does not say how to log in: %q", tc.method, tc.path, msg)
			}
		}
	}
	if status, _ := sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", "", `{"tenant_id":"`+b.tenant+`","kind":"revoke"}`); status != http.StatusUnauthorized {
		t.Errorf("anonymous POST /faults: %d, want 401", status)
	}
	// Nothing changed: the grant still works, the rate is active, the contact keeps its name.
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)
	if got := b.sb.Contacts(b.tenant)[0].Name; got != c.Name || len(b.sb.TaxRates(b.tenant)) != rates {
		t.Errorf("anonymous forms changed the organisation: contact %q, %d tax rates", got, len(b.sb.TaxRates(b.tenant)))
	}
	for _, tr := range b.sb.TaxRates(b.tenant) {
		if tr.TaxType == "OUTPUT2" && tr.Status != "ACTIVE" {
			t.Error("an anonymous form archived OUTPUT2")
		}
	}

	// A browser is sent to the login, which brings it back to the page it wanted.
	req, _ := http.NewRequest("GET", b.Server.URL+"/orgs/"+b.tenant, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := b.Server.URL + "/login?next=" + url.QueryEscape("/orgs/"+b.tenant)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Errorf("browser without a login: %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestPartnersSeeAndFaultOnlyTheirOrganisations(t *testing.T) {
	b := withContact(t)
	mine, myAccess := b.tenant, b.access
	// Partner B connects an organisation of its own.
	b.connectAs("partner-b")
	theirs := b.tenant
	b.tenant, b.access = mine, myAccess // the Accounting API calls below are partner A's

	_, list := b.page("GET", "/orgs", "token-a", nil)
	if !strings.Contains(list, mine) || strings.Contains(list, theirs) {
		t.Fatalf("partner A's list shows the wrong organisations:\n%s", list)
	}
	if _, list := b.page("GET", "/orgs", "token-b", nil); strings.Contains(list, mine) || !strings.Contains(list, theirs) {
		t.Fatalf("partner B's list shows the wrong organisations:\n%s", list)
	}
	contact := b.sb.Contacts(mine)[0]
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/orgs/" + mine, nil},
		{"POST", "/orgs/" + mine + "/tax_rates", url.Values{"name": {"Sneaky"}, "rate": {"1"}}},
		{"POST", "/orgs/" + mine + "/tax_rates/OUTPUT2/archive", url.Values{}},
		{"POST", "/orgs/" + mine + "/contacts/" + contact.ContactID, url.Values{"name": {"Renamed"}, "email": {""}}},
	} {
		if status, body := b.page(tc.method, tc.path, "token-b", tc.form); status != http.StatusNotFound || strings.Contains(body, "Demo Company") {
			t.Errorf("partner B %s %s: %d, want a 404 that shows nothing", tc.method, tc.path, status)
		}
	}
	if got := b.sb.Contacts(mine)[0].Name; got != contact.Name {
		t.Errorf("partner B renamed partner A's contact to %q", got)
	}
	for _, tr := range b.sb.TaxRates(mine) {
		if tr.Name == "Sneaky" || (tr.TaxType == "OUTPUT2" && tr.Status != "ACTIVE") {
			t.Errorf("partner B changed partner A's tax rates: %+v", tr)
		}
	}

	for _, kind := range []string{"revoke", "server_error"} {
		status, _ := sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", "token-b", `{"tenant_id":"`+mine+`","kind":"`+kind+`"}`)
		if status != http.StatusNotFound {
			t.Errorf("partner B faulting partner A's organisation (%s): %d, want 404", kind, status)
		}
	}
	if n := b.sb.PendingFaults(mine); n != 0 {
		t.Errorf("partner B armed %d faults on partner A's organisation", n)
	}
	b.api("GET", "/Accounts", nil).MustStatus(t, 200) // A's grant survived
}

func TestFaultsRefusedUnlessEnabled(t *testing.T) {
	b := setup(t).connect()
	off, err := New(t.Context(), sandbox.Options{BaseURL: b.Server.URL, Store: b.Store, Now: b.Clock.Now,
		Gate: sandbox.NewGate(sandbox.GateOptions{BaseURL: b.Server.URL, Partners: b.Partners, Now: b.Clock.Now})})
	if err != nil {
		t.Fatal(err)
	}
	swapHandler(t, b, off)
	b.sb = off
	status, body := sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", "token-a", `{"tenant_id":"`+b.tenant+`","kind":"revoke"}`)
	if status != http.StatusForbidden || !strings.Contains(moniteError(t, body), "BOOKSYNC_SANDBOX_FAULTS") {
		t.Fatalf("faults while off: %d %s, want 403 naming BOOKSYNC_SANDBOX_FAULTS", status, body)
	}
	b.api("GET", "/Accounts", nil).MustStatus(t, 200) // not revoked
}

// TestOrgFormsRejectWhatTheyCannotRead posts each organisation form in ways it cannot be read:
// every one answers 4xx with a message, and the organisation is unchanged.
func TestOrgFormsRejectWhatTheyCannotRead(t *testing.T) {
	b := withContact(t)
	contact := b.sb.Contacts(b.tenant)[0]
	before, _ := json.Marshal(b.sb.TaxRates(b.tenant))
	post := func(path, contentType, body string) (int, string) {
		req, _ := http.NewRequest("POST", b.Server.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer token-a")
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	form := "application/x-www-form-urlencoded"
	taxRates := "/orgs/" + b.tenant + "/tax_rates"
	archive := "/orgs/" + b.tenant + "/tax_rates/OUTPUT2/archive"
	editContact := "/orgs/" + b.tenant + "/contacts/" + contact.ContactID
	for _, tc := range []struct {
		name, path, contentType, body string
		want                          int
	}{
		{"malformed escape", taxRates, form, "name=Reduced&rate=%zz", 400},
		{"JSON body", taxRates, "application/json", `{"name":"Reduced","rate":"12.5"}`, 415},
		{"no content type", taxRates, "", "name=Reduced&rate=12.5", 415},
		{"unparsable content type", taxRates, "application/x-www-form-urlencoded; charset", "name=Reduced&rate=12.5", 415},
		{"rate missing", taxRates, form, "name=Reduced", 400},
		{"name missing", taxRates, form, "rate=12.5", 400},
		{"rate not a number", taxRates, form, "name=Reduced&rate=twelve", 400},
		{"archive as JSON", archive, "application/json", `{}`, 415},
		{"archive malformed", archive, form, "x=%", 400},
		{"contact malformed", editContact, form, "name=New%zzName&email=a@b.test", 400},
		{"contact email missing", editContact, form, "name=New+Name", 400},
		{"contact as multipart", editContact, "multipart/form-data; boundary=x", "--x--", 415},
		{"raw bytes not UTF-8", taxRates, form, "name=\xff\xfe&rate=10", 400},
		{"escaped bytes not UTF-8", taxRates, form, "name=%ff%fe&rate=10", 400},
		{"Latin-1 name", taxRates, form, "name=Erm%E4%DFigt&rate=7", 400},
		{"a NUL in a name", taxRates, form, "name=Reduced%00&rate=10", 400},
		{"a line break in a name", taxRates, form, "name=Reduced%0d%0aX-Injected:+1&rate=10", 400},
		{"contact name not UTF-8", editContact, form, "name=%c3%28&email=a@b.test", 400},
		{"contact email with a control character", editContact, form, "name=New+Name&email=a%1b@b.test", 400},
	} {
		status, body := post(tc.path, tc.contentType, tc.body)
		if status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, status, tc.want, body)
			continue
		}
		if msg := moniteError(t, body); msg == "" {
			t.Errorf("%s: no message", tc.name)
		}
	}
	// A browser gets the organisation page again, with the message, and the same 400.
	req, _ := http.NewRequest("POST", b.Server.URL+taxRates, strings.NewReader("name=Reduced&rate=twelve"))
	req.Header.Set("Content-Type", form)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", "Bearer token-a")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(page), "Rate must be a number") || !strings.Contains(string(page), "Add tax rate") {
		t.Errorf("browser posting a bad rate: %d, want 400 with the page and the message:\n%s", resp.StatusCode, page)
	}
	if after, _ := json.Marshal(b.sb.TaxRates(b.tenant)); string(after) != string(before) {
		t.Errorf("tax rates changed:\n%s\n%s", before, after)
	}
	if got := b.sb.Contacts(b.tenant)[0]; got.Name != contact.Name || got.EmailAddress != contact.EmailAddress {
		t.Errorf("contact changed: %+v", got)
	}
}

// TestFaultsAnswerEveryErrorInMonitesShape posts POST /faults bodies that cannot be armed: each
// answers its status with a plain message in {"error":{"message":...}}, and arms nothing.
func TestFaultsAnswerEveryErrorInMonitesShape(t *testing.T) {
	b := setup(t).connect()
	post := func(body string) (int, string) {
		return sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", "token-a", body)
	}
	org := `"tenant_id":"` + b.tenant + `"`
	for _, tc := range []struct {
		name, body, mentions string
		want                 int
	}{
		{"not JSON", `kind=revoke`, "JSON object", 400},
		{"an array", `[{` + org + `,"kind":"revoke"}]`, "JSON object", 400},
		{"two objects", `{` + org + `,"kind":"server_error"}{}`, "JSON object", 400},
		{"unknown tenant", `{"tenant_id":"00000000-0000-0000-0000-000000000000","kind":"server_error"}`, "tenant_id", 404},
		{"tenant missing", `{"kind":"server_error"}`, "tenant_id", 422},
		{"tenant a number", `{"tenant_id":7,"kind":"server_error"}`, "tenant_id", 422},
		{"the other sandbox's field", `{"realm_id":"` + b.tenant + `","kind":"server_error"}`, `"realm_id"`, 422},
		{"kind missing", `{` + org + `}`, "kind must be", 422},
		{"kind unknown", `{` + org + `,"kind":"meteor"}`, "meteor", 422},
		{"kind a number", `{` + org + `,"kind":3}`, "kind must be", 422},
		{"count negative", `{` + org + `,"kind":"server_error","count":-1}`, "count must be a whole number from 1 to 1000", 422},
		{"count zero", `{` + org + `,"kind":"server_error","count":0}`, "count must be", 422},
		{"count beyond int32", `{` + org + `,"kind":"server_error","count":2147483648}`, "count must be", 422},
		{"count beyond int64", `{` + org + `,"kind":"server_error","count":99999999999999999999}`, "count must be", 422},
		{"count over the bound", `{` + org + `,"kind":"server_error","count":1001}`, "count must be", 422},
		{"count a fraction", `{` + org + `,"kind":"server_error","count":1.5}`, "count must be", 422},
		{"count a string", `{` + org + `,"kind":"server_error","count":"2"}`, "count must be", 422},
		{"path not text", `{` + org + `,"kind":"server_error","path":["/Invoices"]}`, "path must be", 422},
		{"path with a control character", `{` + org + `,"kind":"server_error","path":"/Invoices\u0000"}`, "path must be", 422},
		{"path too long", `{` + org + `,"kind":"server_error","path":"/` + strings.Repeat("x", 300) + `"}`, "path must be", 422},
	} {
		status, body := post(tc.body)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
			continue
		}
		msg := moniteError(t, body)
		if !strings.Contains(msg, tc.mentions) || strings.Contains(msg, "json:") || strings.Contains(msg, "faultRequest") || strings.Contains(msg, "unmarshal") {
			t.Errorf("%s: message %q, want a plain one that mentions %q", tc.name, msg, tc.mentions)
		}
	}
	if n := b.sb.PendingFaults(b.tenant); n != 0 {
		t.Fatalf("refused faults armed %d failing calls", n)
	}
	b.api("GET", "/Accounts", nil).MustStatus(t, 200)

	// A good fault arms exactly what it answers.
	status, body := post(`{` + org + `,"kind":"server_error","count":1000,"path":"/Invoices"}`)
	var armed struct {
		TenantID string `json:"tenant_id"`
		Kind     string
		Count    int
		Path     string
	}
	if err := json.Unmarshal([]byte(body), &armed); status != 200 || err != nil || armed.Count != 1000 || armed.Kind != "server_error" || armed.TenantID != b.tenant || armed.Path != "/Invoices" {
		t.Fatalf("a good fault: %d %s", status, body)
	}
	if n := b.sb.PendingFaults(b.tenant); n != 1000 {
		t.Fatalf("pending %d, want 1000", n)
	}
	if status, body := post(`{` + org + `,"kind":"rate_limit"}`); status != 200 || !strings.Contains(body, `"count":1`) {
		t.Fatalf("a fault without count: %d %s, want count 1", status, body)
	}
}
