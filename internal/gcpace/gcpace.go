// Package gcpace sets how often the Go garbage collector runs in booksync's processes.
//
// A booksync process allocates much for each request and each push (JSON, SQL arguments, HTTP
// buffers) and keeps little: its live heap is a few tens of MiB. Go's default pace (GOGC=100)
// collects each time the heap doubles, which for such a heap is several times a second under load;
// each collection marks the live heap, and the program runs slower while it does (write barriers,
// assists). booksync collects when the heap has grown to five times what the last collection left
// (Percent), and within a soft limit on the memory the Go runtime holds (Limit), near which it
// collects as often as staying under it takes. The benchmarks that run booksync in their own
// process run at this pace; run with GOGC=100 GOMEMLIMIT=off, they measure Go's default.
//
// A process whose live heap nears the limit collects almost without pause, up to half its CPU:
// one that keeps more (the built-in sandboxes of a demo holding millions of invoices, a deployment
// with far more requests at once) should raise GOMEMLIMIT or set it to off. GOGC and GOMEMLIMIT
// in the environment set the pace instead, as for any Go program.
package gcpace

import (
	"os"
	"runtime/debug"
)

const (
	// Percent is the heap's growth, in percent of what the last collection left, at which the next
	// collection starts (GOGC).
	Percent = 400
	// Limit is the soft limit, in bytes, on the memory the Go runtime holds (GOMEMLIMIT). The
	// memory of SQLite's page caches is not the Go runtime's and does not count.
	Limit = 160 << 20
)

// Set sets the pace of the process's garbage collector to Percent and Limit, each unless the
// environment sets it (GOGC, GOMEMLIMIT), and returns a function that sets back what it changed.
func Set() (restore func()) {
	percent, limit := -2, int64(-1)
	if _, ok := os.LookupEnv("GOGC"); !ok {
		percent = debug.SetGCPercent(Percent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		limit = debug.SetMemoryLimit(Limit)
	}
	return func() {
		if percent != -2 {
			debug.SetGCPercent(percent)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}
