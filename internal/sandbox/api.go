package sandbox

import (
	"encoding/json"
	"net/http"
	"time"
)

// replayKind is the kind of object under an organisation's Store key that kept responses are
// saved as.
const replayKind = "idem"

// ReplayTTL is how long a write's response is kept for replay under its idempotency key.
const ReplayTTL = 24 * time.Hour

// Org is what the Server keeps of one organisation's API traffic: the calls served, those in
// flight, the faults armed and the responses kept for idempotency replay. Each platform's
// organisation holds one; the lock guards it.
type Org struct {
	// Calls counts the API calls served since the sandbox started, rejected and faulted ones
	// included, as platforms meter them. Not persisted.
	Calls int
	// InFlight counts the calls admitted and not yet answered. Not persisted.
	InFlight int
	// Faults are the faults armed for the organisation. Not persisted.
	Faults Faults
	// Replays are when each write kept for replay was answered, by hashed idempotency key. The
	// responses themselves are saved under "<org key>/idem/<hash>" and read back only when
	// replayed, so that a day of writes does not sit in memory.
	Replays map[string]time.Time
}

// Replay is a write's response kept for idempotency replay, as saved.
type Replay struct {
	Method string    `json:"method,omitempty"`
	Path   string    `json:"path,omitempty"`
	Key    string    `json:"key"`
	Status int       `json:"status"`
	Body   []byte    `json:"body"`
	At     time.Time `json:"at"`
}

// loadReplay notes when a saved response was answered; its body stays in the Store.
func loadReplay(value []byte, into map[string]time.Time, id string) error {
	if string(value) == "null" {
		return nil
	}
	var r struct {
		At time.Time `json:"at"`
	}
	if err := json.Unmarshal(value, &r); err != nil {
		return err
	}
	into[id] = r.At
	return nil
}

// prune forgets responses older than ReplayTTL; expired records stay in the Store until
// overwritten, which is harmless since they are ignored.
func (o *Org) prune(now time.Time) {
	for k, at := range o.Replays {
		if now.Sub(at) >= ReplayTTL {
			delete(o.Replays, k)
		}
	}
}

// APICall is one API call as the Server wraps it.
type APICall struct {
	Org   *Org
	OrgID string
	// Rel is the call's path relative to the organisation's API base, which faults match.
	Rel string
	// Weight is how many calls the call is metered as (a QuickBooks batch counts its items).
	Weight int
	// Write reports whether the call may change data: only writes time out after storing and
	// are replayed.
	Write bool
	// Idempotency is the write's idempotency key as the client sent it, and IdempotencyID the
	// hash of its scope; empty when the call is not replayable.
	Idempotency, IdempotencyID string
	// At is when the call arrived.
	At time.Time
}

// APIHooks are what a platform does at each step of an API call the Server wraps. The ones
// marked so run under the lock; answers are written after it is released.
type APIHooks struct {
	// Resolve authenticates the request and finds its organisation, under the lock. When the
	// call is refused, refuse writes the answer.
	Resolve func(r *http.Request) (call APICall, refuse func(http.ResponseWriter))
	// Admit applies the platform's rate limits to an admitted call, under the lock, and counts
	// the call in its windows; refuse, when set, writes the 429.
	Admit func(call APICall) (refuse func(http.ResponseWriter))
	// Headers adds headers every answer after Resolve carries (Xero's remaining limits), under
	// the lock; optional.
	Headers func(h http.Header, call APICall)
	// Fault answers an armed FaultServerError or FaultRateLimit.
	Fault func(w http.ResponseWriter, kind FaultKind)
	// BeforeServe, when set, runs between admission and serving, without the lock (tests hold
	// calls in flight with it).
	BeforeServe func(call APICall)
	// Serve performs the call under the lock and returns its answer.
	Serve func(call APICall, r *http.Request) (status int, header http.Header, body []byte)
	// Respond adds headers to the answer of a served or replayed call; optional.
	Respond func(h http.Header, call APICall)
	// Failed answers a call whose change could not be saved.
	Failed func(w http.ResponseWriter, err error)
}

// ServeAPI wraps one API call with what platforms do around every call: authentication and the
// organisation (Resolve), armed faults, rate limits, idempotency replay, saving the call's change
// whole, and FaultTimeoutAfterStore, which stores a write and then drops the connection.
func (s *Server) ServeAPI(w http.ResponseWriter, r *http.Request, h APIHooks) {
	s.mu.Lock()
	call, refuse := h.Resolve(r)
	if refuse != nil {
		s.unlock()
		refuse(w)
		return
	}
	o := call.Org
	o.Calls += call.Weight
	call.At = s.now()
	if kind, ok := o.Faults.Take(call.Rel, false); ok {
		s.headers(w, h, call)
		s.unlock()
		h.Fault(w, kind)
		return
	}
	if refuse := h.Admit(call); refuse != nil {
		s.headers(w, h, call)
		s.unlock()
		refuse(w)
		return
	}
	o.InFlight++
	s.unlock()
	defer func() {
		s.mu.Lock()
		o.InFlight--
		s.unlock()
	}()
	if h.BeforeServe != nil {
		h.BeforeServe(call)
	}

	s.mu.Lock()
	status, header, body, replayed := s.replay(call)
	if !replayed {
		status, header, body = h.Serve(call, r)
		if call.IdempotencyID != "" && status < 500 {
			rec := Replay{Method: r.Method, Path: call.Rel, Key: call.Idempotency, Status: status, Body: body, At: call.At}
			o.Replays[call.IdempotencyID] = call.At
			s.Mark(s.OrgKey(call.OrgID, replayKind, call.IdempotencyID), rec)
			o.prune(call.At)
		}
	}
	err := s.Flush(r.Context())
	timeout := false
	if call.Write && !replayed {
		_, timeout = o.Faults.Take(call.Rel, true)
	}
	s.headers(w, h, call)
	s.unlock()
	if err != nil {
		h.Failed(w, err)
		return
	}
	if timeout {
		dropConnection(w)
		return
	}
	if h.Respond != nil {
		h.Respond(w.Header(), call)
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) headers(w http.ResponseWriter, h APIHooks, call APICall) {
	if h.Headers != nil {
		h.Headers(w.Header(), call)
	}
}

// replay returns the kept response of a replayable write seen within ReplayTTL.
func (s *Server) replay(call APICall) (status int, header http.Header, body []byte, ok bool) {
	if call.IdempotencyID == "" {
		return 0, nil, nil, false
	}
	at, ok := call.Org.Replays[call.IdempotencyID]
	if !ok || call.At.Sub(at) >= ReplayTTL {
		return 0, nil, nil, false
	}
	key := s.OrgKey(call.OrgID, replayKind, call.IdempotencyID)
	prev := Read(s, []string{key}, func(b []byte) (*Replay, error) {
		var r Replay
		if string(b) == "null" {
			return nil, nil
		}
		return &r, json.Unmarshal(b, &r)
	})[key]
	if prev == nil {
		// Not saved (its change failed to save, or the read failed, which fails the call).
		return 0, nil, nil, false
	}
	return prev.Status, nil, prev.Body, true
}

// dropConnection closes the client's connection without a response, so the client cannot tell
// whether the write happened.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a wrapper without Hijack: aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// Window is a sliding window of API calls for a rate limit, oldest first.
type Window []time.Time

// Prune forgets the calls at or before now-span.
func (w *Window) Prune(now time.Time, span time.Duration) {
	cutoff := now.Add(-span)
	i := 0
	for i < len(*w) && !(*w)[i].After(cutoff) {
		i++
	}
	*w = (*w)[i:]
}

// Add counts n calls at now.
func (w *Window) Add(now time.Time, n int) {
	for range n {
		*w = append(*w, now)
	}
}

// Wait is how long from now until the oldest call leaves a window of span.
func (w Window) Wait(now time.Time, span time.Duration) time.Duration {
	return w[0].Add(span).Sub(now)
}
