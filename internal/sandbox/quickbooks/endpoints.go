package quickbooks

import (
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// Endpoints are the OAuth and API endpoints of the sandbox served at baseURL (its
// sandbox.Options.BaseURL), as booksync's QuickBooks provider takes them: the API host is baseURL itself.
func Endpoints(baseURL string) platform.Endpoints {
	base := strings.TrimRight(baseURL, "/")
	return platform.Endpoints{CountryParam: "country", AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/v1/tokens/bearer", APIURL: base}
}
