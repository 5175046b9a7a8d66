package xero

import (
	"context"
	"net/http"
	"net/url"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"golang.org/x/oauth2"
)

// Production are Xero's own endpoints.
var Production = platform.Endpoints{AuthURL: ProductionAuthURL, TokenURL: ProductionTokenURL,
	APIURL: ProductionAPIURL, ConnectionsURL: ProductionConnectionsURL}

// Limits are Xero's per-organisation limits.
var Limits = platform.Limits{PerMinute: 60, Concurrent: 5, PerDay: 5000}

// NewProvider returns the Xero provider for booksync's app (clientID, clientSecret) at ep:
// Production, or the endpoints of booksync's sandbox of Xero. Calls to each organisation spend a
// budget of limits (Limits, or none for a sandbox that does not enforce them). The grant's
// organisations are the connections Xero lists; a product's item code is at most Xero's 30
// characters, and quantities keep Xero's 4 decimals.
func NewProvider(clientID, clientSecret string, ep platform.Endpoints, limits platform.Limits) *platform.Provider {
	return &platform.Provider{
		Platform: booksync.PlatformXero,
		Name:     "Xero",
		OAuth: oauth2.Config{ClientID: clientID, ClientSecret: clientSecret,
			Endpoint: Endpoint(ep.AuthURL, ep.TokenURL), Scopes: Scopes},
		CountryParam:     ep.CountryParam,
		Limits:           limits,
		QuantityDecimals: 4,
		ItemCodeMax:      maxItemCode,
		TaxAsSent:        true,
		Tenants: func(ctx context.Context, client *http.Client, _ url.Values) ([]platform.Tenant, error) {
			ts, err := Tenants(ctx, client, ep.ConnectionsURL)
			if err != nil {
				return nil, err
			}
			out := make([]platform.Tenant, len(ts))
			for i, t := range ts {
				out[i] = platform.Tenant{ID: t.ID, Name: t.Name}
			}
			return out, nil
		},
		Connector: func(client *http.Client, tenantID string, budget *platform.Budget) platform.Connector {
			return New(Config{APIURL: ep.APIURL, TenantID: tenantID, HTTPClient: client, Budget: budget})
		},
	}
}
