package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/booksync/booksync/internal/platform"
)

// Xero recommends at most 50 objects a request and refuses bodies over 3.5 MB; 3 MB leaves room
// for the wrapper and for Xero counting differently.
const (
	maxPerRequest   = 50
	maxRequestBytes = 3 << 20
)

// batch describes one kind of object for putChunks.
type batch struct {
	method  string     // PUT (create) unless set, e.g. POST (update)
	kind    string     // prefix of the Idempotency-Key: "contacts", "items", "invoices", "payments"
	path    string     // e.g. "/Invoices"
	wrapper string     // the JSON wrapper, e.g. "Invoices"
	query   url.Values // summarizeErrors=false and friends
	// keyOf returns an object's natural key from Xero's JSON, to pair Xero's answer with the
	// request when Xero does not answer one object per object sent.
	keyOf func(raw json.RawMessage) string
}

// outcome is what Xero said about one object of a create request.
type outcome struct {
	raw      json.RawMessage // the object as Xero returned it; nil when Xero did not mention it
	rejected bool            // Xero answered 400: nothing in the request was created
	err      error           // a 400 that named no object: the error of every object in it
}

// putChunks creates objects (one JSON object each, with refs and natural keys) in requests of at
// most 50, calling each(i, outcome) for every object. A failure of a whole request (rate limit,
// auth, network) stops there: putChunks returns it with the index of the first object it did not
// report on.
func (c *Client) putChunks(ctx context.Context, b batch, refs, keys []string, objs []json.RawMessage,
	each func(i int, o outcome)) (int, error) {
	start := 0
	for start < len(objs) {
		end, size := start, 0
		for end < len(objs) && end-start < maxPerRequest && (end == start || size+len(objs[end]) < maxRequestBytes) {
			size += len(objs[end]) + 1
			end++
		}
		if err := c.putChunk(ctx, b, refs[start:end], keys[start:end], objs[start:end], func(i int, o outcome) {
			each(start+i, o)
		}); err != nil {
			return start, err
		}
		start = end
	}
	return len(objs), nil
}

// putChunk sends one create request.
func (c *Client) putChunk(ctx context.Context, b batch, refs, keys []string, objs []json.RawMessage,
	each func(i int, o outcome)) error {
	var body bytes.Buffer
	body.WriteString(`{"` + b.wrapper + `":[`)
	for i, o := range objs {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(o)
	}
	body.WriteString(`]}`)
	method := b.method
	if method == "" {
		method = http.MethodPut
	}
	resp, err := c.send(ctx, request{method: method, url: c.api(b.path, b.query), body: body.Bytes(),
		idemKey: idempotencyKey(b.kind, refs, body.Bytes())})
	if err != nil {
		return err
	}
	var elems []json.RawMessage
	rejected := false
	switch {
	case resp.status == http.StatusBadRequest:
		var xe xeroError
		if json.Unmarshal(resp.body, &xe) != nil || len(xe.Elements) == 0 {
			// Nothing says which object is at fault: the whole request is the user's to fix.
			perr := classifyStatus(resp, true)
			for i := range objs {
				each(i, outcome{rejected: true, err: perr})
			}
			return nil
		}
		elems, rejected = xe.Elements, true
	default:
		if perr := classifyStatus(resp, true); perr != nil {
			return perr
		}
		var env envelope
		if err := json.Unmarshal(resp.body, &env); err != nil {
			return unexpected(fmt.Errorf("decoding %s: %w", b.path, err), true)
		}
		if elems, err = env.objects(b.wrapper); err != nil {
			return unexpected(fmt.Errorf("decoding %s: %w", b.path, err), true)
		}
	}
	aligned := align(elems, keys, b.keyOf)
	for i := range objs {
		each(i, outcome{raw: aligned[i], rejected: rejected})
	}
	return nil
}

// envelope is the body of Xero's answer to a create or update request: the objects under their
// wrapper. Decoding into it reads the body once; a map of the wrappers would read it twice.
type envelope struct {
	Contacts    []json.RawMessage `json:"Contacts"`
	Items       []json.RawMessage `json:"Items"`
	Invoices    []json.RawMessage `json:"Invoices"`
	CreditNotes []json.RawMessage `json:"CreditNotes"`
	Payments    []json.RawMessage `json:"Payments"`
}

// objects returns the objects under wrapper, and an error when the answer has none there.
func (e *envelope) objects(wrapper string) ([]json.RawMessage, error) {
	var objs []json.RawMessage
	switch wrapper {
	case "Contacts":
		objs = e.Contacts
	case "Items":
		objs = e.Items
	case "Invoices":
		objs = e.Invoices
	case "CreditNotes":
		objs = e.CreditNotes
	case "Payments":
		objs = e.Payments
	default:
		return nil, fmt.Errorf("booksync reads no objects under %q", wrapper)
	}
	if objs == nil {
		return nil, fmt.Errorf("the answer has no %s", wrapper)
	}
	return objs, nil
}

// align pairs Xero's answer with the objects sent: by position when Xero answered one object per
// object, as it does with summarizeErrors=false; else by natural key (a 400 lists only the
// objects at fault). Objects Xero did not mention get nil.
func align(elems []json.RawMessage, keys []string, keyOf func(json.RawMessage) string) []json.RawMessage {
	out := make([]json.RawMessage, len(keys))
	if len(elems) == len(keys) {
		copy(out, elems)
		return out
	}
	byKey := make(map[string]json.RawMessage, len(elems))
	for _, e := range elems {
		if k := keyOf(e); k != "" {
			byKey[k] = e
		}
	}
	for i, k := range keys {
		if k != "" {
			out[i] = byKey[k]
		}
	}
	return out
}

// notReported is the error of an object Xero's answer did not cover. After a 400 nothing was
// created, so sending it again is safe; after a 2xx it may exist, so the engine must look first.
func notReported(rejected bool) error {
	if rejected {
		return &platform.Error{Class: platform.Transient, Code: "batch_rejected",
			Message: "Not created: Xero rejected another object in the same request"}
	}
	return &platform.Error{Class: platform.UnknownOutcome, Code: "not_reported",
		Message: "Xero did not report on this object; it may or may not have been created"}
}

// failRest gives every result from index from on that has no outcome yet the error of the request
// that failed, so that a caller receiving both results and an error knows each object's state.
func failRest(results []platform.Result, pending []int, from int, err error) {
	for _, i := range pending[from:] {
		results[i].Err = err
	}
}

// precheck is a NeedsUserAction error for data booksync can tell Xero would refuse, found
// before spending a call on it.
func precheck(code, field, msg, fix string) error {
	return &platform.Error{Class: platform.NeedsUserAction, Code: code, Message: msg,
		Details: []platform.Detail{{Field: field, Message: msg, Fix: fix}}}
}

// pushQuery returns the query of a create request.
func pushQuery(unitdp bool) url.Values {
	q := url.Values{"summarizeErrors": {"false"}}
	if unitdp {
		// Four decimals for unit prices, so Xero does not round a price booksync computed.
		q.Set("unitdp", "4")
	}
	return q
}

// mustMarshal marshals the wire types, which cannot fail to marshal.
func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// created returns putChunks' outcome handler for one kind of object: it decodes each object Xero
// returned as W and fills its result (the id Xero gave it, when it changed) or its error. ident
// reads W's id, last change and validation messages.
func created[W any](results []platform.Result, pending []int, locate locator,
	ident func(*W) (id, updated string, msgs []message)) func(k int, o outcome) {
	return func(k int, o outcome) {
		r := &results[pending[k]]
		if o.err != nil {
			r.Err = o.err
			return
		}
		if o.raw == nil {
			r.Err = notReported(o.rejected)
			return
		}
		var w W
		if err := json.Unmarshal(o.raw, &w); err != nil {
			r.Err = unexpected(err, true)
			return
		}
		id, updated, msgs := ident(&w)
		if r.Err = objectError(msgs, locate); r.Err != nil {
			return
		}
		if o.rejected || id == "" {
			r.Err = notReported(o.rejected)
			return
		}
		r.PlatformID = id
		r.UpdatedAt, _ = parseTime(updated)
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
