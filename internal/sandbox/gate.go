package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrUnauthenticated is what a Partners implementation returns for wrong client credentials or
// a bearer token that is invalid, expired or revoked.
var ErrUnauthenticated = errors.New("sandbox: not authenticated")

// Partners tells the sandboxes who is asking and what they may see. booksync implements it with
// its own API credentials and connections, so the sandboxes never read booksync's database.
type Partners interface {
	// Login returns the partner whose API client credentials these are (the client_id and
	// client_secret POST /auth/token takes); wrong ones give ErrUnauthenticated.
	Login(ctx context.Context, clientID, clientSecret string) (partnerID string, err error)
	// Bearer returns the partner of an access token from POST /auth/token; an invalid, expired or
	// revoked one gives ErrUnauthenticated.
	Bearer(ctx context.Context, token string) (partnerID string, err error)
	// Tenants returns the ids of the organisations of one sandbox (named by its Store namespace,
	// "xero" or "quickbooks") that the partner's entities connected.
	Tenants(ctx context.Context, partnerID, namespace string) ([]string, error)
	// Credential returns a value that changes whenever the partner's client credentials change
	// (booksync returns the stored hash of the client secret). Session cookies are signed with
	// it, so that a changed secret ends every session opened with the old one. A partner that no
	// longer exists gives ErrUnauthenticated.
	Credential(ctx context.Context, partnerID string) ([]byte, error)
}

// GateOptions configures a Gate.
type GateOptions struct {
	// BaseURL is the absolute URL the gate's Handler is mounted at, without a trailing slash,
	// e.g. http://localhost:8080/sandbox. The login page is BaseURL/login; the session cookie is
	// scoped to BaseURL's path, and a login only ever redirects below BaseURL.
	BaseURL string
	// Partners authenticates partners and says which organisations are theirs.
	Partners Partners
	// Secret derives the key that signs session cookies (booksync passes its secret key). Empty
	// means a random key: sessions then end with the process.
	Secret []byte
	// Faults allows fault injection (each sandbox's POST /faults); without it they answer 403.
	Faults bool
	// Store keeps the sessions ended by a logout until they would have expired, so that a copy
	// of a logged-out cookie stays refused after a restart and by every booksync process that
	// shares the database. Nil keeps them in memory, for this gate alone.
	Store Store
	// Now is the clock for session expiry; nil means time.Now.
	Now func() time.Time
}

// Gate is the login in front of every sandbox's organisation pages and fault injection, shared by
// all sandboxes: a partner logs in once, with a session cookie or a bearer token, and sees only
// the organisations its entities connected. The OAuth flows and the platform APIs are not behind
// it; they keep their platform's own authentication.
type Gate struct {
	opts   GateOptions
	key    []byte
	path   string // cookie path: BaseURL's path
	origin string // BaseURL's scheme and host
	secure bool
}

// The gate keeps, in its own Store namespace, a key per session ended by a logout: loggedOutKey
// and the session id, whose value is the Unix time the session's cookie expires anyway.
const (
	gateNamespace = "sandbox_gate"
	loggedOutKey  = "logged_out/"
)

// SessionTTL is how long a sandbox login lasts.
const SessionTTL = 8 * time.Hour

const (
	sessionCookie = "booksync_sandbox"
	maxFormBytes  = 64 << 10
)

// NewGate returns a Gate.
func NewGate(opts GateOptions) *Gate {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Store == nil {
		opts.Store = NewMemoryStore()
	}
	g := &Gate{opts: opts, path: "/"}
	if u, err := url.Parse(opts.BaseURL); err == nil {
		if u.Path != "" {
			g.path = u.Path
		}
		g.secure = u.Scheme == "https"
		g.origin = u.Scheme + "://" + u.Host
		if u.Host == "" {
			g.origin = ""
		}
	}
	secret := opts.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	// A key of its own, so that a cookie signature can never be confused with anything else the
	// secret protects.
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("booksync sandbox session key v1"))
	g.key = mac.Sum(nil)
	return g
}

// LogoutURL is where a form posts to end the session.
func (g *Gate) LogoutURL() string { return g.opts.BaseURL + "/logout" }

// Link names a sandbox on the gate's index page.
type Link struct {
	Name, URL string
}

// Handler serves the login form (GET and POST /login), POST /logout and an index of the
// sandboxes (GET /), which needs a login.
func (g *Gate) Handler(sandboxes ...Link) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		g.loginForm(w, http.StatusOK, g.safeNext(r.URL.Query().Get("next")), "")
	})
	mux.HandleFunc("POST /login", g.handleLogin)
	mux.HandleFunc("POST /logout", g.handleLogout)
	mux.Handle("GET /{$}", g.Pages("", g.opts.BaseURL, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage.Execute(w, map[string]any{"Base": g.opts.BaseURL, "Sandboxes": sandboxes})
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, http.StatusNotFound, "Not found.")
	})
	return mux
}

// visitor is the authenticated partner of a request, with the organisations it may see.
type visitor struct {
	partnerID string
	tenants   map[string]bool
}

type visitorKey struct{}

// Visible reports whether the request's partner may see the organisation tenantID of the sandbox
// whose Pages or Faults handler is serving it. Another partner's organisation must look exactly
// like one that does not exist.
func Visible(r *http.Request, tenantID string) bool {
	v, _ := r.Context().Value(visitorKey{}).(*visitor)
	return v != nil && tenantID != "" && v.tenants[tenantID]
}

// Pages guards the web pages and forms of a sandbox (its Store namespace; base is its absolute
// BaseURL). Without a session cookie or a bearer token, a browser asking for a page is sent to
// the login (303) and anything else (a script, a form post) gets 401 in Monite's error shape.
// Handlers then show only what Visible allows.
func (g *Gate) Pages(namespace, base string, h http.Handler) http.Handler {
	basePath := ""
	if u, err := url.Parse(base); err == nil {
		basePath = strings.TrimRight(u.Path, "/")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := g.authenticate(r, namespace)
		if errors.Is(err, ErrUnauthenticated) {
			if r.Method == http.MethodGet && wantsHTML(r) && r.Header.Get("Authorization") == "" {
				next := basePath + r.URL.EscapedPath()
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, g.opts.BaseURL+"/login?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			writeJSONError(w, http.StatusUnauthorized, unauthenticatedMessage(g.opts.BaseURL))
			return
		}
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "The sandbox could not check your login; try again.")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	})
}

// Faults guards a sandbox's fault injection: it needs a login like the pages, and is refused
// altogether (403) unless GateOptions.Faults is set, so that nobody can break a running
// booksync's connections on purpose.
func (g *Gate) Faults(namespace string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := g.authenticate(r, namespace)
		if errors.Is(err, ErrUnauthenticated) {
			writeJSONError(w, http.StatusUnauthorized, unauthenticatedMessage(g.opts.BaseURL))
			return
		}
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "The sandbox could not check your login; try again.")
			return
		}
		if !g.opts.Faults {
			writeJSONError(w, http.StatusForbidden,
				"Fault injection is off; start booksync with BOOKSYNC_SANDBOX_FAULTS=1 (or -sandbox-faults) to use it.")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	})
}

// Route routes a sandbox's POST /faults, guarded by Faults, and its pages (handlers by route
// pattern), guarded by Pages; a nil Gate routes neither, so they are not served at all.
// namespace is the sandbox's Store namespace and base its absolute BaseURL.
func (g *Gate) Route(mux *http.ServeMux, namespace, base string, faults http.HandlerFunc, pages map[string]http.HandlerFunc) {
	if g == nil {
		return
	}
	mux.Handle("POST /faults", g.Faults(namespace, faults))
	for pattern, h := range pages {
		mux.Handle(pattern, g.Pages(namespace, base, h))
	}
}

func unauthenticatedMessage(base string) string {
	return "Log in at " + base + "/login with your booksync API client credentials, or send " +
		"Authorization: Bearer <token> with a token from POST /auth/token."
}

// authenticate finds the request's partner, from a bearer token when one is sent (a wrong token
// is not rescued by a cookie) or else from the session cookie, and the organisations it may see
// in namespace.
func (g *Gate) authenticate(r *http.Request, namespace string) (*visitor, error) {
	var partner string
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			tok, ok = strings.CutPrefix(h, "bearer ")
		}
		if !ok || strings.TrimSpace(tok) == "" {
			return nil, ErrUnauthenticated
		}
		p, err := g.opts.Partners.Bearer(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return nil, err
		}
		partner = p
	} else {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			return nil, ErrUnauthenticated
		}
		sess, err := g.openSession(r.Context(), c.Value)
		if err != nil {
			return nil, err
		}
		partner = sess.partnerID
	}
	v := &visitor{partnerID: partner, tenants: map[string]bool{}}
	if namespace == "" {
		return v, nil
	}
	ids, err := g.opts.Partners.Tenants(r.Context(), partner, namespace)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		v.tenants[id] = true
	}
	return v, nil
}

// session is what a session cookie says: whose it is, its id (which a logout records) and when
// it ends.
type session struct {
	partnerID string
	id        string
	expires   int64 // Unix seconds
}

// sealSession returns a cookie value for a new session of the partner until expires:
// base64(partner).expiry.id.base64(HMAC-SHA256), signed with the gate's key and the partner's
// current credential, so that the cookie is worthless once the partner's secret changes.
func (g *Gate) sealSession(partnerID string, credential []byte, expires time.Time) string {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	body := base64.RawURLEncoding.EncodeToString([]byte(partnerID)) + "." + strconv.FormatInt(expires.Unix(), 10) +
		"." + base64.RawURLEncoding.EncodeToString(id)
	return body + "." + base64.RawURLEncoding.EncodeToString(g.sign(body, credential))
}

// sign is the HMAC of a cookie body and the partner's credential. The NUL cannot occur in a
// body, so no two (body, credential) pairs sign the same bytes.
func (g *Gate) sign(body string, credential []byte) []byte {
	mac := hmac.New(sha256.New, g.key)
	mac.Write([]byte(body))
	mac.Write([]byte{0})
	mac.Write(credential)
	return mac.Sum(nil)
}

// openSession checks a cookie value: its signature (in constant time) against the partner's
// current credential, its expiry, and that it was not logged out. A cookie that fails any check
// gives ErrUnauthenticated; other errors are the Partners' or the Store's.
func (g *Gate) openSession(ctx context.Context, value string) (session, error) {
	parts := strings.Split(value, ".")
	if len(parts) != 4 {
		return session{}, ErrUnauthenticated
	}
	body := strings.Join(parts[:3], ".")
	got, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return session{}, ErrUnauthenticated
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || len(id) == 0 {
		return session{}, ErrUnauthenticated
	}
	credential, err := g.opts.Partners.Credential(ctx, string(id))
	if err != nil {
		return session{}, err
	}
	if !hmac.Equal(got, g.sign(body, credential)) {
		return session{}, ErrUnauthenticated
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !g.opts.Now().Before(time.Unix(unix, 0)) {
		return session{}, ErrUnauthenticated
	}
	sess := session{partnerID: string(id), id: parts[2], expires: unix}
	// Read from the Store on every request, so that a logout in another process counts at once.
	ended, err := g.opts.Store.LoadSandbox(ctx, gateNamespace)
	if err != nil {
		return session{}, fmt.Errorf("sandbox gate: load logouts: %w", err)
	}
	if _, out := ended[loggedOutKey+sess.id]; out {
		return session{}, ErrUnauthenticated
	}
	return sess, nil
}

// endSession records that a session was logged out, until the time its cookie would have expired
// anyway (after which the cookie is refused for its age), and forgets the sessions past that
// time, so that the record holds only the sessions logged out in the last SessionTTL. Each
// session has a key of its own, so that logouts in several processes never overwrite each other.
func (g *Gate) endSession(ctx context.Context, sess session) error {
	ended, err := g.opts.Store.LoadSandbox(ctx, gateNamespace)
	if err != nil {
		return fmt.Errorf("sandbox gate: load logouts: %w", err)
	}
	now := g.opts.Now().Unix()
	values := map[string][]byte{loggedOutKey + sess.id: []byte(strconv.FormatInt(sess.expires, 10))}
	for key, raw := range ended {
		if exp, err := strconv.ParseInt(string(raw), 10, 64); err == nil && exp <= now && key != loggedOutKey+sess.id {
			values[key] = nil
		}
	}
	if err := g.opts.Store.SaveSandbox(context.WithoutCancel(ctx), gateNamespace, values); err != nil {
		return fmt.Errorf("sandbox gate: save logout: %w", err)
	}
	return nil
}

// safeNext keeps a post-login destination only when it is a clean path below the sandboxes
// (no scheme or host, no "." or ".." segment, no empty segment, no backslash), so the login
// cannot be used to send someone elsewhere, even by way of a path that a browser or a proxy
// would resolve out of the sandboxes. Anything else goes to the sandbox index. It returns the
// path, which the login form carries; the redirect after the login adds BaseURL's origin.
func (g *Gate) safeNext(next string) string {
	prefix := strings.TrimSuffix(g.path, "/") + "/"
	index := prefix
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t ") {
		return index
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || u.Fragment != "" {
		return index
	}
	// Both the decoded and the escaped path must be clean: "%2e%2e" and "%2f" are no way around.
	for _, p := range []string{u.Path, u.EscapedPath()} {
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if clean != p || strings.Contains(p, "//") {
			return index
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				return index
			}
		}
	}
	if esc := strings.ToLower(u.EscapedPath()); strings.Contains(esc, "%2f") || strings.Contains(esc, "%5c") {
		return index
	}
	if !strings.HasPrefix(u.Path, prefix) || !strings.HasPrefix(u.EscapedPath(), prefix) {
		return index
	}
	return u.EscapedPath() + queryPart(u.RawQuery)
}

func queryPart(raw string) string {
	if raw == "" {
		return ""
	}
	return "?" + raw
}

func (g *Gate) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !ParseForm(w, r) {
		return
	}
	next := g.safeNext(r.PostForm.Get("next"))
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id == "" || secret == "" {
		g.loginForm(w, http.StatusBadRequest, next, "Enter both the client_id and the client_secret of your booksync API client.")
		return
	}
	partner, err := g.opts.Partners.Login(r.Context(), id, secret)
	if errors.Is(err, ErrUnauthenticated) {
		g.loginForm(w, http.StatusUnauthorized, next, "Wrong client_id or client_secret.")
		return
	} else if err != nil {
		g.loginForm(w, http.StatusInternalServerError, next, "The sandbox could not check your login; try again.")
		return
	}
	credential, err := g.opts.Partners.Credential(r.Context(), partner)
	if err != nil {
		g.loginForm(w, http.StatusInternalServerError, next, "The sandbox could not check your login; try again.")
		return
	}
	expires := g.opts.Now().Add(SessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: g.sealSession(partner, credential, expires), Path: g.path, Expires: expires,
		MaxAge: int(SessionTTL / time.Second), HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, g.origin+next, http.StatusSeeOther)
}

// handleLogout ends the session for good: clearing the cookie is not enough, since a copy of it
// would still open the sandboxes until it expires.
func (g *Gate) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		sess, err := g.openSession(r.Context(), c.Value)
		if err == nil {
			err = g.endSession(r.Context(), sess)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			WriteError(w, r, http.StatusInternalServerError, "The sandbox could not end your session; try again.")
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: g.path, MaxAge: -1,
		HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, g.opts.BaseURL+"/login", http.StatusSeeOther)
}

func (g *Gate) loginForm(w http.ResponseWriter, status int, next, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, map[string]string{"Action": g.opts.BaseURL + "/login", "Next": next, "Error": problem})
}

// ParseForm reads a sandbox form post into r.PostForm, or answers 415 (not
// application/x-www-form-urlencoded, as browsers send forms) or 400 (a body that cannot be
// decoded, or text that is not valid UTF-8 or holds control characters) itself and returns
// false. A form that cannot be read changes nothing: it is never taken as an empty one, and
// bytes that are not text are never stored. Every sandbox form field is one line of text (a
// name, an email, a rate), so tabs and line breaks are refused too. A post without a body and
// without a Content-Type is an empty form.
func ParseForm(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		r.PostForm = url.Values{}
		return true
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		WriteError(w, r, http.StatusUnsupportedMediaType,
			"Send the form as application/x-www-form-urlencoded (got "+strconv.Quote(ct)+").")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, r, http.StatusRequestEntityTooLarge, "The form is larger than the sandbox accepts.")
			return false
		}
		WriteError(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error()+".")
		return false
	}
	for _, form := range []url.Values{r.PostForm, r.Form} {
		for key, values := range form {
			if problem := textProblem(key); problem != "" {
				WriteError(w, r, http.StatusBadRequest, "A form field's name "+problem+"; nothing was changed.")
				return false
			}
			for _, v := range values {
				if problem := textProblem(v); problem != "" {
					WriteError(w, r, http.StatusBadRequest, "The form field "+strconv.Quote(key)+" "+problem+"; nothing was changed.")
					return false
				}
			}
		}
	}
	return true
}

// textProblem says what makes s unfit as one line of form text, or "" when it is fit.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text (send the form encoded as UTF-8)"
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return "holds a control character (" + fmt.Sprintf("%U", c) + "); send one line of plain text"
		}
	}
	return ""
}

// WriteError answers a sandbox page or form with a problem: a small HTML page for a browser, else
// Monite's error shape {"error":{"message":...}}.
func WriteError(w http.ResponseWriter, r *http.Request, status int, message string) {
	if !wantsHTML(r) {
		writeJSONError(w, status, message)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, map[string]any{"Status": status, "Text": http.StatusText(status), "Message": message})
}

func writeJSONError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": message}})
}

// WantsHTML reports whether the request comes from a browser (it accepts text/html), which gets
// pages where a script gets JSON.
func WantsHTML(r *http.Request) bool { return wantsHTML(r) }

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

const gateStyle = `<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;color:#222}
label{display:block;margin:.6em 0}input{font-size:1em;width:100%}.err{color:#b00}button{font-size:1em;padding:.4em 1.2em}</style>`

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync sandboxes: log in</title>` + gateStyle + `</head>
<body><h1>booksync sandboxes</h1>
<p>Log in with your booksync API client credentials (those <code>POST /auth/token</code> takes) to see the organisations your entities connected.</p>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="next" value="{{.Next}}">
<label>client_id <input name="client_id" required autocomplete="username"></label>
<label>client_secret <input name="client_secret" type="password" required autocomplete="current-password"></label>
<button type="submit">Log in</button>
</form></body></html>`))

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync sandboxes</title>` + gateStyle + `</head>
<body><h1>booksync sandboxes</h1>
<ul>{{range .Sandboxes}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{else}}<li>No built-in sandbox runs: booksync is configured with real accounting systems.</li>{{end}}</ul>
<form method="post" action="{{.Base}}/logout"><button type="submit">Log out</button></form>
</body></html>`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Status}} {{.Text}}</title>` + gateStyle + `</head>
<body><h1>{{.Text}}</h1><p class="err">{{.Message}}</p></body></html>`))
