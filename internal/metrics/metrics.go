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

// WriterStats is what a SQLite store's single writer has done for booksync's write transactions
// since the store opened (the store's WriterStats).
type WriterStats struct {
	Transactions, Calls int64
	Busy, Committing    time.Duration
}

// ObserveSQLiteWriter serves the counters of a SQLite store's writer, which read returns each time
// /metrics is read: the rate of booksync_sqlite_writer_busy_seconds_total is the share of time the
// writer is busy, and near 1 it is what limits the writes (PostgreSQL scales further). Call it once
// per Metrics.
func (m *Metrics) ObserveSQLiteWriter(read func() WriterStats) {
	m.registry.MustRegister(writerCollector{read})
}

// writerCollector collects WriterStats, read once per scrape so that the four counters agree.
type writerCollector struct{ read func() WriterStats }

var (
	writerTransactions = prometheus.NewDesc("booksync_sqlite_writer_transactions_total",
		"SQLite transactions the writer began for booksync's write transactions, committed or rolled back; each holds those waiting when it begins and arriving while it runs.", nil, nil)
	writerCalls = prometheus.NewDesc("booksync_sqlite_writer_calls_total",
		"booksync's write transactions run in the SQLite transactions, whether they succeeded or not.", nil, nil)
	writerBusy = prometheus.NewDesc("booksync_sqlite_writer_busy_seconds_total",
		"Time the SQLite writer spent in those transactions (River's bookkeeping of its jobs and WAL truncations aside): its rate is the share of time the writer is busy.", nil, nil)
	writerCommit = prometheus.NewDesc("booksync_sqlite_writer_commit_seconds_total",
		"Part of the writer's busy time spent committing: writing the changed pages to the WAL.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c writerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- writerTransactions
	ch <- writerCalls
	ch <- writerBusy
	ch <- writerCommit
}

// Collect implements prometheus.Collector.
func (c writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	ch <- prometheus.MustNewConstMetric(writerTransactions, prometheus.CounterValue, float64(s.Transactions))
	ch <- prometheus.MustNewConstMetric(writerCalls, prometheus.CounterValue, float64(s.Calls))
	ch <- prometheus.MustNewConstMetric(writerBusy, prometheus.CounterValue, s.Busy.Seconds())
	ch <- prometheus.MustNewConstMetric(writerCommit, prometheus.CounterValue, s.Committing.Seconds())
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
