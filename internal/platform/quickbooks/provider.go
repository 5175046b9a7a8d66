package quickbooks

import (
	"context"
	"net/http"
	"net/url"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"golang.org/x/oauth2"
)

// Production are QuickBooks Online's own endpoints. APIURL is the API host, to which a client
// appends /v3/company/{realm}/...
var Production = platform.Endpoints{AuthURL: ProductionAuthURL, TokenURL: ProductionTokenURL, APIURL: ProductionBaseURL}

// itemCodeMax is the longest product reference booksync sends as an item's Sku. QuickBooks takes
// 100 characters, but booksync has always given QuickBooks the codes it gives Xero (at most 30),
// and a product's code must not change once its item is in the books.
const itemCodeMax = 30

// NewProvider returns the QuickBooks Online provider for booksync's app (clientID, clientSecret)
// at ep: Production, or the endpoints of booksync's sandbox of QuickBooks. Calls to each company
// spend a budget of limits (Limits, or none for a sandbox that does not enforce them).
// QuickBooks names the company a grant is for in the OAuth callback (realmId); the provider reads
// that company with the new grant before it is connected.
func NewProvider(clientID, clientSecret string, ep platform.Endpoints, limits platform.Limits) *platform.Provider {
	return &platform.Provider{
		Platform: booksync.PlatformQuickBooksOnline,
		Name:     "QuickBooks",
		OAuth: oauth2.Config{ClientID: clientID, ClientSecret: clientSecret,
			Endpoint: Endpoint(ep.AuthURL, ep.TokenURL), Scopes: Scopes},
		CountryParam: ep.CountryParam,
		Limits:       limits,
		ItemCodeMax:  itemCodeMax,
		// The invoice's TxnTaxDetail carries booksync's tax per rate (TotalTax under automated
		// sales tax), which QuickBooks books as an override of its own figures.
		TaxAsSent: true,
		Tenants: func(ctx context.Context, client *http.Client, callback url.Values) ([]platform.Tenant, error) {
			return grantCompany(ctx, New(Config{BaseURL: ep.APIURL, RealmID: callback.Get("realmId"), HTTPClient: client}))
		},
		Connector: func(client *http.Client, tenantID string, budget *platform.Budget) platform.Connector {
			return New(Config{BaseURL: ep.APIURL, RealmID: tenantID, HTTPClient: client, Budget: budget})
		},
	}
}

// grantCompany is the company a new grant is for: the one the callback named (c's realm), read with the
// grant's token. The realmId came back through the user's browser, which could have changed it,
// so a connection never names a company its grant cannot reach (the sandboxes show a partner the
// companies its connections name).
func grantCompany(ctx context.Context, c *Client) ([]platform.Tenant, error) {
	realm := c.cfg.RealmID
	if realm == "" {
		return nil, &platform.Error{Class: platform.NeedsUserAction, Code: "realm_missing",
			Message: "QuickBooks did not say which company was connected (no realmId); connect again"}
	}
	org, err := c.Org(ctx)
	switch platform.ClassOf(err) {
	case "":
	case platform.Auth, platform.NeedsUserAction:
		return nil, booksync.Errorf(booksync.EINVALID,
			"QuickBooks did not let this authorization read company %s (%v); open the connection_url again.", realm, err)
	default:
		// An outage or a rate limit says nothing about the company: the caller sees it as it is.
		return nil, err
	}
	return []platform.Tenant{{ID: realm, Name: org.Name}}, nil
}
