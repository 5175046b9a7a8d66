package testlog_test

import (
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/testlog"
)

// recorder is a testing.TB whose failure and log output the test can see.
type recorder struct {
	testing.TB
	failed   bool
	logged   []string
	cleanups []func()
}

func (r *recorder) Failed() bool               { return r.failed }
func (r *recorder) Logf(f string, args ...any) { r.logged = append(r.logged, f) }
func (r *recorder) Cleanup(fn func())          { r.cleanups = append(r.cleanups, fn) }
func (r *recorder) Helper()                    {}
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestSilentWhenPassing(t *testing.T) {
	r := &recorder{TB: t}
	testlog.New(r).Info("river: Producer job counts")
	r.end()
	if len(r.logged) != 0 {
		t.Errorf("a passing test logged %q", r.logged)
	}
}

func TestShownWhenFailing(t *testing.T) {
	r := &recorder{TB: t}
	log := testlog.New(r)
	log.Debug("pushed", "records", 3)
	r.failed = true
	r.end()
	if len(r.logged) != 1 {
		t.Fatalf("a failing test logged %d times, want once", len(r.logged))
	}
	log.Info("after the end") // must neither panic nor be kept
}

func TestKeepsRecords(t *testing.T) {
	r := &recorder{TB: t}
	var shown string
	r2 := &showRecorder{recorder: r, shown: &shown}
	testlog.New(r2).Warn("retrying accounting call", "connection_id", "c1")
	r.failed = true
	r.end()
	if !strings.Contains(shown, "retrying accounting call") || !strings.Contains(shown, "connection_id=c1") {
		t.Errorf("failure log = %q, want the warning with its attributes", shown)
	}
}

// showRecorder keeps what Logf formatted.
type showRecorder struct {
	*recorder
	shown *string
}

func (s *showRecorder) Logf(f string, args ...any) {
	for _, a := range args {
		if str, ok := a.(string); ok {
			*s.shown += str
		}
	}
}
