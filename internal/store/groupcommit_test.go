package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/testlog"
)

// batchFixture is a SQLite store with a table of keys, and callers queued behind a first one that
// holds the writer until released, so that they all run in the next batch.
type batchFixture struct {
	t       *testing.T
	s       *store.Store
	release chan struct{}
	queued  int
	wg      sync.WaitGroup
}

func newBatchFixture(t *testing.T) *batchFixture {
	t.Helper()
	s := openSQLite(t, store.Options{})
	if _, err := s.Writer().Exec("CREATE TABLE batch_keys (k TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return holdWriter(t, s)
}

// holdWriter returns a batchFixture of s, whose first caller holds the writer from now on until
// released.
func holdWriter(t *testing.T, s *store.Store) *batchFixture {
	t.Helper()
	f := &batchFixture{t: t, s: s, release: make(chan struct{})}
	started := make(chan struct{})
	var once sync.Once // it runs again if its batch is lost
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		err := s.InTx(context.Background(), func(tx *sql.Tx) error {
			once.Do(func() { close(started) })
			<-f.release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-started
	return f
}

// queue starts an InTx call in its own goroutine and returns once it waits in the queue; done
// receives its error, or the value it panicked with.
func (f *batchFixture) queue(ctx context.Context, fn func(tx *sql.Tx) error) (done <-chan any) {
	f.t.Helper()
	return f.queueCall(func() error { return f.s.InTx(ctx, fn) })
}

// queueCall starts call, which makes one InTx call, in its own goroutine and returns once that
// waits in the queue; done receives call's error, or the value it panicked with.
func (f *batchFixture) queueCall(call func() error) (done <-chan any) {
	f.t.Helper()
	ch := make(chan any, 1)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer func() {
			if p := recover(); p != nil {
				ch <- p
			}
		}()
		ch <- call()
	}()
	f.queued++
	waitFor(f.t, func() bool { return store.QueuedCalls(f.s) == f.queued })
	return ch
}

// insert is a fn that inserts the keys.
func insert(runs *atomic.Int32, keys ...string) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		if runs != nil {
			runs.Add(1)
		}
		for _, k := range keys {
			if _, err := tx.Exec("INSERT INTO batch_keys (k) VALUES ($1)", k); err != nil {
				return err
			}
		}
		return nil
	}
}

// keys returns the committed keys, read as the API reads.
func (f *batchFixture) keys() map[string]bool {
	f.t.Helper()
	rows, err := f.s.Reader().Query("SELECT k FROM batch_keys")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			f.t.Fatal(err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}

// InTx calls that arrive together share a commit, and each keeps its own outcome: one that fails,
// panics, breaks a unique constraint or leaves before its turn undoes its own writes only, and the
// others commit.
func TestGroupCommitKeepsEachCallersOutcome(t *testing.T) {
	t.Parallel()
	f := newBatchFixture(t)
	ctx := context.Background()
	before, _ := f.s.WriterStats()

	var ok []<-chan any
	for i := range 10 {
		ok = append(ok, f.queue(ctx, insert(nil, fmt.Sprintf("ok-%d-a", i), fmt.Sprintf("ok-%d-b", i))))
	}
	failure := errors.New("the caller's own failure")
	failed := f.queue(ctx, func(tx *sql.Tx) error {
		if err := insert(nil, "failed")(tx); err != nil {
			return err
		}
		return failure
	})
	panicked := f.queue(ctx, func(tx *sql.Tx) error {
		if err := insert(nil, "panicked")(tx); err != nil {
			return err
		}
		panic("the caller's own panic")
	})
	duplicate := f.queue(ctx, insert(nil, "duplicate-own", "ok-3-a"))
	leftCtx, leave := context.WithCancel(ctx)
	var leftRan atomic.Int32
	left := f.queue(leftCtx, insert(&leftRan, "left"))
	// One that the batch takes and whose context ends, while the batch runs, before its turn.
	takenCtx, leaveTaken := context.WithCancel(ctx)
	var takenRan atomic.Int32
	ok = append(ok, f.queue(ctx, func(tx *sql.Tx) error {
		leaveTaken()
		return insert(nil, "ends-the-next")(tx)
	}))
	taken := f.queue(takenCtx, insert(&takenRan, "taken-then-left"))
	for i := range 5 {
		ok = append(ok, f.queue(ctx, insert(nil, fmt.Sprintf("late-%d", i))))
	}
	leave()
	if err := (<-left).(error); !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller canceled while waiting got %v, want context.Canceled", err)
	}
	close(f.release)

	for i, ch := range ok {
		if err := <-ch; err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if err := <-failed; err != failure {
		t.Errorf("the failing caller got %v, want its own error as it is", err)
	}
	if p := <-panicked; p != "the caller's own panic" {
		t.Errorf("the panicking caller got %v, want its panic", p)
	}
	if err, _ := (<-taken).(error); !errors.Is(err, context.Canceled) {
		t.Errorf("a caller whose context ended after the batch took it got %v, want context.Canceled", err)
	}
	if err, _ := (<-duplicate).(error); err == nil {
		t.Error("the caller that broke a unique constraint got no error")
	}
	f.wg.Wait()

	got := f.keys()
	for i := range 10 {
		for _, k := range []string{fmt.Sprintf("ok-%d-a", i), fmt.Sprintf("ok-%d-b", i)} {
			if !got[k] {
				t.Errorf("%s was not committed", k)
			}
		}
	}
	for i := range 5 {
		if k := fmt.Sprintf("late-%d", i); !got[k] {
			t.Errorf("%s was not committed", k)
		}
	}
	for _, k := range []string{"failed", "panicked", "duplicate-own", "left", "taken-then-left"} {
		if got[k] {
			t.Errorf("%s was committed by a caller that failed", k)
		}
	}
	if leftRan.Load() != 0 || takenRan.Load() != 0 {
		t.Error("the fn of a caller that left before its turn ran")
	}
	// The blocking first caller's batch, then one batch for all the others (or one for all).
	after, _ := f.s.WriterStats()
	if n := after.Transactions - before.Transactions; n < 1 || n > 2 {
		t.Errorf("%d commits for 21 callers queued together, want 1 or 2", n)
	}
	// What /metrics shows of the writer: every queued call whose fn ran, but not the two that left
	// before their turn; the time the transactions took, committing a part of it.
	if n := after.Calls - before.Calls; n != 19 {
		t.Errorf("the writer counts %d calls, want 19", n)
	}
	if busy, commit := after.Busy-before.Busy, after.Committing-before.Committing; commit <= 0 || busy <= commit {
		t.Errorf("the writer counts %v busy and %v committing, want some of each, committing a part of busy", busy, commit)
	}
}

// When SQLite rolls a batch's whole transaction back under a caller's savepoint, the callers whose
// writes it took run again, each alone, and commit exactly once; the caller under which it
// happened gets an error.
func TestGroupCommitRerunsTheCallersOfALostBatch(t *testing.T) {
	t.Parallel()
	f := newBatchFixture(t)
	ctx := context.Background()

	var beforeRuns, afterRuns atomic.Int32
	var before, after []<-chan any
	for i := range 3 {
		before = append(before, f.queue(ctx, insert(&beforeRuns, fmt.Sprintf("before-%d", i))))
	}
	culprit := f.queue(ctx, func(tx *sql.Tx) error {
		if err := insert(nil, "culprit")(tx); err != nil {
			return err
		}
		// What SQLite does by itself on an I/O error or a full disk.
		_, err := tx.Exec("ROLLBACK")
		return err
	})
	for i := range 3 {
		after = append(after, f.queue(ctx, insert(&afterRuns, fmt.Sprintf("after-%d", i))))
	}
	close(f.release)

	for _, ch := range append(before, after...) {
		if err := <-ch; err != nil {
			t.Errorf("a caller of the lost batch: %v", err)
		}
	}
	if err, _ := (<-culprit).(error); err == nil {
		t.Error("the caller under which the transaction was rolled back was told it committed")
	}
	f.wg.Wait()
	got := f.keys()
	for i := range 3 {
		for _, k := range []string{fmt.Sprintf("before-%d", i), fmt.Sprintf("after-%d", i)} {
			if !got[k] {
				t.Errorf("%s was not committed", k)
			}
		}
	}
	if got["culprit"] {
		t.Error("the culprit's write was committed")
	}
	// Those run before the culprit ran twice (the second time alone), those after it once.
	if b, a := beforeRuns.Load(), afterRuns.Load(); b != 6 || a != 3 {
		t.Errorf("fn ran %d times for the 3 callers before the culprit and %d for the 3 after, want 6 and 3", b, a)
	}
}

// Jobs that callers insert through River in their transactions commit with them, and start; the
// job of a caller that failed does not exist.
func TestGroupCommitCommitsRiverJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t, store.Options{})
	started := make(chan int, 64)
	workers := river.NewWorkers()
	river.AddWorker(workers, &startedWorker{started: started})
	rc, err := river.NewClient(s.RiverDriver(), &river.Config{
		Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond, Logger: testlog.New(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })

	const callers, failing = 40, 7
	failure := errors.New("failed after inserting its job")
	var wg sync.WaitGroup
	for n := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := rc.InsertTx(ctx, tx, startedArgs{N: n}, nil); err != nil {
					return err
				}
				if n == failing {
					return failure
				}
				return nil
			})
			if n == failing && err != failure || n != failing && err != nil {
				t.Errorf("caller %d: %v", n, err)
			}
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for len(seen) < callers-1 {
		n := <-started
		if n == failing {
			t.Fatal("the failing caller's job started")
		}
		seen[n] = true
	}
	var jobs int
	if err := s.Reader().QueryRow("SELECT COUNT(*) FROM river_job").Scan(&jobs); err != nil || jobs != callers-1 {
		t.Fatalf("%d jobs (%v), want %d", jobs, err, callers-1)
	}
}

// Close runs the calls already waiting, stops the writer's and the checkpointer's goroutines, and
// InTx fails after it instead of waiting.
func TestGroupCommitClose(t *testing.T) {
	t.Parallel()
	f := newBatchFixture(t)
	waiting := f.queue(context.Background(), insert(nil, "waiting"))
	closed := make(chan error, 1)
	go func() { closed <- f.s.Close() }()
	close(f.release)
	if err := <-waiting; err != nil {
		t.Fatalf("a call waiting when Close began: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	f.wg.Wait()
	if err := f.s.InTx(context.Background(), insert(nil, "after")); err == nil {
		t.Fatal("InTx after Close succeeded")
	}
}

// A caller whose context ends after the runner took it into a batch, but before its turn, does not
// run: it returns the context's end as soon as its turn comes, and its fn never sees the
// transaction.
func TestGroupCommitSkipsACallerThatGaveUp(t *testing.T) {
	t.Parallel()
	f := newBatchFixture(t)
	hold, started := make(chan struct{}), make(chan struct{})
	a := f.queue(context.Background(), func(tx *sql.Tx) error {
		close(started)
		<-hold
		return insert(nil, "a")(tx)
	})
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	b := f.queue(ctx, insert(&ran, "b"))
	close(f.release)
	<-started
	// Both were taken into the batch that runs a's fn now.
	waitFor(t, func() bool { return store.QueuedCalls(f.s) == 0 })
	cancel()
	close(hold)
	if err := <-a; err != nil {
		t.Fatalf("a: %v", err)
	}
	if err, _ := (<-b).(error); !errors.Is(err, context.Canceled) {
		t.Fatalf("b: %v, want the context's end", err)
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("b's fn ran %d times after its caller gave up", n)
	}
	f.wg.Wait()
	if got := f.keys(); !got["a"] || got["b"] {
		t.Fatalf("committed %v, want a only", got)
	}
}

// The events of one batch read their partner's subscriptions once, and each gets a delivery for
// every subscription enabled as the batch's earlier callers left them: not one that a caller
// disabled, and one that a caller disabled and then lost (its savepoint rolled back) again.
func TestEventsOfABatchGoToTheSubscriptionsAsItsCallersLeftThem(t *testing.T) {
	t.Parallel()
	s := openSQLite(t, store.Options{})
	ctx := context.Background()
	ent := newPartnerEntity(t, s, booksync.Settings{})
	subs := make([]string, 3)
	for i := range subs {
		sub := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: ent.PartnerID, ObjectType: booksync.EventObjectReceivable,
			URL: fmt.Sprintf("https://example.com/%d", i), Status: booksync.SubscriptionEnabled}
		if err := s.CreateSubscription(ctx, sub, "sealed"); err != nil {
			t.Fatal(err)
		}
		subs[i] = sub.ID
	}
	f := holdWriter(t, s)
	event := func() (booksync.Event, func(tx *sql.Tx) error) {
		ev := booksync.Event{ID: uuid.NewString(), EntityID: ent.ID, ObjectType: booksync.EventObjectReceivable,
			ObjectID: uuid.NewString(), Action: "receivable.created"}
		return ev, func(tx *sql.Tx) error { return s.AddEventTx(ctx, tx, ev) }
	}
	first, addFirst := event()
	done := []<-chan any{f.queue(ctx, addFirst)}
	// The store's own write: it disables the first subscription and writes its event.
	done = append(done, f.queueCall(func() error {
		ok, err := s.DisableSubscription(ctx, subs[0], time.Now(), booksync.Event{EntityID: ent.ID,
			ObjectType: booksync.EventObjectPartnerSettings, Action: "partner_settings.webhook_subscription_disabled"})
		if err == nil && !ok {
			err = errors.New("the subscription was not disabled")
		}
		return err
	}))
	second, addSecond := event()
	done = append(done, f.queue(ctx, addSecond))
	// A caller that disables the second subscription, as the store announces its writes, writes an
	// event that reads the subscriptions so, and then fails: its writes are undone.
	lost := errors.New("the caller's own failure")
	_, addLost := event()
	failed := f.queue(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec("UPDATE webhook_subscriptions SET status = 'disabled' WHERE id = $1", subs[1]); err != nil {
			return err
		}
		store.ForgetEventTargets(s)
		if err := addLost(tx); err != nil {
			return err
		}
		return lost
	})
	third, addThird := event()
	done = append(done, f.queue(ctx, addThird))
	close(f.release)
	for i, ch := range done {
		if err := <-ch; err != nil {
			t.Fatalf("caller %d: %v", i+1, err)
		}
	}
	if err := <-failed; !errors.Is(err.(error), lost) {
		t.Fatalf("the failing caller got %v", err)
	}
	f.wg.Wait()

	deliveries := func(ev booksync.Event) []string {
		rows, err := s.Reader().Query("SELECT subscription_id FROM webhook_deliveries WHERE event_id = $1 ORDER BY url", ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	for _, c := range []struct {
		what string
		ev   booksync.Event
		want []string
	}{
		{"before the disable", first, subs},
		{"after the disable", second, subs[1:]},
		{"after the lost caller", third, subs[1:]},
	} {
		if got := deliveries(c.ev); !slices.Equal(got, c.want) {
			t.Errorf("the event %s went to %v, want %v", c.what, got, c.want)
		}
	}
}

// The events that the callers of one batch write for one entity read its partner's subscriptions
// once, and each gets its deliveries.
func TestEventsOfABatchReadTheSubscriptionsOnce(t *testing.T) {
	t.Parallel()
	s := openSQLite(t, store.Options{})
	ctx := context.Background()
	ent := newPartnerEntity(t, s, booksync.Settings{})
	sub := &booksync.WebhookSubscription{ID: uuid.NewString(), PartnerID: ent.PartnerID, ObjectType: booksync.EventObjectReceivable,
		URL: "https://example.com/hook", Status: booksync.SubscriptionEnabled}
	if err := s.CreateSubscription(ctx, sub, "sealed"); err != nil {
		t.Fatal(err)
	}
	f := holdWriter(t, s)
	before := store.SubscriptionReads(s)
	var done []<-chan any
	for range 5 {
		ev := booksync.Event{ID: uuid.NewString(), EntityID: ent.ID, ObjectType: booksync.EventObjectReceivable,
			ObjectID: uuid.NewString(), Action: "receivable.created"}
		done = append(done, f.queue(ctx, func(tx *sql.Tx) error { return s.AddEventTx(ctx, tx, ev) }))
	}
	close(f.release)
	for i, ch := range done {
		if err := <-ch; err != nil {
			t.Fatalf("caller %d: %v", i+1, err)
		}
	}
	f.wg.Wait()
	if n := store.SubscriptionReads(s) - before; n != 1 {
		t.Errorf("the batch's 5 events read the subscriptions %d times, want once", n)
	}
	if deliveries := count(t, s, "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1", sub.ID); deliveries != 5 {
		t.Errorf("%d deliveries, want 5", deliveries)
	}
}
