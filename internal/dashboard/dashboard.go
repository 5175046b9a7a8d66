package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*.js static/*.css
var staticFS embed.FS

// Store is what the dashboard reads from storage; internal/store implements it. Reads of one
// entity take its id, which the dashboard has checked against the signed-in partner first.
type Store interface {
	// CreateToken, TokenPartner and RevokeToken keep the dashboard's sessions, as hashes, beside
	// the API's bearer tokens.
	CreateToken(ctx context.Context, tokenHash []byte, partnerID string, expiresAt time.Time) error
	TokenPartner(ctx context.Context, tokenHash []byte, now time.Time) (string, error)
	RevokeToken(ctx context.Context, tokenHash []byte, partnerID string) error

	// Entity and Entities read the partner's entities; another partner's is not found.
	Entity(ctx context.Context, partnerID, id string) (*booksync.Entity, error)
	Entities(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.Entity], error)
	// Connections and Connection read an entity's connections to its books.
	Connections(ctx context.Context, entityID string) ([]booksync.Connection, error)
	Connection(ctx context.Context, entityID, id string) (*booksync.Connection, error)
	// Receivable reads an invoice of an entity; ReceivableEntityID finds the entity of one of the
	// partner's invoices.
	Receivable(ctx context.Context, entityID, id string) (*booksync.Receivable, error)
	ReceivableEntityID(ctx context.Context, partnerID, id string) (string, error)

	// SyncedRecordCounts counts an entity's records by sync status; PartnerSyncedRecords and
	// PartnerSyncedRecord read the records of all the partner's entities.
	SyncedRecordCounts(ctx context.Context, entityID string) (map[string]int, error)
	PartnerSyncedRecords(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.SyncedRecord], error)
	PartnerSyncedRecord(ctx context.Context, partnerID, id string) (*booksync.SyncedRecord, error)

	// ObjectEvents and EventDeliveries read an object's events and their webhook deliveries.
	ObjectEvents(ctx context.Context, entityID, objectID string, limit int) ([]booksync.Event, error)
	EventDeliveries(ctx context.Context, entityID string, eventIDs []string) ([]booksync.WebhookDelivery, error)
	// JobCounts counts the queue's jobs by state.
	JobCounts(ctx context.Context) (map[string]int, error)
}

// Accounting is what the dashboard asks of the sync engine (internal/syncer), the same calls the
// API's accounting operations make.
type Accounting interface {
	Connect(ctx context.Context, entityID, platform string) (*booksync.Connection, error)
	CompleteAuth(ctx context.Context, callback url.Values) (*booksync.Connection, error)
	Disconnect(ctx context.Context, entityID, id string) (*booksync.Connection, error)
	SyncNow(ctx context.Context, entityID, id string) error
	PushRecord(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, error)
	RemoteInvoice(ctx context.Context, entityID, id string) (booksync.RemoteInvoice, error)
}

// Partners checks a partner's API client credentials as POST /auth/token does (internal/api's
// Server implements it).
type Partners interface {
	PartnerByCredentials(ctx context.Context, clientID, clientSecret string) (string, error)
}

// Config configures a Server.
type Config struct {
	// Store reads what the pages show and keeps the sessions.
	Store Store
	// Accounting is the sync engine, which connects, syncs, pushes and reads the books.
	Accounting Accounting
	// Partners checks the credentials of a sign-in.
	Partners Partners
	// SecretKey, booksync's token-sealing key, derives the key of the CSRF tokens, so that every
	// process serving the dashboard accepts the forms of the others; empty means a key of this
	// process alone.
	SecretKey []byte
	// SecureCookies marks the cookies Secure: set it when booksync is reached over https.
	SecureCookies bool
	// Jobs serves the queue's own pages (River UI) under /dashboard/jobs/; nil shows only the
	// counts by state, with JobsUnavailable saying why.
	Jobs            http.Handler
	JobsUnavailable string
	// Operator says whether a partner runs this booksync: only operators see the queue (River
	// UI and the counts), which holds every tenant's jobs. nil means nobody.
	Operator func(ctx context.Context, partnerID string) (bool, error)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives failures; nil means slog.Default().
	Logger *slog.Logger
}

// Server serves the dashboard under /dashboard/. Create it with New.
type Server struct {
	cfg     Config
	pages   map[string]*template.Template
	csrfKey []byte
	mux     *http.ServeMux
}

// New returns a dashboard with every page parsed and every route registered.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Accounting == nil || cfg.Partners == nil {
		return nil, errors.New("dashboard: Store, Accounting and Partners are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, pages: map[string]*template.Template{}, csrfKey: make([]byte, 32), mux: http.NewServeMux()}
	if len(cfg.SecretKey) > 0 {
		m := hmac.New(sha256.New, cfg.SecretKey)
		m.Write([]byte("booksync dashboard CSRF tokens"))
		s.csrfKey = m.Sum(nil)
	} else {
		_, _ = rand.Read(s.csrfKey)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /dashboard/static/", http.StripPrefix("/dashboard/static/", staticHandler(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /dashboard/login", s.getLogin)
	s.mux.HandleFunc("POST /dashboard/login", s.checkCSRF(s.postLogin))
	s.mux.HandleFunc("POST /dashboard/logout", s.signedIn(s.checkCSRF(s.postLogout)))

	s.mux.HandleFunc("GET /dashboard/{$}", s.signedIn(s.getOverview))
	s.mux.HandleFunc("GET /dashboard/entities/{id}", s.signedIn(s.getEntity))
	s.mux.HandleFunc("GET /dashboard/entities/{id}/connection", s.signedIn(s.getConnectionPanel))
	s.mux.HandleFunc("POST /dashboard/entities/{id}/connect", s.signedIn(s.checkCSRF(s.postConnect)))
	s.mux.HandleFunc("POST /dashboard/entities/{id}/connections/{cid}/{action}", s.signedIn(s.checkCSRF(s.postConnectionAction)))

	s.mux.HandleFunc("GET /dashboard/records", s.signedIn(s.getRecords))
	s.mux.HandleFunc("GET /dashboard/records/{id}/row", s.signedIn(s.getRecordRow))
	s.mux.HandleFunc("POST /dashboard/records/{id}/retry", s.signedIn(s.checkCSRF(s.postRetry)))
	s.mux.HandleFunc("POST /dashboard/records/retry", s.signedIn(s.checkCSRF(s.postRetrySelected)))

	s.mux.HandleFunc("GET /dashboard/receivables/{id}", s.signedIn(s.getReceivable))

	s.mux.HandleFunc("GET /dashboard/jobs", s.signedIn(s.getJobs))
	s.mux.Handle("/dashboard/jobs/", s.signedIn(s.serveJobs))
	s.mux.HandleFunc("/dashboard/", s.signedIn(s.notFound))
}

// staticHandler lets browsers keep the embedded files for a day: they change only with the binary.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the dashboard's pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/dashboard/jobs/") {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	}
	s.mux.ServeHTTP(w, r)
}

// page is what every page's template receives.
type page struct {
	Title   string
	Nav     string // the nav item to mark current
	Partner string
	CSRF    string
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.CSRF = s.csrfToken(w, r)
	p.Partner = partnerOf(r)
	t := s.pages[name]
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// renderFragment writes one named template of a page (a panel htmx swaps in).
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, pageName, fragment string, data any) {
	var b strings.Builder
	if err := s.pages[pageName].ExecuteTemplate(&b, fragment, fragmentData{CSRF: s.csrfToken(w, r), Data: data}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

// fragmentData is what a fragment receives, whether rendered inside its page or alone.
type fragmentData struct {
	CSRF string
	Data any
}

// message is a page that only says something: a 404, a refusal, a failure.
type message struct {
	Heading, Text string
	Back          string
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "message", page{Title: "Not found", Data: message{
		Heading: "Not found", Text: "There is no such page, or it belongs to another partner.", Back: "/dashboard/"}})
}

// fail answers an error from a service: its code decides the status, and its message is the one
// the API would give.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := booksync.ErrorCode(err)
	status := booksync.HTTPStatus(code)
	if code == booksync.ENOTFOUND {
		s.notFound(w, r)
		return
	}
	text := booksync.ErrorMessage(err)
	var be booksync.BooksError
	if errors.As(err, &be) {
		_, msg := be.BooksFailure()
		text, status = "The accounting system could not complete the request: "+msg+".", http.StatusBadGateway
	}
	if status == http.StatusInternalServerError {
		s.cfg.Logger.Error("dashboard", "path", r.URL.Path, "err", err)
		text = "Something went wrong inside booksync; the error is in its log."
	}
	if isHTMX(r) {
		// A button's request failed: its message goes to the page's alert region, not into the
		// element the button would have replaced.
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = flashTemplate.Execute(w, text)
		return
	}
	s.render(w, r, status, "message", page{Title: "Not done", Data: message{Heading: "Not done", Text: text, Back: "/dashboard/"}})
}

var flashTemplate = template.Must(template.New("flash").Parse(`<p class="alert">{{.}}</p>`))

// isHTMX reports whether htmx sent the request, which then wants a fragment and not a page.
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
