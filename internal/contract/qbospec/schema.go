// Package qbospec checks QuickBooks Online Accounting API traffic against Intuit's published
// XSDs, for tests. Intuit publishes no OpenAPI document for QuickBooks Online, but its JSON uses
// the element and attribute names of the XSDs (xsd/*.xsd, Apache-2.0, see
// xsd/LICENSE.QuickBooks-XSD). [Schema.Check] walks a JSON body against an XSD type; [Transport]
// checks every request and response of a test's HTTP client with it, so that the QuickBooks
// connector and booksync's QuickBooks sandbox are both held to Intuit's contract.
//
// The check is structural: every key must be an element or attribute of its type (inherited
// ones included, and any entity where the type admits an IntuitObject), scalars must have the
// JSON type of their XSD type, and enumerated values must be among the enumeration's. Required
// elements and occurrence limits are not checked.
package qbospec

import (
	"embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

//go:embed xsd/*.xsd
var xsdFiles embed.FS

// xsdNode is any XSD element, read generically.
type xsdNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xsdNode  `xml:",any"`
}

func (n xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// xsdType is a complexType: its base, its elements (name -> type) and attributes.
type xsdType struct {
	base          string
	elems         map[string]string
	attrs         map[string]bool
	simpleContent bool
	anyEntity     bool // has <element ref="IntuitObject">: any entity element may appear
}

// Schema is Intuit's XSDs, read for checking JSON bodies. It is safe for concurrent use.
type Schema struct {
	types   map[string]*xsdType
	enums   map[string][]string // simpleType -> enumeration values
	globals map[string]string   // top-level element -> type
}

var loaded struct {
	once   sync.Once
	schema *Schema
	err    error
}

// Load returns the XSDs, read once.
func Load(tb testing.TB) *Schema {
	tb.Helper()
	loaded.once.Do(func() { loaded.schema, loaded.err = read() })
	if loaded.err != nil {
		tb.Fatalf("loading Intuit's XSDs: %v", loaded.err)
	}
	return loaded.schema
}

func read() (*Schema, error) {
	s := &Schema{types: map[string]*xsdType{}, enums: map[string][]string{}, globals: map[string]string{}}
	files, err := xsdFiles.ReadDir("xsd")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := xsdFiles.ReadFile(path.Join("xsd", f.Name()))
		if err != nil {
			return nil, err
		}
		var root xsdNode
		if err := xml.Unmarshal(b, &root); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		for _, n := range root.Nodes {
			switch n.XMLName.Local {
			case "complexType":
				ct := &xsdType{elems: map[string]string{}, attrs: map[string]bool{}}
				collect(n, ct)
				s.types[n.attr("name")] = ct
			case "simpleType":
				s.enums[n.attr("name")] = enumeration(n, nil)
			case "element":
				s.globals[n.attr("name")] = local(n.attr("type"))
			}
		}
	}
	return s, nil
}

// enumeration appends the enumeration values found under n to vals.
func enumeration(n xsdNode, vals []string) []string {
	if n.XMLName.Local == "enumeration" {
		vals = append(vals, n.attr("value"))
	}
	for _, c := range n.Nodes {
		vals = enumeration(c, vals)
	}
	return vals
}

// collect gathers a complexType's base, elements and attributes, without descending into the
// anonymous types of nested elements.
func collect(n xsdNode, ct *xsdType) {
	for _, c := range n.Nodes {
		switch c.XMLName.Local {
		case "extension", "restriction":
			if b := c.attr("base"); b != "" && !strings.HasPrefix(b, "xs:") {
				ct.base = local(b)
			}
			collect(c, ct)
		case "simpleContent":
			ct.simpleContent = true
			collect(c, ct)
		case "element":
			if r := c.attr("ref"); r != "" {
				ct.anyEntity = true
				continue
			}
			ct.elems[c.attr("name")] = c.attr("type")
		case "attribute":
			ct.attrs[c.attr("name")] = true
		default:
			collect(c, ct)
		}
	}
}

func local(t string) string {
	if i := strings.LastIndex(t, ":"); i >= 0 && !strings.HasPrefix(t, "xs:") {
		return t[i+1:]
	}
	return t
}

// Element returns the type of the top-level element whose name is name ignoring case, such as
// "Invoice" for "invoice", and whether there is one.
func (s *Schema) Element(name string) (string, bool) {
	if t, ok := s.globals[name]; ok {
		return t, true
	}
	for el, t := range s.globals {
		if strings.EqualFold(el, name) {
			return t, true
		}
	}
	return "", false
}

// lookup finds key among typ's elements and attributes and its bases'. It returns the element's
// type ("" for an attribute) and whether the key is allowed.
func (s *Schema) lookup(typ, key string) (string, bool) {
	for t := s.types[typ]; t != nil; t = s.types[t.base] {
		if et, ok := t.elems[key]; ok {
			return et, true
		}
		if t.attrs[key] || (t.simpleContent && key == "value") {
			return "", true
		}
		if t.anyEntity {
			if et, ok := s.globals[key]; ok {
				return et, true
			}
		}
		if t.base == "" {
			break
		}
	}
	return "", false
}

// Check validates a JSON body against the XSD type typ and returns the problems found, sorted,
// each starting with the path of the value at fault ("Invoice.Line[0].Amount: ...").
func (s *Schema) Check(typ string, body []byte) []string {
	problems, _ := s.check(typ, body)
	return problems
}

// check is Check that also counts the objects of each complex type it walked.
func (s *Schema) check(typ string, body []byte) ([]string, map[string]int) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"body is not JSON: " + err.Error()}, nil
	}
	w := walk{s: s, seen: map[string]int{}}
	w.value(typ, typ, v)
	sort.Strings(w.problems)
	return w.problems, w.seen
}

// walk is one Check's state.
type walk struct {
	s        *Schema
	problems []string
	seen     map[string]int
}

func (w *walk) problem(format string, args ...any) {
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

func (w *walk) value(path, typ string, v any) {
	if arr, ok := v.([]any); ok {
		for i, e := range arr {
			w.value(fmt.Sprintf("%s[%d]", path, i), typ, e)
		}
		return
	}
	typ = local(typ)
	if strings.HasPrefix(typ, "xs:") || typ == "" {
		switch typ {
		case "xs:decimal", "xs:int", "xs:integer", "xs:positiveInteger", "xs:long":
			if _, ok := v.(json.Number); !ok {
				w.problem("%s: %v is not a number", path, v)
			}
		case "xs:boolean":
			if _, ok := v.(bool); !ok {
				w.problem("%s: %v is not a boolean", path, v)
			}
		}
		if _, ok := v.(map[string]any); ok {
			w.problem("%s: an object where %s is expected", path, typ)
		}
		return
	}
	if vals, ok := w.s.enums[typ]; ok {
		str, isStr := v.(string)
		if len(vals) > 0 && (!isStr || !slices.Contains(vals, str)) {
			w.problem("%s: %v is not one of %s's values", path, v, typ)
		}
		return
	}
	if _, ok := w.s.types[typ]; !ok {
		return // a simple type without enumeration (id, string restrictions)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		w.problem("%s: %v where a %s object is expected", path, v, typ)
		return
	}
	w.seen[typ]++
	for k, val := range obj {
		et, ok := w.s.lookup(typ, k)
		if !ok {
			w.problem("%s.%s: not an element of %s", path, k, typ)
			continue
		}
		if et != "" {
			w.value(path+"."+k, et, val)
		}
	}
}
