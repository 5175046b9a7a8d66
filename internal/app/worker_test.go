package app_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/testlog"
)

// TestWorkerPushes runs the sync jobs in a worker (app.NewWorker, as `booksync worker` builds it)
// beside an app that only queues them, on one PostgreSQL database: the worker connects, pulls and
// pushes to the sandbox the serving app serves, and builds no API, dashboard or sandbox of its own.
func TestWorkerPushes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	s := newStackWith(t, dsn, func(cfg *app.Config) { cfg.Workers = -1 })
	w, err := app.NewWorker(context.Background(), app.Config{DB: dsn, PublicURL: s.url,
		SecretKey: bytes.Repeat([]byte{1}, 32), Workers: 2, GnuCashDir: t.TempDir(), Logger: testlog.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	if w.API != nil || w.Dashboard != nil || w.XeroSandbox != nil || w.QuickBooksSandbox != nil || w.Handler() != nil {
		t.Fatalf("a worker built what it never serves: API %v, dashboard %v, sandboxes %v %v, handler %v",
			w.API != nil, w.Dashboard != nil, w.XeroSandbox != nil, w.QuickBooksSandbox != nil, w.Handler() != nil)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(10 * time.Second); err != nil {
			t.Error(err)
		}
	})

	c := s.partner().newEntity()
	r := c.customerAndProduct("Worker Trading Ltd", nil)
	_, tenant := c.connect()
	c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
		"ledger_account_ids": map[string]any{"products": c.idByName("/ledger_accounts", "Sales")}}}, 200, nil)
	inv, num := c.issue(r, nil, line(r.product, 1, 2000))
	rec := c.record("receivable", inv)
	if rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
		t.Fatalf("record pushed by the worker: %s", rec)
	}
	books := s.app.XeroSandbox.Invoices(tenant)
	if len(books) != 1 || books[0].InvoiceNumber != num || books[0].InvoiceID != *rec.PlatformObjectID {
		t.Fatalf("the sandbox's invoices: %+v", books)
	}
}
