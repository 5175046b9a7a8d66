package app_test

import (
	"context"
	"testing"
	"time"
)

// TestHourlySync shows the sweeper syncing a connection whose hour is up: it pulls what changed in
// the books (a new tax rate) and schedules the next sync an hour later; a connection whose hour is
// not up is left alone.
func TestHourlySync(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		c := s.partner().newEntity()
		connID, tenant := c.connect()
		conn, err := s.app.Store.Connection(ctx, c.entityID, connID)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(conn.NextSyncAt); d < 59*time.Minute || d > 61*time.Minute {
			t.Fatalf("next sync after connecting is in %v, want an hour", d)
		}
		if _, err := s.app.XeroSandbox.AddTaxRate(ctx, tenant, "12.5% (VAT on Income)", newAmount("12.5")); err != nil {
			t.Fatal(err)
		}
		has := func() bool {
			var l struct {
				Data []struct {
					EffectiveTaxRate int64 `json:"effective_tax_rate"`
				}
			}
			c.do("GET", "/accounting_tax_rates", nil, 200, &l)
			for _, d := range l.Data {
				if d.EffectiveTaxRate == 1250 {
					return true
				}
			}
			return false
		}
		// Not due yet: a sweep does nothing.
		if err := s.app.Engine.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if has() {
			t.Fatal("a sweep synced a connection whose hour was not up")
		}
		// The hour is up.
		conn.NextSyncAt = time.Now().Add(-time.Second)
		if err := s.app.Store.UpdateConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if err := s.app.Engine.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		c.waitFor("the hourly sync to pull the 12.5% rate", has)
		conn, _ = s.app.Store.Connection(ctx, c.entityID, connID)
		if d := time.Until(conn.NextSyncAt); d < 59*time.Minute {
			t.Fatalf("next sync after the hourly sync is in %v, want an hour", d)
		}
	})
}
