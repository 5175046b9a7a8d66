// Package xerospec checks HTTP traffic with Xero's Accounting API against Xero's published OpenAPI
// document (xero_accounting.yaml, MIT, see LICENSE.Xero-OpenAPI), for tests: the connector's tests
// send their calls through Transport to booksync's Xero sandbox, and the sandbox's own tests do
// too, so that both are held to what the real Xero accepts and answers.
package xerospec

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed xero_accounting.yaml
var document []byte

// apiPrefix marks a call to the Accounting API, wherever the API is mounted: at the root of
// api.xero.com, or under booksync's /sandbox/xero.
const apiPrefix = "/api.xro/2.0"

// specServer replaces the document's https://api.xero.com, so that any host's calls route; each
// checked request is re-pointed at it.
const specServer = "http://xero.spec.test" + apiPrefix

var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// router loads the document once per test binary. The document is not validated as a whole: it
// fails openapi3's own checks on some of its examples and overlapping paths, which do not affect
// checking requests and responses.
func router(tb testing.TB) routers.Router {
	tb.Helper()
	spec.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(document)
		if err != nil {
			spec.err = err
			return
		}
		doc.Servers = openapi3.Servers{{URL: specServer}}
		spec.router, spec.err = gorillamux.NewRouter(doc)
	})
	if spec.err != nil {
		tb.Fatalf("loading Xero's OpenAPI document: %v", spec.err)
	}
	return spec.router
}

var options = &openapi3filter.Options{
	SkipSettingDefaults:   true, // the document gives booleans string defaults
	IncludeResponseStatus: true,
	MultiError:            true,
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
}

type uncheckedKey struct{}

// WithoutRequestCheck returns a context whose requests Transport sends without checking them, for
// tests that send what Xero's document forbids on purpose to see how the server answers. The
// answer is still checked.
func WithoutRequestCheck(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncheckedKey{}, true)
}

// Transport returns a RoundTripper that sends every request through base (http.DefaultTransport
// when nil) and fails tb, without stopping it, for every call to the Accounting API (a path under
// /api.xro/2.0) that Xero's document does not allow: a request to an operation it does not list,
// a request that breaks the operation's parameters or body schema, and an answer that breaks the
// schema of its status, when the operation declares that status. Other calls (OAuth,
// /connections, the sandbox's pages) pass unchecked. The request still goes out after a
// violation, so that a test sees what the server makes of it.
func Transport(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	tb.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	router(tb) // load now, in the test's goroutine, so that a broken document stops the test
	return &transport{tb: tb, base: base}
}

type transport struct {
	tb   testing.TB
	base http.RoundTripper
}

// maxShown bounds the bodies and errors quoted in a failure: a batch of 50 invoices is long.
const maxShown = 4000

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	i := strings.Index(req.URL.Path, apiPrefix+"/")
	if i < 0 {
		return t.base.RoundTrip(req)
	}
	var raw []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		raw, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	out := req.Clone(req.Context())
	setBody(out, raw)

	u, _ := url.Parse(specServer + req.URL.Path[i+len(apiPrefix):])
	u.RawQuery = req.URL.RawQuery
	specReq := req.Clone(context.Background())
	specReq.URL, specReq.Host = u, u.Host
	setBody(specReq, raw)
	call := req.Method + " " + req.URL.Path
	route, params, err := router(t.tb).FindRoute(specReq)
	if err != nil {
		t.tb.Errorf("%s is no operation of Xero's Accounting API: %v", call, err)
		return t.base.RoundTrip(out)
	}
	input := &openapi3filter.RequestValidationInput{Request: specReq, PathParams: params, Route: route, Options: options}
	if req.Context().Value(uncheckedKey{}) == nil {
		if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			t.tb.Errorf("%s: the request breaks Xero's OpenAPI: %s\nbody: %s", call, shorten(err.Error()), shorten(string(raw)))
		}
	}

	resp, err := t.base.RoundTrip(out)
	if err != nil || route.Operation.Responses.Status(resp.StatusCode) == nil {
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if readErr != nil {
		// The answer broke off: hand on what arrived, then the failure, as the wire did.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	check := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Options: options}
	check.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), check); err != nil {
		t.tb.Errorf("%s: the %d answer breaks Xero's OpenAPI: %s\nbody: %s", call, resp.StatusCode, shorten(err.Error()), shorten(string(body)))
	}
	return resp, nil
}

// setBody gives r a body of raw that the transport may read again, as net/http does when it
// retries a request on a fresh connection.
func setBody(r *http.Request, raw []byte) {
	if raw == nil {
		r.Body, r.GetBody = nil, nil
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	r.ContentLength = int64(len(raw))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	return s[:maxShown] + fmt.Sprintf("... (%d bytes more)", len(s)-maxShown)
}
