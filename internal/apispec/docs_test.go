package apispec

import (
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDocsHandler(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	DocsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	page := rec.Body.String()
	for _, op := range Operations() {
		if !strings.Contains(page, `<span class="path">`+html.EscapeString(op.Path)+`</span>`) {
			t.Errorf("page does not show %s %s", op.Method, op.Path)
		}
		if !strings.Contains(page, `id="op-`+op.ID+`"`) {
			t.Errorf("page has no section for %s", op.ID)
		}
	}
	for _, want := range []string{
		"<title>booksync API 2024-05-25</title>",
		`<a href="#schema-ReceivableFacadeCreateInvoicePayload">`, // request body links to its schema
		`id="schema-ReceivableFacadeCreateInvoicePayload"`,
		`id="schema-LineItem"`,
		"<code>x-monite-entity-id</code>", // parameters are listed
		"<code>EUR</code>",                // enum values are listed
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not contain %q", want)
		}
	}
	for _, banned := range []string{"<script", "https://cdn", "http://cdn", `<link rel="stylesheet"`} {
		if strings.Contains(page, banned) {
			t.Errorf("page contains %q; it must work offline", banned)
		}
	}
	// Every in-page link must have its target.
	for rest := page; ; {
		i := strings.Index(rest, `href="#`)
		if i < 0 {
			break
		}
		rest = rest[i+len(`href="#`):]
		anchor := rest[:strings.IndexByte(rest, '"')]
		if !strings.Contains(page, `id="`+anchor+`"`) {
			t.Errorf("link to #%s has no target", anchor)
		}
	}
}

func TestDocsHandlerRejectsOtherMethods(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	DocsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/docs", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("status %d, want 405", rec.Code)
	}
}
