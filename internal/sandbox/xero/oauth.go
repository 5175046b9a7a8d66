package xero

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync/internal/sandbox"
)

// Token lifetimes as Xero documents them (developer.xero.com/faq/oauth2).
const (
	accessTokenTTL  = 30 * time.Minute
	refreshTokenTTL = 60 * 24 * time.Hour
	refreshGrace    = 30 * time.Minute
	codeTTL         = 5 * time.Minute
)

// consent is the consent page's wording.
var consent = sandbox.Consent{
	Product: "Xero", Verb: "authorise", Accent: "#13b5ea", Allow: "Allow access",
	Intro: `<p>booksync Xero sandbox: <strong>{{.Client}}</strong> wants access to a demo company.</p>
<p>Allowing creates a new organisation in the country chosen below, seeded with that country's
base currency, chart of accounts and tax rates, and connects it.</p>`,
	Fields: sandbox.CountryField,
}

// oauthConfig is Xero's identity service: PKCE, refresh tokens only with offline_access, and
// error descriptions.
func (s *Sandbox) oauthConfig() sandbox.OAuthConfig {
	return sandbox.OAuthConfig{
		AccessTTL: accessTokenTTL, RefreshTTL: refreshTokenTTL, RefreshGrace: refreshGrace, CodeTTL: codeTTL,
		AuthorizeURL: s.AuthURL(),
		Consent:      consent,
		CheckScope: func(scope string) string {
			if scope == "" {
				return "invalid_scope: scope is required"
			}
			return ""
		},
		PKCE: true,
		Connect: func(r *http.Request, n int, now time.Time) (string, string) {
			c, problem := sandbox.ConsentCountry(r, fallbackCountry)
			if problem != "" {
				return "", problem
			}
			o := newOrg(n, c, now)
			s.orgs[o.meta.TenantID] = o
			s.saveOrgMeta(o)
			return o.meta.TenantID, ""
		},
		// Like Xero, a refresh token is issued only with the offline_access scope.
		RefreshScope: "offline_access",
		TokenResponse: func(t sandbox.Tokens) any {
			return tokenResponse{AccessToken: t.Access, ExpiresIn: t.AccessTTL, TokenType: "Bearer", RefreshToken: t.Refresh, Scope: t.Scope}
		},
		Describe: true,
	}
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// bearerGrant resolves the request's access token; callers hold the lock.
// detail is Xero's 401 Detail when the token is not usable.
func (s *Sandbox) bearerGrant(r *http.Request) (g *sandbox.Grant, detail string) {
	b := s.srv.Bearer(r)
	switch b.Problem {
	case sandbox.TokenUsable:
		return b.Grant, ""
	case sandbox.TokenExpired:
		return nil, "TokenExpired: token expired at " + b.Expires.UTC().Format("01/02/2006 15:04:05")
	}
	return nil, "AuthenticationUnsuccessful"
}

// xeroConnection is one element of GET /connections.
type xeroConnection struct {
	ID             string `json:"id"`
	AuthEventID    string `json:"authEventId"`
	TenantID       string `json:"tenantId"`
	TenantType     string `json:"tenantType"`
	TenantName     string `json:"tenantName"`
	CreatedDateUTC string `json:"createdDateUtc"`
	UpdatedDateUTC string `json:"updatedDateUtc"`
}

func (s *Sandbox) handleConnections(w http.ResponseWriter, r *http.Request) {
	s.srv.Lock()
	defer s.srv.Unlock()
	g, detail := s.bearerGrant(r)
	if g == nil {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", detail)
		return
	}
	out := []xeroConnection{}
	for _, c := range g.Connections {
		o := s.orgs[c.OrgID]
		if o == nil {
			continue
		}
		ts := c.CreatedAt.UTC().Format("2006-01-02T15:04:05.0000000")
		out = append(out, xeroConnection{
			ID: c.ID, AuthEventID: g.ID, TenantID: c.OrgID, TenantType: "ORGANISATION",
			TenantName: o.meta.Name, CreatedDateUTC: ts, UpdatedDateUTC: ts,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDeleteConnection disconnects one organisation from the token's grant,
// as DELETE https://api.xero.com/connections/{id} does.
func (s *Sandbox) handleDeleteConnection(w http.ResponseWriter, r *http.Request) {
	s.srv.Lock()
	defer s.srv.Unlock()
	g, detail := s.bearerGrant(r)
	if g == nil {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", detail)
		return
	}
	if !s.srv.Disconnect(g, r.PathValue("id")) {
		writeProblem(w, http.StatusNotFound, "NotFound", "Connection not found")
		return
	}
	if err := s.srv.Flush(r.Context()); err != nil {
		writeProblem(w, http.StatusInternalServerError, "Internal Server Error", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeProblem writes Xero's identity-style error body
// ({"Type":null,"Title":...,"Status":...,"Detail":...}).
func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, status, map[string]any{
		"Type": nil, "Title": title, "Status": status, "Detail": detail,
		"Instance": uuid.NewString(), "Extensions": map[string]any{},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
