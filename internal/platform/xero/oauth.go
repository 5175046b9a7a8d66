package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// Xero's production endpoints. Tests and booksync's sandbox pass their own URLs instead.
const (
	// ProductionAuthURL is where the user grants booksync access.
	ProductionAuthURL = "https://login.xero.com/identity/connect/authorize"
	// ProductionTokenURL exchanges codes and refresh tokens for access tokens.
	ProductionTokenURL = "https://identity.xero.com/connect/token"
	// ProductionConnectionsURL lists the organisations (tenants) a token may access.
	ProductionConnectionsURL = "https://api.xero.com/connections"
	// ProductionAPIURL is the base URL of the Accounting API.
	ProductionAPIURL = "https://api.xero.com/api.xro/2.0"
)

// Scopes are the OAuth scopes booksync asks for: offline_access for a refresh token, and the
// accounting scopes for invoices and payments (transactions), customers (contacts), and tax rates,
// accounts and items (settings).
var Scopes = []string{
	"openid", "profile", "email", "offline_access",
	"accounting.transactions", "accounting.contacts", "accounting.settings",
}

// Endpoint returns the OAuth endpoint for Xero's (or a sandbox's) URLs. Xero takes the client
// credentials in the Authorization header; saying so saves oauth2 from probing both styles.
func Endpoint(authURL, tokenURL string) oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
}

// Tenant is an organisation a connection may access.
type Tenant struct {
	ID   string // the tenant id, sent as the xero-tenant-id header
	Name string
	Type string // ORGANISATION for accounting tenants
}

// Tenants lists the tenants the token of httpClient may access (GET connectionsURL). Failures are
// classified like every other call.
func Tenants(ctx context.Context, httpClient *http.Client, connectionsURL string) ([]Tenant, error) {
	c := New(Config{HTTPClient: httpClient})
	resp, err := c.send(ctx, request{method: http.MethodGet, url: connectionsURL})
	if err != nil {
		return nil, err
	}
	if perr := classifyStatus(resp, false); perr != nil {
		return nil, perr
	}
	var conns []struct {
		TenantID   string `json:"tenantId"`
		TenantType string `json:"tenantType"`
		TenantName string `json:"tenantName"`
	}
	if err := json.Unmarshal(resp.body, &conns); err != nil {
		return nil, unexpected(fmt.Errorf("decoding connections: %w", err), false)
	}
	out := make([]Tenant, 0, len(conns))
	for _, t := range conns {
		out = append(out, Tenant{ID: t.TenantID, Name: t.TenantName, Type: t.TenantType})
	}
	return out, nil
}
