package platform

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBudgetNeverExceedsTheRollingMinute(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 60, PerDay: 100}, 1)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	for i := 0; i < 60; i++ {
		if wait, err := b.reserve(1); wait != 0 || err != nil {
			t.Fatalf("call %d: wait %v, err %v", i+1, wait, err)
		}
	}
	// The 61st call in the same minute waits for the first to leave the window (plus a margin
	// for the time a call takes to arrive).
	wait, _ := b.reserve(1)
	if wait < time.Minute || wait > time.Minute+4*time.Second {
		t.Fatalf("61st call waits %v, want about a minute", wait)
	}
	clock.add(wait)
	for i := 0; i < 40; i++ {
		if wait, err := b.reserve(1); wait != 0 || err != nil {
			t.Fatalf("after a minute, call %d: wait %v, err %v", i+1, wait, err)
		}
	}
	// 100 calls today: the day's allowance is spent, which is an error, not a wait.
	clock.add(time.Minute)
	if _, err := b.reserve(1); ClassOf(err) != RateLimited {
		t.Fatalf("101st call of the day: %v", err)
	}
}

func TestBudgetScalesAndPauses(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 2}, 60) // a minute lasts one second
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	b.reserve(1)
	b.reserve(1)
	if wait, _ := b.reserve(1); wait <= 0 || wait > 1100*time.Millisecond {
		t.Fatalf("third call in a compressed minute waits %v, want up to about 1s", wait)
	}
	clock.add(2 * time.Second)
	b.Pause(5 * time.Second)
	if wait, _ := b.reserve(1); wait != 5*time.Second {
		t.Fatalf("after Pause(5s): wait %v", wait)
	}
}

func TestBudgetLimitsConcurrency(t *testing.T) {
	b := NewBudget(Limits{Concurrent: 2}, 1)
	r1, _ := b.Acquire(context.Background())
	r2, _ := b.Acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(ctx); err == nil {
		t.Fatal("a third call ran while two were in flight")
	}
	r1()
	r3, err := b.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r2()
	r3()
	var nilBudget *Budget
	if release, err := nilBudget.Acquire(context.Background()); err != nil || release == nil {
		t.Fatal("a nil budget must allow every call")
	}
}

func TestBudgetReservesABatchAtOnce(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 60}, 1)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	if wait, _ := b.reserve(30); wait != 0 {
		t.Fatalf("first batch of 30 waits %v", wait)
	}
	clock.add(10 * time.Second)
	if wait, _ := b.reserve(30); wait != 0 {
		t.Fatalf("second batch of 30 waits %v", wait)
	}
	// A third batch fits only when the first batch's 30 calls have left the minute, all at once.
	wait, _ := b.reserve(30)
	if wait < 50*time.Second || wait > 54*time.Second {
		t.Fatalf("third batch waits %v, want about 50s", wait)
	}
	clock.add(wait)
	if wait, _ := b.reserve(30); wait != 0 {
		t.Fatalf("third batch after waiting: %v", wait)
	}
	if got := NewBudget(Limits{}, 60).Scaled(time.Minute); got != time.Second {
		t.Fatalf("a minute at time scale 60 is %v", got)
	}
}
