package store_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/testlog"
	"github.com/riverqueue/river"
)

// startedArgs is a job whose worker reports when it starts.
type startedArgs struct {
	N int `json:"n"`
}

func (startedArgs) Kind() string { return "started" }

type startedWorker struct {
	river.WorkerDefaults[startedArgs]
	started chan<- int
}

func (w *startedWorker) Work(ctx context.Context, job *river.Job[startedArgs]) error {
	w.started <- job.Args.N
	return nil
}

// riverPair opens two stores on one PostgreSQL database, as two booksync processes would: a worker
// whose River client runs startedArgs jobs (polling every pollEvery), and an inserter whose
// insert-only client queues them in the store's transactions. Both use the sync engine's fetch
// cooldown.
func riverPair(tb testing.TB, opts store.Options, pollEvery time.Duration) (insert func(n int), started <-chan int) {
	tb.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(tb)
	worker, err := store.OpenAndMigrate(ctx, dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { worker.Close() })
	inserter, err := store.Open(ctx, dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { inserter.Close() })

	ch := make(chan int, 16)
	workers := river.NewWorkers()
	river.AddWorker(workers, &startedWorker{started: ch})
	rc, err := river.NewClient(worker.RiverDriver(), &river.Config{
		Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		FetchCooldown: 20 * time.Millisecond, FetchPollInterval: pollEvery, Logger: testlog.New(tb),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rc.Stop(context.Background()) })
	// An inserting client notifies a queue at most once per its FetchCooldown; the sync engine's
	// is 20 ms, and its inserts are what wake the workers.
	ic, err := river.NewClient(inserter.RiverDriver(), &river.Config{FetchCooldown: 20 * time.Millisecond, Logger: testlog.New(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	insert = func(n int) {
		err := inserter.InTx(ctx, func(tx *sql.Tx) error {
			_, err := ic.InsertTx(ctx, tx, startedArgs{N: n}, nil)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return insert, ch
}

// On PostgreSQL, River listens: a job another process commits wakes an idle worker through
// LISTEN/NOTIFY, long before the worker would poll for it.
func TestRiverListensOnPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(pgtest.EnvURL) == "" {
		t.Skip(pgtest.EnvURL + " is unset")
	}
	ctx := context.Background()
	for _, c := range []struct {
		opts   store.Options
		listen bool
	}{{store.Options{}, true}, {store.Options{PostgresPollOnly: true}, false}} {
		s, err := store.Open(ctx, pgtest.NewDatabase(t), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.RiverDriver().SupportsListener(); got != c.listen {
			t.Errorf("with %+v, River's driver supports a listener: %v, want %v", c.opts, got, c.listen)
		}
		s.Close()
	}

	// The worker polls once an hour: only a notification can start the second job in time. Each
	// insert waits until the inserting client may notify again (once per 20 ms cooldown, counted
	// by River from inside the previous insert, so from its return on, with a wide margin).
	insert, started := riverPair(t, store.Options{}, time.Hour)
	var last time.Time
	for n := 1; n <= 2; n++ {
		for time.Since(last) <= 200*time.Millisecond {
			time.Sleep(10 * time.Millisecond) // the inserting client's notification window may still be open
		}
		insert(n)
		last = time.Now()
		select {
		case got := <-started:
			if got != n {
				t.Fatalf("started job %d, want %d", got, n)
			}
		case <-time.After(time.Minute):
			t.Fatalf("job %d did not start within a minute although the worker was idle", n)
		}
	}
}

// BenchmarkJobStartLatency measures how long a job committed by one process waits before a worker
// of another (idle) process starts it, with River polling as the sync engine configures it (every
// 100 ms, cooldown 20 ms) and with LISTEN/NOTIFY:
//
//	go test ./internal/store -run '^$' -bench JobStartLatency -benchtime 100x
//
// Inserts are spread at random over the poll interval, as an API's are.
func BenchmarkJobStartLatency(b *testing.B) {
	if os.Getenv(pgtest.EnvURL) == "" {
		b.Skip(pgtest.EnvURL + " is unset")
	}
	for _, c := range []struct {
		name string
		opts store.Options
	}{{"poll", store.Options{PostgresPollOnly: true}}, {"listen", store.Options{}}} {
		b.Run(c.name, func(b *testing.B) {
			insert, started := riverPair(b, c.opts, 100*time.Millisecond)
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				time.Sleep(time.Duration(rand.Int64N(int64(100 * time.Millisecond))))
				t := time.Now()
				insert(i)
				<-started
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
