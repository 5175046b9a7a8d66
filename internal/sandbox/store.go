package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// Store persists a sandbox's state, in a namespace per sandbox. booksync implements it with a
// key-value table in its own database, so a restart keeps every organisation, token and invoice.
type Store interface {
	// LoadSandbox returns every key saved in namespace.
	LoadSandbox(ctx context.Context, namespace string) (map[string][]byte, error)
	// RangeSandbox calls fn with every key saved in namespace and its value, in key order
	// (compared as bytes), one at a time, so that a sandbox with large books reads them without holding them
	// all; the value is fn's to keep. An error from fn stops the walk and is returned.
	RangeSandbox(ctx context.Context, namespace string, fn func(key string, value []byte) error) error
	// ReadSandbox returns the values of those of keys that are saved in namespace; a key that is
	// not saved is absent from the map.
	ReadSandbox(ctx context.Context, namespace string, keys []string) (map[string][]byte, error)
	// SaveSandbox inserts or replaces keys, all or none of them: one request's change is
	// kept whole, so a crash never leaves, say, an idempotency record without its invoices.
	// A nil value removes its key (a JSON null is a value like any other).
	SaveSandbox(ctx context.Context, namespace string, values map[string][]byte) error
}

// MemoryStore is a Store held in memory, for tests and throwaway demos.
type MemoryStore struct {
	mu   sync.Mutex
	data map[string]map[string][]byte
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{data: map[string]map[string][]byte{}}
}

// LoadSandbox returns copies of the values, so callers cannot alter the store.
func (m *MemoryStore) LoadSandbox(_ context.Context, namespace string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte, len(m.data[namespace]))
	for k, v := range m.data[namespace] {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

// RangeSandbox calls fn with a copy of every key's value, in key order.
func (m *MemoryStore) RangeSandbox(ctx context.Context, namespace string, fn func(key string, value []byte) error) error {
	all, _ := m.LoadSandbox(ctx, namespace)
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k, all[k]); err != nil {
			return err
		}
	}
	return nil
}

// ReadSandbox returns copies of the values of the keys it holds.
func (m *MemoryStore) ReadSandbox(_ context.Context, namespace string, keys []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		if v, ok := m.data[namespace][k]; ok {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}

// SaveSandbox stores copies of the values and removes the keys whose value is nil.
func (m *MemoryStore) SaveSandbox(_ context.Context, namespace string, values map[string][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data[namespace] == nil {
		m.data[namespace] = map[string][]byte{}
	}
	for k, v := range values {
		if v == nil {
			delete(m.data[namespace], k)
			continue
		}
		m.data[namespace][k] = slices.Clone(v)
	}
	return nil
}

// Changes collects the keys a sandbox request changed and saves them together, so that the
// request's change is kept whole (Store.SaveSandbox is all or nothing). The zero value is ready;
// it is not safe for concurrent use: the sandbox holds its lock around Mark and Save.
type Changes struct {
	pending map[string]any
}

// Mark queues key to be saved with v. Values are marshalled when saved, so several changes to one
// object save it once, as it is then.
func (c *Changes) Mark(key string, v any) {
	if c.pending == nil {
		c.pending = map[string]any{}
	}
	c.pending[key] = v
}

// Save marshals every queued value and saves them in one SaveSandbox call (nothing when store is
// nil), then forgets them. It uses a context of its own: a client that hangs up must not stop a
// change halfway.
func (c *Changes) Save(ctx context.Context, store Store, namespace string) error {
	if len(c.pending) == 0 {
		return nil
	}
	values := make(map[string][]byte, len(c.pending))
	for k, v := range c.pending {
		b, err := json.Marshal(v)
		if err != nil {
			clear(c.pending)
			return fmt.Errorf("%s sandbox: save %s: %w", namespace, k, err)
		}
		values[k] = b
	}
	clear(c.pending)
	if store == nil {
		return nil
	}
	if err := store.SaveSandbox(context.WithoutCancel(ctx), namespace, values); err != nil {
		return fmt.Errorf("%s sandbox: save: %w", namespace, err)
	}
	return nil
}
