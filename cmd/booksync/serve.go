package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/webhooks"
	"github.com/google/uuid"
)

// shutdownGrace is how long in-flight requests and running sync jobs get to finish after SIGTERM
// or SIGINT.
const shutdownGrace = 20 * time.Second

func migrate(ctx context.Context, cfg Config, stdout io.Writer) error {
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "booksync: %s database %s is up to date\n", st.Dialect(), redactDSN(cfg.DB))
	return nil
}

// appConfig is the configuration of the app that serve and worker processes build.
func appConfig(cfg Config, logger *slog.Logger, workers int) (app.Config, error) {
	key, err := secretKey(cfg)
	if err != nil {
		return app.Config{}, err
	}
	return app.Config{DB: cfg.DB, PublicURL: cfg.PublicURL, SecretKey: key,
		XeroClientID: cfg.XeroClientID, XeroClientSecret: cfg.XeroClientSecret,
		QuickBooksClientID: cfg.QuickBooksClientID, QuickBooksClientSecret: cfg.QuickBooksClientSecret,
		GnuCashDir: cfg.GnuCashDir, SandboxURL: cfg.SandboxURL, Operators: cfg.Operators,
		SandboxLimits: cfg.SandboxLimits, SandboxFaults: cfg.SandboxFaults, TimeScale: cfg.TimeScale, Workers: workers, JobTimeout: cfg.JobTimeout, Logger: logger,
		Webhooks: webhooks.Config{AllowPrivate: cfg.WebhooksPrivate}}, nil
}

func serve(ctx context.Context, cfg Config, stdout io.Writer, logger *slog.Logger) error {
	workers := cfg.Workers
	if workers == 0 {
		// The API only queues the sync jobs; `booksync worker` processes run them.
		workers = -1
	}
	acfg, err := appConfig(cfg, logger, workers)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, acfg)
	if err != nil {
		return err
	}
	if err := ensureClient(ctx, a.Store, cfg, stdout); err != nil {
		a.Close(time.Second)
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.Close(time.Second)
		return err
	}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		a.Close(time.Second)
		return err
	}
	hs := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	fmt.Fprintf(stdout, "booksync: serving the API on %s (%s, %s database %s)\n", cfg.PublicURL, ln.Addr(), a.Store.Dialect(), redactDSN(cfg.DB))
	fmt.Fprintf(stdout, "booksync: API reference at %s/docs; get a token with POST %s/auth/token\n", cfg.PublicURL, cfg.PublicURL)
	if a.XeroSandbox != nil {
		fmt.Fprintf(stdout, "booksync: Xero connections use the built-in sandbox at %s/sandbox/xero/orgs\n", cfg.PublicURL)
	}
	if a.QuickBooksSandbox != nil {
		fmt.Fprintf(stdout, "booksync: QuickBooks connections use the built-in sandbox at %s/sandbox/quickbooks/companies\n", cfg.PublicURL)
	}
	if a.XeroSandbox != nil || a.QuickBooksSandbox != nil {
		fmt.Fprintf(stdout, "booksync: log in to the sandbox pages at %s/sandbox/login with a partner's client_id and client_secret\n", cfg.PublicURL)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		a.Close(time.Second)
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight requests finish (each writes in its own transaction, so
	// nothing is left half-written), let running sync jobs finish, then close the database.
	logger.Info("shutting down", slog.Duration("grace", shutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		a.Close(time.Second)
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.Close(time.Second)
		return err
	}
	return a.Close(shutdownGrace)
}

// work runs sync workers only, next to one or more `serve` processes sharing a PostgreSQL database.
func work(ctx context.Context, cfg Config, stdout io.Writer, logger *slog.Logger) error {
	if !cfg.IsPostgres() {
		return errors.New("booksync worker needs PostgreSQL (BOOKSYNC_DB=postgres://...): a SQLite file belongs to one booksync serve process")
	}
	acfg, err := appConfig(cfg, logger, cfg.Workers)
	if err != nil {
		return err
	}
	// A worker serves no HTTP: it builds the engine alone, without the API and its validator.
	a, err := app.NewWorker(ctx, acfg)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		a.Close(time.Second)
		return err
	}
	fmt.Fprintf(stdout, "booksync: worker running %d sync jobs at once on %s\n", cfg.Workers, redactDSN(cfg.DB))
	<-ctx.Done()
	return a.Close(shutdownGrace)
}

// ensureClient makes sure a partner API client exists: the configured one, or, when none is
// configured and the database has none, a new one whose credentials are printed once.
func ensureClient(ctx context.Context, st *store.Store, cfg Config, stdout io.Writer) error {
	if cfg.ClientID != "" {
		if _, err := uuid.Parse(cfg.ClientID); err != nil {
			return fmt.Errorf("BOOKSYNC_CLIENT_ID must be a UUID, as Monite's client ids are: %w", err)
		}
		// CreatePartner replaces the secret of an existing client, so a changed secret takes effect.
		return st.CreatePartner(ctx, booksync.Partner{ID: strings.ToLower(cfg.ClientID), Name: "configured", CreatedAt: time.Now().UTC()}, api.HashSecret(cfg.ClientSecret))
	}
	n, err := st.CountPartners(ctx)
	if err != nil || n > 0 {
		return err
	}
	id := uuid.NewString()
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	secret := hex.EncodeToString(raw)
	if err := st.CreatePartner(ctx, booksync.Partner{ID: id, Name: "first", CreatedAt: time.Now().UTC()}, api.HashSecret(secret)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `booksync: created a partner API client (shown only this once; set BOOKSYNC_CLIENT_ID/SECRET to choose your own):
  client_id=%s
  client_secret=%s
  curl -s -X POST %s/auth/token -H 'Content-Type: application/json' \
    -d '{"grant_type":"client_credentials","client_id":"%s","client_secret":"%s"}'
`, id, secret, cfg.PublicURL, id, secret)
	return nil
}

// secretKey returns the key that encrypts platform tokens at rest: BOOKSYNC_SECRET_KEY, or for a
// SQLite database a key kept in a 0600 file beside it (created on first start).
func secretKey(cfg Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		return hex.DecodeString(cfg.SecretKey)
	}
	if cfg.IsPostgres() {
		return nil, errors.New("BOOKSYNC_SECRET_KEY is required with PostgreSQL, so that every booksync process shares it (try: openssl rand -hex 32)")
	}
	path := cfg.DB + ".key"
	if b, err := os.ReadFile(path); err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("key file %s is not 64 hex characters", path)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// redactDSN hides a PostgreSQL password in logs.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}
