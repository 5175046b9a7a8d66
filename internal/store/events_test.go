package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/api"
	"github.com/booksync/booksync/internal/store"
)

// TestEventsAreAnOutbox checks, on both databases, that an event and its deliveries (rows and River
// jobs) commit with the transaction that writes them or not at all, that only the enabled
// subscriptions of the entity's partner that want the event get a delivery, and that the events
// list pages in the order they were written.
func TestEventsAreAnOutbox(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			partner, other := uuid.NewString(), uuid.NewString()
			for _, p := range []string{partner, other} {
				if err := s.CreatePartner(ctx, booksync.Partner{ID: p}, api.HashSecret("x")); err != nil {
					t.Fatal(err)
				}
			}
			ent := &booksync.Entity{ID: uuid.NewString(), PartnerID: partner, Type: "organization"}
			if err := s.CreateEntity(ctx, ent, booksync.Settings{}); err != nil {
				t.Fatal(err)
			}
			sub := func(partnerID, objectType, status string, types ...string) string {
				ws := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: partnerID, ObjectType: objectType,
					EventTypes: types, URL: "https://example.com/h", Status: status}
				if err := s.CreateSubscription(ctx, ws, "sealed"); err != nil {
					t.Fatal(err)
				}
				return ws.ID
			}
			all := sub(partner, "receivable", booksync.SubscriptionEnabled)
			issuedOnly := sub(partner, "receivable", booksync.SubscriptionEnabled, "issued")
			sub(partner, "receivable", booksync.SubscriptionDisabled)
			sub(partner, "product", booksync.SubscriptionEnabled)
			sub(other, "receivable", booksync.SubscriptionEnabled)

			event := func(eventType string) booksync.Event {
				ev, err := booksync.NewEvent(ent.ID, "receivable", eventType, uuid.NewString(), map[string]int{"n": 1}, "test")
				if err != nil {
					t.Fatal(err)
				}
				return ev
			}
			boom := errors.New("the change failed")
			err := s.InTx(ctx, func(tx *sql.Tx) error {
				if err := s.AddEventTx(ctx, tx, event("created")); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("rolled back: %v", err)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM events") + count(t, s, "SELECT COUNT(*) FROM webhook_deliveries") +
				count(t, s, "SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_delivery'"); n != 0 {
				t.Fatalf("a rolled-back event left %d rows", n)
			}

			// An event of no entity is refused as such, and writes nothing.
			orphan := event("created")
			orphan.EntityID = uuid.NewString()
			err = s.InTx(ctx, func(tx *sql.Tx) error { return s.AddEventTx(ctx, tx, orphan) })
			var nf *store.NotFoundError
			if !errors.As(err, &nf) || nf.Object != "entity" {
				t.Fatalf("an event of no entity: %v, want the entity not found", err)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM events"); n != 0 {
				t.Fatalf("an event of no entity left %d events", n)
			}

			for _, et := range []string{"created", "issued", "canceled"} {
				if err := s.InTx(ctx, func(tx *sql.Tx) error { return s.AddEventTx(ctx, tx, event(et)) }); err != nil {
					t.Fatal(err)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM events WHERE entity_id = $1 AND partner_id = $2", ent.ID, partner); n != 3 {
				t.Errorf("events of the entity under its partner: %d, want 3", n)
			}
			// all: 3 events; issuedOnly: 1; the disabled, the product and the other partner's: none.
			for id, want := range map[string]int{all: 3, issuedOnly: 1} {
				if n := count(t, s, "SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = $1", id); n != want {
					t.Errorf("deliveries to %s: %d, want %d", id, n, want)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM webhook_deliveries"); n != 4 {
				t.Errorf("deliveries: %d, want 4", n)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_delivery' AND queue = 'webhooks'"); n != 4 {
				t.Errorf("delivery jobs: %d, want 4", n)
			}

			var got []string
			q := booksync.ListQuery{Limit: 2, Filters: []booksync.Filter{{Field: "object_type", Values: []any{"receivable"}}}}
			for {
				page, err := s.Events(ctx, ent.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range page.Items {
					got = append(got, ev.Action)
				}
				if page.Next == nil {
					break
				}
				q.After = page.Next
			}
			want := []string{"receivable.created", "receivable.issued", "receivable.canceled"}
			if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Errorf("events: %v, want %v", got, want)
			}
			if page, err := s.Events(ctx, uuid.NewString(), booksync.ListQuery{Limit: 10}); err != nil || len(page.Items) != 0 {
				t.Errorf("another entity's events: %v %v", page.Items, err)
			}

			// A failing receiver: failing_since is its first failure, until a success clears it.
			var deliveryID string
			if err := s.Reader().QueryRow("SELECT id FROM webhook_deliveries WHERE subscription_id = $1", issuedOnly).Scan(&deliveryID); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, a := range []store.Attempt{{URL: "https://example.com/h", StatusCode: 500, At: t0}, {URL: "https://example.com/h", At: t0.Add(time.Hour)}} {
				since, err := s.RecordAttempt(ctx, deliveryID, issuedOnly, a)
				if err != nil || !since.Equal(t0) {
					t.Fatalf("attempt %d: failing since %v (%v), want %v", i, since, err, t0)
				}
			}
			since, err := s.RecordAttempt(ctx, deliveryID, issuedOnly, store.Attempt{URL: "https://example.com/new", StatusCode: 204, OK: true, At: t0.Add(2 * time.Hour)})
			if err != nil || !since.IsZero() {
				t.Fatalf("after a success: failing since %v (%v)", since, err)
			}
			j, err := s.DeliveryJob(ctx, deliveryID)
			if err != nil {
				t.Fatal(err)
			}
			dl := j.Delivery
			if dl.RequestsMadeCount != 3 || dl.WasSuccessful == nil || !*dl.WasSuccessful || dl.ResponseStatusCode == nil || *dl.ResponseStatusCode != 204 ||
				dl.URL != "https://example.com/new" || j.SealedSecret != "sealed" || j.Subscription == nil || j.Subscription.ID != issuedOnly {
				t.Errorf("delivery after three attempts: %+v, subscription %+v", dl, j.Subscription)
			}
		})
	}
}

func count(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Writer().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newPartnerEntity creates a partner and an entity of it with settings.
func newPartnerEntity(t *testing.T, s *store.Store, settings booksync.Settings) *booksync.Entity {
	t.Helper()
	ctx := context.Background()
	partner := uuid.NewString()
	if err := s.CreatePartner(ctx, booksync.Partner{ID: partner}, api.HashSecret("x")); err != nil {
		t.Fatal(err)
	}
	ent := &booksync.Entity{ID: uuid.NewString(), PartnerID: partner, Type: "organization"}
	if err := s.CreateEntity(ctx, ent, settings); err != nil {
		t.Fatal(err)
	}
	return ent
}

// newDraft creates a draft receivable of type typ (an invoice or a credit note) for the entity,
// created at at, and returns it.
func newDraft(t *testing.T, s *store.Store, entityID, typ string, at time.Time) *booksync.Receivable {
	t.Helper()
	r := &booksync.Receivable{ID: uuid.NewString(), EntityID: entityID, Type: typ, Status: booksync.StatusDraft,
		Currency: "EUR", CounterpartID: uuid.NewString(), CounterpartName: "Globex", CreatedAt: at, UpdatedAt: at}
	if err := s.CreateReceivable(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// newConnectionOf returns a connection of the entity to platform in status, made at at, not
// stored yet.
func newConnectionOf(entityID, platform, status string, at time.Time) *booksync.Connection {
	return &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, CreatedAt: at, UpdatedAt: at,
		Platform: platform, Status: status, Errors: []booksync.ConnectionError{}, TenantID: uuid.NewString()}
}

// issuedEvent is the event of a receivable issued at at, as the invoicing service writes it.
func issuedEvent(at time.Time) store.IssueEvent {
	return func(r *booksync.Receivable, object json.RawMessage) booksync.Event {
		return booksync.ReceivableEventJSON(r, booksync.EventIssued, at, object)
	}
}

// issueWithEvent issues the entity's draft id at at, with its issued event, as the invoicing service
// does, and returns it as issued.
func issueWithEvent(t *testing.T, s *store.Store, entityID, id string, at time.Time) *booksync.Receivable {
	t.Helper()
	ctx := context.Background()
	var out *booksync.Receivable
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		r, err := s.StartIssueTx(ctx, tx, entityID, id, at)
		if err != nil {
			return err
		}
		out = r
		return s.FinishIssueTx(ctx, tx, r, issuedEvent(at), true) // the entity has no connection
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSettleSyncedRecords checks, on both databases, that settling a batch of push outcomes writes
// each record that is still as the push read it, with the event of its outcome and that event's
// deliveries, and writes nothing for a record written since: neither the record nor an event.
func TestSettleSyncedRecords(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			ent := newPartnerEntity(t, s, booksync.Settings{})
			partner := ent.PartnerID
			sub := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: partner, ObjectType: "receivable",
				EventTypes: []string{booksync.EventAccountingPushed}, URL: "https://example.com/h", Status: booksync.SubscriptionEnabled}
			if err := s.CreateSubscription(ctx, sub, "sealed"); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			c := newConnectionOf(ent.ID, booksync.PlatformXero, booksync.ConnectionConnected, t0)
			c.NextSyncAt = t0.Add(time.Hour)
			if err := s.CreateConnection(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
			var recs []*booksync.SyncedRecord
			var readAt []time.Time
			for range 3 {
				r := &booksync.SyncedRecord{ID: uuid.NewString(), EntityID: ent.ID, ConnectionID: c.ID, CreatedAt: t0, UpdatedAt: t0,
					ObjectType: booksync.ObjectReceivable, ObjectID: uuid.NewString(), SyncStatus: booksync.SyncStatusPending,
					LastPulledAt: t0, Platform: c.Platform, Auto: true}
				if err := s.InTx(ctx, func(tx *sql.Tx) error { _, _, err := s.EnsureSyncedRecord(ctx, tx, r); return err }); err != nil {
					t.Fatal(err)
				}
				recs, readAt = append(recs, r), append(readAt, t0)
			}
			// The second record was attempted twice meanwhile; the third was pushed again since.
			if err := s.MarkAttempted(ctx, []string{recs[1].ID}); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkAttempted(ctx, []string{recs[1].ID}); err != nil {
				t.Fatal(err)
			}
			again := *recs[2]
			again.UpdatedAt = t0.Add(time.Second)
			if err := s.UpdateSyncedRecord(ctx, &again); err != nil {
				t.Fatal(err)
			}
			pid := "INV-1"
			out := []*booksync.SyncedRecord{{}, {}, {}}
			for i, r := range recs {
				*out[i] = *r
				out[i].UpdatedAt = t0.Add(2 * time.Second)
			}
			out[0].SyncStatus, out[0].PlatformObjectID = booksync.SyncStatusDone, &pid
			out[1].SyncStatus, out[1].Attempts = booksync.SyncStatusError, 1
			out[1].Errors = &booksync.SyncError{Status: "x", Message: "Tax rate does not exist"}
			out[2].SyncStatus = booksync.SyncStatusDone
			ok, err := s.SettleSyncedRecords(ctx, out, readAt)
			if err != nil {
				t.Fatal(err)
			}
			if !ok[0] || !ok[1] || ok[2] {
				t.Fatalf("written: %v, want [true true false]", ok)
			}
			for i, want := range []struct {
				status   string
				attempts int
			}{{booksync.SyncStatusDone, 0}, {booksync.SyncStatusError, 2}, {booksync.SyncStatusPending, 0}} {
				got, err := s.RecordFor(ctx, c.ID, recs[i].ObjectType, recs[i].ObjectID)
				if err != nil {
					t.Fatal(err)
				}
				if got.SyncStatus != want.status || got.Attempts != want.attempts {
					t.Errorf("record %d: %s, %d attempts; want %s, %d", i, got.SyncStatus, got.Attempts, want.status, want.attempts)
				}
			}
			if got, _ := s.RecordFor(ctx, c.ID, recs[0].ObjectType, recs[0].ObjectID); got == nil || got.PlatformObjectID == nil || *got.PlatformObjectID != pid {
				t.Errorf("record 0 lost its id in the books: %+v", got)
			}
			page, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10,
				Filters: []booksync.Filter{{Field: "object_type", Values: []any{"receivable"}}}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range page.Items {
				got = append(got, ev.Action+" "+ev.ObjectID)
			}
			want := []string{"receivable.accounting_pushed " + recs[0].ObjectID, "receivable.accounting_failed " + recs[1].ObjectID}
			if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("events: %v, want %v", got, want)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = $1", sub.ID); n != 1 {
				t.Errorf("deliveries: %d, want 1 (the pushed event's)", n)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM river_job WHERE kind = 'webhook_delivery'"); n != 1 {
				t.Errorf("delivery jobs: %d, want 1", n)
			}
		})
	}
}

// TestIssuedDocumentsCarryTheirNumber checks, on both databases, that an issued invoice and credit
// note hold their number in their row, their data and their event's object and description, with
// a credit-note prefix that JSON escapes, and that an invoice is created with its event both when
// no webhook subscription wants it and when one does (and then gets its delivery).
func TestIssuedDocumentsCarryTheirNumber(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			const prefix = `C"N<&>`
			ent := newPartnerEntity(t, s, booksync.Settings{Other: map[string]json.RawMessage{
				"document_ids": json.RawMessage(`{"document_type_prefix":{"credit_note":"C\"N<&>"}}`)}})
			partner := ent.PartnerID
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			create := func(typ string) string { return newDraft(t, s, ent.ID, typ, at).ID }
			issue := func(id string) *booksync.Receivable { return issueWithEvent(t, s, ent.ID, id, at) }
			inv := create(booksync.ReceivableTypeInvoice)
			sub := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: partner, ObjectType: "receivable",
				URL: "https://example.com/h", Status: booksync.SubscriptionEnabled}
			if err := s.CreateSubscription(ctx, sub, "sealed"); err != nil {
				t.Fatal(err)
			}
			cn := create(booksync.ReceivableTypeCreditNote)
			for _, c := range []struct{ id, doc, what string }{{inv, "INV-00001", "Invoice"}, {cn, prefix + "-00001", "Credit note"}} {
				if r := issue(c.id); r.DocumentID == nil || *r.DocumentID != c.doc || r.Version != 2 {
					t.Fatalf("issued %s: document %v version %d, want %s version 2", c.what, r.DocumentID, r.Version, c.doc)
				}
				stored, err := s.Receivable(ctx, ent.ID, c.id)
				if err != nil || stored.DocumentID == nil || *stored.DocumentID != c.doc {
					t.Fatalf("stored %s: %+v %v, want %s", c.what, stored, err, c.doc)
				}
				var column string
				if err := s.Reader().QueryRow("SELECT document_id FROM receivables WHERE id = $1", c.id).Scan(&column); err != nil || column != c.doc {
					t.Fatalf("document_id column of the %s: %q %v, want %q", c.what, column, err, c.doc)
				}
			}
			page, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var issued []string
			for _, ev := range page.Items {
				if ev.Action != "receivable.issued" {
					continue
				}
				var obj booksync.Receivable
				if err := json.Unmarshal(ev.Object, &obj); err != nil || obj.DocumentID == nil {
					t.Fatalf("event object %s: %v", ev.Object, err)
				}
				if want := fmt.Sprintf("%s is issued.", *obj.DocumentID); !strings.HasSuffix(ev.Description, want) {
					t.Errorf("event description %q, want it to end %q", ev.Description, want)
				}
				issued = append(issued, *obj.DocumentID)
			}
			slices.Sort(issued)
			if want := []string{prefix + "-00001", "INV-00001"}; !slices.Equal(issued, want) {
				t.Errorf("issued events' document ids %q, want %q", issued, want)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM events WHERE action = 'receivable.created'"); n != 2 {
				t.Errorf("created events: %d, want 2", n)
			}
			// The subscription came after the invoice's creation: its deliveries are the credit
			// note's creation and issue and the invoice's issue.
			if n := count(t, s, "SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = $1", sub.ID); n != 3 {
				t.Errorf("deliveries: %d, want 3", n)
			}
		})
	}
}

// An invoice's created and issued events hold the invoice as the API encodes it, and each event's
// row holds what encoding/json writes for the event: the store builds both from the encodings it
// made to write the invoice, and they must not differ from encoding them afresh by a byte (HTML
// characters, which the encoder escapes, and metadata included).
func TestReceivableEventsHoldTheInvoiceAsEncoded(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			ent := newPartnerEntity(t, s, booksync.Settings{})
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			memo := `Net 30 <b>&</b> "thanks" é`
			r := &booksync.Receivable{ID: uuid.NewString(), EntityID: ent.ID, Type: booksync.ReceivableTypeInvoice,
				Status: booksync.StatusDraft, Currency: "EUR", CounterpartID: uuid.NewString(), CounterpartName: "Globex <&>",
				CreatedAt: at, UpdatedAt: at, Memo: &memo, PartnerMetadata: map[string]any{"z": "<tag>", "a": float64(2)},
				LineItems: []booksync.LineItem{{Product: booksync.LineProduct{Name: "Widget & <co>",
					Price: booksync.Price{Currency: "EUR", Value: 1250}}, TotalBeforeVAT: 1250, TotalAfterVAT: 1250}},
				Subtotal: 1250, DiscountedSubtotal: 1250, TotalAmount: 1250}
			if err := s.CreateReceivable(ctx, r); err != nil {
				t.Fatal(err)
			}
			created, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var issuedAs *booksync.Receivable
			if err := s.InTx(ctx, func(tx *sql.Tx) error {
				issue, err := s.StartIssueTx(ctx, tx, ent.ID, r.ID, at.Add(time.Hour))
				if err != nil {
					return err
				}
				issuedAs = issue
				return s.FinishIssueTx(ctx, tx, issue, func(r *booksync.Receivable, object json.RawMessage) booksync.Event {
					return booksync.ReceivableEventJSON(r, booksync.EventIssued, at.Add(time.Hour), object)
				}, false)
			}); err != nil {
				t.Fatal(err)
			}
			issued, err := json.Marshal(issuedAs)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{"receivable.created": created, "receivable.issued": issued}
			page, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != len(want) {
				t.Fatalf("%d events, want %d", len(page.Items), len(want))
			}
			for _, ev := range page.Items {
				if !bytes.Equal(ev.Object, want[ev.Action]) {
					t.Errorf("%s event's object:\n%s\nwant the invoice as encoded:\n%s", ev.Action, ev.Object, want[ev.Action])
				}
				var row string
				if err := s.Reader().QueryRow("SELECT data FROM events WHERE id = $1", ev.ID).Scan(&row); err != nil {
					t.Fatal(err)
				}
				if encoded, err := json.Marshal(ev); err != nil || row != string(encoded) {
					t.Errorf("%s event's row:\n%s\nwant what encoding the event gives:\n%s (%v)", ev.Action, row, encoded, err)
				}
			}
		})
	}
}

// TestDocumentNumbersGoPastFiveDigits checks, on both databases, that numbers are written as
// "%05d" writes them, past 99999 too (PostgreSQL writes the digits in SQL), in the receivable's
// column, its JSON and its event.
func TestDocumentNumbersGoPastFiveDigits(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			ent := newPartnerEntity(t, s, booksync.Settings{})
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			if err := s.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE entity_counters SET next_document_number = 99999 WHERE entity_id = $1", ent.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"INV-99999", "INV-100000"} {
				r := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
				issued := issueWithEvent(t, s, ent.ID, r.ID, at)
				if doc := issued.DocumentID; doc == nil || *doc != want {
					t.Fatalf("issued as %+v, want %s", issued, want)
				}
				var column string
				if err := s.Reader().QueryRow("SELECT document_id FROM receivables WHERE id = $1", r.ID).Scan(&column); err != nil || column != want {
					t.Fatalf("document_id column %q (%v), want %s", column, err, want)
				}
				stored, err := s.Receivable(ctx, ent.ID, r.ID)
				if err != nil || stored.DocumentID == nil || *stored.DocumentID != want {
					t.Fatalf("stored %+v (%v), want %s", stored, err, want)
				}
				page, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var evs []booksync.Event
				for _, ev := range page.Items {
					if ev.ObjectID == r.ID && ev.Action == "receivable.issued" {
						evs = append(evs, ev)
					}
				}
				if len(evs) != 1 {
					t.Fatalf("%d issued events of %s, want 1", len(evs), want)
				}
				ev := evs[0]
				var object booksync.Receivable
				if err := json.Unmarshal(ev.Object, &object); err != nil || object.DocumentID == nil || *object.DocumentID != want ||
					ev.Description != "Invoice "+want+" is issued." {
					t.Fatalf("event %q with object %s (%v), want %s", ev.Description, ev.Object, err, want)
				}
			}
		})
	}
}

// An event whose object is not JSON would make the event, and the entity's list of events,
// unreadable: it is refused, and its transaction writes nothing.
func TestAnEventWhoseObjectIsNotJSONIsRefused(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			ent := newPartnerEntity(t, s, booksync.Settings{})
			for _, object := range []string{`{"a":`, `{"a":1}}`, `nul`} {
				ev := booksync.NewEventJSON(ent.ID, booksync.EventObjectProduct, booksync.EventCreated, uuid.NewString(),
					json.RawMessage(object), "A product was created.")
				err := s.InTx(ctx, func(tx *sql.Tx) error { return s.AddEventTx(ctx, tx, ev) })
				if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
					t.Errorf("an event with the object %q: %v, want it refused as not JSON", object, err)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM events WHERE entity_id = $1", ent.ID); n != 0 {
				t.Errorf("%d events written, want none", n)
			}
			if _, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10}); err != nil {
				t.Errorf("the entity's events cannot be listed: %v", err)
			}
		})
	}
}
