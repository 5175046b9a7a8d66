package syncer_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/riverqueue/river/rivertype"
)

// These tests run the real engine, store and River against books whose answers the test sets,
// and look at what the engine did with each answer: the record's status and error, the push
// job's state, and what the books were sent.

var unavailable = &platform.Error{Class: platform.Transient, Status: 503, Message: "Service unavailable"}

// TestUserActionErrorSettlesTheRecord refuses an invoice as invalid: its record goes to error
// with the books' cause and a fix that names the record, and the push is not retried.
func TestUserActionErrorSettlesTheRecord(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		refusal := &platform.Error{Class: platform.NeedsUserAction, Status: 400, Code: "tax_rate_invalid",
			Message: "Tax rate cannot be used on sales",
			Details: []platform.Detail{{Field: "lines[0].tax_code", Message: "VAT19 cannot be used on sales"}}}
		books.PushInvoicesFn = log.wrap(func(_ context.Context, _ int, invs []platform.Invoice) ([]platform.Result, error) {
			return refuse(invs, refusal), nil
		})
		b, after := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors == nil {
			t.Fatalf("record %s %+v, want error", rec.SyncStatus, rec.Errors)
		}
		if rec.Errors.Status != "tax_rate_invalid" || rec.Errors.Message != refusal.Message {
			t.Fatalf("record error %q %q, want the books' code and message", rec.Errors.Status, rec.Errors.Message)
		}
		wantFix := "Fix the invoice or the settings named above, then push the record again with POST /accounting_synced_records/" + rec.ID + "/push."
		if len(rec.Errors.Details) != 1 || rec.Errors.Details[0].Field != "lines[0].tax_code" ||
			rec.Errors.Details[0].Message != "VAT19 cannot be used on sales" || rec.Errors.Details[0].Fix != wantFix {
			t.Fatalf("record error details %+v, want the books' detail with the fix %q", rec.Errors.Details, wantFix)
		}
		job := b.pushJob(after, "the push to complete", inState(rivertype.JobStateCompleted))
		if job.Attempt != 1 || len(job.Errors) != 0 {
			t.Fatalf("push job attempt %d, errors %+v: want one clean attempt", job.Attempt, job.Errors)
		}
		if n := len(log.pushes()); n != 1 {
			t.Fatalf("invoice pushed %d times, want once", n)
		}
	})
}

// TestFailedInvoiceIsRetriedByRiver answers an invoice with an outage of its own: it stays
// pending and the push job fails, so River retries it; the retry looks the invoice up first
// (the failed push may have reached the books) and the record is done.
func TestFailedInvoiceIsRetriedByRiver(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(refuseFirst(unavailable))
		b, after := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone || *rec.PlatformObjectID != "invoice-"+inv {
			t.Fatalf("record after the retry: %s %+v", rec.SyncStatus, rec.Errors)
		}
		job := b.pushJob(after, "the push to complete", inState(rivertype.JobStateCompleted))
		if job.Attempt != 2 || len(job.Errors) != 1 || job.Errors[0].Attempt != 1 || !strings.Contains(job.Errors[0].Error, unavailable.Message) {
			t.Fatalf("push job: attempt %d, errors %+v; want the first attempt failed with the outage, the second done", job.Attempt, job.Errors)
		}
		pushes := log.pushes()
		if len(pushes) != 2 || pushes[0][0].MaybeExists || !pushes[1][0].MaybeExists {
			t.Fatalf("pushes %+v: want a first push, then one that looks the invoice up", pushes)
		}
	})
}

// TestOutageIsRetriedWithinTheRun fails a whole push call once: the engine tries the call again
// at once, looking the invoices up, and the job completes at its first attempt.
func TestOutageIsRetriedWithinTheRun(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(func(_ context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
			if call == 1 {
				return nil, unavailable
			}
			return acceptAll(invs), nil
		})
		b, after := startedEngine(t, dsn, books, engineOptions{})

		inv := b.issue("")
		if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
			t.Fatalf("record: %s %+v", rec.SyncStatus, rec.Errors)
		}
		job := b.pushJob(after, "the push to complete", inState(rivertype.JobStateCompleted))
		if job.Attempt != 1 || len(job.Errors) != 0 {
			t.Fatalf("push job attempt %d, errors %+v: want one clean attempt", job.Attempt, job.Errors)
		}
		pushes := log.pushes()
		if len(pushes) != 2 || pushes[0][0].MaybeExists || !pushes[1][0].MaybeExists {
			t.Fatalf("pushes %+v: want a first push, then one that looks the invoice up", pushes)
		}
	})
}

// TestMisconfiguredIsRetriedByRiver answers a push with a wrong setting of booksync's operator (a
// books folder that cannot be used): trying the call again at once cannot help, so the run ends at
// the first answer, the record stays pending and the push job fails; River retries it with
// backoff, so the push goes through once the setting is fixed, and after the last attempt the
// record goes to error with the message that names the setting.
func TestMisconfiguredIsRetriedByRiver(t *testing.T) {
	t.Parallel()
	misconfigured := &platform.Error{Class: platform.Misconfigured, Code: "books_folder_unusable",
		Message: "Books folder /srv/books cannot be used: it is a file, not a folder. Set BOOKS_DIR to a folder booksync can write"}
	t.Run("fixed before the next attempt", func(t *testing.T) {
		t.Parallel()
		forEachDB(t, func(t *testing.T, dsn string) {
			books := fakeBooks()
			var log invoiceLog
			entered, release := make(chan struct{}), make(chan struct{})
			books.PushInvoicesFn = log.wrap(func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
				if call == 1 {
					return nil, misconfigured
				}
				if err := hold(ctx, entered, release); err != nil {
					return nil, err
				}
				return acceptAll(invs), nil
			})
			b, after := startedEngine(t, dsn, books, engineOptions{})

			var released sync.Once
			free := func() { released.Do(func() { close(release) }) }
			defer free()
			inv := b.issue("")
			<-entered // River's second attempt is in the books
			if rec := b.record(inv); rec.SyncStatus != booksync.SyncStatusPending {
				t.Errorf("record after the first attempt: %s %+v, want pending", rec.SyncStatus, rec.Errors)
			}
			job := b.pushJob(after, "the second attempt", inState(rivertype.JobStateRunning))
			free()
			if job.Attempt != 2 || len(job.Errors) != 1 || job.Errors[0].Attempt != 1 || !strings.Contains(job.Errors[0].Error, misconfigured.Message) {
				t.Fatalf("push job: attempt %d, errors %+v; want the first attempt failed with the setting's message", job.Attempt, job.Errors)
			}
			if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
				t.Fatalf("record after the setting was fixed: %s %+v", rec.SyncStatus, rec.Errors)
			}
			b.pushJob(after, "the push to complete", inState(rivertype.JobStateCompleted))
			pushes := log.pushes()
			if len(pushes) != 2 || pushes[0][0].MaybeExists || !pushes[1][0].MaybeExists {
				t.Fatalf("pushes %+v: want one push per attempt, the second looking the invoice up", pushes)
			}
		})
	})
	t.Run("never fixed", func(t *testing.T) {
		t.Parallel()
		forEachDB(t, func(t *testing.T, dsn string) {
			books := fakeBooks()
			var log invoiceLog
			books.PushInvoicesFn = log.wrap(func(context.Context, int, []platform.Invoice) ([]platform.Result, error) {
				return nil, misconfigured
			})
			b, after := startedEngine(t, dsn, books, engineOptions{MaxAttempts: 2})

			inv := b.issue("")
			job := b.pushJob(after, "the last attempt to fail", inState(rivertype.JobStateDiscarded))
			if job.Attempt != 2 || len(job.Errors) != 2 {
				t.Fatalf("discarded push job: attempt %d, %d errors; want 2 and 2", job.Attempt, len(job.Errors))
			}
			for _, e := range job.Errors {
				if !strings.Contains(e.Error, misconfigured.Message) {
					t.Errorf("push job error %q, want the setting's message", e.Error)
				}
			}
			rec := b.settled(inv)
			if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodeRetriesExhausted {
				t.Fatalf("record after the last attempt: %s %+v", rec.SyncStatus, rec.Errors)
			}
			// The operator's setting is wrong, not the accounting system: the record says so, and its
			// fix is to correct the setting, not to wait for the books.
			if want := "booksync's own setting is wrong: the push failed 2 times: " + misconfigured.Message; rec.Errors.Message != want {
				t.Fatalf("record error %q, want %q", rec.Errors.Message, want)
			}
			if d := rec.Errors.Details; len(d) != 1 || d[0].Message != misconfigured.Message ||
				!strings.Contains(d[0].Fix, "operator") || strings.Contains(d[0].Fix, "status") ||
				!strings.Contains(d[0].Fix, "/accounting_synced_records/"+rec.ID+"/push") {
				t.Fatalf("record error details %+v: want the setting's message and a fix naming the operator's setting", d)
			}
			if n := len(log.pushes()); n != 2 {
				t.Fatalf("invoice pushed %d times, want once per attempt", n)
			}
		})
	})
}

// TestRecordFailsAfterTheLastAttempt keeps failing an invoice: after MaxAttempts runs of its push
// job the record goes to error, saying how often it was tried and why it failed.
func TestRecordFailsAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, dsn string) {
		books := fakeBooks()
		var log invoiceLog
		books.PushInvoicesFn = log.wrap(func(_ context.Context, _ int, invs []platform.Invoice) ([]platform.Result, error) {
			return refuse(invs, unavailable), nil
		})
		b, after := startedEngine(t, dsn, books, engineOptions{MaxAttempts: 2})

		inv := b.issue("")
		job := b.pushJob(after, "the last attempt to fail", inState(rivertype.JobStateDiscarded))
		if job.Attempt != 2 || len(job.Errors) != 2 {
			t.Fatalf("discarded push job: attempt %d, %d errors; want 2 and 2", job.Attempt, len(job.Errors))
		}
		rec := b.settled(inv)
		if rec.SyncStatus != booksync.SyncStatusError || rec.Errors.Status != booksync.CodeRetriesExhausted {
			t.Fatalf("record after the last attempt: %s %+v", rec.SyncStatus, rec.Errors)
		}
		if want := "Accounting system unreachable: the push failed 2 times: Service unavailable"; rec.Errors.Message != want {
			t.Fatalf("record error %q, want %q", rec.Errors.Message, want)
		}
		if d := rec.Errors.Details; len(d) != 1 || d[0].Message != unavailable.Message ||
			!strings.Contains(d[0].Fix, "POST /accounting_synced_records/"+rec.ID+"/push") {
			t.Fatalf("record error details %+v: want the cause and how to push the record again", d)
		}
		if n := len(log.pushes()); n != 2 {
			t.Fatalf("invoice pushed %d times, want 2", n)
		}
	})
}

// TestRetryAfterSnoozesThePush answers with a rate limit: a long Retry-After snoozes the job
// until then without using an attempt; a short one is waited out within the run.
func TestRetryAfterSnoozesThePush(t *testing.T) {
	t.Parallel()
	t.Run("long", func(t *testing.T) {
		t.Parallel()
		forEachDB(t, func(t *testing.T, dsn string) {
			books := fakeBooks()
			var log invoiceLog
			var mu sync.Mutex
			var answered time.Time // when the books answered with the rate limit
			books.PushInvoicesFn = log.wrap(func(context.Context, int, []platform.Invoice) ([]platform.Result, error) {
				mu.Lock()
				answered = time.Now()
				mu.Unlock()
				return nil, &platform.Error{Class: platform.RateLimited, Status: 429, RetryAfter: time.Hour, Message: "Rate limit exceeded"}
			})
			b, after := startedEngine(t, dsn, books, engineOptions{})

			inv := b.issue("")
			job := b.pushJob(after, "the push to be snoozed", inState(rivertype.JobStateScheduled))
			seen := time.Now()
			if job.Attempt != 0 || len(job.Errors) != 0 {
				t.Fatalf("snoozed push job: attempt %d, errors %+v; want no attempt used", job.Attempt, job.Errors)
			}
			// River snoozes the job for the Retry-After from when the run ended: after the books
			// answered, before the test saw the job snoozed. The database keeps the time to the
			// millisecond (SQLite) or microsecond (PostgreSQL).
			mu.Lock()
			earliest := answered.Truncate(time.Millisecond).Add(time.Hour)
			mu.Unlock()
			if latest := seen.Add(time.Hour); job.ScheduledAt.Before(earliest) || job.ScheduledAt.After(latest) {
				t.Fatalf("push snoozed until %v, want an hour after the books answered: between %v and %v", job.ScheduledAt, earliest, latest)
			}
			if rec := b.record(inv); rec.SyncStatus != booksync.SyncStatusPending {
				t.Fatalf("record: %s, want pending", rec.SyncStatus)
			}
			if n := len(log.pushes()); n != 1 {
				t.Fatalf("invoice pushed %d times, want once", n)
			}
		})
	})
	t.Run("short", func(t *testing.T) {
		t.Parallel()
		forEachDB(t, func(t *testing.T, dsn string) {
			books := fakeBooks()
			var log invoiceLog
			books.PushInvoicesFn = log.wrap(func(_ context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
				if call == 1 {
					return nil, &platform.Error{Class: platform.RateLimited, Status: 429, RetryAfter: 10 * time.Millisecond, Message: "Rate limit exceeded"}
				}
				return acceptAll(invs), nil
			})
			b, after := startedEngine(t, dsn, books, engineOptions{})

			inv := b.issue("")
			if rec := b.settled(inv); rec.SyncStatus != booksync.SyncStatusDone {
				t.Fatalf("record: %s %+v", rec.SyncStatus, rec.Errors)
			}
			job := b.pushJob(after, "the push to complete", inState(rivertype.JobStateCompleted))
			if job.Attempt != 1 || len(job.Errors) != 0 {
				t.Fatalf("push job attempt %d, errors %+v: want one clean attempt", job.Attempt, job.Errors)
			}
			if n := len(log.pushes()); n != 2 {
				t.Fatalf("invoice pushed %d times, want 2", n)
			}
		})
	})
}

// ledger is books that keep the invoices they create, by number, and count a create of a number
// they already have as a duplicate.
type ledger struct {
	mu         sync.Mutex
	byNumber   map[string]string
	creates    int
	duplicates int
}

// push creates or, for an invoice that MaybeExists, first looks up each invoice.
func (l *ledger) push(invs []platform.Invoice) []platform.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byNumber == nil {
		l.byNumber = map[string]string{}
	}
	out := acceptAll(invs)
	for i, inv := range invs {
		if id, ok := l.byNumber[inv.Number]; ok {
			if inv.MaybeExists {
				out[i].PlatformID, out[i].Matched = id, true
				continue
			}
			l.duplicates++
		}
		l.creates++
		out[i].PlatformID = "invoice-" + inv.Ref + "-" + strconv.Itoa(l.creates)
		l.byNumber[inv.Number] = out[i].PlatformID
	}
	return out
}

func (l *ledger) counts() (creates, duplicates int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.creates, l.duplicates
}

// TestUnknownOutcomeIsLookedUpBeforeTheRetry creates the invoice but loses the answer: the next
// push of it, in the same run or the job's next one, says it may exist, so the books find it
// instead of creating it twice, and the record takes the first invoice's id.
func TestUnknownOutcomeIsLookedUpBeforeTheRetry(t *testing.T) {
	t.Parallel()
	timeout := &platform.Error{Class: platform.UnknownOutcome, Message: "Timed out after sending the request"}
	for _, tc := range []struct {
		name string
		lost func(invs []platform.Invoice, created []platform.Result) ([]platform.Result, error)
	}{
		{"whole call, retried within the run", func([]platform.Invoice, []platform.Result) ([]platform.Result, error) {
			return nil, timeout
		}},
		{"one invoice, retried in the next run", func(invs []platform.Invoice, _ []platform.Result) ([]platform.Result, error) {
			return refuse(invs, timeout), nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, dsn string) {
				books := fakeBooks()
				var log invoiceLog
				var l ledger
				books.PushInvoicesFn = log.wrap(func(_ context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
					res := l.push(invs)
					if call == 1 {
						return tc.lost(invs, res)
					}
					return res, nil
				})
				b, _ := startedEngine(t, dsn, books, engineOptions{})

				inv := b.issue("")
				rec := b.settled(inv)
				if rec.SyncStatus != booksync.SyncStatusDone || *rec.PlatformObjectID != "invoice-"+inv+"-1" {
					t.Fatalf("record %s %+v, platform id %v: want done with the first invoice's id", rec.SyncStatus, rec.Errors, *rec.PlatformObjectID)
				}
				if creates, duplicates := l.counts(); creates != 1 || duplicates != 0 {
					t.Fatalf("the books created %d invoices (%d duplicates), want 1", creates, duplicates)
				}
				pushes := log.pushes()
				if len(pushes) != 2 || pushes[0][0].MaybeExists || !pushes[1][0].MaybeExists {
					t.Fatalf("pushes %+v: want a first push, then one that looks the invoice up", pushes)
				}
			})
		})
	}
}

// TestAuthFailureCancelsThePush refuses the push's access: the job is cancelled, not retried,
// and the record waits. With OAuth, the engine tries to refresh the token first; when the
// accounting system refuses the refresh, the connection is deauthorized and says to reconnect.
func TestAuthFailureCancelsThePush(t *testing.T) {
	t.Parallel()
	refused := &platform.Error{Class: platform.Auth, Status: 401, Message: "Access token refused"}
	for _, tc := range []struct {
		name       string
		oauth      bool
		wantStatus string
	}{
		{"local books", false, booksync.ConnectionConnected},
		{"OAuth, refresh refused", true, booksync.ConnectionDeauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, dsn string) {
				books := fakeBooks()
				var log invoiceLog
				books.PushInvoicesFn = log.wrap(func(context.Context, int, []platform.Invoice) ([]platform.Result, error) {
					return nil, refused
				})
				var opts engineOptions
				if tc.oauth {
					opts.TokenURL = tokenServer(t)
				}
				b, after := startedEngine(t, dsn, books, opts)

				inv := b.issue("")
				job := b.pushJob(after, "the push to be cancelled", inState(rivertype.JobStateCancelled))
				if job.Attempt != 1 || len(job.Errors) != 1 {
					t.Fatalf("cancelled push job: attempt %d, errors %+v", job.Attempt, job.Errors)
				}
				if rec := b.record(inv); rec.SyncStatus != booksync.SyncStatusPending {
					t.Fatalf("record: %s %+v, want pending", rec.SyncStatus, rec.Errors)
				}
				conn, err := b.st.ConnectionByID(b.ctx, b.conn.ID)
				must(t, err)
				if conn.Status != tc.wantStatus {
					t.Fatalf("connection %s %+v, want %s", conn.Status, conn.Errors, tc.wantStatus)
				}
				if tc.oauth && (len(conn.Errors) != 1 || !strings.Contains(conn.Errors[0].Message, "Reconnect")) {
					t.Fatalf("deauthorized connection's errors %+v: want how to reconnect", conn.Errors)
				}
				if n := len(log.pushes()); n != 1 {
					t.Fatalf("invoice pushed %d times, want once", n)
				}
			})
		})
	}
}
