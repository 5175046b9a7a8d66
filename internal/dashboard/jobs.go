package dashboard

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"riverqueue.com/riverui"
)

// JobsPrefix is where River UI is served.
const JobsPrefix = "/dashboard/jobs"

// RiverUI returns River UI's handler for the queue that driver reaches, served under JobsPrefix.
// It takes only the driver, so the dashboard follows whichever driver the store runs River on
// (SQLite, or PostgreSQL through database/sql or pgx). The handler is not started: River UI then
// counts jobs when a page asks, rather than every few seconds on the database's connection.
func RiverUI[TTx any](driver riverdriver.Driver[TTx], logger *slog.Logger) (*riverui.Handler, error) {
	// A client with no queues only reads and changes jobs; the engine's client runs them.
	client, err := river.NewClient(driver, &river.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	return riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    logger,
		Prefix:    JobsPrefix,
	})
}

// jobStates are River's job states, in the order a job passes through them.
var jobStates = []string{"scheduled", "available", "pending", "running", "retryable", "completed", "cancelled", "discarded"}

type jobCount struct {
	State string
	Count int
}

type jobsPage struct {
	Operator    bool
	RiverUI     bool
	Unavailable string
	Counts      []jobCount
}

// operator says whether the signed-in partner may see the queue, which holds every tenant's jobs.
func (s *Server) operator(r *http.Request) (bool, error) {
	if s.cfg.Operator == nil {
		return false, nil
	}
	return s.cfg.Operator(r.Context(), partnerOf(r))
}

func (s *Server) getJobs(w http.ResponseWriter, r *http.Request) {
	op, err := s.operator(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !op {
		s.render(w, r, http.StatusOK, "jobs", page{Title: "Jobs", Nav: "jobs", Data: jobsPage{}})
		return
	}
	counts, err := s.cfg.Store.JobCounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := jobsPage{Operator: true, RiverUI: s.cfg.Jobs != nil, Unavailable: s.cfg.JobsUnavailable}
	for _, st := range jobStates {
		p.Counts = append(p.Counts, jobCount{st, counts[st]})
	}
	for st, n := range counts {
		if !slices.Contains(jobStates, st) {
			p.Counts = append(p.Counts, jobCount{st, n})
		}
	}
	s.render(w, r, http.StatusOK, "jobs", page{Title: "Jobs", Nav: "jobs", Data: p})
}

// serveJobs serves River UI behind the dashboard's sign-in, to operators only: it shows and
// changes every tenant's jobs. River UI's own requests carry no CSRF token, so a change through it
// (cancel, retry, delete a job) must come from this origin, which browsers say in Sec-Fetch-Site
// or Origin.
func (s *Server) serveJobs(w http.ResponseWriter, r *http.Request) {
	op, err := s.operator(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Jobs == nil || !op {
		s.notFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		http.Error(w, "River UI accepts changes only from booksync's own pages.", http.StatusForbidden)
		return
	}
	s.cfg.Jobs.ServeHTTP(w, r)
}

func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	return origin != "" && (origin == "http://"+r.Host || origin == "https://"+r.Host)
}
