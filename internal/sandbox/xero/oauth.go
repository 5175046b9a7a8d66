package xero

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// authState is everything the identity side holds, saved under key "auth".
type authState struct {
	OrgCounter int                      `json:"org_counter"`
	Codes      map[string]*authCode     `json:"codes"`
	Grants     map[string]*grant        `json:"grants"`
	Access     map[string]*accessToken  `json:"access"`
	Refresh    map[string]*refreshToken `json:"refresh"`
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

// grant is one user consent (Xero's "auth event"): a client's access to organisations.
type grant struct {
	ID          string       `json:"id"`
	ClientID    string       `json:"client_id"`
	Scope       string       `json:"scope"`
	Connections []connection `json:"connections"`
	Revoked     bool         `json:"revoked"`
	CreatedAt   time.Time    `json:"created_at"`
}

type connection struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	CreatedAt time.Time `json:"created_at"`
}

func (g *grant) hasTenant(id string) bool {
	return slices.ContainsFunc(g.Connections, func(c connection) bool { return c.TenantID == id })
}

type authCode struct {
	GrantID       string    `json:"grant_id"`
	ClientID      string    `json:"client_id"`
	RedirectURI   string    `json:"redirect_uri"`
	Challenge     string    `json:"challenge,omitempty"`
	ChallengeMeth string    `json:"challenge_method,omitempty"`
	Expires       time.Time `json:"expires"`
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
	// until RotatedAt+refreshGrace so a client that lost the response can retry.
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
		// Expired access tokens are kept a day so a client gets Xero's
		// "TokenExpired" detail rather than a bare authentication failure.
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
<html><head><meta charset="utf-8"><title>booksync Xero sandbox: authorise {{.Client}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;color:#222}
button{font-size:1em;padding:.5em 1.5em;margin-right:1em}.allow{background:#13b5ea;color:#fff;border:0}</style></head>
<body><h1>booksync Xero sandbox</h1>
<p>booksync Xero sandbox: <strong>{{.Client}}</strong> wants access to a UK demo company.</p>
<p>Allowing creates a new organisation, seeded with a UK chart of accounts and VAT rates, and connects it.</p>
<p>Requested scopes: <code>{{.Scope}}</code></p>
<form method="post" action="{{.Action}}">
<button class="allow" type="submit" name="consent" value="allow">Allow access</button>
<button type="submit" name="consent" value="deny">Cancel</button>
</form></body></html>`))

// authorizeRequest checks the query of /oauth/authorize. Errors are shown on
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
	case q.Get("scope") == "":
		return q, "invalid_scope: scope is required"
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return q, "invalid_request: redirect_uri must be an absolute URL"
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" && m != "plain" {
		return q, "invalid_request: code_challenge_method must be S256 or plain"
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

	s.mu.Lock()
	now := s.now()
	s.auth.OrgCounter++
	o := newOrg(s.auth.OrgCounter, now)
	s.orgs[o.meta.TenantID] = o
	g := &grant{
		ID: uuid.NewString(), ClientID: q.Get("client_id"), Scope: q.Get("scope"), CreatedAt: now,
		Connections: []connection{{ID: uuid.NewString(), TenantID: o.meta.TenantID, CreatedAt: now}},
	}
	s.auth.Grants[g.ID] = g
	code := sandbox.RandomToken()
	s.auth.Codes[code] = &authCode{
		GrantID: g.ID, ClientID: g.ClientID, RedirectURI: q.Get("redirect_uri"),
		Challenge: q.Get("code_challenge"), ChallengeMeth: q.Get("code_challenge_method"),
		Expires: now.Add(codeTTL),
	}
	s.auth.prune(now)
	s.saveOrgMeta(o)
	s.saveAuth()
	err := s.flush(r.Context())
	s.mu.Unlock()
	if err != nil {
		http.Error(w, "server_error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	params.Set("code", code)
	redirect.RawQuery = params.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	clientID, ok := sandbox.ClientCredentials(r)
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
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
			oauthError(w, http.StatusBadRequest, "invalid_grant", "")
			return
		}
		if c.Challenge != "" && !pkceMatches(c, r.PostForm.Get("code_verifier")) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match")
			return
		}
		delete(s.auth.Codes, code) // single use
		g = s.auth.Grants[c.GrantID]
	case "refresh_token":
		rt := s.auth.Refresh[r.PostForm.Get("refresh_token")]
		if rt == nil || rt.ClientID != clientID || now.After(rt.Expires) ||
			(!rt.RotatedAt.IsZero() && now.After(rt.RotatedAt.Add(refreshGrace))) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "")
			return
		}
		if rt.RotatedAt.IsZero() {
			rt.RotatedAt = now
		}
		g = s.auth.Grants[rt.GrantID]
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	if g == nil || g.Revoked {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	resp := tokenResponse{AccessToken: sandbox.RandomToken(), ExpiresIn: int(accessTokenTTL / time.Second), TokenType: "Bearer", Scope: g.Scope}
	s.auth.Access[resp.AccessToken] = &accessToken{GrantID: g.ID, Expires: now.Add(accessTokenTTL)}
	// Like Xero, a refresh token is issued only with the offline_access scope.
	if slices.Contains(strings.Fields(g.Scope), "offline_access") {
		resp.RefreshToken = sandbox.RandomToken()
		s.auth.Refresh[resp.RefreshToken] = &refreshToken{GrantID: g.ID, ClientID: clientID, Expires: now.Add(refreshTokenTTL)}
	}
	s.auth.prune(now)
	s.saveAuth()
	if err := s.flush(r.Context()); err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

func pkceMatches(c *authCode, verifier string) bool {
	want := verifier
	if c.ChallengeMeth == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.Challenge)) == 1
}

// handleRevoke revokes the grant behind a refresh or access token (RFC 7009).
func (s *Sandbox) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if _, ok := sandbox.ClientCredentials(r); !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	tok := r.PostForm.Get("token")
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
		oauthError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	// RFC 7009: unknown tokens also get 200.
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
// detail is Xero's 401 Detail when the token is not usable.
func (s *Sandbox) bearerGrant(r *http.Request) (g *grant, detail string) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, "AuthenticationUnsuccessful"
	}
	at := s.auth.Access[strings.TrimSpace(tok)]
	if at == nil {
		return nil, "AuthenticationUnsuccessful"
	}
	if now := s.now(); now.After(at.Expires) {
		return nil, "TokenExpired: token expired at " + at.Expires.UTC().Format("01/02/2006 15:04:05")
	}
	g = s.auth.Grants[at.GrantID]
	if g == nil || g.Revoked {
		return nil, "AuthenticationUnsuccessful"
	}
	return g, ""
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
	s.mu.Lock()
	defer s.mu.Unlock()
	g, detail := s.bearerGrant(r)
	if g == nil {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", detail)
		return
	}
	out := []xeroConnection{}
	for _, c := range g.Connections {
		o := s.orgs[c.TenantID]
		if o == nil {
			continue
		}
		ts := c.CreatedAt.UTC().Format("2006-01-02T15:04:05.0000000")
		out = append(out, xeroConnection{
			ID: c.ID, AuthEventID: g.ID, TenantID: c.TenantID, TenantType: "ORGANISATION",
			TenantName: o.meta.Name, CreatedDateUTC: ts, UpdatedDateUTC: ts,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDeleteConnection disconnects one organisation from the token's grant,
// as DELETE https://api.xero.com/connections/{id} does.
func (s *Sandbox) handleDeleteConnection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, detail := s.bearerGrant(r)
	if g == nil {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", detail)
		return
	}
	i := slices.IndexFunc(g.Connections, func(c connection) bool { return c.ID == r.PathValue("id") })
	if i < 0 {
		writeProblem(w, http.StatusNotFound, "NotFound", "Connection not found")
		return
	}
	g.Connections = slices.Delete(g.Connections, i, i+1)
	s.saveAuth()
	if err := s.flush(r.Context()); err != nil {
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
