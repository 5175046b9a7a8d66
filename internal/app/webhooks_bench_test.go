package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/gcpace"
)

// BenchmarkWebhooks measures webhooks while invoices are pushed to the Xero sandbox (no rate
// limits): a fresh entity issues N invoices with no subscription, then another issues N with a
// subscription to every receivable event (created, issued, accounting_pushed: 3 per invoice) sent
// to a fast receiver on this machine.
//
//	go test ./internal/app/ -run '^$' -bench Webhooks -benchtime 1x
//
// invoices/s and hooked-invoices/s are the push throughput (first issue -> every record done)
// without and with the subscription, and push-ratio the second over the first; events/s is the
// events delivered per second (first issue -> last event received); delay-p50-ms and delay-p99-ms
// are the times from an event's transaction (its created_at) to its arrival at the receiver.
func BenchmarkWebhooks(b *testing.B) {
	defer gcpace.Set()() // booksync's processes run at this pace
	forEachBenchDB(b, func(b *testing.B, dsn string) {
		s := newBenchStack(b, dsn, benchXero, app.Config{})
		n := benchXero.invoices
		var plain, hooked, events, p50, p99 float64
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			ent := s.newEntity()
			b.StartTimer()
			start := time.Now()
			ent.issue(b, n)
			ent.waitDone(b, n, start)
			plain += float64(n) / time.Since(start).Seconds()

			b.StopTimer()
			ent = s.newEntity()
			rc := newBenchReceiver(b)
			ent.do("POST", "/webhook_subscriptions", map[string]any{"object_type": "receivable", "url": rc.srv.URL}, 201, nil)
			b.StartTimer()
			start = time.Now()
			ent.issue(b, n)
			ent.waitDone(b, n, start)
			hooked += float64(n) / time.Since(start).Seconds()
			last := rc.wait(b, 3*n)
			events += float64(3*n) / last.Sub(start).Seconds()
			d := rc.delays()
			p50 += float64(d[len(d)/2].Milliseconds())
			p99 += float64(d[len(d)*99/100].Milliseconds())
		}
		runs := float64(b.N)
		b.ReportMetric(plain/runs, "invoices/s")
		b.ReportMetric(hooked/runs, "hooked-invoices/s")
		b.ReportMetric(hooked/plain, "push-ratio")
		b.ReportMetric(events/runs, "events/s")
		b.ReportMetric(p50/runs, "delay-p50-ms")
		b.ReportMetric(p99/runs, "delay-p99-ms")
	})
}

// benchReceiver answers every webhook at once and notes when each event arrived.
type benchReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Duration // by event id: arrival - created_at
	last    time.Time
}

func newBenchReceiver(b *testing.B) *benchReceiver {
	rc := &benchReceiver{arrived: map[string]time.Duration{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			ID        string    `json:"id"`
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		if _, ok := rc.arrived[ev.ID]; !ok {
			rc.arrived[ev.ID] = now.Sub(ev.CreatedAt)
			rc.last = now
		}
		rc.mu.Unlock()
	}))
	b.Cleanup(rc.srv.Close)
	return rc
}

// wait waits until n distinct events have arrived and returns when the last one did.
func (rc *benchReceiver) wait(b *testing.B, n int) time.Time {
	deadline := time.Now().Add(benchMaxWait)
	for {
		rc.mu.Lock()
		got, last := len(rc.arrived), rc.last
		rc.mu.Unlock()
		if got >= n {
			return last
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d events delivered after %v", got, n, benchMaxWait)
		}
		time.Sleep(benchPoll)
	}
}

// delays returns the events' delays, sorted.
func (rc *benchReceiver) delays() []time.Duration {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []time.Duration
	for _, d := range rc.arrived {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
