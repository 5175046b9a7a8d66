package api_test

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/contract"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

// enumParam is a query parameter of a GET operation that the served document gives an enum.
type enumParam struct {
	opID, path, name string
	values           []string
	required         url.Values // the operation's required query parameters, each with an allowed value
}

// servedEnumParams lists every enum query parameter of every GET operation in the served
// document, so that a parameter added there is tested without a change here.
func servedEnumParams(t *testing.T) []enumParam {
	t.Helper()
	var out []enumParam
	for path, item := range contract.Served(t).Paths.Map() {
		op := item.Get
		if op == nil {
			continue
		}
		params := append(slices.Clone(item.Parameters), op.Parameters...)
		required := url.Values{}
		for _, p := range params {
			if p.Value.In == openapi3.ParameterInQuery && p.Value.Required {
				values := schemaEnum(p.Value.Schema)
				if len(values) == 0 {
					t.Fatalf("%s: required query parameter %s has no enum to take a value from", op.OperationID, p.Value.Name)
				}
				required.Set(p.Value.Name, values[0])
			}
		}
		for _, p := range params {
			if p.Value.In != openapi3.ParameterInQuery {
				continue
			}
			if values := schemaEnum(p.Value.Schema); len(values) > 0 {
				out = append(out, enumParam{op.OperationID, path, p.Value.Name, values, required})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].name < out[j].name
	})
	return out
}

// schemaEnum returns the string values a parameter's schema allows, looking through the wrappers
// pydantic writes (allOf, anyOf with null) and into the items of a repeated parameter.
func schemaEnum(ref *openapi3.SchemaRef) []string {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if len(s.Enum) > 0 {
		var out []string
		for _, e := range s.Enum {
			out = append(out, e.(string))
		}
		return out
	}
	for _, sub := range append(append(slices.Clone(s.AllOf), s.AnyOf...), s.OneOf...) {
		if values := schemaEnum(sub); len(values) > 0 {
			return values
		}
	}
	if s.Items != nil {
		return schemaEnum(s.Items)
	}
	return nil
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestEnumQueryParameters: a value outside a query parameter's enum is answered with Monite's 422
// naming the parameter, as a mistyped filter must never read as an empty list, and every value
// inside it is answered as it always was.
func TestEnumQueryParameters(t *testing.T) {
	t.Parallel()
	params := servedEnumParams(t)
	// The lists' filters that take one of a fixed set of words must all be among them.
	for _, name := range []string{"status", "status__in", "type", "currency", "currency__in", "object_type"} {
		if !slices.ContainsFunc(params, func(p enumParam) bool { return p.name == name }) {
			t.Fatalf("the served document declares no enum query parameter %s", name)
		}
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		s := h.partner()
		e := s.newEntity("Enums Ltd", "GB")
		for _, p := range params {
			// Operations on one object are asked about an unknown one: the parameter is checked first.
			path := pathParam.ReplaceAllLiteralString(p.path, uuid.NewString())
			session := e
			if p.opID == "get_entities" {
				session = s
			}
			get := func(values ...string) response {
				q := url.Values{}
				for k, v := range p.required {
					q[k] = v
				}
				q[p.name] = values
				return session.raw("GET", path+"?"+q.Encode(), nil, nil)
			}
			bad := [][]string{{"nope"}, {"NOPE"}, {""}}
			if len(p.values) > 0 && p.name != "order" {
				bad = append(bad, []string{p.values[0] + " "})
			}
			if slices.Contains([]string{"status__in", "currency__in"}, p.name) {
				bad = append(bad, []string{p.values[0], "nope"}, []string{p.values[0] + ",nope"})
			}
			for _, values := range bad {
				r := get(values...)
				var body struct {
					Detail []struct {
						Loc  []any
						Msg  string
						Type string
					}
				}
				if err := json.Unmarshal(r.body, &body); err != nil || r.status != 422 || len(body.Detail) != 1 {
					t.Errorf("%s %s=%q: %d %s, want 422 with one detail", p.path, p.name, values, r.status, r.body)
					continue
				}
				d := body.Detail[0]
				if !slices.Equal(d.Loc, []any{"query", p.name}) || d.Type != "enum" {
					t.Errorf("%s %s=%q: detail %+v, want loc [query %s] and type enum", p.path, p.name, values, d, p.name)
				}
			}
			if path != p.path {
				continue // a valid value on an unknown object is a 404
			}
			for _, v := range p.values {
				if r := get(v); r.status != 200 {
					t.Errorf("%s %s=%s: %d %s, want 200", p.path, p.name, v, r.status, r.body)
				}
			}
		}
	})
}

// TestSortEnumsAreListSpecs: each list's served `sort` enum is exactly what booksync sorts it by,
// so a client offered a sort is never refused it and is told of every sort there is.
func TestSortEnumsAreListSpecs(t *testing.T) {
	t.Parallel()
	sorts := map[string][]string{} // operation id -> the served sort enum
	for _, p := range servedEnumParams(t) {
		if p.name == "sort" {
			sorts[p.opID] = p.values
		}
	}
	for id, spec := range booksync.ListSpecs {
		served, ok := sorts[id]
		if !ok {
			t.Errorf("%s: the served document gives its sort parameter no enum", id)
			continue
		}
		got, want := slices.Sorted(slices.Values(served)), slices.Sorted(slices.Values(spec.Sorts))
		if !slices.Equal(got, want) {
			t.Errorf("%s: the served sort enum is %v, booksync sorts by %v", id, got, want)
		}
		delete(sorts, id)
	}
	for id := range sorts {
		t.Errorf("%s: the served document offers a sort, but booksync.ListSpecs has no spec for it", id)
	}
}

// TestSyncedRecordsNeedObjectType: the synced records list needs an object type, and says which
// ones there are.
func TestSyncedRecordsNeedObjectType(t *testing.T) {
	t.Parallel()
	h := newHarness(t, filepath.Join(t.TempDir(), "booksync.db"))
	r := h.partner().newEntity("Types Ltd", "GB").raw("GET", "/accounting_synced_records", nil, nil)
	want := `{"detail":[{"loc":["query","object_type"],"msg":"Field required: object_type (product, customer, vendor, receivable, bill or payment_record).","type":"missing"}]}`
	if r.status != 422 || strings.TrimSpace(string(r.body)) != want {
		t.Errorf("%d %s\nwant 422 %s", r.status, r.body, want)
	}
}
