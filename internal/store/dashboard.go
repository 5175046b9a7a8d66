package store

import (
	"context"

	"github.com/booksync/booksync"
)

// PartnerRecordList is what the dashboard's list of synced records filters and sorts by: every
// record of a partner's entities, by status, object type, platform, entity and time.
var PartnerRecordList = booksync.ListSpec{
	Fields: map[string]booksync.FieldKind{"sync_status": booksync.KindEnum, "object_type": booksync.KindEnum,
		"object_id": booksync.KindUUID, "platform": booksync.KindEnum, "entity_id": booksync.KindUUID,
		"created_at": booksync.KindTime, "updated_at": booksync.KindTime},
	Ops: map[string][]booksync.FilterOp{"sync_status": {booksync.OpEq}, "object_type": {booksync.OpEq},
		"object_id": {booksync.OpEq}, "platform": {booksync.OpEq}, "entity_id": {booksync.OpEq},
		"created_at": {booksync.OpGte, booksync.OpLt}, "updated_at": {booksync.OpGte, booksync.OpLt}},
	Sorts:       []string{"created_at", "updated_at"},
	DefaultSort: "updated_at",
}

// partnerRecords reads synced records with their partner and platform beside them, so that one
// list serves every entity of a partner and no other partner's record can be in it.
const partnerRecords = `(SELECT r.id, r.entity_id, r.connection_id, r.object_type, r.object_id, r.sync_status,
	r.auto, r.attempts, r.created_at, r.updated_at, r.data, e.partner_id, c.platform
	FROM synced_records r JOIN entities e ON e.id = r.entity_id
	JOIN accounting_connections c ON c.id = r.connection_id) pr`

var partnerRecordList = listTable[booksync.SyncedRecord]{
	spec: PartnerRecordList, table: partnerRecords, scope: "partner_id",
	columns: syncedColumns, scan: scanSynced,
}

// PartnerSyncedRecords lists the synced records of all the partner's entities.
func (s *Store) PartnerSyncedRecords(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.SyncedRecord], error) {
	return list(ctx, s.reader, s.d, partnerRecordList, partnerID, q)
}

// PartnerSyncedRecord returns a synced record of one of the partner's entities, or a
// NotFoundError.
func (s *Store) PartnerSyncedRecord(ctx context.Context, partnerID, id string) (*booksync.SyncedRecord, error) {
	r, err := scanSynced(s.reader.QueryRowContext(ctx, "SELECT "+syncedColumns+" FROM "+partnerRecords+
		" WHERE partner_id = $1 AND id = $2", partnerID, id))
	if err != nil {
		return nil, wrapRead("synced record", mapNotFound(err, "synced record"))
	}
	return &r, nil
}

// SyncedRecordCounts returns how many of the entity's synced records are in each sync status.
func (s *Store) SyncedRecordCounts(ctx context.Context, entityID string) (map[string]int, error) {
	return s.countBy(ctx, "SELECT sync_status, COUNT(*) FROM synced_records WHERE entity_id = $1 GROUP BY sync_status", entityID)
}

// JobCounts returns how many jobs of the queue (every entity's and partner's) are in each of
// River's job states.
func (s *Store) JobCounts(ctx context.Context) (map[string]int, error) {
	return s.countBy(ctx, "SELECT state, COUNT(*) FROM river_job GROUP BY state")
}

func (s *Store) countBy(ctx context.Context, query string, args ...any) (map[string]int, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapRead("counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, wrapRead("counts", err)
		}
		out[key] = n
	}
	return out, wrapRead("counts", rows.Err())
}

// ReceivableEntityID returns the entity of an invoice or credit note of one of the partner's
// entities, or a NotFoundError.
func (s *Store) ReceivableEntityID(ctx context.Context, partnerID, id string) (string, error) {
	var entityID string
	err := s.reader.QueryRowContext(ctx, `SELECT r.entity_id FROM receivables r JOIN entities e ON e.id = r.entity_id
		WHERE e.partner_id = $1 AND r.id = $2`, partnerID, id).Scan(&entityID)
	if err != nil {
		return "", wrapRead("receivable", mapNotFound(err, "receivable"))
	}
	return entityID, nil
}

// ObjectEvents returns the latest limit events of the entity about one object, newest first.
func (s *Store) ObjectEvents(ctx context.Context, entityID, objectID string, limit int) ([]booksync.Event, error) {
	args := []any{entityID, objectID}
	query := `SELECT data FROM events WHERE entity_id = $1 AND object_id = $2
		ORDER BY created_at DESC, id DESC ` + s.d.limitSQL(limit, appendArg(&args)) // before args is passed on
	evs, err := queryAll(ctx, s.reader, scanEvent, query, args...)
	return evs, wrapRead("events", err)
}

// EventDeliveries returns the webhook deliveries of the entity's events among eventIDs, oldest
// first.
func (s *Store) EventDeliveries(ctx context.Context, entityID string, eventIDs []string) ([]booksync.WebhookDelivery, error) {
	if len(eventIDs) == 0 {
		return nil, nil
	}
	args := []any{entityID}
	for _, id := range eventIDs {
		args = append(args, id)
	}
	ds, err := queryAll(ctx, s.reader, scanDelivery, eventDeliveriesSQL(s.d, len(eventIDs)), args...)
	return ds, wrapRead("webhook deliveries", err)
}

// eventDeliveriesSQL reads the deliveries of the entity $1's events among n event ids, $2 on:
// each event id is looked up (see dialect.byIDs).
func eventDeliveriesSQL(d dialect, n int) string {
	return "SELECT " + deliveryColumns + " FROM webhook_deliveries WHERE " + d.byIDs + "entity_id = $1 AND event_id IN (" +
		placeholderList(2, n) + ") ORDER BY created_at, id"
}
