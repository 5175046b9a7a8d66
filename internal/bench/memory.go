package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/booksync/booksync/internal/store"
)

// Memory measures the resident memory of `booksync serve` while it drains a backlog and serves
// the API.
type Memory struct {
	// Binary is the booksync executable the processes run.
	Binary string
	// DB is a SQLite file (empty: a new one in a temporary folder) or a postgres:// URL, on whose
	// server the benchmark creates its own database and drops it afterwards.
	DB string
	// Invoices is the backlog's size; Entities how many entities share it, each connected to its
	// own organisation of the built-in Xero sandbox (rate limits off).
	Invoices, Entities int
	// Workers is how many sync jobs serve runs at once.
	Workers int
	// SeparateSandbox runs the built-in sandboxes in a process of their own (a second serve, on
	// its own database, BOOKSYNC_SANDBOX_URL), so that the figure is serve's alone, as beside a
	// real Xero; otherwise serve hosts them and keeps their organisations in memory.
	SeparateSandbox bool
	// Out receives the figures; Log the processes' output.
	Out, Log io.Writer
	// ProfileDir, when set, is where each process writes its CPU and heap profiles.
	ProfileDir string
}

// MemoryRun is the measured drain.
type MemoryRun struct {
	// PeakRSS is serve's peak resident memory (VmHWM) over the drain, in bytes.
	PeakRSS int64
	// Elapsed is the drain, from serve started to the last record done.
	Elapsed time.Duration
	// Reads are the API reads answered meanwhile; ReadP50 and ReadP99 their latencies.
	Reads            int
	ReadP50, ReadP99 time.Duration
}

// Run connects the entities (serve with sync workers runs their initial pulls), issues the
// backlog through a serve without sync workers, then starts serve with its sync workers and,
// while they drain the backlog, reads the API (a first page of invoices, one entity after the
// other, from four clients); it reports serve's peak RSS and checks the sandbox's books.
func (b Memory) Run(ctx context.Context) (MemoryRun, error) {
	var run MemoryRun
	if b.Workers == 0 {
		b.Workers = 10
	}
	tmp, err := os.MkdirTemp("", "booksync-bench")
	if err != nil {
		return run, err
	}
	defer os.RemoveAll(tmp)
	db := b.DB
	if db == "" {
		db = filepath.Join(tmp, "booksync.db")
	}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		srv, err := newServer(ctx, db)
		if err != nil {
			return run, err
		}
		defer srv.Close()
		name := "booksync_bench_" + randomHex(4)
		if err := srv.create(ctx, name, ""); err != nil {
			return run, err
		}
		defer srv.drop(name)
		db = srv.url(name)
	}
	ps := newProcesses(b.Binary, db, filepath.Join(tmp, "gnucash"), b.Log)
	ps.ProfileDir = b.ProfileDir
	booksDB := db // where the sandbox keeps its organisations
	if b.SeparateSandbox {
		booksDB = filepath.Join(tmp, "sandbox.db")
		host, url, err := ps.on(booksDB).Serve(ctx, "sandbox-serve", 0)
		if err != nil {
			return run, err
		}
		defer host.Stop()
		// Every process of the run uses it; it saves each change before it answers, so its
		// database holds the books while it runs.
		ps.Env = []string{"BOOKSYNC_SANDBOX_URL=" + url}
	}

	start := time.Now()
	ents, err := b.backlog(ctx, ps)
	if err != nil {
		return run, fmt.Errorf("build the backlog: %w", err)
	}
	fmt.Fprintf(b.Out, "backlog: %d invoices of %d entities issued through the API in %v\n", b.Invoices, b.Entities, time.Since(start).Round(time.Millisecond))

	st, err := store.Open(ctx, db, store.Options{PostgresPollOnly: true})
	if err != nil {
		return run, err
	}
	defer st.Close()
	start = time.Now()
	serve, url, err := ps.Serve(ctx, "serve", b.Workers)
	if err != nil {
		return run, err
	}
	defer serve.Stop()
	c, err := newClient(ctx, url, ps)
	if err != nil {
		return run, err
	}
	rctx, stopReads := context.WithCancel(ctx)
	var mu sync.Mutex
	var lat []time.Duration
	var readErr error
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; rctx.Err() == nil; j++ {
				t := time.Now()
				err := c.call(rctx, ents[j%len(ents)].id, "GET", "/receivables?limit=100", nil, 200, nil)
				mu.Lock()
				if err != nil && rctx.Err() == nil && readErr == nil {
					readErr = err
				}
				lat = append(lat, time.Since(t))
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	_, err = waitDone(ctx, st.Reader(), b.Invoices, b.Invoices, serve)
	run.Elapsed = time.Since(start)
	stopReads()
	wg.Wait()
	if err != nil {
		return run, err
	}
	if readErr != nil {
		return run, fmt.Errorf("API read during the drain: %w", readErr)
	}
	if run.PeakRSS, err = peakRSS(serve.Pid()); err != nil {
		return run, err
	}
	if err := serve.Stop(); err != nil {
		return run, err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	run.Reads = len(lat)
	if len(lat) > 0 {
		run.ReadP50, run.ReadP99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	if err := checkBooks(ctx, booksDB, b.Entities, b.Invoices); err != nil {
		return run, err
	}
	where := "with the sandbox inside it"
	if b.SeparateSandbox {
		where = "with the sandbox in another process"
	}
	fmt.Fprintf(b.Out, "%s: ", where)
	fmt.Fprintf(b.Out, "serve drained %d invoices in %v (%.0f invoices/s) while answering %d API reads (GET /receivables?limit=100: p50 %v, p99 %v)\n",
		b.Invoices, run.Elapsed.Round(time.Millisecond), float64(b.Invoices)/run.Elapsed.Seconds(), run.Reads,
		run.ReadP50.Round(100*time.Microsecond), run.ReadP99.Round(100*time.Microsecond))
	fmt.Fprintf(b.Out, "serve's peak RSS (VmHWM): %.1f MiB (target <= 256 MiB); every invoice in the books once\n", float64(run.PeakRSS)/(1<<20))
	return run, nil
}

// backlog connects the entities through a serve with sync workers, then issues the invoices
// through a serve without them, leaving every push queued.
func (b Memory) backlog(ctx context.Context, ps *Processes) ([]entity, error) {
	serve, url, err := ps.Serve(ctx, "setup-serve", b.Workers)
	if err != nil {
		return nil, err
	}
	c, err := newClient(ctx, url, ps)
	if err != nil {
		serve.Stop()
		return nil, err
	}
	ents := make([]entity, b.Entities)
	for i := range ents {
		if ents[i], err = c.newEntity(ctx, i); err != nil {
			serve.Stop()
			return nil, err
		}
	}
	if err := serve.Stop(); err != nil {
		return nil, err
	}
	serve, url, err = ps.Serve(ctx, "issue-serve", 0)
	if err != nil {
		return nil, err
	}
	defer serve.Stop()
	if c, err = newClient(ctx, url, ps); err != nil {
		return nil, err
	}
	if err := c.issue(ctx, ents, b.Invoices, nil); err != nil {
		return nil, err
	}
	return ents, serve.Stop()
}
