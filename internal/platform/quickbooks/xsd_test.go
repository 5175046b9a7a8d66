package quickbooks

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The XSD check: Intuit publishes no OpenAPI for QuickBooks Online, but its JSON uses the element
// and attribute names of the official XSDs (testdata/*.xsd, Apache-2.0, see
// LICENSE.QuickBooks-XSD). checkBody walks a request body against them: every key must be an
// element or attribute of its type (inherited ones included), scalars must have the JSON type of
// their XSD type, and enumerated values must be among the enumeration's.

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

type schema struct {
	types   map[string]*xsdType
	enums   map[string][]string // simpleType -> enumeration values
	globals map[string]string   // top-level element -> type
}

var (
	schemaOnce sync.Once
	theSchema  *schema
	schemaErr  error
)

func loadSchema(t *testing.T) *schema {
	t.Helper()
	schemaOnce.Do(func() {
		s := &schema{types: map[string]*xsdType{}, enums: map[string][]string{}, globals: map[string]string{}}
		files, _ := filepath.Glob("testdata/*.xsd")
		if len(files) == 0 {
			schemaErr = fmt.Errorf("no XSDs in testdata")
			return
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				schemaErr = err
				return
			}
			var root xsdNode
			if err := xml.Unmarshal(b, &root); err != nil {
				schemaErr = fmt.Errorf("%s: %w", f, err)
				return
			}
			for _, n := range root.Nodes {
				switch n.XMLName.Local {
				case "complexType":
					ct := &xsdType{elems: map[string]string{}, attrs: map[string]bool{}}
					collect(n, ct)
					s.types[n.attr("name")] = ct
				case "simpleType":
					var vals []string
					var walk func(xsdNode)
					walk = func(m xsdNode) {
						if m.XMLName.Local == "enumeration" {
							vals = append(vals, m.attr("value"))
						}
						for _, c := range m.Nodes {
							walk(c)
						}
					}
					walk(n)
					s.enums[n.attr("name")] = vals
				case "element":
					s.globals[n.attr("name")] = local(n.attr("type"))
				}
			}
		}
		theSchema = s
	})
	if schemaErr != nil {
		t.Fatalf("loading XSDs: %v", schemaErr)
	}
	return theSchema
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

// lookup finds key among typ's elements and attributes and its bases'. It returns the element's
// type ("" for an attribute) and whether the key is allowed.
func (s *schema) lookup(typ, key string) (string, bool) {
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

// checkBody validates a JSON body against the XSD type typ and returns the problems found.
func checkBody(t *testing.T, typ string, body []byte) []string {
	s := loadSchema(t)
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	var problems []string
	s.check(typ, typ, v, &problems)
	sort.Strings(problems)
	return problems
}

func (s *schema) check(path, typ string, v any, problems *[]string) {
	if arr, ok := v.([]any); ok {
		for i, e := range arr {
			s.check(fmt.Sprintf("%s[%d]", path, i), typ, e, problems)
		}
		return
	}
	typ = local(typ)
	if strings.HasPrefix(typ, "xs:") || typ == "" {
		switch typ {
		case "xs:decimal", "xs:int", "xs:integer", "xs:positiveInteger", "xs:long":
			if _, ok := v.(json.Number); !ok {
				*problems = append(*problems, fmt.Sprintf("%s: %v is not a number", path, v))
			}
		case "xs:boolean":
			if _, ok := v.(bool); !ok {
				*problems = append(*problems, fmt.Sprintf("%s: %v is not a boolean", path, v))
			}
		}
		if _, ok := v.(map[string]any); ok {
			*problems = append(*problems, fmt.Sprintf("%s: an object where %s is expected", path, typ))
		}
		return
	}
	if vals, ok := s.enums[typ]; ok {
		str, isStr := v.(string)
		if len(vals) > 0 && (!isStr || !contains(vals, str)) {
			*problems = append(*problems, fmt.Sprintf("%s: %v is not one of %s's values", path, v, typ))
		}
		return
	}
	if _, ok := s.types[typ]; !ok {
		return // a simple type without enumeration (id, string restrictions)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		*problems = append(*problems, fmt.Sprintf("%s: %v where a %s object is expected", path, v, typ))
		return
	}
	for k, val := range obj {
		et, ok := s.lookup(typ, k)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s.%s: not an element of %s", path, k, typ))
			continue
		}
		if et != "" {
			s.check(path+"."+k, et, val, problems)
		}
	}
}

func contains(vals []string, s string) bool {
	for _, v := range vals {
		if v == s {
			return true
		}
	}
	return false
}

// The checker itself must refuse what QuickBooks would not understand.
func TestXSDCheckCatchesUnknownFields(t *testing.T) {
	t.Parallel()
	ok := checkBody(t, "Invoice", []byte(`{"DocNumber":"1","CustomerRef":{"value":"1"},"Line":[{"Amount":1.5,"DetailType":"SalesItemLineDetail",
		"SalesItemLineDetail":{"Qty":2,"UnitPrice":0.75,"TaxCodeRef":{"value":"TAX"}}}],"TxnTaxDetail":{"TotalTax":0.1}}`))
	if len(ok) != 0 {
		t.Errorf("valid invoice: %v", ok)
	}
	bad := checkBody(t, "Invoice", []byte(`{"InvoiceNumber":"1","Line":[{"Amount":"1.5","DetailType":"Bogus","SalesItemLineDetail":{"Quantity":2}}],"GlobalTaxCalculation":"Exclusive"}`))
	want := []string{"Invoice.GlobalTaxCalculation", "Invoice.InvoiceNumber", "Invoice.Line[0].Amount", "Invoice.Line[0].DetailType", "Invoice.Line[0].SalesItemLineDetail.Quantity"}
	if len(bad) != len(want) {
		t.Fatalf("problems = %v", bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) {
			t.Errorf("problem %d = %q, want %s...", i, bad[i], w)
		}
	}
	batch := checkBody(t, "IntuitBatchRequest", []byte(`{"BatchItemRequest":[{"bId":"0","operation":"create","Customer":{"DisplayName":"A","Nickname":"x"}}]}`))
	if len(batch) != 1 || !strings.Contains(batch[0], "Nickname") {
		t.Errorf("batch problems = %v", batch)
	}
}
