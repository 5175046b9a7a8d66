package invoicing_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/invoicing"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/syncer"
)

// forEachDB runs a test against the service on SQLite and on PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newFixture(t, filepath.Join(t.TempDir(), "booksync.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newFixture(t, pgtest.NewDatabase(t)))
	})
}

// fixture is the service on a real store, queueing pushes in River through an engine that has no
// workers, so that queued jobs stay where the test can see them.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	engine *syncer.Engine
	queue  *queue
	svc    *invoicing.Service
}

// queue is the engine's queue with a fault to inject: while fail is set, QueuePushTx returns it
// instead of queueing. calls counts the pushes asked for.
type queue struct {
	engine   *syncer.Engine
	fail     error
	failures []error // returned first, one a call
	calls    int
}

func (q *queue) QueuePushTx(ctx context.Context, tx *sql.Tx, connectionID string) error {
	q.calls++
	if len(q.failures) > 0 {
		err := q.failures[0]
		q.failures = q.failures[1:]
		return err
	}
	if q.fail != nil {
		return q.fail
	}
	return q.engine.QueuePushTx(ctx, tx, connectionID)
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.OpenAndMigrate(ctx, dsn, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engine, err := syncer.New(syncer.Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, 32), Workers: -1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	q := &queue{engine: engine}
	return &fixture{t: t, ctx: ctx, st: st, engine: engine, queue: q, svc: invoicing.New(st, q)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// entity creates an entity with a draft invoice of 11.90 EUR and, unless status is empty, a
// connection in that status; it returns the entity, invoice and connection ids.
func (f *fixture) entity(status string) (entityID, invoiceID, connID string) {
	f.t.Helper()
	partner := uuid.NewString()
	must(f.t, f.st.CreatePartner(f.ctx, booksync.Partner{ID: partner, Name: "p"}, []byte("hash")))
	e := &booksync.Entity{ID: uuid.NewString(), PartnerID: partner, Type: booksync.EntityTypeOrganization,
		Status: booksync.EntityStatusActive, Organization: &booksync.Organization{LegalName: "Acme GmbH"}}
	must(f.t, f.st.CreateEntity(f.ctx, e, booksync.Settings{}))
	now := time.Now()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: e.ID, CreatedAt: now, UpdatedAt: now,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartName: "Globex",
		Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, TotalAmountWithCreditNotes: 1190,
		AmountDue: 1190, AmountToPay: 1190}
	must(f.t, f.st.CreateReceivable(f.ctx, r))
	if status == "" {
		return e.ID, r.ID, ""
	}
	pulled := now.Add(-time.Hour).UTC().Truncate(time.Microsecond)
	c := &booksync.Connection{ID: uuid.NewString(), EntityID: e.ID, Platform: booksync.PlatformXero, Status: status,
		TenantID: uuid.NewString(), CreatedAt: now, UpdatedAt: now, LastPull: &pulled}
	must(f.t, f.st.CreateConnection(f.ctx, c, uuid.NewString()))
	return e.ID, r.ID, c.ID
}

// records returns the entity's synced records.
func (f *fixture) records(entityID string) []booksync.SyncedRecord {
	f.t.Helper()
	page, err := f.st.SyncedRecords(f.ctx, entityID, booksync.ListQuery{Limit: 100})
	must(f.t, err)
	return page.Items
}

// pushes returns how many pushes of the connection are queued.
func (f *fixture) pushes(connID string) int {
	f.t.Helper()
	res, err := f.engine.River().JobList(f.ctx, river.NewJobListParams().Kinds(syncer.PushArgs{}.Kind()).First(1000))
	must(f.t, err)
	n := 0
	for _, j := range res.Jobs {
		var args syncer.PushArgs
		must(f.t, json.Unmarshal(j.EncodedArgs, &args))
		if args.ConnectionID == connID {
			n++
		}
	}
	return n
}

func (f *fixture) issue(entityID, invoiceID string) *booksync.Receivable {
	f.t.Helper()
	r, err := f.svc.Issue(f.ctx, entityID, invoiceID, time.Now())
	must(f.t, err)
	if r.Status != booksync.StatusIssued || r.DocumentID == nil || *r.DocumentID != "INV-00001" {
		f.t.Fatalf("issued invoice is %s, document %v", r.Status, r.DocumentID)
	}
	return r
}

// pay records a succeeded payment of amount for the invoice.
func (f *fixture) pay(entityID, invoiceID string, amount int64) (*booksync.PaymentRecord, error) {
	now := time.Now().UTC()
	p := &booksync.PaymentRecord{ID: uuid.NewString(), EntityID: entityID, CreatedAt: now, UpdatedAt: now,
		Amount: amount, Currency: "EUR", Status: booksync.PaymentStatusSucceeded, PaidAt: &now,
		Object: booksync.PaymentRecordObject{ID: invoiceID, Type: "receivable"}}
	return p, f.svc.RecordPayment(f.ctx, p, func(r booksync.Receivable) (booksync.Receivable, error) {
		return booksync.ApplyPayment(r, amount, now)
	})
}

func TestIssue(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		t.Run("without a connection", func(t *testing.T) {
			e, inv, _ := f.entity("")
			f.issue(e, inv)
			if recs := f.records(e); len(recs) != 0 {
				t.Fatalf("an entity without a connection got records %+v", recs)
			}
		})

		t.Run("with a connection not connected yet", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionPendingAuth)
			f.issue(e, inv)
			if recs := f.records(e); len(recs) != 0 || f.pushes(conn) != 0 {
				t.Fatalf("a pending connection got records %+v and %d pushes", recs, f.pushes(conn))
			}
		})

		t.Run("with a connected connection", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			r := f.issue(e, inv)
			recs := f.records(e)
			if len(recs) != 1 {
				t.Fatalf("records = %+v, want one", recs)
			}
			rec := recs[0]
			if rec.ConnectionID != conn || rec.ObjectType != booksync.ObjectReceivable || rec.ObjectID != inv ||
				rec.SyncStatus != booksync.SyncStatusPending || !rec.Auto || rec.Platform != booksync.PlatformXero ||
				rec.ObjectUpdatedAt == nil || !rec.ObjectUpdatedAt.Equal(r.UpdatedAt) {
				t.Fatalf("record = %+v", rec)
			}
			if n := f.pushes(conn); n != 1 {
				t.Fatalf("%d pushes queued, want 1", n)
			}
		})

		t.Run("with a deauthorized connection", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionDeauthorized)
			calls := f.queue.calls
			f.issue(e, inv)
			if recs := f.records(e); len(recs) != 1 || recs[0].SyncStatus != booksync.SyncStatusPending {
				t.Fatalf("records = %+v, want one pending, pushed once the entity reconnects", recs)
			}
			if f.queue.calls != calls || f.pushes(conn) != 0 {
				t.Fatalf("a deauthorized connection got a push")
			}
		})

		t.Run("a failed enqueue rolls the issue back", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.queue.fail = errors.New("queue is down")
			_, err := f.svc.Issue(f.ctx, e, inv, time.Now())
			f.queue.fail = nil
			if err == nil || !strings.Contains(err.Error(), "queue is down") {
				t.Fatalf("Issue with a failing queue = %v, want the queue's error", err)
			}
			r, err := f.st.Receivable(f.ctx, e, inv)
			must(t, err)
			if r.Status != booksync.StatusDraft || r.DocumentID != nil || r.IssueDate != nil || r.Version != 1 {
				t.Fatalf("after a failed enqueue the invoice is %s, document %v, version %d", r.Status, r.DocumentID, r.Version)
			}
			if recs := f.records(e); len(recs) != 0 || f.pushes(conn) != 0 {
				t.Fatalf("after a failed enqueue: records %+v, %d pushes", recs, f.pushes(conn))
			}
			// Nothing was used up: the retry gets the first number.
			f.issue(e, inv)
			if n := f.pushes(conn); n != 1 {
				t.Fatalf("%d pushes queued after the retry, want 1", n)
			}
		})

		t.Run("as read: the draft the caller checked", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			read := f.receivable(e, inv)
			r, err := f.svc.IssueAsRead(f.ctx, read, time.Now())
			must(t, err)
			if r.Status != booksync.StatusIssued || r.DocumentID == nil || *r.DocumentID != "INV-00001" || r.Version != read.Version+1 {
				t.Fatalf("issued as read: %s, document %v, version %d", r.Status, r.DocumentID, r.Version)
			}
			if read.Status != booksync.StatusDraft || read.DocumentID != nil {
				t.Fatalf("the caller's copy changed: %s, document %v", read.Status, read.DocumentID)
			}
			stored := f.receivable(e, inv)
			if stored.Status != booksync.StatusIssued || stored.Version != r.Version || *stored.DocumentID != "INV-00001" {
				t.Fatalf("stored after the issue: %s, document %v, version %d", stored.Status, stored.DocumentID, stored.Version)
			}
			if recs := f.records(e); len(recs) != 1 || f.pushes(conn) != 1 {
				t.Fatalf("records %+v, %d pushes, want one of each", recs, f.pushes(conn))
			}
		})

		// The draft's read saw no connection, and the entity connected before the issue: the issue
		// does not rely on what the read saw, and the invoice gets its record and its push.
		t.Run("as read: a connection created after the draft's read", func(t *testing.T) {
			e, inv, _ := f.entity("")
			d, err := f.st.ReceivableWithCounterpart(f.ctx, e, inv)
			must(t, err)
			if want := f.st.Dialect() == store.DialectPostgres; d.NoConnection != want {
				t.Fatalf("the draft's read: NoConnection %v, want %v", d.NoConnection, want)
			}
			now := time.Now()
			conn := &booksync.Connection{ID: uuid.NewString(), EntityID: e, Platform: booksync.PlatformXero,
				Status: booksync.ConnectionConnected, TenantID: uuid.NewString(), CreatedAt: now, UpdatedAt: now}
			must(t, f.st.CreateConnection(f.ctx, conn, uuid.NewString()))
			r, err := f.svc.IssueDraft(f.ctx, d, now)
			must(t, err)
			if r.Status != booksync.StatusIssued || *r.DocumentID != "INV-00001" {
				t.Fatalf("issued: %s, document %v", r.Status, r.DocumentID)
			}
			if recs := f.records(e); len(recs) != 1 || recs[0].ConnectionID != conn.ID || f.pushes(conn.ID) != 1 {
				t.Fatalf("records %+v, %d pushes; want the invoice's record in the new connection and its push", recs, f.pushes(conn.ID))
			}
		})

		// On PostgreSQL a number given to another document by hand while the issue waited for the
		// entity's counter costs the issue its transaction (store.ErrNumberTaken, which the store's
		// tests cause); the queue's fault stands in for it here.
		t.Run("a number taken meanwhile: the issue runs again", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			read := f.receivable(e, inv)
			taken := fmt.Errorf("store: issue receivable: %w", store.ErrNumberTaken)
			f.queue.failures, f.queue.calls = []error{taken, taken}, 0
			r, err := f.svc.IssueAsRead(f.ctx, read, time.Now())
			must(t, err)
			if r.DocumentID == nil || *r.DocumentID != "INV-00001" || f.queue.calls != 3 {
				t.Fatalf("issued as %v after %d tries, want INV-00001 after 3", r.DocumentID, f.queue.calls)
			}
			if recs := f.records(e); len(recs) != 1 || f.pushes(conn) != 1 {
				t.Fatalf("records %+v, %d pushes, want one of each", recs, f.pushes(conn))
			}

			e, inv, conn = f.entity(booksync.ConnectionConnected)
			read = f.receivable(e, inv)
			f.queue.failures, f.queue.calls = []error{taken, taken, taken}, 0
			if _, err := f.svc.IssueAsRead(f.ctx, read, time.Now()); !errors.Is(err, store.ErrNumberTaken) || f.queue.calls != 3 {
				t.Fatalf("issue = %v after %d tries, want ErrNumberTaken after 3", err, f.queue.calls)
			}
			if stored := f.receivable(e, inv); stored.Status != booksync.StatusDraft || stored.DocumentID != nil {
				t.Fatalf("after three lost tries the invoice is %s, document %v", stored.Status, stored.DocumentID)
			}
			if recs := f.records(e); len(recs) != 0 || f.pushes(conn) != 0 {
				t.Fatalf("after three lost tries: records %+v, %d pushes", recs, f.pushes(conn))
			}
		})

		t.Run("as read: a draft changed since is not issued", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			read := f.receivable(e, inv)
			// Another request changes the draft after the caller checked it.
			changed := f.receivable(e, inv)
			memo := "changed meanwhile"
			changed.Memo = &memo
			changed.UpdatedAt = time.Now()
			must(t, f.st.UpdateReceivable(f.ctx, changed))
			_, err := f.svc.IssueAsRead(f.ctx, read, time.Now())
			if !errors.Is(err, store.ErrVersionConflict) || booksync.ErrorCode(err) != booksync.ECONFLICT {
				t.Fatalf("issuing a draft changed since it was read = %v, want ErrVersionConflict", err)
			}
			stored := f.receivable(e, inv)
			if stored.Status != booksync.StatusDraft || stored.DocumentID != nil || stored.Version != changed.Version || stored.Memo == nil || *stored.Memo != memo {
				t.Fatalf("after the refused issue: %s, document %v, version %d, memo %v", stored.Status, stored.DocumentID, stored.Version, stored.Memo)
			}
			if recs := f.records(e); len(recs) != 0 || f.pushes(conn) != 0 {
				t.Fatalf("after the refused issue: records %+v, %d pushes", recs, f.pushes(conn))
			}
			// No number was used up, and the draft as it is now issues.
			r, err := f.svc.IssueAsRead(f.ctx, stored, time.Now())
			must(t, err)
			if *r.DocumentID != "INV-00001" || r.Memo == nil || *r.Memo != memo {
				t.Fatalf("issued after the refusal: document %v, memo %v", *r.DocumentID, r.Memo)
			}
		})

		t.Run("a second issue is refused", func(t *testing.T) {
			e, inv, _ := f.entity("")
			f.issue(e, inv)
			_, err := f.svc.Issue(f.ctx, e, inv, time.Now())
			if booksync.ErrorCode(err) != booksync.ECONFLICT {
				t.Fatalf("issuing an issued invoice = %v, want ECONFLICT", err)
			}
		})
	})
}

// TestAnInvoiceIssuedWhileItsEntityConnects issues an invoice, on PostgreSQL, while its entity's
// first connection is being created (local books are connected as their connection is created):
// the issue reads that the entity has no connection, and the connection commits before the issue
// takes its number. The issue must run again and give the invoice its record and push there; the
// connect's look for invoices issued before it ran before the invoice was issued, so otherwise
// the invoice would be neither pushed nor recorded.
func TestAnInvoiceIssuedWhileItsEntityConnects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pgtest.NewDatabase(t))
	e, inv, _ := f.entity("")
	read, err := f.st.Receivable(f.ctx, e, inv)
	must(t, err)

	// The connect holds the entity's counters from its first statement to its commit.
	tx, err := f.st.Writer().BeginTx(f.ctx, nil)
	must(t, err)
	defer tx.Rollback()
	now := time.Now().UTC()
	conn := &booksync.Connection{ID: uuid.NewString(), EntityID: e, Platform: booksync.PlatformGnuCash,
		Status: booksync.ConnectionConnected, TenantID: e, CreatedAt: now, UpdatedAt: now, LastPull: &now}
	must(t, f.st.CreateConnectionTx(f.ctx, tx, conn, ""))

	type result struct {
		r   *booksync.Receivable
		err error
	}
	issued := make(chan result, 1)
	go func() {
		r, err := f.svc.IssueAsRead(f.ctx, read, time.Now())
		issued <- result{r, err}
	}()
	if got, ended := pgtest.LockWaitOr(t, f.st.Reader(), issued); ended {
		t.Fatalf("the issue did not wait for the connect: %+v", got)
	}
	must(t, tx.Commit())
	got := <-issued
	must(t, got.err)
	if got.r.DocumentID == nil || *got.r.DocumentID != "INV-00001" {
		t.Fatalf("issued as %v", got.r.DocumentID)
	}
	recs := f.records(e)
	if len(recs) != 1 || recs[0].ConnectionID != conn.ID || recs[0].ObjectID != inv || recs[0].SyncStatus != booksync.SyncStatusPending {
		t.Fatalf("records %+v, want the invoice's pending record in the new connection", recs)
	}
	if n := f.pushes(conn.ID); n != 1 {
		t.Fatalf("%d pushes queued, want 1", n)
	}
}

func TestRecordPayment(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		t.Run("of an invoice with a record", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			calls := f.queue.calls
			p, err := f.pay(e, inv, 400)
			must(t, err)
			r, err := f.st.Receivable(f.ctx, e, inv)
			must(t, err)
			if r.Status != booksync.StatusPartiallyPaid || r.AmountDue != 790 {
				t.Fatalf("after paying 400 the invoice is %s with %d due", r.Status, r.AmountDue)
			}
			rec, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectPaymentRecord, p.ID)
			must(t, err)
			if rec.SyncStatus != booksync.SyncStatusPending || !rec.Auto {
				t.Fatalf("payment record = %+v", rec)
			}
			// The payment asks for a push; the invoice's is still queued, so the payment joins it.
			if f.queue.calls != calls+1 || f.pushes(conn) != 1 {
				t.Fatalf("the payment asked for %d pushes and %d are queued, want 1 and 1", f.queue.calls-calls, f.pushes(conn))
			}
		})

		t.Run("of an invoice without a record", func(t *testing.T) {
			// Issued before the entity connected: neither the invoice nor its payment is pushed.
			e, inv, _ := f.entity("")
			f.issue(e, inv)
			now := time.Now()
			c := &booksync.Connection{ID: uuid.NewString(), EntityID: e, Platform: booksync.PlatformXero,
				Status: booksync.ConnectionConnected, TenantID: uuid.NewString(), CreatedAt: now, UpdatedAt: now}
			must(t, f.st.CreateConnection(f.ctx, c, uuid.NewString()))
			calls := f.queue.calls
			_, err := f.pay(e, inv, 1190)
			must(t, err)
			r, err := f.st.Receivable(f.ctx, e, inv)
			must(t, err)
			if r.Status != booksync.StatusPaid {
				t.Fatalf("after paying in full the invoice is %s", r.Status)
			}
			if recs := f.records(e); len(recs) != 0 || f.queue.calls != calls || f.pushes(c.ID) != 0 {
				t.Fatalf("a payment of an invoice without a record got records %+v and a push", recs)
			}
		})

		t.Run("a refused payment writes nothing", func(t *testing.T) {
			e, inv, conn := f.entity(booksync.ConnectionConnected)
			f.issue(e, inv)
			p, err := f.pay(e, inv, 5000)
			if booksync.ErrorCode(err) == "" {
				t.Fatalf("paying more than is due = %v, want an application error", err)
			}
			if _, err := f.st.PaymentRecord(f.ctx, e, p.ID); booksync.ErrorCode(err) != booksync.ENOTFOUND {
				t.Fatalf("the refused payment was stored (%v)", err)
			}
			if _, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectPaymentRecord, p.ID); booksync.ErrorCode(err) != booksync.ENOTFOUND {
				t.Fatalf("the refused payment got a record (%v)", err)
			}
		})
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		e, inv, conn := f.entity(booksync.ConnectionConnected)
		_, err := f.svc.Cancel(f.ctx, e, inv, time.Now())
		if booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "DELETE /receivables/"+inv) {
			t.Fatalf("canceling a draft = %v, want ECONFLICT pointing to DELETE", err)
		}
		f.issue(e, inv)
		calls := f.queue.calls
		r, err := f.svc.Cancel(f.ctx, e, inv, time.Now())
		must(t, err)
		stored, err := f.st.Receivable(f.ctx, e, inv)
		must(t, err)
		if r.Status != booksync.StatusCanceled || stored.Status != booksync.StatusCanceled || stored.Version != r.Version {
			t.Fatalf("canceled invoice is %s (stored %s, version %d, want %d)", r.Status, stored.Status, stored.Version, r.Version)
		}
		// The invoice's record is pending again and a push is queued: the push voids it in the books.
		rec, err := f.st.RecordFor(f.ctx, conn, booksync.ObjectReceivable, inv)
		must(t, err)
		if rec.SyncStatus != booksync.SyncStatusPending || f.queue.calls != calls+1 {
			t.Fatalf("after canceling, the record is %s and %d pushes were queued, want pending and one", rec.SyncStatus, f.queue.calls-calls)
		}
		// Without a connection, a cancel queues nothing.
		e2, inv2, _ := f.entity("")
		f.issue(e2, inv2)
		calls = f.queue.calls
		if _, err := f.svc.Cancel(f.ctx, e2, inv2, time.Now()); err != nil || f.queue.calls != calls {
			t.Fatalf("canceling without a connection = %v and queued %d pushes", err, f.queue.calls-calls)
		}
		_, err = f.svc.Cancel(f.ctx, e, inv, time.Now())
		if booksync.ErrorCode(err) != booksync.ECONFLICT || !strings.Contains(booksync.ErrorMessage(err), "this invoice is canceled") {
			t.Fatalf("canceling twice = %v, want ECONFLICT", err)
		}
		_, err = f.svc.Cancel(f.ctx, e, uuid.NewString(), time.Now())
		if booksync.ErrorCode(err) != booksync.ENOTFOUND {
			t.Fatalf("canceling an unknown invoice = %v, want ENOTFOUND", err)
		}
	})
}

// Issues of one entity's invoices at once, each as its draft was read, some of them racing a
// change to their draft: every invoice issued has its own number, and the numbers run from
// INV-00001 with none missing, whichever way each issue went (on PostgreSQL, in one statement of
// its own or in a transaction).
func TestIssuesAtOnceNumberWithoutGaps(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, f *fixture) {
		e, first, _ := f.entity("")
		ids := []string{first}
		for range 29 {
			ids = append(ids, f.draftOf(e))
		}
		var wg sync.WaitGroup
		errs := make([]error, len(ids))
		for i, id := range ids {
			d, err := f.st.ReceivableWithCounterpart(f.ctx, e, id)
			must(t, err)
			wg.Go(func() { _, errs[i] = f.svc.IssueDraft(f.ctx, d, time.Now()) })
			if i%5 == 0 {
				wg.Go(func() {
					changed := *d.Receivable
					memo := "changed while it was issued"
					changed.Memo = &memo
					if err := f.st.UpdateReceivable(f.ctx, &changed); err != nil && booksync.ErrorCode(err) != booksync.ECONFLICT {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		numbers := map[string]bool{}
		for i, id := range ids {
			stored := f.receivable(e, id)
			switch {
			case errs[i] == nil && stored.Status == booksync.StatusIssued && stored.DocumentID != nil:
				if numbers[*stored.DocumentID] {
					t.Fatalf("two invoices issued as %s", *stored.DocumentID)
				}
				numbers[*stored.DocumentID] = true
			case booksync.ErrorCode(errs[i]) == booksync.ECONFLICT && stored.Status == booksync.StatusDraft:
			default:
				t.Fatalf("issue %d = %v; stored %s, number %v", i, errs[i], stored.Status, stored.DocumentID)
			}
		}
		for n := 1; n <= len(numbers); n++ {
			if doc := fmt.Sprintf("INV-%05d", n); !numbers[doc] {
				t.Fatalf("%d invoices issued, but none is %s: %v", len(numbers), doc, numbers)
			}
		}
		if len(numbers) < len(ids)-len(ids)/5 {
			t.Fatalf("%d of %d invoices issued; only the changed ones may be refused", len(numbers), len(ids))
		}
		// No number was taken and lost after the last one issued either.
		d, err := f.st.ReceivableWithCounterpart(f.ctx, e, f.draftOf(e))
		must(t, err)
		last, err := f.svc.IssueDraft(f.ctx, d, time.Now())
		must(t, err)
		if want := fmt.Sprintf("INV-%05d", len(numbers)+1); *last.DocumentID != want {
			t.Fatalf("the issue after them took %s, want %s", *last.DocumentID, want)
		}
	})
}

// draftOf creates another draft invoice of the entity and returns its id.
func (f *fixture) draftOf(entityID string) string {
	f.t.Helper()
	now := time.Now()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: entityID, CreatedAt: now, UpdatedAt: now,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartName: "Globex",
		Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, TotalAmountWithCreditNotes: 1190,
		AmountDue: 1190, AmountToPay: 1190}
	must(f.t, f.st.CreateReceivable(f.ctx, r))
	return r.ID
}
