package xero

import (
	"strings"

	"github.com/booksync/booksync/internal/platform"
)

// Endpoints are the OAuth and API endpoints of the sandbox served at baseURL (its
// sandbox.Options.BaseURL), as booksync's Xero provider takes them.
func Endpoints(baseURL string) platform.Endpoints {
	base := strings.TrimRight(baseURL, "/")
	return platform.Endpoints{CountryParam: "country", AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token",
		APIURL: base + "/api.xro/2.0", ConnectionsURL: base + "/connections"}
}
