package apispec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.json
var document string

// Document returns the OpenAPI document booksync serves at /openapi.json.
// Each call returns a fresh copy, so callers may keep or modify it.
func Document() []byte {
	return []byte(document)
}

// Operation is one operation of the served document.
type Operation struct {
	Method string // upper case, e.g. "POST"
	Path   string // with Monite's placeholders, e.g. "/receivables/{receivable_id}"
	ID     string // Monite's operationId, e.g. "post_receivables"
}

// Operations returns every operation in Document, sorted by Path then
// Method, so the router's table can be checked against the contract.
func Operations() []Operation {
	return slices.Clone(operations)
}

// loadDocument parses the embedded document once; the validator and the
// docs page share the result, which neither modifies.
var loadDocument = sync.OnceValues(parseDocument)

// parseDocument decodes the embedded document as JSON and resolves its
// references. openapi3.Loader.LoadFromData reads any document as YAML first,
// which costs a served process three times as long at start-up for the same
// result (BenchmarkParseDocument).
func parseDocument() (*openapi3.T, error) {
	doc := &openapi3.T{}
	if err := json.Unmarshal([]byte(document), doc); err != nil {
		return nil, fmt.Errorf("apispec: load openapi.json: %w", err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, fmt.Errorf("apispec: load openapi.json: %w", err)
	}
	// doc.Validate is left to the tests: the document is embedded, so it
	// cannot change after they pass, and Validate would double start-up time.
	return doc, nil
}
