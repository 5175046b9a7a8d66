package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/booksync/booksync"
	"github.com/google/uuid"
)

// decodeBody reads the request body, validates it against the operation's request schema, and
// decodes it into v. Schema failures come back as 422 field errors; a body over MaxBodyBytes as 413.
func (s *Server) decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return booksync.Errorf(booksync.ETOOLARGE, "Request body is larger than the limit of %d bytes.", tooLarge.Limit)
	} else if err != nil {
		return booksync.Errorf(booksync.EINVALID, "Could not read the request body: %v", err)
	}
	if details := s.validator.ValidateBody(operationOf(r), body); len(details) > 0 {
		e := &booksync.Error{Code: booksync.EVALIDATION, Message: details[0].Msg}
		for _, d := range details {
			e.Fields = append(e.Fields, booksync.FieldError{Loc: d.Loc, Msg: d.Msg, Type: d.Type})
		}
		return e
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // an optional body that was left out: the zero value stands
	}
	dec := json.NewDecoder(bytes.NewReader(integralNumbers(body)))
	if err := dec.Decode(v); err != nil {
		// The schema accepted the body, so a decoding failure means our types are stricter than
		// the schema (an integer beyond 64 bits where the schema sets no bound); say which field,
		// in the validator's words rather than Go's.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return typeError(te)
		}
		return booksync.FieldErrorf("value_error", []any{"body"}, "Request body could not be read: %s", goPrefix.ReplaceAllString(err.Error(), ""))
	}
	return nil
}

// goPrefix is how Go's decoder and its types' UnmarshalJSON methods start their errors.
var goPrefix = regexp.MustCompile(`^(json: )?(\w+\.UnmarshalJSON: )?`)

// typeError describes a JSON value that does not fit the Go field it was meant for in the terms of
// JSON and the API's field names, as the validator would have: the caller knows nothing of
// booksync's Go types.
func typeError(te *json.UnmarshalTypeError) error {
	loc := bodyLoc(te.Field)
	what, typ := "a valid value", "type_error"
	switch te.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		what, typ = fmt.Sprintf("an integer from %d to %d", minOf(te.Type), maxOf(te.Type)), "int_type"
	case reflect.Float32, reflect.Float64:
		what, typ = "a valid number", "float_type"
	case reflect.String:
		what, typ = "a valid string", "string_type"
	case reflect.Bool:
		what, typ = "a valid boolean", "bool_type"
	case reflect.Slice, reflect.Array:
		what, typ = "a valid array", "list_type"
	case reflect.Struct, reflect.Map:
		what, typ = "a valid object", "dict_type"
	}
	// te.Value is the JSON kind that was sent ("number 1e400", "string", "object").
	return booksync.FieldErrorf(typ, loc, "Input should be %s, got %s.", what, truncate(te.Value, 64))
}

func minOf(t reflect.Type) int64 {
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return 0
	}
	return -1 << (t.Bits() - 1)
}

func maxOf(t reflect.Type) uint64 {
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return 1<<t.Bits() - 1
	}
	return 1<<(t.Bits()-1) - 1
}

// integralNumbers rewrites the numbers of a JSON document that are integers written with a
// fraction or an exponent (1e3, 100.0, 2.5E2) as plain integers, because JSON Schema counts them
// as integers, so the validator lets them through, while Go's decoder refuses them for an integer
// field. Everything else, including the document when it is not valid JSON, is returned as it was.
func integralNumbers(body []byte) []byte {
	if !bytes.ContainsAny(body, ".eE") {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return body
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				t[k] = walk(c)
			}
		case []any:
			for i, c := range t {
				t[i] = walk(c)
			}
		case json.Number:
			if n, ok := plainInteger(string(t)); ok && n != string(t) {
				changed = true
				return json.Number(n)
			}
		}
		return v
	}
	doc = walk(doc)
	if !changed {
		return body
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// plainInteger returns the JSON number literal n as a plain integer literal when its value is an
// integer that fits in 64 bits. It works on the digits, so that no exponent, however large, costs
// more than the length of the literal.
func plainInteger(n string) (string, bool) {
	sign := ""
	if strings.HasPrefix(n, "-") {
		sign, n = "-", n[1:]
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(n), "e")
	e := 0
	if hasExp {
		// An exponent of five digits or more takes any mantissa but zero out of int64 either way.
		if len(strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")) > 4 {
			if strings.Trim(mant, "0.") == "" {
				return "0", true
			}
			return "", false
		}
		var err error
		if e, err = strconv.Atoi(exp); err != nil {
			return "", false
		}
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := whole + frac
	e -= len(frac)
	if e < 0 {
		if -e > len(digits) {
			if strings.Trim(digits, "0") != "" {
				return "", false
			}
			return "0", true
		}
		cut := len(digits) + e
		if strings.Trim(digits[cut:], "0") != "" {
			return "", false
		}
		digits = digits[:cut]
	} else {
		if len(digits)+e > 40 {
			if strings.Trim(digits, "0") != "" {
				return "", false
			}
			return "0", true
		}
		digits += strings.Repeat("0", e)
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", true
	}
	if _, err := strconv.ParseInt(sign+digits, 10, 64); err != nil {
		return "", false
	}
	return sign + digits, true
}

func bodyLoc(field string) []any {
	loc := []any{"body"}
	for _, p := range strings.Split(field, ".") {
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err == nil {
			loc = append(loc, n)
		} else {
			loc = append(loc, p)
		}
	}
	return loc
}

// pathID returns the path parameter name, which must be a UUID. Anything else cannot name an
// object, so it is a 404 like any unknown id, with a message that says why.
func pathID(r *http.Request, name, object string) (string, error) {
	id := r.PathValue(name)
	if !isUUID(id) {
		return "", booksync.FieldErrorf("uuid_parsing", []any{"path", name}, "Input should be a valid UUID, got %q.", truncate(id, 64))
	}
	return strings.ToLower(id), nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func newID() string { return booksync.NewID() }

// parseList parses a list request: limit, order, sort, filters from the query parameters named by
// spec, and pagination_token. As in Monite, a pagination token carries the original query, and
// every parameter but limit is then taken from it. Each parameter is checked against spec here,
// and each value of a filter the served document gives an enum against that enum; a mistake is
// answered with a 422 that names the parameter, so the ListQuery returned is one the store takes
// (the store checks again and refuses anything else with a *store.QueryError).
func (s *Server) parseList(r *http.Request, spec booksync.ListSpec, maxLimit int) (booksync.ListQuery, error) {
	op := operationOf(r)
	inEnum := func(param, value string) error {
		if d := s.validator.ValidateQueryEnum(op, param, value); d != nil {
			return booksync.FieldErrorf(d.Type, d.Loc, "%s", d.Msg)
		}
		return nil
	}
	q := r.URL.Query()
	var lq booksync.ListQuery
	lq.Limit = 100
	if maxLimit < lq.Limit {
		lq.Limit = maxLimit
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lq, booksync.FieldErrorf("int_parsing", []any{"query", "limit"}, "Input should be a valid integer, got %q.", truncate(v, 32))
		}
		if n < 1 || n > maxLimit {
			return lq, booksync.FieldErrorf("less_than_equal", []any{"query", "limit"}, "limit must be between 1 and %d, got %d.", maxLimit, n)
		}
		lq.Limit = n
	}
	if tok := q.Get("pagination_token"); tok != "" {
		t, err := decodePageToken(tok)
		if err != nil {
			return lq, booksync.FieldErrorf("value_error", []any{"query", "pagination_token"}, "pagination_token is not valid: use a next_pagination_token or prev_pagination_token exactly as a list returned it.")
		}
		orig, err := url.ParseQuery(t.Query)
		if err != nil {
			return lq, booksync.FieldErrorf("value_error", []any{"query", "pagination_token"}, "pagination_token is not valid.")
		}
		limit := lq.Limit
		lq, err = parseListQuery(orig, spec, inEnum)
		if err != nil {
			return lq, booksync.FieldErrorf("value_error", []any{"query", "pagination_token"}, "pagination_token is not valid.")
		}
		lq.Limit = limit
		key, err := cursorKey(t.Key, spec.Fields[sortOf(lq, spec)])
		if err != nil || !isUUID(t.ID) {
			return lq, booksync.FieldErrorf("value_error", []any{"query", "pagination_token"}, "pagination_token is not valid.")
		}
		c := &booksync.Cursor{Key: key, ID: t.ID}
		if t.Prev {
			lq.Before = c
		} else {
			lq.After = c
		}
		return lq, nil
	}
	limit := lq.Limit
	lq, err := parseListQuery(q, spec, inEnum)
	lq.Limit = limit
	return lq, err
}

func sortOf(lq booksync.ListQuery, spec booksync.ListSpec) string {
	if lq.Sort == "" {
		return spec.DefaultSort
	}
	return lq.Sort
}

// parseListQuery parses order, sort and filters; any other parameter is an error rather than
// silently ignored, because a mistyped filter would otherwise return the wrong rows. inEnum checks
// one value of a filter against the enum the served document declares for it, if any.
func parseListQuery(q url.Values, spec booksync.ListSpec, inEnum func(param, value string) error) (booksync.ListQuery, error) {
	var lq booksync.ListQuery
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := q[k]
		v := vals[len(vals)-1]
		switch k {
		case "limit", "pagination_token":
			continue
		case "order":
			if v != string(booksync.OrderAsc) && v != string(booksync.OrderDesc) {
				return lq, booksync.FieldErrorf("enum", []any{"query", "order"}, "Input should be 'asc' or 'desc', got %q.", truncate(v, 32))
			}
			lq.Order = booksync.Order(v)
			continue
		case "sort":
			if !slices.Contains(spec.Sorts, v) {
				return lq, booksync.FieldErrorf("enum", []any{"query", "sort"}, "Input should be one of %s, got %q.", quoteList(spec.Sorts), truncate(v, 32))
			}
			lq.Sort = v
			continue
		}
		field, op := k, booksync.OpEq
		if i := strings.LastIndex(k, "__"); i > 0 {
			field, op = k[:i], booksync.FilterOp(k[i+2:])
		}
		kind, ok := spec.Fields[field]
		if !ok || !slices.Contains(spec.Ops[field], op) {
			return lq, booksync.FieldErrorf("extra_forbidden", []any{"query", k}, "Unknown query parameter %q; this list accepts %s.", truncate(k, 64), quoteList(spec.QueryParams()))
		}
		f := booksync.Filter{Field: field, Op: op}
		if op != booksync.OpIn {
			vals = vals[len(vals)-1:]
		}
		for _, raw := range vals {
			// __in also accepts one comma-separated value, which many clients send.
			parts := []string{raw}
			if op == booksync.OpIn && strings.Contains(raw, ",") {
				parts = strings.Split(raw, ",")
			}
			for _, p := range parts {
				if err := inEnum(k, p); err != nil {
					return lq, err
				}
				val, err := parseValue(p, kind, op)
				if err != nil {
					return lq, booksync.FieldErrorf("value_error", []any{"query", k}, "%s", err.Error())
				}
				f.Values = append(f.Values, val)
			}
		}
		lq.Filters = append(lq.Filters, f)
	}
	return lq, nil
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q, ", ")
}

// orWords lists words as a sentence does: "a, b or c".
func orWords(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func parseValue(s string, kind booksync.FieldKind, op booksync.FilterOp) (any, error) {
	switch kind {
	case booksync.KindUUID:
		if !isUUID(s) {
			return nil, errors.New("Input should be a valid UUID, got " + strconv.Quote(truncate(s, 64)) + ".")
		}
		return strings.ToLower(s), nil
	case booksync.KindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("Input should be a valid integer, got " + strconv.Quote(truncate(s, 32)) + ".")
		}
		return n, nil
	case booksync.KindBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errors.New("Input should be true or false, got " + strconv.Quote(truncate(s, 32)) + ".")
		}
		return b, nil
	case booksync.KindTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, errors.New("Input should be an RFC 3339 date-time such as 2024-05-25T12:00:00Z, got " + strconv.Quote(truncate(s, 64)) + ".")
		}
		return t.UTC(), nil
	}
	if len(s) > 255 {
		return nil, errors.New("Input should have at most 255 characters.")
	}
	return s, nil
}

// pageToken is what a pagination token carries: the query that started the list (without limit
// and token) and the cursor to continue from. It is opaque to callers; decoding checks every part,
// and the entity always comes from the request, so a forged token can only page through the
// caller's own data.
type pageToken struct {
	Query string `json:"q"`
	Key   any    `json:"k"`
	ID    string `json:"i"`
	Prev  bool   `json:"p,omitempty"`
}

func encodePageToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (pageToken, error) {
	var t pageToken
	if len(s) > 4096 {
		return t, errors.New("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, err
	}
	return t, nil
}

// cursorKey converts a decoded token key to the Go type the store expects for a field kind.
func cursorKey(v any, kind booksync.FieldKind) (any, error) {
	switch kind {
	case booksync.KindInt, booksync.KindTime, booksync.KindBool:
		n, ok := v.(json.Number)
		if !ok {
			return nil, errors.New("key is not a number")
		}
		return n.Int64()
	case 0:
		return nil, errors.New("unknown sort field")
	}
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("key is not a string")
	}
	return s, nil
}

// pageResponse is Monite's paginated list envelope.
type pageResponse[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next_pagination_token,omitempty"`
	Prev *string `json:"prev_pagination_token,omitempty"`
}

// writePage answers a list request with tokens that continue the same query.
func writePage[T any](w http.ResponseWriter, r *http.Request, page booksync.Page[T]) {
	writeJSON(w, http.StatusOK, pageOf(r, page))
}

// writeRawPage is writePage for items that are already JSON, as compact and HTML-escaped as
// encoding/json writes it: it writes the envelope around them without scanning them again, and
// answers with the bytes writePage would.
func writeRawPage(w http.ResponseWriter, r *http.Request, page booksync.Page[json.RawMessage]) {
	resp := pageOf(r, page)
	n := 64
	for _, it := range resp.Data {
		n += len(it) + 1
	}
	bp := pageBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledPage {
			pageBuffers.Put(bp)
		}
	}()
	buf := slices.Grow((*bp)[:0], n)
	buf = append(buf, `{"data":[`...)
	for i, it := range resp.Data {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it...)
	}
	buf = append(buf, ']')
	for _, tok := range []struct {
		name string
		val  *string
	}{{"next_pagination_token", resp.Next}, {"prev_pagination_token", resp.Prev}} {
		if tok.val == nil {
			continue
		}
		v, _ := json.Marshal(*tok.val)
		buf = append(buf, `,"`+tok.name+`":`...)
		buf = append(buf, v...)
	}
	buf = append(buf, "}\n"...)
	*bp = buf
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
}

// pageBuffers keeps the buffers writeRawPage builds its pages in: a page of 100 invoices is some
// 150 KB, which allocating for every request would leave to the garbage collector.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledPage is the largest page buffer kept for another request: a page of 250 large
// invoices is not kept around.
const maxPooledPage = 1 << 20

// pageOf is the response to a list request, with tokens that continue the same query.
func pageOf[T any](r *http.Request, page booksync.Page[T]) pageResponse[T] {
	q := r.URL.Query()
	origQuery := ""
	if tok := q.Get("pagination_token"); tok != "" {
		t, _ := decodePageToken(tok)
		origQuery = t.Query
	} else {
		q.Del("limit")
		origQuery = q.Encode()
	}
	resp := pageResponse[T]{Data: page.Items}
	if resp.Data == nil {
		resp.Data = []T{}
	}
	if page.Next != nil {
		t := encodePageToken(pageToken{Query: origQuery, Key: page.Next.Key, ID: page.Next.ID})
		resp.Next = &t
	}
	if page.Prev != nil {
		t := encodePageToken(pageToken{Query: origQuery, Key: page.Prev.Key, ID: page.Prev.ID, Prev: true})
		resp.Prev = &t
	}
	return resp
}
