package dashboard

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

// recordsPageSize is how many synced records a page of the records list shows.
const recordsPageSize = 50

var (
	syncStatuses = []string{booksync.SyncStatusPending, booksync.SyncStatusDone, booksync.SyncStatusError}
	objectTypes  = []string{booksync.ObjectReceivable, booksync.ObjectPaymentRecord, booksync.ObjectCustomer, booksync.ObjectProduct}
)

// encodeCursor writes a list position as the opaque token of a Next or Previous link.
func encodeCursor(c *booksync.Cursor) string {
	var key string
	switch k := c.Key.(type) {
	case int64:
		key = "i" + strconv.FormatInt(k, 10)
	case string:
		key = "s" + k
	}
	return base64.RawURLEncoding.EncodeToString([]byte(c.ID + "\n" + key))
}

func decodeCursor(token string) (*booksync.Cursor, error) {
	bad := booksync.Errorf(booksync.EINVALID, "This page link is damaged; start again from the first page.")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	id, key, ok := strings.Cut(string(b), "\n")
	if !ok || key == "" {
		return nil, bad
	}
	switch key[0] {
	case 'i':
		n, err := strconv.ParseInt(key[1:], 10, 64)
		if err != nil {
			return nil, bad
		}
		return &booksync.Cursor{Key: n, ID: id}, nil
	case 's':
		return &booksync.Cursor{Key: key[1:], ID: id}, nil
	}
	return nil, bad
}

// pageCursor reads the query's after or before token into q.
func pageCursor(r *http.Request, q *booksync.ListQuery) error {
	var err error
	if t := r.URL.Query().Get("after"); t != "" {
		q.After, err = decodeCursor(t)
	} else if t := r.URL.Query().Get("before"); t != "" {
		q.Before, err = decodeCursor(t)
	}
	return err
}

// pageLinks returns the URLs of the next and previous pages of the request's list, or "".
func pageLinks(r *http.Request, next, prev *booksync.Cursor) (string, string) {
	link := func(param string, c *booksync.Cursor) string {
		if c == nil {
			return ""
		}
		v := r.URL.Query()
		v.Del("after")
		v.Del("before")
		v.Set(param, encodeCursor(c))
		return r.URL.Path + "?" + v.Encode()
	}
	return link("after", next), link("before", prev)
}

// recordFilters is the records list's filter form, as the request gave it.
type recordFilters struct {
	Status, ObjectType, Platform, EntityID, Since string
}

type recordsPage struct {
	Filters    recordFilters
	Error      string
	Rows       []recordRow
	Next, Prev string
	Back       string // this page's own URL, where a retry of the selected records returns
	Statuses   []string
	Types      []string
	Platforms  any
	Entities   []booksync.Entity
}

// recordRow is one synced record in the list, with the name of its entity.
type recordRow struct {
	booksync.SyncedRecord
	EntityName string
}

// recordQuery turns the filter form into a list query; a value outside its choices is a 400.
func (s *Server) recordQuery(r *http.Request, f recordFilters) (booksync.ListQuery, error) {
	q := booksync.ListQuery{Sort: "updated_at", Order: booksync.OrderDesc, Limit: recordsPageSize}
	eq := func(field, value string, allowed []string, what string) error {
		if value == "" {
			return nil
		}
		if allowed != nil && !slices.Contains(allowed, value) {
			return booksync.Errorf(booksync.EINVALID, "%s must be one of %s.", what, strings.Join(allowed, ", "))
		}
		q.Filters = append(q.Filters, booksync.Filter{Field: field, Values: []any{value}})
		return nil
	}
	var names []string
	for _, p := range platforms {
		names = append(names, p.Name)
	}
	if err := eq("sync_status", f.Status, syncStatuses, "Status"); err != nil {
		return q, err
	}
	if err := eq("object_type", f.ObjectType, objectTypes, "Object type"); err != nil {
		return q, err
	}
	if err := eq("platform", f.Platform, names, "Platform"); err != nil {
		return q, err
	}
	if f.EntityID != "" {
		if _, err := s.cfg.Store.Entity(r.Context(), partnerOf(r), f.EntityID); err != nil {
			return q, err
		}
		q.Filters = append(q.Filters, booksync.Filter{Field: "entity_id", Values: []any{f.EntityID}})
	}
	if f.Since != "" {
		t, err := time.Parse(time.DateOnly, f.Since)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, f.Since); err != nil {
				return q, booksync.Errorf(booksync.EINVALID, "Since must be a date (2026-01-31) or a date-time (2026-01-31T09:00:00Z).")
			}
		}
		q.Filters = append(q.Filters, booksync.Filter{Field: "updated_at", Op: booksync.OpGte, Values: []any{t.UTC()}})
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 250 {
			return q, booksync.Errorf(booksync.EINVALID, "limit must be a number from 1 to 250.")
		}
		q.Limit = n
	}
	return q, pageCursor(r, &q)
}

func (s *Server) getRecords(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	p := recordsPage{
		Filters: recordFilters{Status: v.Get("status"), ObjectType: v.Get("object_type"), Platform: v.Get("platform"),
			EntityID: v.Get("entity_id"), Since: v.Get("since")},
		Statuses: syncStatuses, Types: objectTypes, Platforms: platforms, Back: r.URL.RequestURI(),
	}
	ents, err := s.cfg.Store.Entities(r.Context(), partnerOf(r), booksync.ListQuery{Limit: 250})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Entities = ents.Items
	status := http.StatusOK
	q, err := s.recordQuery(r, p.Filters)
	if err == nil {
		var pg booksync.Page[booksync.SyncedRecord]
		if pg, err = s.cfg.Store.PartnerSyncedRecords(r.Context(), partnerOf(r), q); err == nil {
			p.Rows = s.rows(pg.Items, ents.Items)
			p.Next, p.Prev = pageLinks(r, pg.Next, pg.Prev)
		}
	}
	if err != nil {
		code := booksync.ErrorCode(err)
		if code != booksync.EINVALID && code != booksync.ENOTFOUND && code != booksync.EVALIDATION {
			s.fail(w, r, err)
			return
		}
		// A filter the list cannot take: the form again, saying what to change.
		status, p.Error = http.StatusBadRequest, booksync.ErrorMessage(err)
		if code == booksync.ENOTFOUND {
			p.Error = "There is no such entity among yours."
		}
	}
	s.render(w, r, status, "records", page{Title: "Synced records", Nav: "records", Data: p})
}

func (s *Server) rows(recs []booksync.SyncedRecord, ents []booksync.Entity) []recordRow {
	out := make([]recordRow, len(recs))
	for i, rec := range recs {
		out[i].SyncedRecord = rec
		for _, e := range ents {
			if e.ID == rec.EntityID {
				out[i].EntityName = e.Name()
			}
		}
	}
	return out
}

// rowOf returns one of the signed-in partner's records as a row of the list.
func (s *Server) rowOf(r *http.Request, id string) (recordRow, error) {
	rec, err := s.cfg.Store.PartnerSyncedRecord(r.Context(), partnerOf(r), id)
	if err != nil {
		return recordRow{}, err
	}
	row := recordRow{SyncedRecord: *rec}
	if e, err := s.cfg.Store.Entity(r.Context(), partnerOf(r), rec.EntityID); err == nil {
		row.EntityName = e.Name()
	}
	return row, nil
}

// getRecordRow serves one row alone, which a pending row polls until its push ends.
func (s *Server) getRecordRow(w http.ResponseWriter, r *http.Request) {
	row, err := s.rowOf(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderFragment(w, r, "records", "record-row", row)
}

// retry pushes one of the signed-in partner's records again, as POST
// /accounting_synced_records/{id}/push does.
func (s *Server) retry(r *http.Request, id string) error {
	rec, err := s.cfg.Store.PartnerSyncedRecord(r.Context(), partnerOf(r), id)
	if err != nil {
		return err
	}
	_, err = s.cfg.Accounting.PushRecord(r.Context(), rec.EntityID, rec.ID)
	return err
}

func (s *Server) postRetry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.retry(r, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if isHTMX(r) {
		s.getRecordRow(w, r)
		return
	}
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// postRetrySelected pushes every checked record again. Every id is checked before any is pushed,
// so a list with another partner's record pushes none.
func (s *Server) postRetrySelected(w http.ResponseWriter, r *http.Request) {
	ids := r.PostForm["record_id"]
	if len(ids) == 0 {
		s.render(w, r, http.StatusBadRequest, "message", page{Title: "Nothing selected", Data: message{
			Heading: "Nothing selected", Text: "Tick the records to retry, then press Retry selected.", Back: backTo(r)}})
		return
	}
	if len(ids) > 250 {
		s.render(w, r, http.StatusBadRequest, "message", page{Title: "Too many", Data: message{
			Heading: "Too many", Text: "Retry at most 250 records at once.", Back: backTo(r)}})
		return
	}
	for _, id := range ids {
		if _, err := s.cfg.Store.PartnerSyncedRecord(r.Context(), partnerOf(r), id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, id := range ids {
		if err := s.retry(r, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// backTo returns the records page the form came from (its field back), or the records list: only
// a path of the records list is followed, never another site.
func backTo(r *http.Request) string {
	b := r.PostFormValue("back")
	u, err := url.Parse(b)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != "/dashboard/records" {
		return "/dashboard/records"
	}
	return u.RequestURI()
}
