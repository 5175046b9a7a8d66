// Package testlog gives a test a logger that stays silent while the test passes and shows what was
// logged when it fails, so that a failure is not buried under the logs of every passing test.
package testlog

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// New returns a logger (debug level and up) whose records are kept in memory and written to the
// test's log only if the test has failed when it ends. Goroutines may keep logging after the test
// has ended; what they log then is dropped.
func New(tb testing.TB) *slog.Logger {
	tb.Helper()
	b := &buffer{}
	tb.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if tb.Failed() && b.buf.Len() > 0 {
			tb.Logf("log:\n%s", b.buf.String())
		}
		b.done = true
		b.buf = bytes.Buffer{}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// buffer collects log lines until the test ends.
type buffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.buf.Write(p)
	}
	return len(p), nil
}
