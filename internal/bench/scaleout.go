package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/sandbox"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
	"github.com/booksync/booksync/internal/store"
	"github.com/riverqueue/river"
)

// drainStall bounds how long a drain may go without another invoice record done: a run stalled
// that long is broken, not slow. A slow machine's drain takes as long as it needs.
const drainStall = 5 * time.Minute

// ScaleOut measures how the sync engine's throughput grows with `booksync worker` processes.
type ScaleOut struct {
	// Binary is the booksync executable the processes run.
	Binary string
	// DB is a postgres:// URL. The benchmark creates its own databases on that server (the role
	// needs CREATEDB) and drops them afterwards; the named database itself is only connected to.
	DB string
	// Invoices is the backlog's size; Entities how many entities share it, each connected to its
	// own organisation of the built-in Xero sandbox (rate limits off).
	Invoices, Entities int
	// Processes are the worker process counts to measure, each beside one `booksync serve`.
	Processes []int
	// Workers is how many sync jobs each worker process runs at once.
	Workers int
	// Out receives the figures; Log the processes' output.
	Out, Log io.Writer
	// ProfileDir, when set, is where each process writes its CPU and heap profiles.
	ProfileDir string
}

// ScaleOutRun is one measured drain.
type ScaleOutRun struct {
	Processes int
	// Invoices were pushed in Elapsed, from all worker processes running to the last record done
	// (those pushed while the processes started are left out of both).
	Invoices int
	Elapsed  time.Duration
	// ServeCPU and WorkersCPU are the CPU time serve (API and sandbox) and the worker processes
	// (together) used over the drain: on a shared machine a steadier figure than Elapsed.
	ServeCPU, WorkersCPU time.Duration
}

// PerSecond is the run's throughput.
func (r ScaleOutRun) PerSecond() float64 { return float64(r.Invoices) / r.Elapsed.Seconds() }

// Run builds the backlog once (serve with no sync workers of its own issues the invoices through
// the API, one worker process having run the connections' initial pulls) with River's queue
// paused, copies its database for each process count, starts `booksync serve` (API and
// sandboxes, no sync workers) and that many `booksync worker` processes on the copy, resumes the
// queue and times the drain to the last record done, then checks that the sandbox holds every
// invoice exactly once.
func (b ScaleOut) Run(ctx context.Context) ([]ScaleOutRun, error) {
	if b.Workers == 0 {
		b.Workers = 10
	}
	srv, err := newServer(ctx, b.DB)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	books, err := os.MkdirTemp("", "booksync-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(books)

	template := "booksync_bench_" + randomHex(4)
	if err := srv.create(ctx, template, ""); err != nil {
		return nil, err
	}
	defer srv.drop(template)
	ps := newProcesses(b.Binary, srv.url(template), books, b.Log)
	ps.ProfileDir = b.ProfileDir
	start := time.Now()
	if err := b.backlog(ctx, ps); err != nil {
		return nil, fmt.Errorf("build the backlog: %w", err)
	}
	fmt.Fprintf(b.Out, "backlog: %d invoices of %d entities issued through the API in %v\n", b.Invoices, b.Entities, time.Since(start).Round(time.Millisecond))

	var runs []ScaleOutRun
	for _, k := range b.Processes {
		name := fmt.Sprintf("%s_%d", template, k)
		if err := srv.create(ctx, name, template); err != nil {
			return runs, err
		}
		run, err := b.drain(ctx, ps, srv.url(name), k)
		srv.drop(name)
		if err != nil {
			return runs, fmt.Errorf("%d worker processes: %w", k, err)
		}
		runs = append(runs, run)
		fmt.Fprintf(b.Out, "%d worker process(es): %d invoices in %v, %.0f invoices/s, ratio to 1 process %.2f; CPU per 1,000 invoices: serve %v, workers %v; every invoice in the books once\n",
			k, run.Invoices, run.Elapsed.Round(time.Millisecond), run.PerSecond(), run.PerSecond()/runs[0].PerSecond(),
			per1000(run.ServeCPU, run.Invoices), per1000(run.WorkersCPU, run.Invoices))
	}
	return runs, nil
}

// backlog connects the entities and issues the invoices, leaving every push queued.
func (b ScaleOut) backlog(ctx context.Context, ps *Processes) error {
	serve, url, err := ps.Serve(ctx, "setup-serve", 0)
	if err != nil {
		return err
	}
	defer serve.Stop()
	worker, err := ps.Worker(ctx, "setup-worker", url, b.Workers)
	if err != nil {
		return err
	}
	c, err := newClient(ctx, url, ps)
	if err != nil {
		worker.Stop()
		return err
	}
	ents := make([]entity, b.Entities)
	for i := range ents {
		if ents[i], err = c.newEntity(ctx, i); err != nil {
			worker.Stop()
			return err
		}
	}
	// From here on nothing runs the pushes: they wait in the queue for the measured workers.
	if err := worker.Stop(); err != nil {
		return err
	}
	if err := c.issue(ctx, ents, b.Invoices, nil); err != nil {
		return err
	}
	if err := serve.Stop(); err != nil {
		return err
	}
	// Paused, the copies' queue lets every worker process start before any of them takes a job.
	return setQueue(ctx, ps.DB, true)
}

// setQueue pauses or resumes the sync jobs' River queue on db: paused, no process fetches its
// jobs; resumed, every process listening hears of it at once.
func setQueue(ctx context.Context, db string, pause bool) error {
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rc, err := river.NewClient(st.RiverDriver(), &river.Config{})
	if err != nil {
		return err
	}
	if pause {
		err = rc.QueuePause(ctx, river.QueueDefault, nil)
	} else {
		err = rc.QueueResume(ctx, river.QueueDefault, nil)
	}
	if err != nil {
		return fmt.Errorf("pause or resume River's queue: %w", err)
	}
	return nil
}

// drain runs serve and k worker processes on db until every invoice record is done, then checks
// the books.
func (b ScaleOut) drain(ctx context.Context, ps *Processes, db string, k int) (ScaleOutRun, error) {
	run := ScaleOutRun{Processes: k}
	p := ps.on(db)
	serve, url, err := p.Serve(ctx, fmt.Sprintf("serve[%d]", k), 0)
	if err != nil {
		return run, err
	}
	procs := []*process{}
	defer func() { _ = stopAll(append(procs, serve)...) }()
	counts, err := sql.Open("pgx", db)
	if err != nil {
		return run, err
	}
	defer counts.Close()
	for i := range k {
		w, err := p.Worker(ctx, fmt.Sprintf("worker[%d/%d]", i+1, k), url, b.Workers)
		if err != nil {
			return run, err
		}
		procs = append(procs, w)
	}
	live := append([]*process{serve}, procs...)
	done0, err := waitDone(ctx, counts, b.Invoices, -1, live...)
	if err != nil {
		return run, err
	}
	cpu := func() (serveCPU, workersCPU time.Duration, err error) {
		if serveCPU, err = cpuTime(serve.Pid()); err != nil {
			return
		}
		for _, w := range procs {
			t, err := cpuTime(w.Pid())
			if err != nil {
				return 0, 0, err
			}
			workersCPU += t
		}
		return
	}
	serve0, workers0, err := cpu()
	if err != nil {
		return run, err
	}
	start := time.Now()
	if err := setQueue(ctx, db, false); err != nil {
		return run, err
	}
	if _, err := waitDone(ctx, counts, b.Invoices, b.Invoices, live...); err != nil {
		return run, err
	}
	run.Elapsed, run.Invoices = time.Since(start), b.Invoices-done0
	serve1, workers1, err := cpu()
	if err != nil {
		return run, err
	}
	run.ServeCPU, run.WorkersCPU = serve1-serve0, workers1-workers0
	if err := stopAll(append(procs, serve)...); err != nil {
		return run, err
	}
	procs, serve = nil, nil
	return run, checkBooks(ctx, db, b.Entities, b.Invoices)
}

// waitDone counts the invoice records by status until want are done (want < 0: once) and returns
// how many are done; a record in error fails the run, and so does any of the live processes
// exiting, since the rest cannot finish without it, and drainStall without another record done.
func waitDone(ctx context.Context, db *sql.DB, n, want int, live ...*process) (int, error) {
	last, lastChange := -1, time.Now()
	for {
		for _, pr := range live {
			select {
			case <-pr.exited:
				return 0, fmt.Errorf("%s exited (%v) before the backlog drained; see its log", pr.name, pr.err)
			default:
			}
		}
		st, err := recordStatuses(ctx, db)
		if err != nil {
			return 0, err
		}
		if st[booksync.SyncStatusError] > 0 {
			return 0, fmt.Errorf("invoice records went to error: %v", st)
		}
		if want < 0 || st[booksync.SyncStatusDone] >= want {
			return st[booksync.SyncStatusDone], nil
		}
		if done := st[booksync.SyncStatusDone]; done != last {
			last, lastChange = done, time.Now()
		} else if time.Since(lastChange) > drainStall {
			return 0, fmt.Errorf("no invoice record was done for %v; of %d invoice records: %v", drainStall, n, st)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// recordStatuses counts the invoices' synced records by status.
func recordStatuses(ctx context.Context, db *sql.DB) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT sync_status, COUNT(*) FROM synced_records WHERE object_type = $1 GROUP BY sync_status`,
		booksync.ObjectReceivable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// checkBooks reads the Xero sandbox's organisations back from the database and fails unless they
// hold n invoices in all, each number once per organisation, in as many organisations as entities.
func checkBooks(ctx context.Context, db string, entities, n int) error {
	st, err := store.Open(ctx, db, store.Options{PostgresPollOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	sb, err := xerosandbox.New(ctx, sandbox.Options{BaseURL: "http://127.0.0.1/sandbox/xero", Store: st})
	if err != nil {
		return err
	}
	total, orgs := 0, 0
	for _, tenant := range sb.Tenants() {
		invoices := sb.Invoices(tenant)
		if len(invoices) == 0 {
			continue
		}
		orgs++
		numbers := map[string]bool{}
		for _, inv := range invoices {
			if numbers[inv.InvoiceNumber] {
				return fmt.Errorf("organisation %s holds invoice %s twice", tenant, inv.InvoiceNumber)
			}
			numbers[inv.InvoiceNumber] = true
		}
		total += len(invoices)
	}
	if total != n || orgs != entities {
		return fmt.Errorf("the books hold %d invoices in %d organisations; %d were issued by %d entities", total, orgs, n, entities)
	}
	return nil
}

// server is a PostgreSQL server on which the benchmark creates and drops its databases.
type server struct {
	base *url.URL
	db   *sql.DB
}

func newServer(ctx context.Context, dsn string) (*server, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return nil, errors.New("needs a postgres:// URL")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &server{base: u, db: db}, nil
}

func (s *server) Close() error { return s.db.Close() }

// url is the URL of database name on the server.
func (s *server) url(name string) string {
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

// create creates database name, a copy of template when one is given.
func (s *server) create(ctx context.Context, name, template string) error {
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// drop drops database name, ending the sessions left on it.
func (s *server) drop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// per1000 is d spent on n invoices, per 1,000 of them.
func per1000(d time.Duration, n int) time.Duration {
	return (d * 1000 / time.Duration(max(n, 1))).Round(time.Millisecond)
}
