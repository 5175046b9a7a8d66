package quickbooks

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

func TestUKTaxPerRateGroup(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	// Three lines of 0.03 at 20%: per line each would round to 0.01 (0.03 in
	// all); QuickBooks taxes the group, round2(0.09 × 0.2 = 0.018) = 0.02.
	inv := b.invoice(invoiceBody("UK-1", cust,
		salesLine(0.03, 1, 0.03, "2"), salesLine(0.03, 1, 0.03, "2"), salesLine(0.03, 1, 0.03, "2"),
		salesLine(10, 4, 2.5, "3"),  // 5%: 0.50
		salesLine(5, nil, nil, "4"), // 0% zero-rated
	))
	if inv.GlobalTaxCalculation != "TaxExcluded" || len(inv.TxnTaxDetail.TaxLine) != 3 {
		t.Fatalf("tax detail %+v", inv.TxnTaxDetail)
	}
	want := []struct{ rate, amount, net string }{{"10", "0.02", "0.09"}, {"11", "0.50", "10"}, {"12", "0", "5"}}
	for i, w := range want {
		tl := inv.TxnTaxDetail.TaxLine[i]
		if tl.TaxLineDetail.TaxRateRef.Value != w.rate || tl.DetailType != "TaxLineDetail" || !tl.TaxLineDetail.PercentBased {
			t.Fatalf("tax line %d: %+v", i, tl)
		}
		dec(t, tl.Amount, w.amount)
		dec(t, tl.TaxLineDetail.NetAmountTaxable, w.net)
	}
	dec(t, inv.TxnTaxDetail.TotalTax, "0.52")
	dec(t, inv.TotalAmt, "15.61")
	dec(t, inv.Balance, "15.61")
	// Lines are numbered, carry the item's income account, and a SubTotalLine follows them.
	last := inv.Line[len(inv.Line)-1]
	if len(inv.Line) != 6 || last.DetailType != "SubTotalLineDetail" || inv.Line[0].ID != "1" || inv.Line[4].LineNum != 5 {
		t.Fatalf("lines %+v", inv.Line)
	}
	dec(t, last.Amount, "15.09")
	if inv.Line[0].SalesItemLineDetail.ItemAccountRef.Value != acctServices || inv.Line[4].SalesItemLineDetail.Qty.String() != "1" {
		t.Fatalf("line detail %+v", inv.Line[0].SalesItemLineDetail)
	}
}

func TestUKTaxInclusive(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	// As in QuickBooks, an inclusive line's Amount is net and TaxInclusiveAmt gross. Three lines of
	// gross 0.04 at 20% (net 0.03 each): the rate's tax is extracted from the summed gross,
	// round2(0.12 × 20/120) = 0.02, not per line (0.01 × 3).
	inclusive := func() map[string]any {
		l := salesLine(0.03, nil, nil, "2")
		l["SalesItemLineDetail"].(map[string]any)["TaxInclusiveAmt"] = 0.04
		return l
	}
	body := invoiceBody("INC-1", cust, inclusive(), inclusive(), inclusive())
	body["GlobalTaxCalculation"] = "TaxInclusive"
	inv := b.invoice(body)
	dec(t, inv.TxnTaxDetail.TotalTax, "0.02")
	dec(t, inv.TxnTaxDetail.TaxLine[0].TaxLineDetail.NetAmountTaxable, "0.09")
	dec(t, inv.TotalAmt, "0.11")
	if inv.GlobalTaxCalculation != "TaxInclusive" {
		t.Fatalf("mode %s", inv.GlobalTaxCalculation)
	}
	// A client that books per-line tax sends its per-rate sum, which is honoured: the total is
	// then the gross the customer sees.
	body = invoiceBody("INC-2", cust, inclusive(), inclusive(), inclusive())
	body["GlobalTaxCalculation"] = "TaxInclusive"
	body["TxnTaxDetail"] = map[string]any{"TaxLine": []any{map[string]any{"Amount": 0.03, "DetailType": "TaxLineDetail",
		"TaxLineDetail": map[string]any{"TaxRateRef": map[string]any{"value": "10"}}}}}
	inv = b.invoice(body)
	dec(t, inv.TxnTaxDetail.TotalTax, "0.03")
	dec(t, inv.TotalAmt, "0.12")
}

func TestUKTaxOverride(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	body := invoiceBody("OVR-1", cust, salesLine(0.03, nil, nil, "2"), salesLine(0.03, nil, nil, "2"), salesLine(0.03, nil, nil, "2"))
	// The client's tax of a rate replaces the computed 0.02, and the difference is reported.
	for number, amount := range map[string]string{"OVR-1": "0.03", "OVR-2": "0.5"} {
		body["DocNumber"] = number
		body["TxnTaxDetail"] = map[string]any{"TaxLine": []any{map[string]any{"Amount": json.Number(amount), "DetailType": "TaxLineDetail",
			"TaxLineDetail": map[string]any{"TaxRateRef": map[string]any{"value": "10"}}}}}
		inv := b.invoice(body)
		want := decimal.RequireFromString(amount)
		dec(t, inv.TxnTaxDetail.TotalTax, want.StringFixed(2))
		dec(t, inv.TotalAmt, want.Add(decimal.RequireFromString("0.09")).StringFixed(2))
		if d := inv.TxnTaxDetail.TaxLine[0].TaxLineDetail.OverrideDeltaAmount; d == nil || !d.Equal(want.Sub(decimal.RequireFromString("0.02"))) {
			t.Fatalf("%s: OverrideDeltaAmount %v", number, d)
		}
	}
	// A tax line for a rate no line has is refused.
	body["DocNumber"] = "OVR-4"
	body["TxnTaxDetail"] = map[string]any{"TaxLine": []any{map[string]any{"Amount": 0.5, "DetailType": "TaxLineDetail",
		"TaxLineDetail": map[string]any{"TaxRateRef": map[string]any{"value": "11"}}}}}
	if code, _ := fault(t, b.api("POST", "/invoice", body).MustStatus(t, 400)); code != "6000" {
		t.Fatalf("code %s", code)
	}
	// A UK line needs a tax code.
	body = invoiceBody("OVR-3", cust, salesLine(1, nil, nil, ""))
	if code, _ := fault(t, b.api("POST", "/invoice", body).MustStatus(t, 400)); code != "6000" {
		t.Fatalf("code %s", code)
	}
}

func TestUSAutomatedSalesTax(t *testing.T) {
	b := setup(t).connect("us")
	cust := b.customer("Acme Inc")
	// A customer without an address is taxed at the company's, New York City: 4% state, 4.5%
	// city and 0.375% MCTD on the taxable 100.00, each rounded: 4.00 + 4.50 + 0.38.
	inv := b.invoice(invoiceBody("US-1", cust, salesLine(100, 2, 50, "TAX"), salesLine(50, nil, nil, "NON")))
	dec(t, inv.TxnTaxDetail.TotalTax, "8.88")
	dec(t, inv.TotalAmt, "158.88")
	if ref := inv.TxnTaxDetail.TxnTaxCodeRef; ref == nil || ref.Name != "New York City, NY" || len(inv.TxnTaxDetail.TaxLine) != 3 || inv.TxnTaxDetail.TaxReviewStatus != "" {
		t.Fatalf("tax detail %+v", inv.TxnTaxDetail)
	}
	for i, want := range []string{"4", "4.5", "0.38"} {
		tl := inv.TxnTaxDetail.TaxLine[i]
		dec(t, tl.Amount, want)
		dec(t, tl.TaxLineDetail.NetAmountTaxable, "100")
		if tl.TaxLineDetail.OverrideDeltaAmount != nil {
			t.Fatalf("tax line %d overridden: %+v", i, tl)
		}
	}
	if inv.GlobalTaxCalculation != "" || inv.CurrencyRef.Value != "USD" {
		t.Fatalf("US invoice %+v", inv)
	}
	// Lines take TAX or NON only.
	body := invoiceBody("US-3", cust, salesLine(1, nil, nil, "2"))
	if code, _ := fault(t, b.api("POST", "/invoice", body).MustStatus(t, 400)); code != "6000" {
		t.Fatalf("code %s", code)
	}
}

// TestUSSalesTaxByAddress: the ship-to address, else the customer's shipping then billing
// address, decides the state and local rates, with one TaxLine per jurisdiction.
func TestUSSalesTaxByAddress(t *testing.T) {
	b := setup(t).connect("us")
	customer := func(name string, bill, ship map[string]any) string {
		body := map[string]any{"DisplayName": name}
		if bill != nil {
			body["BillAddr"] = bill
		}
		if ship != nil {
			body["ShipAddr"] = ship
		}
		r := b.api("POST", "/customer", body).MustStatus(t, 200)
		return sandboxtest.DecodeKey[Customer](t, r, "Customer").ID
	}
	addr := func(city, state string) map[string]any {
		return map[string]any{"Line1": "1 Main St", "City": city, "CountrySubDivisionCode": state, "Country": "US"}
	}
	la := customer("LA Inc", addr("Los Angeles", "CA"), nil)
	seattle := customer("Seattle Inc", addr("Los Angeles", "CA"), addr("Seattle", "WA"))
	fresno := customer("Fresno Inc", addr("Fresno", "California"), nil)
	portland := customer("Portland Inc", addr("Portland", "OR"), nil)
	for _, c := range []struct {
		doc, cust, code, tax string
		ship                 map[string]any
		lines                []string
	}{
		// 6% + 1.25% + 2.5% of 123.45: 7.41 + 1.54 + 3.09 = 12.04 (9.75% combined would be 12.04).
		{"LA-1", la, "Los Angeles, CA", "12.04", nil, []string{"7.41", "1.54", "3.09"}},
		// The shipping address wins over the billing one: 6.5% + 3.85%.
		{"SEA-1", seattle, "Seattle, WA", "12.77", nil, []string{"8.02", "4.75"}},
		// A city the table does not list pays its state's rates alone.
		{"FRE-1", fresno, "CA", "8.95", nil, []string{"7.41", "1.54"}},
		{"PDX-1", portland, "OR", "0", nil, []string{"0"}},
		// The invoice's own ShipAddr wins over the customer's: Chicago, 6.25 + 1.75 + 1.25 + 1.
		{"CHI-1", la, "Chicago, IL", "12.65", addr("Chicago", "IL"), []string{"7.72", "2.16", "1.54", "1.23"}},
	} {
		body := invoiceBody(c.doc, c.cust, salesLine(123.45, nil, nil, "TAX"), salesLine(10, nil, nil, "NON"))
		if c.ship != nil {
			body["ShipAddr"] = c.ship
		}
		inv := b.invoice(body)
		if ref := inv.TxnTaxDetail.TxnTaxCodeRef; ref == nil || ref.Name != c.code || len(inv.TxnTaxDetail.TaxLine) != len(c.lines) {
			t.Fatalf("%s: tax detail %+v", c.doc, inv.TxnTaxDetail)
		}
		for i, want := range c.lines {
			dec(t, inv.TxnTaxDetail.TaxLine[i].Amount, want)
			dec(t, inv.TxnTaxDetail.TaxLine[i].TaxLineDetail.NetAmountTaxable, "123.45")
		}
		dec(t, inv.TxnTaxDetail.TotalTax, c.tax)
		dec(t, inv.TotalAmt, sandbox.NewAmount("133.45").Add(sandbox.NewAmount(c.tax).Decimal).String())
	}
	// The tax code and a rate per jurisdiction are the company's, as automated sales tax sets them up.
	var codes []TaxCode
	if err := json.Unmarshal(b.query("select * from TaxCode where Name = 'Los Angeles, CA'")["TaxCode"], &codes); err != nil || len(codes) != 1 || len(codes[0].SalesTaxRateList.TaxRateDetail) != 3 {
		t.Fatalf("tax code: %+v %v", codes, err)
	}
}

// TestUSSalesTaxOverride: an explicit TotalTax replaces automated sales tax, prorated over the
// jurisdictions by their rates, each line reporting its difference from the computed tax, and the
// invoice marked AST_TAX_OVERRIDE; nothing taxable refuses a tax.
func TestUSSalesTaxOverride(t *testing.T) {
	b := setup(t).connect("us")
	cust := b.customer("Acme Inc")
	body := invoiceBody("OVR-1", cust, salesLine(100, nil, nil, "TAX"), salesLine(50, nil, nil, "TAX"))
	body["TxnTaxDetail"] = map[string]any{"TotalTax": 9}
	inv := b.invoice(body)
	dec(t, inv.TxnTaxDetail.TotalTax, "9")
	dec(t, inv.TotalAmt, "159")
	if inv.TxnTaxDetail.TaxReviewStatus != "AST_TAX_OVERRIDE" || len(inv.TxnTaxDetail.TaxLine) != 3 {
		t.Fatalf("tax detail %+v", inv.TxnTaxDetail)
	}
	// Computed on 150.00: 6.00, 6.75, 0.56 (13.31). 9.00 by 4 : 4.5 : 0.375 of 8.875: 4.06, 4.56,
	// and the remainder 0.38.
	sum := decimal.Zero
	for i, w := range []struct{ amount, delta string }{{"4.06", "-1.94"}, {"4.56", "-2.19"}, {"0.38", "-0.18"}} {
		tl := inv.TxnTaxDetail.TaxLine[i]
		dec(t, tl.Amount, w.amount)
		if tl.TaxLineDetail.OverrideDeltaAmount == nil {
			t.Fatalf("tax line %d has no OverrideDeltaAmount", i)
		}
		dec(t, *tl.TaxLineDetail.OverrideDeltaAmount, w.delta)
		sum = sum.Add(tl.Amount.Decimal)
	}
	if !sum.Equal(decimal.NewFromInt(9)) {
		t.Fatalf("tax lines sum to %s", sum)
	}
	// A TotalTax equal to the computed one is no override.
	body = invoiceBody("OVR-2", cust, salesLine(100, nil, nil, "TAX"))
	body["TxnTaxDetail"] = map[string]any{"TotalTax": 8.88}
	if inv = b.invoice(body); inv.TxnTaxDetail.TaxReviewStatus != "" {
		t.Fatalf("tax detail %+v", inv.TxnTaxDetail)
	}
	// Tax on an invoice with nothing taxable has nothing to be charged on.
	body = invoiceBody("OVR-3", cust, salesLine(100, nil, nil, "NON"))
	body["TxnTaxDetail"] = map[string]any{"TotalTax": 5}
	if code, _ := fault(t, b.api("POST", "/invoice", body).MustStatus(t, 400)); code != "6000" {
		t.Fatalf("code %s", code)
	}
}

func TestInvoiceValidation(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	b.invoice(invoiceBody("DUP-1", cust, salesLine(10, nil, nil, "2")))
	cases := []struct {
		name string
		body map[string]any
		code string
	}{
		{"duplicate DocNumber", invoiceBody("dup-1", cust, salesLine(10, nil, nil, "2")), "6140"},
		{"unknown ItemRef", invoiceBody("X-1", cust, map[string]any{"Amount": 1, "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": "99"}, "TaxCodeRef": map[string]any{"value": "2"}}}), "610"},
		{"unknown customer", invoiceBody("X-2", "99", salesLine(10, nil, nil, "2")), "610"},
		{"Amount != Qty × UnitPrice", invoiceBody("X-3", cust, salesLine(9.99, 3, 3.333, "2")), "6070"},
		{"unknown tax code", invoiceBody("X-4", cust, salesLine(10, nil, nil, "77")), "2500"},
		{"no lines", invoiceBody("X-5", cust), "2020"},
	}
	for _, c := range cases {
		r := b.api("POST", "/invoice", c.body)
		if r.Status != 400 {
			t.Fatalf("%s: status %d: %s", c.name, r.Status, r.Body)
		}
		if code, typ := fault(t, r); code != c.code || typ != "ValidationFault" {
			t.Fatalf("%s: code %s type %s, want %s: %s", c.name, code, typ, c.code, r.Body)
		}
	}
	// 3 × 3.333 = 9.999 rounds to 10.00: accepted.
	b.invoice(invoiceBody("X-3", cust, salesLine(10, 3, 3.333, "2")))
	// Home currency only.
	body := invoiceBody("X-6", cust, salesLine(10, nil, nil, "2"))
	body["CurrencyRef"] = map[string]any{"value": "EUR"}
	b.api("POST", "/invoice", body).MustStatus(t, 400)
	if n := len(b.sb.Invoices(b.realm)); n != 2 {
		t.Fatalf("%d invoices stored, want 2", n)
	}
}

func TestCustomerValidationAndStaleSyncToken(t *testing.T) {
	b := setup(t).connect("")
	id := b.customer("Acme Ltd")
	if code, _ := fault(t, b.api("POST", "/customer", map[string]any{"DisplayName": "acme ltd"}).MustStatus(t, 400)); code != "6240" {
		t.Fatalf("duplicate name code %s", code)
	}
	// Sparse update with the current SyncToken works and bumps it.
	r := b.api("POST", "/customer", map[string]any{"Id": id, "SyncToken": "0", "sparse": true,
		"PrimaryEmailAddr": map[string]any{"Address": "ap@acme.test"}}).MustStatus(t, 200)
	cu := sandboxtest.DecodeKey[Customer](t, r, "Customer")
	if cu.SyncToken != "1" || cu.DisplayName != "Acme Ltd" || cu.PrimaryEmailAddr.Address != "ap@acme.test" {
		t.Fatalf("updated %+v", cu)
	}
	// The old token is stale.
	r = b.api("POST", "/customer", map[string]any{"Id": id, "SyncToken": "0", "sparse": true, "Notes": "x"}).MustStatus(t, 400)
	if code, _ := fault(t, r); code != "5010" {
		t.Fatalf("stale code %s: %s", code, r.Body)
	}
	// Invoices too.
	inv := b.invoice(invoiceBody("S-1", id, salesLine(10, nil, nil, "2")))
	up := map[string]any{"Id": inv.ID, "SyncToken": "0", "sparse": true, "DueDate": "2026-05-01"}
	got := sandboxtest.DecodeKey[Invoice](t, b.api("POST", "/invoice", up).MustStatus(t, 200), "Invoice")
	if got.SyncToken != "1" || got.DueDate != "2026-05-01" || !got.TotalAmt.Equal(inv.TotalAmt.Decimal) || len(got.Line) != len(inv.Line) {
		t.Fatalf("sparse invoice update %+v", got)
	}
	if code, _ := fault(t, b.api("POST", "/invoice", up).MustStatus(t, 400)); code != "5010" {
		t.Fatalf("stale invoice code %s", code)
	}
}

func TestPaymentReducesBalance(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	inv := b.invoice(invoiceBody("P-1", cust, salesLine(100, nil, nil, "2"))) // 120.00
	pay := map[string]any{"CustomerRef": map[string]any{"value": cust}, "TotalAmt": 50,
		"Line": []any{map[string]any{"Amount": 50, "LinkedTxn": []any{map[string]any{"TxnId": inv.ID, "TxnType": "Invoice"}}}}}
	p := sandboxtest.DecodeKey[Payment](t, b.api("POST", "/payment", pay).MustStatus(t, 200), "Payment")
	if p.DepositToAccountRef.Value != acctUndeposited {
		t.Fatalf("payment %+v", p)
	}
	got := sandboxtest.DecodeKey[Invoice](t, b.api("GET", "/invoice/"+inv.ID, nil).MustStatus(t, 200), "Invoice")
	dec(t, got.Balance, "70")
	if len(got.LinkedTxn) != 1 || got.LinkedTxn[0].TxnType != "Payment" || got.SyncToken != "1" {
		t.Fatalf("invoice after payment %+v", got)
	}
	dec(t, b.sb.Customers(b.realm)[0].Balance, "70")
	// Paying more than the balance is refused.
	pay["TotalAmt"] = 80
	pay["Line"].([]any)[0].(map[string]any)["Amount"] = 80
	b.api("POST", "/payment", pay).MustStatus(t, 400)
}

func TestUKDiscountSharedOverRates(t *testing.T) {
	b := setup(t).connect("")
	cust := b.customer("Acme Ltd")
	// A 15.00 discount over 100.00 at 20% and 50.00 at 5%: shares 10.00 and
	// 5.00, so tax round2(90 × 0.2) + round2(45 × 0.05) = 18.00 + 2.25.
	body := invoiceBody("D-1", cust, salesLine(100, nil, nil, "2"), salesLine(50, nil, nil, "3"),
		map[string]any{"Amount": 15, "DetailType": "DiscountLineDetail", "DiscountLineDetail": map[string]any{"PercentBased": false}})
	inv := b.invoice(body)
	dec(t, inv.TxnTaxDetail.TotalTax, "20.25")
	dec(t, inv.TxnTaxDetail.TaxLine[0].TaxLineDetail.NetAmountTaxable, "90")
	dec(t, inv.TotalAmt, "155.25")
	if !inv.ApplyTaxAfterDiscount || inv.Line[len(inv.Line)-1].DetailType != "DiscountLineDetail" {
		t.Fatalf("discount line %+v", inv.Line)
	}
}
