package quickbooks

import "golang.org/x/oauth2"

// QuickBooks Online's production endpoints. Tests and booksync's sandbox pass their own URLs.
const (
	// ProductionAuthURL is where the user grants booksync access to a company.
	ProductionAuthURL = "https://appcenter.intuit.com/connect/oauth2"
	// ProductionTokenURL exchanges codes and refresh tokens for access tokens.
	ProductionTokenURL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
	// ProductionBaseURL is the Accounting API host; paths start with /v3/company/{realm}.
	ProductionBaseURL = "https://quickbooks.api.intuit.com"
)

// Scopes are the OAuth scopes booksync asks for: the accounting scope covers customers, items,
// invoices, payments, tax codes and accounts. Intuit gives a refresh token without
// offline_access.
var Scopes = []string{"com.intuit.quickbooks.accounting"}

// Endpoint returns the OAuth endpoint for Intuit's (or a sandbox's) URLs. Intuit takes the client
// credentials in the Authorization header; saying so saves oauth2 from probing both styles.
func Endpoint(authURL, tokenURL string) oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
}
