package storeseed

import (
	"flag"
	"testing"
)

// lookupRecords is how many synced records the lookup benchmarks (internal/store and internal/api
// BenchmarkSyncedRecordLookup) seed; a quick run: -args -booksync.lookup-records=100000.
var lookupRecords = flag.Int("booksync.lookup-records", 1_000_000, "synced records BenchmarkSyncedRecordLookup seeds (-short: 100000)")

// LookupSize returns how many synced records a lookup benchmark seeds: -booksync.lookup-records,
// or 100,000 under -short when the flag was not set (make bench runs every benchmark at sizes that
// take minutes).
func LookupSize() int {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "booksync.lookup-records" })
	if testing.Short() && !set {
		return 100_000
	}
	return *lookupRecords
}
