package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/booksync/booksync"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// WebhookQueue is the River queue webhook deliveries run in, apart from the sync jobs, so that a
// slow or dead receiver delays no sync.
const WebhookQueue = "webhooks"

// WebhookDeliveryArgs is the River job that sends one event to one subscription (one
// webhook_deliveries row). AddEventTx inserts it in the transaction that writes the event, so a
// crash loses no delivery; internal/webhooks runs it.
type WebhookDeliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (WebhookDeliveryArgs) Kind() string { return "webhook_delivery" }

// webhookMaxAttempts bounds River's attempts of a delivery far beyond what a subscription can use:
// a receiver failing for days has its subscription disabled first, which ends its deliveries.
const webhookMaxAttempts = 10000

// InsertOpts puts deliveries in their own queue.
func (WebhookDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: WebhookQueue, MaxAttempts: webhookMaxAttempts}
}

// hookQueue is an insert-only River client on the store's driver, made on first use.
type hookQueue struct {
	once   sync.Once
	client *river.Client[*sql.Tx]
	err    error
}

func (s *Store) hookClient() (*river.Client[*sql.Tx], error) {
	s.hooks.once.Do(func() {
		s.hooks.client, s.hooks.err = river.NewClient(s.RiverDriver(), &river.Config{})
	})
	return s.hooks.client, s.hooks.err
}

// AddEventTx writes an event inside tx, the transaction of the change it reports, and queues its
// delivery to each enabled webhook subscription of the entity's partner that wants it: one
// webhook_deliveries row and one River job each, in the same transaction. It fills the event's
// id, time (now, when zero) and API version. The entity must exist.
func (s *Store) AddEventTx(ctx context.Context, tx *sql.Tx, ev booksync.Event) error {
	return s.addEventTx(ctx, tx, ev, nil)
}

// batchTargets remembers, on SQLite, the enabled subscriptions that the events written in the group
// commit's batch that runs now read (see groupCommit.batchOf), by entity and object type, so that
// the events of its callers (the invoices of an entity created and issued at once, the outcomes of
// a push settled together) read their partner's subscriptions once per batch. What an event takes of a subscription (its id, URL and
// event types, and that it is enabled) changes in a batch only by DisableSubscription, which
// forgets them; RecordAttempt's failing_since is not among it. A new write of subscriptions inside
// a transaction must call forget too.
type batchTargets struct {
	mu    sync.Mutex
	state batchState
	subs  map[[2]string][]booksync.WebhookSubscription
	reads atomic.Int64 // reads of subscriptions for events on SQLite, for the tests
}

// get returns the subscriptions remembered for key in tx, if tx is the batch that runs now and
// nothing changed them since they were read.
func (b *batchTargets) get(g *groupCommit, tx *sql.Tx, key [2]string) ([]booksync.WebhookSubscription, bool) {
	state, ok := g.batchOf(tx)
	if !ok {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != state {
		return nil, false
	}
	subs, ok := b.subs[key]
	return subs, ok
}

// put remembers subs, read in tx, for key, if tx is the batch that runs now.
func (b *batchTargets) put(g *groupCommit, tx *sql.Tx, key [2]string, subs []booksync.WebhookSubscription) {
	state, ok := g.batchOf(tx)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != state || b.subs == nil {
		b.state, b.subs = state, map[[2]string][]booksync.WebhookSubscription{}
	}
	b.subs[key] = subs
}

// forget forgets every subscription remembered: a write in the batch that runs now changed them
// (DisableSubscription). A write outside InTx needs none: it cannot run while a batch holds the
// writer, and what a batch remembers holds for that batch only.
func (b *batchTargets) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state, b.subs = batchState{}, nil
}

// addEventTx is AddEventTx with the object the store encoded for the event, if it did (own, see
// prepareEvent).
func (s *Store) addEventTx(ctx context.Context, tx *sql.Tx, ev booksync.Event, own json.RawMessage) error {
	ev, data, err := prepareEvent(ev, own)
	if err != nil {
		return err
	}
	return s.addPreparedEventTx(ctx, tx, ev, data)
}

// addPreparedEventTx is addEventTx of an event that prepareEvent prepared (ev, and data its row's
// JSON), so that a caller may encode it before its transaction.
func (s *Store) addPreparedEventTx(ctx context.Context, tx *sql.Tx, ev booksync.Event, data string) error {
	if s.d.writableCTEs {
		// One round trip: the event's insert and the read of its subscriptions.
		subs, found, err := queryEventSubs(ctx, tx, `WITH ev AS (`+insertEventSQL(0, "")+`)`, ev.ObjectType,
			eventArgs(ev, data)...)
		if err != nil {
			return fmt.Errorf("store: add event: %w", mapErr(err))
		}
		if !found {
			return fmt.Errorf("store: add event: %w", notFound("entity"))
		}
		return s.queueDeliveries(ctx, tx, ev, subs)
	}
	// SQLite: one row's INSERT ... VALUES, which SQLite runs without the statement journal and the table of
	// results that an INSERT ... SELECT ... RETURNING takes (a third of the event's cost). The event
	// takes its partner from the entity's row in a subquery; with no such row the partner is NULL,
	// which the table refuses.
	if _, err := tx.ExecContext(ctx, insertEventValuesSQL, eventArgs(ev, data)...); err != nil {
		if nf := requireEntity(ctx, tx, ev.EntityID); booksync.ErrorCode(nf) == booksync.ENOTFOUND {
			return fmt.Errorf("store: add event: %w", nf)
		}
		return fmt.Errorf("store: add event: %w", mapErr(err))
	}
	key := [2]string{ev.EntityID, ev.ObjectType}
	subs, ok := s.targets.get(s.batches, tx, key)
	if !ok {
		s.targets.reads.Add(1)
		var err error
		if subs, err = queryAll(ctx, tx, scanSubscription, "SELECT "+subscriptionColumns+
			` FROM webhook_subscriptions WHERE partner_id = (SELECT partner_id FROM entities WHERE id = $1)
			AND object_type = $2 AND status = $3 ORDER BY created_at, id`,
			ev.EntityID, ev.ObjectType, booksync.SubscriptionEnabled); err != nil {
			return fmt.Errorf("add event: subscriptions: %w", err)
		}
		s.targets.put(s.batches, tx, key, subs)
	}
	return s.queueDeliveries(ctx, tx, ev, subs)
}

// prepareEvent fills an event's id, time (now, when zero) and API version, and encodes it for its
// row. The object goes into the event's JSON as it is: encoding/json would check and compact it
// again, which costs as much as encoding it. An object is checked first unless it is own, the
// store's encoding of the object it writes with the event (the same bytes); an object that is not
// valid JSON would make the event, and the entity's list of events, unreadable.
func prepareEvent(ev booksync.Event, own json.RawMessage) (booksync.Event, string, error) {
	if ev.ID == "" {
		id, err := uuid.NewV7() // time-ordered, so events of one instant list in the order written
		if err != nil {
			return ev, "", fmt.Errorf("store: add event: %w", err)
		}
		ev.ID = id.String()
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = time.Now()
	}
	ev.CreatedAt = norm(ev.CreatedAt)
	if ev.APIVersion == "" {
		ev.APIVersion = booksync.APIVersion
	}
	if len(ev.Object) == 0 {
		ev.Object = json.RawMessage("null")
	}
	if !sameBytes(ev.Object, own) && !json.Valid(ev.Object) {
		return ev, "", fmt.Errorf("store: add event: its object is not valid JSON: %.40q", ev.Object)
	}
	// The envelope is encoded with a null object, its last field, which the object then replaces.
	object := ev.Object
	ev.Object = nil
	head, err := json.Marshal(ev)
	ev.Object = object
	if err != nil {
		return ev, "", fmt.Errorf("store: add event: %w", err)
	}
	const tail = `null}`
	if !bytes.HasSuffix(head, []byte(`"object":`+tail)) {
		return ev, "", fmt.Errorf("store: add event: its JSON %.40q... does not end with its object", head)
	}
	var data strings.Builder
	data.Grow(len(head) - len(tail) + len(object) + 1)
	data.Write(head[:len(head)-len(tail)])
	data.Write(object)
	data.WriteByte('}')
	return ev, data.String(), nil
}

// sameBytes reports whether a and b are the same bytes in memory, not merely equal ones.
func sameBytes(a, b []byte) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// insertEventSQL inserts an event (eventArgs, as the statement's arguments after the first n) with
// the partner of its entity's row, and returns that partner: no row means no entity. cond, when not
// empty, is a further condition ("AND ...") the insert needs.
func insertEventSQL(n int, cond string) string {
	p := func(i int) string { return "$" + strconv.Itoa(n+i) }
	return `INSERT INTO events (id, entity_id, partner_id, object_type, object_id, action, created_at, updated_at, data)
	SELECT ` + p(1) + `, id, partner_id, ` + p(3) + `, ` + p(4) + `, ` + p(5) + `, CAST(` + p(6) + ` AS BIGINT), CAST(` + p(6) +
		` AS BIGINT), ` + p(7) + ` FROM entities WHERE id = ` + p(2) + ` ` + cond + ` RETURNING partner_id`
}

// insertEventValuesSQL is insertEventSQL as one row's INSERT ... VALUES (SQLite's), with the same
// arguments (eventArgs).
const insertEventValuesSQL = `INSERT INTO events (id, entity_id, partner_id, object_type, object_id, action, created_at, updated_at, data)
	VALUES ($1, $2, (SELECT partner_id FROM entities WHERE id = $2), $3, $4, $5, $6, $6, $7)`

func eventArgs(ev booksync.Event, data string) []any {
	return []any{ev.ID, ev.EntityID, ev.ObjectType, ev.ObjectID, ev.Action, micros(ev.CreatedAt), data}
}

// execWithEvent runs, inside tx, the write query (its arguments args) and writes the event ev of
// the change it makes, as AddEventTx does, prepared by prepareEvent (data its row's JSON). On
// PostgreSQL the write, the event and the read of the subscriptions that want it take one
// statement.
func (s *Store) execWithEvent(ctx context.Context, tx *sql.Tx, query string, args []any, ev booksync.Event, data string) error {
	if !s.d.writableCTEs {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		return s.addPreparedEventTx(ctx, tx, ev, data)
	}
	subs, found, err := queryEventSubs(ctx, tx, `WITH w AS (`+query+`), ev AS (`+insertEventSQL(len(args), "")+`)`, ev.ObjectType,
		append(args[:len(args):len(args)], eventArgs(ev, data)...)...)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("store: add event: %w", notFound("entity"))
	}
	return s.queueDeliveries(ctx, tx, ev, subs)
}

// queryEventSubs runs, on PostgreSQL, the writes of with (a WITH clause whose CTE named ev
// inserts an event and returns its partner_id) and reads in the same statement the partner's
// enabled subscriptions to objectType, which is the statement's argument after args. found
// reports whether ev inserted its event.
func queryEventSubs(ctx context.Context, tx *sql.Tx, with, objectType string, args ...any) (subs []booksync.WebhookSubscription, found bool, err error) {
	n := len(args)
	rows, err := tx.QueryContext(ctx, with+` SELECT COALESCE(s.id, ''), COALESCE(s.partner_id, ''), COALESCE(s.object_type, ''),
	COALESCE(s.url, ''), COALESCE(s.status, ''), COALESCE(s.failing_since, 0), COALESCE(s.created_at, 0),
	COALESCE(s.updated_at, 0), COALESCE(s.data, '{}')
	FROM ev LEFT JOIN webhook_subscriptions s ON s.partner_id = ev.partner_id AND s.object_type = $`+strconv.Itoa(n+1)+
		` AND s.status = $`+strconv.Itoa(n+2)+` ORDER BY s.created_at, s.id`,
		append(args, objectType, booksync.SubscriptionEnabled)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		found = true
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, false, err
		}
		if sub.ID != "" {
			subs = append(subs, sub)
		}
	}
	return subs, found, rows.Err()
}

// queueEventsDeliveries queues the deliveries of the events of evs that written holds (by id),
// written inside tx: it reads the subscriptions once per partner and object type.
func (s *Store) queueEventsDeliveries(ctx context.Context, tx *sql.Tx, evs []booksync.Event, written map[string]bool) error {
	subs := map[[2]string][]booksync.WebhookSubscription{} // by entity id and object type
	for _, ev := range evs {
		if !written[ev.ID] {
			continue
		}
		key := [2]string{ev.EntityID, ev.ObjectType}
		got, ok := subs[key]
		if !ok {
			var err error
			if got, err = queryAll(ctx, tx, scanSubscription, "SELECT "+subscriptionColumns+` FROM webhook_subscriptions
			WHERE partner_id = (SELECT partner_id FROM entities WHERE id = $1) AND object_type = $2 AND status = $3
			ORDER BY created_at, id`, ev.EntityID, ev.ObjectType, booksync.SubscriptionEnabled); err != nil {
				return fmt.Errorf("add event: subscriptions: %w", err)
			}
			subs[key] = got
		}
		if err := s.queueDeliveries(ctx, tx, ev, got); err != nil {
			return err
		}
	}
	return nil
}

// queueDeliveries writes, inside tx, one webhook_deliveries row and one River job for each
// subscription of subs that wants the event ev.
func (s *Store) queueDeliveries(ctx context.Context, tx *sql.Tx, ev booksync.Event, subs []booksync.WebhookSubscription) error {
	var jobs []river.InsertManyParams
	var args []any
	for _, sub := range subs {
		if !sub.Wants(ev.ObjectType, ev.Type()) {
			continue
		}
		id := uuid.NewString()
		args = append(args, id, ev.ID, sub.ID, ev.EntityID, ev.ObjectType, ev.Action, sub.URL, micros(ev.CreatedAt))
		jobs = append(jobs, river.InsertManyParams{Args: WebhookDeliveryArgs{DeliveryID: id}})
	}
	if len(jobs) == 0 {
		return nil
	}
	// One statement for every delivery of the event.
	var values strings.Builder
	for i := range jobs {
		if i > 0 {
			values.WriteString(", ")
		}
		b := i * 8
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+8)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, event_id, subscription_id, entity_id,
	object_type, event_action, url, created_at, updated_at) VALUES `+values.String(), args...); err != nil {
		return fmt.Errorf("store: add event: delivery: %w", mapErr(err))
	}
	client, err := s.hookClient()
	if err != nil {
		return fmt.Errorf("store: add event: river client: %w", err)
	}
	if _, err := client.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("store: add event: queue deliveries: %w", err)
	}
	return nil
}

// addObjectEvent writes, inside tx, the event that an object of the entity was created, updated or
// deleted, described in words built from its type.
func (s *Store) addObjectEvent(ctx context.Context, tx *sql.Tx, entityID, objectType, eventType, objectID string, object any, at time.Time) error {
	ev, err := objectEvent(entityID, objectType, eventType, objectID, object, at)
	if err != nil {
		return err
	}
	return s.AddEventTx(ctx, tx, ev)
}

// objectEvent returns the event that an object of the entity was created, updated or deleted at
// the given time, described in words built from its type.
func objectEvent(entityID, objectType, eventType, objectID string, object any, at time.Time) (booksync.Event, error) {
	b, err := json.Marshal(object)
	if err != nil {
		return booksync.Event{}, fmt.Errorf("store: encode %s event: %w", objectType, err)
	}
	return objectEventJSON(entityID, objectType, eventType, objectID, b, at), nil
}

// objectEventJSON is objectEvent with the object already encoded, as encoding/json encodes it.
func objectEventJSON(entityID, objectType, eventType, objectID string, object json.RawMessage, at time.Time) booksync.Event {
	ev := booksync.NewEventJSON(entityID, objectType, eventType, objectID, object,
		fmt.Sprintf("The %s %s was %s.", strings.ReplaceAll(objectType, "_", " "), objectID, eventType))
	ev.CreatedAt = at
	return ev
}

// addConnectionEvent writes, inside tx, an event of a connection (created, or its new status).
func (s *Store) addConnectionEvent(ctx context.Context, tx *sql.Tx, c *booksync.Connection, eventType string) error {
	ev, err := booksync.NewEvent(c.EntityID, booksync.EventObjectConnection, eventType, c.ID, c,
		fmt.Sprintf("The %s accounting connection %s is %s.", c.Platform, c.ID, strings.ReplaceAll(eventType, "_", " ")))
	if err != nil {
		return err
	}
	ev.CreatedAt = c.UpdatedAt
	return s.AddEventTx(ctx, tx, ev)
}

// outcomeObjects maps the object types of synced records to the webhook object types whose
// events report their pushes.
var outcomeObjects = map[string]string{
	booksync.ObjectReceivable:    booksync.EventObjectReceivable,
	booksync.ObjectPaymentRecord: booksync.EventObjectPayment,
}

// addOutcomeEvent writes, inside tx, the event of a push's outcome: the object reached the books
// (accounting_pushed) or failed there (accounting_failed, with the error's status, message and
// fix). The event's object is the synced record.
func (s *Store) addOutcomeEvent(ctx context.Context, tx *sql.Tx, r *booksync.SyncedRecord) error {
	ev, ok, err := outcomeEvent(r)
	if err != nil || !ok {
		return err
	}
	return s.addEventTx(ctx, tx, ev, nil)
}

// outcomeEvent returns the event of a push's outcome for the record r (see addOutcomeEvent), and
// false when r's object type or status has none.
func outcomeEvent(r *booksync.SyncedRecord) (booksync.Event, bool, error) {
	objectType, ok := outcomeObjects[r.ObjectType]
	if !ok {
		return booksync.Event{}, false, nil
	}
	eventType, what := booksync.EventAccountingPushed, "reached"
	switch r.SyncStatus {
	case booksync.SyncStatusDone:
	case booksync.SyncStatusError:
		eventType, what = booksync.EventAccountingFailed, "could not be pushed to"
	default:
		return booksync.Event{}, false, nil
	}
	desc := fmt.Sprintf("The %s %s %s the %s books.", strings.ReplaceAll(r.ObjectType, "_", " "), r.ObjectID, what, r.Platform)
	if r.Errors != nil {
		desc += " " + r.Errors.Message
		if len(r.Errors.Details) > 0 && r.Errors.Details[0].Fix != "" {
			desc += " Fix: " + r.Errors.Details[0].Fix
		}
	}
	ev, err := booksync.NewEvent(r.EntityID, objectType, eventType, r.ObjectID, r, desc)
	if err != nil {
		return ev, false, err
	}
	ev.CreatedAt = r.UpdatedAt
	return ev, true, nil
}

const eventColumns = "data"

func scanEvent(sc scanner, extra ...any) (booksync.Event, error) {
	var ev booksync.Event
	var data string
	if err := sc.Scan(append(extra, &data)...); err != nil {
		return ev, err
	}
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		return ev, fmt.Errorf("decode event: %w", err)
	}
	ev.CreatedAt = ev.CreatedAt.UTC()
	return ev, nil
}

var eventList = listTable[booksync.Event]{
	spec: booksync.EventList, table: "events", scope: "entity_id", columns: eventColumns, scan: scanEvent,
	// An event is written once, its updated_at its created_at: sorted by either, the list reads
	// the entity's events in the order of their index instead of sorting them all.
	sameSorts: map[string]string{"updated_at": "created_at"},
}

// Events lists the entity's events.
func (s *Store) Events(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Event], error) {
	return list(ctx, s.reader, s.d, eventList, entityID, q)
}

// Event returns an event of one of the partner's entities, or a NotFoundError.
func (s *Store) Event(ctx context.Context, partnerID, id string) (*booksync.Event, error) {
	ev, err := scanEvent(s.reader.QueryRowContext(ctx, "SELECT data FROM events WHERE partner_id = $1 AND id = $2", partnerID, id))
	if err != nil {
		return nil, wrapRead("event", mapNotFound(err, "event"))
	}
	return &ev, nil
}

const subscriptionColumns = "id, partner_id, object_type, url, status, failing_since, created_at, updated_at, data"

func scanSubscription(sc scanner, extra ...any) (booksync.WebhookSubscription, error) {
	var sub booksync.WebhookSubscription
	var id, partnerID, objectType, url, status, data string
	var failing, created, updated int64
	if err := sc.Scan(append(extra, &id, &partnerID, &objectType, &url, &status, &failing, &created, &updated, &data)...); err != nil {
		return sub, err
	}
	if err := json.Unmarshal([]byte(data), &sub); err != nil {
		return sub, fmt.Errorf("decode webhook subscription %s: %w", id, err)
	}
	sub.ID, sub.PartnerID, sub.ObjectType, sub.URL, sub.Status = id, partnerID, objectType, url, status
	sub.Secret = ""
	if failing != 0 {
		t := fromMicros(failing)
		sub.FailingSince = &t
	}
	sub.CreatedAt, sub.UpdatedAt = fromMicros(created), fromMicros(updated)
	if sub.EventTypes == nil {
		sub.EventTypes = []string{}
	}
	return sub, nil
}

var subscriptionList = listTable[booksync.WebhookSubscription]{
	spec: booksync.WebhookSubscriptionList, table: "webhook_subscriptions", scope: "partner_id",
	columns: subscriptionColumns, scan: scanSubscription,
}

func subscriptionData(sub *booksync.WebhookSubscription) (string, error) {
	stamp(&sub.CreatedAt, &sub.UpdatedAt)
	if sub.EventTypes == nil {
		sub.EventTypes = []string{}
	}
	b, err := json.Marshal(booksync.WebhookSubscription{EventTypes: sub.EventTypes})
	return string(b), err
}

// CreateSubscription stores a webhook subscription of sub.PartnerID with its sealed secret.
func (s *Store) CreateSubscription(ctx context.Context, sub *booksync.WebhookSubscription, sealedSecret string) error {
	data, err := subscriptionData(sub)
	if err != nil {
		return fmt.Errorf("store: create webhook subscription: %w", err)
	}
	_, err = s.writer.ExecContext(ctx, `INSERT INTO webhook_subscriptions
	(id, partner_id, object_type, url, status, secret, created_at, updated_at, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		sub.ID, sub.PartnerID, sub.ObjectType, sub.URL, sub.Status, sealedSecret, micros(sub.CreatedAt), micros(sub.UpdatedAt), data)
	if err != nil {
		return fmt.Errorf("store: create webhook subscription: %w", mapErr(err))
	}
	return nil
}

// Subscription returns a webhook subscription of the partner, or a NotFoundError.
func (s *Store) Subscription(ctx context.Context, partnerID, id string) (*booksync.WebhookSubscription, error) {
	sub, err := scanSubscription(s.writer.QueryRowContext(ctx, "SELECT "+subscriptionColumns+
		" FROM webhook_subscriptions WHERE partner_id = $1 AND id = $2", partnerID, id))
	if err != nil {
		return nil, wrapRead("webhook subscription", mapNotFound(err, "webhook subscription"))
	}
	return &sub, nil
}

// Subscriptions lists the partner's webhook subscriptions.
func (s *Store) Subscriptions(ctx context.Context, partnerID string, q booksync.ListQuery) (booksync.Page[booksync.WebhookSubscription], error) {
	return list(ctx, s.reader, s.d, subscriptionList, partnerID, q)
}

// UpdateSubscription writes a subscription's object type, event types, URL and status (matched by
// partner and id). Enabling it forgets its failures.
func (s *Store) UpdateSubscription(ctx context.Context, sub *booksync.WebhookSubscription) error {
	data, err := subscriptionData(sub)
	if err != nil {
		return fmt.Errorf("store: update webhook subscription: %w", err)
	}
	return execOne(ctx, s.writer, "webhook subscription", "update webhook subscription", `UPDATE webhook_subscriptions
	SET object_type = $1, url = $2, status = $3, updated_at = $4, data = $5,
	failing_since = CASE WHEN $3 = 'enabled' AND status <> 'enabled' THEN 0 ELSE failing_since END
	WHERE partner_id = $6 AND id = $7`,
		sub.ObjectType, sub.URL, sub.Status, micros(sub.UpdatedAt), data, sub.PartnerID, sub.ID)
}

// SetSubscriptionSecret replaces a subscription's sealed secret; the old one stops signing at once.
func (s *Store) SetSubscriptionSecret(ctx context.Context, partnerID, id, sealedSecret string, at time.Time) error {
	return execOne(ctx, s.writer, "webhook subscription", "set webhook secret",
		"UPDATE webhook_subscriptions SET secret = $1, updated_at = $2 WHERE partner_id = $3 AND id = $4",
		sealedSecret, micros(at), partnerID, id)
}

// DeleteSubscription deletes a webhook subscription; its pending deliveries end unsent.
func (s *Store) DeleteSubscription(ctx context.Context, partnerID, id string) error {
	return execOne(ctx, s.writer, "webhook subscription", "delete webhook subscription",
		"DELETE FROM webhook_subscriptions WHERE partner_id = $1 AND id = $2", partnerID, id)
}

// DeliveryJob is what a delivery attempt needs: the delivery, its event, its subscription (nil
// when deleted) and the subscription's sealed secret.
type DeliveryJob struct {
	Delivery     booksync.WebhookDelivery
	Event        booksync.Event
	Subscription *booksync.WebhookSubscription
	SealedSecret string
}

const deliveryColumns = `id, event_id, subscription_id, entity_id, object_type, event_action, url, requests_made_count,
response_status_code, response, was_successful, created_at, updated_at`

func scanDelivery(sc scanner, extra ...any) (booksync.WebhookDelivery, error) {
	var d booksync.WebhookDelivery
	var code, success, created, updated, count int64
	var response string
	if err := sc.Scan(append(extra, &d.ID, &d.EventID, &d.SubscriptionID, &d.EntityID, &d.ObjectType, &d.EventAction,
		&d.URL, &count, &code, &response, &success, &created, &updated)...); err != nil {
		return d, err
	}
	d.RequestsMadeCount = int(count)
	if count > 0 {
		c, ok := int(code), success == 1
		d.Response, d.ResponseStatusCode, d.WasSuccessful = &response, &c, &ok
		if code == 0 {
			d.ResponseStatusCode = nil // no answer: a timeout or a refused connection
		}
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, nil
}

var deliveryList = listTable[booksync.WebhookDelivery]{
	spec: booksync.WebhookDeliveryList, table: "webhook_deliveries", scope: "entity_id",
	globalLookups: []string{"event_id"},
	columns:       deliveryColumns, scan: scanDelivery,
}

// Deliveries lists the deliveries of the entity's events.
func (s *Store) Deliveries(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.WebhookDelivery], error) {
	return list(ctx, s.reader, s.d, deliveryList, entityID, q)
}

// DeliveryJob reads what an attempt of a delivery needs. It reads from the reader pool: the job
// runs only once the transaction that queued it has committed, and on SQLite the writer
// connection stays free for the pushes.
func (s *Store) DeliveryJob(ctx context.Context, deliveryID string) (*DeliveryJob, error) {
	d, err := scanDelivery(s.reader.QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1", deliveryID))
	if err != nil {
		return nil, wrapRead("webhook delivery", mapNotFound(err, "webhook delivery"))
	}
	j := &DeliveryJob{Delivery: d}
	j.Event, err = scanEvent(s.reader.QueryRowContext(ctx, "SELECT data FROM events WHERE id = $1", d.EventID))
	if err != nil {
		return nil, wrapRead("event", mapNotFound(err, "event"))
	}
	var sealed string
	sub, err := scanSubscription(s.reader.QueryRowContext(ctx, "SELECT secret, "+subscriptionColumns+
		" FROM webhook_subscriptions WHERE id = $1", d.SubscriptionID), &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return j, nil // deleted
	} else if err != nil {
		return nil, wrapRead("webhook subscription", err)
	}
	j.Subscription, j.SealedSecret = &sub, sealed
	return j, nil
}

// SubscriptionSecret returns a subscription's sealed secret.
func (s *Store) SubscriptionSecret(ctx context.Context, partnerID, id string) (string, error) {
	var sealed string
	err := s.reader.QueryRowContext(ctx, "SELECT secret FROM webhook_subscriptions WHERE partner_id = $1 AND id = $2", partnerID, id).Scan(&sealed)
	if err != nil {
		return "", wrapRead("webhook subscription", mapNotFound(err, "webhook subscription"))
	}
	return sealed, nil
}

// Attempt is the outcome of one request of a delivery.
type Attempt struct {
	URL        string // where it was sent: the subscription's URL at the time
	StatusCode int    // 0 when no answer came (a timeout, a refused connection)
	Response   string // an excerpt of the answer, or what went wrong
	OK         bool
	At         time.Time
}

// RecordAttempt records an attempt of a delivery and, on its subscription, when it began to fail
// (cleared by a success). It returns that time, zero when the subscription is not failing.
func (s *Store) RecordAttempt(ctx context.Context, deliveryID, subscriptionID string, a Attempt) (time.Time, error) {
	var since int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET requests_made_count = requests_made_count + 1,
		response_status_code = $1, response = $2, was_successful = $3, updated_at = $4, url = $5 WHERE id = $6`,
			a.StatusCode, a.Response, boolInt(a.OK), micros(a.At), a.URL, deliveryID); err != nil {
			return fmt.Errorf("store: record webhook attempt: %w", err)
		}
		if a.OK {
			// Most attempts succeed for a receiver that is not failing: then nothing changes.
			_, err := tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET failing_since = 0 WHERE id = $1 AND failing_since <> 0", subscriptionID)
			if err != nil {
				return fmt.Errorf("store: record webhook attempt: %w", err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET failing_since = $2 WHERE id = $1 AND failing_since = 0",
			subscriptionID, micros(a.At)); err != nil {
			return fmt.Errorf("store: record webhook attempt: %w", err)
		}
		err := tx.QueryRowContext(ctx, "SELECT failing_since FROM webhook_subscriptions WHERE id = $1", subscriptionID).Scan(&since)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || since == 0 {
		return time.Time{}, err
	}
	return fromMicros(since), nil
}

// DisableSubscription disables an enabled subscription and writes ev in the same transaction. It
// reports false, writing nothing, when the subscription is no longer enabled.
func (s *Store) DisableSubscription(ctx context.Context, id string, at time.Time, ev booksync.Event) (bool, error) {
	disabled := false
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
			booksync.SubscriptionDisabled, micros(at), id, booksync.SubscriptionEnabled)
		if err != nil {
			return fmt.Errorf("store: disable webhook subscription: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		s.targets.forget()
		disabled = true
		return s.AddEventTx(ctx, tx, ev)
	})
	return disabled, err
}
