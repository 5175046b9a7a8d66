package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
	"github.com/booksync/booksync/internal/platform"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/oauth2"
)

// session is one job's view of a connection: its connector, what was pulled, and the entity's
// settings. A push reads the last two again for each batch (see load).
type session struct {
	e        *Engine
	close    func() error // releases the connector's resources (local books); may be nil
	conn     *booksync.Connection
	provider *platform.Provider
	ts       *tokenSource
	cx       platform.Connector
	settings booksync.Settings
	rates    []booksync.AccountingTaxRate
	accounts []booksync.LedgerAccount
	// sends, when not nil, sends batches of invoices in the background (see sends).
	sends *sends
}

// open prepares a session for a connected connection.
func (e *Engine) open(ctx context.Context, connID string) (*session, error) {
	conn, err := e.store.ConnectionByID(ctx, connID)
	if err != nil {
		return nil, err
	}
	if conn.Status != booksync.ConnectionConnected {
		return nil, errNotConnected
	}
	p := e.cfg.Providers[conn.Platform]
	if p == nil {
		return nil, fmt.Errorf("syncer: no provider for platform %q", conn.Platform)
	}
	s := &session{e: e, conn: conn, provider: p}
	if p.Local != nil {
		ent, err := e.store.EntityByID(ctx, conn.EntityID)
		if err != nil {
			return nil, err
		}
		if s.cx, s.close, err = p.Local(conn, ent); err != nil {
			return nil, err
		}
	} else {
		s.ts = e.tokenSourceFor(conn, p)
		s.cx = p.Connector(s.ts.httpClient(ctx), conn.TenantID, e.budgetFor(conn, p))
	}
	if err := s.load(ctx); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

// load reads the entity's settings and what was last pulled from the books. A push calls it for
// each batch after choosing the batch's records: a record pushed again after the user fixed its
// cause (set a setting, added a tax rate that a sync then pulled) was made pending after the fix
// was stored, so the batch that picks it up checks it against the fix, even in a push that was
// already running before the fix.
func (s *session) load(ctx context.Context) error {
	var err error
	if s.settings, err = s.e.store.Settings(ctx, s.conn.EntityID); err != nil {
		return err
	}
	s.rates, s.accounts, err = s.e.store.PulledOf(ctx, s.conn.ID)
	return err
}

// release frees what the session's connector holds.
func (s *session) release() {
	if s.close != nil {
		if err := s.close(); err != nil {
			s.e.log.Warn("closing books", "connection_id", s.conn.ID, "err", err)
		}
	}
}

// call runs one connector call. A 401 refreshes the token once and tries again with the new one;
// only a refused refresh makes the connection deauthorized (in tokenSource.token), and a platform
// that refuses a token it has just issued fails the job, which River retries later. A transient
// failure or an unknown outcome is tried again a few times with a short backoff before the job
// itself fails and River retries it later; that is safe because connectors look objects up
// before creating them and replay writes with the same idempotency key. A short rate-limit wait is
// waited out here; a long one snoozes the job.
func (s *session) call(ctx context.Context, fn func() error) error {
	refreshed := false
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		var sent *oauth2.Token // the token fn is about to send, to name it if it is refused
		if s.ts != nil {
			sent = s.ts.current()
		}
		err := fn()
		var pe *platform.Error
		errors.As(err, &pe)
		switch platform.ClassOf(err) {
		case "":
			return nil
		case platform.Auth:
			if err := s.refreshRefused(ctx, err, pe, sent, refreshed); err != nil {
				return err
			}
			refreshed = true
		case platform.RateLimited:
			if err := s.waitRateLimit(ctx, err, pe, attempt); err != nil {
				return err
			}
		case platform.Transient, platform.UnknownOutcome:
			if err := s.backOff(ctx, err, attempt, backoff); err != nil {
				return err
			}
			backoff *= 4
		default:
			return err
		}
	}
}

// refreshRefused answers a call the platform refused (err, an Auth failure; pe its
// platform.Error, if any) by refreshing the token that was sent, and returns nil when the call
// may be tried again with the new one. refreshed says the token was refreshed already in this call.
func (s *session) refreshRefused(ctx context.Context, err error, pe *platform.Error, sent *oauth2.Token, refreshed bool) error {
	if s.ts == nil || pe != nil && pe.Code == booksync.CodeConnectionDeauthorized {
		return err
	}
	if refreshed {
		if pe != nil && pe.Status == http.StatusForbidden {
			// 403: a good grant that no longer reaches the organisation (disconnected
			// from the app, a role withdrawn); no token cures it, the user must reconnect.
			return s.e.deauthorize(ctx, s.conn.ID, "the organisation refuses access even with a new access token ("+pe.Message+")")
		}
		// The grant is good (the refresh was accepted), so this is no reason to disconnect.
		return &platform.Error{Class: platform.Transient, Message: s.provider.Name + " refused an access token it had just issued", Err: err}
	}
	if sent == nil {
		sent = s.ts.current() // fn got the token it sent when it sent it
	}
	if _, rerr := s.ts.token(ctx, sent); rerr != nil {
		return rerr
	}
	return nil
}

// waitRateLimit waits out a short rate limit (err, pe its platform.Error) and returns nil, or
// returns err for a long one, or after five waits, for the job to be snoozed.
func (s *session) waitRateLimit(ctx context.Context, err error, pe *platform.Error, attempt int) error {
	if pe == nil || pe.RetryAfter > 5*time.Second || attempt >= 5 {
		return err
	}
	if !sleep(ctx, pe.RetryAfter) {
		return ctx.Err()
	}
	return nil
}

// backOff waits before a transient failure or an unknown outcome (err) is tried again and returns
// nil, or returns err after three retries, for the job to fail and River to retry it later.
func (s *session) backOff(ctx context.Context, err error, attempt int, backoff time.Duration) error {
	if attempt >= 3 {
		return err
	}
	s.e.log.Warn("retrying accounting call", "connection_id", s.conn.ID, "err", err, "in", backoff)
	if !sleep(ctx, backoff) {
		return ctx.Err()
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pull reads the connection's organisation, tax rates and ledger accounts and stores them.
func (e *Engine) pull(ctx context.Context, connID string) error {
	s, err := e.open(ctx, connID)
	if err != nil {
		return err
	}
	defer s.release()
	var org platform.Org
	var rates []platform.TaxRate
	var accounts []platform.LedgerAccount
	err = s.call(ctx, func() error {
		var err error
		if org, err = s.cx.Org(ctx); err != nil {
			return err
		}
		if rates, err = s.cx.TaxRates(ctx); err != nil {
			return err
		}
		accounts, err = s.cx.LedgerAccounts(ctx)
		return err
	})
	if err != nil {
		return err
	}
	c := s.conn
	now := e.now()
	pulledRates := make([]booksync.AccountingTaxRate, 0, len(rates))
	for _, r := range rates {
		t := booksync.AccountingTaxRate{ID: booksync.StableID(c.EntityID, c.Platform, c.TenantID, "tax_rate", r.Code),
			EntityID: c.EntityID, ConnectionID: c.ID, UpdatedAt: now, Code: r.Code, Name: r.Name, Status: r.Status,
			EffectiveTaxRate: r.Rate, Revenue: r.Revenue, Kind: r.Kind, Components: []booksync.TaxComponent{}}
		if r.Automated {
			t.EffectiveTaxRate = booksync.AutomatedTaxRate
		}
		for _, comp := range r.Components {
			t.Components = append(t.Components, booksync.TaxComponent{Name: comp.Name, Rate: comp.Rate, IsCompound: comp.IsCompound})
			t.TotalTaxRate += comp.Rate
		}
		if len(r.Components) == 0 {
			t.TotalTaxRate = t.EffectiveTaxRate
		}
		pulledRates = append(pulledRates, t)
	}
	pulledAccounts := make([]booksync.LedgerAccount, 0, len(accounts))
	for _, a := range accounts {
		la := booksync.LedgerAccount{ID: booksync.StableID(c.EntityID, c.Platform, c.TenantID, "ledger_account", a.ID),
			EntityID: c.EntityID, ConnectionID: c.ID, UpdatedAt: now, PlatformID: a.ID, Name: a.Name, Type: a.Type,
			Status: a.Status, IsBank: a.IsBank, PaymentsAllowed: a.PaymentsAllowed, SalesRefusal: a.SalesRefusal}
		if a.Code != "" {
			code := a.Code
			la.NominalCode = &code
		}
		if a.Subtype != "" {
			st := a.Subtype
			la.Subtype = &st
		}
		if a.Description != "" {
			d := a.Description
			la.Description = &d
		}
		if _, ok := money.Exponent(a.Currency); ok {
			cur := a.Currency
			la.Currency = &cur
		}
		pulledAccounts = append(pulledAccounts, la)
	}
	c.LastPull = &now
	c.UpdatedAt = now
	c.Errors = []booksync.ConnectionError{}
	c.BusinessInfo = &booksync.BusinessInfo{Name: strPtr(org.Name), LegalName: strPtr(org.Name), BaseCurrency: strPtr(org.BaseCurrency)}
	return e.store.ReplacePulled(ctx, c, pulledRates, pulledAccounts)
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// commitSkew bounds the time between a record being stamped and its transaction committing.
const commitSkew = 5 * time.Second

// batchWindow is how long an invoice may wait for others to fill its batch when the accounting
// system limits calls: a steady trickle of issues then costs one call per batch, not per invoice.
const batchWindow = time.Second

// pushConnection pushes every pending record of a connection, in rounds of BatchSize: customers,
// products, invoices (which push the customers and products they need first), then payments.
// When a round changes nothing it calls finish (if not nil) with the round's start, which reports
// whether the push may end or records were queued meanwhile. A push job passes finish; its run
// also hands its worker over to a waiting job after its share of rounds (Config.PushRounds).
func (e *Engine) pushConnection(ctx context.Context, connID string, finish func(since time.Time) (bool, error)) error {
	return e.withPushLease(ctx, connID, func(ctx context.Context) error {
		s, err := e.open(ctx, connID)
		if err != nil {
			return err
		}
		defer s.release()
		if n := s.sendsAllowed(); n > 0 {
			s.sends = newSends(n)
			defer s.sends.wait() // before the session is released and the lease given back
		}
		deadline := time.Now().Add(e.cfg.JobTimeout / 2)
		rounds, sliceEnd := 0, time.Now().Add(e.cfg.PushSlice)
		for {
			if err := s.sends.failed(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return errContinue
			}
			if finish != nil && (rounds >= e.cfg.PushRounds || time.Now().After(sliceEnd)) {
				// The job's run has had its share: if another job waits for a worker (another
				// connection's push, perhaps of a single invoice), it goes first, and this push
				// continues after it, so one connection's backlog never holds the workers.
				waiting, err := e.jobsWaiting(ctx)
				if err != nil {
					return err
				}
				if waiting {
					return errContinue
				}
				rounds, sliceEnd = 0, time.Now().Add(e.cfg.PushSlice)
			}
			rounds++
			roundStart := e.now()
			sending := s.sends.busy() > 0
			progressed, err := s.pushRound(ctx)
			if err != nil {
				return err
			}
			if !progressed && sending {
				// Nothing left to push but what is being sent: once it is answered, what it left
				// pending (or what was queued meanwhile) is for another round.
				if err := s.sends.wait(); err != nil {
					return err
				}
				continue
			}
			if !progressed {
				if finish == nil {
					return nil
				}
				// A record is stamped when its issue's transaction writes it, a moment before that
				// transaction commits; one stamped just before this round began may have been
				// invisible to it. Records stamped within commitSkew of the round count as new.
				if done, err := finish(roundStart.Add(-commitSkew)); done || err != nil {
					return err
				}
				if !sleep(ctx, 100*time.Millisecond) {
					return ctx.Err()
				}
			}
		}
	})
}

// sendsAllowed returns how many batches of invoices a push of the session's connection may have
// in flight at once (see sends), 0 for none: within the accounting system's concurrency, one slot
// of it left for the round's own calls (customers, items), and up to maxSends against a system
// without limits, where preparing the next batch while one is sent is what drains a backlog fast
// (the database's round trips and the system's answer overlap). Books written locally without
// limits (GnuCash) take one writer at a time.
func (s *session) sendsAllowed() int {
	switch l := s.provider.Limits; {
	case l.Concurrent > 0:
		return min(l.Concurrent-1, maxSends)
	case l.PerMinute > 0 || s.provider.Local != nil:
		return 0
	}
	return maxSends
}

// jobsWaiting reports whether a job of the engine's queue is available to run and waits for a
// worker.
func (e *Engine) jobsWaiting(ctx context.Context) (bool, error) {
	res, err := e.river.JobList(ctx, river.NewJobListParams().Queues(river.QueueDefault).
		States(rivertype.JobStateAvailable).First(1))
	if err != nil {
		return false, fmt.Errorf("syncer: jobs waiting: %w", err)
	}
	return len(res.Jobs) > 0, nil
}

// pushRound pushes a batch of each type of pending record, in order, and reports whether any
// record was settled.
func (s *session) pushRound(ctx context.Context) (bool, error) {
	progressed := false
	for _, typ := range []string{booksync.ObjectCustomer, booksync.ObjectProduct, booksync.ObjectReceivable, booksync.ObjectPaymentRecord} {
		recs, err := s.pending(ctx, typ)
		if err != nil {
			return false, err
		}
		if len(recs) == 0 {
			continue
		}
		if recs, err = s.fillBatch(ctx, typ, recs); err != nil {
			return false, err
		}
		if err := s.load(ctx); err != nil {
			return false, err
		}
		n, err := s.pushBatch(ctx, typ, recs)
		if err != nil {
			return false, err
		}
		progressed = progressed || n > 0
	}
	return progressed, nil
}

// fillBatch returns the pending records of typ to push, recs or, against a rate-limited system,
// those found after waiting for more.
func (s *session) fillBatch(ctx context.Context, typ string, recs []booksync.SyncedRecord) ([]booksync.SyncedRecord, error) {
	if typ != booksync.ObjectReceivable || len(recs) >= s.e.cfg.BatchSize {
		return recs, nil
	}
	if s.sends.busy() > 0 {
		// Batches in flight are a backlog being drained: what is left is sent once they are
		// answered, with what was issued meanwhile, not in a small batch of its own beside them.
		if err := s.sends.wait(); err != nil {
			return nil, err
		}
		var err error
		if recs, err = s.pending(ctx, typ); err != nil || len(recs) == 0 || len(recs) >= s.e.cfg.BatchSize {
			return recs, err
		}
	}
	if s.provider.Limits.PerMinute <= 0 {
		return recs, nil
	}
	// Against a rate-limited system a call is worth filling: invoices issued one
	// by one wait up to batchWindow for others to join their batch.
	oldest := recs[0].UpdatedAt
	for _, r := range recs {
		if r.UpdatedAt.Before(oldest) {
			oldest = r.UpdatedAt
		}
	}
	wait := batchWindow - s.e.now().Sub(oldest)
	if wait <= 0 {
		return recs, nil
	}
	if !sleep(ctx, wait) {
		return nil, ctx.Err()
	}
	return s.pending(ctx, typ)
}

// pending returns a batch of the connection's pending records of typ, leaving out those being
// sent. The records being sent are taken before the query: a send forgets its records only after
// their outcome is committed, so a record it settles while the query runs is either left out here
// or no longer pending in the query's answer, and never sent a second time.
func (s *session) pending(ctx context.Context, typ string) ([]booksync.SyncedRecord, error) {
	return s.e.store.PendingRecordsExcept(ctx, s.conn.ID, typ, s.e.cfg.BatchSize, s.sends.sending())
}

// maxSends bounds the batches of invoices one push has in flight at once.
const maxSends = 4

// sends are the batches of invoices a push has sent and not yet settled. Against an accounting
// system that limits calls, a push that waited for each answer before preparing its next batch
// would spend its minute's calls only as fast as one call after another goes: a real Xero takes
// seconds over a PUT of 50 invoices, so 60 calls one after another take minutes, not one. So each
// batch is sent in the background and the push goes on to prepare the next while it is in flight,
// within the system's concurrency; the budget still spaces the calls. Against a system without
// limits the same overlap hides the database's round trips behind the system's answers. A batch
// that is not full waits for the batches in flight instead (fillBatch), so that invoices issued
// one by one while a backlog drains join a full batch rather than a call of their own. A batch
// prepared while others are in flight leaves their records out, and its customers and products
// were pushed in its own round before it is sent, so nothing is pushed twice. busy, failed and
// wait are safe on nil sends, which has nothing in flight.
type sends struct {
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	ids   map[string]bool // the records being sent
	err   error           // the first failure of a send, for the push to end with
}

func newSends(n int) *sends {
	return &sends{slots: make(chan struct{}, max(n, 1)), ids: map[string]bool{}}
}

// start runs send in the background once fewer than the allowed sends are in flight, with the
// records ids marked as being sent until it returns, or, if it fails, until the push ends: the
// push ends with that failure, and a round that began before it noticed must not send the same
// records again meanwhile.
func (p *sends) start(ctx context.Context, ids []string, send func() error) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	for _, id := range ids {
		p.ids[id] = true
	}
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := send()
		p.mu.Lock()
		if err == nil {
			for _, id := range ids {
				delete(p.ids, id)
			}
		} else if p.err == nil {
			p.err = err
		}
		p.mu.Unlock()
		<-p.slots
	}()
	return nil
}

// busy returns how many records are being sent, or were in a send that failed.
func (p *sends) busy() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

// sending returns the ids of the records being sent now.
func (p *sends) sending() []string {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Collect(maps.Keys(p.ids))
}

// failed returns the first failure of a send, if any.
func (p *sends) failed() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// wait waits for every send in flight and returns the first failure, if any.
func (p *sends) wait() error {
	if p == nil {
		return nil
	}
	p.wg.Wait()
	return p.failed()
}

// pushBatch pushes a batch of records of one type and returns how many it settled.
func (s *session) pushBatch(ctx context.Context, typ string, recs []booksync.SyncedRecord) (int, error) {
	switch typ {
	case booksync.ObjectCustomer:
		return s.pushCustomerRecords(ctx, recs)
	case booksync.ObjectProduct:
		return s.pushProductRecords(ctx, recs)
	case booksync.ObjectReceivable:
		return s.pushInvoices(ctx, recs)
	case booksync.ObjectPaymentRecord:
		return s.pushPayments(ctx, recs)
	}
	return 0, nil
}

// setError puts a record in error.
func (e *Engine) setError(ctx context.Context, r *booksync.SyncedRecord, cause *booksync.SyncError) {
	se := personalize(r, cause)
	readAt := e.restamp(r)
	r.SyncStatus, r.Errors, r.WaitsForPull = booksync.SyncStatusError, se, false // it waits for the user now
	if ok, err := e.store.SettleSyncedRecord(ctx, r, readAt); err != nil {
		e.log.Error("record error not saved", "record_id", r.ID, "err", err)
		return
	} else if !ok {
		return // pushed again since this push read it: the new push decides
	}
	e.cfg.Metrics.RecordSettled(r.ObjectType, r.Platform, se.Status)
}

// personalize returns a copy of cause for the record r: one cause may be given for every record of
// a batch, and each record's fixes name that record (its id, connection and entity).
func personalize(r *booksync.SyncedRecord, cause *booksync.SyncError) *booksync.SyncError {
	se := *cause
	se.Details = slices.Clone(cause.Details)
	for i := range se.Details {
		se.Details[i].Fix = strings.ReplaceAll(se.Details[i].Fix, "/accounting_synced_records/{id}/", "/accounting_synced_records/"+r.ID+"/")
		se.Details[i].Fix = strings.ReplaceAll(se.Details[i].Fix, "{connection_id}", r.ConnectionID)
		se.Details[i].Fix = strings.ReplaceAll(se.Details[i].Fix, "{entity_id}", r.EntityID)
	}
	return &se
}

// restamp moves r's update time to now, or just past the time it has when the clock has not moved
// on since, and returns the time it had. A record's update time thus changes with every write, and
// a push writes its outcome only if it is still the time the push read (SettleSyncedRecord).
func (e *Engine) restamp(r *booksync.SyncedRecord) time.Time {
	prev := r.UpdatedAt
	now := e.now().Truncate(time.Microsecond)
	if !now.After(prev) {
		now = prev.Add(time.Microsecond)
	}
	r.UpdatedAt = now
	return prev
}

// setDone marks a record done with the object's id in the books.
func (e *Engine) setDone(ctx context.Context, r *booksync.SyncedRecord, res platform.Result) error {
	readAt := e.markDone(r, res)
	// A record pushed again meanwhile stays pending: its next push finds the object by its natural
	// key (its attempts count says it may exist), so nothing is created twice.
	if ok, err := e.store.SettleSyncedRecord(ctx, r, readAt); err != nil || !ok {
		return err
	}
	e.cfg.Metrics.RecordSettled(r.ObjectType, r.Platform, booksync.SyncStatusDone)
	return nil
}

// setDoneAll is setDone for the records of one call, res[i] the books' answer for recs[i], in
// one transaction.
func (e *Engine) setDoneAll(ctx context.Context, recs []*booksync.SyncedRecord, res []platform.Result) error {
	if len(recs) == 0 {
		return nil
	}
	readAt := make([]time.Time, len(recs))
	for i, r := range recs {
		readAt[i] = e.markDone(r, res[i])
	}
	ok, err := e.store.SettleSyncedRecords(ctx, recs, readAt)
	if err != nil {
		return err
	}
	for i, r := range recs {
		if ok[i] {
			e.cfg.Metrics.RecordSettled(r.ObjectType, r.Platform, booksync.SyncStatusDone)
		}
	}
	return nil
}

// markDone makes r done with the object's id in the books, in memory, and returns the update time
// it had, which the store checks before it writes r.
func (e *Engine) markDone(r *booksync.SyncedRecord, res platform.Result) (readAt time.Time) {
	id := res.PlatformID
	readAt = e.restamp(r)
	r.SyncStatus, r.Errors, r.PlatformObjectID, r.Attempts = booksync.SyncStatusDone, nil, &id, 0
	if id == "" {
		r.PlatformObjectID = nil // done with nothing in the books: a canceled object that never reached them
	}
	if !res.UpdatedAt.IsZero() {
		t := res.UpdatedAt.UTC()
		r.PlatformUpdatedAt = &t
	}
	return readAt
}

// platformError turns a per-object push failure into a record error.
func platformError(err error, fallbackFix string) *booksync.SyncError {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return &booksync.SyncError{Status: "push_failed", Message: err.Error(), Details: []booksync.SyncErrorDetail{{Message: err.Error(), Fix: fallbackFix}}}
	}
	se := &booksync.SyncError{Status: pe.Code, Message: pe.Message}
	if se.Status == "" {
		se.Status = "validation_failed"
	}
	for _, d := range pe.Details {
		fix := d.Fix
		if fix == "" {
			fix = fallbackFix
		}
		se.Details = append(se.Details, booksync.SyncErrorDetail{Message: d.Message, Field: d.Field, Fix: fix})
	}
	if len(se.Details) == 0 {
		se.Details = []booksync.SyncErrorDetail{{Message: pe.Message, Fix: fallbackFix}}
	}
	return se
}

// ensureRecord returns the record of an object, creating a pending one.
func (e *Engine) ensureRecord(ctx context.Context, conn *booksync.Connection, objectType, objectID string) (*booksync.SyncedRecord, error) {
	// The customer and product of a batch's invoices mostly have their records already: a read
	// finds them without a write transaction.
	if rec, err := e.store.RecordFor(ctx, conn.ID, objectType, objectID); err == nil {
		return rec, nil
	} else if booksync.ErrorCode(err) != booksync.ENOTFOUND {
		return nil, err
	}
	var rec *booksync.SyncedRecord
	err := e.store.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		rec, _, err = e.store.EnsureSyncedRecord(ctx, tx, e.newRecord(conn, objectType, objectID, nil))
		return err
	})
	return rec, err
}

// invoiceDate formats a time as the YYYY-MM-DD accounting systems take.
func invoiceDate(r *booksync.Receivable) string {
	if r.IssueDate != nil {
		return r.IssueDate.UTC().Format("2006-01-02")
	}
	return r.CreatedAt.UTC().Format("2006-01-02")
}

// itemCode is a product's code in the books: its external reference when it fits in limit bytes
// (the accounting system's ItemCodeMax; 0: any length), else a code derived from its id (stable,
// and unique for practical purposes within one organisation): "BS-" and 12 hex digits, or as many
// hex digits as fit in a shorter limit.
func itemCode(p booksync.LineProduct, limit int) string {
	if p.ExternalReference != nil && *p.ExternalReference != "" && (limit == 0 || len(*p.ExternalReference) <= limit) {
		return *p.ExternalReference
	}
	hex := strings.ToUpper(strings.ReplaceAll(p.ID, "-", ""))
	if code := "BS-" + hex[:12]; limit == 0 || len(code) <= limit {
		return code
	}
	return hex[:min(limit, len(hex))]
}
