package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is booksync's configuration: each field has a flag and an environment variable, and the
// flag wins when both are given.
type Config struct {
	Addr         string // BOOKSYNC_ADDR
	DB           string // BOOKSYNC_DB: a SQLite file path or a postgres:// URL
	PublicURL    string // BOOKSYNC_PUBLIC_URL
	ClientID     string // BOOKSYNC_CLIENT_ID
	ClientSecret string // BOOKSYNC_CLIENT_SECRET
	SecretKey    string // BOOKSYNC_SECRET_KEY: 64 hex characters
	// XeroClientID and XeroClientSecret (BOOKSYNC_XERO_CLIENT_ID/_SECRET) select Xero itself;
	// unset means connections use the built-in Xero sandbox.
	XeroClientID, XeroClientSecret string
	// QuickBooksClientID and QuickBooksClientSecret (BOOKSYNC_QUICKBOOKS_CLIENT_ID/_SECRET)
	// select QuickBooks Online itself; unset means the built-in QuickBooks sandbox.
	QuickBooksClientID, QuickBooksClientSecret string
	// Operators (BOOKSYNC_OPERATORS, comma-separated client ids) may see the queue in the
	// dashboard, which holds every tenant's jobs; unset means BOOKSYNC_CLIENT_ID when set, else
	// the partner created first.
	Operators []string
	// GnuCashDir (BOOKSYNC_GNUCASH_DIR) holds the entities' GnuCash books.
	GnuCashDir string
	// SandboxURL (BOOKSYNC_SANDBOX_URL) is the public URL of another booksync process whose
	// built-in sandboxes this one's connections use; this process then serves none.
	SandboxURL string
	// SandboxLimits (BOOKSYNC_SANDBOX_LIMITS) makes the sandboxes enforce the platforms' rate limits.
	SandboxLimits bool
	// SandboxFaults (BOOKSYNC_SANDBOX_FAULTS) lets logged-in partners inject faults into their
	// sandbox organisations, for tests and demos of failure handling.
	SandboxFaults bool
	// WebhooksPrivate (BOOKSYNC_WEBHOOKS_PRIVATE) lets webhook subscriptions name localhost and
	// private addresses, for receivers on the same machine or network; off, only public ones.
	WebhooksPrivate bool
	// TimeScale (BOOKSYNC_TIME_SCALE) compresses rate-limit windows, for demos and benchmarks.
	TimeScale float64
	// Workers (BOOKSYNC_WORKERS) is how many sync jobs run at once in this process; 0 (serve
	// only) runs none, leaving them to `booksync worker` processes on the same PostgreSQL database.
	Workers int
	// JobTimeout (BOOKSYNC_JOB_TIMEOUT) bounds one run of a sync job; the job of a killed process
	// is rescued once it has passed.
	JobTimeout time.Duration
}

// IsPostgres reports whether the database is PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func parseConfig(cmd string, args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("BOOKSYNC_ADDR", ":8080"), "listen address (BOOKSYNC_ADDR)")
	fs.StringVar(&c.DB, "db", env("BOOKSYNC_DB", "booksync.db"), "SQLite file path or postgres:// URL (BOOKSYNC_DB)")
	fs.StringVar(&c.PublicURL, "public-url", env("BOOKSYNC_PUBLIC_URL", ""), "base URL of OAuth redirects and sandbox links (BOOKSYNC_PUBLIC_URL; default from -addr)")
	fs.StringVar(&c.ClientID, "client-id", env("BOOKSYNC_CLIENT_ID", ""), "partner API client id to ensure at start-up (BOOKSYNC_CLIENT_ID)")
	fs.StringVar(&c.ClientSecret, "client-secret", env("BOOKSYNC_CLIENT_SECRET", ""), "its secret (BOOKSYNC_CLIENT_SECRET)")
	fs.StringVar(&c.SecretKey, "secret-key", env("BOOKSYNC_SECRET_KEY", ""), "64 hex characters that encrypt platform tokens at rest (BOOKSYNC_SECRET_KEY; generated beside a SQLite db, required with PostgreSQL)")
	fs.StringVar(&c.XeroClientID, "xero-client-id", env("BOOKSYNC_XERO_CLIENT_ID", ""), "Xero app client id; unset uses the built-in Xero sandbox (BOOKSYNC_XERO_CLIENT_ID)")
	fs.StringVar(&c.XeroClientSecret, "xero-client-secret", env("BOOKSYNC_XERO_CLIENT_SECRET", ""), "Xero app client secret (BOOKSYNC_XERO_CLIENT_SECRET)")
	fs.StringVar(&c.QuickBooksClientID, "quickbooks-client-id", env("BOOKSYNC_QUICKBOOKS_CLIENT_ID", ""), "QuickBooks Online app client id; unset uses the built-in QuickBooks sandbox (BOOKSYNC_QUICKBOOKS_CLIENT_ID)")
	fs.StringVar(&c.QuickBooksClientSecret, "quickbooks-client-secret", env("BOOKSYNC_QUICKBOOKS_CLIENT_SECRET", ""), "QuickBooks Online app client secret (BOOKSYNC_QUICKBOOKS_CLIENT_SECRET)")
	operators := fs.String("operators", env("BOOKSYNC_OPERATORS", ""), "comma-separated partner client ids that see the queue (River UI) in the dashboard (BOOKSYNC_OPERATORS; default: BOOKSYNC_CLIENT_ID, else the partner created first)")
	fs.StringVar(&c.GnuCashDir, "gnucash-dir", env("BOOKSYNC_GNUCASH_DIR", ""), "folder of the entities' GnuCash books (BOOKSYNC_GNUCASH_DIR; default: gnucash/ beside a SQLite database)")
	fs.StringVar(&c.SandboxURL, "sandbox-url", env("BOOKSYNC_SANDBOX_URL", ""), "use the built-in sandboxes of the booksync process at this public URL and serve none here (BOOKSYNC_SANDBOX_URL)")
	fs.BoolVar(&c.SandboxLimits, "sandbox-limits", env("BOOKSYNC_SANDBOX_LIMITS", "") == "1" || env("BOOKSYNC_SANDBOX_LIMITS", "") == "true", "make the built-in sandboxes enforce the platforms' rate limits (BOOKSYNC_SANDBOX_LIMITS)")
	fs.BoolVar(&c.WebhooksPrivate, "webhooks-private", env("BOOKSYNC_WEBHOOKS_PRIVATE", "") == "1" || env("BOOKSYNC_WEBHOOKS_PRIVATE", "") == "true", "let webhook subscriptions name localhost and private addresses (BOOKSYNC_WEBHOOKS_PRIVATE)")
	fs.BoolVar(&c.SandboxFaults, "sandbox-faults", env("BOOKSYNC_SANDBOX_FAULTS", "") == "1" || env("BOOKSYNC_SANDBOX_FAULTS", "") == "true", "let logged-in partners inject faults into their sandbox organisations (BOOKSYNC_SANDBOX_FAULTS)")
	scale := fs.Float64("time-scale", envFloat("BOOKSYNC_TIME_SCALE", 1), "compress rate-limit windows by this factor, for demos and benchmarks (BOOKSYNC_TIME_SCALE)")
	workers := fs.Int("workers", envInt("BOOKSYNC_WORKERS", 10), "sync jobs run at once by this process; 0 for serve only queues them, for worker processes or a later serve to run (BOOKSYNC_WORKERS)")
	jobTimeout := fs.Duration("job-timeout", envDuration("BOOKSYNC_JOB_TIMEOUT", 2*time.Minute), "longest run of one sync job; on PostgreSQL a killed process's jobs resume once it has passed, on SQLite at restart (BOOKSYNC_JOB_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c.TimeScale, c.Workers, c.JobTimeout = *scale, *workers, *jobTimeout
	for _, id := range strings.Split(*operators, ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.Operators = append(c.Operators, strings.ToLower(id))
		}
	}
	if len(c.Operators) == 0 && c.ClientID != "" {
		c.Operators = []string{strings.ToLower(c.ClientID)}
	}
	if c.JobTimeout < time.Second {
		return c, errors.New("BOOKSYNC_JOB_TIMEOUT must be at least 1s")
	}
	if c.Workers < 0 || c.Workers == 0 && cmd != "serve" {
		return c, errors.New("BOOKSYNC_WORKERS must be at least 1 (0 for serve: the API only queues the sync jobs, worker processes run them)")
	}
	if (c.QuickBooksClientID == "") != (c.QuickBooksClientSecret == "") {
		return c, errors.New("BOOKSYNC_QUICKBOOKS_CLIENT_ID and BOOKSYNC_QUICKBOOKS_CLIENT_SECRET go together: set both or neither")
	}
	if (c.XeroClientID == "") != (c.XeroClientSecret == "") {
		return c, errors.New("BOOKSYNC_XERO_CLIENT_ID and BOOKSYNC_XERO_CLIENT_SECRET go together: set both or neither")
	}
	if c.PublicURL == "" {
		c.PublicURL = publicURLFromAddr(c.Addr)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.SandboxURL = strings.TrimRight(c.SandboxURL, "/")
	if (c.ClientID == "") != (c.ClientSecret == "") {
		return c, errors.New("BOOKSYNC_CLIENT_ID and BOOKSYNC_CLIENT_SECRET go together: set both or neither")
	}
	if c.SecretKey != "" {
		if b, err := hex.DecodeString(c.SecretKey); err != nil || len(b) != 32 {
			return c, errors.New("BOOKSYNC_SECRET_KEY must be 32 bytes written as 64 hex characters (try: openssl rand -hex 32)")
		}
	}
	return c, nil
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(env(name, ""), 64); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(name, "")); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(env(name, "")); err == nil {
		return v
	}
	return def
}

// publicURLFromAddr derives the URL a browser on this machine reaches the listener at.
func publicURLFromAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
