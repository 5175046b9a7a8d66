package specgen

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/booksync/booksync"
)

// moniteWith returns Monite's document after edit has changed it.
func moniteWith(t *testing.T, edit func(doc map[string]any)) []byte {
	t.Helper()
	in, err := os.ReadFile("../../testdata/monite_openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(in, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sortParam returns the sort query parameter of the GET operation on path in doc.
func sortParam(t *testing.T, doc map[string]any, path string) map[string]any {
	t.Helper()
	op := asMap(asMap(asMap(doc["paths"])[path])["get"])
	for _, p := range asSlice(op["parameters"]) {
		if pm := asMap(p); pm["in"] == "query" && pm["name"] == "sort" {
			return pm
		}
	}
	t.Fatalf("GET %s has no sort parameter", path)
	return nil
}

// TestSortSchemaIsItsListsAlone: a sort enum is narrowed to its own list's sorts, so the generator
// refuses a component schema that another list, or any other part of the document, also uses.
func TestSortSchemaIsItsListsAlone(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(doc map[string]any){
		"another list": func(doc map[string]any) {
			sortParam(t, doc, "/counterparts")["schema"] = map[string]any{"$ref": schemaRefPrefix + "ProductCursorFields"}
		},
		"a response": func(doc map[string]any) {
			s := asMap(asMap(asMap(doc["components"])["schemas"])["CounterpartAddress"])
			asMap(s["properties"])["sorted_by"] = map[string]any{"$ref": schemaRefPrefix + "CounterpartCursorFields"}
		},
	} {
		if _, err := Generate(moniteWith(t, edit)); err == nil || !strings.Contains(err.Error(), "CursorFields") {
			t.Errorf("%s uses a list's sort enum: got %v, want an error naming the schema", name, err)
		}
	}
}

// TestInlineSortEnum: a sort enum written into the parameter itself is narrowed there, and the
// parameter's description tells how it differs from Monite's.
func TestInlineSortEnum(t *testing.T) {
	t.Parallel()
	out, err := Generate(moniteWith(t, func(doc map[string]any) {
		sortParam(t, doc, "/counterparts")["schema"] = map[string]any{"type": "string", "enum": []any{"counterpart_name", "email"}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Document, &doc); err != nil {
		t.Fatal(err)
	}
	p := sortParam(t, doc, "/counterparts")
	var got []string
	for _, v := range asSlice(asMap(p["schema"])["enum"]) {
		got = append(got, v.(string))
	}
	if want := booksync.CounterpartList.Sorts; !slices.Equal(got, want) {
		t.Errorf("enum %v, want %v", got, want)
	}
	desc, _ := p["description"].(string)
	if want := "booksync: the list can also be sorted by created_at; sorting by Monite's email is a 422."; !strings.HasSuffix(desc, want) {
		t.Errorf("description %q, want it to end %q", desc, want)
	}
}
