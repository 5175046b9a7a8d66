package gcpace

import (
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent returns the collector's percent without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// An operator's GOGC and GOMEMLIMIT win over booksync's pace; without them booksync's applies, and
// restore sets back what was there before.
func TestSetKeepsWhatTheEnvironmentSets(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(env); ok {
			t.Cleanup(func() { os.Setenv(env, v) })
		}
		os.Unsetenv(env)
	}
	before, beforeLimit := gcPercent(), debug.SetMemoryLimit(-1)

	restore := Set()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != Percent || l != Limit {
		t.Errorf("without GOGC and GOMEMLIMIT: percent %d, limit %d; want %d, %d", p, l, Percent, Limit)
	}
	restore()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != before || l != beforeLimit {
		t.Errorf("restored: percent %d, limit %d; want %d, %d", p, l, before, beforeLimit)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150) // as the runtime read it at start
	debug.SetMemoryLimit(1 << 30)
	defer debug.SetGCPercent(before)
	defer debug.SetMemoryLimit(beforeLimit)
	restore = Set()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 150 || l != 1<<30 {
		t.Errorf("with GOGC=150 and GOMEMLIMIT=1GiB: percent %d, limit %d", p, l)
	}
	restore()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 150 || l != 1<<30 {
		t.Errorf("restore changed the environment's pace: percent %d, limit %d", p, l)
	}
}
