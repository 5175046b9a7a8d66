package sandbox

import (
	"context"
	"slices"
	"sync"
)

// Store persists a sandbox's state, in a namespace per sandbox. booksync implements it with a
// key-value table in its own database, so a restart keeps every organisation, token and invoice.
type Store interface {
	// LoadSandbox returns every key saved in namespace.
	LoadSandbox(ctx context.Context, namespace string) (map[string][]byte, error)
	// SaveSandbox inserts or replaces keys, all or none of them: one request's change is
	// kept whole, so a crash never leaves, say, an idempotency record without its invoices.
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

// SaveSandbox stores copies of the values.
func (m *MemoryStore) SaveSandbox(_ context.Context, namespace string, values map[string][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data[namespace] == nil {
		m.data[namespace] = map[string][]byte{}
	}
	for k, v := range values {
		m.data[namespace][k] = slices.Clone(v)
	}
	return nil
}
