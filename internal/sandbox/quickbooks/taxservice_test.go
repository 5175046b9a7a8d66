package quickbooks

import (
	"encoding/json"
	"testing"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

// A tax code made through the TaxService combines rates, new and existing, and invoices tax each
// of its sales rates on its own.
func TestTaxServiceCreatesCombinedCodes(t *testing.T) {
	b := setup(t).connect("")
	r := b.api("POST", "/taxservice/taxcode", `{"TaxCode":"GST/PST BC","TaxRateDetails":[
		{"TaxRateName":"GST","RateValue":5,"TaxAgencyId":"1"},
		{"TaxRateName":"PST BC","RateValue":7,"TaxAgencyId":"1","TaxApplicableOn":"Sales"},
		{"TaxRateId":"10","TaxApplicableOn":"Purchase"}]}`).MustStatus(t, 200)
	var ts taxServiceIn
	if err := json.Unmarshal(r.Body, &ts); err != nil {
		t.Fatal(err)
	}
	if ts.TaxCodeID != "9" || len(ts.TaxRateDetails) != 3 || ts.TaxRateDetails[0].TaxRateID != "17" || ts.TaxRateDetails[1].TaxRateID != "18" ||
		ts.TaxRateDetails[2].TaxRateName != "20.0% S" || ts.TaxRateDetails[0].TaxApplicableOn != "Sales" {
		t.Fatalf("answer %s", r.Body)
	}
	code := sandboxtest.DecodeKey[TaxCode](t, b.api("GET", "/taxcode/9", nil).MustStatus(t, 200), "TaxCode")
	if len(code.SalesTaxRateList.TaxRateDetail) != 2 || len(code.PurchaseTaxRateList.TaxRateDetail) != 1 || !code.Active || !code.Taxable {
		t.Fatalf("code %+v", code)
	}
	cust := b.customer("Acme Ltd")
	inv := b.invoice(invoiceBody("BC-1", cust, salesLine(10, 1, 10, "9")))
	want := []struct{ rate, amount string }{{"17", "0.50"}, {"18", "0.70"}}
	if len(inv.TxnTaxDetail.TaxLine) != 2 {
		t.Fatalf("tax lines %+v", inv.TxnTaxDetail.TaxLine)
	}
	for i, w := range want {
		tl := inv.TxnTaxDetail.TaxLine[i]
		if tl.TaxLineDetail.TaxRateRef.Value != w.rate {
			t.Errorf("tax line %d: %+v", i, tl)
		}
		dec(t, tl.Amount, w.amount)
	}
	dec(t, inv.TotalAmt, "11.20")

	for _, bad := range []string{`{"TaxCode":"GST/PST BC","TaxRateDetails":[{"TaxRateId":"10"}]}`, `{"TaxCode":"X","TaxRateDetails":[]}`,
		`{"TaxCode":"Y","TaxRateDetails":[{"TaxRateName":"Z","RateValue":1}]}`, `{"TaxCode":"W","TaxRateDetails":[{"TaxRateId":"99"}]}`} {
		if r := b.api("POST", "/taxservice/taxcode", bad); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := setup(t).connect("us").api("POST", "/taxservice/taxcode", `{"TaxCode":"NY","TaxRateDetails":[{"TaxRateId":"1"}]}`); r.Status != 400 {
		t.Errorf("US company: %d %s", r.Status, r.Body)
	}
}
