package platform

import (
	"context"
	"slices"
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
//
// The accounting system counts a call when it arrives, which booksync cannot see; it only knows
// that the arrival came after the request was sent and before its answer was read. So a call
// counts in the windows from its reservation, as in flight, and once answered it stays in them
// for a whole window from the moment its answer was read: by then the system's own window has let
// it go too, whatever the network and the system's queue took. The budget thus needs no margin,
// and spends all of the system's minute: 60 calls of every rolling minute, not 60 of every 63
// seconds, which is what a budget counting from the reservation with a margin would get. A call
// that ended without an answer may still arrive after booksync gave up on it, so it counts a
// window longer (AcquireCall).
type Budget struct {
	limits Limits
	scale  float64
	sem    chan struct{}
	mu     sync.Mutex
	// inFlight counts the calls reserved and not yet answered (a batch QuickBooks meters as n
	// calls counts n); they count in both windows until their answers come.
	inFlight int
	minute   []time.Time   // when the answers of the calls in the last (scaled) minute were read
	day      []time.Time   // and in the last (scaled) day
	answered chan struct{} // closed, and replaced, when a call in flight is answered
	until    time.Time     // no calls before this (after a 429's Retry-After)
	now      func() time.Time
}

// NewBudget returns a budget for the limits; scale > 1 compresses time (for tests and benchmarks
// against a sandbox that compresses its windows the same way). A zero Limits is unlimited.
func NewBudget(l Limits, scale float64) *Budget {
	if scale <= 0 {
		scale = 1
	}
	b := &Budget{limits: l, scale: scale, now: time.Now, answered: make(chan struct{})}
	if l.Concurrent > 0 {
		b.sem = make(chan struct{}, l.Concurrent)
	}
	return b
}

func (b *Budget) window(d time.Duration) time.Duration { return time.Duration(float64(d) / b.scale) }

// minuteWindow is the rolling minute, in the budget's time.
func (b *Budget) minuteWindow() time.Duration { return b.window(time.Minute) }

// Acquire waits until a call may be made and returns the function that releases it, which the
// caller calls once the call's answer was read (or the call failed). It returns a RateLimited
// error without waiting when the daily allowance is spent.
func (b *Budget) Acquire(ctx context.Context) (release func(), err error) {
	return b.AcquireN(ctx, 1)
}

// AcquireN is Acquire for a request the accounting system meters as n calls (QuickBooks counts
// each item of a batch): the n calls are reserved at one instant, as the system counts them when
// the request arrives, and one concurrency slot is held.
func (b *Budget) AcquireN(ctx context.Context, n int) (release func(), err error) {
	finish, err := b.AcquireCall(ctx, n)
	if err != nil {
		return nil, err
	}
	return func() { finish(true) }, nil
}

// AcquireCall is AcquireN for a caller that tells, when the call ends, whether its answer was
// read: finish(true) once it was (any status), finish(false) when the call ended without one
// (canceled, timed out, the connection lost). The accounting system may still receive a call that
// booksync gave up on, later than booksync gave up, so such a call stays in the windows for a
// whole window longer than an answered one: as if its answer were read a (scaled) minute after
// it ended, which bounds how late a request that left booksync can still arrive.
func (b *Budget) AcquireCall(ctx context.Context, n int) (finish func(answered bool), err error) {
	if b == nil {
		return func(bool) {}, nil
	}
	if b.sem != nil {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	freeSlot := func() {
		if b.sem != nil {
			<-b.sem
		}
	}
	for {
		reserved, wait, answered, err := b.reserve(n)
		if err != nil {
			freeSlot()
			return nil, err
		}
		if wait <= 0 && answered == nil {
			var once sync.Once
			return func(answered bool) {
				once.Do(func() {
					var late time.Duration
					if !answered {
						late = b.minuteWindow()
					}
					b.answer(reserved, late)
					freeSlot()
				})
			}, nil
		}
		if !waitFor(ctx, wait, answered) {
			freeSlot()
			return nil, ctx.Err()
		}
	}
}

// waitFor waits for d, or when d is zero for answered to close, and reports whether ctx let it.
func waitFor(ctx context.Context, d time.Duration, answered <-chan struct{}) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-timeout:
	case <-answered:
	}
	return true
}

// reserve counts n calls in flight if the windows allow them now and returns how many it counted.
// Otherwise it says how long to wait, or returns a channel closed when a call in flight is
// answered, when the window is full of calls in flight that must be answered before their time
// in it can even begin to run out.
func (b *Budget) reserve(n int) (reserved int, wait time.Duration, answered <-chan struct{}, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if wait := b.until.Sub(now); wait > 0 {
		return 0, wait, nil, nil
	}
	b.minute = prune(b.minute, now.Add(-b.minuteWindow()))
	b.day = prune(b.day, now.Add(-b.window(24*time.Hour)))
	if b.limits.PerMinute > 0 && n > b.limits.PerMinute {
		n = b.limits.PerMinute // a request larger than the minute can only wait for an empty one
	}
	if b.limits.PerDay > 0 && len(b.day)+b.inFlight+n > b.limits.PerDay {
		retry := b.window(24 * time.Hour)
		if len(b.day) > 0 {
			retry = b.day[0].Add(retry).Sub(now)
		}
		return 0, 0, nil, &Error{Class: RateLimited, RetryAfter: retry, Code: "daily_limit",
			Message: "Daily API call limit of the accounting system reached"}
	}
	if b.limits.PerMinute > 0 {
		if over := len(b.minute) + b.inFlight + n - b.limits.PerMinute; over > 0 {
			if over > len(b.minute) {
				// Calls in flight hold the rest of the minute: wait for answers.
				return 0, 0, b.answered, nil
			}
			// Wait until enough of the oldest answered calls have left the window.
			return 0, b.minute[over-1].Add(b.minuteWindow()).Sub(now) + time.Millisecond, nil, nil
		}
	}
	b.inFlight += n
	return n, 0, nil, nil
}

// answer moves n calls from in flight into the windows, counted from now plus late: their answers
// were read now (late 0), or they ended without one and may still arrive until now plus late.
func (b *Budget) answer(n int, late time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := b.now().Add(late)
	b.inFlight -= n
	for range n {
		if b.limits.PerMinute > 0 {
			b.minute = insertSorted(b.minute, at)
		}
		if b.limits.PerDay > 0 {
			b.day = insertSorted(b.day, at)
		}
	}
	close(b.answered)
	b.answered = make(chan struct{})
}

// insertSorted inserts t into ts, which is in ascending order, keeping the order: a call that
// ended without an answer counts from a later time than calls answered after it.
func insertSorted(ts []time.Time, t time.Time) []time.Time {
	i := len(ts)
	for i > 0 && ts[i-1].After(t) {
		i--
	}
	return slices.Insert(ts, i, t)
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
