package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

const receivableColumns = "id, entity_id, created_at, updated_at, version, data, lines"

// receivableDataVersion names the shape of the JSON that encodeReceivable writes for the API: the
// data column (booksync.Receivable's JSON fields, their order, tags and types, with the line items
// null) and the api_lines column (the line items as the API encodes them). Every write stores it
// in the row's data_version, and GET /receivables serves a row's data and api_lines as they are
// only when its data_version is this one; a row written by an older booksync (data_version 0, or
// an older shape) is decoded and encoded again, so it goes out in today's shape. Any change to
// Receivable's JSON needs a new version (TestReceivableDataShape fails until it has one), and a
// migration that changes the lines column must set data_version to 0.
const receivableDataVersion = 1

func scanReceivable(sc scanner, extra ...any) (booksync.Receivable, error) {
	var id, entityID string
	var data, lines []byte
	var created, updated, version int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &version, &data, &lines)...); err != nil {
		return booksync.Receivable{}, err
	}
	return decodeReceivable(id, entityID, created, updated, version, data, lines)
}

// decodeReceivable reads an invoice from its row: the columns hold its ids, times and version,
// data the rest of it, and lines its line items.
func decodeReceivable(id, entityID string, created, updated, version int64, data, lines []byte) (booksync.Receivable, error) {
	var r booksync.Receivable
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("decode receivable %s: %w", id, err)
	}
	items, err := booksync.UnmarshalStoredLines(lines)
	if err != nil {
		return r, fmt.Errorf("decode lines of receivable %s: %w", id, err)
	}
	r.ID, r.EntityID, r.LineItems = id, entityID, items
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	r.Version = version
	return r, nil
}

// receivableLookups are the filters of the invoices' list that name a few of them, each with
// an index of (entity_id, column). A counterpart is not among them: one customer may hold most of
// an entity's invoices, and reading the entity's in the sort's order finds a page of theirs soon,
// where looking them up would read and sort every one of them for each page.
var receivableLookups = []string{"document_id", "based_on"}

var receivableList = listTable[booksync.Receivable]{
	spec: booksync.ReceivableList, table: "receivables", scope: "entity_id", lookups: receivableLookups,
	columns: receivableColumns, scan: scanReceivable,
}

// receivableJSONList reads the same rows as receivableList, as the API's JSON of each invoice. A
// row of the current data version is served from data and api_lines, so its lines column is not
// read.
var receivableJSONList = listTable[json.RawMessage]{
	spec: booksync.ReceivableList, table: "receivables", scope: "entity_id", lookups: receivableLookups,
	columns: "id, entity_id, created_at, updated_at, version, data, data_version, api_lines, " +
		"CASE WHEN data_version = " + strconv.Itoa(receivableDataVersion) + " THEN '' ELSE lines END",
	scan: scanReceivableJSON,
}

// linesNull is how the data column holds the line items: the lines have their own columns.
const linesNull = `"line_items":null`

// scanReceivableJSON reads one invoice as the JSON that encoding its booksync.Receivable gives.
//
// A row of the current data version is not decoded: its data already is that JSON (the id, both
// times and every amount go into it as they go to their columns, and nothing of it is computed at
// read time), except for the line items, which it holds as null and api_lines holds as the API
// encodes them. The first `"line_items":null` in data is the invoice's own field: Receivable's
// fields before it hold no maps, and a string value cannot contain that text with its quotes
// unescaped.
//
// A row of another version is decoded and encoded again, as GET /receivables/{id} does.
func scanReceivableJSON(sc scanner, extra ...any) (json.RawMessage, error) {
	// Strings, not byte slices: the drivers give text columns as strings, which Scan copies
	// into a []byte but hands to a *string as they are, so each column is copied once, into out.
	var id, entityID, data, apiLines, lines string
	var created, updated, version, dataVersion int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &version, &data, &dataVersion, &apiLines, &lines)...); err != nil {
		return nil, err
	}
	if dataVersion != receivableDataVersion {
		r, err := decodeReceivable(id, entityID, created, updated, version, []byte(data), []byte(lines))
		if err != nil {
			return nil, err
		}
		out, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode receivable %s: %w", id, err)
		}
		return out, nil
	}
	return receivableJSON(id, data, apiLines)
}

// receivableJSON is the API's JSON of an invoice from its data and api_lines columns as
// encodeReceivable encodes them (see scanReceivableJSON): what encoding its booksync.Receivable
// gives, but for line items that are nil, which it gives as [] (as GET /receivables/{id} serves
// them).
func receivableJSON(id, data, apiLines string) ([]byte, error) {
	at := strings.Index(data, linesNull)
	if at < 0 {
		return nil, fmt.Errorf("receivable %s: no line_items in its data", id)
	}
	out := make([]byte, 0, len(data)+len(apiLines))
	out = append(out, data[:at]...)
	out = append(out, `"line_items":`...)
	out = append(out, apiLines...)
	out = append(out, data[at+len(linesNull):]...)
	return out, nil
}

// json returns the API's JSON of the invoice id that the row holds (receivableJSON), for the
// events written with it.
func (row receivableRow) json(id string) (json.RawMessage, error) {
	b, err := receivableJSON(id, row.data, row.apiLines)
	if err != nil {
		return nil, fmt.Errorf("store: encode the event of receivable %s: %w", id, err)
	}
	return b, nil
}

// receivableRow holds the columns of a receivable besides its ids and version.
type receivableRow struct {
	basedOn    string
	documentID string
	issueDate  int64
	data       string
	lines      string
	apiLines   string // the lines as the API encodes them
	// dataVersion is receivableDataVersion when data and apiLines are what decoding and encoding
	// them again gives, so the list may serve them as they are; 0 when they are not.
	dataVersion int
}

// encodeReceivable normalises r's times and encodes it for storage. The lines go to their own
// column through MarshalStoredLines, because LineItem's JSON omits fields the store must keep, and
// to api_lines as the API encodes them.
func encodeReceivable(r *booksync.Receivable) (receivableRow, error) {
	var row receivableRow
	stamp(&r.CreatedAt, &r.UpdatedAt)
	normPtr(r.IssueDate)
	normPtr(r.PaidAt)
	lines, err := booksync.MarshalStoredLines(r.LineItems)
	if err != nil {
		return row, err
	}
	withoutLines := *r
	withoutLines.LineItems = nil
	data, err := json.Marshal(withoutLines)
	if err != nil {
		return row, err
	}
	if r.DocumentID != nil {
		row.documentID = *r.DocumentID
	}
	if r.BasedOn != nil {
		row.basedOn = *r.BasedOn
	}
	row.issueDate = microsOrZero(r.IssueDate)
	served := r.LineItems
	if served == nil {
		served = []booksync.LineItem{} // as the lines column gives them back
	}
	apiLines, err := json.Marshal(served)
	if err != nil {
		return row, err
	}
	row.data, row.lines, row.apiLines = string(data), string(lines), string(apiLines)
	if reencodesAsStored(data, r.PartnerMetadata) && !bytes.Contains(apiLines, replacementEscape) {
		row.dataVersion = receivableDataVersion
	}
	return row, nil
}

// replacementEscape is how the encoder writes each byte of a string that is not valid UTF-8.
var replacementEscape = []byte(`\ufffd`)

// reencodesAsStored reports whether data, an invoice as encodeReceivable encodes it, is byte for
// byte what decoding it and encoding it again gives. Two things can make them differ: a string
// that is not valid UTF-8 (the encoder writes \ufffd for each bad byte, and the U+FFFD decoded from
// it is written as itself), and partner metadata holding values that are not what decoding JSON
// gives (a json.Number such as 1.50, an integer beyond 2^53, a struct), which decode to others.
// Strings, integers, booleans and the store's UTC microsecond times decode to what they were.
func reencodesAsStored(data []byte, metadata map[string]any) bool {
	if bytes.Contains(data, replacementEscape) {
		return false
	}
	if metadata == nil {
		return true
	}
	stored, err := json.Marshal(metadata)
	if err != nil {
		return false
	}
	var decoded map[string]any
	if err := json.Unmarshal(stored, &decoded); err != nil {
		return false
	}
	again, err := json.Marshal(decoded)
	return err == nil && bytes.Equal(stored, again)
}

// CreateReceivable stores a new invoice of r.EntityID; r.Version becomes 1. A document id the
// entity already uses gives ErrAlreadyExists.
func (s *Store) CreateReceivable(ctx context.Context, r *booksync.Receivable) error {
	r.Version = 1
	row, err := encodeReceivable(r)
	if err != nil {
		return fmt.Errorf("store: create receivable: %w", err)
	}
	object, err := row.json(r.ID)
	if err != nil {
		return err
	}
	// The event is encoded before the transaction: on SQLite the writer runs one at a time.
	ev, evData, err := prepareEvent(objectEventJSON(r.EntityID, booksync.EventObjectReceivable, booksync.EventCreated, r.ID, object, r.CreatedAt), object)
	if err != nil {
		return err
	}
	args := []any{r.ID, r.EntityID, r.Type, r.Status, r.CounterpartID, r.CounterpartName, row.documentID, r.Currency,
		r.TotalAmount, r.DiscountedSubtotal, row.issueDate, micros(r.CreatedAt), micros(r.UpdatedAt), row.data, row.lines,
		row.basedOn, row.dataVersion, row.apiLines}
	if s.d.writableCTEs {
		if done, err := s.createReceivableAlone(ctx, args, ev, evData); err != nil || done {
			return err
		}
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		err := s.execWithEvent(ctx, tx, `INSERT INTO receivables
		(id, entity_id, type, status, counterpart_id, counterpart_name, document_id, currency, total_amount,
		 discounted_subtotal, issue_date, created_at, updated_at, version, data, lines, based_on, data_version, api_lines)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17, $18)`, args, ev, evData)
		if err != nil {
			return fmt.Errorf("store: create receivable: %w", mapErr(err))
		}
		return nil
	})
}

// createReceivableAlone stores a new invoice (args as CreateReceivable passes them) and its event ev
// (prepared by prepareEvent: data is its row's JSON) in one statement of its own, with no transaction around it, where the database runs writes in a
// WITH clause (PostgreSQL): one round trip instead of three, and the statement is as atomic as a
// transaction. It does so only when no webhook subscription of the entity's partner may want the
// event, since the deliveries of one would need further statements in the same transaction; then
// it writes nothing and reports false, and the caller writes the invoice in a transaction.
func (s *Store) createReceivableAlone(ctx context.Context, args []any, ev booksync.Event, data string) (bool, error) {
	n := len(args)
	args = append(args[:n:n], eventArgs(ev, data)...)
	sub := "$" + strconv.Itoa(n+2) // the event's entity, then its object type and the enabled status
	var written bool
	err := s.writer.QueryRowContext(ctx, `WITH subs AS (SELECT 1 FROM webhook_subscriptions s JOIN entities e ON e.partner_id = s.partner_id
		WHERE e.id = `+sub+` AND s.object_type = $`+strconv.Itoa(len(args)+1)+` AND s.status = $`+strconv.Itoa(len(args)+2)+` LIMIT 1),
	w AS (INSERT INTO receivables
		(id, entity_id, type, status, counterpart_id, counterpart_name, document_id, currency, total_amount,
		 discounted_subtotal, issue_date, created_at, updated_at, version, data, lines, based_on, data_version, api_lines)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17, $18
		WHERE NOT EXISTS (SELECT 1 FROM subs) RETURNING id),
	ev AS (`+insertEventSQL(n, "AND EXISTS (SELECT 1 FROM w)")+`)
	SELECT EXISTS (SELECT 1 FROM ev)`, append(args, ev.ObjectType, booksync.SubscriptionEnabled)...).Scan(&written)
	if err != nil {
		return false, fmt.Errorf("store: create receivable: %w", mapErr(err))
	}
	return written, nil
}

// Receivable returns an invoice of the entity, or a NotFoundError.
func (s *Store) Receivable(ctx context.Context, entityID, id string) (*booksync.Receivable, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+receivableColumns+" FROM receivables WHERE entity_id = $1 AND id = $2",
		entityID, id)
	r, err := scanReceivable(row)
	if err != nil {
		return nil, wrapRead("receivable", mapNotFound(err, "receivable"))
	}
	return &r, nil
}

// DraftRead is what issuing a draft reads first, in one query (ReceivableWithCounterpart).
type DraftRead struct {
	// Receivable is the draft as read.
	Receivable *booksync.Receivable
	// CounterpartLive says that the counterpart the draft names is one of the entity's that is not
	// deleted.
	CounterpartLive bool
	// NoConnection says that the entity had no active connection when the draft was read. Only
	// PostgreSQL reads it (on SQLite it is false), where the issue's statement takes the number
	// only if, as it runs, the entity has no active connection and had none created while it
	// waited for the entity's counter (FinishIssueTx's noConnection, noConnectionSinceSQL): an
	// issue can then rely on it instead of reading the connection again in its transaction.
	NoConnection bool
}

// ReceivableWithCounterpart returns an invoice of the entity, or a NotFoundError, whether the
// counterpart it names is one of the entity's that is not deleted and, on PostgreSQL, whether the
// entity has no active connection, in one query: what issuing a draft checks first.
func (s *Store) ReceivableWithCounterpart(ctx context.Context, entityID, id string) (DraftRead, error) {
	var live, none int64
	row := s.reader.QueryRowContext(ctx, s.d.draftReadSQL, entityID, id)
	r, err := scanReceivable(row, &live, &none)
	if err != nil {
		return DraftRead{}, wrapRead("receivable", mapNotFound(err, "receivable"))
	}
	return DraftRead{Receivable: &r, CounterpartLive: live == 1, NoConnection: none == 1}, nil
}

// draftReadSQL is ReceivableWithCounterpart's query; noConnection is its second column: whether the
// entity has no active connection, or 0 where the issue cannot rely on it.
func draftReadSQL(noConnection string) string {
	return `SELECT CASE WHEN EXISTS (SELECT 1 FROM counterparts c
	WHERE c.entity_id = receivables.entity_id AND c.id = receivables.counterpart_id AND c.deleted_at IS NULL) THEN 1 ELSE 0 END, ` +
		noConnection + `, ` + receivableColumns + ` FROM receivables WHERE entity_id = $1 AND id = $2`
}

// ReceivablesByID returns the invoices of the entity with the given ids, by id, in one query; an id
// that names no invoice of the entity is absent from the map. A push reads its batch with it.
func (s *Store) ReceivablesByID(ctx context.Context, entityID string, ids []string) (map[string]*booksync.Receivable, error) {
	out := make(map[string]*booksync.Receivable, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, entityID)
	for _, id := range ids {
		args = append(args, id)
	}
	rs, err := queryAll(ctx, s.reader, scanReceivable, receivablesByIDSQL(s.d, len(ids)), args...)
	if err != nil {
		return nil, wrapRead("receivables", err)
	}
	for i := range rs {
		out[rs[i].ID] = &rs[i]
	}
	return out, nil
}

// receivablesByIDSQL reads the invoices of the entity $1 among n ids, $2 on: each id is looked up
// (see dialect.byIDs).
func receivablesByIDSQL(d dialect, n int) string {
	return "SELECT " + receivableColumns + " FROM receivables WHERE " + d.byIDs + "entity_id = $1 AND id IN (" +
		placeholderList(2, n) + ")"
}

// ReceivableTx reads an invoice of the entity inside a write transaction, locking its row on
// PostgreSQL, or returns a *NotFoundError.
func (s *Store) ReceivableTx(ctx context.Context, tx *sql.Tx, entityID, id string) (*booksync.Receivable, error) {
	row := tx.QueryRowContext(ctx, "SELECT "+receivableColumns+
		" FROM receivables WHERE entity_id = $1 AND id = $2"+s.d.forUpdate, entityID, id)
	r, err := scanReceivable(row)
	if err != nil {
		return nil, wrapRead("receivable", mapNotFound(err, "receivable"))
	}
	return &r, nil
}

// UpdateReceivableTx is UpdateReceivable inside a transaction: it replaces an invoice's row if its
// version is still r.Version, and then bumps r.Version. No row: a NotFoundError when the invoice is
// gone, ErrVersionConflict when another write got there first. Its creation time stays as stored;
// when r's differs, the row's data (which holds r's) is marked to be decoded when listed, so the
// list serves the stored one as GET /receivables/{id} does.
func (s *Store) UpdateReceivableTx(ctx context.Context, tx *sql.Tx, r *booksync.Receivable) error {
	_, err := s.updateReceivableTx(ctx, tx, r)
	return err
}

// updateReceivableTx is UpdateReceivableTx, and returns r's row as written.
func (s *Store) updateReceivableTx(ctx context.Context, tx *sql.Tx, r *booksync.Receivable) (receivableRow, error) {
	row, err := encodeReceivable(r)
	if err != nil {
		return row, fmt.Errorf("store: update receivable: %w", err)
	}
	if err := execReceivableUpdate(ctx, tx, r, updateReceivableArgs(r, row), s.d.indexesPerSetColumn); err != nil {
		return row, err
	}
	r.Version++
	return row, nil
}

// execReceivableUpdate runs updateReceivableSQL with args (updateReceivableArgs of r), first as
// updateReceivableKeepingSQL when keeping (SQLite: see indexesPerSetColumn). It does not bump
// r.Version.
func execReceivableUpdate(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, args []any, keeping bool) error {
	n := int64(0)
	var err error
	if keeping {
		if n, err = execCount(ctx, tx, updateReceivableKeepingSQL, args); err != nil {
			return fmt.Errorf("store: update receivable: %w", err)
		}
	}
	if n == 0 {
		if n, err = execCount(ctx, tx, updateReceivableSQL, args); err != nil {
			return fmt.Errorf("store: update receivable: %w", err)
		}
	}
	if n == 0 {
		return whyNotUpdated(ctx, tx, r)
	}
	return nil
}

// execCount runs a write inside tx and returns how many rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, query string, args []any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

// updateReceivableSQL replaces an invoice's row if its version is still the one read
// (updateReceivableArgs). Its creation time stays as stored; when r's differs, the row's data (which
// holds r's) is marked to be decoded when listed, so the list serves the stored one as GET
// /receivables/{id} does.
const updateReceivableSQL = `UPDATE receivables
	SET type = $1, status = $2, counterpart_id = $3, counterpart_name = $4, document_id = $5, currency = $6,
	    total_amount = $7, discounted_subtotal = $8, issue_date = $9, updated_at = $10, data = $11, lines = $12,
	    version = version + 1, data_version = CASE WHEN created_at = $16 THEN $17 ELSE 0 END,
	    api_lines = $18
	WHERE id = $13 AND entity_id = $14 AND version = $15`

// updateReceivableKeepingSQL is updateReceivableSQL for a change that keeps the invoice's
// counterpart and amounts, such as an issue, a payment or a cancel: it sets the other columns, and
// changes no row when the stored counterpart or amounts differ from r's (the caller then runs
// updateReceivableSQL). SQLite rewrites the entry of every index on a column that an UPDATE sets,
// whether or not its value changes; leaving these columns out spares four indexes (the lists' sorts
// by counterpart and by amount) a delete and an insert each.
const updateReceivableKeepingSQL = `UPDATE receivables
	SET type = $1, status = $2, document_id = $5, currency = $6, issue_date = $9, updated_at = $10, data = $11,
	    lines = $12, version = version + 1, data_version = CASE WHEN created_at = $16 THEN $17 ELSE 0 END,
	    api_lines = $18
	WHERE id = $13 AND entity_id = $14 AND version = $15
	  AND counterpart_id = $3 AND counterpart_name = $4 AND total_amount = $7 AND discounted_subtotal = $8`

// updateReceivableArgs are the arguments of updateReceivableSQL that write r, encoded as row.
func updateReceivableArgs(r *booksync.Receivable, row receivableRow) []any {
	return []any{r.Type, r.Status, r.CounterpartID, r.CounterpartName, row.documentID, r.Currency,
		r.TotalAmount, r.DiscountedSubtotal, row.issueDate, micros(r.UpdatedAt), row.data, row.lines,
		r.ID, r.EntityID, r.Version, micros(r.CreatedAt), row.dataVersion, row.apiLines}
}

// The places in updateReceivableArgs of the document id ($5) and the data ($11).
const (
	argDocumentID = 4
	argData       = 10
)

// whyNotUpdated returns why an update of r changed no row: a NotFoundError when the invoice is
// gone, else ErrVersionConflict.
func whyNotUpdated(ctx context.Context, tx *sql.Tx, r *booksync.Receivable) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM receivables WHERE id = $1 AND entity_id = $2", r.ID, r.EntityID).Scan(&one)
	if err != nil {
		return wrapRead("receivable", mapNotFound(err, "receivable"))
	}
	return ErrVersionConflict
}

// UpdateReceivable replaces an invoice if its stored Version still equals r.Version, and bumps
// r.Version; otherwise it returns ErrVersionConflict, so a concurrent change is never lost. An
// unknown or foreign invoice gives a NotFoundError.
func (s *Store) UpdateReceivable(ctx context.Context, r *booksync.Receivable) error {
	version := r.Version
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		r.Version = version // as read, should the transaction run again (see InTx)
		return s.UpdateReceivableTx(ctx, tx, r)
	})
	if err != nil {
		r.Version = version
	}
	return err
}

// IssueReceivableTx moves a draft invoice or credit note to issued inside tx: it assigns the
// entity's next document id unless the receivable has one (INV-00001, INV-00002, ... for
// invoices; CN-00001, ... for credit notes, with the prefix of the entity's settings), sets the
// issue date and update time to at, and bumps the version. A receivable that is not a draft gives
// a StatusError. It is StartIssueTx followed by FinishIssueTx without an event.
func (s *Store) IssueReceivableTx(ctx context.Context, tx *sql.Tx, entityID, id string, at time.Time) (*booksync.Receivable, error) {
	r, err := s.StartIssueTx(ctx, tx, entityID, id, at)
	if err != nil {
		return nil, err
	}
	if err := s.FinishIssueTx(ctx, tx, r, nil, false); err != nil {
		return nil, err
	}
	return r, nil
}

// StartIssueTx begins to issue a draft invoice or credit note of the entity inside tx: it reads
// and locks the receivable and sets, in memory, its status (issued), issue date and update time
// (at). FinishIssueTx then numbers and writes it, as the last step of tx. A receivable that is not
// a draft gives a StatusError.
func (s *Store) StartIssueTx(ctx context.Context, tx *sql.Tx, entityID, id string, at time.Time) (*booksync.Receivable, error) {
	r, err := s.ReceivableTx(ctx, tx, entityID, id)
	if err != nil {
		return nil, err
	}
	return StartIssueOf(r, at)
}

// StartIssueOf is StartIssueTx for a receivable the caller read before its transaction, such as
// one it checked before issuing it: it returns a copy of read set, in memory, to issued at at, and
// reads nothing. FinishIssueTx then writes it only if the stored receivable is still at read's
// Version, and otherwise returns ErrVersionConflict (a NotFoundError if it was deleted): what is
// issued is what the caller read. A receivable that is not a draft gives a StatusError.
func StartIssueOf(read *booksync.Receivable, at time.Time) (*booksync.Receivable, error) {
	if read.Status != booksync.StatusDraft {
		return nil, &StatusError{Object: "receivable", Action: "issue", Status: read.Status}
	}
	r := *read
	issued := norm(at)
	r.Status = booksync.StatusIssued
	r.IssueDate = &issued
	r.UpdatedAt = issued
	return &r, nil
}

// IssueEvent returns the event of an issued receivable r, as written: object is r's JSON as the
// API encodes it (receivableJSON), which the store made to write r.
type IssueEvent func(r *booksync.Receivable, object json.RawMessage) booksync.Event

// FinishIssueTx writes r, which StartIssueTx began to issue in tx, with the entity's next document
// id unless it has one, bumps r.Version and, when event is not nil, writes the event it returns
// for r as written, given r's JSON as the API encodes it (for the event's object).
//
// Numbers come from a counter in the entity's row of entity_counters (next_document_number for
// invoices, next_credit_note_number for credit notes), taken with an UPDATE that locks the row
// until tx ends, so concurrent issues of one entity's documents get distinct, gapless numbers; a
// number that a caller already gave another receivable by hand is skipped (on PostgreSQL, one given
// while the issue waited for the counter gives ErrNumberTaken instead: see issueNumbered). The
// number is taken here, after everything else the transaction needs to do but its commit, so that
// the issues of one entity wait for each other over as little work as possible: on PostgreSQL over
// one statement, which takes the number and writes the receivable and its event (see
// issueNumbered), and the commit.
//
// noConnection says that the entity was read to have no connection, so that the invoice gets no
// record: by ActiveConnectionTx in tx, or, on PostgreSQL, by the draft's read before tx
// (DraftRead.NoConnection). On PostgreSQL a connection created since then
// (CreateConnectionTx) gives ErrConnectedMeanwhile, and nothing is written: the connect's look for
// invoices issued before it may not have seen this one, which would then be neither pushed nor
// recorded, and running the issue again gives it its record. (SQLite runs one write transaction at
// a time, so no connection is created while tx runs.)
func (s *Store) FinishIssueTx(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, event IssueEvent, noConnection bool) error {
	if r.DocumentID != nil && *r.DocumentID != "" {
		if noConnection && s.d.writableCTEs {
			// The row lock a number would have taken: a connect that holds it is waited for.
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM entity_counters WHERE entity_id = $1"+noConnectionSinceSQL("$1")+" FOR NO KEY UPDATE", r.EntityID).Scan(&one)
			if err == sql.ErrNoRows {
				return ErrConnectedMeanwhile
			} else if err != nil {
				return fmt.Errorf("store: issue receivable: %w", err)
			}
		}
		return s.writeIssued(ctx, tx, r, event)
	}
	counter, prefix := invoiceCounter, invoicePrefix
	if r.IsCreditNote() {
		settings, err := settingsTx(ctx, tx, r.EntityID)
		if err != nil {
			return err
		}
		counter, prefix = "next_credit_note_number", settings.CreditNotePrefix()
	}
	if s.d.writableCTEs {
		return s.issueNumbered(ctx, tx, r, event, counter, prefix, noConnection)
	}
	enc, err := encodeNumbered(r, event, prefix)
	if err != nil {
		return err
	}
	return s.writeNumbered(ctx, tx, r, enc, counter)
}

// The counter and the prefix of an entity's invoice numbers (INV-00001, INV-00002, ...); a credit
// note's prefix is the entity's setting.
const (
	invoiceCounter = "next_document_number"
	invoicePrefix  = "INV"
)

// IssuePlan is the issue of a draft that StartIssueOf began, prepared before the issue's
// transaction by PlanIssue, for FinishPlannedIssueTx to write in it.
type IssuePlan struct {
	r     booksync.Receivable
	event IssueEvent
	// enc is r and its event encoded ahead (on SQLite, for an invoice that takes the entity's next
	// number); nil when FinishIssueTx encodes them in the transaction.
	enc *numberedEncoding
}

// PlanIssue prepares the issue of r, which StartIssueOf began, and of the event that event returns
// for it, for FinishPlannedIssueTx. On SQLite an invoice that takes the entity's next number is
// encoded here, with a mark where the number goes: the one writer runs the write transactions one
// after another, and encoding the invoice and its event in the transaction held every writer
// queued behind it. The transaction then takes the number, puts it in place of the mark and writes.
func (s *Store) PlanIssue(r *booksync.Receivable, event IssueEvent) (*IssuePlan, error) {
	p := &IssuePlan{r: *r, event: event}
	if s.d.writableCTEs || r.IsCreditNote() || (r.DocumentID != nil && *r.DocumentID != "") {
		return p, nil
	}
	enc, err := encodeNumbered(&p.r, event, invoicePrefix)
	if err != nil {
		return nil, err
	}
	p.enc = &enc
	return p, nil
}

// FinishPlannedIssueTx is FinishIssueTx of the receivable that plan issues: it returns the
// receivable as written. Each call starts from the plan, so a transaction run again (see InTx)
// writes what the first run would have.
func (s *Store) FinishPlannedIssueTx(ctx context.Context, tx *sql.Tx, plan *IssuePlan, noConnection bool) (*booksync.Receivable, error) {
	r := plan.r
	var err error
	if plan.enc == nil {
		err = s.FinishIssueTx(ctx, tx, &r, plan.event, noConnection)
	} else {
		err = s.writeNumbered(ctx, tx, &r, *plan.enc, invoiceCounter)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// writeNumbered is FinishIssueTx on SQLite for a receivable r, encoded as enc, that takes the
// entity's next number from counter: it takes the number, skipping any that a caller gave another
// receivable by hand, and writes r and its event with it.
func (s *Store) writeNumbered(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, enc numberedEncoding, counter string) error {
	args := updateReceivableArgs(r, enc.row)
	for {
		var n int64
		err := tx.QueryRowContext(ctx, `UPDATE entity_counters SET `+counter+` = `+counter+` + 1
		WHERE entity_id = $1 RETURNING `+counter+` - 1`, r.EntityID).Scan(&n)
		if err != nil {
			return wrapRead("document number", mapNotFound(err, "entity"))
		}
		digits := fmt.Sprintf("%05d", n)
		doc := enc.prefix + "-" + digits
		taken, err := documentIDTaken(ctx, tx, r.EntityID, r.ID, doc)
		if err != nil {
			return err
		}
		if taken {
			continue
		}
		args[argDocumentID], args[argData] = doc, strings.Replace(enc.row.data, enc.mark, digits, 1)
		if err := execReceivableUpdate(ctx, tx, r, args, s.d.indexesPerSetColumn); err != nil {
			return err
		}
		if enc.event {
			if err := s.addPreparedEventTx(ctx, tx, enc.ev, strings.ReplaceAll(enc.evData, enc.mark, digits)); err != nil {
				return err
			}
		}
		r.DocumentID = &doc
		r.Version++
		return nil
	}
}

// noConnectionSinceSQL is the condition, on the counters' row of the entity whose id is placeholder
// id, that the entity has had no connection created since the statement began, nor has one now, as
// the statement sees it. When the statement waits for the row, PostgreSQL checks the condition
// again on the row as the other transaction left it, with the epoch the statement read before it
// waited: a connection created meanwhile moved it on.
func noConnectionSinceSQL(id string) string {
	return ` AND connection_epoch = (SELECT k.connection_epoch FROM entity_counters k WHERE k.entity_id = ` + id + `)
	AND NOT EXISTS (SELECT 1 FROM accounting_connections c WHERE c.entity_id = ` + id + ` AND c.active = 1)`
}

// documentNumberSQL is the digits of a document number n, as FinishIssueTx's "%05d" writes them.
func documentNumberSQL(n string) string {
	return "CASE WHEN " + n + " < 100000 THEN lpad(CAST(" + n + " AS TEXT), 5, '0') ELSE CAST(" + n + " AS TEXT) END"
}

// issueNumbered is FinishIssueTx on PostgreSQL for a receivable that takes the entity's next number
// from counter, with prefix. ONE statement takes the number, which locks the entity's counters
// until tx ends, writes r with it, writes r's event and reads the subscriptions that want the
// event. The receivable and its event are encoded before, with a mark where the number's digits go,
// which the statement replaces: no round trip to booksync and no encoding happens while the row is
// locked, so an entity's issues wait for each other over that statement and the commit only.
//
// The statement's reads see the database as it was when the statement began, which may be before it
// waited for the row. Two changes committed meanwhile are therefore seen only afterwards:
//   - a number given to another receivable by hand: the unique index on document ids refuses the
//     write, and issueNumbered returns ErrNumberTaken (the transaction is lost with the number;
//     running it again skips the number);
//   - a number given up by another receivable (deleted, or renumbered by hand): the statement still
//     sees it taken and writes nothing; issueNumbered then finds it free, gives it back to the
//     counter and runs the statement again, which waits for nothing now.
//
// The subscriptions that get the event's deliveries are also those of the statement's start.
func (s *Store) issueNumbered(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, event IssueEvent, counter, prefix string, noConnection bool) error {
	guard := ""
	if noConnection {
		guard = noConnectionSinceSQL("$14")
	}
	st, err := prepareNumbered(r, event, counter, prefix, guard)
	if err != nil {
		return err
	}
	query, args, ev := st.with, st.args, st.ev
	if event == nil {
		query += ` SELECT n.digits, EXISTS (SELECT 1 FROM w), ` + strings.Repeat("'', ", 5) + `0, 0, 0, '{}' FROM n`
	} else {
		args = append(args, ev.ObjectType, booksync.SubscriptionEnabled)
		query += `
	SELECT n.digits, ev.partner_id IS NOT NULL, COALESCE(s.id, ''), COALESCE(s.partner_id, ''), COALESCE(s.object_type, ''),
	COALESCE(s.url, ''), COALESCE(s.status, ''), COALESCE(s.failing_since, 0), COALESCE(s.created_at, 0),
	COALESCE(s.updated_at, 0), COALESCE(s.data, '{}')
	FROM n LEFT JOIN ev ON true
	LEFT JOIN webhook_subscriptions s ON s.partner_id = ev.partner_id AND s.object_type = $` + strconv.Itoa(len(args)-1) +
			` AND s.status = $` + strconv.Itoa(len(args)) + `
	ORDER BY s.created_at, s.id`
	}
	for {
		digits, written, subs, err := queryIssueNumbered(ctx, tx, query, args)
		var nf *NotFoundError
		if isUniqueViolation(err) {
			return fmt.Errorf("store: issue receivable: %w", errors.Join(ErrNumberTaken, err))
		} else if noConnection && errors.As(err, &nf) {
			return ErrConnectedMeanwhile // the entity exists: it has its receivable r
		} else if err != nil {
			return fmt.Errorf("store: issue receivable: %w", err)
		}
		doc := prefix + "-" + digits
		r.DocumentID = &doc
		if written {
			r.Version++
			if event == nil {
				return nil
			}
			if err := s.queueDeliveries(ctx, tx, ev, subs); err != nil {
				r.Version--
				r.DocumentID = nil
				return err
			}
			return nil
		}
		taken, err := documentIDTaken(ctx, tx, r.EntityID, r.ID, *r.DocumentID)
		if err == nil && !taken {
			var version int64
			err = tx.QueryRowContext(ctx, "SELECT version FROM receivables WHERE id = $1 AND entity_id = $2", r.ID, r.EntityID).Scan(&version)
			switch {
			case err != nil:
				err = wrapRead("receivable", mapNotFound(err, "receivable"))
			case version != r.Version:
				err = ErrVersionConflict
			default:
				// The number was given up while the statement waited for the counter, which tx
				// holds now: it goes back to the counter, and the next statement takes it.
				_, err = tx.ExecContext(ctx, `UPDATE entity_counters SET `+counter+` = `+counter+` - 1 WHERE entity_id = $1`, r.EntityID)
			}
		}
		if err != nil {
			r.DocumentID = nil
			return err
		}
		// Taken by hand: the next statement takes the next number; given back: the same one.
	}
}

// IssueAlone writes r, which StartIssueOf began to issue, with the entity's next invoice number
// and the event that event returns for it, in ONE statement committed on its own, where that is
// all the issue needs to write: on PostgreSQL, for an invoice (not a credit note) that takes its
// number from the counter, of an entity that has no connection, whose partner has no enabled
// webhook subscription to receivables (whichever events it filters: its deliveries would need
// further statements). The entity's counter is then locked for that statement
// only, not until a commit that waits for a round trip to booksync and back: the issues of one
// entity wait that much less for each other, and the issue takes one round trip instead of three.
//
// It reports false, having written nothing, when the issue needs more than that statement: any of
// the above is not so, r changed since it was read (a version other than r.Version), or its number
// is taken (given by hand). The caller then issues r in a transaction (FinishIssueTx), which finds
// out why and does what that needs. The counter must move on with the invoice or not at all, or a
// number would be missing from the entity's sequence: where the statement took a number but cannot
// write r and its event with it, it fails on purpose (booksync_refuse_issue, migration 0014), and
// writes nothing.
func (s *Store) IssueAlone(ctx context.Context, r *booksync.Receivable, event IssueEvent) (bool, error) {
	if !s.d.writableCTEs || r.IsCreditNote() || (r.DocumentID != nil && *r.DocumentID != "") || event == nil {
		return false, nil
	}
	st, err := prepareNumbered(r, event, invoiceCounter, invoicePrefix, aloneGuardSQL())
	if err != nil {
		return false, err
	}
	var digits string
	err = s.writer.QueryRowContext(ctx, st.with+`
	SELECT CASE WHEN EXISTS (SELECT 1 FROM ev) THEN n.digits ELSE CAST(booksync_refuse_issue() AS TEXT) END FROM n`,
		st.args...).Scan(&digits)
	switch {
	case errors.Is(err, sql.ErrNoRows), isIssueRefused(err), isUniqueViolation(err):
		// Nothing was written: the counter's row did not meet the guard, the invoice changed
		// while the statement waited, or its number was given by hand meanwhile.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: issue receivable: %w", err)
	}
	doc := invoicePrefix + "-" + digits
	r.DocumentID = &doc
	r.Version++
	return true, nil
}

// aloneGuardSQL is IssueAlone's guard on the counters' row of the entity $14, as the statement's
// start saw the database: no connection since, and no subscription that may want the event. That
// the receivable is still at its version and its number free, w checks (numberedWriteSQL).
func aloneGuardSQL() string {
	return noConnectionSinceSQL("$14") + `
	AND NOT EXISTS (SELECT 1 FROM webhook_subscriptions s JOIN entities e ON e.partner_id = s.partner_id
		WHERE e.id = $14 AND s.object_type = '` + booksync.EventObjectReceivable + `' AND s.status = '` + booksync.SubscriptionEnabled + `')`
}

// numberedStatement is the WITH clause of a statement that issues a receivable with the entity's
// next number (issueNumbered, IssueAlone), and its arguments.
type numberedStatement struct {
	// with takes the number (CTE n, digits), writes the receivable with it (w, its id) and, with
	// an event, the event (ev, its partner_id).
	with string
	args []any
	// ev is the event as written.
	ev booksync.Event
}

// numberedEncoding is a receivable that is to take the entity's next number, and its event,
// encoded before the number is known (encodeNumbered): the document id in row and evData is the
// prefix, a dash and mark, an unguessable mark where the number's digits go. The mark needs no
// escaping, and is found only where the number goes (the event may show the number twice: in its
// object and in its description).
type numberedEncoding struct {
	prefix string
	mark   string
	row    receivableRow
	// event says that there is an event: ev, as prepareEvent prepared it, and evData its row's JSON.
	event  bool
	ev     booksync.Event
	evData string
}

// encodeNumbered encodes r, which is to take the entity's next number with prefix, and the event
// that event returns for it (none if nil). r's document id is as it was afterwards.
func encodeNumbered(r *booksync.Receivable, event IssueEvent, prefix string) (numberedEncoding, error) {
	enc := numberedEncoding{prefix: prefix}
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return enc, fmt.Errorf("store: issue receivable: %w", err)
	}
	enc.mark = "number-" + hex.EncodeToString(token[:])
	marked := prefix + "-" + enc.mark
	defer func(was *string) { r.DocumentID = was }(r.DocumentID)
	r.DocumentID = &marked
	var err error
	if enc.row, err = encodeReceivable(r); err != nil {
		return enc, fmt.Errorf("store: issue receivable: %w", err)
	}
	if strings.Count(enc.row.data, enc.mark) != 1 {
		return enc, fmt.Errorf("store: issue receivable %s: it holds its number's mark %d times", r.ID, strings.Count(enc.row.data, enc.mark))
	}
	if event == nil {
		return enc, nil
	}
	object, err := enc.row.json(r.ID)
	if err != nil {
		return enc, err
	}
	r.Version++ // the event shows the receivable as written
	ev := event(r, object)
	r.Version--
	enc.event = true
	enc.ev, enc.evData, err = prepareEvent(ev, object)
	return enc, err
}

// prepareNumbered encodes r, which is to take the entity's next number from counter with prefix,
// and the event that event returns for it (none if nil), for a statement that writes both: its
// WITH clause, with guard further conditions of n (on the counters' row of the entity $14), and
// its arguments. The statement puts the number's digits in place of encodeNumbered's mark.
func prepareNumbered(r *booksync.Receivable, event IssueEvent, counter, prefix, guard string) (*numberedStatement, error) {
	enc, err := encodeNumbered(r, event, prefix)
	if err != nil {
		return nil, err
	}
	st := &numberedStatement{ev: enc.ev}
	args := updateReceivableArgs(r, enc.row)
	args[argDocumentID] = prefix + "-" // to which the statement appends the digits
	n := len(args)
	args = append(args, enc.mark)
	p := func(i int) string { return "$" + strconv.Itoa(n+i) }
	st.with = numberedWriteSQL(counter, guard, p(1))
	if enc.event {
		// The event's entity and partner come from the entity's row.
		args = append(args, eventArgs(enc.ev, enc.evData)...)
		st.with += `, ev AS (INSERT INTO events (id, entity_id, partner_id, object_type, object_id, action, created_at, updated_at, data)
		SELECT ` + p(2) + `, e.id, e.partner_id, ` + p(4) + `, ` + p(5) + `, ` + p(6) + `, CAST(` + p(7) + ` AS BIGINT), CAST(` + p(7) +
			` AS BIGINT), replace(` + p(8) + `, ` + p(1) + `, n.digits)
		FROM entities e, n WHERE e.id = ` + p(3) + ` AND EXISTS (SELECT 1 FROM w) RETURNING partner_id)`
	}
	st.args = args
	return st, nil
}

// numberedWriteSQL is the start of a numbered issue's statement: CTE n takes the number from
// counter, guarded by guard (further conditions on the counters' row of the entity $14), and CTE w
// writes the receivable with it, its arguments updateReceivableArgs's ($5 the document id's prefix)
// and mark the placeholder of the number's mark in its data. w writes nothing if the number is
// taken (by hand): it looks the number up in a subquery that cannot become a join (OFFSET 0), so
// that the number is an index condition there, whatever the statistics say of the entity. As a
// join, with statistics that called the entity small, PostgreSQL read every issued receivable of
// the entity for each issue, with the counter locked.
func numberedWriteSQL(counter, guard, mark string) string {
	return `WITH n AS (UPDATE entity_counters SET ` + counter + ` = ` + counter + ` + 1 WHERE entity_id = $14` + guard + `
		RETURNING ` + documentNumberSQL(counter+" - 1") + ` AS digits),
	w AS (UPDATE receivables
		SET type = $1, status = $2, counterpart_id = $3, counterpart_name = $4, document_id = $5 || n.digits,
		    currency = $6, total_amount = $7, discounted_subtotal = $8, issue_date = $9, updated_at = $10,
		    data = replace($11, ` + mark + `, n.digits), lines = $12, version = version + 1,
		    data_version = CASE WHEN created_at = $16 THEN $17 ELSE 0 END, api_lines = $18
		FROM n
		WHERE receivables.id = $13 AND receivables.entity_id = $14 AND receivables.version = $15
		  AND NOT EXISTS (SELECT 1 FROM receivables t WHERE t.entity_id = $14 AND t.document_id = $5 || n.digits
		    AND t.document_id <> '' OFFSET 0)
		RETURNING receivables.id)`
}

// queryIssueNumbered runs issueNumbered's statement: it returns the digits of the number taken,
// whether the receivable was written, and the subscriptions that want its event.
func queryIssueNumbered(ctx context.Context, tx *sql.Tx, query string, args []any) (digits string, written bool, subs []booksync.WebhookSubscription, err error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return "", false, nil, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		found = true
		sub, err := scanSubscription(rows, &digits, &written)
		if err != nil {
			return "", false, nil, err
		}
		if sub.ID != "" {
			subs = append(subs, sub)
		}
	}
	if err := rows.Err(); err != nil {
		return "", false, nil, err
	}
	if !found {
		return "", false, nil, notFound("entity")
	}
	return digits, written, subs, nil
}

// writeIssued writes the issued receivable r, which has its document id, and the event that event
// returns for it (if event is not nil), and bumps r.Version.
func (s *Store) writeIssued(ctx context.Context, tx *sql.Tx, r *booksync.Receivable, event IssueEvent) error {
	if !s.d.writableCTEs {
		row, err := s.updateReceivableTx(ctx, tx, r)
		if err != nil || event == nil {
			return err
		}
		object, err := row.json(r.ID)
		if err != nil {
			return err
		}
		return s.addEventTx(ctx, tx, event(r, object), object)
	}
	row, err := encodeReceivable(r)
	if err != nil {
		return fmt.Errorf("store: update receivable: %w", err)
	}
	args := updateReceivableArgs(r, row)
	query := updateReceivableSQL + " RETURNING id"
	if event == nil {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("store: update receivable: %w", mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("store: update receivable: %w", err)
			}
			return whyNotUpdated(ctx, tx, r)
		}
		r.Version++
		return nil
	}
	// One statement writes the receivable and its event and reads the subscriptions that want it.
	object, err := row.json(r.ID)
	if err != nil {
		return err
	}
	r.Version++ // the event shows the receivable as written
	ev := event(r, object)
	r.Version--
	ev, data, err := prepareEvent(ev, object)
	if err != nil {
		return err
	}
	n := len(args)
	subs, found, err := queryEventSubs(ctx, tx, `WITH w AS (`+query+`), ev AS (`+insertEventSQL(n, "AND EXISTS (SELECT 1 FROM w)")+`)`, ev.ObjectType, append(args, eventArgs(ev, data)...)...)
	if err != nil {
		return fmt.Errorf("store: issue receivable: %w", mapErr(err))
	}
	if !found {
		return whyNotUpdated(ctx, tx, r)
	}
	r.Version++
	return s.queueDeliveries(ctx, tx, ev, subs)
}

// documentIDTaken reports whether a receivable of the entity other than id has the document id doc.
func documentIDTaken(ctx context.Context, tx *sql.Tx, entityID, id, doc string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM receivables WHERE entity_id = $1 AND document_id = $2 AND id <> $3",
		entityID, doc, id).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: next document id: %w", err)
	}
	return true, nil
}

// DeleteReceivable deletes a draft invoice; any other status gives a StatusError, and an unknown or
// foreign invoice a NotFoundError.
func (s *Store) DeleteReceivable(ctx context.Context, entityID, id string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM receivables WHERE entity_id = $1 AND id = $2"+s.d.forUpdate,
			entityID, id).Scan(&status)
		if err != nil {
			return wrapRead("receivable", mapNotFound(err, "receivable"))
		}
		if status != booksync.StatusDraft {
			return &StatusError{Object: "receivable", Action: "delete", Status: status}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM receivables WHERE entity_id = $1 AND id = $2", entityID, id); err != nil {
			return fmt.Errorf("store: delete receivable: %w", err)
		}
		return nil
	})
}

// Receivables lists the entity's invoices.
func (s *Store) Receivables(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Receivable], error) {
	return list(ctx, s.reader, s.d, receivableList, entityID, q)
}

// ReceivablesJSON lists the entity's invoices as Receivables does, each item the JSON that
// encoding its booksync.Receivable gives, read from the stored JSON without decoding the invoice.
// The API answers GET /receivables with it.
func (s *Store) ReceivablesJSON(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[json.RawMessage], error) {
	return list(ctx, s.reader, s.d, receivableJSONList, entityID, q)
}

// IssuedReceivableIDs returns the ids of the entity's invoices that are issued (or paid).
func (s *Store) IssuedReceivableIDs(ctx context.Context, tx *sql.Tx, entityID string) ([]string, error) {
	return queryStrings(ctx, tx, "SELECT id FROM receivables WHERE entity_id = $1 AND status IN ($2, $3, $4) ORDER BY created_at, id",
		entityID, booksync.StatusIssued, booksync.StatusPartiallyPaid, booksync.StatusPaid)
}

// CreditNoteIDsTx returns, inside tx, the ids of the issued credit notes of an invoice of the
// entity, oldest first.
func (s *Store) CreditNoteIDsTx(ctx context.Context, tx *sql.Tx, entityID, invoiceID string) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT id FROM receivables WHERE entity_id = $1 AND based_on = $2 AND based_on <> '' AND type = $3
	AND status <> $4 ORDER BY created_at, id`, entityID, invoiceID, booksync.ReceivableTypeCreditNote, booksync.StatusDraft)
}
