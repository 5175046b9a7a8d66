// Package metrics holds booksync's Prometheus metrics, served at /metrics: API requests by
// operation and status, synced records settled by object type, platform and outcome, and, on
// SQLite, how busy the single writer is. Each booksync process has its own registry, so that tests
// and several servers in one process do not share counts.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are one process's metrics.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	records  *prometheus.CounterVec
	pulls    *prometheus.CounterVec
	pullCost *prometheus.CounterVec
}

// New returns metrics registered with a new registry (plus the Go runtime and process collectors).
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booksync_http_requests_total", Help: "API requests by operation id and HTTP status.",
		}, []string{"operation", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "booksync_http_request_duration_seconds", Help: "API request latency by operation id.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"operation"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booksync_synced_records_total", Help: "Synced records settled by a push, by object type, platform and outcome (done or the error status).",
		}, []string{"object_type", "platform", "outcome"}),
		pulls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booksync_change_pulls_total", Help: "Pulls of the changes made in the books, by platform.",
		}, []string{"platform"}),
		pullCost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booksync_change_pull_calls_total", Help: "Requests to accounting systems that pulls of changes cost, by platform.",
		}, []string{"platform"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.records, m.pulls, m.pullCost,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WriterStats is what a SQLite database's single writer has done since it opened (the store's
// WriterStats).
type WriterStats struct {
	Transactions, Calls int64
	Busy, Committing    time.Duration
}

// ObserveSQLiteWriter serves the counters of a SQLite store's writer, which read returns when
// /metrics is read: the rate of booksync_sqlite_writer_busy_seconds_total is the share of time the
// writer is busy, and near 1 it is what limits the writes (PostgreSQL scales further).
func (m *Metrics) ObserveSQLiteWriter(read func() WriterStats) {
	counter := func(name, help string, value func(WriterStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return value(read()) })
	}
	m.registry.MustRegister(
		counter("booksync_sqlite_writer_transactions_total",
			"SQLite transactions the writer ran, each holding the write transactions of booksync that arrived while the one before it ran.",
			func(s WriterStats) float64 { return float64(s.Transactions) }),
		counter("booksync_sqlite_writer_calls_total", "Write transactions of booksync the SQLite transactions held.",
			func(s WriterStats) float64 { return float64(s.Calls) }),
		counter("booksync_sqlite_writer_busy_seconds_total", "Time the SQLite writer spent in transactions: its rate is the share of time it is busy.",
			func(s WriterStats) float64 { return s.Busy.Seconds() }),
		counter("booksync_sqlite_writer_commit_seconds_total", "Part of the writer's busy time spent committing: writing the changed pages to the WAL.",
			func(s WriterStats) float64 { return s.Committing.Seconds() }),
	)
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveRequest counts one API request.
func (m *Metrics) ObserveRequest(operation string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(operation, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(operation).Observe(took.Seconds())
}

// RecordSettled counts a synced record that a push settled: done, or the status of its error.
func (m *Metrics) RecordSettled(objectType, platform, outcome string) {
	if m == nil {
		return
	}
	m.records.WithLabelValues(objectType, platform, outcome).Inc()
}

// RecordPullCalls counts one pull of the changes in a connection's books and the requests it cost.
func (m *Metrics) RecordPullCalls(platform string, calls int) {
	if m == nil {
		return
	}
	m.pulls.WithLabelValues(platform).Inc()
	m.pullCost.WithLabelValues(platform).Add(float64(calls))
}
