package quickbooks

import (
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

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

// authState is everything the identity side holds, saved under key "auth".
type authState struct {
	CompanyCounter int                      `json:"company_counter"`
	Codes          map[string]*authCode     `json:"codes"`
	Grants         map[string]*grant        `json:"grants"`
	Access         map[string]*accessToken  `json:"access"`
	Refresh        map[string]*refreshToken `json:"refresh"`
}

func newAuthState() authState {
	a := authState{}
	a.fill()
	return a
}

// fill makes nil maps usable after loading an older or empty record.
func (a *authState) fill() {
	if a.Codes == nil {
		a.Codes = map[string]*authCode{}
	}
	if a.Grants == nil {
		a.Grants = map[string]*grant{}
	}
	if a.Access == nil {
		a.Access = map[string]*accessToken{}
	}
	if a.Refresh == nil {
		a.Refresh = map[string]*refreshToken{}
	}
}

// grant is one user consent: a client's access to one company. Intuit
// tokens are per realm, so a grant covers exactly one.
type grant struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Scope     string    `json:"scope"`
	RealmID   string    `json:"realm_id"`
	Revoked   bool      `json:"revoked"`
	CreatedAt time.Time `json:"created_at"`
}

type authCode struct {
	GrantID     string    `json:"grant_id"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Expires     time.Time `json:"expires"`
}

type accessToken struct {
	GrantID string    `json:"grant_id"`
	Expires time.Time `json:"expires"`
}

type refreshToken struct {
	GrantID  string    `json:"grant_id"`
	ClientID string    `json:"client_id"`
	Expires  time.Time `json:"expires"`
	// RotatedAt is when this token was first exchanged; it stays usable
	// until RotatedAt+refreshGrace, so a client that lost the response can retry.
	RotatedAt time.Time `json:"rotated_at,omitzero"`
}

// prune drops expired codes and tokens so the saved record stays small.
func (a *authState) prune(now time.Time) {
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
		if now.After(t.Expires) || (!t.RotatedAt.IsZero() && now.After(t.RotatedAt.Add(refreshGrace))) {
			delete(a.Refresh, k)
		}
	}
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync QuickBooks sandbox: connect {{.Client}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;color:#222}
button{font-size:1em;padding:.5em 1.5em;margin-right:1em}.allow{background:#2ca01c;color:#fff;border:0}</style></head>
<body><h1>booksync QuickBooks sandbox</h1>
<p><strong>{{.Client}}</strong> wants to connect to a QuickBooks Online company.</p>
<p>Connecting creates a new sandbox company, seeded with a chart of accounts, tax codes and a
"Services" item, and gives the app access to it.</p>
<p>Requested scopes: <code>{{.Scope}}</code></p>
<form method="post" action="{{.Action}}">
<p><label>Company <select name="company">
<option value="uk" selected>UK company (VAT, GBP)</option>
<option value="us">US company (automated sales tax, USD)</option>
</select></label></p>
<button class="allow" type="submit" name="consent" value="allow">Connect</button>
<button type="submit" name="consent" value="deny">Cancel</button>
</form></body></html>`))

// authorizeRequest checks the query of /oauth2/authorize. Errors are shown on
// a page, never redirected, because the redirect URI itself may be the problem.
func authorizeRequest(r *http.Request) (q url.Values, problem string) {
	q = r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		return q, "unsupported_response_type: response_type must be code"
	case q.Get("client_id") == "":
		return q, "invalid_request: client_id is required"
	case q.Get("redirect_uri") == "":
		return q, "invalid_request: redirect_uri is required"
	case !slices.Contains(strings.Fields(q.Get("scope")), scopeAcct):
		return q, "invalid_scope: scope must include " + scopeAcct
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return q, "invalid_request: redirect_uri must be an absolute URL"
	}
	return q, ""
}

func (s *Sandbox) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q, problem := authorizeRequest(r)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]string{
		"Client": q.Get("client_id"),
		"Scope":  q.Get("scope"),
		"Action": s.AuthURL() + "?" + r.URL.RawQuery,
	})
}

func (s *Sandbox) handleAuthorizeConsent(w http.ResponseWriter, r *http.Request) {
	q, problem := authorizeRequest(r)
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
	region := r.PostForm.Get("company")
	switch region {
	case "":
		region = "uk"
	case "uk", "us":
	default:
		http.Error(w, "invalid_request: company must be uk or us", http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	now := s.now()
	s.auth.CompanyCounter++
	c := newCompany(s.auth.CompanyCounter, region, now)
	s.companies[c.meta.RealmID] = c
	g := &grant{ID: uuid.NewString(), ClientID: q.Get("client_id"), Scope: q.Get("scope"), RealmID: c.meta.RealmID, CreatedAt: now}
	s.auth.Grants[g.ID] = g
	code := sandbox.RandomToken()
	s.auth.Codes[code] = &authCode{GrantID: g.ID, ClientID: g.ClientID, RedirectURI: q.Get("redirect_uri"), Expires: now.Add(codeTTL)}
	s.auth.prune(now)
	s.saveMeta(c)
	for _, it := range c.items {
		s.saveObj(c, "item", it.ID, it)
	}
	s.saveAuth()
	err := s.flush(r.Context())
	s.mu.Unlock()
	if err != nil {
		http.Error(w, "server_error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	params.Set("code", code)
	params.Set("realmId", c.meta.RealmID)
	redirect.RawQuery = params.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	TokenType              string `json:"token_type"`
	AccessToken            string `json:"access_token"`
	ExpiresIn              int    `json:"expires_in"`
	RefreshToken           string `json:"refresh_token"`
	XRefreshTokenExpiresIn int    `json:"x_refresh_token_expires_in"`
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	clientID, ok := sandbox.ClientCredentials(r)
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		c := s.auth.Codes[code]
		if c == nil || now.After(c.Expires) || c.ClientID != clientID || c.RedirectURI != r.PostForm.Get("redirect_uri") {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.auth.Codes, code) // single use
		g = s.auth.Grants[c.GrantID]
	case "refresh_token":
		rt := s.auth.Refresh[r.PostForm.Get("refresh_token")]
		if rt == nil || rt.ClientID != clientID || now.After(rt.Expires) ||
			(!rt.RotatedAt.IsZero() && now.After(rt.RotatedAt.Add(refreshGrace))) {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		if rt.RotatedAt.IsZero() {
			rt.RotatedAt = now
		}
		g = s.auth.Grants[rt.GrantID]
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	if g == nil || g.Revoked {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	resp := tokenResponse{
		TokenType: "bearer", AccessToken: sandbox.RandomToken(), ExpiresIn: int(accessTokenTTL / time.Second),
		RefreshToken: sandbox.RandomToken(), XRefreshTokenExpiresIn: int(refreshTokenTTL / time.Second),
	}
	s.auth.Access[resp.AccessToken] = &accessToken{GrantID: g.ID, Expires: now.Add(accessTokenTTL)}
	s.auth.Refresh[resp.RefreshToken] = &refreshToken{GrantID: g.ID, ClientID: clientID, Expires: now.Add(refreshTokenTTL)}
	s.auth.prune(now)
	s.saveAuth()
	if err := s.flush(r.Context()); err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// handleRevoke revokes the grant behind a refresh or access token. Intuit
// takes {"token":"..."} as JSON; a form body works too.
func (s *Sandbox) handleRevoke(w http.ResponseWriter, r *http.Request) {
	tok := ""
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var body struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request")
			return
		}
		tok = body.Token
	} else {
		if err := r.ParseForm(); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request")
			return
		}
		tok = r.PostForm.Get("token")
	}
	if _, ok := sandbox.ClientCredentials(r); !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	grantID := ""
	if rt := s.auth.Refresh[tok]; rt != nil {
		grantID = rt.GrantID
	} else if at := s.auth.Access[tok]; at != nil {
		grantID = at.GrantID
	}
	if g := s.auth.Grants[grantID]; g != nil {
		s.revokeGrant(g)
	}
	if err := s.flush(r.Context()); err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// revokeGrant ends a consent: its tokens stop working; callers hold s.mu.
func (s *Sandbox) revokeGrant(g *grant) {
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
	s.saveAuth()
}

// bearerGrant resolves the request's access token; callers hold s.mu.
// detail says why the token is not usable.
func (s *Sandbox) bearerGrant(r *http.Request) (g *grant, detail string) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, "Authorization header is missing or not a Bearer token"
	}
	at := s.auth.Access[strings.TrimSpace(tok)]
	if at == nil {
		return nil, "Token revoked or invalid"
	}
	if s.now().After(at.Expires) {
		return nil, "Token expired: " + strings.TrimSpace(tok)[:8] + "..."
	}
	g = s.auth.Grants[at.GrantID]
	if g == nil || g.Revoked {
		return nil, "Token revoked or invalid"
	}
	return g, ""
}
