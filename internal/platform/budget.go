package platform

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are an accounting system's documented limits for one organisation.
type Limits struct {
	PerMinute  int // calls per rolling minute
	Concurrent int // calls in flight at once
	PerDay     int // calls per rolling day; 0 means unlimited
}

// XeroLimits are Xero's per-organisation limits.
var XeroLimits = Limits{PerMinute: 60, Concurrent: 5, PerDay: 5000}

// Budget spends one connection's call allowance, so that booksync stays within the accounting
// system's limits instead of discovering them through 429s. Each connection has its own budget:
// one slow organisation never holds back another.
type Budget struct {
	limiter *rate.Limiter
	sem     chan struct{}
	mu      sync.Mutex
	day     []time.Time
	perDay  int
	until   time.Time // no calls before this (after a 429's Retry-After)
	now     func() time.Time
}

// NewBudget returns a budget for the limits; scale > 1 compresses time (for tests and benchmarks
// against a sandbox that compresses its windows the same way). A zero Limits is unlimited.
func NewBudget(l Limits, scale float64) *Budget {
	if scale <= 0 {
		scale = 1
	}
	b := &Budget{now: time.Now, perDay: l.PerDay}
	if l.PerMinute > 0 {
		// A burst of a fifth of the minute keeps early calls fast without ever exceeding the
		// rolling window.
		burst := max(1, l.PerMinute/5)
		b.limiter = rate.NewLimiter(rate.Limit(float64(l.PerMinute)/60*scale), burst)
	}
	if l.Concurrent > 0 {
		b.sem = make(chan struct{}, l.Concurrent)
	}
	return b
}

// Acquire waits until a call may be made and returns the function that releases it. It returns
// a RateLimited error without waiting when the daily allowance is spent.
func (b *Budget) Acquire(ctx context.Context) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	b.mu.Lock()
	wait := b.until.Sub(b.now())
	if b.perDay > 0 {
		cutoff := b.now().Add(-24 * time.Hour)
		i := 0
		for i < len(b.day) && b.day[i].Before(cutoff) {
			i++
		}
		b.day = b.day[i:]
		if len(b.day) >= b.perDay {
			retry := b.day[0].Add(24 * time.Hour).Sub(b.now())
			b.mu.Unlock()
			return nil, &Error{Class: RateLimited, RetryAfter: retry, Code: "daily_limit",
				Message: "Daily API call limit of the accounting system reached"}
		}
	}
	b.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if b.limiter != nil {
		if err := b.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if b.sem != nil {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b.mu.Lock()
	if b.perDay > 0 {
		b.day = append(b.day, b.now())
	}
	b.mu.Unlock()
	return func() {
		if b.sem != nil {
			<-b.sem
		}
	}, nil
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
