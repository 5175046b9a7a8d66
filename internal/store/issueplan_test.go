package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// An invoice's issue planned before its transaction (PlanIssue) writes, in a transaction run again
// after the first was rolled back, what the first run would have: each run starts from the plan, takes the
// entity's next free number (skipping one given by hand), and writes the invoice and its event with
// that number where the plan left a mark.
func TestPlannedIssueRunsAgainFromThePlan(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			ent := newPartnerEntity(t, s, booksync.Settings{})
			draft := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			byHand := newDraft(t, s, ent.ID, booksync.ReceivableTypeInvoice, at)
			first := "INV-00001"
			byHand.DocumentID = &first
			if err := s.UpdateReceivable(ctx, byHand); err != nil {
				t.Fatal(err)
			}

			started, err := store.StartIssueOf(draft, at)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := s.PlanIssue(started, issuedEvent(at))
			if err != nil {
				t.Fatal(err)
			}
			if started.DocumentID != nil || started.Version != draft.Version {
				t.Fatalf("planning changed the receivable: document %v, version %d", started.DocumentID, started.Version)
			}
			lost := errors.New("the batch was lost")
			var issued *booksync.Receivable
			for run, want := range []error{lost, nil} {
				err := s.InTx(ctx, func(tx *sql.Tx) error {
					r, err := s.FinishPlannedIssueTx(ctx, tx, plan, true)
					if err != nil {
						return err
					}
					issued = r
					return want
				})
				if !errors.Is(err, want) {
					t.Fatalf("run %d: %v, want %v", run+1, err, want)
				}
			}
			if issued.DocumentID == nil || *issued.DocumentID != "INV-00002" || issued.Version != draft.Version+1 {
				t.Fatalf("issued: document %v, version %d; want INV-00002, version %d", issued.DocumentID, issued.Version, draft.Version+1)
			}
			stored, err := s.Receivable(ctx, ent.ID, draft.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != booksync.StatusIssued || stored.DocumentID == nil || *stored.DocumentID != "INV-00002" || stored.Version != draft.Version+1 {
				t.Fatalf("stored: %s, document %v, version %d", stored.Status, stored.DocumentID, stored.Version)
			}
			var data, column, evData string
			if err := s.Reader().QueryRow("SELECT data, document_id FROM receivables WHERE id = $1", draft.ID).Scan(&data, &column); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(data, "number-") || column != "INV-00002" {
				t.Fatalf("the stored invoice: document_id %q, data %s", column, data)
			}
			if err := s.Reader().QueryRow("SELECT data FROM events WHERE object_id = $1 AND action = 'receivable.issued'", draft.ID).Scan(&evData); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(evData, "number-") {
				t.Fatalf("the stored event keeps the number's mark: %s", evData)
			}
			page, err := s.Events(ctx, ent.ID, booksync.ListQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var events []booksync.Event
			for _, ev := range page.Items {
				if ev.ObjectID == draft.ID && ev.Action == "receivable.issued" {
					events = append(events, ev)
				}
			}
			if len(events) != 1 {
				t.Fatalf("%d issued events of the invoice, want 1", len(events))
			}
			var obj booksync.Receivable
			if err := json.Unmarshal(events[0].Object, &obj); err != nil || obj.DocumentID == nil || *obj.DocumentID != "INV-00002" {
				t.Fatalf("the event's invoice: %s (%v)", events[0].Object, err)
			}
			if !strings.HasSuffix(events[0].Description, "INV-00002 is issued.") {
				t.Fatalf("the event's description: %q", events[0].Description)
			}
		})
	}
}
