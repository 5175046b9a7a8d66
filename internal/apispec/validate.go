package apispec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Detail is one entry of a 422 response's "detail" list, in the shape
// FastAPI/pydantic (and so Monite) use: {"loc": [...], "msg": "...", "type": "..."}.
type Detail struct {
	// Loc is where the problem is: "body" followed by property names
	// (strings) and array indexes (ints), e.g. ["body", "line_items", 0, "quantity"].
	Loc []any `json:"loc"`
	// Msg says what is wrong in plain English.
	Msg string `json:"msg"`
	// Type is pydantic's error type, e.g. "missing" or "greater_than_equal",
	// for clients that branch on it.
	Type string `json:"type"`
}

// Validator checks request bodies against the schemas of Document.
// It is safe for concurrent use.
//
// It walks kin-openapi's resolved schemas itself rather than calling
// Schema.VisitJSON, because VisitJSON reports unions only as "doesn't match
// any schema", and takes numbers as float64, which would round
// 9007199254740993 to a value that passes a maximum it should fail.
type Validator struct {
	bodies   map[string]requestBody         // by operationId
	enums    map[string]map[string][]string // operationId -> query parameter -> the values its enum allows
	patterns sync.Map                       // pattern string -> *regexp.Regexp, or nil when RE2 cannot compile it
}

type requestBody struct {
	schema   *openapi3.SchemaRef // nil when the operation takes no body
	required bool
}

// NewValidator returns a Validator for every operation in Document.
func NewValidator() (*Validator, error) {
	doc, err := loadDocument()
	if err != nil {
		return nil, err
	}
	v := &Validator{bodies: map[string]requestBody{}, enums: map[string]map[string][]string{}}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			v.enums[op.OperationID] = queryEnums(append(slices.Clone(item.Parameters), op.Parameters...))
			rb := requestBody{}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				body := op.RequestBody.Value
				mt := body.Content.Get("application/json")
				if mt == nil || mt.Schema == nil {
					return nil, fmt.Errorf("apispec: %s has a request body that is not JSON", op.OperationID)
				}
				rb = requestBody{schema: mt.Schema, required: body.Required}
			}
			v.bodies[op.OperationID] = rb
		}
	}
	return v, nil
}

// ValidateBody validates a raw JSON request body against the request-body
// schema of the operation with id operationID (e.g. "post_receivables").
// It returns nil when the body is valid, and otherwise every problem found,
// in a deterministic order: properties in name order, array items in index
// order. An operation without a request body accepts any body, because
// FastAPI ignores one there too.
//
// It panics when operationID is not in Document: that is a programming
// error in the route table, which tests against Operations catch.
func (v *Validator) ValidateBody(operationID string, body []byte) []Detail {
	rb, ok := v.bodies[operationID]
	if !ok {
		panic(fmt.Sprintf("apispec: no operation %q in openapi.json", operationID))
	}
	if rb.schema == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if rb.required {
			return []Detail{{Loc: []any{"body"}, Msg: "Field required", Type: "missing"}}
		}
		return nil
	}
	value, bad := decodeBody(body)
	if bad != nil {
		return []Detail{*bad}
	}
	c := checker{v: v}
	return dedupe(c.check(rb.schema, value, []any{"body"}))
}

// queryEnums returns the enum of each query parameter that has one, as the text a query carries.
func queryEnums(params openapi3.Parameters) map[string][]string {
	out := map[string][]string{}
	for _, p := range params {
		if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInQuery || p.Value.Schema == nil {
			continue
		}
		for _, e := range enumOf(p.Value.Schema, 0) {
			text, ok := e.(string)
			if !ok {
				text = literal(e)
			}
			out[p.Value.Name] = append(out[p.Value.Name], text)
		}
	}
	return out
}

// enumOf returns the values a query parameter's schema allows when it is an enum: its own enum,
// that of the schema it wraps (allOf, or anyOf and oneOf beside null, as pydantic writes optional
// and defaulted parameters), or, for a parameter that repeats, that of its items.
func enumOf(ref *openapi3.SchemaRef, depth int) []any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	if len(s.Enum) > 0 {
		return s.Enum
	}
	for _, subs := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, sub := range subs {
			if enum := enumOf(sub, depth+1); len(enum) > 0 {
				return enum
			}
		}
	}
	if s.Type != nil && s.Type.Is(openapi3.TypeArray) {
		return enumOf(s.Items, depth+1)
	}
	return nil
}

// QueryEnum returns the values the document allows for the query parameter param of the
// operation with id operationID (e.g. "get_receivables", "status__in"), in the document's order:
// the enum of its schema or, for a parameter that repeats, of its items. It returns nil when the
// parameter has no enum or the operation does not declare it.
//
// It panics when operationID is not in Document, as ValidateBody does.
func (v *Validator) QueryEnum(operationID, param string) []string {
	params, ok := v.enums[operationID]
	if !ok {
		panic(fmt.Sprintf("apispec: no operation %q in openapi.json", operationID))
	}
	return slices.Clone(params[param])
}

// ValidateQueryEnum checks one value of the query parameter param of the operation with id
// operationID against the enum the document declares for it (see QueryEnum); a parameter that
// repeats is checked one value at a time. It returns nil when the enum allows the value or the
// parameter has no enum, and otherwise a Detail of type "enum" at ["query", param] that lists the
// values allowed. Other constraints of the parameter's schema are not checked here.
//
// It panics when operationID is not in Document, as ValidateBody does.
func (v *Validator) ValidateQueryEnum(operationID, param, value string) *Detail {
	params, ok := v.enums[operationID]
	if !ok {
		panic(fmt.Sprintf("apispec: no operation %q in openapi.json", operationID))
	}
	enum := params[param]
	if len(enum) == 0 || slices.Contains(enum, value) {
		return nil
	}
	allowed := make([]any, len(enum))
	for i, e := range enum {
		allowed[i] = e
	}
	return &Detail{Loc: []any{"query", param}, Msg: "Input should be " + orList(allowed) + ", got " + strconv.Quote(truncate(value, 64)) + ".", Type: "enum"}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// decodeBody decodes body keeping numbers as json.Number, so that
// integers are compared exactly rather than after rounding to float64.
func decodeBody(body []byte) (any, *Detail) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		offset := dec.InputOffset()
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn) && syn.Offset > 0:
			// Offset counts the offending byte too; Python's json (and so
			// FastAPI) reports that byte's own position.
			offset = syn.Offset - 1
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			offset = int64(len(body))
		}
		return nil, jsonInvalid(offset, err.Error())
	}
	// Decode stops after the first value; "{} {}" or "{}x" is still not
	// one JSON document.
	end := dec.InputOffset()
	for end < int64(len(body)) && isJSONSpace(body[end]) {
		end++
	}
	if end < int64(len(body)) {
		return nil, jsonInvalid(end, "unexpected data after the JSON value")
	}
	return value, nil
}

func isJSONSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}

func jsonInvalid(offset int64, reason string) *Detail {
	reason = strings.TrimPrefix(reason, "json: ")
	return &Detail{Loc: []any{"body", int(offset)}, Msg: "JSON decode error: " + reason, Type: "json_invalid"}
}

// checker walks one value against one schema. It returns details instead
// of collecting them so that union branches can be tried without effect.
type checker struct {
	v *Validator
}

func (c *checker) check(ref *openapi3.SchemaRef, value any, loc []any) []Detail {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if s.Always != nil {
		if !*s.Always {
			return []Detail{{Loc: loc, Msg: "No value is allowed here", Type: "value_error"}}
		}
		return nil
	}
	var out []Detail
	for _, sub := range s.AllOf {
		out = append(out, c.check(sub, value, loc)...)
	}
	if len(s.AnyOf) > 0 {
		out = append(out, c.union(s, s.AnyOf, value, loc)...)
	}
	if len(s.OneOf) > 0 {
		// Treated like anyOf: pydantic's smart unions, which Monite's
		// document comes from, accept a value that more than one branch fits.
		out = append(out, c.union(s, s.OneOf, value, loc)...)
	}
	if s.Type != nil && !s.Type.IsEmpty() && !typeAllows(s.Type, value) {
		// Further checks on a value of the wrong type only repeat the point.
		return append(out, typeError(s.Type, value, loc))
	}
	if value == nil {
		return out
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return jsonEqual(e, value) }) {
		out = append(out, Detail{Loc: loc, Msg: "Input should be " + orList(s.Enum), Type: "enum"})
	}
	if s.Const != nil && !jsonEqual(s.Const, value) {
		out = append(out, Detail{Loc: loc, Msg: "Input should be " + literal(s.Const), Type: "literal_error"})
	}
	switch t := value.(type) {
	case string:
		out = append(out, c.checkString(s, t, loc)...)
	case json.Number:
		out = append(out, checkNumber(s, t, loc)...)
	case []any:
		out = append(out, c.checkArray(s, t, loc)...)
	case map[string]any:
		out = append(out, c.checkObject(s, t, loc)...)
	}
	return out
}

func (c *checker) checkString(s *openapi3.Schema, str string, loc []any) []Detail {
	var out []Detail
	n := uint64(utf8.RuneCountInString(str))
	if n < s.MinLength {
		out = append(out, Detail{Loc: loc, Msg: fmt.Sprintf("String should have at least %d %s", s.MinLength, plural(s.MinLength, "character")), Type: "string_too_short"})
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		out = append(out, Detail{Loc: loc, Msg: fmt.Sprintf("String should have at most %d %s", *s.MaxLength, plural(*s.MaxLength, "character")), Type: "string_too_long"})
	}
	if s.Pattern != "" {
		if re := c.v.pattern(s.Pattern); re != nil && !re.MatchString(str) {
			out = append(out, Detail{Loc: loc, Msg: fmt.Sprintf("String should match pattern '%s'", s.Pattern), Type: "string_pattern_mismatch"})
		}
	}
	if d, ok := checkFormat(s.Format, str, loc); !ok {
		out = append(out, d)
	}
	return out
}

// pattern compiles a schema pattern once. Patterns RE2 cannot compile are
// skipped rather than failing every request that reaches them.
func (v *Validator) pattern(p string) *regexp.Regexp {
	if re, ok := v.patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	v.patterns.Store(p, re)
	return re
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func checkFormat(format, str string, loc []any) (Detail, bool) {
	switch format {
	case "uuid":
		if !uuidPattern.MatchString(str) {
			return Detail{Loc: loc, Msg: "Input should be a valid UUID, like 9d2b4c8f-2087-4738-ba91-7359683c49a4", Type: "uuid_parsing"}, false
		}
	case "email":
		addr, err := mail.ParseAddress(str)
		if err != nil || addr.Address != str || addr.Name != "" {
			return Detail{Loc: loc, Msg: "Value error, value is not a valid email address", Type: "value_error"}, false
		}
	case "uri":
		u, err := url.Parse(str)
		if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
			return Detail{Loc: loc, Msg: "Value error, value is not a valid absolute URL, like https://example.com/page", Type: "value_error"}, false
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			return Detail{Loc: loc, Msg: "Value error, value is not a valid date in the form YYYY-MM-DD", Type: "value_error"}, false
		}
	case "date-time":
		if !isDateTime(str) {
			return Detail{Loc: loc, Msg: "Value error, value is not a valid date-time in the form YYYY-MM-DDTHH:MM:SSZ", Type: "value_error"}, false
		}
	}
	return Detail{}, true
}

// isDateTime accepts RFC 3339 and, as pydantic does, a date-time without
// a UTC offset.
func isDateTime(str string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if _, err := time.Parse(layout, str); err == nil {
			return true
		}
	}
	return false
}

func checkNumber(s *openapi3.Schema, n json.Number, loc []any) []Detail {
	num := parseNumber(n)
	if num.isInf() {
		return []Detail{{Loc: loc, Msg: "Input should be a finite number", Type: "finite_number"}}
	}
	var out []Detail
	if s.Min != nil {
		if cmp := num.cmp(*s.Min); cmp < 0 || (cmp == 0 && s.ExclusiveMin.IsTrue()) {
			if s.ExclusiveMin.IsTrue() {
				out = append(out, Detail{Loc: loc, Msg: "Input should be greater than " + formatBound(*s.Min), Type: "greater_than"})
			} else {
				out = append(out, Detail{Loc: loc, Msg: "Input should be greater than or equal to " + formatBound(*s.Min), Type: "greater_than_equal"})
			}
		}
	}
	if s.Max != nil {
		if cmp := num.cmp(*s.Max); cmp > 0 || (cmp == 0 && s.ExclusiveMax.IsTrue()) {
			if s.ExclusiveMax.IsTrue() {
				out = append(out, Detail{Loc: loc, Msg: "Input should be less than " + formatBound(*s.Max), Type: "less_than"})
			} else {
				out = append(out, Detail{Loc: loc, Msg: "Input should be less than or equal to " + formatBound(*s.Max), Type: "less_than_equal"})
			}
		}
	}
	// OpenAPI 3.1 writes exclusive bounds as numbers of their own.
	if v := s.ExclusiveMin.Value; v != nil && num.cmp(*v) <= 0 {
		out = append(out, Detail{Loc: loc, Msg: "Input should be greater than " + formatBound(*v), Type: "greater_than"})
	}
	if v := s.ExclusiveMax.Value; v != nil && num.cmp(*v) >= 0 {
		out = append(out, Detail{Loc: loc, Msg: "Input should be less than " + formatBound(*v), Type: "less_than"})
	}
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		if q := num.float() / *s.MultipleOf; q != math.Trunc(q) {
			out = append(out, Detail{Loc: loc, Msg: "Input should be a multiple of " + formatBound(*s.MultipleOf), Type: "multiple_of"})
		}
	}
	// booksync stores integers as int64; one that does not fit would fail
	// later, far from the field that caused it.
	if len(out) == 0 && s.Type != nil && s.Type.Includes(openapi3.TypeInteger) && !s.Type.Includes(openapi3.TypeNumber) && !num.fitsInt64() {
		out = append(out, Detail{Loc: loc, Msg: "Input should be an integer between -9223372036854775808 and 9223372036854775807", Type: "int_parsing_size"})
	}
	return out
}

func (c *checker) checkArray(s *openapi3.Schema, items []any, loc []any) []Detail {
	var out []Detail
	n := uint64(len(items))
	if n < s.MinItems {
		out = append(out, Detail{Loc: loc, Msg: fmt.Sprintf("List should have at least %d %s, not %d", s.MinItems, plural(s.MinItems, "item"), n), Type: "too_short"})
	}
	if s.MaxItems != nil && n > *s.MaxItems {
		out = append(out, Detail{Loc: loc, Msg: fmt.Sprintf("List should have at most %d %s, not %d", *s.MaxItems, plural(*s.MaxItems, "item"), n), Type: "too_long"})
	}
	for i, item := range items {
		var sub *openapi3.SchemaRef
		if i < len(s.PrefixItems) {
			sub = s.PrefixItems[i]
		} else {
			sub = s.Items
		}
		out = append(out, c.check(sub, item, appendLoc(loc, i))...)
	}
	return out
}

func (c *checker) checkObject(s *openapi3.Schema, obj map[string]any, loc []any) []Detail {
	// Pydantic writes "additionalProperties": false beside anyOf on union
	// models that have no properties of their own; read literally it would
	// forbid every property, so it is left to the branches.
	forbid := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has &&
		!(len(s.Properties) == 0 && (len(s.AnyOf) > 0 || len(s.OneOf) > 0))
	var out []Detail
	for _, name := range sortedKeys(obj, s.Required) {
		value, present := obj[name]
		if !present {
			out = append(out, Detail{Loc: appendLoc(loc, name), Msg: "Field required", Type: "missing"})
			continue
		}
		if prop, ok := s.Properties[name]; ok {
			out = append(out, c.check(prop, value, appendLoc(loc, name))...)
		} else if extra := s.AdditionalProperties.Schema; extra != nil {
			out = append(out, c.check(extra, value, appendLoc(loc, name))...)
		} else if forbid {
			out = append(out, Detail{Loc: appendLoc(loc, name), Msg: "Extra inputs are not permitted", Type: "extra_forbidden"})
		}
	}
	return out
}

// sortedKeys returns the object's keys plus the required names it lacks,
// sorted, so details come out in the same order on every run.
func sortedKeys(obj map[string]any, required []string) []string {
	keys := make([]string, 0, len(obj)+len(required))
	for k := range obj {
		keys = append(keys, k)
	}
	for _, r := range required {
		if _, ok := obj[r]; !ok {
			keys = append(keys, r)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// union reports why value matches none of the branches. Listing every
// branch's errors would bury the user in complaints about shapes they never
// meant, so it reports the branch the value was evidently written for.
func (c *checker) union(parent *openapi3.Schema, branches openapi3.SchemaRefs, value any, loc []any) []Detail {
	results := make([][]Detail, len(branches))
	for i, b := range branches {
		results[i] = c.check(b, value, loc)
		if len(results[i]) == 0 {
			return nil
		}
	}
	// A null branch explains nothing about a value that is not null.
	var cand []int
	for i, b := range branches {
		if value != nil && isNullOnly(b) {
			continue
		}
		cand = append(cand, i)
	}
	if len(cand) == 1 {
		return results[cand[0]]
	}
	if obj, ok := value.(map[string]any); ok {
		picked, tagDetail := pickByTag(parent, branches, cand, obj, loc)
		if picked < 0 && (tagDetail == nil || tagDetail.Type == "missing") {
			// Without a tag, the properties sent are the next best clue.
			picked = pickByRequired(branches, cand, obj)
		}
		if picked < 0 && tagDetail == nil {
			picked = pickByKnownProperties(branches, cand, obj)
		}
		if picked >= 0 {
			return results[picked]
		}
		if tagDetail != nil {
			return []Detail{*tagDetail}
		}
	}
	var sameKind []int
	for _, i := range cand {
		if s := branches[i].Value; s == nil || s.Type == nil || s.Type.IsEmpty() || typeAllows(s.Type, value) {
			sameKind = append(sameKind, i)
		}
	}
	if len(sameKind) == 1 {
		return results[sameKind[0]]
	}
	names := make([]string, len(cand))
	for j, i := range cand {
		names[j] = schemaName(branches[i])
	}
	// Problems every shape agrees on (a field of the wrong type that all
	// branches declare alike) are worth fixing whichever shape was meant;
	// when they are all there is, the shapes need not be mentioned at all.
	common := commonDetails(results, cand)
	if len(common) > 0 && !slices.ContainsFunc(cand, func(i int) bool { return len(dedupe(slices.Clone(results[i]))) != len(common) }) {
		return common
	}
	out := []Detail{{Loc: loc, Msg: "Input does not match any allowed shape: " + strings.Join(names, ", "), Type: "union_mismatch"}}
	return append(out, common...)
}

func commonDetails(results [][]Detail, cand []int) []Detail {
	if len(cand) == 0 {
		return nil
	}
	count := map[string]int{}
	for _, i := range cand {
		seen := map[string]bool{}
		for _, d := range results[i] {
			if k := detailKey(d); !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	var out []Detail
	for _, d := range results[cand[0]] {
		if k := detailKey(d); count[k] == len(cand) {
			count[k] = 0 // once only
			out = append(out, d)
		}
	}
	return out
}

// pickByKnownProperties picks the branch that declares most of the
// properties the value has, when exactly one does.
func pickByKnownProperties(branches openapi3.SchemaRefs, cand []int, obj map[string]any) int {
	best, bestScore, tie := -1, 0, false
	for _, i := range cand {
		props, _ := objectShape(branches[i])
		score := 0
		for k := range obj {
			if _, ok := props[k]; ok {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = i, score, false
		case score == bestScore && score > 0:
			tie = true
		}
	}
	if tie {
		return -1
	}
	return best
}

// pickByTag picks the branch whose tag property (the discriminator, or
// "type" as in Monite's counterpart and entity payloads) accepts the
// value's tag. When every branch is tagged and the value's tag fits none,
// or is missing, the tag itself is the error worth reporting.
func pickByTag(parent *openapi3.Schema, branches openapi3.SchemaRefs, cand []int, obj map[string]any, loc []any) (int, *Detail) {
	tag := "type"
	if parent.Discriminator != nil && parent.Discriminator.PropertyName != "" {
		tag = parent.Discriminator.PropertyName
	}
	var allowed []any
	matched := -1
	for _, i := range cand {
		props, _ := objectShape(branches[i])
		values := tagValues(props[tag])
		if values == nil {
			return -1, nil // an untagged branch: tags cannot decide
		}
		allowed = append(allowed, values...)
		if v, ok := obj[tag]; ok && slices.ContainsFunc(values, func(e any) bool { return jsonEqual(e, v) }) {
			if matched >= 0 {
				return -1, nil // ambiguous
			}
			matched = i
		}
	}
	if matched >= 0 {
		return matched, nil
	}
	if v, ok := obj[tag]; ok {
		return -1, &Detail{Loc: appendLoc(loc, tag), Msg: "Input should be " + orList(allowed) + ", not " + literal(v), Type: "enum"}
	}
	return -1, &Detail{Loc: appendLoc(loc, tag), Msg: "Field required; it should be " + orList(allowed), Type: "missing"}
}

// pickByRequired picks the branch whose required properties the value
// has most of, when exactly one does.
func pickByRequired(branches openapi3.SchemaRefs, cand []int, obj map[string]any) int {
	best, bestScore, tie := -1, 0, false
	for _, i := range cand {
		_, required := objectShape(branches[i])
		score := 0
		for _, r := range required {
			if _, ok := obj[r]; ok {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = i, score, false
		case score == bestScore && score > 0:
			tie = true
		}
	}
	if tie {
		return -1
	}
	return best
}

// objectShape collects the properties and required names of an object
// schema, including those it gets through allOf.
func objectShape(ref *openapi3.SchemaRef) (map[string]*openapi3.SchemaRef, []string) {
	props := map[string]*openapi3.SchemaRef{}
	var required []string
	var walk func(ref *openapi3.SchemaRef, depth int)
	walk = func(ref *openapi3.SchemaRef, depth int) {
		if ref == nil || ref.Value == nil || depth > 8 {
			return
		}
		for k, p := range ref.Value.Properties {
			props[k] = p
		}
		required = append(required, ref.Value.Required...)
		for _, sub := range ref.Value.AllOf {
			walk(sub, depth+1)
		}
	}
	walk(ref, 0)
	return props, required
}

// tagValues returns the values a tag property accepts, or nil when it
// accepts anything.
func tagValues(ref *openapi3.SchemaRef) []any {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if s.Const != nil {
		return []any{s.Const}
	}
	if len(s.Enum) > 0 {
		return s.Enum
	}
	for _, sub := range s.AllOf {
		if v := tagValues(sub); v != nil {
			return v
		}
	}
	return nil
}

func isNullOnly(ref *openapi3.SchemaRef) bool {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil {
		return false
	}
	t := ref.Value.Type.Slice()
	return len(t) == 1 && t[0] == openapi3.TypeNull
}

func schemaName(ref *openapi3.SchemaRef) string {
	if i := strings.LastIndex(ref.Ref, "/"); i >= 0 && i < len(ref.Ref)-1 {
		return ref.Ref[i+1:]
	}
	if ref.Value == nil {
		return "any"
	}
	if ref.Value.Title != "" {
		return ref.Value.Title
	}
	if ref.Value.Type != nil && !ref.Value.Type.IsEmpty() {
		return strings.Join(ref.Value.Type.Slice(), " or ")
	}
	return "any"
}

func typeAllows(types *openapi3.Types, value any) bool {
	switch t := value.(type) {
	case nil:
		return types.Includes(openapi3.TypeNull)
	case bool:
		return types.Includes(openapi3.TypeBoolean)
	case string:
		return types.Includes(openapi3.TypeString)
	case json.Number:
		if types.Includes(openapi3.TypeNumber) {
			return true
		}
		return types.Includes(openapi3.TypeInteger) && parseNumber(t).isInteger()
	case []any:
		return types.Includes(openapi3.TypeArray)
	case map[string]any:
		return types.Includes(openapi3.TypeObject)
	}
	return false
}

// typeError reports a value of the wrong type as pydantic does: naming
// the type expected (the first non-null one), whatever was sent instead.
func typeError(types *openapi3.Types, value any, loc []any) Detail {
	want := openapi3.TypeNull
	for _, t := range types.Slice() {
		if t != openapi3.TypeNull {
			want = t
			break
		}
	}
	switch want {
	case openapi3.TypeInteger:
		if n, ok := value.(json.Number); ok && parseNumber(n).isInf() {
			return Detail{Loc: loc, Msg: "Input should be a valid integer, got a number beyond any integer the API takes", Type: "int_parsing_size"}
		} else if ok && !parseNumber(n).isInteger() {
			return Detail{Loc: loc, Msg: "Input should be a valid integer, got a number with a fractional part", Type: "int_from_float"}
		}
		return Detail{Loc: loc, Msg: "Input should be a valid integer", Type: "int_type"}
	case openapi3.TypeNumber:
		return Detail{Loc: loc, Msg: "Input should be a valid number", Type: "float_type"}
	case openapi3.TypeString:
		return Detail{Loc: loc, Msg: "Input should be a valid string", Type: "string_type"}
	case openapi3.TypeBoolean:
		return Detail{Loc: loc, Msg: "Input should be a valid boolean", Type: "bool_type"}
	case openapi3.TypeArray:
		return Detail{Loc: loc, Msg: "Input should be a valid list", Type: "list_type"}
	case openapi3.TypeObject:
		return Detail{Loc: loc, Msg: "Input should be a valid dictionary", Type: "dict_type"}
	}
	return Detail{Loc: loc, Msg: "Input should be null", Type: "none_required"}
}

// number is a JSON number held exactly when it is written as an integer,
// and as float64 otherwise (where rounding cannot change a bound check
// that matters: fractions are never near 2^53).
type number struct {
	i *big.Int // set for integer literals
	f float64
}

func parseNumber(n json.Number) number {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, ok := new(big.Int).SetString(s, 10); ok {
			return number{i: i}
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // out of range gives ±Inf, which is reported
	return number{f: f}
}

func (n number) isInf() bool { return n.i == nil && math.IsInf(n.f, 0) }

func (n number) isInteger() bool {
	return n.i != nil || (!math.IsInf(n.f, 0) && n.f == math.Trunc(n.f))
}

func (n number) float() float64 {
	if n.i != nil {
		f, _ := new(big.Float).SetInt(n.i).Float64()
		return f
	}
	return n.f
}

// cmp compares exactly: a float64 bound converts to big.Float without loss.
func (n number) cmp(bound float64) int {
	if n.i != nil {
		return new(big.Float).SetInt(n.i).Cmp(big.NewFloat(bound))
	}
	switch {
	case n.f < bound:
		return -1
	case n.f > bound:
		return 1
	}
	return 0
}

func (n number) fitsInt64() bool {
	if n.i != nil {
		return n.i.IsInt64()
	}
	return n.f >= math.MinInt64 && n.f < math.MaxInt64
}

func formatBound(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// jsonEqual compares a value from the schema (numbers as float64) with one
// from the body (numbers as json.Number).
func jsonEqual(schemaValue, bodyValue any) bool {
	switch b := bodyValue.(type) {
	case json.Number:
		switch s := schemaValue.(type) {
		case float64:
			return parseNumber(b).cmp(s) == 0
		case json.Number:
			return parseNumber(b).cmp(parseNumber(s).float()) == 0
		}
		return false
	case []any, map[string]any:
		x, err1 := json.Marshal(schemaValue)
		y, err2 := json.Marshal(bodyValue)
		return err1 == nil && err2 == nil && bytes.Equal(x, y)
	}
	return schemaValue == bodyValue
}

// orList formats allowed values as pydantic does: 'a', 'b' or 'c'.
func orList(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = literal(v)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func literal(v any) string {
	switch t := v.(type) {
	case string:
		return "'" + t + "'"
	case nil:
		return "null"
	case float64:
		return formatBound(t)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// appendLoc never shares a backing array between siblings' locations.
func appendLoc(loc []any, elem any) []any {
	out := make([]any, len(loc)+1)
	copy(out, loc)
	out[len(loc)] = elem
	return out
}

// dedupe drops repeated details, which allOf can produce when two parts
// constrain the same property the same way.
func dedupe(details []Detail) []Detail {
	if len(details) < 2 {
		return details
	}
	seen := make(map[string]bool, len(details))
	out := details[:0]
	for _, d := range details {
		if key := detailKey(d); !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}

func detailKey(d Detail) string {
	return fmt.Sprintf("%#v\x00%s\x00%s", d.Loc, d.Type, d.Msg)
}
