package quickbooks

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// postFault posts a fault as a partner (no token: anonymously) and returns the status and body.
func postFault(t *testing.T, b *bundle, token, realm, kind string) (int, string) {
	t.Helper()
	return sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", token, `{"realm_id":"`+realm+`","kind":"`+kind+`"}`)
}

func moniteMessage(body string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	return e.Error.Message
}

func TestCompanyPagesAndFaultsNeedALoginAndShowOnlyThePartnersCompanies(t *testing.T) {
	b := setup(t).connect("")
	mine, myAccess := b.realm, b.access
	b.connectAs("partner-b", "us")
	theirs := b.realm
	b.realm, b.access = mine, myAccess

	for _, p := range []string{"/companies", "/companies/" + mine} {
		for _, token := range []string{"", "not-a-token"} {
			if status, body := b.page("GET", p, token, nil); status != http.StatusUnauthorized || moniteMessage(body) == "" {
				t.Errorf("GET %s with token %q: %d %s, want 401 in Monite's error shape", p, token, status, body)
			}
		}
	}
	if status, _ := postFault(t, b, "", mine, "revoke"); status != http.StatusUnauthorized {
		t.Errorf("anonymous POST /faults: %d, want 401", status)
	}

	if _, list := b.page("GET", "/companies", "token-a", nil); !strings.Contains(list, mine) || strings.Contains(list, theirs) {
		t.Errorf("partner A's list shows the wrong companies:\n%s", list)
	}
	if status, body := b.page("GET", "/companies/"+theirs, "token-a", nil); status != http.StatusNotFound || strings.Contains(body, "Sandbox Company") {
		t.Errorf("partner A reading partner B's company: %d, want a 404 that shows nothing", status)
	}
	if status, _ := postFault(t, b, "token-a", theirs, "revoke"); status != http.StatusNotFound {
		t.Errorf("partner A faulting partner B's company: %d, want 404", status)
	}
	b.api("GET", "/preferences", nil).MustStatus(t, 200) // A's own grant, untouched by everything above
	if status, body := postFault(t, b, "token-a", mine, "server_error"); status != http.StatusOK || b.sb.PendingFaults(mine) != 1 {
		t.Fatalf("partner A faulting its own company: %d %s", status, body)
	}
	if b.sb.PendingFaults(theirs) != 0 {
		t.Error("a fault reached partner B's company")
	}
}

func TestFaultsRefusedUnlessEnabled(t *testing.T) {
	b := setup(t).connect("")
	off, err := New(context.Background(), sandbox.Options{BaseURL: b.Server.URL, Store: b.Store, Now: b.Clock.Now,
		Gate: sandbox.NewGate(sandbox.GateOptions{BaseURL: b.Server.URL, Partners: b.Partners, Now: b.Clock.Now})})
	if err != nil {
		t.Fatal(err)
	}
	b.sb = off
	b.Server.Config.Handler = off.Handler()
	status, body := postFault(t, b, "token-a", b.realm, "revoke")
	if status != http.StatusForbidden || !strings.Contains(moniteMessage(body), "BOOKSYNC_SANDBOX_FAULTS") {
		t.Fatalf("faults while off: %d %s, want 403 naming BOOKSYNC_SANDBOX_FAULTS", status, body)
	}
	b.api("GET", "/preferences", nil).MustStatus(t, 200) // not revoked
}

// TestFaultsAnswerEveryErrorInMonitesShape: the QuickBooks sandbox's POST /faults answers each
// body it cannot arm with a plain message in Monite's error shape, and arms nothing.
func TestFaultsAnswerEveryErrorInMonitesShape(t *testing.T) {
	b := setup(t).connect("")
	post := func(body string) (int, string) {
		return sandboxtest.PostJSON(t, b.client, b.Server.URL+"/faults", "token-a", body)
	}
	org := `"realm_id":"` + b.realm + `"`
	for _, tc := range []struct {
		name, body, mentions string
		want                 int
	}{
		{"not JSON", `realm_id=1`, "JSON object", 400},
		{"unknown realm", `{"realm_id":"999","kind":"server_error"}`, "realm_id", 404},
		{"realm missing", `{"kind":"server_error"}`, "realm_id", 422},
		{"the other sandbox's field", `{"tenant_id":"` + b.realm + `","kind":"server_error"}`, `"tenant_id"`, 422},
		{"kind unknown", `{` + org + `,"kind":"meteor"}`, "meteor", 422},
		{"count negative", `{` + org + `,"kind":"server_error","count":-1}`, "count must be a whole number from 1 to 1000", 422},
		{"count beyond int32", `{` + org + `,"kind":"server_error","count":2147483648}`, "count must be", 422},
		{"count a string", `{` + org + `,"kind":"server_error","count":"x"}`, "count must be", 422},
	} {
		status, body := post(tc.body)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
			continue
		}
		msg := moniteMessage(body)
		if msg == "" || !strings.Contains(msg, tc.mentions) || strings.Contains(msg, "json:") || strings.Contains(msg, "faultRequest") {
			t.Errorf("%s: %s, want Monite's error shape with a plain message that mentions %q", tc.name, body, tc.mentions)
		}
	}
	if n := b.sb.PendingFaults(b.realm); n != 0 {
		t.Fatalf("refused faults armed %d failing calls", n)
	}
	if status, body := post(`{` + org + `,"kind":"server_error","count":3}`); status != 200 || !strings.Contains(body, `"count":3`) || b.sb.PendingFaults(b.realm) != 3 {
		t.Fatalf("a good fault: %d %s, pending %d", status, body, b.sb.PendingFaults(b.realm))
	}
}
