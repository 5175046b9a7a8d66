package quickbooks

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
)

// TestCompanyCheck: completing a QuickBooks authorization reads the company the callback names,
// here in booksync's QuickBooks sandbox. A refusal means the grant cannot reach it (the user must
// connect again); an outage or a rate limit says nothing about the company and must reach the
// caller as what it is, not as "wrong company".
func TestCompanyCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// arm prepares the company's answer and returns the realmId the callback names.
		arm   func(co *company) string
		class platform.Class // "": the check passes
	}{
		{"own company", func(co *company) string { return co.realm }, ""},
		{"another company's realm", func(co *company) string {
			other, _ := co.connect("uk") // the grant is for co.realm only
			return other
		}, platform.Auth},
		{"outage", func(co *company) string {
			co.sb.InjectFault(co.realm, sandbox.Fault{Kind: sandbox.FaultServerError})
			return co.realm
		}, platform.Transient},
		{"rate limit", func(co *company) string {
			co.sb.InjectFault(co.realm, sandbox.Fault{Kind: sandbox.FaultRateLimit})
			return co.realm
		}, platform.RateLimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			co := newCompany(t, "uk")
			realm := tc.arm(co)
			p := NewProvider("booksync", "s", qbsandbox.Endpoints(co.srv.URL), platform.Limits{})
			tenants, err := p.Tenants(context.Background(), co.httpClient(co.spec), url.Values{"realmId": {realm}})
			if n := co.sb.PendingFaults(co.realm); n != 0 {
				t.Errorf("%d faults did not fire", n)
			}
			if tc.class == "" {
				if err != nil || len(tenants) != 1 || tenants[0].ID != realm || tenants[0].Name == "" {
					t.Fatalf("Tenants = %+v, %v; want the company %s", tenants, err, realm)
				}
				return
			}
			if err == nil {
				t.Fatalf("company check passed: %+v", tenants)
			}
			invalid := booksync.ErrorCode(err) == booksync.EINVALID
			if want := tc.class == platform.Auth; invalid != want {
				t.Errorf("error %v (class %q): invalid=%v, want %v", err, platform.ClassOf(err), invalid, want)
			}
			if !invalid && platform.ClassOf(err) != tc.class {
				t.Errorf("error %v: class %q, want %q", err, platform.ClassOf(err), tc.class)
			}
		})
	}
}

// TestCompanyCheckWithoutRealm: a callback that names no company cannot be connected.
func TestCompanyCheckWithoutRealm(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	p := NewProvider("booksync", "s", qbsandbox.Endpoints(co.srv.URL), platform.Limits{})
	_, err := p.Tenants(context.Background(), co.httpClient(co.spec), url.Values{})
	var perr *platform.Error
	if !errors.As(err, &perr) || perr.Class != platform.NeedsUserAction || perr.Code != "realm_missing" {
		t.Fatalf("Tenants without realmId: %v", err)
	}
}
