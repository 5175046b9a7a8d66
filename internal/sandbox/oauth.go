package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// OAuthConfig describes a platform's OAuth 2 authorization server: its token lifetimes and the
// wire shapes that differ between platforms. The Server answers the authorization, token and
// revocation endpoints with it; the platform routes them at its own paths.
type OAuthConfig struct {
	// Token lifetimes as the platform documents them. A refresh token stays usable for
	// RefreshGrace after its first exchange, so a client that lost the response can retry.
	AccessTTL, RefreshTTL, RefreshGrace, CodeTTL time.Duration
	// AuthorizeURL is the absolute authorization endpoint the consent form posts back to.
	AuthorizeURL string
	// Consent is what the consent page says.
	Consent Consent
	// CheckScope returns the problem with a requested scope ("invalid_scope: ..."), or "".
	CheckScope func(scope string) string
	// PKCE accepts code_challenge and code_challenge_method (S256 or plain) and checks the
	// code_verifier of the code exchange.
	PKCE bool
	// Connect creates the organisation a consent connects, numbered n (1 for the first), and
	// marks it to be saved; problem refuses the consent with 400 and creates nothing. It runs
	// under the lock.
	Connect func(r *http.Request, n int, now time.Time) (orgID, problem string)
	// OrgParam, when set, names the redirect's query parameter that carries the organisation's
	// id ("realmId").
	OrgParam string
	// RefreshScope, when set, is the scope without which no refresh token is issued
	// ("offline_access"); empty issues one with every access token.
	RefreshScope string
	// TokenResponse builds the token endpoint's success body.
	TokenResponse func(t Tokens) any
	// Describe adds error_description to the token and revocation endpoints' errors.
	Describe bool
	// RevokeJSON accepts the revocation endpoint's token as a JSON body {"token": "..."} as well
	// as a form.
	RevokeJSON bool
}

// Consent is what a platform's consent page says around the client's id ({{.Client}}) and the
// scopes it asks for.
type Consent struct {
	// Product names the platform ("Xero") in "booksync Xero sandbox".
	Product string
	// Verb says what the client asks in the title ("authorise").
	Verb string
	// Accent is the colour of the allow button.
	Accent string
	// Intro is the HTML template of what allowing does, before the scopes.
	Intro string
	// Fields is the HTML template of form fields the platform's Connect reads, before the
	// buttons (CountryField among them).
	Fields string
	// Allow labels the allow button.
	Allow string
}

// page parses the consent page, which gets Client, Scope, Action and the Countries of
// CountryField.
func (c Consent) page() *template.Template {
	return template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync ` + c.Product + ` sandbox: ` + c.Verb + ` {{.Client}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;color:#222}
button{font-size:1em;padding:.5em 1.5em;margin-right:1em}.allow{background:` + c.Accent + `;color:#fff;border:0}</style></head>
<body><h1>booksync ` + c.Product + ` sandbox</h1>
` + c.Intro + `
<p>Requested scopes: <code>{{.Scope}}</code></p>
<form method="post" action="{{.Action}}">
` + c.Fields + `<button class="allow" type="submit" name="consent" value="allow">` + c.Allow + `</button>
<button type="submit" name="consent" value="deny">Cancel</button>
</form></body></html>`))
}

// Tokens are what one exchange at the token endpoint issued.
type Tokens struct {
	Access, Refresh string // Refresh is empty when none was issued
	Scope           string
	// AccessTTL and RefreshTTL are the lifetimes, in seconds, as token responses give them.
	AccessTTL, RefreshTTL int
}

// AuthState is everything the authorization server holds, saved under the key "auth".
type AuthState struct {
	OrgCounter int                      `json:"org_counter"`
	Codes      map[string]*AuthCode     `json:"codes"`
	Grants     map[string]*Grant        `json:"grants"`
	Access     map[string]*AccessToken  `json:"access"`
	Refresh    map[string]*RefreshToken `json:"refresh"`

	// CompanyCounter is OrgCounter as the QuickBooks sandbox saved it before; fill moves it.
	CompanyCounter int `json:"company_counter,omitempty"`
}

func newAuthState() AuthState {
	a := AuthState{}
	a.fill()
	return a
}

// fill makes nil maps usable after loading an older or empty record, and moves what older
// records held in other fields.
func (a *AuthState) fill() {
	if a.Codes == nil {
		a.Codes = map[string]*AuthCode{}
	}
	if a.Grants == nil {
		a.Grants = map[string]*Grant{}
	}
	if a.Access == nil {
		a.Access = map[string]*AccessToken{}
	}
	if a.Refresh == nil {
		a.Refresh = map[string]*RefreshToken{}
	}
	a.OrgCounter, a.CompanyCounter = max(a.OrgCounter, a.CompanyCounter), 0
	for _, g := range a.Grants {
		if g.RealmID != "" && len(g.Connections) == 0 {
			g.Connections = []Connection{{ID: uuid.NewString(), OrgID: g.RealmID, CreatedAt: g.CreatedAt}}
		}
		g.RealmID = ""
	}
}

// Grant is one user consent (Xero calls it an auth event): a client's access to organisations.
type Grant struct {
	ID          string       `json:"id"`
	ClientID    string       `json:"client_id"`
	Scope       string       `json:"scope"`
	Connections []Connection `json:"connections"`
	Revoked     bool         `json:"revoked"`
	CreatedAt   time.Time    `json:"created_at"`

	// RealmID is the one company of a grant the QuickBooks sandbox saved before grants listed
	// connections; fill moves it into Connections.
	RealmID string `json:"realm_id,omitempty"`
}

// Connection is one organisation a grant reaches.
type Connection struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"tenant_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Has reports whether the grant reaches the organisation orgID.
func (g *Grant) Has(orgID string) bool {
	return slices.ContainsFunc(g.Connections, func(c Connection) bool { return c.OrgID == orgID })
}

// AuthCode is an authorization code waiting for its exchange.
type AuthCode struct {
	GrantID       string    `json:"grant_id"`
	ClientID      string    `json:"client_id"`
	RedirectURI   string    `json:"redirect_uri"`
	Challenge     string    `json:"challenge,omitempty"`
	ChallengeMeth string    `json:"challenge_method,omitempty"`
	Expires       time.Time `json:"expires"`
}

// AccessToken is an issued access token.
type AccessToken struct {
	GrantID string    `json:"grant_id"`
	Expires time.Time `json:"expires"`
}

// RefreshToken is an issued refresh token.
type RefreshToken struct {
	GrantID  string    `json:"grant_id"`
	ClientID string    `json:"client_id"`
	Expires  time.Time `json:"expires"`
	// RotatedAt is when this token was first exchanged; it stays usable until
	// RotatedAt+RefreshGrace so a client that lost the response can retry.
	RotatedAt time.Time `json:"rotated_at,omitzero"`
}

// prune drops expired codes and tokens so the saved record stays small. Expired access tokens
// are kept a day, so that a client gets the platform's "token expired" answer rather than a bare
// authentication failure.
func (a *AuthState) prune(now time.Time, grace time.Duration) {
	for k, c := range a.Codes {
		if now.After(c.Expires) {
			delete(a.Codes, k)
		}
	}
	for k, t := range a.Access {
		if now.After(t.Expires.Add(24 * time.Hour)) {
			delete(a.Access, k)
		}
	}
	for k, t := range a.Refresh {
		if now.After(t.Expires) || (!t.RotatedAt.IsZero() && now.After(t.RotatedAt.Add(grace))) {
			delete(a.Refresh, k)
		}
	}
}

// RandomToken returns an unguessable token for an authorisation code, access or refresh token.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ClientCredentials reads HTTP Basic or form client credentials from a token or revoke request
// whose form is parsed. Any id and secret pair is accepted; the id must still match the one the
// code or refresh token was issued to.
func ClientCredentials(r *http.Request) (id string, ok bool) {
	if u, p, basic := r.BasicAuth(); basic {
		return u, u != "" && p != ""
	}
	id = r.PostForm.Get("client_id")
	return id, id != "" && r.PostForm.Get("client_secret") != ""
}

// HashKey shortens an idempotency scope (its parts joined) into a Store key.
func HashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// authorizeRequest checks the query of the authorization endpoint. Errors are shown on a page,
// never redirected, because the redirect URI itself may be the problem.
func (s *Server) authorizeRequest(r *http.Request) (q url.Values, problem string) {
	q = r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		return q, "unsupported_response_type: response_type must be code"
	case q.Get("client_id") == "":
		return q, "invalid_request: client_id is required"
	case q.Get("redirect_uri") == "":
		return q, "invalid_request: redirect_uri is required"
	}
	if problem := s.cfg.OAuth.CheckScope(q.Get("scope")); problem != "" {
		return q, problem
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return q, "invalid_request: redirect_uri must be an absolute URL"
	}
	if m := q.Get("code_challenge_method"); s.cfg.OAuth.PKCE && m != "" && m != "S256" && m != "plain" {
		return q, "invalid_request: code_challenge_method must be S256 or plain"
	}
	return q, ""
}

// HandleAuthorizePage shows the consent form of the authorization endpoint (GET).
func (s *Server) HandleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q, problem := s.authorizeRequest(r)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = s.consent.Execute(w, map[string]any{
		"Client":    q.Get("client_id"),
		"Scope":     q.Get("scope"),
		"Action":    s.cfg.OAuth.AuthorizeURL + "?" + r.URL.RawQuery,
		"Countries": countryOptions(q.Get("country")),
	})
}

// HandleAuthorizeConsent answers the consent form (POST): allowing creates an organisation,
// grants the client access to it and redirects with a code; denying redirects with
// access_denied.
func (s *Server) HandleAuthorizeConsent(w http.ResponseWriter, r *http.Request) {
	q, problem := s.authorizeRequest(r)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "invalid_request: "+err.Error(), http.StatusBadRequest)
		return
	}
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	params := redirect.Query()
	if st := q.Get("state"); st != "" {
		params.Set("state", st)
	}
	switch r.PostForm.Get("consent") {
	case "allow":
	case "deny":
		params.Set("error", "access_denied")
		redirect.RawQuery = params.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
		return
	default:
		http.Error(w, "invalid_request: consent must be allow or deny", http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	now := s.now()
	orgID, problem := s.cfg.OAuth.Connect(r, s.auth.OrgCounter+1, now)
	if problem != "" {
		s.unlock()
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	s.auth.OrgCounter++
	g := &Grant{
		ID: uuid.NewString(), ClientID: q.Get("client_id"), Scope: q.Get("scope"), CreatedAt: now,
		Connections: []Connection{{ID: uuid.NewString(), OrgID: orgID, CreatedAt: now}},
	}
	s.auth.Grants[g.ID] = g
	code := RandomToken()
	c := &AuthCode{GrantID: g.ID, ClientID: g.ClientID, RedirectURI: q.Get("redirect_uri"), Expires: now.Add(s.cfg.OAuth.CodeTTL)}
	if s.cfg.OAuth.PKCE {
		c.Challenge, c.ChallengeMeth = q.Get("code_challenge"), q.Get("code_challenge_method")
	}
	s.auth.Codes[code] = c
	s.auth.prune(now, s.cfg.OAuth.RefreshGrace)
	s.markAuth()
	err := s.Flush(r.Context())
	s.unlock()
	if err != nil {
		http.Error(w, "server_error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	params.Set("code", code)
	if s.cfg.OAuth.OrgParam != "" {
		params.Set(s.cfg.OAuth.OrgParam, orgID)
	}
	redirect.RawQuery = params.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// oauthError writes the token and revocation endpoints' error body (RFC 6749 section 5.2).
func (s *Server) oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]string{"error": code}
	if desc != "" && s.cfg.OAuth.Describe {
		body["error_description"] = desc
	}
	_ = json.NewEncoder(w).Encode(body)
}

// HandleToken answers the token endpoint: the authorization_code and refresh_token grants.
func (s *Server) HandleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	clientID, ok := ClientCredentials(r)
	if !ok {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	s.mu.Lock()
	defer s.unlock()
	now := s.now()
	g, code, desc := s.grantOf(r, clientID, now)
	if g == nil {
		s.oauthError(w, http.StatusBadRequest, code, desc)
		return
	}
	cfg := s.cfg.OAuth
	t := Tokens{Access: RandomToken(), Scope: g.Scope, AccessTTL: int(cfg.AccessTTL / time.Second), RefreshTTL: int(cfg.RefreshTTL / time.Second)}
	s.auth.Access[t.Access] = &AccessToken{GrantID: g.ID, Expires: now.Add(cfg.AccessTTL)}
	if cfg.RefreshScope == "" || slices.Contains(strings.Fields(g.Scope), cfg.RefreshScope) {
		t.Refresh = RandomToken()
		s.auth.Refresh[t.Refresh] = &RefreshToken{GrantID: g.ID, ClientID: clientID, Expires: now.Add(cfg.RefreshTTL)}
	}
	s.auth.prune(now, cfg.RefreshGrace)
	s.markAuth()
	if err := s.Flush(r.Context()); err != nil {
		s.oauthError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(cfg.TokenResponse(t))
}

// grantOf finds the live grant a token request exchanges a code or refresh token of, using the
// code up and starting the refresh token's grace; or the OAuth error code and description to
// answer. Callers hold the lock.
func (s *Server) grantOf(r *http.Request, clientID string, now time.Time) (g *Grant, code, desc string) {
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g, desc = s.exchangeCode(r, clientID, now)
	case "refresh_token":
		g = s.exchangeRefresh(r, clientID, now)
	default:
		return nil, "unsupported_grant_type", ""
	}
	if g == nil || g.Revoked {
		return nil, "invalid_grant", desc
	}
	return g, "", ""
}

// exchangeCode uses up an authorization code issued to the client for the same redirect URI,
// checking its PKCE verifier, and returns its grant (nil for none, with a description).
func (s *Server) exchangeCode(r *http.Request, clientID string, now time.Time) (*Grant, string) {
	code := r.PostForm.Get("code")
	c := s.auth.Codes[code]
	if c == nil || now.After(c.Expires) || c.ClientID != clientID || c.RedirectURI != r.PostForm.Get("redirect_uri") {
		return nil, ""
	}
	if c.Challenge != "" && !pkceMatches(c, r.PostForm.Get("code_verifier")) {
		return nil, "code_verifier does not match"
	}
	delete(s.auth.Codes, code) // single use
	return s.auth.Grants[c.GrantID], ""
}

// exchangeRefresh returns the grant of a refresh token issued to the client, live or within its
// grace after its first exchange, which starts the grace.
func (s *Server) exchangeRefresh(r *http.Request, clientID string, now time.Time) *Grant {
	rt := s.auth.Refresh[r.PostForm.Get("refresh_token")]
	if rt == nil || rt.ClientID != clientID || now.After(rt.Expires) ||
		(!rt.RotatedAt.IsZero() && now.After(rt.RotatedAt.Add(s.cfg.OAuth.RefreshGrace))) {
		return nil
	}
	if rt.RotatedAt.IsZero() {
		rt.RotatedAt = now
	}
	return s.auth.Grants[rt.GrantID]
}

func pkceMatches(c *AuthCode, verifier string) bool {
	want := verifier
	if c.ChallengeMeth == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.Challenge)) == 1
}

// HandleRevoke revokes the grant behind a refresh or access token (RFC 7009): every token of it
// stops working. Unknown tokens also get 200.
func (s *Server) HandleRevoke(w http.ResponseWriter, r *http.Request) {
	tok := ""
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); s.cfg.OAuth.RevokeJSON && mt == "application/json" {
		var body struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			s.oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		tok = body.Token
	} else {
		if err := r.ParseForm(); err != nil {
			s.oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		tok = r.PostForm.Get("token")
	}
	if _, ok := ClientCredentials(r); !ok {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	s.mu.Lock()
	defer s.unlock()
	grantID := ""
	if rt := s.auth.Refresh[tok]; rt != nil {
		grantID = rt.GrantID
	} else if at := s.auth.Access[tok]; at != nil {
		grantID = at.GrantID
	}
	if g := s.auth.Grants[grantID]; g != nil {
		s.revokeGrant(g)
	}
	if err := s.Flush(r.Context()); err != nil {
		s.oauthError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// revokeGrant ends a consent: its tokens stop working; callers hold the lock.
func (s *Server) revokeGrant(g *Grant) {
	g.Revoked = true
	for k, t := range s.auth.Access {
		if t.GrantID == g.ID {
			delete(s.auth.Access, k)
		}
	}
	for k, t := range s.auth.Refresh {
		if t.GrantID == g.ID {
			delete(s.auth.Refresh, k)
		}
	}
	s.markAuth()
}

// revokeOrg revokes every grant that reaches the organisation, as a user disconnecting the app
// does; callers hold the lock.
func (s *Server) revokeOrg(orgID string) {
	for _, g := range s.auth.Grants {
		if g.Has(orgID) && !g.Revoked {
			s.revokeGrant(g)
		}
	}
}

// expireAccessTokens ends every live access token that reaches the organisation now; refresh
// tokens stay good. Callers hold the lock.
func (s *Server) expireAccessTokens(orgID string) {
	now := s.now()
	for _, at := range s.auth.Access {
		if g := s.auth.Grants[at.GrantID]; g != nil && g.Has(orgID) && !at.Expires.Before(now) {
			at.Expires = now.Add(-time.Second)
		}
	}
	s.markAuth()
}

// Disconnect removes one connection from a grant, as Xero's DELETE /connections/{id} does, and
// reports whether the grant had it; callers hold the lock.
func (s *Server) Disconnect(g *Grant, connectionID string) bool {
	i := slices.IndexFunc(g.Connections, func(c Connection) bool { return c.ID == connectionID })
	if i < 0 {
		return false
	}
	g.Connections = slices.Delete(g.Connections, i, i+1)
	s.markAuth()
	return true
}

// TokenProblem says why a request's bearer token is not usable.
type TokenProblem int

// The reasons a bearer token is refused; each platform words them its own way.
const (
	TokenUsable  TokenProblem = iota
	TokenMissing              // no Authorization: Bearer header
	TokenInvalid              // unknown, or its grant revoked
	TokenExpired              // past its expiry
)

// Bearer is what a request's bearer token resolves to.
type Bearer struct {
	Grant   *Grant // nil unless Problem is TokenUsable
	Token   string
	Expires time.Time
	Problem TokenProblem
}

// Bearer resolves the request's access token; callers hold the lock.
func (s *Server) Bearer(r *http.Request) Bearer {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return Bearer{Problem: TokenMissing}
	}
	b := Bearer{Token: strings.TrimSpace(tok)}
	at := s.auth.Access[b.Token]
	if at == nil {
		b.Problem = TokenInvalid
		return b
	}
	b.Expires = at.Expires
	if s.now().After(at.Expires) {
		b.Problem = TokenExpired
		return b
	}
	b.Grant = s.auth.Grants[at.GrantID]
	if b.Grant == nil || b.Grant.Revoked {
		b.Grant, b.Problem = nil, TokenInvalid
	}
	return b
}
