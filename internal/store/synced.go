package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

const syncedColumns = "id, entity_id, connection_id, object_type, object_id, sync_status, auto, attempts, created_at, updated_at, data"

// The values of synced_records.auto, which say when a pending record is pushed.
const (
	autoOnRequest = 0 // when its record is pushed (an invoice issued before the connection)
	autoNow       = 1 // by the next push of its connection
	autoAfterPull = 2 // after a sync's pull that begins after it was written (WaitsForPull)
	autoPulling   = 3 // after the sync's pull that has begun since (MarkPullBegun)
)

// autoOf is the auto column of r.
func autoOf(r *booksync.SyncedRecord) int64 {
	if r.WaitsForPull {
		return autoAfterPull
	}
	return boolInt(r.Auto)
}

func scanSynced(sc scanner, extra ...any) (booksync.SyncedRecord, error) {
	var r booksync.SyncedRecord
	var id, entityID, connID, objType, objID, status, data string
	var auto, attempts, created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &connID, &objType, &objID, &status, &auto, &attempts, &created, &updated, &data)...); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return r, fmt.Errorf("decode synced record %s: %w", id, err)
	}
	r.Attempts = int(attempts)
	r.ID, r.EntityID, r.ConnectionID, r.ObjectType, r.ObjectID, r.SyncStatus = id, entityID, connID, objType, objID, status
	r.Auto, r.WaitsForPull = auto != autoOnRequest, auto >= autoAfterPull
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return r, nil
}

func encodeSynced(r *booksync.SyncedRecord) (string, error) {
	stamp(&r.CreatedAt, &r.UpdatedAt)
	r.LastPulledAt = norm(r.LastPulledAt)
	normPtr(r.ObjectUpdatedAt)
	normPtr(r.PlatformUpdatedAt)
	b, err := json.Marshal(r)
	return string(b), err
}

// platformObjectID is the books' id of a record's object, or "" while it has none.
func platformObjectID(r *booksync.SyncedRecord) string {
	if r.PlatformObjectID == nil {
		return ""
	}
	return *r.PlatformObjectID
}

// RecordByPlatformIDTx returns the record of the object of objectType whose id in the connection's
// books is platformID, inside tx, or a NotFoundError when booksync holds no such object.
func (s *Store) RecordByPlatformIDTx(ctx context.Context, tx *sql.Tx, connectionID, objectType, platformID string) (*booksync.SyncedRecord, error) {
	recs, err := s.RecordsByPlatformIDTx(ctx, tx, connectionID, objectType, platformID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, notFound("synced record")
	}
	return &recs[0], nil
}

// RecordsByPlatformIDTx returns, inside tx and oldest first, the records of the objects of
// objectType whose id in the connection's books is platformID: several booksync objects may stand
// for one there (a payment of several invoices is one payment record per invoice).
func (s *Store) RecordsByPlatformIDTx(ctx context.Context, tx *sql.Tx, connectionID, objectType, platformID string) ([]booksync.SyncedRecord, error) {
	return queryAll(ctx, tx, scanSynced, "SELECT "+syncedColumns+` FROM synced_records
	WHERE connection_id = $1 AND object_type = $2 AND platform_object_id = $3 AND platform_object_id <> ''
	ORDER BY created_at, id`, connectionID, objectType, platformID)
}

// PlatformIDs returns the books' ids of the connection's objects of objectType that reached them.
func (s *Store) PlatformIDs(ctx context.Context, connectionID, objectType string) ([]string, error) {
	return queryStrings(ctx, s.reader, `SELECT platform_object_id FROM synced_records
	WHERE connection_id = $1 AND object_type = $2 AND platform_object_id <> '' ORDER BY platform_object_id`, connectionID, objectType)
}

var syncedList = listTable[booksync.SyncedRecord]{
	spec: booksync.SyncedRecordList, table: "synced_records", scope: "entity_id",
	columns: syncedColumns, scan: scanSynced,
}

// EnsureSyncedRecord returns the record of (connection, object type, object id), creating r when
// there is none, inside tx. created reports whether r was inserted.
func (s *Store) EnsureSyncedRecord(ctx context.Context, tx *sql.Tx, r *booksync.SyncedRecord) (rec *booksync.SyncedRecord, created bool, err error) {
	data, err := encodeSynced(r)
	if err != nil {
		return nil, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO synced_records
	(id, entity_id, connection_id, object_type, object_id, sync_status, auto, attempts, created_at, updated_at, data, platform_object_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (connection_id, object_type, object_id) DO NOTHING`,
		r.ID, r.EntityID, r.ConnectionID, r.ObjectType, r.ObjectID, r.SyncStatus, autoOf(r), r.Attempts,
		micros(r.CreatedAt), micros(r.UpdatedAt), data, platformObjectID(r))
	if err != nil {
		return nil, false, fmt.Errorf("store: create synced record: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return r, true, nil
	}
	got, err := s.recordFor(ctx, tx, r.ConnectionID, r.ObjectType, r.ObjectID)
	return got, false, err
}

// RecordFor returns the record of an object in a connection, or a NotFoundError.
func (s *Store) RecordFor(ctx context.Context, connectionID, objectType, objectID string) (*booksync.SyncedRecord, error) {
	return s.recordFor(ctx, s.writer, connectionID, objectType, objectID)
}

func (s *Store) recordFor(ctx context.Context, db querier, connectionID, objectType, objectID string) (*booksync.SyncedRecord, error) {
	row := db.QueryRowContext(ctx, "SELECT "+syncedColumns+` FROM synced_records
	WHERE connection_id = $1 AND object_type = $2 AND object_id = $3`, connectionID, objectType, objectID)
	r, err := scanSynced(row)
	if err != nil {
		return nil, wrapRead("synced record", mapNotFound(err, "synced record"))
	}
	return &r, nil
}

// UpdateSyncedRecord writes a record's status, auto flag and data.
func (s *Store) UpdateSyncedRecord(ctx context.Context, r *booksync.SyncedRecord) error {
	return s.updateSynced(ctx, s.writer, r)
}

// UpdateSyncedRecordTx is UpdateSyncedRecord inside a transaction, which also writes the event of
// a record's outcome (done, or error with its cause) as SettleSyncedRecord does.
func (s *Store) UpdateSyncedRecordTx(ctx context.Context, tx *sql.Tx, r *booksync.SyncedRecord) error {
	if err := s.updateSynced(ctx, tx, r); err != nil {
		return err
	}
	return s.addOutcomeEvent(ctx, tx, r)
}

// updateSyncedSQL writes a record. Its attempts only grow until it is done: a push counts them
// (MarkAttempted) while another writer may hold an older copy of the record, and a lost count would
// let a later push create an object that may already be in the books instead of looking it up.
//
// A record that waits for a sync's pull (auto 2 or 3) keeps waiting when a writer that read it
// before it was made to wait makes it pending to be pushed now: only the sync lets it go
// (FinishSyncPull).
const updateSyncedSQL = `UPDATE synced_records SET sync_status = $1,
	auto = CASE WHEN $1 = 'pending' AND $2 = 1 AND auto IN (2, 3) THEN 2 ELSE $2 END,
	attempts = CASE WHEN $1 = 'done' OR attempts < $3 THEN $3 ELSE attempts END, updated_at = $4, data = $5,
	platform_object_id = $6
	WHERE id = $7`

func (s *Store) updateSynced(ctx context.Context, db execer, r *booksync.SyncedRecord) error {
	data, err := encodeSynced(r)
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, updateSyncedSQL, r.SyncStatus, autoOf(r), r.Attempts, micros(r.UpdatedAt), data,
		platformObjectID(r), r.ID)
	if err != nil {
		return fmt.Errorf("store: update synced record: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("synced record")
	}
	return nil
}

// SettleSyncedRecord writes the outcome of a push of r (done or error) unless the record was
// written since the push read it, that is unless its update time is still readAt: a record pushed
// again meanwhile (perhaps after its cause was fixed) must not get the outcome of the push of its
// previous state. It reports whether it wrote; a writer must give each write a new update time.
func (s *Store) SettleSyncedRecord(ctx context.Context, r *booksync.SyncedRecord, readAt time.Time) (bool, error) {
	var written bool
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		written, err = s.UpdateSyncedRecordIfTx(ctx, tx, r, readAt)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: settle synced record: %w", err)
	}
	return written, nil
}

// UpdateSyncedRecordIfTx is UpdateSyncedRecordTx for a record read when its update time was
// readAt: it writes r, and the event of its outcome, only if no one wrote the record since, and
// reports whether it did.
func (s *Store) UpdateSyncedRecordIfTx(ctx context.Context, tx *sql.Tx, r *booksync.SyncedRecord, readAt time.Time) (bool, error) {
	data, err := encodeSynced(r)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, updateSyncedSQL+" AND updated_at = $8",
		r.SyncStatus, autoOf(r), r.Attempts, micros(r.UpdatedAt), data, platformObjectID(r), r.ID, micros(readAt))
	if err != nil {
		return false, fmt.Errorf("store: update synced record: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	return true, s.addOutcomeEvent(ctx, tx, r)
}

// SettleSyncedRecords is SettleSyncedRecord for a batch of records, readAt[i] the update time
// the push read of recs[i], in one transaction: a push settles the records of one call together,
// so a backlog costs one commit per call, not one per record. ok[i] reports whether recs[i] was
// written.
func (s *Store) SettleSyncedRecords(ctx context.Context, recs []*booksync.SyncedRecord, readAt []time.Time) (ok []bool, err error) {
	if len(recs) != len(readAt) {
		return nil, fmt.Errorf("store: settle synced records: %d records, %d read times", len(recs), len(readAt))
	}
	data := make([]string, len(recs))
	for i, r := range recs {
		if data[i], err = encodeSynced(r); err != nil {
			return nil, err
		}
	}
	if s.d.writableCTEs {
		return s.settleSyncedRecordsAtOnce(ctx, recs, readAt, data)
	}
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		ok = make([]bool, len(recs))
		for i, r := range recs {
			res, err := tx.ExecContext(ctx, updateSyncedSQL+" AND updated_at = $8",
				r.SyncStatus, autoOf(r), r.Attempts, micros(r.UpdatedAt), data[i], platformObjectID(r), r.ID, micros(readAt[i]))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				if err != nil {
					return err
				}
				continue
			}
			ok[i] = true
			if err := s.addOutcomeEvent(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: settle synced records: %w", err)
	}
	return ok, nil
}

// settleSyncedRecordsAtOnce is SettleSyncedRecords on PostgreSQL (data[i] is recs[i] encoded):
// one statement writes the records whose update time is still the one read and the events of
// their outcomes, so that a batch costs a few round trips, not two per record.
func (s *Store) settleSyncedRecordsAtOnce(ctx context.Context, recs []*booksync.SyncedRecord, readAt []time.Time, data []string) ([]bool, error) {
	n := len(recs)
	ids, statuses, pids, auto, attempts, updated, read := make([]string, n), make([]string, n), make([]string, n),
		make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	var evs []booksync.Event
	var evRecords, evIDs, evEntities, evTypes, evObjects, evActions, evData []string
	var evTimes []int64
	for i, r := range recs {
		ids[i], statuses[i], pids[i] = r.ID, r.SyncStatus, platformObjectID(r)
		auto[i], attempts[i], updated[i], read[i] = autoOf(r), int64(r.Attempts), micros(r.UpdatedAt), micros(readAt[i])
		ev, ok, err := outcomeEvent(r)
		if err != nil {
			return nil, fmt.Errorf("store: settle synced records: %w", err)
		}
		if !ok {
			continue
		}
		ev, evJSON, err := prepareEvent(ev, nil)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
		evRecords, evIDs, evEntities = append(evRecords, r.ID), append(evIDs, ev.ID), append(evEntities, ev.EntityID)
		evTypes, evObjects, evActions = append(evTypes, ev.ObjectType), append(evObjects, ev.ObjectID), append(evActions, ev.Action)
		evTimes, evData = append(evTimes, micros(ev.CreatedAt)), append(evData, evJSON)
	}
	ok := make([]bool, n)
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		// The records' writes are updateSyncedSQL's, one per row of the arrays; an event is written
		// for each record written, as SettleSyncedRecord writes it.
		rows, err := tx.QueryContext(ctx, `WITH w AS (
		UPDATE synced_records r SET sync_status = v.status, auto = v.auto,
		attempts = CASE WHEN v.status = 'done' OR r.attempts < v.attempts THEN v.attempts ELSE r.attempts END,
		updated_at = v.updated_at, data = v.data, platform_object_id = v.pid
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])
		  AS v(id, status, auto, attempts, updated_at, data, pid, read_at)
		WHERE r.id = v.id AND r.updated_at = v.read_at
		RETURNING r.id
	), ev AS (
		INSERT INTO events (id, entity_id, partner_id, object_type, object_id, action, created_at, updated_at, data)
		SELECT e.id, e.entity_id, n.partner_id, e.object_type, e.object_id, e.action, e.created_at, e.created_at, e.data
		FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[])
		  WITH ORDINALITY AS e(record_id, id, entity_id, object_type, object_id, action, created_at, data, ord)
		JOIN w ON w.id = e.record_id JOIN entities n ON n.id = e.entity_id
		ORDER BY e.ord
		RETURNING id
	)
	SELECT id, '' FROM w UNION ALL SELECT '', id FROM ev`,
			ids, statuses, auto, attempts, updated, data, pids, read,
			evRecords, evIDs, evEntities, evTypes, evObjects, evActions, evTimes, evData)
		if err != nil {
			return err
		}
		defer rows.Close()
		written, evWritten := map[string]bool{}, map[string]bool{}
		for rows.Next() {
			var id, evID string
			if err := rows.Scan(&id, &evID); err != nil {
				return err
			}
			written[id], evWritten[evID] = true, true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for i, r := range recs {
			ok[i] = written[r.ID]
		}
		return s.queueEventsDeliveries(ctx, tx, evs, evWritten)
	})
	if err != nil {
		return nil, fmt.Errorf("store: settle synced records: %w", err)
	}
	return ok, nil
}

// SyncedRecord returns a record of the entity, or a NotFoundError.
func (s *Store) SyncedRecord(ctx context.Context, entityID, id string) (*booksync.SyncedRecord, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+syncedColumns+" FROM synced_records WHERE entity_id = $1 AND id = $2", entityID, id)
	r, err := scanSynced(row)
	if err != nil {
		return nil, wrapRead("synced record", mapNotFound(err, "synced record"))
	}
	return &r, nil
}

// SyncedRecords lists the entity's records.
func (s *Store) SyncedRecords(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.SyncedRecord], error) {
	return list(ctx, s.reader, s.d, syncedList, entityID, q)
}

// PendingRecords returns up to limit records of a connection that wait to be pushed, oldest
// first: pending, and either queued automatically or pushed on request, those that wait for a
// sync's pull (WaitsForPull) too.
func (s *Store) PendingRecords(ctx context.Context, connectionID, objectType string, limit int) ([]booksync.SyncedRecord, error) {
	query, args := s.pendingRecordsSQL(connectionID, objectType, limit, nil, true)
	return queryAll(ctx, s.writer, scanSynced, query, args...)
}

// PendingRecordsExcept is PendingRecords leaving out the records whose ids are in except (those
// a push is sending): the query skips them in the index rather than reading and decoding them.
func (s *Store) PendingRecordsExcept(ctx context.Context, connectionID, objectType string, limit int, except []string) ([]booksync.SyncedRecord, error) {
	query, args := s.pendingRecordsSQL(connectionID, objectType, limit, except, false)
	return queryAll(ctx, s.writer, scanSynced, query, args...)
}

// pendingRecordsSQL is PendingRecordsExcept's query and its arguments, or with waiting
// PendingRecords'. The index synced_records_pending gives PendingRecordsExcept's order, so that
// a batch reads its batch only.
func (s *Store) pendingRecordsSQL(connectionID, objectType string, limit int, except []string, waiting bool) (string, []any) {
	args := make([]any, 0, 4+len(except))
	args = append(args, connectionID, booksync.SyncStatusPending, objectType)
	autoIs := "auto = 1"
	if waiting {
		autoIs = "auto >= 1"
	}
	skip := ""
	if len(except) > 0 {
		skip = " AND id NOT IN (" + placeholderList(4, len(except)) + ")"
		for _, id := range except {
			args = append(args, id)
		}
	}
	query := "SELECT " + syncedColumns + ` FROM synced_records
	WHERE connection_id = $1 AND sync_status = $2 AND ` + autoIs + ` AND object_type = $3` + skip + ` ORDER BY created_at, id ` +
		s.d.limitSQL(limit, appendArg(&args)) // before args is returned: it may append the limit
	return query, args
}

// RecordForTx is RecordFor inside a transaction.
func (s *Store) RecordForTx(ctx context.Context, tx *sql.Tx, connectionID, objectType, objectID string) (*booksync.SyncedRecord, error) {
	return s.recordFor(ctx, tx, connectionID, objectType, objectID)
}

// pendingBeforeSQL finds the connections of status $3 with records of sync status $1 queued
// automatically and unchanged since $2. It reads each connection's pending records until the first
// from before $2, not all of them: a connection with a long backlog has many.
const pendingBeforeSQL = `SELECT c.id FROM accounting_connections c WHERE c.status = $3
	AND EXISTS (SELECT 1 FROM synced_records r WHERE r.connection_id = c.id AND r.sync_status = $1
	AND r.auto = 1 AND r.updated_at < $2)`

// ConnectionsWithPendingBefore returns the connected connections that have records queued for
// push since before t.
func (s *Store) ConnectionsWithPendingBefore(ctx context.Context, tx *sql.Tx, t time.Time) ([]string, error) {
	return queryStrings(ctx, tx, pendingBeforeSQL,
		booksync.SyncStatusPending, micros(t), booksync.ConnectionConnected)
}

// MarkPullBegun records that a sync of the connection begins its pull: the records that wait for
// a pull (WaitsForPull) are pushed after this one.
func (s *Store) MarkPullBegun(ctx context.Context, connectionID string) error {
	_, err := s.writer.ExecContext(ctx, "UPDATE synced_records SET auto = $1 WHERE connection_id = $2 AND sync_status = $3 AND auto = $4",
		autoPulling, connectionID, booksync.SyncStatusPending, autoAfterPull)
	if err != nil {
		return fmt.Errorf("store: mark pull begun: %w", err)
	}
	return nil
}

// FinishSyncPull ends, inside tx, a sync's pull that began at start (MarkPullBegun). The records
// that waited for it are let go, to be pushed now, with their update time moved on to now, so that
// a push that is running counts them as new. Unless the sync must pull again, which it reports
// with again: a sync was asked for at or after start, or a record was made to wait for a pull
// after this one began; the caller then rolls tx back. It takes the records' rows, then the
// connection's, before the caller completes the sync's job: the order of a transaction that makes a
// record wait (the record, the connection's request, then the sync's job).
func (s *Store) FinishSyncPull(ctx context.Context, tx *sql.Tx, connectionID string, start, now time.Time) (again bool, err error) {
	_, err = tx.ExecContext(ctx, `UPDATE synced_records SET auto = $1,
	updated_at = CASE WHEN updated_at < $2 THEN $2 ELSE updated_at + 1 END
	WHERE connection_id = $3 AND sync_status = $4 AND auto = $5`,
		autoNow, micros(now), connectionID, booksync.SyncStatusPending, autoPulling)
	if err != nil {
		return false, fmt.Errorf("store: finish sync pull: %w", err)
	}
	// The request is read with the connection's row held: a request that wrote it and has not
	// committed yet (its job, seeing this sync's running, was not queued) is waited for and seen.
	var requested int64
	err = tx.QueryRowContext(ctx, "SELECT sync_requested_at FROM accounting_connections WHERE id = $1"+s.d.forShare, connectionID).Scan(&requested)
	if err != nil {
		return false, fmt.Errorf("store: finish sync pull: %w", err)
	}
	if requested >= micros(start) {
		return true, nil
	}
	err = tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM synced_records WHERE connection_id = $1 AND sync_status = $2 AND auto = $3)",
		connectionID, booksync.SyncStatusPending, autoAfterPull).Scan(&again)
	if err != nil {
		return false, fmt.Errorf("store: finish sync pull: %w", err)
	}
	return again, nil
}

// ConnectionsWaitingForPull returns the connected connections that have records waiting for a
// sync's pull (WaitsForPull) since before t: their sync was not asked for (a writer that made a
// record pending again kept it waiting, and queued a push only), or ended before it finished its
// pull, and the sweeper queues one (River's uniqueness leaves a sync that is running alone).
func (s *Store) ConnectionsWaitingForPull(ctx context.Context, tx *sql.Tx, t time.Time) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT c.id FROM accounting_connections c WHERE c.status = $3
	AND EXISTS (SELECT 1 FROM synced_records r WHERE r.connection_id = c.id AND r.sync_status = $1
	AND r.auto IN (`+strconv.Itoa(autoAfterPull)+`, `+strconv.Itoa(autoPulling)+`) AND r.updated_at < $2)`,
		booksync.SyncStatusPending, micros(t), booksync.ConnectionConnected)
}

// CountPendingSince counts a connection's records queued for push that changed at or after t.
func (s *Store) CountPendingSince(ctx context.Context, tx *sql.Tx, connectionID string, t time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM synced_records WHERE connection_id = $1 AND sync_status = $2
	AND auto = 1 AND updated_at >= $3`, connectionID, booksync.SyncStatusPending, micros(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count pending: %w", err)
	}
	return n, nil
}

// MarkAttempted records, before a push sends them, that these records' objects may reach the
// accounting system: a later push looks them up before creating them.
func (s *Store) MarkAttempted(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// One statement for the batch: a push marks all the records of a call at once.
	if _, err := s.writer.ExecContext(ctx, "UPDATE synced_records SET attempts = attempts + 1 WHERE id IN ("+placeholderList(1, len(ids))+")", args...); err != nil {
		return fmt.Errorf("store: mark attempted: %w", err)
	}
	return nil
}

// appendArg returns a function that appends an argument to args and returns its placeholder.
func appendArg(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

// placeholderList returns n numbered placeholders from $first, separated by commas, for an IN
// list.
func placeholderList(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}
