package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsAreServed(t *testing.T) {
	m := New()
	m.ObserveRequest("post_receivables", 201, 3*time.Millisecond)
	m.ObserveRequest("post_receivables", 422, time.Millisecond)
	m.RecordSettled("receivable", "xero", "done")
	m.RecordSettled("receivable", "xero", "tax_rate_not_found")
	var none *Metrics
	none.ObserveRequest("x", 200, 0) // a nil Metrics counts nothing and does not panic
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`booksync_http_requests_total{operation="post_receivables",status="201"} 1`,
		`booksync_http_requests_total{operation="post_receivables",status="422"} 1`,
		`booksync_synced_records_total{object_type="receivable",outcome="tax_rate_not_found",platform="xero"} 1`,
		`booksync_http_request_duration_seconds_count{operation="post_receivables"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
