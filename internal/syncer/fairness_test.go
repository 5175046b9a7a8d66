package syncer_test

import (
	"context"
	"slices"
	"testing"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/google/uuid"
)

// TestBacklogDoesNotStarveAnotherConnection gives one worker to two entities: the first has a
// backlog of many rounds, the second issues one invoice while that backlog is being pushed. The
// second entity's invoice must reach the books before the first entity's backlog is through: a
// push hands its worker over between rounds to a job that waits for one.
func TestBacklogDoesNotStarveAnotherConnection(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		entered, release := make(chan struct{}), make(chan struct{})
		held := blockOn("", entered, release, func(invs []platform.Invoice) ([]platform.Result, error) {
			return acceptAll(invs), nil
		})
		books.PushInvoicesFn = log.wrap(func(ctx context.Context, _ int, invs []platform.Invoice) ([]platform.Result, error) {
			return held(ctx, invs)
		})
		big, _ := startedEngine(t, dsn, books, engineOptions{Workers: 1, BatchSize: 10, PushRounds: 2})
		small := big.otherEntity()

		// The big entity's first push holds the only worker while its backlog builds up: 20
		// rounds of 10 invoices.
		first := big.issue("")
		<-entered
		backlog := []string{first}
		for range 200 {
			backlog = append(backlog, big.issue(""))
		}
		lone := small.issue("")
		close(release)

		if rec := small.settled(lone); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("the second entity's invoice: %+v", rec)
		}
		for _, id := range backlog {
			big.settled(id)
		}
		pushes := log.pushes()
		at := slices.IndexFunc(pushes, func(p []platform.Invoice) bool {
			return slices.ContainsFunc(p, func(inv platform.Invoice) bool { return inv.Ref == lone })
		})
		after := 0
		for _, p := range pushes[at+1:] {
			for _, inv := range p {
				if slices.Contains(backlog, inv.Ref) {
					after++
				}
			}
		}
		// With the hand-over after every two rounds, at most 3 rounds (30 invoices) go first.
		if after < len(backlog)-3*10 {
			t.Fatalf("the second entity's invoice was pushed after %d of the first entity's %d backlog invoices", len(backlog)-after, len(backlog))
		}
	})
}

// otherEntity returns a bundle for a second entity on the same engine and store, connected to the
// same books, pulled, with a default sales account.
func (b *bundle) otherEntity() *bundle {
	b.t.Helper()
	o := &bundle{t: b.t, ctx: b.ctx, st: b.st, e: b.e}
	o.entity = &booksync.Entity{ID: uuid.NewString(), PartnerID: b.entity.PartnerID, Type: booksync.EntityTypeOrganization,
		Status: booksync.EntityStatusActive, Address: b.entity.Address, Organization: &booksync.Organization{LegalName: "Initech GmbH"}}
	must(b.t, b.st.CreateEntity(b.ctx, o.entity, booksync.Settings{VATMode: booksync.VATModeExclusive}))
	o.connect()
	o.waitForPull()
	o.setDefaultSalesAccount()
	return o
}
