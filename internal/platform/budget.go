package platform

import (
	"context"
	"sync"
	"time"
)

// Limits are an accounting system's documented limits for one organisation.
type Limits struct {
	PerMinute  int // calls per rolling minute
	Concurrent int // calls in flight at once
	PerDay     int // calls per rolling day; 0 means unlimited
}

// Budget spends one connection's call allowance, so that booksync stays within the accounting
// system's limits instead of discovering them through 429s. Each connection has its own budget:
// one slow organisation never holds back another. The minute and the day are rolling windows, as
// the accounting systems count them (a token bucket would allow its burst on top of the rate and
// overrun a rolling minute).
type Budget struct {
	limits Limits
	scale  float64
	sem    chan struct{}
	mu     sync.Mutex
	minute []time.Time // start times of the calls in the last (scaled) minute
	day    []time.Time // and in the last (scaled) day
	until  time.Time   // no calls before this (after a 429's Retry-After)
	now    func() time.Time
}

// NewBudget returns a budget for the limits; scale > 1 compresses time (for tests and benchmarks
// against a sandbox that compresses its windows the same way). A zero Limits is unlimited.
func NewBudget(l Limits, scale float64) *Budget {
	if scale <= 0 {
		scale = 1
	}
	b := &Budget{limits: l, scale: scale, now: time.Now}
	if l.Concurrent > 0 {
		b.sem = make(chan struct{}, l.Concurrent)
	}
	return b
}

func (b *Budget) window(d time.Duration) time.Duration { return time.Duration(float64(d) / b.scale) }

// minuteWindow is the rolling minute with a 5% margin: the accounting system counts a call when it
// arrives, a little after booksync reserved it, so its minute ends a little later than ours.
func (b *Budget) minuteWindow() time.Duration { return b.window(time.Minute + 3*time.Second) }

// Acquire waits until a call may be made and returns the function that releases it. It returns
// a RateLimited error without waiting when the daily allowance is spent.
func (b *Budget) Acquire(ctx context.Context) (release func(), err error) {
	return b.AcquireN(ctx, 1)
}

// AcquireN is Acquire for a request the accounting system meters as n calls (QuickBooks counts
// each item of a batch): the n calls are reserved at one instant, as the system counts them when
// the request arrives, and one concurrency slot is held.
func (b *Budget) AcquireN(ctx context.Context, n int) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	if b.sem != nil {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	release = func() {
		if b.sem != nil {
			<-b.sem
		}
	}
	for {
		wait, err := b.reserve(n)
		if err != nil {
			release()
			return nil, err
		}
		if wait <= 0 {
			return release, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// reserve records n calls now if the windows allow them, or says how long to wait.
func (b *Budget) reserve(n int) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if wait := b.until.Sub(now); wait > 0 {
		return wait, nil
	}
	b.minute = prune(b.minute, now.Add(-b.minuteWindow()))
	b.day = prune(b.day, now.Add(-b.window(24*time.Hour)))
	if b.limits.PerMinute > 0 && n > b.limits.PerMinute {
		n = b.limits.PerMinute // a request larger than the minute can only wait for an empty one
	}
	if b.limits.PerDay > 0 && len(b.day)+n > b.limits.PerDay {
		return 0, &Error{Class: RateLimited, RetryAfter: b.day[0].Add(b.window(24 * time.Hour)).Sub(now), Code: "daily_limit",
			Message: "Daily API call limit of the accounting system reached"}
	}
	if b.limits.PerMinute > 0 && len(b.minute)+n > b.limits.PerMinute {
		// Wait until enough of the oldest calls have left the window.
		oldest := b.minute[len(b.minute)+n-b.limits.PerMinute-1]
		return oldest.Add(b.minuteWindow()).Sub(now) + time.Millisecond, nil
	}
	for i := 0; i < n; i++ {
		if b.limits.PerMinute > 0 {
			b.minute = append(b.minute, now)
		}
		if b.limits.PerDay > 0 {
			b.day = append(b.day, now)
		}
	}
	return 0, nil
}

// Scaled converts a wait given in the accounting system's time (QuickBooks' 60 seconds after a
// 429) to real time, under the budget's time compression.
func (b *Budget) Scaled(d time.Duration) time.Duration {
	if b == nil {
		return d
	}
	return b.window(d)
}

func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// Pause stops calls for d, as a 429's Retry-After asks.
func (b *Budget) Pause(d time.Duration) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.now().Add(d); u.After(b.until) {
		b.until = u
	}
}
