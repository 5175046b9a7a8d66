package store

import (
	"database/sql"
	"fmt"

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
	// contains and icontains match a substring, case-sensitively and not.
	contains  func(col, arg string) string
	icontains func(col, arg string) string
	// riverDriver is River's driver for the database, on the given pool.
	riverDriver func(db *sql.DB) riverdriver.Driver[*sql.Tx]
	// oneProcess is true where one process owns the database (a SQLite file), so that at its
	// start nothing another process holds can be live.
	oneProcess bool
}

var sqliteDialect = dialect{
	name:      DialectSQLite,
	forUpdate: "",
	// instr rather than LIKE: LIKE is case-insensitive on SQLite and would need escaping of % and _.
	contains: func(col, arg string) string { return fmt.Sprintf("instr(%s, %s) > 0", col, arg) },
	// SQLite's lower folds ASCII letters only.
	icontains:   func(col, arg string) string { return fmt.Sprintf("instr(lower(%s), lower(%s)) > 0", col, arg) },
	riverDriver: func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riversqlite.New(db) },
	oneProcess:  true,
}

var postgresDialect = dialect{
	name:      DialectPostgres,
	forUpdate: " FOR UPDATE",
	contains:  func(col, arg string) string { return fmt.Sprintf("strpos(%s, %s) > 0", col, arg) },
	icontains: func(col, arg string) string { return fmt.Sprintf("strpos(lower(%s), lower(%s)) > 0", col, arg) },
	// database/sql rather than pgx's own pool, so that River shares the store's pool and its
	// transactions.
	riverDriver: func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(db) },
}
