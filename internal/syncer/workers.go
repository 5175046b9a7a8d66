package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/store"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

type pushWorker struct {
	river.WorkerDefaults[PushArgs]
	e *Engine
}

// Work pushes the connection's pending records, and completes its job in a transaction that
// finds nothing new to push.
func (w *pushWorker) Work(ctx context.Context, job *river.Job[PushArgs]) error {
	finish := func(since time.Time) (bool, error) {
		done := false
		err := w.e.store.InTx(ctx, func(tx *sql.Tx) error {
			// Completing first locks the job row, so an issue racing with this either committed
			// before (and its record is counted below) or will insert a new push job after.
			if err := completeTx(ctx, tx, job); err != nil {
				return err
			}
			n, err := w.e.store.CountPendingSince(ctx, tx, job.Args.ConnectionID, since)
			if err != nil {
				return err
			}
			if n > 0 {
				return errMoreToPush
			}
			done = true
			return nil
		})
		if errors.Is(err, errMoreToPush) {
			return false, nil
		}
		return done, err
	}
	return w.e.jobResult(ctx, job.Args.ConnectionID, job.Attempt, job.MaxAttempts, w.e.pushConnection(ctx, job.Args.ConnectionID, finish))
}

var errMoreToPush = errors.New("records were queued during the push")

// errContinue ends a push run that used its share of the job timeout; the job runs again at once.
var errContinue = errors.New("push continues in a new run")

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	e *Engine
}

// Work pulls (what changed in the books, then their settings), then queues a push, completing its
// job in the same transaction unless a sync was asked for while it pulled, in which case it pulls
// again. The transaction also lets the records that waited for the pull go to the push (a record
// in error pushed again waits for a pull that sees what was fixed in the books).
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	connID := job.Args.ConnectionID
	for {
		start := w.e.now()
		if err := w.e.store.MarkPullBegun(ctx, connID); err != nil {
			return err
		}
		// Changes first: the connection's last_pull, which the settings' pull stamps, then says
		// that everything the books held before it is in booksync.
		if err := w.e.pullChanges(ctx, connID); err != nil {
			return w.e.jobResult(ctx, connID, job.Attempt, job.MaxAttempts, err)
		}
		if err := w.e.pull(ctx, connID); err != nil {
			w.e.syncFailedEvent(ctx, connID, err)
			return w.e.jobResult(ctx, connID, job.Attempt, job.MaxAttempts, err)
		}
		conn, err := w.e.store.ConnectionByID(ctx, connID)
		if err != nil {
			return err
		}
		err = w.e.store.InTx(ctx, func(tx *sql.Tx) error {
			// The records' rows and the connection's first, then the job's, in the order of a retry
			// that makes a record wait for a pull (see Engine.PushRecord).
			again, err := w.e.store.FinishSyncPull(ctx, tx, connID, start, w.e.now())
			if err != nil {
				return err
			}
			if again {
				return errMoreToPush
			}
			if err := completeTx(ctx, tx, job); err != nil {
				return err
			}
			if err := w.e.syncEventTx(ctx, tx, conn, booksync.EventSyncFinished, "pulled the tax rates and ledger accounts; the push of pending records is queued"); err != nil {
				return err
			}
			return w.e.queuePush(ctx, tx, connID)
		})
		if !errors.Is(err, errMoreToPush) {
			return err
		}
	}
}

// completeTx completes a running job inside tx (River's transactional completion). River uses the
// driver of the client that runs the job, which the store chose; the type argument only says that
// it works on *sql.Tx.
func completeTx[T river.JobArgs](ctx context.Context, tx *sql.Tx, job *river.Job[T]) error {
	_, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx, job)
	return err
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	e *Engine
}

// Work runs the sweep.
func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	return w.e.Sweep(ctx)
}

// Sweep queues the sync of every connection whose hour is up, in the same transaction that moves
// its next sync an hour on, or that has records waiting for a pull for more than a minute, and a
// push for every connection whose pending records have waited more than a minute. The sweep job
// runs it every minute.
func (e *Engine) Sweep(ctx context.Context) error {
	now := e.now()
	return e.store.InTx(ctx, func(tx *sql.Tx) error {
		ids, err := e.store.ClaimDueConnections(ctx, tx, now, now.Add(booksync.SyncInterval))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := e.river.InsertTx(ctx, tx, SyncArgs{ConnectionID: id}, nil); err != nil {
				return err
			}
		}
		// A record that waits for a pull without a sync to pull (a writer that made it pending
		// again kept it waiting and queued a push only) gets one.
		waiting, err := e.store.ConnectionsWaitingForPull(ctx, tx, now.Add(-time.Minute))
		if err != nil {
			return err
		}
		for _, id := range waiting {
			if _, err := e.river.InsertTx(ctx, tx, SyncArgs{ConnectionID: id}, nil); err != nil {
				return err
			}
		}
		// A record can be left pending without a job (its process died between the two); a push
		// here picks it up.
		stale, err := e.store.ConnectionsWithPendingBefore(ctx, tx, now.Add(-time.Minute))
		if err != nil {
			return err
		}
		for _, id := range stale {
			if err := e.queuePush(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// jobResult turns a pull or push failure into what River does next: a rate limit snoozes the job
// without using an attempt; an auth failure cancels it (the connection needs the user); anything
// else is retried with backoff, and on the last attempt the records it was pushing go to error.
func (e *Engine) jobResult(ctx context.Context, connID string, attempt, maxAttempts int, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errContinue) || ctx.Err() != nil {
		// More to do, or shutting down: run again at once, without using an attempt.
		return river.JobSnooze(0)
	}
	var busy *leaseBusyError
	if errors.As(err, &busy) {
		return river.JobSnooze(busy.wait)
	}
	switch platform.ClassOf(err) {
	case platform.RateLimited:
		var pe *platform.Error
		errors.As(err, &pe)
		wait := pe.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		return river.JobSnooze(wait)
	case platform.Auth:
		return river.JobCancel(err)
	}
	if errors.Is(err, errNotConnected) {
		return river.JobCancel(err)
	}
	if attempt >= maxAttempts {
		e.failPending(context.WithoutCancel(ctx), connID, err, attempt)
	}
	return err
}

// failPending puts a connection's pending records in error after the last attempt failed.
func (e *Engine) failPending(ctx context.Context, connID string, cause error, attempts int) {
	for _, typ := range []string{booksync.ObjectCustomer, booksync.ObjectProduct, booksync.ObjectReceivable, booksync.ObjectPaymentRecord} {
		recs, err := e.store.PendingRecords(ctx, connID, typ, 1000)
		if err != nil {
			return
		}
		// A setting of booksync's operator that is wrong (Misconfigured) is not the accounting
		// system's fault, and waiting for it does not help: the record says who fixes it.
		what, fix := "Accounting system unreachable", "Check the accounting system's status"
		if platform.ClassOf(cause) == platform.Misconfigured {
			what, fix = "booksync's own setting is wrong", "Ask booksync's operator to correct the setting named above"
		}
		for i := range recs {
			r := &recs[i]
			e.setError(ctx, r, &booksync.SyncError{Status: booksync.CodeRetriesExhausted,
				Message: fmt.Sprintf("%s: the push failed %d times: %s", what, attempts, errorMessage(cause)),
				Details: []booksync.SyncErrorDetail{{Message: errorMessage(cause),
					Fix: fix + ", then push the record again with POST /accounting_synced_records/" + r.ID + "/push."}}})
		}
	}
}

// leaseBusyError says another process is pushing the connection.
type leaseBusyError struct{ wait time.Duration }

func (l *leaseBusyError) Error() string { return "another push of this connection is running" }

// errLeaseLost cancels the work of a holder whose lease could not be renewed before it lapsed.
var errLeaseLost = errors.New("the connection's lease lapsed")

// withPushLease runs fn while holding the connection's push lease. It waits a little for a push
// that is finishing (a snoozed job would wait for River's scheduler, which runs every few seconds).
func (e *Engine) withPushLease(ctx context.Context, connID string, fn func(ctx context.Context) error) error {
	for i := 0; ; i++ {
		held, release, ok, err := e.tryLease(ctx, connID, store.LeasePush, e.cfg.JobTimeout)
		if err != nil {
			return err
		}
		if ok {
			defer release()
			err := fn(held)
			if ctx.Err() == nil && errors.Is(context.Cause(held), errLeaseLost) {
				return &leaseBusyError{wait: time.Second}
			}
			return err
		}
		if i == 100 {
			return &leaseBusyError{wait: 5 * time.Second}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tryLease takes one of a connection's leases for term, if no one holds it. A lease outlives its
// holder by at most term: the push lease's term is the job timeout, so that on PostgreSQL the
// lease of a killed process has lapsed by the time River rescues its job (on SQLite, Start releases
// it at once). While the lease is held a goroutine renews it every third of its term, so work that
// takes longer keeps it; if it cannot be renewed before it lapses, held is cancelled with
// errLeaseLost so that the holder stops. release stops the renewal and gives the lease back.
func (e *Engine) tryLease(ctx context.Context, connID, lease string, term time.Duration) (held context.Context, release func(), ok bool, err error) {
	now := e.now()
	until := now.Add(term)
	if ok, err = e.store.AcquireLease(ctx, connID, lease, now, until); err != nil || !ok {
		return nil, nil, ok, err
	}
	held, cancel := context.WithCancelCause(ctx)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(max(term/3, time.Millisecond))
		defer tick.Stop()
		// The holder stops when its lease lapses, not at the first tick after: from then on
		// another holder may take it.
		lapse := time.NewTimer(until.Sub(e.now()))
		defer lapse.Stop()
		for {
			select {
			case <-stop:
				return
			case <-held.Done():
				return
			case <-lapse.C:
				cancel(errLeaseLost)
				return
			case <-tick.C:
			}
			next := e.now().Add(term)
			// A renewal that cannot get through to the database before the lease lapses (a busy
			// writer, a lost connection) must not keep the holder working past it.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(held), until.Sub(e.now()))
			renewed, err := e.store.RenewLease(rctx, connID, lease, until, next)
			rcancel()
			switch {
			case renewed:
				until = next
				lapse.Reset(until.Sub(e.now()))
			case err == nil || !e.now().Before(until):
				cancel(errLeaseLost)
				return
			default:
				e.log.Warn("renewing lease", "connection_id", connID, "lease", lease, "err", err)
			}
		}
	}()
	release = func() {
		close(stop)
		<-done
		cancel(nil)
		if err := e.store.ReleaseLease(context.WithoutCancel(ctx), connID, lease, until); err != nil {
			e.log.Warn("releasing lease", "connection_id", connID, "lease", lease, "err", err)
		}
	}
	return held, release, true, nil
}

func errorMessage(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
