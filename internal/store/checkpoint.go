package store

import (
	"context"
	"database/sql"
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
	// checkpointBusyTimeout is how long a truncating checkpoint waits for readers and the writer.
	checkpointBusyTimeout = 5 * time.Second
)

// checkpointer copies a SQLite store's WAL into the database file, off the writer's commits.
//
// SQLite's own automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages,
// which made that commit (and every caller waiting for the single writer) wait for it. The writer
// runs with wal_autocheckpoint(0) instead, and this goroutine, on a connection of its own, runs a
// PASSIVE checkpoint at most every checkpointPause after commits, and at least every
// checkpointIdle: it copies what no reader still needs, without blocking the writer or readers,
// and once it has copied everything the next writer starts the WAL over. Readers that always hold an old snapshot would keep the WAL growing, so a
// WAL of walTruncateFrames or more gets a TRUNCATE checkpoint, which waits for them.
type checkpointer struct {
	db      *sql.DB
	log     *slog.Logger
	nudges  chan struct{}
	ctx     context.Context
	stop    context.CancelFunc
	done    chan struct{}
	truncAt atomic.Int64 // walTruncateFrames; tests lower it
}

func newCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	if log == nil {
		log = slog.Default()
	}
	c := &checkpointer{db: db, log: log, nudges: make(chan struct{}, 1), done: make(chan struct{})}
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

// checkpoint runs a passive checkpoint, and a truncating one when the WAL is too long.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	frames, err := c.run(ctx, "PASSIVE")
	if err != nil || int64(frames) < c.truncAt.Load() {
		return err
	}
	_, err = c.run(ctx, "TRUNCATE")
	return err
}

// run runs one checkpoint of the given mode and returns the WAL's length in frames before it.
func (c *checkpointer) run(ctx context.Context, mode string) (frames int, err error) {
	var busy, checkpointed int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &checkpointed)
	if err != nil {
		return 0, fmt.Errorf("store: wal_checkpoint(%s): %w", mode, err)
	}
	if busy != 0 && mode != "PASSIVE" {
		return frames, errors.New("store: wal_checkpoint(" + mode + "): readers or the writer stayed busy")
	}
	return frames, nil
}
