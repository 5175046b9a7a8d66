package app

import (
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/gnucash"
	"github.com/booksync/booksync/internal/platform/quickbooks"
	"github.com/booksync/booksync/internal/platform/xero"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
)

// The client credentials booksync presents to its built-in sandboxes, which accept any.
const sandboxClientID, sandboxClientSecret = "booksync", "booksync-sandbox-secret"

// providers registers the accounting systems connections can use, by platform name: Xero and
// QuickBooks Online themselves when their client credentials are configured, else the built-in
// sandboxes served under PUBLIC_URL/sandbox (see mountSandboxes) or another process's
// (cfg.SandboxURL), GnuCash books in
// cfg.GnuCashDir, and cfg.Providers. Calls to a sandbox spend the platform's limits only when
// the sandbox enforces them (cfg.SandboxLimits).
func providers(cfg Config) map[string]*platform.Provider {
	sandboxLimits := func(l platform.Limits) platform.Limits {
		if cfg.SandboxLimits {
			return l
		}
		return platform.Limits{}
	}
	sandboxes := cfg.PublicURL + "/sandbox"
	if cfg.SandboxURL != "" {
		sandboxes = cfg.SandboxURL + "/sandbox"
	}
	x := xero.NewProvider(cfg.XeroClientID, cfg.XeroClientSecret, xero.Production, xero.Limits)
	if cfg.XeroClientID == "" {
		x = xero.NewProvider(sandboxClientID, sandboxClientSecret, xerosandbox.Endpoints(sandboxes+"/xero"),
			sandboxLimits(xero.Limits))
	}
	qb := quickbooks.NewProvider(cfg.QuickBooksClientID, cfg.QuickBooksClientSecret, quickbooks.Production, quickbooks.Limits)
	if cfg.QuickBooksClientID == "" {
		qb = quickbooks.NewProvider(sandboxClientID, sandboxClientSecret, qbsandbox.Endpoints(sandboxes+"/quickbooks"),
			sandboxLimits(quickbooks.Limits))
	}
	out := map[string]*platform.Provider{}
	for _, p := range append([]*platform.Provider{x, qb, gnucash.NewProvider(cfg.GnuCashDir)}, cfg.Providers...) {
		out[p.Platform] = p
	}
	return out
}
