// Package app wires booksync together: the store, the sync engine, the invoicing service, the
// built-in sandboxes and the API, behind one http.Handler. `booksync serve` and the end-to-end
// tests both build it, so what is tested is what runs.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/dashboard"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/metrics"
	"github.com/booksync/booksync/internal/platform"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/syncer"
	"github.com/booksync/booksync/internal/webhooks"
)

// Config configures an App.
type Config struct {
	// DB is a SQLite file path or a postgres:// URL.
	DB string
	// PublicURL is where browsers and accounting systems reach this process (OAuth redirects,
	// sandbox links), without a trailing slash.
	PublicURL string
	// SecretKey (32 bytes) seals platform tokens at rest.
	SecretKey []byte
	// XeroClientID and XeroClientSecret select Xero itself; empty means the built-in sandbox.
	XeroClientID, XeroClientSecret string
	// QuickBooksClientID and QuickBooksClientSecret select QuickBooks Online itself; empty means
	// the built-in sandbox.
	QuickBooksClientID, QuickBooksClientSecret string
	// GnuCashDir is the folder of the entities' GnuCash books.
	GnuCashDir string
	// Providers are accounting systems registered beside the built-in ones (Xero, QuickBooks
	// Online, GnuCash), each under its Platform name; one with a built-in's name takes its place.
	Providers []*platform.Provider
	// SandboxURL, when set, is the PublicURL of another booksync process whose built-in sandboxes
	// the connections without real credentials use; this process then serves none of its own
	// (and keeps none of their organisations in memory).
	SandboxURL string
	// SandboxLimits makes the sandboxes enforce the platforms' rate limits.
	SandboxLimits bool
	// SandboxFaults lets a logged-in partner inject faults into its sandbox organisations
	// (POST /sandbox/<platform>/faults); off, those calls answer 403.
	SandboxFaults bool
	// TimeScale compresses rate-limit windows in the sandboxes and in booksync's budgets alike.
	TimeScale float64
	// Workers is how many sync jobs run at once (0: 10; negative: none, the API only queues them).
	Workers int
	// JobTimeout bounds one run of a sync job (0: the engine's default); a job of a killed
	// process is rescued once it has passed.
	JobTimeout time.Duration
	// Logger receives logs; nil means slog.Default().
	Logger *slog.Logger
	// Operators are the partners (client ids) who run this booksync: only they see the queue in the
	// dashboard (River UI and the job counts), which holds every tenant's jobs. Empty means the
	// partner created first (the one `booksync serve` was configured with or made at its first
	// start).
	Operators []string
	// Webhooks tunes the delivery of webhooks (timeouts, backoff, when a failing subscription is
	// disabled, the clock); its Store and SecretKey are set here.
	Webhooks webhooks.Config
}

// App is a wired booksync.
type App struct {
	Store             *store.Store
	Metrics           *metrics.Metrics
	Engine            *syncer.Engine
	Webhooks          *webhooks.Service
	Invoicing         *invoicing.Service
	API               *api.Server
	Dashboard         *dashboard.Server
	XeroSandbox       *xerosandbox.Sandbox
	QuickBooksSandbox *qbsandbox.Sandbox
	handler           http.Handler
}

// New opens the database (applying migrations) and builds every part.
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg = withDefaults(cfg)
	a, err := newEngine(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*App, error) {
		a.Store.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	a.Webhooks, err = webhooks.NewService(a.Store, cfg.SecretKey, cfg.PublicURL)
	if err != nil {
		return fail(err)
	}
	a.Webhooks.AllowPrivate = cfg.Webhooks.AllowPrivate
	a.Invoicing = invoicing.New(a.Store, a.Engine)
	a.API, err = api.NewServer(a.Store, a.Invoicing, a.Engine)
	if err != nil {
		return fail(err)
	}
	a.API.Logger = cfg.Logger
	a.API.Webhooks = a.Webhooks
	a.API.Metrics = a.Metrics
	if err := a.mountSandboxes(ctx, mux, cfg); err != nil {
		return fail(err)
	}
	if err := a.mountDashboard(mux, cfg); err != nil {
		return fail(err)
	}
	mux.Handle("GET /metrics", a.Metrics.Handler())
	mux.Handle("/", a.API)
	a.handler = mux
	return a, nil
}

// NewWorker opens the database (applying migrations) and builds what `booksync worker` runs: the
// store, the sync engine and the delivery of webhooks. A worker serves no HTTP, so it builds no API
// (whose OpenAPI validator alone costs a quarter of a second of CPU at each start), no dashboard
// and no sandboxes: its connections without real credentials reach the sandboxes that
// `booksync serve` serves at cfg.PublicURL (or cfg.SandboxURL). Its API, Dashboard, sandboxes and
// Handler are nil.
func NewWorker(ctx context.Context, cfg Config) (*App, error) {
	return newEngine(ctx, withDefaults(cfg))
}

// withDefaults fills what cfg leaves to the defaults.
func withDefaults(cfg Config) Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.GnuCashDir == "" {
		cfg.GnuCashDir = DefaultGnuCashDir(cfg.DB)
	}
	return cfg
}

// newEngine opens the store and builds the sync engine, which runs the webhooks' deliveries beside
// the sync jobs: what serve and worker processes have in common.
func newEngine(ctx context.Context, cfg Config) (*App, error) {
	st, err := store.OpenAndMigrate(ctx, cfg.DB, store.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a := &App{Store: st, Metrics: metrics.New()}
	if _, ok := st.WriterStats(); ok {
		a.Metrics.ObserveSQLiteWriter(func() metrics.WriterStats {
			s, _ := st.WriterStats()
			return metrics.WriterStats(s) // the same fields: metrics does not import the store
		})
	}
	hooksCfg := cfg.Webhooks
	hooksCfg.Store, hooksCfg.SecretKey = st, cfg.SecretKey
	if hooksCfg.Logger == nil {
		hooksCfg.Logger = cfg.Logger
	}
	deliverer, err := webhooks.NewDeliverer(hooksCfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Engine, err = syncer.New(syncer.Config{
		Store:       st,
		SecretKey:   cfg.SecretKey,
		RedirectURL: cfg.PublicURL + "/oauth/callback",
		PublicURL:   cfg.PublicURL,
		Providers:   providers(cfg),
		Workers:     cfg.Workers,
		TimeScale:   cfg.TimeScale,
		JobTimeout:  cfg.JobTimeout,
		Logger:      cfg.Logger,
		Metrics:     a.Metrics,
		Jobs:        deliverer,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// mountDashboard serves the dashboard at /dashboard/, with River UI under /dashboard/jobs/, and
// lets the OAuth callback bring a connection started there back to it.
func (a *App) mountDashboard(mux *http.ServeMux, cfg Config) error {
	dcfg := dashboard.Config{
		Store: a.Store, Accounting: a.Engine, Partners: a.API, SecretKey: cfg.SecretKey,
		SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"),
		Logger:        cfg.Logger,
		Operator:      a.operator(cfg.Operators),
	}
	jobs, err := dashboard.RiverUI(a.Store.RiverDriver(), cfg.Logger)
	if err != nil {
		dcfg.JobsUnavailable = "River UI cannot serve this database (" + err.Error() + ")."
	} else {
		dcfg.Jobs = jobs
	}
	a.Dashboard, err = dashboard.New(dcfg)
	if err != nil {
		return err
	}
	mux.Handle("/dashboard/", a.Dashboard)
	mux.Handle("GET /oauth/callback", a.Dashboard.OAuthCallback(a.API))
	return nil
}

// operator says whether a partner is one of operators, or, when none are named, the partner
// created first.
func (a *App) operator(operators []string) func(ctx context.Context, partnerID string) (bool, error) {
	named := map[string]bool{}
	for _, id := range operators {
		named[strings.ToLower(strings.TrimSpace(id))] = true
	}
	return func(ctx context.Context, partnerID string) (bool, error) {
		if len(named) > 0 {
			return named[partnerID], nil
		}
		first, err := a.Store.FirstPartnerID(ctx)
		return first != "" && first == partnerID, err
	}
}

// DefaultGnuCashDir is where GnuCash books go when not configured: a gnucash folder beside a
// SQLite database, or in the working directory with PostgreSQL.
func DefaultGnuCashDir(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return "gnucash"
	}
	return filepath.Join(filepath.Dir(db), "gnucash")
}

// Handler serves the API, the OAuth callback and the sandboxes; nil for a worker (NewWorker).
func (a *App) Handler() http.Handler { return a.handler }

// Start starts the sync workers.
func (a *App) Start(ctx context.Context) error { return a.Engine.Start(ctx) }

// Close stops the workers (letting running jobs finish for up to grace) and closes the database.
func (a *App) Close(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := a.Engine.Stop(ctx)
	if cerr := a.Store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("app: close: %w", err)
	}
	return nil
}
