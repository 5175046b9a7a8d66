package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Checkpoints of a SQLite store's WAL, which its checkpointer runs (see checkpointer).
const (
	// checkpointPause is the least time between two checkpoints: writes meanwhile are copied
	// into the database file together, a page written many times over once. At 2,000 invoices a
	// second the WAL gains a few thousand frames meanwhile, well below walTruncateFrames.
	checkpointPause = 250 * time.Millisecond
	// checkpointIdle is the most time between two checkpoints: writes on the writer outside
	// InTx (River's own) do not nudge the checkpointer.
	checkpointIdle = time.Second
	// walTruncateFrames bounds the WAL: when a passive checkpoint leaves it this long (readers
	// kept SQLite from starting it over), the checkpointer waits for those readers, holding new
	// writers back, copies it all and truncates it.
	walTruncateFrames = 16384
	// walSizeLimit is the WAL's size, in bytes, that SQLite cuts it back to when it starts it
	// over (PRAGMA journal_size_limit), so that a file once grown does not stay large.
	walSizeLimit = 64 << 20
	// truncateWaitFirst and truncateWaitMost bound how long a truncating checkpoint waits for
	// readers of older snapshots. New writers wait meanwhile (it runs on the writer's
	// connection), so the first attempt waits briefly; each failed attempt in a row doubles the
	// wait, up to truncateWaitMost, so that readers longer than a brief wait still let the WAL be
	// truncated, and a success starts again from the first.
	truncateWaitFirst = 50 * time.Millisecond
	truncateWaitMost  = 5 * time.Second
)

// truncateWait is how long the truncating checkpoint after failed earlier attempts in a row
// waits for readers.
func truncateWait(failed int) time.Duration {
	wait := truncateWaitFirst
	for range failed {
		if wait *= 2; wait >= truncateWaitMost {
			return truncateWaitMost
		}
	}
	return wait
}

// checkpointer copies a SQLite store's WAL into the database file, off the writer's commits.
//
// SQLite's own automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages,
// which made that commit (and every caller waiting for the single writer) wait for it. The writer
// runs with wal_autocheckpoint(0) instead, and this goroutine, on a connection of its own, runs a
// PASSIVE checkpoint at most every checkpointPause after commits, and at least every
// checkpointIdle: it copies what no reader still needs, without blocking the writer or readers,
// and once it has copied everything the next writer starts the WAL over.
//
// Under a steady load that never happens: readers always hold a recent snapshot, and the writer
// commits again before a checkpoint ends. So a WAL of walTruncateFrames or more gets a TRUNCATE
// checkpoint, which holds new writers back while it waits for readers of older snapshots: briefly
// at first, longer after each attempt in a row that the readers outlasted (truncateWait). It runs
// on the writer's own connection, between two of its transactions. Starting the WAL over changes
// its header, and a SQLite connection that finds the header changed by another connection
// discards its whole page cache; run elsewhere, each truncation cost the writer its cache (16 MiB
// of index pages, read again from the file afterwards).
type checkpointer struct {
	db      *sql.DB // the checkpointer's own connection, for the passive checkpoints
	writer  *sql.DB // the writer's one connection, for the truncating ones
	log     *slog.Logger
	nudges  chan struct{}
	ctx     context.Context
	stop    context.CancelFunc
	done    chan struct{}
	truncAt atomic.Int64 // walTruncateFrames; tests lower it
	// failed counts the truncating checkpoints in a row that readers outlasted;
	// only the loop's goroutine uses it.
	failed int
	// watch, when set (by tests), is told each truncating checkpoint's wait and whether readers
	// outlasted it.
	watch atomic.Pointer[func(wait time.Duration, busy bool)]
}

func newCheckpointer(db, writer *sql.DB, log *slog.Logger) *checkpointer {
	if log == nil {
		log = slog.Default()
	}
	c := &checkpointer{db: db, writer: writer, log: log, nudges: make(chan struct{}, 1), done: make(chan struct{})}
	c.truncAt.Store(walTruncateFrames)
	c.ctx, c.stop = context.WithCancel(context.Background())
	go c.loop()
	return c
}

// committed tells the checkpointer that the writer committed; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.nudges <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and closes its connection. SQLite checkpoints the WAL when the
// store's last connection closes.
func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.db.Close()
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.nudges:
		case <-time.After(checkpointIdle):
		}
		if err := c.checkpoint(c.ctx); err != nil && c.ctx.Err() == nil {
			c.log.Warn("store: WAL checkpoint failed; the next commit tries again", "err", err)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(checkpointPause):
		}
	}
}

// checkpoint runs a passive checkpoint, and a truncating one when the WAL is too long. A
// truncating checkpoint that readers outlast is an error only when it waited
// truncateWaitMost, and then only the first time in a row: until then the next ones wait longer.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	frames, _, err := c.run(ctx, c.db, "PASSIVE", 0)
	if err != nil || int64(frames) < c.truncAt.Load() {
		return err
	}
	failed := c.failed
	wait := truncateWait(failed)
	_, busy, err := c.run(ctx, c.writer, "TRUNCATE", wait)
	if watch := c.watch.Load(); watch != nil && err == nil {
		(*watch)(wait, busy)
	}
	switch {
	case err != nil:
		return err
	case !busy:
		c.failed = 0
		return nil
	}
	c.failed++
	if wait == truncateWaitMost && (failed == 0 || truncateWait(failed-1) < truncateWaitMost) {
		return fmt.Errorf("store: wal_checkpoint(TRUNCATE): readers of an older snapshot stayed busy for %v; the WAL grows until they end", wait)
	}
	return nil
}

// run runs one checkpoint of the given mode on a connection of db, which waits at most wait for
// the writer and readers (a passive one never waits), and returns the WAL's length in frames
// before it and whether the writer or readers kept it from copying and starting over the whole
// WAL. The connection's busy timeout is sqliteBusyTimeout again afterwards; a connection whose
// timeout cannot be set back is closed.
func (c *checkpointer) run(ctx context.Context, db *sql.DB, mode string, wait time.Duration) (frames int, busy bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("store: wal_checkpoint(%s): %w", mode, err)
	}
	defer conn.Close()
	defer func() {
		if _, rerr := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", sqliteBusyTimeout.Milliseconds())); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("store: wal_checkpoint(%s): set the busy timeout back: %w", mode, rerr))
		}
	}()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
		return 0, false, fmt.Errorf("store: wal_checkpoint(%s): %w", mode, err)
	}
	var blocked, checkpointed int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&blocked, &frames, &checkpointed)
	if err != nil {
		return 0, false, fmt.Errorf("store: wal_checkpoint(%s): %w", mode, err)
	}
	return frames, blocked != 0, nil
}
