package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/booksync/booksync"
)

// entityCard is one entity on the overview, and the head of its own page.
type entityCard struct {
	Entity       *booksync.Entity
	Conn         *booksync.Connection // the active connection, or nil
	Done         int
	Pending      int
	Errors       int
	RecentErrors []booksync.SyncedRecord
	InProgress   bool
}

// platforms are the accounting systems the entity page offers to connect, with their buttons'
// words.
var platforms = []struct{ Name, Label string }{
	{booksync.PlatformXero, "Xero"},
	{booksync.PlatformQuickBooksOnline, "QuickBooks"},
	{booksync.PlatformGnuCash, "GnuCash"},
}

func (s *Server) card(r *http.Request, e booksync.Entity, recentErrors int) (entityCard, error) {
	ctx := r.Context()
	c := entityCard{Entity: &e}
	conns, err := s.cfg.Store.Connections(ctx, e.ID)
	if err != nil {
		return c, err
	}
	for i := range conns {
		if conns[i].IsActive() {
			c.Conn = &conns[i]
		}
	}
	counts, err := s.cfg.Store.SyncedRecordCounts(ctx, e.ID)
	if err != nil {
		return c, err
	}
	c.Done, c.Pending, c.Errors = counts[booksync.SyncStatusDone], counts[booksync.SyncStatusPending], counts[booksync.SyncStatusError]
	if c.Errors > 0 && recentErrors > 0 {
		pg, err := s.cfg.Store.PartnerSyncedRecords(ctx, partnerOf(r), booksync.ListQuery{
			Filters: []booksync.Filter{
				{Field: "entity_id", Values: []any{e.ID}},
				{Field: "sync_status", Values: []any{booksync.SyncStatusError}},
			},
			Sort: "updated_at", Order: booksync.OrderDesc, Limit: recentErrors})
		if err != nil {
			return c, err
		}
		c.RecentErrors = pg.Items
	}
	// Something is under way while the user has not yet allowed access, while the first sync has
	// not pulled, and while records wait to be pushed: the page then refreshes itself.
	if c.Conn != nil {
		c.InProgress = c.Conn.Status == booksync.ConnectionPendingAuth ||
			(c.Conn.Status == booksync.ConnectionConnected && (c.Conn.LastPull == nil || c.Pending > 0))
	}
	return c, nil
}

type overview struct {
	Cards      []entityCard
	Next, Prev string
}

func (s *Server) getOverview(w http.ResponseWriter, r *http.Request) {
	q := booksync.ListQuery{Limit: 50}
	if err := pageCursor(r, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	pg, err := s.cfg.Store.Entities(r.Context(), partnerOf(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var o overview
	for _, e := range pg.Items {
		c, err := s.card(r, e, 3)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		o.Cards = append(o.Cards, c)
	}
	o.Next, o.Prev = pageLinks(r, pg.Next, pg.Prev)
	s.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Data: o})
}

// entityOf returns the signed-in partner's entity named by the path, or answers 404.
func (s *Server) entityOf(w http.ResponseWriter, r *http.Request) (*booksync.Entity, bool) {
	e, err := s.cfg.Store.Entity(r.Context(), partnerOf(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return e, true
}

type entityPage struct {
	entityCard
	Platforms any
	// Poll is where the panel refreshes itself from; Syncing says a sync asked for here has not
	// pulled yet.
	Poll    string
	Syncing bool
}

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request) (entityPage, bool) {
	e, ok := s.entityOf(w, r)
	if !ok {
		return entityPage{}, false
	}
	c, err := s.card(r, *e, 5)
	if err != nil {
		s.fail(w, r, err)
		return entityPage{}, false
	}
	p := entityPage{entityCard: c, Platforms: platforms, Poll: "/dashboard/entities/" + e.ID + "/connection"}
	// After Sync now, the panel follows the sync until it has pulled.
	if v := r.URL.Query().Get("sync_requested"); v != "" && c.Conn != nil && c.Conn.Status == booksync.ConnectionConnected {
		if at, err := strconv.ParseInt(v, 10, 64); err == nil {
			if c.Conn.LastPull == nil || c.Conn.LastPull.UnixMicro() < at {
				p.InProgress, p.Syncing = true, true
			}
			p.Poll += "?sync_requested=" + v
		}
	}
	return p, true
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) {
	p, ok := s.entityPage(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "entity", page{Title: p.Entity.Name(), Nav: "overview", Data: p})
}

// getConnectionPanel serves the connection's panel alone, which the entity page polls while
// something is under way.
func (s *Server) getConnectionPanel(w http.ResponseWriter, r *http.Request) {
	p, ok := s.entityPage(w, r)
	if !ok {
		return
	}
	s.renderFragment(w, r, "entity", "connection", p)
}

func (s *Server) backToEntity(w http.ResponseWriter, r *http.Request, entityID string) {
	http.Redirect(w, r, "/dashboard/entities/"+entityID, http.StatusSeeOther)
}

// goConnect sends the browser to a new connection's consent page, remembering that the
// dashboard started it; a connection that needs no consent (books on this machine) is already
// connected, and the browser goes back to the entity.
func (s *Server) goConnect(w http.ResponseWriter, r *http.Request, c *booksync.Connection) {
	if c.Status != booksync.ConnectionPendingAuth {
		s.backToEntity(w, r, c.EntityID)
		return
	}
	http.SetCookie(w, s.cookie(connectCookie, c.EntityID, "/oauth/callback", int(time.Hour/time.Second)))
	http.Redirect(w, r, c.ConnectionURL, http.StatusSeeOther)
}

func (s *Server) postConnect(w http.ResponseWriter, r *http.Request) {
	e, ok := s.entityOf(w, r)
	if !ok {
		return
	}
	c, err := s.cfg.Accounting.Connect(r.Context(), e.ID, r.PostFormValue("platform"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.goConnect(w, r, c)
}

// postConnectionAction syncs, disconnects or reconnects one of the entity's connections.
func (s *Server) postConnectionAction(w http.ResponseWriter, r *http.Request) {
	e, ok := s.entityOf(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	conn, err := s.cfg.Store.Connection(ctx, e.ID, r.PathValue("cid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.PathValue("action") {
	case "sync":
		asked := s.cfg.Now().UnixMicro()
		if err = s.cfg.Accounting.SyncNow(ctx, e.ID, conn.ID); err == nil {
			http.Redirect(w, r, "/dashboard/entities/"+e.ID+"?sync_requested="+strconv.FormatInt(asked, 10), http.StatusSeeOther)
			return
		}
	case "disconnect":
		_, err = s.cfg.Accounting.Disconnect(ctx, e.ID, conn.ID)
	case "reconnect":
		// A deauthorized connection is ended and a new one to the same platform takes its place,
		// as POST /accounting_connections after a disconnect does.
		if conn.Status != booksync.ConnectionDeauthorized {
			err = booksync.Errorf(booksync.ECONFLICT, "Only a deauthorized connection is reconnected; this one is %s.", conn.Status)
			break
		}
		if _, err = s.cfg.Accounting.Disconnect(ctx, e.ID, conn.ID); err != nil {
			break
		}
		var c *booksync.Connection
		if c, err = s.cfg.Accounting.Connect(ctx, e.ID, conn.Platform); err == nil {
			s.goConnect(w, r, c)
			return
		}
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.backToEntity(w, r, e.ID)
}

// OAuthCallback wraps the API's OAuth callback: when the dashboard started the connection, it
// completes it through the same engine call and brings the browser back to the entity's page;
// otherwise next (the API's page) answers.
func (s *Server) OAuthCallback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mark, err := r.Cookie(connectCookie)
		if err != nil || mark.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		http.SetCookie(w, s.cookie(connectCookie, "", "/oauth/callback", -1))
		c, err := s.cfg.Accounting.CompleteAuth(r.Context(), r.URL.Query())
		if err != nil {
			text := booksync.ErrorMessage(err)
			if booksync.ErrorCode(err) == booksync.EINTERNAL {
				s.cfg.Logger.Error("dashboard: oauth callback", "err", err)
				text = "The connection could not be completed; the error is in booksync's log."
			}
			status := booksync.HTTPStatus(booksync.ErrorCode(err))
			s.render(w, r, status, "message", page{Title: "Not connected", Data: message{
				Heading: "Not connected", Text: text, Back: "/dashboard/entities/" + mark.Value}})
			return
		}
		s.backToEntity(w, r, c.EntityID)
	})
}
