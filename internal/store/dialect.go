package store

import (
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// dialect holds what differs between the databases; every other line of SQL is shared.
type dialect struct {
	name string
	// forUpdate locks the rows a transaction reads before updating them. SQLite needs no lock:
	// its transactions begin IMMEDIATE and so already exclude every other writer.
	forUpdate string
	// forShare locks the rows a transaction reads so that no other transaction changes them until
	// it ends, while others may still read and share them (SQLite needs none: see forUpdate).
	forShare string
	// contains and icontains match a substring, case-sensitively and not.
	contains  func(col, arg string) string
	icontains func(col, arg string) string
	// riverDriver is River's driver for the database, on the given pool; listen, when not nil,
	// is the pgx pool River's listener takes its LISTEN connection from (PostgreSQL).
	riverDriver func(db *sql.DB, listen *pgxpool.Pool) riverdriver.Driver[*sql.Tx]
	// writableCTEs is true where a WITH clause may insert and update (PostgreSQL), so that a write
	// and what follows it take one round trip to the server. SQLite runs in the process, where a
	// statement costs no round trip, and runs them as separate statements.
	writableCTEs bool
	// indexesPerSetColumn is true where an UPDATE rewrites the entry of every index on a column it
	// sets, whether or not the value changes (SQLite), so that an update names only the columns
	// it may change. PostgreSQL compares the values, and a row that moves gets new entries in
	// every index anyway.
	indexesPerSetColumn bool
	// byIDs prefixes the entity column of a read of a list of rows by their ids, so that it only
	// filters. SQLite keeps no statistics unless ANALYZE runs, and then guesses that an equality on
	// an index's first column matches about ten rows: for more ids than that, it reads the whole
	// entity's index instead of looking each id up, which costs as much as the entity has rows.
	// SQLite's unary + keeps a column out of the choice of index; PostgreSQL keeps statistics.
	byIDs string
	// sortOnly prefixes the sort columns of a query whose filter names a few rows through an
	// index of their own (an invoice's payments, the invoices of a counterpart), so that the sort
	// only orders them. Guessing the entity small (see byIDs), SQLite reads the entity's rows in
	// the sort's order through the sort column's index and filters them, which reads the whole
	// entity when few or none match; with the sort kept out of the choice of index, it reads the
	// matching rows through theirs and sorts them.
	sortOnly string
	// oneProcess is true where one process owns the database (a SQLite file), so that at its
	// start nothing another process holds can be live.
	oneProcess bool
	// limitInSQL writes a query's LIMIT into its SQL as a number instead of binding it. SQLite (3.54,
	// as modernc.org/sqlite builds it) reads a bound LIMIT while it plans, and then prepares the
	// statement again each time the parameter is bound: a cached statement would be parsed and
	// planned anew on every run. A limit is a number booksync chooses or bounds, so it is safe in
	// the SQL; each distinct limit makes a statement of its own.
	limitInSQL bool
	// draftReadSQL is ReceivableWithCounterpart's query. On PostgreSQL it reads whether the entity
	// has no active connection, which an issue may rely on where its statement is guarded against
	// a connection created since (writableCTEs: see FinishIssueTx); SQLite reads the connection in
	// the transaction, which excludes every other writer, and reads 0 here.
	draftReadSQL string
}

// limitSQL is the LIMIT clause of n rows: the number itself where limitInSQL is set, else the
// placeholder arg returns for it.
func (d dialect) limitSQL(n int, arg func(any) string) string {
	if d.limitInSQL {
		return "LIMIT " + strconv.Itoa(n)
	}
	return "LIMIT " + arg(n)
}

var sqliteDialect = dialect{
	name:      DialectSQLite,
	forUpdate: "",
	forShare:  "",
	// instr rather than LIKE: LIKE is case-insensitive on SQLite and would need escaping of % and _.
	contains: func(col, arg string) string { return fmt.Sprintf("instr(%s, %s) > 0", col, arg) },
	// SQLite's lower folds ASCII letters only.
	icontains:           func(col, arg string) string { return fmt.Sprintf("instr(lower(%s), lower(%s)) > 0", col, arg) },
	riverDriver:         func(db *sql.DB, _ *pgxpool.Pool) riverdriver.Driver[*sql.Tx] { return riversqlite.New(db) },
	indexesPerSetColumn: true,
	byIDs:               "+",
	sortOnly:            "+",
	oneProcess:          true,
	limitInSQL:          true,
	draftReadSQL:        draftReadSQL("0"),
}

var postgresDialect = dialect{
	name:         DialectPostgres,
	forUpdate:    " FOR UPDATE",
	forShare:     " FOR SHARE",
	writableCTEs: true,
	contains:     func(col, arg string) string { return fmt.Sprintf("strpos(%s, %s) > 0", col, arg) },
	icontains:    func(col, arg string) string { return fmt.Sprintf("strpos(lower(%s), lower(%s)) > 0", col, arg) },
	draftReadSQL: draftReadSQL(`CASE WHEN EXISTS (SELECT 1 FROM accounting_connections k
	WHERE k.entity_id = receivables.entity_id AND k.active = 1) THEN 0 ELSE 1 END`),
	// River runs its queries on the store's database/sql pool, so that a job is inserted in the
	// transaction of the change it carries and commits with it or not at all. Its listener runs
	// on a connection of pgx's own pool (riverpgxv5's), so that a job inserted by any process
	// reaches an idle worker through LISTEN/NOTIFY at its commit instead of at the next poll.
	riverDriver: func(db *sql.DB, listen *pgxpool.Pool) riverdriver.Driver[*sql.Tx] {
		if listen == nil {
			return riverdatabasesql.New(db)
		}
		return riverdatabasesql.NewWithPgxListener(db, listen)
	},
}
