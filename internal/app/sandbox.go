package app

import (
	"context"
	"net/http"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/sandbox"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
	xerosandbox "github.com/booksync/booksync/internal/sandbox/xero"
	"github.com/booksync/booksync/internal/store"
)

// mountSandboxes builds the built-in sandboxes of the platforms that have no real credentials,
// behind one login (/sandbox/login) that admits booksync's partners, unless another process
// serves them (cfg.SandboxURL).
func (a *App) mountSandboxes(ctx context.Context, mux *http.ServeMux, cfg Config) error {
	if cfg.SandboxURL != "" {
		return nil // another process serves them
	}
	gate := sandbox.NewGate(sandbox.GateOptions{
		BaseURL:  cfg.PublicURL + "/sandbox",
		Partners: sandboxPartners{api: a.API, store: a.Store},
		Secret:   cfg.SecretKey,
		Faults:   cfg.SandboxFaults,
		Store:    a.Store,
	})
	var links []sandbox.Link
	var err error
	if cfg.XeroClientID == "" {
		a.XeroSandbox, err = xerosandbox.New(ctx, sandbox.Options{BaseURL: cfg.PublicURL + "/sandbox/xero", Store: a.Store,
			Limits: cfg.SandboxLimits, TimeScale: cfg.TimeScale, Gate: gate})
		if err != nil {
			return err
		}
		mux.Handle("/sandbox/xero/", http.StripPrefix("/sandbox/xero", a.XeroSandbox.Handler()))
		links = append(links, sandbox.Link{Name: "Xero organisations", URL: cfg.PublicURL + "/sandbox/xero/orgs"})
	}
	if cfg.QuickBooksClientID == "" {
		a.QuickBooksSandbox, err = qbsandbox.New(ctx, sandbox.Options{BaseURL: cfg.PublicURL + "/sandbox/quickbooks", Store: a.Store,
			Limits: cfg.SandboxLimits, TimeScale: cfg.TimeScale, Gate: gate})
		if err != nil {
			return err
		}
		mux.Handle("/sandbox/quickbooks/", http.StripPrefix("/sandbox/quickbooks", a.QuickBooksSandbox.Handler()))
		links = append(links, sandbox.Link{Name: "QuickBooks Online companies", URL: cfg.PublicURL + "/sandbox/quickbooks/companies"})
	}
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", gate.Handler(links...)))
	return nil
}

// sandboxPartners lets the sandboxes' Gate check a partner's API credentials as the API checks
// them, and find the organisations its entities connected.
type sandboxPartners struct {
	api   *api.Server
	store *store.Store
}

// sandboxPlatforms maps a sandbox's namespace to the platform its connections are stored under.
var sandboxPlatforms = map[string]string{
	xerosandbox.Namespace: booksync.PlatformXero,
	qbsandbox.Namespace:   booksync.PlatformQuickBooksOnline,
}

func (p sandboxPartners) Login(ctx context.Context, clientID, clientSecret string) (string, error) {
	return unauthenticated(p.api.PartnerByCredentials(ctx, clientID, clientSecret))
}

func (p sandboxPartners) Bearer(ctx context.Context, token string) (string, error) {
	return unauthenticated(p.api.PartnerByToken(ctx, token))
}

func (p sandboxPartners) Tenants(ctx context.Context, partnerID, namespace string) ([]string, error) {
	platform, ok := sandboxPlatforms[namespace]
	if !ok {
		return nil, nil
	}
	return p.store.PartnerTenants(ctx, partnerID, platform)
}

// Credential is the partner's stored secret hash, which changes with the secret, so that a new
// secret ends the sandbox sessions opened with the old one.
func (p sandboxPartners) Credential(ctx context.Context, partnerID string) ([]byte, error) {
	hash, err := p.store.PartnerSecretHash(ctx, partnerID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, sandbox.ErrUnauthenticated
	}
	return hash, err
}

// unauthenticated turns the API's EUNAUTHORIZED into the sandbox's ErrUnauthenticated.
func unauthenticated(partnerID string, err error) (string, error) {
	if booksync.ErrorCode(err) == booksync.EUNAUTHORIZED {
		return "", sandbox.ErrUnauthenticated
	}
	return partnerID, err
}
