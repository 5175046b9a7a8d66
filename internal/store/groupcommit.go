package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of one group commit (see groupCommit): a batch takes no more callers once it holds
// maxBatchCalls of them or has run for maxBatchTime, so that its first caller's wait and the
// WAL frames of one commit stay small.
const (
	maxBatchCalls = 128
	maxBatchTime  = 10 * time.Millisecond
)

// groupCommit runs the write transactions of a SQLite store (InTx) on its single writer connection.
//
// SQLite commits one transaction at a time, and a commit costs about as much as the work before it
// (writing the transaction's pages to the WAL). So the InTx calls that arrive while a transaction
// runs are gathered and run one after another in ONE SQLite transaction, each inside a SAVEPOINT of
// its own, and committed together: pages that several callers change (an index's last leaf, a
// table's last page) are written once per batch instead of once per caller.
//
// Each caller's fn runs in the caller's own goroutine: the batch's runner hands the transaction to
// one caller at a time and waits until its fn returns. So a panic or runtime.Goexit in fn unwinds
// the caller's goroutine as it did without batching, after its savepoint is rolled back.
//
//   - fn returns nil: its savepoint is released, and the caller returns once the batch committed
//     (nil), or with the commit's error, which every caller of the batch gets.
//   - fn returns an error, panics or exits: its savepoint is rolled back, which undoes its writes
//     and no one else's, and the caller gets its error (or panic) at once.
//   - A caller whose ctx ends while it waits for its turn leaves without fn being run.
//   - SQLite sometimes rolls back a whole transaction under a savepoint (an I/O error, a full disk,
//     a statement that runs ROLLBACK). The caller whose fn was running then gets its fn's error, or,
//     if fn returned nil, the error of releasing its savepoint. The batch's other callers, whose
//     writes went with the transaction, run again, each alone in a transaction of its own: they
//     did nothing wrong, and running alone is what InTx did before batching. A second run starts
//     from a database without its first run's writes, so it cannot write anything twice; InTx's
//     contract (fn works through tx only) keeps it from doing anything else twice. The caller
//     is told only what its own run alone came to.
//
// Statements of a batch do not interrupt SQLite when their context ends (see cachingConn.shield):
// an interrupted INSERT, UPDATE or DELETE inside a transaction makes SQLite roll the whole
// transaction back, which would cost the other callers a second run. The statement that runs when a
// caller's context ends finishes, and the next one fails with the context's error.
type groupCommit struct {
	db *sql.DB
	// committed is called after each commit (the checkpointer's nudge); it must not block.
	committed func()

	mu     sync.Mutex
	queue  []*txCall
	closed bool
	wake   chan struct{} // a caller is queued or the store is closing
	done   chan struct{} // closed when the runner has stopped

	// What the writer has done (see WriterStats): transactions begun (committed or not), callers'
	// fns run in them, nanoseconds from each BEGIN to its COMMIT's or ROLLBACK's end, and the part
	// of those spent in COMMIT.
	transactions, calls, busy, commit atomic.Int64

	// running is the transaction of the batch that runs now (nil between batches), and undos
	// counts the callers' savepoints rolled back: together they tell whether what a caller read
	// in its batch still holds (see batchOf).
	running atomic.Pointer[sql.Tx]
	undos   atomic.Int64
}

// batchState is a batch's transaction and how many callers' writes had been rolled back (see
// groupCommit.batchOf).
type batchState struct {
	tx    *sql.Tx
	undos int64
}

// batchOf reports whether tx is the transaction of the batch that runs now, and if so its state. A
// read that a caller of the batch made in tx holds for the batch's later callers as long as the
// state is the same and no caller wrote what it read: the batch holds SQLite's one write lock, so
// no other connection or process writes meanwhile, and a caller whose savepoint was rolled back
// (its writes undone) moves the state on.
func (g *groupCommit) batchOf(tx *sql.Tx) (batchState, bool) {
	if g == nil || tx == nil || g.running.Load() != tx {
		return batchState{}, false
	}
	return batchState{tx: tx, undos: g.undos.Load()}, true
}

// txCall is one InTx call.
type txCall struct {
	ctx   context.Context // the caller's: once it has ended, fn is not run
	fn    func(*sql.Tx) error
	state atomic.Int32 // callWaiting, then callTaken by the runner or callLeft by the caller

	turn   chan *sql.Tx // the runner hands the transaction to the caller
	ran    chan error   // the caller hands back what fn returned (errAborted: it panicked or exited)
	result chan callResult
}

const (
	callWaiting int32 = iota
	callTaken
	callLeft
)

// errAborted stands, between a caller and the runner, for a fn that panicked or called
// runtime.Goexit.
var errAborted = errors.New("store: fn panicked")

// callResult is what the runner tells a caller after its fn returned.
type callResult struct {
	err   error
	rerun bool // the batch was lost: wait for a turn again, alone
}

func newGroupCommit(db *sql.DB, committed func()) *groupCommit {
	g := &groupCommit{db: db, committed: committed, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go g.loop()
	return g
}

// inTx runs fn in a batch (see groupCommit).
func (g *groupCommit) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	c := &txCall{ctx: ctx, fn: fn, turn: make(chan *sql.Tx, 1), ran: make(chan error, 1), result: make(chan callResult, 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errors.New("store: begin: the store is closed")
	}
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	g.nudge()

	for {
		var tx *sql.Tx
		select {
		case tx = <-c.turn:
		case <-ctx.Done():
			if c.state.CompareAndSwap(callWaiting, callLeft) {
				return fmt.Errorf("store: begin: %w", ctx.Err())
			}
			tx = <-c.turn // the runner took it first: fn runs, and meets the context's end
		}
		if tx == nil { // the batch could not begin
			r := <-c.result
			return r.err
		}
		c.ran <- c.call(tx)
		r := <-c.result
		if !r.rerun {
			return r.err
		}
	}
}

// call runs fn on tx. If fn panics or exits its goroutine, call tells the runner and waits until
// the savepoint is rolled back before the panic goes on.
func (c *txCall) call(tx *sql.Tx) (err error) {
	returned := false
	defer func() {
		if !returned {
			c.ran <- errAborted
			<-c.result
		}
	}()
	err = c.fn(tx)
	returned = true
	return err
}

// stats returns what the writer has done since the store opened (see WriterStats).
func (g *groupCommit) stats() WriterStats {
	return WriterStats{Transactions: g.transactions.Load(), Calls: g.calls.Load(),
		Busy: time.Duration(g.busy.Load()), Committing: time.Duration(g.commit.Load())}
}

func (g *groupCommit) nudge() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// close stops taking calls, runs those already queued, and waits for the runner to stop.
func (g *groupCommit) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.nudge()
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.done)
	for {
		calls := g.take(maxBatchCalls)
		if len(calls) == 0 {
			g.mu.Lock()
			stop := g.closed && len(g.queue) == 0
			g.mu.Unlock()
			if stop {
				return
			}
			<-g.wake
			continue
		}
		for _, c := range g.runBatch(calls, true) {
			// Each caller of a lost batch runs alone; if that is lost too, it is its own doing.
			g.runBatch([]*txCall{c}, false)
		}
	}
}

// take removes up to n waiting callers from the queue, skipping those that left.
func (g *groupCommit) take(n int) []*txCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*txCall
	i := 0
	for ; i < len(g.queue) && len(out) < n; i++ {
		if c := g.queue[i]; c.state.CompareAndSwap(callWaiting, callTaken) {
			out = append(out, c)
		}
	}
	clear(g.queue[:i])
	g.queue = g.queue[i:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return out
}

// runBatch runs calls, and when grow is set the callers that queue meanwhile (within the batch's
// bounds), in one transaction, and tells each caller its outcome. If SQLite rolled the whole
// transaction back under a savepoint, it returns the callers that must run again (see groupCommit);
// without grow (a caller running alone) there are none: each caller is told its outcome.
func (g *groupCommit) runBatch(calls []*txCall, grow bool) (rerun []*txCall) {
	start := time.Now()
	fail := func(cs []*txCall, err error) {
		for _, c := range cs {
			c.turn <- nil
			c.result <- callResult{err: err}
		}
	}
	bg := context.Background()
	conn, err := g.db.Conn(bg)
	if err != nil {
		fail(calls, fmt.Errorf("store: begin: %w", err))
		return nil
	}
	defer conn.Close()
	setShield(conn, true)
	defer setShield(conn, false)
	tx, err := conn.BeginTx(bg, nil)
	if err != nil {
		fail(calls, fmt.Errorf("store: begin: %w", mapErr(err)))
		return nil
	}
	began := time.Now()
	g.transactions.Add(1)
	g.running.Store(tx)
	defer g.running.Store(nil)
	defer func() { g.busy.Add(int64(time.Since(began))) }() // a lost batch's time counts too

	var released []*txCall // callers whose writes wait for the commit
	n := 0
	for len(calls) > 0 {
		for i, c := range calls {
			n++
			switch out := g.runCall(tx, c); out {
			case callReleased:
				released = append(released, c)
			case callUndone:
			default: // callLost, callNotRun
				_ = tx.Rollback()
				unstarted := calls[i+1:]
				if out == callNotRun {
					unstarted = calls[i:]
				}
				if !grow {
					fail(unstarted, errors.New("store: begin: sqlite rolled the transaction back"))
					return nil
				}
				for _, r := range released {
					r.result <- callResult{rerun: true} // it waits for a turn again
				}
				return append(released, unstarted...)
			}
		}
		calls = nil
		if grow && n < maxBatchCalls && time.Since(start) < maxBatchTime {
			calls = g.take(maxBatchCalls - n)
			if len(calls) == 0 {
				// Callers that come at once are usually a few microseconds apart: yielding the
				// processor once lets those about to queue do so, and joining this batch saves
				// each a commit and the WAL a copy of every page they share with it.
				runtime.Gosched()
				calls = g.take(maxBatchCalls - n)
			}
		}
	}

	committing := time.Now()
	err = tx.Commit()
	g.commit.Add(int64(time.Since(committing)))
	if err != nil {
		err = fmt.Errorf("store: commit: %w", mapErr(err))
	} else if g.committed != nil {
		g.committed()
	}
	for _, c := range released {
		c.result <- callResult{err: err}
	}
	return nil
}

// What became of one caller's fn in a batch (runCall).
type callOutcome int

const (
	callReleased callOutcome = iota // fn returned nil: its writes wait for the commit
	callUndone                      // fn failed (its savepoint was rolled back) or never ran, and it was told
	callLost                        // SQLite rolled the whole transaction back under fn; it was told
	callNotRun                      // the transaction failed before fn ran; it was not told
)

// runCall runs one caller's fn in a savepoint of tx; a caller that gave up (its context ended)
// while earlier callers ran is told so without running.
func (g *groupCommit) runCall(tx *sql.Tx, c *txCall) callOutcome {
	if err := c.ctx.Err(); err != nil {
		c.turn <- nil
		c.result <- callResult{err: fmt.Errorf("store: begin: %w", err)}
		return callUndone
	}
	bg := context.Background()
	if _, err := tx.ExecContext(bg, "SAVEPOINT booksync_call"); err != nil {
		return callNotRun
	}
	g.calls.Add(1)
	c.turn <- tx
	fnErr := <-c.ran
	if fnErr == nil {
		if _, err := tx.ExecContext(bg, "RELEASE booksync_call"); err != nil {
			// fn returned nil, but its writes went with the transaction, under fn.
			c.result <- callResult{err: fmt.Errorf("store: commit: %w", mapErr(err))}
			return callLost
		}
		return callReleased
	}
	_, err := tx.ExecContext(bg, "ROLLBACK TO booksync_call")
	g.undos.Add(1)
	if err == nil {
		_, err = tx.ExecContext(bg, "RELEASE booksync_call")
	}
	c.result <- callResult{err: fnErr} // a panicking caller only waits for it
	if err != nil {
		return callLost
	}
	return callUndone
}
