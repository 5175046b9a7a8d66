package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

// SessionTTL is how long a dashboard sign-in lasts.
const SessionTTL = 8 * time.Hour

const (
	sessionCookie = "booksync_session"
	csrfCookie    = "booksync_csrf"
	// connectCookie marks a connection started from the dashboard, so that the OAuth callback
	// brings the user back to the entity's page.
	connectCookie = "booksync_connect"
)

type partnerKey struct{}

// partnerOf returns the signed-in partner of a request that passed signedIn.
func partnerOf(r *http.Request) string {
	p, _ := r.Context().Value(partnerKey{}).(string)
	return p
}

// sessionHash is how a session is stored: hashed, with a prefix that keeps a session's cookie from
// ever passing as an API bearer token (whose hashes have none).
func sessionHash(token string) []byte {
	h := sha256.Sum256([]byte("booksync dashboard session:" + token))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode}
}

// sessionPartner returns the partner of the request's session cookie, or "".
func (s *Server) sessionPartner(ctx context.Context, r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	p, err := s.cfg.Store.TokenPartner(ctx, sessionHash(c.Value), s.cfg.Now())
	if err != nil {
		return ""
	}
	return p
}

// signedIn lets a request through with its partner when its session is valid. Otherwise a GET is
// sent to the sign-in page and anything else is refused with 401.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.sessionPartner(r.Context(), r)
		if p == "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				if isHTMX(r) {
					// htmx follows a redirect inside the fragment; make it load the page instead.
					w.Header().Set("HX-Redirect", "/dashboard/login")
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "Sign in at /dashboard/login first.", http.StatusUnauthorized)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), partnerKey{}, p)))
	}
}

// csrfToken returns the token forms of this browser carry: an HMAC of its CSRF cookie, which is
// set here when missing. A page of another site can neither read the cookie nor compute the token.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	value := ""
	if err == nil && len(c.Value) >= 32 {
		value = c.Value
	} else {
		value = randomToken()
		http.SetCookie(w, s.cookie(csrfCookie, value, "/", 0))
	}
	return s.csrfFor(value)
}

func (s *Server) csrfFor(cookieValue string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(cookieValue))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses with 403 a POST whose form field csrf (or header X-CSRF-Token, which htmx
// sends) does not match this browser's CSRF cookie.
func (s *Server) checkCSRF(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		// Parsed here whichever way the token comes, so the handler finds the form's fields.
		_ = r.ParseForm()
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = r.PostFormValue("csrf")
		}
		c, err := r.Cookie(csrfCookie)
		if err != nil || len(c.Value) < 32 || got == "" || !hmac.Equal([]byte(got), []byte(s.csrfFor(c.Value))) {
			s.render(w, r, http.StatusForbidden, "message", page{Title: "Refused", Data: message{
				Heading: "Refused", Text: "This form has expired or did not come from booksync's dashboard; open the page again and retry.",
				Back: "/dashboard/"}})
			return
		}
		h(w, r)
	}
}

type loginForm struct {
	ClientID string
	Error    string
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) {
	if s.sessionPartner(r.Context(), r) != "" {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "Sign in", Data: loginForm{}})
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("client_id"))
	partner, err := s.cfg.Partners.PartnerByCredentials(r.Context(), id, r.PostFormValue("client_secret"))
	if booksync.ErrorCode(err) == booksync.EUNAUTHORIZED {
		s.render(w, r, http.StatusUnauthorized, "login", page{Title: "Sign in", Data: loginForm{ClientID: id, Error: "Wrong client ID or secret"}})
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	token := randomToken()
	if err := s.cfg.Store.CreateToken(r.Context(), sessionHash(token), partner, s.cfg.Now().Add(SessionTTL)); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, s.cookie(sessionCookie, token, "/dashboard/", int(SessionTTL/time.Second)))
	http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Store.RevokeToken(r.Context(), sessionHash(c.Value), partnerOf(r)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", "/dashboard/", -1))
	http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
}
