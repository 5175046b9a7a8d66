// Package contract checks booksync's API responses against Monite's published OpenAPI document
// (the copy in internal/apispec/testdata), for tests: every response a test receives must have the
// shape Monite's spec declares for its operation and status, and its status must be one that
// booksync's served document (/openapi.json) lists for the operation.
package contract

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/booksync/booksync/internal/apispec"
	"github.com/getkin/kin-openapi/openapi3"
)

var monite struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

var served struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

// Served returns the OpenAPI document booksync serves at /openapi.json, loaded once.
func Served(tb testing.TB) *openapi3.T {
	tb.Helper()
	served.once.Do(func() {
		served.doc, served.err = openapi3.NewLoader().LoadFromData(apispec.Document())
	})
	if served.err != nil {
		tb.Fatalf("load the served spec: %v", served.err)
	}
	return served.doc
}

// Documented reports whether booksync's served document lists status among the responses of the
// operation method pattern (a pattern as Pattern returns it).
func Documented(tb testing.TB, method, pattern string, status int) bool {
	tb.Helper()
	item := Served(tb).Paths.Find(pattern)
	if item == nil || item.GetOperation(method) == nil {
		tb.Fatalf("the served spec has no %s %s", method, pattern)
	}
	return item.GetOperation(method).Responses.Status(status) != nil
}

// Doc returns Monite's OpenAPI document, loaded once, with booksync's documented additions to its
// enums (the platform gnucash).
func Doc(tb testing.TB) *openapi3.T {
	tb.Helper()
	monite.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(file), "..", "apispec", "testdata", "monite_openapi.json")
		monite.doc, monite.err = openapi3.NewLoader().LoadFromFile(path)
		if monite.err == nil {
			// booksync adds GnuCash to Monite's platforms (as its served document says).
			p := monite.doc.Components.Schemas["Platform"].Value
			p.Enum = append(p.Enum, "gnucash")
		}
	})
	if monite.err != nil {
		tb.Fatalf("load Monite spec: %v", monite.err)
	}
	return monite.doc
}

// Check validates a response of booksync's API against the schema Monite's spec declares for the
// operation and status, and requires booksync's served document to list the status for the
// operation, so that a client generated from it is told of every status it can get. Error
// statuses Monite's spec does not declare must still have Monite's error shapes. Requests to paths
// that are not API operations (docs, sandbox) are not checked.
func Check(tb testing.TB, method, path string, status int, body []byte) {
	tb.Helper()
	pattern := Pattern(method, path)
	if pattern == "" {
		return
	}
	if !Documented(tb, method, pattern, status) {
		tb.Errorf("%s %s answered %d, which the served spec (/openapi.json) does not document for %s %s; body %s",
			method, path, status, method, pattern, body)
	}
	doc := Doc(tb)
	op := doc.Paths.Find(pattern).GetOperation(method)
	if op == nil {
		tb.Fatalf("Monite's spec has no %s %s", method, pattern)
	}
	if status == http.StatusNoContent {
		if len(body) != 0 {
			tb.Fatalf("%s %s: 204 with a body %q", method, path, body)
		}
		return
	}
	var schema *openapi3.Schema
	if ref := op.Responses.Status(status); ref != nil && ref.Value != nil {
		if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			schema = mt.Schema.Value
		}
	}
	if schema == nil {
		if status < 400 {
			tb.Fatalf("%s %s: status %d is not declared by Monite's spec", method, path, status)
		}
		name := "ErrorSchemaResponse"
		if status == http.StatusUnprocessableEntity {
			name = "HTTPValidationError"
		}
		schema = doc.Components.Schemas[name].Value
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, status, body)
	}
	if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		// For a union, say why the branch meant for this body failed.
		for _, branch := range schema.AnyOf {
			if berr := branch.Value.VisitJSON(v, openapi3.MultiErrors()); berr != nil && strings.HasSuffix(branch.Ref, "InvoiceResponsePayload") {
				err = berr
			}
		}
		msg := err.Error()
		if len(msg) > 3000 {
			msg = msg[:3000] + "..."
		}
		tb.Fatalf("%s %s: status %d response does not match Monite's schema: %s\nbody: %s", method, path, status, msg, body)
	}
}

// Pattern returns the operation path (such as /receivables/{receivable_id}) that serves a request
// path, or "" when the path is not an operation of booksync's API.
func Pattern(method, path string) string {
	path = strings.SplitN(path, "?", 2)[0]
	for _, op := range apispec.Operations() {
		if op.Method == method && matches(op.Path, path) {
			return op.Path
		}
	}
	return ""
}

func matches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
