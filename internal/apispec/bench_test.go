package apispec

import (
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

func BenchmarkValidateBodyValidInvoice(b *testing.B) {
	v := validator(b)
	body := []byte(fullInvoice)
	b.ReportAllocs()
	for b.Loop() {
		if d := v.ValidateBody("post_receivables", body); d != nil {
			b.Fatal(d)
		}
	}
}

// BenchmarkParseDocument measures what loading the served document costs a process at start-up,
// against the loader's own path (which reads the document as YAML) run in the same benchmark:
// x_loader is the share of the loader's time that parseDocument takes.
func BenchmarkParseDocument(b *testing.B) {
	var ours, theirs time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := parseDocument(); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := openapi3.NewLoader().LoadFromData(Document()); err != nil {
			b.Fatal(err)
		}
		ours, theirs = ours+mid.Sub(start), theirs+time.Since(mid)
	}
	b.ReportMetric(ours.Seconds()*1000/float64(b.N), "ms/parse")
	b.ReportMetric(theirs.Seconds()*1000/float64(b.N), "ms/loader")
	b.ReportMetric(float64(ours)/float64(theirs), "x_loader")
}
