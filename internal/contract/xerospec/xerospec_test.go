package xerospec

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// reportingTB records the failures Transport reports instead of failing the test.
type reportingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *reportingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *reportingTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// TestTransportReportsWhatXerosDocumentForbids sends calls to a server answering a fixed body,
// mounted under a prefix as booksync's sandbox is, and shows which ones Transport reports.
func TestTransportReportsWhatXerosDocumentForbids(t *testing.T) {
	t.Parallel()
	answer := `{"Contacts":[{"ContactID":"6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11","Name":"Acme Ltd"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPut && string(body) == "" {
			t.Errorf("%s %s reached the server without its body", r.Method, r.URL)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case strings.HasSuffix(r.URL.Path, "/Organisation"):
			fmt.Fprint(w, `{"Organisations":"not a list"}`)
		case r.URL.Path == "/connections":
			fmt.Fprint(w, `[]`)
		default:
			fmt.Fprint(w, answer)
		}
	}))
	defer srv.Close()
	api := srv.URL + "/sandbox/xero/api.xro/2.0"

	for _, tc := range []struct {
		name, method, url, body string
		unchecked               bool
		want                    string // in the one failure reported; "" for none
	}{
		{"valid call", "GET", api + "/Contacts?page=1", "", false, ""},
		{"valid write", "PUT", api + "/Contacts?summarizeErrors=false", `{"Contacts":[{"Name":"Acme Ltd"}]}`, false, ""},
		{"outside the API", "GET", srv.URL + "/connections", "", false, ""},
		{"unknown operation", "GET", api + "/Nonsense", "", false, "no operation"},
		{"body breaks the schema", "PUT", api + "/Contacts", `{"Contacts":[{"Name":42}]}`, false, "the request breaks"},
		{"unchecked on purpose", "PUT", api + "/Contacts", `{"Contacts":[{"Name":42}]}`, true, ""},
		{"answer breaks the schema", "GET", api + "/Organisation", "", false, "the 200 answer breaks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := &reportingTB{TB: t}
			client := &http.Client{Transport: Transport(tb, nil)}
			ctx := context.Background()
			if tc.unchecked {
				ctx = WithoutRequestCheck(ctx)
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequestWithContext(ctx, tc.method, tc.url, body)
			req.Header.Set("xero-tenant-id", "6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11")
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if len(got) == 0 {
				t.Errorf("the answer's body was lost")
			}
			errs := tb.reported()
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("reported %q", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.want)):
				t.Errorf("reported %q, want one failure with %q", errs, tc.want)
			}
		})
	}
}
