package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the database/sql driver "pgx"
)

// Dialect names, as Dialect returns them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Logger receives River's migration messages; nil keeps River's default (warnings to stdout).
	Logger *slog.Logger

	// PostgresMaxConns caps the PostgreSQL pool; 0 means 20, and less than 2 means 2, because
	// Migrate holds one connection for its advisory lock while River migrates on another.
	PostgresMaxConns int

	// SQLiteReaders caps the SQLite read-only pool; 0 means max(4, GOMAXPROCS).
	SQLiteReaders int

	// PostgresPollOnly makes River poll PostgreSQL for new jobs instead of listening for them
	// (LISTEN/NOTIFY), as it does on SQLite; for comparisons, and for poolers that cannot LISTEN.
	PostgresPollOnly bool
}

// Store keeps booksync's objects in SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	writer *sql.DB
	reader *sql.DB
	// listen is the pgx pool River's listeners take their LISTEN connection from (PostgreSQL,
	// unless PostgresPollOnly); nil on SQLite.
	listen *pgxpool.Pool
	d      dialect
	opts   Options
	// hooks inserts webhook delivery jobs in the transactions that write events (see AddEventTx).
	hooks hookQueue
	// batches runs InTx on SQLite (group commit); nil on PostgreSQL.
	batches *groupCommit
	// targets keeps, on SQLite, the subscriptions that events read in the batch that runs now.
	targets batchTargets
	// ckpt checkpoints a SQLite file's WAL off the writer's commits; nil otherwise.
	ckpt *checkpointer
	// auth keeps the rows TokenEntity read (see authCache). On PostgreSQL it is on while the
	// listener that authOnce starts listens for changes; authStop and authDone stop it.
	auth     *authCache
	authOnce sync.Once
	authStop context.CancelFunc
	authDone sync.WaitGroup
}

// Open connects to the database that dsn names: a postgres:// or postgresql:// URL, or else a
// SQLite file path or file: URI. It does not migrate; call Migrate (or use OpenAndMigrate).
//
// On SQLite, Open adds the pragmas booksync relies on (WAL, synchronous NORMAL, a 10 s busy
// timeout, foreign keys, and BEGIN IMMEDIATE for transactions, so that a write transaction takes
// the write lock up front instead of failing to upgrade later) and checks that WAL is in effect. An
// in-memory database (":memory:", "mode=memory") cannot be shared between pools, so its reader is
// the writer.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn, opts)
	}
	return openSQLite(ctx, dsn, opts)
}

// OpenAndMigrate opens the database like Open and applies every pending migration.
func OpenAndMigrate(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s, err := Open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	maxConns := opts.PostgresMaxConns
	if maxConns == 0 {
		maxConns = 20
	}
	maxConns = max(maxConns, 2)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	s := &Store{writer: db, reader: db, d: postgresDialect, opts: opts, auth: newAuthCache(false)}
	if !opts.PostgresPollOnly {
		// River hijacks one connection per running client from this pool and keeps it for its
		// LISTEN, and so does the store's listener for changes to tokens and entities (see
		// authCache); the pool itself stays empty, so it costs no idle connections.
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open postgres listener pool: %w", err)
		}
		cfg.MinConns, cfg.MaxConns = 0, 2
		if s.listen, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open postgres listener pool: %w", err)
		}
	}
	return s, nil
}

// sqliteBusyTimeout is how long a SQLite connection waits for a lock that another holds (PRAGMA
// busy_timeout) before it fails with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// sqliteWriterCache is the SQLite writer's page cache, in KiB as PRAGMA cache_size takes it when
// negative: 16 MiB, so that the pages of the indexes a write touches stay cached while the tables
// grow (SQLite's default of 2 MiB makes each write read them again from the file). Once full, it
// costs twice that in resident memory: the SQLite library's allocator (modernc.org/memory) gives
// each cached page, 4 KiB and SQLite's header of it, a slot of 8 KiB. A cache of 32 MiB was
// measured no faster at draining a backlog (`go test ./internal/app -bench PushThroughput`), and
// cost serve 20-40 MiB more at its peak (`booksync bench memory`).
const sqliteWriterCache = -16384

func openSQLite(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("store: open sqlite: empty database path")
	}
	memory := strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")

	// The writer does not checkpoint the WAL in its commits; the checkpointer does (see
	// checkpointer). Its temporary files live in memory: the group commit runs each caller in a
	// savepoint, and SQLite copies each page a savepoint changes first into a sub-journal, which
	// otherwise becomes a temporary file written with two system calls a page.
	writer, err := openSQLiteDB(withParams(dsn,
		"_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)", fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)", fmt.Sprintf("_pragma=cache_size(%d)", sqliteWriterCache), "_pragma=temp_store(MEMORY)",
		"_pragma=wal_autocheckpoint(0)", fmt.Sprintf("_pragma=journal_size_limit(%d)", walSizeLimit), "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite writer: %w", err)
	}
	// One connection: SQLite has one writer anyway, and River needs this to avoid SQLITE_BUSY.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	s := &Store{writer: writer, reader: writer, d: sqliteDialect, opts: opts, auth: newAuthCache(true)}
	var mode string
	if err := writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", dsn, err)
	}
	if memory {
		s.batches = newGroupCommit(writer, nil)
		return s, nil
	}
	if !strings.EqualFold(mode, "wal") {
		writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: journal_mode is %q, want wal", dsn, mode)
	}

	reader, err := openSQLiteDB(withParams(dsn,
		fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()), "_pragma=foreign_keys(1)", "_query_only=1"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open sqlite reader: %w", err)
	}
	readers := opts.SQLiteReaders
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("store: open sqlite reader %s: %w", dsn, err)
	}
	s.reader = reader

	// The checkpointer sets its busy timeout before each checkpoint (see checkpointer.run).
	ckpt, err := openSQLiteDB(dsn)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	ckpt.SetConnMaxIdleTime(0)
	s.ckpt = newCheckpointer(ckpt, writer, opts.Logger)
	s.batches = newGroupCommit(writer, s.ckpt.committed)
	return s, nil
}

// openSQLiteDB opens a pool on the SQLite database dsn whose connections keep their prepared
// statements (see openSQLiteConnector).
func openSQLiteDB(dsn string) (*sql.DB, error) {
	c, err := openSQLiteConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// withParams appends driver parameters to a SQLite path or file: URI.
func withParams(dsn string, params ...string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(params, "&")
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Writer returns the pool for writes: on SQLite its single connection, which River shares (through
// RiverDriver) so that jobs can be enqueued in a write transaction; on PostgreSQL the one pool.
func (s *Store) Writer() *sql.DB { return s.writer }

// Reader returns the pool for reads that need not see uncommitted writes: on SQLite read-only
// connections beside the writer; on PostgreSQL the one pool.
func (s *Store) Reader() *sql.DB { return s.reader }

// Close closes both pools. On SQLite it first runs the write transactions already waiting, and
// stops the checkpointer; InTx fails once Close began.
func (s *Store) Close() error {
	var errs []error
	if s.batches != nil {
		s.batches.close()
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	s.stopAuthListener()
	if s.listen != nil {
		s.listen.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// WriterStats is what a SQLite store's writer has done for InTx since the store opened. Its one
// connection runs every write transaction, so Busy's share of the time elapsed is how close the
// store is to the writes SQLite can take: near all of it, writes wait for each other (PostgreSQL
// scales further). The connection also runs River's own bookkeeping of its jobs and the truncating
// checkpoints (see checkpointer), which these figures leave out: the writer is busier than Busy
// says, by little when most writes are booksync's.
type WriterStats struct {
	// Transactions are the SQLite transactions the writer began for InTx calls, committed or rolled
	// back. Each gathers the calls that wait when it begins and those that arrive while it runs, up
	// to 128 calls or 10 ms (see InTx). Calls are the InTx calls whose fn ran in them, whether fn
	// succeeded or not: they are not a count of writes committed.
	Transactions, Calls int64
	// Busy is the time from each transaction's BEGIN to the end of its COMMIT or ROLLBACK,
	// Committing the part of it spent in COMMIT: writing the pages the transaction changed to the
	// WAL.
	Busy, Committing time.Duration
}

// WriterStats returns what the writer has done, or false on PostgreSQL, where each transaction has
// a connection of its own.
func (s *Store) WriterStats() (WriterStats, bool) {
	if s.batches == nil {
		return WriterStats{}, false
	}
	return s.batches.stats(), true
}

// InTx runs fn in a transaction on the writer and commits when it returns nil; an error or a panic
// rolls back fn's writes, and InTx returns fn's error as it is or panics again in the caller's
// goroutine. A commit's error is returned wrapped. The methods that take a *sql.Tx, most of them
// named ...Tx, are the steps such a transaction takes. fn must do all its work through tx and must
// not wait on anything slow, such as an HTTP call: on SQLite the transaction holds the only writer
// connection until fn returns.
//
// On SQLite, InTx calls that arrive together share one SQLite transaction, each in a savepoint of
// its own, and one commit (see groupCommit): fn then sees what the calls before it in the batch
// wrote, and the caller returns once the batch committed. One caller's error or panic undoes its
// own writes only. In the rare case that SQLite rolls back a batch's whole transaction, the calls
// whose writes it took run again, each alone; so fn must leave nothing outside tx that running it
// twice would duplicate (its second run starts from the database without its first run's writes).
// A caller whose ctx ends while it waits for its turn returns the context's error without fn
// having run.
func (s *Store) InTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	if s.batches != nil {
		return s.batches.inTx(ctx, fn)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", mapErr(err))
	}
	return nil
}
