package quickbooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/booksync/booksync/internal/platform"
)

// Intuit's limits page recommends at most 30 operations a batch (older pages say 10 or 50).
const maxBatch = 30

// Queries return at most 1000 rows a page; look-ups put at most lookupValues values, and
// lookupLength characters of them, in one "in (...)" list.
const (
	queryPageSize = 1000
	lookupValues  = 30
	lookupLength  = 2000
)

// queryAll runs "select * from entity where ..." (where may be empty) and returns every row,
// page by page. QuickBooks answers a query with {"QueryResponse": {"<entity>": [...]}}; an empty
// result has no entity key at all.
func queryAll[T any](ctx context.Context, c *Client, entity, where string) ([]T, error) {
	var out []T
	for start := 1; ; start += queryPageSize {
		page, err := queryPage[T](ctx, c, entity, where, start, queryPageSize)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < queryPageSize {
			return out, nil
		}
	}
}

// queryPage returns one page of a query, start being 1-based.
func queryPage[T any](ctx context.Context, c *Client, entity, where string, start, size int) ([]T, error) {
	return queryOrdered[T](ctx, c, entity, where, "", start, size)
}

// queryOrdered is queryPage with an orderby clause ("TxnDate desc, Id desc"; "" for none).
func queryOrdered[T any](ctx context.Context, c *Client, entity, where, orderBy string, start, size int) ([]T, error) {
	q := "select * from " + entity
	if where != "" {
		q += " where " + where
	}
	if orderBy != "" {
		q += " orderby " + orderBy
	}
	q += fmt.Sprintf(" STARTPOSITION %d MAXRESULTS %d", start, size)
	var env struct {
		QueryResponse map[string]json.RawMessage `json:"QueryResponse"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/query", query: url.Values{"query": {q}}}, "", &env); err != nil {
		return nil, err
	}
	raw, ok := env.QueryResponse[entity]
	if !ok {
		return nil, nil
	}
	var rows []T
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, unexpected(fmt.Errorf("decoding %s rows: %w", entity, err), false)
	}
	return rows, nil
}

// outcome is what QuickBooks said about one object of a batch create.
type outcome struct {
	raw json.RawMessage // the object as QuickBooks returned it; nil when it did not
	err error           // the object's Fault, classified; or the rejection of the whole batch
}

// createBatch creates objects of one entity ("Customer", "Item", "Invoice", "Payment") through
// the batch endpoint, at most 30 a request, calling each(i, outcome) for every object. Every
// request carries a requestid derived from its refs and body, so that sending the same chunk
// again replays QuickBooks' first answer instead of creating the objects twice. A failure of a
// whole request (rate limit, auth, network) stops there: createBatch returns it with the index of
// the first object it did not report on.
func (c *Client) createBatch(ctx context.Context, kind, entity string, refs []string, objs []json.RawMessage,
	each func(i int, o outcome)) (int, error) {
	return c.writeBatch(ctx, kind, entity, "create", refs, objs, each)
}

// writeBatch is createBatch for any batch operation: "create", "void", "delete".
func (c *Client) writeBatch(ctx context.Context, kind, entity, operation string, refs []string, objs []json.RawMessage,
	each func(i int, o outcome)) (int, error) {
	for start := 0; start < len(objs); start += maxBatch {
		end := min(start+maxBatch, len(objs))
		if err := c.batchChunk(ctx, kind, entity, operation, refs[start:end], objs[start:end], func(i int, o outcome) {
			each(start+i, o)
		}); err != nil {
			return start, err
		}
	}
	return len(objs), nil
}

// batchItemRequest builds the JSON of one BatchItemRequest: bId, operation and the entity.
func batchItemRequest(bID, operation, entity string, obj json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bId":`)
	b.Write(mustMarshal(bID))
	b.WriteString(`,"operation":`)
	b.Write(mustMarshal(operation))
	b.WriteString(`,`)
	b.Write(mustMarshal(entity))
	b.WriteString(`:`)
	b.Write(obj)
	b.WriteString(`}`)
	return b.Bytes()
}

// batchChunk sends one batch request. Its bIds are the objects' positions in the chunk.
func (c *Client) batchChunk(ctx context.Context, kind, entity, operation string, refs []string, objs []json.RawMessage,
	each func(i int, o outcome)) error {
	var body bytes.Buffer
	body.WriteString(`{"BatchItemRequest":[`)
	for i, o := range objs {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(batchItemRequest(strconv.Itoa(i), operation, entity, o))
	}
	body.WriteString(`]}`)
	idKind := kind
	if operation != "create" {
		idKind += "/" + operation
	}
	r := request{method: http.MethodPost, path: "/batch", body: body.Bytes(),
		requestID: requestID(idKind, refs, body.Bytes()), weight: len(objs)}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if perr := classifyResponse(resp, true, kind); perr != nil {
		if perr.Class != platform.NeedsUserAction {
			if perr.Class == platform.RateLimited {
				perr.RetryAfter = c.cfg.Budget.Scaled(perr.RetryAfter)
				c.cfg.Budget.Pause(perr.RetryAfter)
			}
			return perr
		}
		// QuickBooks refused the batch as a whole: nothing in it was created, and the cause is
		// the data's.
		for i := range objs {
			each(i, outcome{err: perr})
		}
		return nil
	}
	var env struct {
		BatchItemResponse []map[string]json.RawMessage `json:"BatchItemResponse"`
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return unexpected(fmt.Errorf("decoding batch answer: %w", err), true)
	}
	got := make([]outcome, len(objs))
	seen := make([]bool, len(objs))
	for _, item := range env.BatchItemResponse {
		var bID string
		if json.Unmarshal(item["bId"], &bID) != nil {
			continue
		}
		i, err := strconv.Atoi(bID)
		if err != nil || i < 0 || i >= len(objs) {
			continue
		}
		seen[i] = true
		if raw, ok := item["Fault"]; ok {
			var f wireFault
			if err := json.Unmarshal(raw, &f); err != nil {
				got[i].err = unexpected(fmt.Errorf("decoding batch fault: %w", err), true)
				continue
			}
			perr := classifyFault(f, true, kind)
			if perr.Class == platform.RateLimited {
				perr.RetryAfter = c.cfg.Budget.Scaled(perr.RetryAfter)
				c.cfg.Budget.Pause(perr.RetryAfter)
			}
			got[i].err = perr
			continue
		}
		got[i].raw = item[entity]
	}
	for i := range objs {
		if !seen[i] || (got[i].err == nil && got[i].raw == nil) {
			got[i].err = notReported()
		}
		each(i, got[i])
	}
	return nil
}

// notReported is the error of an object the batch answer did not cover: it may exist, so the
// engine must look before creating it again.
func notReported() error {
	return &platform.Error{Class: platform.UnknownOutcome, Code: "not_reported",
		Message: "QuickBooks did not report on this object; it may or may not have been created"}
}

// created returns createBatch's outcome handler for one kind of object: it decodes each object
// QuickBooks returned as W and fills its result with the id QuickBooks gave it, or its error.
func created[W any](results []platform.Result, pending []int, ident func(*W) (id string, meta *wireMetaData)) func(k int, o outcome) {
	return func(k int, o outcome) {
		r := &results[pending[k]]
		if o.err != nil {
			r.Err = o.err
			return
		}
		var w W
		if err := json.Unmarshal(o.raw, &w); err != nil {
			r.Err = unexpected(err, true)
			return
		}
		id, meta := ident(&w)
		if id == "" {
			r.Err = notReported()
			return
		}
		r.PlatformID, r.UpdatedAt = id, updatedAt(meta)
	}
}

// failRest gives every result from index from on that has no outcome yet the error of the request
// that failed, so that a caller receiving both results and an error knows each object's state.
func failRest(results []platform.Result, pending []int, from int, err error) {
	for _, i := range pending[from:] {
		results[i].Err = err
	}
}

// copyDuplicates gives each repeated object (dups holds pairs of its index and the index of the
// first one) the result of the first, under its own Ref.
func copyDuplicates(results []platform.Result, dups [][2]int) {
	for _, d := range dups {
		ref := results[d[0]].Ref
		results[d[0]] = results[d[1]]
		results[d[0]].Ref = ref
	}
}
