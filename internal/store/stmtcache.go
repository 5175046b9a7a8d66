package store

import (
	lrulist "container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"

	"modernc.org/sqlite"
)

// stmtCacheSize is how many prepared statements each SQLite connection keeps. booksync runs a
// few hundred distinct statements; the lists' queries, built from filters, vary more, and the
// least recently used statement makes room for a new one.
const stmtCacheSize = 512

// openSQLiteConnector returns a connector to the SQLite database dsn whose connections keep the
// statements they prepared, so that a statement run again is not parsed and planned again.
//
// SQLite parses and plans every statement it prepares; modernc.org/sqlite prepares each query
// that database/sql passes it, and database/sql reuses a prepared statement only when the caller
// holds a *sql.Stmt. The store's SQL and River's are fixed strings run many times over, so each
// connection keeps its statements by their text and runs them again as they are.
func openSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{c}, nil
}

type cachingConnector struct{ driver.Connector }

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// sqliteConn is what a modernc.org/sqlite connection implements and the cache passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one SQLite connection with its statements, most recently used first.
// database/sql uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*lrulist.Element // of *cachedStmt
	lru   lrulist.List
	// shield keeps the statements from interrupting SQLite when their context ends: a
	// group commit's transaction (see groupCommit) sets it, because SQLite rolls a whole
	// transaction back when it interrupts a write in it. database/sql still refuses the next
	// statement of an ended context.
	shield bool
}

// setShield sets the shield of the SQLite connection conn holds.
func setShield(conn *sql.Conn, on bool) {
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*cachingConn); ok {
			c.shield = on
		}
		return nil
	})
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	inUse bool // its rows are open: a second use of the same text prepares another statement
}

func newCachingConn(conn driver.Conn) (driver.Conn, error) {
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the sqlite driver's connection lacks the methods the statement cache needs")
	}
	return &cachingConn{sqliteConn: sc, stmts: map[string]*lrulist.Element{}}, nil
}

// cacheable reports whether a query is one statement, which SQLite can keep prepared. A script of
// several (the migrations) is parsed statement by statement at each run anyway.
func cacheable(query string) bool {
	return !strings.Contains(strings.TrimRight(query, "; \t\r\n"), ";")
}

// stmt returns the prepared statement for query and the function that gives it back.
func (c *cachingConn) stmt(ctx context.Context, query string) (driver.Stmt, func(), error) {
	if el, ok := c.stmts[query]; ok {
		cs := el.Value.(*cachedStmt)
		if !cs.inUse {
			cs.inUse = true
			c.lru.MoveToFront(el)
			return cs.stmt, func() { cs.inUse = false }, nil
		}
	}
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := c.stmts[query]; ok {
		// The cached one is in use (a query run again while its rows are open): this one is
		// used once.
		return s, func() { s.Close() }, nil
	}
	if c.lru.Len() >= stmtCacheSize {
		for el := c.lru.Back(); el != nil; el = el.Prev() {
			if old := el.Value.(*cachedStmt); !old.inUse {
				old.stmt.Close()
				delete(c.stmts, old.query)
				c.lru.Remove(el)
				break
			}
		}
	}
	cs := &cachedStmt{query: query, stmt: s, inUse: true}
	c.stmts[query] = c.lru.PushFront(cs)
	return s, func() { cs.inUse = false }, nil
}

// ExecContext runs query on its kept statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.shield {
		ctx = context.WithoutCancel(ctx)
	}
	if !cacheable(query) {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	s, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs query on its kept statement, which its rows give back when closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.shield {
		ctx = context.WithoutCancel(ctx)
	}
	if !cacheable(query) {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	s, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	typed, ok := rows.(sqliteRows)
	if !ok {
		rows.Close()
		release()
		return nil, errors.New("store: the sqlite driver's rows lack the methods the statement cache passes on")
	}
	return &releasingRows{sqliteRows: typed, release: release}, nil
}

// Status passes on modernc.org/sqlite's per-connection counters (sqlite.DBStatus), so that a
// benchmark can read, for example, how many pages the writer wrote to the WAL.
func (c *cachingConn) Status(op sqlite.DBStatusOp, reset bool) (current, high int, err error) {
	st, ok := c.sqliteConn.(sqlite.DBStatus)
	if !ok {
		return 0, 0, errors.New("store: the sqlite driver's connection has no status counters")
	}
	return st.Status(op, reset)
}

// Close finalizes the kept statements and closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).stmt.Close())
	}
	c.stmts = nil
	c.lru.Init()
	errs = append(errs, c.sqliteConn.Close())
	return errors.Join(errs...)
}

// sqliteRows is what modernc.org/sqlite's rows implement and releasingRows passes on.
type sqliteRows interface {
	driver.Rows
	ColumnTypeDatabaseTypeName(index int) string
	ColumnTypeLength(index int) (length int64, ok bool)
	ColumnTypeNullable(index int) (nullable, ok bool)
	ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool)
	ColumnTypeScanType(index int) reflect.Type
}

// releasingRows gives its statement back to the connection's cache when closed.
type releasingRows struct {
	sqliteRows
	release func()
}

func (r *releasingRows) Close() error {
	err := r.sqliteRows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}
