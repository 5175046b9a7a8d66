package platform

import (
	"context"
	"net/http"
	"net/url"

	"github.com/booksync/booksync"
	"golang.org/x/oauth2"
)

// Provider is one accounting system as the sync engine uses it: how to authorize, how to find the
// organisation a grant gives access to, how to talk to its API, and the system's own rules. Each
// system's package builds its provider (xero.NewProvider, quickbooks.NewProvider,
// gnucash.NewProvider) and the application registers them with the engine, which knows no system
// by name.
type Provider struct {
	// Platform is the name connections use ("xero").
	Platform string
	// Name is how messages name the system ("Xero").
	Name string
	// OAuth is the app's OAuth configuration (without RedirectURL, which the engine sets).
	OAuth oauth2.Config
	// Limits are the system's per-organisation API limits, spent through a Budget per connection.
	Limits Limits
	// Tenants lists the organisations an authorized client can reach; the last one is connected.
	// callback holds the query of the OAuth callback, where some systems name the organisation
	// (QuickBooks' realmId).
	Tenants func(ctx context.Context, client *http.Client, callback url.Values) ([]Tenant, error)
	// CountryParam is Endpoints.CountryParam: the authorization URL's parameter for the
	// connecting entity's country, or "".
	CountryParam string
	// Connector returns a connector for one organisation.
	Connector func(client *http.Client, tenantID string, budget *Budget) Connector
	// QuantityDecimals is how many decimals of a quantity the system keeps (0: any number).
	QuantityDecimals int
	// ItemCodeMax is the longest item code, in bytes, booksync gives the system: a product's
	// external reference up to that length is its code, a longer one gives way to a code of that
	// length at most derived from the product's id. 0: any length.
	ItemCodeMax int
	// TaxAsSent reports that the system books the tax amounts booksync sends, whatever the
	// rates (Xero's line TaxAmount, QuickBooks' TxnTaxDetail). A system that computes tax from
	// the rate itself (GnuCash) gets no line whose accounting_tax_rate_id differs from its rate.
	TaxAsSent bool
	// Local, when set, makes the provider one that needs no OAuth (books on this machine, such as
	// GnuCash files): connecting is immediate, and Local opens the connection's books. The
	// returned close function releases them.
	Local func(conn *booksync.Connection, entity *booksync.Entity) (cx Connector, close func() error, err error)
}

// Tenant is an organisation a grant gives access to.
type Tenant struct {
	ID, Name string
}

// Endpoints are the URLs of an accounting system's OAuth server and API: the system's own (each
// system's package exports them) or those of booksync's built-in sandbox of it (the sandbox's
// package gives them for the URL it is served at).
type Endpoints struct {
	// AuthURL is where the user grants booksync access.
	AuthURL string
	// TokenURL exchanges codes and refresh tokens for access tokens.
	TokenURL string
	// APIURL is the base URL of the accounting API.
	APIURL string
	// ConnectionsURL lists the organisations a token may access, for systems that list them
	// (Xero); empty for those whose OAuth callback names the organisation.
	ConnectionsURL string
	// CountryParam, when set, is the authorization URL's query parameter that carries the
	// connecting entity's country (the built-in sandboxes' "country", which defaults the country
	// of the organisation their consent creates); empty for the systems themselves.
	CountryParam string
}
