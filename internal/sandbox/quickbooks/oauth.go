package quickbooks

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// Token lifetimes as Intuit documents them.
const (
	accessTokenTTL  = time.Hour
	refreshTokenTTL = 8726400 * time.Second // 101 days, x_refresh_token_expires_in
	// refreshGrace is how long a rotated refresh token keeps working.
	refreshGrace = 24 * time.Hour
	codeTTL      = 5 * time.Minute
	scopeAcct    = "com.intuit.quickbooks.accounting"
)

// consent is the consent page's wording, with the choice of the company's country.
var consent = sandbox.Consent{
	Product: "QuickBooks", Verb: "connect", Accent: "#2ca01c", Allow: "Connect",
	Intro: `<p><strong>{{.Client}}</strong> wants to connect to a QuickBooks Online company.</p>
<p>Connecting creates a new sandbox company in the country chosen below, seeded with its home
currency, a chart of accounts, that country's tax codes (automated sales tax in the US) and a
"Services" item, and gives the app access to it.</p>`,
	Fields: sandbox.CountryField,
}

// oauthConfig is Intuit's OAuth 2 service: a company chosen on the consent page, its realmId in
// the redirect, a refresh token with every access token, bare error codes and a revocation
// endpoint that takes JSON.
func (s *Sandbox) oauthConfig() sandbox.OAuthConfig {
	return sandbox.OAuthConfig{
		AccessTTL: accessTokenTTL, RefreshTTL: refreshTokenTTL, RefreshGrace: refreshGrace, CodeTTL: codeTTL,
		AuthorizeURL: s.AuthURL(),
		Consent:      consent,
		CheckScope: func(scope string) string {
			if !slices.Contains(strings.Fields(scope), scopeAcct) {
				return "invalid_scope: scope must include " + scopeAcct
			}
			return ""
		},
		Connect:  s.connect,
		OrgParam: "realmId",
		TokenResponse: func(t sandbox.Tokens) any {
			return tokenResponse{TokenType: "bearer", AccessToken: t.Access, ExpiresIn: t.AccessTTL,
				RefreshToken: t.Refresh, XRefreshTokenExpiresIn: t.RefreshTTL}
		},
		RevokeJSON: true,
	}
}

// connect creates the company a consent connects, in the country the consent page chose (the
// authorization URL's country parameter, else GB, when none); the form field company=uk|us
// chooses GB or US as it did before companies had other countries. Callers hold the lock.
func (s *Sandbox) connect(r *http.Request, n int, now time.Time) (realmID, problem string) {
	fallback := "GB"
	switch r.PostForm.Get("company") {
	case "":
	case "uk":
	case "us":
		fallback = "US"
	default:
		return "", "invalid_request: company must be uk or us"
	}
	co, problem := sandbox.ConsentCountry(r, fallback)
	if problem != "" {
		return "", problem
	}
	if r.PostForm.Get("company") != "" && r.PostForm.Get("country") == "" {
		co, _ = sandbox.CountryByCode(fallback) // company= outranks the URL's suggestion
	}
	c := newCompany(n, co, now)
	s.companies[c.meta.RealmID] = c
	s.saveMeta(c)
	for _, it := range c.items {
		s.saveObj(c, "item", it.ID, it)
	}
	return c.meta.RealmID, ""
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	TokenType              string `json:"token_type"`
	AccessToken            string `json:"access_token"`
	ExpiresIn              int    `json:"expires_in"`
	RefreshToken           string `json:"refresh_token"`
	XRefreshTokenExpiresIn int    `json:"x_refresh_token_expires_in"`
}

// bearerGrant resolves the request's access token; callers hold the lock.
// detail says why the token is not usable.
func (s *Sandbox) bearerGrant(r *http.Request) (g *sandbox.Grant, detail string) {
	b := s.srv.Bearer(r)
	switch b.Problem {
	case sandbox.TokenUsable:
		return b.Grant, ""
	case sandbox.TokenMissing:
		return nil, "Authorization header is missing or not a Bearer token"
	case sandbox.TokenExpired:
		return nil, "Token expired: " + b.Token[:8] + "..."
	}
	return nil, "Token revoked or invalid"
}
