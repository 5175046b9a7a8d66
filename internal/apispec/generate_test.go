package apispec

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/booksync/booksync"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/booksync/booksync/internal/apispec/internal/specgen"
)

// wantOperations is every operation booksync publishes: the generator's list.
func wantOperations() []string {
	var out []string
	for _, op := range specgen.Ops {
		out = append(out, op.Method+" "+op.Path)
	}
	return out
}

func TestCommittedFilesMatchGenerator(t *testing.T) {
	t.Parallel()
	monite, err := os.ReadFile("testdata/monite_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := specgen.Generate(monite)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"openapi.json": out.Document, "operations_gen.go": out.OperationsGo} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh generation; run go generate ./internal/apispec and do not edit it by hand", name)
		}
	}
	if !bytes.Equal(Document(), out.Document) {
		t.Error("the embedded document differs from a fresh generation")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	monite, err := os.ReadFile("testdata/monite_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := specgen.Generate(monite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := specgen.Generate(monite)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Document, b.Document) || !bytes.Equal(a.OperationsGo, b.OperationsGo) {
		t.Fatal("two generations from the same input differ")
	}
}

// loadFresh loads Document with a new loader, so this test does not depend
// on the package's cached copy.
func loadFresh(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(Document())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI: %v", err)
	}
	return doc
}

func TestDocumentHasExactlyTheContractOperations(t *testing.T) {
	t.Parallel()
	doc := loadFresh(t)

	var got []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			got = append(got, method+" "+path)
		}
	}
	want := wantOperations()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("operations in openapi.json:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var fromTable []string
	for _, op := range Operations() {
		fromTable = append(fromTable, op.Method+" "+op.Path)
		docOp := doc.Paths.Value(op.Path).GetOperation(op.Method)
		if docOp == nil || docOp.OperationID != op.ID {
			t.Errorf("Operations() has %s %s %s, which the document does not", op.Method, op.Path, op.ID)
		}
	}
	slices.Sort(fromTable)
	if !slices.Equal(fromTable, want) {
		t.Errorf("Operations() = %v, want %v", fromTable, want)
	}
	ops := Operations()
	if !slices.IsSortedFunc(ops, func(a, b Operation) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	}) {
		t.Error("Operations() is not sorted by path then method")
	}
}

func TestDocumentKeepsMoniteOperationsExceptDocumentedChanges(t *testing.T) {
	t.Parallel()
	doc := loadFresh(t)
	monite, err := openapi3.NewLoader().LoadFromFile("testdata/monite_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range Operations() {
		ours := doc.Paths.Value(op.Path).GetOperation(op.Method)
		theirs := monite.Paths.Value(op.Path).GetOperation(op.Method)
		if theirs == nil || ours.OperationID != theirs.OperationID {
			t.Errorf("%s %s: operationId %q does not match Monite's", op.Method, op.Path, ours.OperationID)
			continue
		}
		if !strings.Contains(ours.Description, "booksync: the `x-monite-version` header is optional") {
			t.Errorf("%s: description does not document the optional x-monite-version header", op.ID)
		}
		// Every parameter is Monite's own; list operations keep exactly the query parameters
		// booksync serves (booksync.ListSpecs), in Monite's order.
		theirsByName := map[string]*openapi3.Parameter{}
		var theirOrder []string
		for _, mp := range theirs.Parameters {
			theirsByName[mp.Value.In+" "+mp.Value.Name] = mp.Value
			theirOrder = append(theirOrder, mp.Value.In+" "+mp.Value.Name)
		}
		var ourOrder, ourQuery []string
		for _, p := range ours.Parameters {
			key := p.Value.In + " " + p.Value.Name
			ourOrder = append(ourOrder, key)
			if p.Value.In == "query" {
				ourQuery = append(ourQuery, p.Value.Name)
			}
			mp, ok := theirsByName[key]
			if !ok {
				t.Errorf("%s: parameter %s is not Monite's", op.ID, key)
				continue
			}
			wantRequired := mp.Required
			if p.Value.Name == "x-monite-version" {
				wantRequired = false
				// The one version booksync serves, and what happens with any other, are documented.
				if !strings.Contains(p.Value.Description, "2024-05-25") || !strings.Contains(p.Value.Description, "422") ||
					len(p.Value.Schema.Value.Enum) != 1 || p.Value.Schema.Value.Enum[0] != "2024-05-25" {
					t.Errorf("%s: x-monite-version does not say that only 2024-05-25 is served: %q %v", op.ID, p.Value.Description, p.Value.Schema.Value.Enum)
				}
			}
			if p.Value.Required != wantRequired {
				t.Errorf("%s: parameter %s required=%v, want %v", op.ID, p.Value.Name, p.Value.Required, wantRequired)
			}
		}
		kept := slices.DeleteFunc(slices.Clone(theirOrder), func(k string) bool { return !slices.Contains(ourOrder, k) })
		if !slices.Equal(kept, ourOrder) {
			t.Errorf("%s: parameters %v are not in Monite's order %v", op.ID, ourOrder, kept)
		}
		if spec, ok := booksync.ListSpecs[op.ID]; ok {
			slices.Sort(ourQuery)
			if want := spec.QueryParams(); !slices.Equal(ourQuery, want) {
				t.Errorf("%s: documents query parameters %v, booksync serves %v", op.ID, ourQuery, want)
			}
		} else if len(ours.Parameters) != len(theirs.Parameters) {
			t.Errorf("%s: %d parameters, Monite has %d", op.ID, len(ours.Parameters), len(theirs.Parameters))
		}
		var ourCodes, theirCodes []string
		for c := range ours.Responses.Map() {
			ourCodes = append(ourCodes, c)
		}
		for c := range theirs.Responses.Map() {
			theirCodes = append(theirCodes, c)
		}
		slices.Sort(ourCodes)
		slices.Sort(theirCodes)
		// booksync keeps every status Monite lists and adds the ones it also answers, each named
		// in a "booksync:" note of the operation.
		for _, c := range theirCodes {
			if !slices.Contains(ourCodes, c) {
				t.Errorf("%s: response codes %v lack Monite's %s", op.ID, ourCodes, c)
			}
		}
		_, note, _ := strings.Cut(ours.Description, "booksync: also answers")
		note, _, _ = strings.Cut(note, "\n")
		for _, c := range ourCodes {
			if !slices.Contains(theirCodes, c) && !strings.Contains(note, c) {
				t.Errorf("%s: response code %s is not Monite's and no booksync: note names it", op.ID, c)
			}
		}
	}

	for id, schemas := range map[string][]string{
		"post_receivables":     {"ReceivableFacadeCreateInvoicePayload", "ReceivableCreateBasedOnPayload"},
		"patch_receivables_id": {"UpdateInvoicePayload", "UpdateIssuedInvoicePayload", "UpdateCreditNotePayload"},
	} {
		op := findOp(t, doc, id)
		body := op.RequestBody.Value.Content.Get("application/json").Schema
		var got []string
		if body.Ref != "" {
			got = append(got, body.Ref)
		}
		for _, b := range body.Value.AnyOf {
			got = append(got, b.Ref)
		}
		var want []string
		for _, s := range schemas {
			want = append(want, "#/components/schemas/"+s)
			if !strings.Contains(op.Description, "booksync: only") || !strings.Contains(op.Description, s) {
				t.Errorf("%s description does not document the narrowed body %s:\n%s", id, s, op.Description)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s request body is %v, want %v", id, got, want)
		}
	}

	if doc.Info.Title != "booksync API" || doc.Info.Version != "2024-05-25" ||
		!strings.Contains(doc.Info.Description, "compatible with Monite's API version 2024-05-25") {
		t.Errorf("info = %+v", doc.Info)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers = %v, want one with url /", doc.Servers)
	}
}

func findOp(t *testing.T, doc *openapi3.T, id string) *openapi3.Operation {
	t.Helper()
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op
			}
		}
	}
	t.Fatalf("no operation %s", id)
	return nil
}

// TestDocumentSchemasAreExactlyTheReferencedOnes checks on the raw JSON
// that every $ref resolves and that no component schema is unreferenced.
func TestDocumentSchemasAreExactlyTheReferencedOnes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths      map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(Document(), &doc); err != nil {
		t.Fatal(err)
	}
	reached := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t2 := v.(type) {
		case map[string]any:
			if ref, ok := t2["$ref"].(string); ok {
				name, ok := strings.CutPrefix(ref, "#/components/schemas/")
				if !ok {
					t.Errorf("unexpected $ref %q", ref)
				} else if !reached[name] {
					reached[name] = true
					s, ok := doc.Components.Schemas[name]
					if !ok {
						t.Errorf("$ref %q does not resolve", ref)
					}
					walk(s)
				}
			}
			for _, c := range t2 {
				walk(c)
			}
		case []any:
			for _, c := range t2 {
				walk(c)
			}
		}
	}
	walk(doc.Paths)
	for name := range doc.Components.Schemas {
		if !reached[name] {
			t.Errorf("component schema %s is not referenced by any operation", name)
		}
	}
	for _, unwanted := range []string{"ReceivableFacadeCreateQuotePayload", "UpdateQuotePayload"} {
		if _, ok := doc.Components.Schemas[unwanted]; ok {
			t.Errorf("schema %s is in the document, but booksync serves invoices and credit notes only", unwanted)
		}
	}
}

// TestParsedDocumentIsTheLoaders checks that the document the validator and the docs page use,
// decoded as JSON with its references resolved, is the document kin-openapi's loader reads from the
// same bytes: equal through every pointer, so every reference resolved to an equal schema (what
// JSON would not show, since a reference encodes as its $ref alone).
func TestParsedDocumentIsTheLoaders(t *testing.T) {
	ours, err := parseDocument()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ours, loadFresh(t)) {
		t.Fatal("the parsed document differs from the loader's")
	}
	if err := ours.Validate(context.Background()); err != nil {
		t.Fatalf("the parsed document is not valid OpenAPI: %v", err)
	}
}
