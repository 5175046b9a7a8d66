package syncer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/metrics"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/secretbox"
	"github.com/booksync/booksync/internal/store"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Config configures an Engine.
type Config struct {
	Store *store.Store
	// SecretKey (32 bytes) seals platform tokens at rest.
	SecretKey []byte
	// Providers are the accounting systems connections can use, by platform name. The engine
	// knows a system only through its provider (each system's package builds one), so a new
	// system needs no change here.
	Providers map[string]*platform.Provider
	// RedirectURL is booksync's OAuth callback, PUBLIC_URL + "/oauth/callback".
	RedirectURL string
	// PublicURL is where booksync is reached (for links in connections to local books).
	PublicURL string
	// Workers is how many jobs run at once in this process (0: 10). Zero workers (Workers < 0)
	// makes an insert-only engine: it queues jobs for other processes to run.
	Workers int
	// BatchSize is how many records one push handles per round (0: 50, Xero's batch size).
	BatchSize int
	// PushRounds and PushSlice share the workers between connections: a run of a push job that
	// has pushed PushRounds rounds (0: 20) or worked for PushSlice (0: 1 s) hands its worker to
	// any job waiting for one and continues after it, so that one connection's backlog never
	// delays another connection's pushes for longer than that.
	PushRounds int
	PushSlice  time.Duration
	// TimeScale compresses rate-limit windows, to match a sandbox that does the same (0 or 1: real time).
	TimeScale float64
	// FetchCooldown is River's fetch cooldown (0: 20 ms, so that a push starts soon after an issue).
	FetchCooldown time.Duration
	// MaxAttempts is how often a push is tried before its records go to error (0: 10).
	MaxAttempts int
	// JobTimeout bounds one run of a job (0: 2 minutes). A push that has more to do after half of
	// it continues in a new run; a job whose process died is rescued once it has passed.
	JobTimeout time.Duration
	// Logger receives the engine's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Metrics counts settled records; nil counts nothing.
	Metrics *metrics.Metrics
	// Jobs adds other workers (webhook deliveries) to the engine's River client, each kind in its
	// own queue so that it delays no sync; nil adds none.
	Jobs JobSet
}

// JobSet is a set of River workers and the queues they run in, which the engine's River client
// runs beside its own.
type JobSet interface {
	Register(workers *river.Workers)
	Queues() map[string]river.QueueConfig
}

// Engine runs syncs and pushes and answers the accounting API's requests that need them.
type Engine struct {
	cfg    Config
	store  *store.Store
	box    *secretbox.Box
	river  *river.Client[*sql.Tx]
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex
	tokens map[string]*tokenSource     // by connection id: one token source, so refreshes single-flight
	budget map[string]*platform.Budget // by connection id: each organisation's own allowance
}

// New builds an engine and its River client on the store's database.
func New(cfg Config) (*Engine, error) {
	if cfg.Workers == 0 {
		cfg.Workers = 10
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 50
	}
	if cfg.PushRounds == 0 {
		cfg.PushRounds = 20
	}
	if cfg.PushSlice == 0 {
		cfg.PushSlice = time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = 2 * time.Minute
	}
	if cfg.FetchCooldown == 0 {
		cfg.FetchCooldown = 20 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	box, err := secretbox.New(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, store: cfg.Store, box: box, log: cfg.Logger, now: func() time.Time { return cfg.Now().UTC() },
		tokens: map[string]*tokenSource{}, budget: map[string]*platform.Budget{}}

	rc := &river.Config{
		Logger:        riverLogger(cfg.Logger),
		FetchCooldown: cfg.FetchCooldown,
		// Without LISTEN (SQLite, database/sql on PostgreSQL) River polls; a push should start soon
		// after the issue that queued it.
		FetchPollInterval: 100 * time.Millisecond,
		// A job whose process was killed stays running until rescued. A push hands over to a new
		// run at half of JobTimeout and its lease lasts at most JobTimeout, so a job still running
		// after JobTimeout belongs to a dead process: it is rescued then (the earliest River
		// allows; its rescuer looks every 30 s), and its push lease has lapsed by that time.
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobTimeout,
		MaxAttempts:          cfg.MaxAttempts,
	}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &pushWorker{e: e})
		river.AddWorker(workers, &syncWorker{e: e})
		river.AddWorker(workers, &sweepWorker{e: e})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if cfg.Jobs != nil {
			cfg.Jobs.Register(workers)
			for name, q := range cfg.Jobs.Queues() {
				rc.Queues[name] = q
			}
		}
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
	}
	e.river, err = river.NewClient(cfg.Store.RiverDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("syncer: river client: %w", err)
	}
	return e, nil
}

// Start starts the workers, after the store has recovered what a killed run left behind (on SQLite,
// the jobs it left running and the leases it held; see store.RecoverFromCrash), so that those jobs
// can push at once.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.Workers < 0 {
		return nil
	}
	if err := e.store.RecoverFromCrash(ctx); err != nil {
		return err
	}
	return e.river.Start(ctx)
}

// Stop stops fetching jobs and waits for running ones to finish (or ctx to end).
func (e *Engine) Stop(ctx context.Context) error {
	if e.cfg.Workers < 0 {
		return nil
	}
	return e.river.Stop(ctx)
}

// River returns the engine's River client (for the River UI and tests).
func (e *Engine) River() *river.Client[*sql.Tx] { return e.river }

// PushArgs asks for a connection's pending records to be pushed. It is unique per connection
// while queued or running; a running push ends only in a transaction that completes its job and
// sees no record queued since its last round, so a record written during a push is never stranded.
type PushArgs struct {
	ConnectionID string `json:"connection_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (PushArgs) Kind() string { return "push" }

// InsertOpts makes pushes unique per connection while queued or running.
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// SyncArgs asks for a connection to be synced: pull, then push.
type SyncArgs struct {
	ConnectionID string `json:"connection_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "sync" }

// InsertOpts makes syncs unique per connection while queued or running: the hourly sweeper and
// POST .../sync never queue a second one.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// SweepArgs runs the minute sweeper.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "sweep" }

// InsertOpts keeps one sweep queued at a time.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}, MaxAttempts: 1}
}

var activeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// QueuePushTx queues a push of the connection inside tx, unless one is queued or running already
// (a running one picks up what tx writes; see PushArgs). The application service calls it in the
// transaction that writes the records to push, so that the job commits with them or not at all.
func (e *Engine) QueuePushTx(ctx context.Context, tx *sql.Tx, connectionID string) error {
	return e.queuePush(ctx, tx, connectionID)
}

// queuePush is QueuePushTx, for the engine's own transactions.
func (e *Engine) queuePush(ctx context.Context, tx *sql.Tx, connectionID string) error {
	if _, err := e.river.InsertTx(ctx, tx, PushArgs{ConnectionID: connectionID}, nil); err != nil {
		return fmt.Errorf("syncer: queue push: %w", err)
	}
	return nil
}

// newRecord returns a new pending record of an object in the connection's books.
func (e *Engine) newRecord(conn *booksync.Connection, objectType, objectID string, updated *time.Time) *booksync.SyncedRecord {
	return booksync.NewPendingRecord(conn, objectType, objectID, updated, e.now())
}

// budgetFor returns the connection's rate budget, created on first use.
func (e *Engine) budgetFor(conn *booksync.Connection, p *platform.Provider) *platform.Budget {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.budget[conn.ID]
	if !ok {
		b = platform.NewBudget(p.Limits, e.cfg.TimeScale)
		e.budget[conn.ID] = b
	}
	return b
}

func hashState(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

func randomState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var errNotConnected = errors.New("connection is not connected")
