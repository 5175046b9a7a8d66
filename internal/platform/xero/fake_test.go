package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The fake Xero checks every request the client sends, and every answer it scripts, against
// Xero's official OpenAPI (testdata/xero_accounting.yaml, MIT, see LICENSE.Xero-OpenAPI), so that
// the client is tested against what Xero accepts and the fakes answer as Xero does.

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

// loadSpec loads the spec once per test binary. doc.Validate is not called: the spec fails it on
// its own examples (see shared/reference/platforms.md §4), while routing and validation work.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() {
		specDoc, specErr = openapi3.NewLoader().LoadFromFile("testdata/xero_accounting.yaml")
	})
	if specErr != nil {
		t.Fatalf("loading Xero spec: %v", specErr)
	}
	return specDoc
}

// reply is what a fake handler answers.
type reply struct {
	status int
	header http.Header
	body   any           // marshalled to JSON; nil for no body
	hijack bool          // close the connection without answering
	delay  time.Duration // wait before answering (or until the client gives up)
}

// call is a request the fake received.
type call struct {
	method, path string
	query        url.Values
	header       http.Header
	body         []byte
}

// fake is an httptest server speaking Xero's Accounting API under /api.xro/2.0, and Xero's
// connections endpoint at /connections (not part of the accounting spec, so not validated).
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	router routers.Router
	handle func(c call) reply

	mu    sync.Mutex
	calls []call
}

func newFake(t *testing.T, handle func(c call) reply) *fake {
	t.Helper()
	f := &fake{t: t, handle: handle}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	doc := *loadSpec(t) // a shallow copy, so that each fake routes on its own URL
	doc.Servers = openapi3.Servers{{URL: f.srv.URL + "/api.xro/2.0"}}
	r, err := gorillamux.NewRouter(&doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	f.router = r
	return f
}

// client returns a Client for the fake.
func (f *fake) client(cfg Config) *Client {
	cfg.APIURL = f.srv.URL + "/api.xro/2.0"
	if cfg.TenantID == "" {
		cfg.TenantID = "6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11"
	}
	cfg.HTTPClient = f.srv.Client()
	return New(cfg)
}

func (f *fake) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

var validateOpts = &openapi3filter.Options{
	SkipSettingDefaults: true,
	MultiError:          true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading body: %v", err)
		return
	}
	c := call{method: r.Method, path: strings.TrimPrefix(r.URL.Path, "/api.xro/2.0"),
		query: r.URL.Query(), header: r.Header.Clone(), body: body}
	var reqInput *openapi3filter.RequestValidationInput
	if strings.HasPrefix(r.URL.Path, "/api.xro/2.0/") {
		r.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := f.router.FindRoute(r)
		if err != nil {
			f.t.Errorf("fake: %s %s is not in Xero's spec: %v", r.Method, r.URL, err)
			http.Error(w, "no route", http.StatusNotFound)
			return
		}
		reqInput = &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: validateOpts}
		if err := openapi3filter.ValidateRequest(context.Background(), reqInput); err != nil {
			f.t.Errorf("fake: %s %s violates Xero's spec: %v\nbody: %s", r.Method, r.URL, err, body)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()

	rep := f.handle(c)
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.hijack {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			f.t.Errorf("fake: hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	var out []byte
	if rep.body != nil {
		if raw, ok := rep.body.([]byte); ok {
			out = raw
		} else if out, err = json.Marshal(rep.body); err != nil {
			f.t.Errorf("fake: marshal: %v", err)
		}
	}
	h := http.Header{}
	for k, v := range rep.header {
		h[k] = v
	}
	if out != nil {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	if reqInput != nil {
		in := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqInput, Status: rep.status,
			Header: h, Options: validateOpts}
		in.SetBodyBytes(out)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			f.t.Errorf("fake: answer to %s %s violates Xero's spec: %v\nbody: %s", r.Method, r.URL, err, out)
		}
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(rep.status)
	w.Write(out)
}
