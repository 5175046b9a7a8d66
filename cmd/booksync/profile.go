package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// heapCheckEvery is how often a profiled process looks whether its heap has grown past its peak.
const heapCheckEvery = 2 * time.Second

// startProfiles starts profiling this process when BOOKSYNC_PROFILE_DIR names a folder
// (`booksync bench -profile` sets it for the processes it starts): a CPU profile of the whole run,
// <command>-<pid>-cpu.pprof, and a heap profile taken whenever the heap is larger than it has
// been before, <command>-<pid>-heap.pprof, so that it shows what the heap held at its peak. Read
// them with `go tool pprof`. The returned function stops profiling; it is called when the command
// ends.
func startProfiles(command string) (stop func(), err error) {
	dir := os.Getenv("BOOKSYNC_PROFILE_DIR")
	if dir == "" {
		return func() {}, nil
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", command, os.Getpid()))
	cpu, err := os.Create(base + "-cpu.pprof")
	if err != nil {
		return nil, fmt.Errorf("BOOKSYNC_PROFILE_DIR: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, fmt.Errorf("BOOKSYNC_PROFILE_DIR: %w", err)
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(heapCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak+peak/10 {
				peak = v
				writeHeapProfile(base + "-heap.pprof")
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		pprof.StopCPUProfile()
		cpu.Close()
	}, nil
}

// writeHeapProfile replaces path with a heap profile of now.
func writeHeapProfile(path string) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return
	}
	runtime.GC() // the profile's in-use figures are as of the last collection
	err = pprof.WriteHeapProfile(f)
	if cerr := f.Close(); err == nil && cerr == nil {
		_ = os.Rename(path+".tmp", path)
	}
}
