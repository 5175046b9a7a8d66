package sandbox

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"
)

// Config configures a Server: what the platform's sandbox shares with every other one, with the
// parts that differ per platform in OAuth.
type Config struct {
	// Namespace is the Store namespace of the sandbox's keys ("xero", "quickbooks"), also used to
	// name it in errors.
	Namespace string
	// Store persists state; nil keeps it in a MemoryStore of the Server's own.
	Store Store
	// Now is the clock for tokens, dates and rate-limit windows; nil means time.Now.
	Now func() time.Time
	// TimeScale > 1 compresses the rate-limit windows: a 60 s minute lasts 60/TimeScale s. 0 or 1
	// is real time. Token lifetimes are not scaled.
	TimeScale float64
	// OAuth is the platform's OAuth 2 authorization server.
	OAuth OAuthConfig
	// Org finds an organisation by id, under the lock: its part in the Server and its API base
	// path, which faults' paths are relative to; nil for an unknown organisation.
	Org func(id string) (org *Org, apiBase string)
	// OrgField names the organisation's id in POST /faults ("tenant_id", "realm_id").
	OrgField string
	// KeyPrefix starts the Store keys of organisations ("org", "realm"): an organisation's
	// record is saved under "<prefix>/<id>" and its objects under "<prefix>/<id>/<kind>/<id>".
	KeyPrefix string
}

// Server is the part every sandbox shares: one lock over the sandbox's state, its clock, the
// OAuth 2 authorization server (grants, codes and tokens), the changes a request makes to the
// Store, and the wrapper around every API call (faults, rate limits, idempotency replay). Each
// platform's package builds its API objects, validation and pages on it.
type Server struct {
	cfg   Config
	now   func() time.Time
	scale float64

	// mu guards all of a sandbox's state, its platform's included. A sandbox serialises API
	// calls; it serves tests and demos, where fidelity matters more than throughput.
	mu      sync.Mutex
	auth    AuthState
	pending Changes
	// cache holds the objects Read from the Store (and those Kept) while the lock is held, so
	// that every step of one change sees and changes the same value; it is emptied once nothing
	// is left to save. readErr is the first failed read since, which makes the change fail
	// whole at its Flush.
	cache   map[string]any
	readErr error

	consent *template.Template
}

// NewServer returns a Server with no state; Load reads what its Store holds.
func NewServer(cfg Config) *Server {
	if cfg.Store == nil {
		// The sandboxes read large books back from their Store rather than keeping them in
		// memory, so even a sandbox that persists nothing needs one.
		cfg.Store = NewMemoryStore()
	}
	s := &Server{cfg: cfg, now: cfg.Now, scale: cfg.TimeScale, auth: newAuthState(), consent: cfg.OAuth.Consent.page(),
		cache: map[string]any{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.scale <= 0 {
		s.scale = 1
	}
	return s
}

// Lock takes the sandbox's lock, which guards its platform's state as well as the Server's.
func (s *Server) Lock() { s.mu.Lock() }

// Unlock releases the lock Lock took.
func (s *Server) Unlock() { s.unlock() }

// unlock releases the lock, first forgetting the objects read under it unless a change to them
// is still to be saved.
func (s *Server) unlock() {
	if len(s.pending.pending) == 0 {
		s.forget()
	}
	s.mu.Unlock()
}

// forget empties the cache of objects read from the Store.
func (s *Server) forget() {
	clear(s.cache)
	s.readErr = nil
}

// Now is the sandbox's clock.
func (s *Server) Now() time.Time { return s.now() }

// Scaled returns a rate-limit window of length d compressed by Config.TimeScale.
func (s *Server) Scaled(d time.Duration) time.Duration { return time.Duration(float64(d) / s.scale) }

// Mark queues key to be saved with v by the next Flush; callers hold the lock.
func (s *Server) Mark(key string, v any) { s.pending.Mark(key, v) }

// Flush saves every key marked since the last one, all or none; callers hold the lock, so that
// the saved JSON is a consistent snapshot.
// A read from the Store that failed since the last Flush fails it and drops the change: what was
// decided without the object read is not kept.
func (s *Server) Flush(ctx context.Context) error {
	if err := s.readErr; err != nil {
		clear(s.pending.pending)
		s.forget()
		return fmt.Errorf("%s sandbox: read: %w", s.cfg.Namespace, err)
	}
	err := s.pending.Save(ctx, s.cfg.Store, s.cfg.Namespace)
	s.forget()
	return err
}

// Read returns the objects saved under keys, decoded by decode, by key; a key saved as nothing
// is absent. An object is read from the Store once while the lock is held, so that every step of
// a change sees and changes the same value (callers Mark what they change, as for any object). A
// failed read leaves its objects out and fails the next Flush. Callers hold the lock.
func Read[T any](s *Server, keys []string, decode func(value []byte) (*T, error)) map[string]*T {
	out := make(map[string]*T, len(keys))
	var missing []string
	for _, k := range keys {
		if v, ok := s.cache[k].(*T); ok {
			out[k] = v
		} else {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return out
	}
	values, err := s.cfg.Store.ReadSandbox(context.Background(), s.cfg.Namespace, missing)
	if err != nil {
		s.readErr = cmp.Or(s.readErr, err)
		return out
	}
	for k, b := range values {
		v, err := decode(b)
		if err != nil {
			s.readErr = cmp.Or(s.readErr, fmt.Errorf("%s: %w", k, err))
			continue
		}
		if v == nil {
			continue
		}
		s.cache[k] = v
		out[k] = v
	}
	return out
}

// Keep caches a new object saved under key (callers Mark it too), so that Read finds it before
// the change is saved; callers hold the lock.
func (s *Server) Keep(key string, v any) { s.cache[key] = v }

// authKey is the Store key of the authorization server's state.
const authKey = "auth"

// markAuth queues the authorization server's state to be saved; callers hold the lock.
func (s *Server) markAuth() { s.Mark(authKey, &s.auth) }

// Load reads the sandbox's state from the Store: the authorization server's own, each
// organisation's record, given to loadOrg, then its objects, given to loadObject by kind and id,
// and its responses kept for replay (without their bodies, which are read again when replayed).
// It walks the Store's keys one at a time, so a platform may keep of an object only what finds
// it, and Read the rest when asked. Objects of an organisation that does not exist and keys of
// other shapes are ignored.
func (s *Server) Load(ctx context.Context, loadOrg func(value []byte) error, loadObject func(orgID, kind, id string, value []byte) error) error {
	s.mu.Lock()
	defer s.unlock()
	// Keys come in byte order: "org/<id>" before "org/<id>/...", so the organisation exists
	// before its objects.
	return s.cfg.Store.RangeSandbox(ctx, s.cfg.Namespace, func(k string, v []byte) error {
		if err := s.loadKey(k, v, loadOrg, loadObject); err != nil {
			return fmt.Errorf("%s sandbox: load: %s: %w", s.cfg.Namespace, k, err)
		}
		return nil
	})
}

func (s *Server) loadKey(k string, v []byte, loadOrg func([]byte) error, loadObject func(orgID, kind, id string, value []byte) error) error {
	if k == authKey {
		err := json.Unmarshal(v, &s.auth)
		s.auth.fill()
		return err
	}
	parts := strings.Split(k, "/")
	switch {
	case len(parts) < 2 || parts[0] != s.cfg.KeyPrefix:
		return nil
	case len(parts) == 2:
		return loadOrg(v)
	case len(parts) != 4:
		return nil
	}
	o, _ := s.cfg.Org(parts[1])
	switch {
	case o == nil:
		return nil
	case parts[2] == replayKind:
		return loadReplay(v, o.Replays, parts[3])
	}
	return loadObject(parts[1], parts[2], parts[3], v)
}

// OrgKey returns the Store key of an organisation's record, or with kind and id of one of its
// objects.
func (s *Server) OrgKey(orgID string, kindAndID ...string) string {
	return strings.Join(append([]string{s.cfg.KeyPrefix, orgID}, kindAndID...), "/")
}

// LoadJSON reads a saved object into a map of objects by id; a JSON null (a removed object) is
// skipped.
func LoadJSON[T any](value []byte, into map[string]*T, id string) error {
	if string(value) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(value, &v); err != nil {
		return err
	}
	into[id] = &v
	return nil
}

// Clone deep-copies v through JSON, so that what a sandbox hands out or keeps aside cannot alias
// live state.
func Clone[T any](v *T) T {
	b, _ := json.Marshal(v)
	var out T
	_ = json.Unmarshal(b, &out)
	return out
}

// Snapshot returns copies of what pick returns, taken under the lock; nil when it returns none.
func Snapshot[T any](s *Server, pick func() []*T) []T {
	s.mu.Lock()
	defer s.unlock()
	var out []T
	for _, v := range pick() {
		out = append(out, Clone(v))
	}
	return out
}

// Calls returns how many API calls the organisation has been served since the sandbox started,
// rejected and faulted calls included, as platforms meter them; 0 for an unknown one.
func (s *Server) Calls(orgID string) int {
	s.mu.Lock()
	defer s.unlock()
	if o, _ := s.cfg.Org(orgID); o != nil {
		return o.Calls
	}
	return 0
}

// Options configures a sandbox (internal/sandbox/xero, internal/sandbox/quickbooks).
type Options struct {
	// BaseURL is the absolute URL the sandbox's handler is mounted at, without a trailing slash,
	// e.g. http://localhost:8080/sandbox/xero. Links and the consent form are built from it.
	BaseURL string
	// Store persists state; nil keeps it in memory only.
	Store Store
	// Now is the clock for tokens, dates and rate-limit windows; nil means time.Now.
	Now func() time.Time
	// Limits enforces the platform's per-organisation rate limits.
	Limits bool
	// TimeScale > 1 compresses the rate-limit windows: a 60 s minute lasts 60/TimeScale s. 0 or
	// 1 is real time. Token lifetimes are not scaled.
	TimeScale float64
	// Gate guards the web pages and POST /faults: a partner logs in and sees only the
	// organisations its entities connected. Without a Gate they are not served at all.
	Gate *Gate
}
