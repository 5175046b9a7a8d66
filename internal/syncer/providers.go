package syncer

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/gnucash"
	"github.com/booksync/booksync/internal/platform/quickbooks"
	"github.com/booksync/booksync/internal/platform/xero"
	"golang.org/x/oauth2"
)

// Provider is one accounting system as the engine uses it: how to authorize, how to find the
// organisation a grant gives access to, and how to talk to its API.
type Provider struct {
	// Platform is the name connections use ("xero").
	Platform string
	// Name is how messages name the system ("Xero").
	Name string
	// OAuth is the app's OAuth configuration (without RedirectURL, which the engine sets).
	OAuth oauth2.Config
	// Limits are the system's per-organisation API limits, spent through a Budget per connection.
	Limits platform.Limits
	// Tenants lists the organisations an authorized client can reach; the last one is connected.
	// callback holds the query of the OAuth callback, where some systems name the organisation
	// (QuickBooks' realmId).
	Tenants func(ctx context.Context, client *http.Client, callback url.Values) ([]Tenant, error)
	// Connector returns a connector for one organisation.
	Connector func(client *http.Client, tenantID string, budget *platform.Budget) platform.Connector
	// QuantityDecimals is how many decimals of a quantity the system keeps (0: any number).
	QuantityDecimals int
	// TaxAsSent reports that the system books the tax amounts booksync sends, whatever the
	// rates (Xero's line TaxAmount, QuickBooks' TxnTaxDetail). A system that computes tax from
	// the rate itself (GnuCash) gets no line whose accounting_tax_rate_id differs from its rate.
	TaxAsSent bool
	// Local, when set, makes the provider one that needs no OAuth (books on this machine, such as
	// GnuCash files): connecting is immediate, and Local opens the connection's books. The
	// returned close function releases them.
	Local func(conn *booksync.Connection, entity *booksync.Entity) (cx platform.Connector, close func() error, err error)
}

// Tenant is an organisation a grant gives access to.
type Tenant struct {
	ID, Name string
}

// XeroProvider returns the Xero provider: Xero itself when clientID is set, else the built-in
// sandbox mounted at sandboxURL (PUBLIC_URL + "/sandbox/xero"). Calls to Xero spend Xero's
// per-organisation limits; calls to the sandbox spend them only when sandboxLimits says the
// sandbox enforces them.
func XeroProvider(clientID, clientSecret, sandboxURL string, sandboxLimits bool) *Provider {
	authURL, tokenURL := xero.ProductionAuthURL, xero.ProductionTokenURL
	connectionsURL, apiURL := xero.ProductionConnectionsURL, xero.ProductionAPIURL
	sandbox := clientID == ""
	if sandbox {
		base := strings.TrimRight(sandboxURL, "/")
		authURL, tokenURL = base+"/oauth/authorize", base+"/oauth/token"
		connectionsURL, apiURL = base+"/connections", base+"/api.xro/2.0"
		clientID, clientSecret = "booksync", "booksync-sandbox-secret"
	}
	limits := platform.XeroLimits
	if sandbox && !sandboxLimits {
		limits = platform.Limits{}
	}
	return &Provider{
		Platform: booksync.PlatformXero,
		Name:     "Xero",
		OAuth:    oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: xero.Endpoint(authURL, tokenURL), Scopes: xero.Scopes},
		Limits:   limits,
		// Xero keeps 4 decimals of a quantity.
		QuantityDecimals: 4,
		TaxAsSent:        true,
		Tenants: func(ctx context.Context, client *http.Client, _ url.Values) ([]Tenant, error) {
			ts, err := xero.Tenants(ctx, client, connectionsURL)
			if err != nil {
				return nil, err
			}
			out := make([]Tenant, len(ts))
			for i, t := range ts {
				out[i] = Tenant{ID: t.ID, Name: t.Name}
			}
			return out, nil
		},
		Connector: func(client *http.Client, tenantID string, budget *platform.Budget) platform.Connector {
			return xero.New(xero.Config{APIURL: apiURL, TenantID: tenantID, HTTPClient: client, Budget: budget})
		},
	}
}

// QuickBooksProvider returns the QuickBooks Online provider: QuickBooks itself when clientID is
// set, else the built-in sandbox mounted at sandboxURL (PUBLIC_URL + "/sandbox/quickbooks").
// QuickBooks names the company a grant is for in the callback (realmId).
func QuickBooksProvider(clientID, clientSecret, sandboxURL string, sandboxLimits bool) *Provider {
	authURL, tokenURL, baseURL := quickbooks.ProductionAuthURL, quickbooks.ProductionTokenURL, quickbooks.ProductionBaseURL
	sandbox := clientID == ""
	if sandbox {
		base := strings.TrimRight(sandboxURL, "/")
		authURL, tokenURL, baseURL = base+"/oauth2/authorize", base+"/oauth2/v1/tokens/bearer", base
		clientID, clientSecret = "booksync", "booksync-sandbox-secret"
	}
	limits := quickbooks.QuickBooksLimits
	if sandbox && !sandboxLimits {
		limits = platform.Limits{}
	}
	return &Provider{
		Platform: booksync.PlatformQuickBooksOnline,
		Name:     "QuickBooks",
		OAuth:    oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: quickbooks.Endpoint(authURL, tokenURL), Scopes: quickbooks.Scopes},
		Limits:   limits,
		// The invoice's TxnTaxDetail carries booksync's tax per rate (TotalTax under automated
		// sales tax), which QuickBooks books as an override of its own figures.
		TaxAsSent: true,
		Tenants: func(ctx context.Context, client *http.Client, callback url.Values) ([]Tenant, error) {
			realm := callback.Get("realmId")
			if realm == "" {
				return nil, &platform.Error{Class: platform.NeedsUserAction, Code: "realm_missing",
					Message: "QuickBooks did not say which company was connected (no realmId); connect again"}
			}
			// The realmId came back through the user's browser, which could have changed it: read the
			// company with the new token, so that a connection never names a company its grant
			// cannot reach (the sandboxes show a partner the companies its connections name).
			org, err := quickbooks.New(quickbooks.Config{BaseURL: baseURL, RealmID: realm, HTTPClient: client}).Org(ctx)
			switch platform.ClassOf(err) {
			case "":
			case platform.Auth, platform.NeedsUserAction:
				return nil, booksync.Errorf(booksync.EINVALID,
					"QuickBooks did not let this authorization read company %s (%v); open the connection_url again.", realm, err)
			default:
				// An outage or a rate limit says nothing about the company: the caller sees it as it is.
				return nil, err
			}
			return []Tenant{{ID: realm, Name: org.Name}}, nil
		},
		Connector: func(client *http.Client, tenantID string, budget *platform.Budget) platform.Connector {
			return quickbooks.New(quickbooks.Config{BaseURL: baseURL, RealmID: tenantID, HTTPClient: client, Budget: budget})
		},
	}
}

// GnuCashProvider returns the GnuCash provider: each entity's books are a GnuCash file (SQLite
// backend) in dir, named after the entity and created on first connect with a starter chart of
// accounts and the tax tables of the entity's country. There is nothing to authorize.
func GnuCashProvider(dir string) *Provider {
	return &Provider{
		Platform: booksync.PlatformGnuCash,
		Name:     "GnuCash",
		Local: func(conn *booksync.Connection, ent *booksync.Entity) (platform.Connector, func() error, error) {
			book, err := gnucash.Open(dir, conn.EntityID, ent.Address.Country, EntityCurrency(ent))
			if err != nil {
				return nil, nil, err
			}
			return book, book.Close, nil
		},
	}
}

// EntityCurrency is the currency an entity's books keep: the currency of its country.
func EntityCurrency(e *booksync.Entity) string {
	if c, ok := countryCurrency[e.Address.Country]; ok {
		return c
	}
	return "USD"
}

var countryCurrency = map[string]string{
	"GB": "GBP", "US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "JP": "JPY", "CH": "CHF", "SE": "SEK",
	"NO": "NOK", "DK": "DKK", "PL": "PLN", "CZ": "CZK", "KW": "KWD", "BH": "BHD", "IE": "EUR", "DE": "EUR",
	"FR": "EUR", "ES": "EUR", "IT": "EUR", "NL": "EUR", "BE": "EUR", "AT": "EUR", "PT": "EUR", "FI": "EUR",
	"GR": "EUR", "LU": "EUR", "SK": "EUR", "SI": "EUR", "EE": "EUR", "LV": "EUR", "LT": "EUR", "MT": "EUR", "CY": "EUR",
	"HR": "EUR",
}
