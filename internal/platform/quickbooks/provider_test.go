package quickbooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// TestCompanyCheck: completing a QuickBooks authorization reads the company the callback names.
// A refusal means the grant cannot reach it (the user must connect again); an outage says nothing
// about the company and must reach the caller as the outage it is, not as "wrong company".
func TestCompanyCheck(t *testing.T) {
	for _, tc := range []struct {
		status  int
		invalid bool
	}{
		{http.StatusForbidden, true},
		{http.StatusServiceUnavailable, false},
		{http.StatusTooManyRequests, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"Fault":{"Error":[{"Message":"no","code":"3100"}],"type":"AuthorizationFault"}}`, tc.status)
		}))
		p := NewProvider("booksync", "secret", platform.Endpoints{APIURL: srv.URL}, platform.Limits{})
		_, err := p.Tenants(context.Background(), srv.Client(), url.Values{"realmId": {"4620816365"}})
		srv.Close()
		if err == nil {
			t.Fatalf("%d: company check passed", tc.status)
		}
		if got := booksync.ErrorCode(err) == booksync.EINVALID; got != tc.invalid {
			t.Errorf("%d: error %v (class %q): invalid=%v, want %v", tc.status, err, platform.ClassOf(err), got, tc.invalid)
		}
	}
}

// TestCompanyCheckWithoutRealm: a callback that names no company cannot be connected.
func TestCompanyCheckWithoutRealm(t *testing.T) {
	p := NewProvider("booksync", "secret", Production, platform.Limits{})
	_, err := p.Tenants(context.Background(), http.DefaultClient, url.Values{})
	if platform.ClassOf(err) != platform.NeedsUserAction {
		t.Fatalf("Tenants without realmId: %v", err)
	}
}
