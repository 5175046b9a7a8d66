package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		// The schema accepted the body, so a decoding failure means our types are stricter than
		// the schema; say which field rather than failing with a 500.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return booksync.FieldErrorf("type_error", bodyLoc(te.Field), "Input for %s has the wrong type: %v", te.Field, err)
		}
		return booksync.FieldErrorf("json_invalid", []any{"body"}, "Request body could not be decoded: %v", err)
	}
	return nil
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

func newID() string { return uuid.NewString() }

// listParams parses a list request: limit, order, sort, filters from the query parameters named by
// spec, and pagination_token. As in Monite, a pagination token carries the original query, and
// every parameter but limit is then taken from it.
func parseList(r *http.Request, spec booksync.ListSpec, maxLimit int) (booksync.ListQuery, error) {
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
		lq, err = parseListQuery(orig, spec)
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
	lq, err := parseListQuery(q, spec)
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
// silently ignored, because a mistyped filter would otherwise return the wrong rows.
func parseListQuery(q url.Values, spec booksync.ListSpec) (booksync.ListQuery, error) {
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
	writeJSON(w, http.StatusOK, resp)
}
