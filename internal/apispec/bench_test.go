package apispec

import "testing"

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
