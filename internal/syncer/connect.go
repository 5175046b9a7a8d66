package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// PlatformNames lists the platforms connections may use, as the API accepts them.
func (e *Engine) PlatformNames() []string {
	var out []string
	for name := range e.cfg.Providers {
		out = append(out, name)
	}
	return out
}

// Connect creates a connection of the entity to a platform, in pending_auth, with the URL where
// the entity's user grants access.
func (e *Engine) Connect(ctx context.Context, entityID, platformName string) (*booksync.Connection, error) {
	p := e.cfg.Providers[platformName]
	if p == nil {
		return nil, booksync.FieldErrorf("enum", []any{"body", "platform"}, "booksync connects to %s; %q is not available here.",
			strings.Join(e.PlatformNames(), ", "), platformName)
	}
	now := e.now()
	c := &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, CreatedAt: now, UpdatedAt: now,
		Platform: p.Platform, Status: booksync.ConnectionPendingAuth, Errors: []booksync.ConnectionError{}}
	if p.Local != nil {
		return e.connectLocal(ctx, c, p)
	}
	state := randomState()
	cfg := p.OAuth
	cfg.RedirectURL = e.cfg.RedirectURL
	var opts []oauth2.AuthCodeOption
	if p.CountryParam != "" {
		ent, err := e.store.EntityByID(ctx, entityID)
		if err != nil {
			return nil, err
		}
		if ent.Address.Country != "" {
			opts = append(opts, oauth2.SetAuthURLParam(p.CountryParam, ent.Address.Country))
		}
	}
	c.ConnectionURL = cfg.AuthCodeURL(state, opts...)
	if err := e.store.CreateConnection(ctx, c, hashState(state)); err != nil {
		return nil, err
	}
	return c, nil
}

// connectLocal connects books on this machine: there is nothing to authorize, so the connection
// is connected at once (its books created if need be) and its initial sync queued.
func (e *Engine) connectLocal(ctx context.Context, c *booksync.Connection, p *platform.Provider) (*booksync.Connection, error) {
	ent, err := e.store.EntityByID(ctx, c.EntityID)
	if err != nil {
		return nil, err
	}
	c.TenantID = c.EntityID
	_, closeBooks, err := p.Local(c, ent)
	if err != nil {
		return nil, err
	}
	if err := closeBooks(); err != nil {
		return nil, err
	}
	c.Status, c.NextSyncAt = booksync.ConnectionConnected, c.CreatedAt.Add(booksync.SyncInterval)
	c.ConnectionURL = e.cfg.PublicURL + "/accounting_connections/" + c.ID
	if err := e.store.CreateConnection(ctx, c, ""); err != nil {
		return nil, err
	}
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if err := e.recordEarlierInvoices(ctx, tx, c); err != nil {
			return err
		}
		_, err := e.river.InsertTx(ctx, tx, SyncArgs{ConnectionID: c.ID}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CompleteAuth finishes the OAuth flow a connection_url started: it exchanges the code for tokens,
// finds the organisation, stores the sealed tokens, marks the connection connected, and queues its
// initial sync. Invoices the entity issued before this get records that say so; pushing such a
// record sends its invoice.
func (e *Engine) CompleteAuth(ctx context.Context, callback url.Values) (*booksync.Connection, error) {
	code, oauthErr := callback.Get("code"), callback.Get("error")
	conn, err := e.store.ConnectionByState(ctx, hashState(callback.Get("state")))
	if err != nil {
		return nil, booksync.Errorf(booksync.ENOTFOUND, "This authorization link is unknown or was already used; create a new connection with POST /accounting_connections.")
	}
	if conn.Status != booksync.ConnectionPendingAuth {
		return nil, booksync.Errorf(booksync.ECONFLICT, "This connection is already %s.", conn.Status)
	}
	p := e.cfg.Providers[conn.Platform]
	if oauthErr != "" {
		conn.Errors = []booksync.ConnectionError{{Message: fmt.Sprintf("Authorization was not granted (%s); open the connection_url again and allow access.", oauthErr)}}
		conn.UpdatedAt = e.now()
		_ = e.store.UpdateConnection(ctx, conn)
		return conn, booksync.Errorf(booksync.EINVALID, "%s", conn.Errors[0].Message)
	}
	cfg := p.OAuth
	cfg.RedirectURL = e.cfg.RedirectURL
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return nil, booksync.Errorf(booksync.EINVALID, "%s did not accept the authorization code; open the connection_url again.", p.Name)
	}
	ts := e.tokenSourceFor(conn, p)
	if err := ts.load(ctx); err != nil {
		return nil, err
	}
	if err := ts.save(ctx, tok); err != nil {
		return nil, err
	}
	tenants, err := p.Tenants(ctx, ts.httpClient(ctx), callback)
	if err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		return nil, booksync.Errorf(booksync.EINVALID, "The %s grant gives access to no organisation; open the connection_url again and choose one.", p.Name)
	}
	now := e.now()
	conn.Status, conn.TenantID, conn.Errors, conn.UpdatedAt = booksync.ConnectionConnected, tenants[len(tenants)-1].ID, []booksync.ConnectionError{}, now
	name := tenants[len(tenants)-1].Name
	conn.BusinessInfo = &booksync.BusinessInfo{Name: strPtr(name)}
	conn.NextSyncAt = now.Add(booksync.SyncInterval)
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if err := e.store.UpdateConnectionTx(ctx, tx, conn); err != nil {
			return err
		}
		if err := e.recordEarlierInvoices(ctx, tx, conn); err != nil {
			return err
		}
		_, err := e.river.InsertTx(ctx, tx, SyncArgs{ConnectionID: conn.ID}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// recordEarlierInvoices gives each invoice the entity issued before connecting a record in error
// that says it was not pushed and how to push it, as Monite does not push them by itself.
func (e *Engine) recordEarlierInvoices(ctx context.Context, tx *sql.Tx, conn *booksync.Connection) error {
	ids, err := e.store.IssuedReceivableIDs(ctx, tx, conn.EntityID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		rec := e.newRecord(conn, booksync.ObjectReceivable, id, nil)
		rec.Auto = false
		rec.SyncStatus = booksync.SyncStatusError
		rec.Errors = &booksync.SyncError{Status: booksync.CodeIssuedBeforeConnection,
			Message: "Invoice was issued before the accounting connection, so it was not pushed",
			Details: []booksync.SyncErrorDetail{{Message: "Invoices issued before an entity connects are not pushed by themselves.",
				Fix: "To send it, POST /accounting_synced_records/" + rec.ID + "/push."}}}
		if _, _, err := e.store.EnsureSyncedRecord(ctx, tx, rec); err != nil {
			return err
		}
	}
	return nil
}

// Disconnect ends a connection; the entity may then connect again.
func (e *Engine) Disconnect(ctx context.Context, entityID, id string) (*booksync.Connection, error) {
	conn, err := e.store.Connection(ctx, entityID, id)
	if err != nil {
		return nil, err
	}
	if conn.Status == booksync.ConnectionDisconnected {
		return conn, nil
	}
	conn.Status, conn.UpdatedAt = booksync.ConnectionDisconnected, e.now()
	if err := e.store.UpdateConnection(ctx, conn); err != nil {
		return nil, err
	}
	return conn, nil
}

// SyncNow queues a sync of the connection (one is never queued twice).
func (e *Engine) SyncNow(ctx context.Context, entityID, id string) error {
	conn, err := e.store.Connection(ctx, entityID, id)
	if err != nil {
		return err
	}
	if conn.Status != booksync.ConnectionConnected {
		return booksync.Errorf(booksync.ECONFLICT, "The connection is %s, so it cannot sync; %s", conn.Status, reconnectHint(conn))
	}
	return e.store.InTx(ctx, func(tx *sql.Tx) error { return e.requestSyncTx(ctx, tx, conn.ID) })
}

// requestSyncTx queues a sync of the connection in tx. The request is written with the job, so a
// sync already running (which keeps a second one from being queued) pulls again after it.
func (e *Engine) requestSyncTx(ctx context.Context, tx *sql.Tx, connectionID string) error {
	if err := e.store.RequestSync(ctx, tx, connectionID, e.now()); err != nil {
		return err
	}
	_, err := e.river.InsertTx(ctx, tx, SyncArgs{ConnectionID: connectionID}, nil)
	return err
}

func reconnectHint(c *booksync.Connection) string {
	if c.Status == booksync.ConnectionPendingAuth {
		return "open its connection_url to authorize it first."
	}
	return "connect again with POST /accounting_connections."
}

// PushRecord makes a record pending again and queues a push: the way to retry an error after its
// cause is fixed, to send an invoice issued before the connection, or to push a done record again
// (it is matched in the books by its number, never duplicated). A record in error is retried
// after a sync's pull, so what was fixed in the books since (a tax rate or account added, a
// currency enabled, a payment deleted) is what the push sees: it waits (WaitsForPull) until a sync
// that began its pull after this has finished it, and no push takes it before. Pushing a record
// that waits so makes it wait for a pull that begins after this one.
func (e *Engine) PushRecord(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, error) {
	for try := 1; ; try++ {
		rec, written, err := e.pushRecordOnce(ctx, entityID, id)
		if err != nil || written {
			return rec, err
		}
		if try == pushRecordTries {
			return nil, booksync.Errorf(booksync.ECONFLICT, "The record changed %d times while booksync marked it to be pushed again (pushes settled it meanwhile); ask again", try)
		}
	}
}

// pushRecordTries is how many times PushRecord reads the record again when another writer (a push
// settling it) wrote it between its read and its write.
const pushRecordTries = 5

// pushRecordOnce reads the record and marks it to be pushed again, unless another writer wrote it
// meanwhile: then it writes nothing and reports false, so that the record is read again rather
// than overwritten with what it was before (a push's outcome, the id in the books, undone).
func (e *Engine) pushRecordOnce(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, bool, error) {
	rec, err := e.store.SyncedRecord(ctx, entityID, id)
	if err != nil {
		return nil, false, err
	}
	conn, err := e.store.ConnectionByID(ctx, rec.ConnectionID)
	if err != nil {
		return nil, false, err
	}
	if conn.Status != booksync.ConnectionConnected {
		return nil, false, booksync.Errorf(booksync.ECONFLICT, "The record's connection is %s, so nothing can be pushed; %s", conn.Status, reconnectHint(conn))
	}
	// Attempts stays (the store never lowers it but for a done record): if an earlier push may have
	// reached the books, this one looks first. The new update time tells a push still busy with the
	// record's previous state that its outcome is stale.
	failed := rec.SyncStatus == booksync.SyncStatusError || rec.WaitsForPull
	readAt := e.restamp(rec)
	rec.SyncStatus, rec.Errors, rec.Auto, rec.WaitsForPull = booksync.SyncStatusPending, nil, true, failed
	var written bool
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if written, err = e.store.UpdateSyncedRecordIfTx(ctx, tx, rec, readAt); err != nil || !written {
			return err
		}
		if !failed {
			return e.queuePush(ctx, tx, conn.ID)
		}
		return e.requestSyncTx(ctx, tx, conn.ID) // the sync queues the push after its pull
	})
	if err != nil {
		return nil, false, err
	}
	return rec, written, nil
}

// RemoteInvoices reads sales invoices back from the entity's connected books.
func (e *Engine) RemoteInvoices(ctx context.Context, entityID string, limit, offset int) ([]booksync.RemoteInvoice, error) {
	s, err := e.openActive(ctx, entityID)
	if err != nil {
		return nil, err
	}
	defer s.release()
	out, err := readPages(ctx, s, limit, offset, s.cx.Invoices)
	for i := range out {
		s.resolveLineIDs(&out[i])
	}
	return out, err
}

// readPages reads [offset, offset+limit) of a list the accounting system gives a page of 100 at a
// time (read).
func readPages[T any](ctx context.Context, s *session, limit, offset int, read func(context.Context, platform.InvoiceQuery) ([]T, error)) ([]T, error) {
	const pageSize = 100
	var out []T
	for page := offset/pageSize + 1; len(out) < offset%pageSize+limit; page++ {
		var got []T
		err := s.call(ctx, func() error {
			var err error
			got, err = read(ctx, platform.InvoiceQuery{Page: page})
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(got) < pageSize {
			break
		}
	}
	skip := offset % pageSize
	if skip >= len(out) {
		return []T{}, nil
	}
	out = out[skip:]
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// resolveLineIDs names a read-back invoice's tax rates and accounts by booksync's ids.
func (s *session) resolveLineIDs(inv *booksync.RemoteInvoice) {
	for i := range inv.Lines {
		l := &inv.Lines[i]
		for _, t := range s.rates {
			if t.Code == l.TaxCode {
				l.TaxRateID = t.ID
			}
		}
		for _, a := range s.accounts {
			if l.AccountID != "" && a.PlatformID == l.AccountID {
				l.LedgerAccountID = a.ID
				break
			}
			if l.AccountID == "" && a.NominalCode != nil && *a.NominalCode == l.AccountCode {
				l.LedgerAccountID = a.ID
			}
		}
	}
}

// RemoteInvoice reads one sales invoice back by its id in the books.
func (e *Engine) RemoteInvoice(ctx context.Context, entityID, id string) (booksync.RemoteInvoice, error) {
	s, err := e.openActive(ctx, entityID)
	if err != nil {
		return booksync.RemoteInvoice{}, err
	}
	defer s.release()
	var inv booksync.RemoteInvoice
	err = s.call(ctx, func() error {
		var err error
		inv, err = s.cx.Invoice(ctx, id)
		return err
	})
	if err != nil {
		return inv, err
	}
	s.resolveLineIDs(&inv)
	return inv, nil
}

func (e *Engine) openActive(ctx context.Context, entityID string) (*session, error) {
	conn, err := e.store.ActiveConnection(ctx, entityID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return nil, booksync.Errorf(booksync.ENOTFOUND, "The entity has no accounting connection; create one with POST /accounting_connections.")
	} else if err != nil {
		return nil, err
	}
	s, err := e.open(ctx, conn.ID)
	if errors.Is(err, errNotConnected) {
		return nil, booksync.Errorf(booksync.ECONFLICT, "The connection is %s; %s", conn.Status, reconnectHint(conn))
	}
	return s, err
}
