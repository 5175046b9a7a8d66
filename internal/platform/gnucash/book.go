package gnucash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/booksync/booksync/internal/money"
	"github.com/booksync/booksync/internal/platform"
)

// Book is one entity's GnuCash book, open for booksync. It implements platform.Connector. A Book
// is safe for use by one goroutine at a time per method call; its methods serialise on the
// book's single database connection.
type Book struct {
	db       *sql.DB
	path     string
	name     string
	host     string
	pid      int
	guid     string // the books row
	root     string // the root account
	currency string // ISO code of the book's currency
	currGUID string // its commodities row
	fraction int64  // its smallest unit: 100 for GBP, 1 for JPY
}

// Compile-time check that *Book is a connector.
var _ platform.Connector = (*Book)(nil)

// Date conventions of GnuCash 4.13 in SQLite: "YYYY-MM-DD HH:MM:SS" in UTC. Dates without a time
// (posting, due and payment dates) are stored at 10:59:00 UTC, GnuCash's "day-neutral" time,
// which is the same calendar day in every time zone from UTC-10 to UTC+13.
const (
	timeLayout    = "2006-01-02 15:04:05"
	neutralTime   = " 10:59:00"
	dateLayout    = "2006-01-02"
	noDate        = "1970-01-01 00:00:00"
	bookExtension = ".gnucash"
)

// Open opens the book of an entity, creating it (and dir, mode 0700) when it does not exist:
// dir/<name>.gnucash, where name must be a plain file name (no path separators, no "..";
// booksync passes the entity id); any path outside dir is refused. A new book gets GnuCash 4.13's SQLite schema, the currency, and
// a starter chart of accounts and tax tables for the country (see starterChart and
// starterTaxTables): GB VAT 20%, 5%, 0%; DE USt 19%, 7%, 0%; FR TVA 20%, 10%, 5.5%, 0%; US one 0%
// "No tax"; other countries one 0% table. An existing book keeps its own currency and chart:
// country and currency are used only to create it.
//
// Open takes the book's lock (a gnclock row with this host and process id) and Close releases
// it. A book that GnuCash holds open gives a Transient *platform.Error with code book_locked.
func Open(dir, name, country, currency string) (*Book, error) {
	path, err := bookPath(dir, name)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// The folder holds every entity's books: readable by booksync's user alone. MkdirAll
		// leaves an existing folder's mode as its owner set it.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, folderError(dir, err)
		}
		if err := create(dir, path, name, country, currency); err != nil {
			return nil, err
		}
	} else if err != nil {
		// Stat fails on a path below dir only when dir cannot be used: the book itself may be
		// missing or present, but the folder is not one (ENOTDIR) or may not be searched.
		return nil, folderError(dir, err)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, transient("book_unreadable", "GnuCash book cannot be opened", err)
	}
	b := &Book{db: db, path: path, name: name, pid: os.Getpid()}
	if b.host, err = os.Hostname(); err != nil {
		b.host = "localhost"
	}
	if err := b.load(); err != nil {
		db.Close()
		return nil, err
	}
	if err := b.lock(); err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

// bookPath returns dir/<name>.gnucash after checking that it stays inside dir, also through
// symbolic links.
func bookPath(dir, name string) (string, error) {
	bad := func(why string) error {
		return &platform.Error{Class: platform.NeedsUserAction, Code: "invalid_book_name",
			Message: fmt.Sprintf("GnuCash book name %q is not allowed: %s", name, why)}
	}
	switch {
	case name == "" || name == "." || name == "..":
		return "", bad("it must be a plain file name")
	case strings.ContainsAny(name, `/\`+"\x00"):
		return "", bad("it contains a path separator")
	case strings.Contains(name, ".."):
		return "", bad(`it contains ".."`)
	case filepath.Base(name) != name || filepath.IsAbs(name):
		return "", bad("it must be a plain file name")
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", bad(err.Error())
	}
	path := filepath.Join(absDir, name+bookExtension)
	if rel, err := filepath.Rel(absDir, path); err != nil || rel != name+bookExtension {
		return "", bad("it leaves the books directory")
	}
	// A symbolic link may point elsewhere, or nowhere yet (SQLite would create its target):
	// resolve it and compare again.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", bad("it is a link to a file that does not exist")
		}
		realDir, err := filepath.EvalSymlinks(absDir)
		if err != nil || filepath.Dir(real) != realDir {
			return "", bad("it is a link to a file outside the books directory")
		}
	}
	return path, nil
}

// openDB opens a book's SQLite file with one connection: GnuCash uses the default rollback
// journal, which booksync keeps (no WAL), and each write transaction starts IMMEDIATE so that
// reading the book and writing to it happen under one lock.
func openDB(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// load reads the book's GUID and currency.
func (b *Book) load() error {
	// GnuCash has no book currency in its tables: take the receivable account's (any account's
	// when there is none).
	err := b.db.QueryRow(`SELECT b.guid, b.root_account_guid, c.guid, c.mnemonic, c.fraction FROM books b,
		accounts a JOIN commodities c ON c.guid = a.commodity_guid
		WHERE c.namespace = 'CURRENCY'
		ORDER BY a.account_type = 'RECEIVABLE' DESC, a.code LIMIT 1`).
		Scan(&b.guid, &b.root, &b.currGUID, &b.currency, &b.fraction)
	if err != nil {
		return &platform.Error{Class: platform.NeedsUserAction, Code: "book_invalid",
			Message: "GnuCash book has no currency accounts: " + b.path, Err: err,
			Details: []platform.Detail{{Message: "booksync needs a book with an Accounts Receivable account",
				Fix: "Add an Accounts Receivable account in GnuCash, or move the file away so that booksync creates a new book"}}}
	}
	return nil
}

// lock checks gnclock for another holder and adds this process's row.
func (b *Book) lock() error {
	ctx := context.Background()
	return b.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO gnclock (Hostname, PID) VALUES (?, ?)`, b.host, b.pid)
		return err
	})
}

// checkLock returns book_locked when a gnclock row belongs to another live process. A row of
// this host whose process is gone is a stale lock of an earlier booksync and is removed; a stale
// row from another host cannot be told from a running GnuCash and must be cleared there.
func (b *Book) checkLock(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT COALESCE(Hostname, ''), COALESCE(PID, 0) FROM gnclock`)
	if err != nil {
		return err
	}
	type holder struct {
		host string
		pid  int
	}
	var holders []holder
	for rows.Next() {
		var h holder
		if err := rows.Scan(&h.host, &h.pid); err != nil {
			rows.Close()
			return err
		}
		holders = append(holders, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range holders {
		if h.host == b.host && h.pid == b.pid {
			continue
		}
		if h.host == b.host && h.pid > 0 && !alive(h.pid) {
			if _, err := tx.Exec(`DELETE FROM gnclock WHERE Hostname = ? AND PID = ?`, h.host, h.pid); err != nil {
				return err
			}
			continue
		}
		host := h.host
		if host == "" {
			host = "an unknown host"
		}
		return &platform.Error{Class: platform.Transient, Code: "book_locked",
			Message: "Book is open in GnuCash on " + host + ": close it there and booksync will retry",
			Details: []platform.Detail{{Message: fmt.Sprintf("gnclock holds host %q, process %d", h.host, h.pid),
				Fix: "Close the book in GnuCash (File > Quit); if GnuCash crashed, open the book again and choose Open Anyway, then quit"}}}
	}
	return nil
}

// alive reports whether a process of this host exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// write runs fn in one IMMEDIATE transaction after checking the book's lock.
func (b *Book) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return transient("book_busy", "GnuCash book is busy", err)
	}
	defer tx.Rollback()
	if err := b.checkLock(tx); err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		// SQLite commits atomically: a failed commit wrote nothing.
		return transient("book_write_failed", "GnuCash book could not be written", err)
	}
	return nil
}

// classify keeps *platform.Error and makes any other error Transient.
func classify(err error) error {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe
	}
	return transient("book_write_failed", "GnuCash book could not be written", err)
}

// folderError explains why the books folder dir cannot be used: it is the operator's setting
// (BOOKSYNC_GNUCASH_DIR), which no retry fixes, so the error is Misconfigured and names the
// folder and the cause, e.g. that one of its parents is a file.
func folderError(dir string, err error) *platform.Error {
	abs, aerr := filepath.Abs(dir)
	if aerr != nil {
		abs = dir
	}
	why := ""
	// The nearest part of the path that exists says whether it is a file where a folder must be.
	for p := abs; ; p = filepath.Dir(p) {
		if fi, serr := os.Stat(p); serr == nil {
			if !fi.IsDir() {
				if p == abs {
					why = "it is a file, not a folder"
				} else {
					why = fmt.Sprintf("%s is a file, not a folder", p)
				}
			}
			break
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	if why == "" {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrPermission):
			why = "booksync's user may not read and write it"
		case errors.As(err, &pe):
			why = pe.Err.Error()
		default:
			why = err.Error()
		}
	}
	return &platform.Error{Class: platform.Misconfigured, Code: "books_folder_unusable",
		Message: fmt.Sprintf("GnuCash books folder %s cannot be used: %s. Set BOOKSYNC_GNUCASH_DIR to a folder booksync can write", abs, why),
		Err:     err}
}

func transient(code, msg string, err error) *platform.Error {
	return &platform.Error{Class: platform.Transient, Code: code, Message: msg, Err: err}
}

// Close releases the book's lock and closes the file.
func (b *Book) Close() error {
	_, err := b.db.Exec(`DELETE FROM gnclock WHERE Hostname = ? AND PID = ?`, b.host, b.pid)
	if cerr := b.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Path returns the book's file path.
func (b *Book) Path() string { return b.path }

// newGUID returns a GnuCash GUID: 32 lower-case hex digits.
func newGUID() string {
	u := uuid.New()
	return fmt.Sprintf("%x", u[:])
}

// neutral returns a YYYY-MM-DD date at GnuCash's day-neutral time, and the date as GnuCash's
// GDate slot text (YYYYMMDD).
func neutral(date string) (ts, gdate string, err error) {
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return "", "", err
	}
	return d.Format(dateLayout) + neutralTime, d.Format("20060102"), nil
}

func nowText() string { return time.Now().UTC().Format(timeLayout) }

// fractionOf returns a currency's smallest unit as GnuCash keeps it (the commodity's fraction).
func fractionOf(currency string) (int64, bool) {
	exp, ok := money.Exponent(currency)
	if !ok {
		return 0, false
	}
	f := int64(1)
	for range exp {
		f *= 10
	}
	return f, true
}

// minorRat returns amount minor units of the book's currency as a rational of major units.
func (b *Book) minorRat(amount int64) *big.Rat { return big.NewRat(amount, b.fraction) }

// formatMinor formats minor units of the book's currency for messages.
func (b *Book) formatMinor(amount int64) string { return money.FormatMinor(amount, b.currency) }
