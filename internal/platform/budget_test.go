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

// call reserves n calls at the clock's time and, when it may be made, answers it at once: the
// wait it was told, or -1 when it must wait for a call in flight to be answered.
func (b *Budget) call(t *testing.T, n int) time.Duration {
	t.Helper()
	reserved, wait, answered, err := b.reserve(n)
	if err != nil {
		t.Fatal(err)
	}
	if answered != nil {
		return -1
	}
	if wait == 0 {
		b.answer(reserved, 0)
	}
	return wait
}

func TestBudgetNeverExceedsTheRollingMinute(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 60, PerDay: 100}, 1)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	for i := 0; i < 60; i++ {
		if wait := b.call(t, 1); wait != 0 {
			t.Fatalf("call %d: wait %v", i+1, wait)
		}
	}
	// The 61st call in the same minute waits for the first to leave the window: a minute after
	// its answer was read, when the accounting system's own minute has let it go too.
	wait := b.call(t, 1)
	if wait < time.Minute || wait > time.Minute+10*time.Millisecond {
		t.Fatalf("61st call waits %v, want a minute", wait)
	}
	clock.add(wait)
	for i := 0; i < 40; i++ {
		if wait := b.call(t, 1); wait != 0 {
			t.Fatalf("after a minute, call %d: wait %v", i+1, wait)
		}
	}
	// 100 calls today: the day's allowance is spent, which is an error, not a wait.
	clock.add(time.Minute)
	if _, _, _, err := b.reserve(1); ClassOf(err) != RateLimited {
		t.Fatalf("101st call of the day: %v", err)
	}
}

func TestBudgetCountsACallFromItsAnswer(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 2}, 1)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	slow, _, _, _ := b.reserve(1) // sent, and its answer takes 10 s
	if wait := b.call(t, 1); wait != 0 {
		t.Fatalf("second call waits %v", wait)
	}
	// Both calls are in the minute; the slow one is still in flight, so no time in the window
	// can be promised for it yet: the third call waits for the second to leave.
	wait := b.call(t, 1)
	if wait != time.Minute+time.Millisecond {
		t.Fatalf("third call waits %v, want a minute after the second's answer", wait)
	}
	clock.add(10 * time.Second)
	b.answer(slow, 0)
	clock.add(wait - 10*time.Second)
	if wait := b.call(t, 1); wait != 0 {
		t.Fatalf("third call a minute on waits %v", wait)
	}
	// The slow call counts for a minute from its answer, 10 s after it was sent: it may have
	// arrived only just before it was answered.
	if wait := b.call(t, 1); wait != 10*time.Second {
		t.Fatalf("fourth call waits %v, want the 10 s until a minute after the slow call's answer", wait)
	}
	// With the whole minute in flight, a call waits for an answer, not for a time.
	b = NewBudget(Limits{PerMinute: 1}, 1)
	b.now = clock.now
	first, _, _, _ := b.reserve(1)
	if _, wait, answered, _ := b.reserve(1); wait != 0 || answered == nil {
		t.Fatalf("a call behind one in flight: wait %v, answered %v", wait, answered)
	} else {
		b.answer(first, 0)
		select {
		case <-answered:
		default:
			t.Fatal("the answer of the call in flight did not wake the one waiting")
		}
	}
}

func TestBudgetScalesAndPauses(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 2}, 60) // a minute lasts one second
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	b.call(t, 1)
	b.call(t, 1)
	if wait := b.call(t, 1); wait <= 0 || wait > 1100*time.Millisecond {
		t.Fatalf("third call in a compressed minute waits %v, want up to about 1s", wait)
	}
	clock.add(2 * time.Second)
	b.Pause(5 * time.Second)
	if wait := b.call(t, 1); wait != 5*time.Second {
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
	if wait := b.call(t, 30); wait != 0 {
		t.Fatalf("first batch of 30 waits %v", wait)
	}
	clock.add(10 * time.Second)
	if wait := b.call(t, 30); wait != 0 {
		t.Fatalf("second batch of 30 waits %v", wait)
	}
	// A third batch fits only when the first batch's 30 calls have left the minute, all at once.
	wait := b.call(t, 30)
	if wait < 50*time.Second || wait > 50*time.Second+10*time.Millisecond {
		t.Fatalf("third batch waits %v, want 50s", wait)
	}
	clock.add(wait)
	if wait := b.call(t, 30); wait != 0 {
		t.Fatalf("third batch after waiting: %v", wait)
	}
	if got := NewBudget(Limits{}, 60).Scaled(time.Minute); got != time.Second {
		t.Fatalf("a minute at time scale 60 is %v", got)
	}
}

func TestBudgetAcquireWaitsForAnswers(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 1}, 1)
	release, err := b.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := b.Acquire(ctx)
		got <- err
	}()
	// The second call waits while the first is in flight, and after its answer for the minute.
	if err := <-got; err == nil {
		t.Fatal("a second call was made in a minute of one call")
	}
	release()
	release() // a second release changes nothing
	b.mu.Lock()
	inFlight, inMinute := b.inFlight, len(b.minute)
	b.mu.Unlock()
	if inFlight != 0 || inMinute != 1 {
		t.Fatalf("after the answer: %d in flight, %d in the minute; want 0 and 1", inFlight, inMinute)
	}
}

func TestBudgetCountsAnUnansweredCallAWindowLonger(t *testing.T) {
	b := NewBudget(Limits{PerMinute: 2, PerDay: 10}, 1)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b.now = clock.now
	ctx := context.Background()
	gaveUp, err := b.AcquireCall(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	clock.add(5 * time.Second)
	gaveUp(false) // timed out: the request may still reach the system, up to a minute later
	answered, err := b.AcquireCall(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Second)
	answered(true)
	// The answered call leaves the minute a minute after its answer; the one given up on only a
	// minute after the latest it may arrive, two minutes after it ended.
	if wait := b.call(t, 1); wait != time.Minute+time.Millisecond {
		t.Fatalf("a third call waits %v, want a minute after the answered call's answer", wait)
	}
	clock.add(time.Minute + time.Millisecond)
	if wait := b.call(t, 1); wait != 0 {
		t.Fatalf("a minute after the answer, a call waits %v", wait)
	}
	if wait := b.call(t, 1); wait != time.Minute-time.Second {
		t.Fatalf("the next call waits %v, want until two minutes after the unanswered call ended (%v)", wait, time.Minute-time.Second)
	}
	b.mu.Lock()
	day := len(b.day)
	b.mu.Unlock()
	if day != 3 {
		t.Fatalf("%d calls in the day, want 3", day)
	}
}
