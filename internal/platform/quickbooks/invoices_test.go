package quickbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	qbsandbox "github.com/booksync/booksync/internal/sandbox/quickbooks"
)

// invoices returns n exclusive GBP invoices of one line each (2 × 10.00 at 20%, the UK
// sandbox's tax code 2).
func invoices(n int, contact string) []platform.Invoice {
	out := make([]platform.Invoice, n)
	for i := range out {
		out[i] = platform.Invoice{Ref: fmt.Sprintf("rcv-%d", i), Number: fmt.Sprintf("INV-%03d", i), ContactID: contact,
			Date: "2024-03-01", DueDate: "2024-03-31", Currency: "GBP",
			Lines: []platform.InvoiceLine{{Description: "Widget", ItemCode: "SKU-1", Quantity: qty("2"), UnitAmount: 1000,
				TaxCode: "2", LineAmount: 2000, TaxAmount: 400}},
			Expected: platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}}
	}
	return out
}

// invoicing returns a UK company with a customer and the item SKU-1, and the customer's and the
// item's Ids.
func invoicing(t *testing.T) (co *company, customer, item string) {
	t.Helper()
	co = newCompany(t, "uk")
	return co, co.customer("Acme Ltd"), co.item("Widget", "SKU-1")
}

func TestPushInvoicesFirstPushCreatesInBatchesWithoutLookUp(t *testing.T) {
	t.Parallel()
	co, acme, widget := invoicing(t)
	c := co.client(Config{})
	res, err := c.PushInvoices(context.Background(), invoices(31, acme))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.PlatformID == "" || r.Matched || r.Totals == nil || *r.Totals != (platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}) {
			t.Errorf("%s: %+v", r.Ref, r)
		}
	}
	for _, cl := range co.rec.recorded() {
		if strings.Contains(cl.sql(), "from Invoice") {
			t.Errorf("first push looked invoices up: %s", cl.sql())
		}
	}
	batches := co.rec.batches()
	if len(batches) != 2 {
		t.Fatalf("%d batches, want 2", len(batches))
	}
	sent := batchItems(t, batches[0].body, "Invoice")
	if len(sent) != 30 {
		t.Fatalf("first batch has %d invoices", len(sent))
	}
	inv := sent[0]
	line := inv["Line"].([]any)[0].(map[string]any)
	d := line["SalesItemLineDetail"].(map[string]any)
	if inv["DocNumber"] != "INV-000" || inv["TxnDate"] != "2024-03-01" || inv["DueDate"] != "2024-03-31" ||
		inv["CustomerRef"].(map[string]any)["value"] != acme || inv["CurrencyRef"].(map[string]any)["value"] != "GBP" ||
		inv["GlobalTaxCalculation"] != "TaxExcluded" || line["Amount"] != json.Number("20.00") || d["Qty"] != json.Number("2") ||
		d["UnitPrice"] != json.Number("10") || d["ItemRef"].(map[string]any)["value"] != widget || d["TaxCodeRef"].(map[string]any)["value"] != "2" {
		t.Errorf("sent %v", inv)
	}
	// Code 2 is the rate 10 (20%).
	td := inv["TxnTaxDetail"].(map[string]any)
	tl := td["TaxLine"].([]any)[0].(map[string]any)
	tld := tl["TaxLineDetail"].(map[string]any)
	if td["TotalTax"] != json.Number("4.00") || tl["Amount"] != json.Number("4.00") || tl["DetailType"] != "TaxLineDetail" ||
		tld["TaxRateRef"].(map[string]any)["value"] != "10" || tld["NetAmountTaxable"] != json.Number("20.00") ||
		tld["TaxPercent"] != json.Number("20") || tld["PercentBased"] != true {
		t.Errorf("tax detail %v", td)
	}
	if n := len(co.sb.Invoices(co.realm)); n != 31 {
		t.Fatalf("the company has %d invoices, want 31", n)
	}

	// The same batches sent again replay QuickBooks' answers: same requestids, same ids.
	res2, err := co.client(Config{}).PushInvoices(context.Background(), invoices(31, acme))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(co.sb.Invoices(co.realm)); n != 31 || res2[0].PlatformID != res[0].PlatformID || res2[30].PlatformID != res[30].PlatformID {
		t.Errorf("retry created invoices: 31 -> %d", n)
	}
}

// TestPushInvoicesLooksItemsUpOncePerClient: QuickBooks meters every query as a call, so the
// batches of one push look their items and tax codes up once, not once a batch: at the ceiling
// of 500 calls a minute, a look-up per batch of 30 invoices costs 3% of the invoices.
func TestPushInvoicesLooksItemsUpOncePerClient(t *testing.T) {
	t.Parallel()
	co, acme, _ := invoicing(t)
	c := co.client(Config{})
	for batch := range 3 {
		invs := invoices(10, acme)
		for i := range invs {
			invs[i].Ref, invs[i].Number = fmt.Sprintf("rcv-%d-%d", batch, i), fmt.Sprintf("INV-%d-%02d", batch, i)
		}
		res, err := c.PushInvoices(context.Background(), invs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Ref, r.Err)
			}
		}
	}
	var items, taxCodes int
	for _, cl := range co.rec.recorded() {
		switch sql := strings.ToLower(cl.sql()); {
		case strings.Contains(sql, "from item"):
			items++
		case strings.Contains(sql, "from taxcode"):
			taxCodes++
		}
	}
	if items != 1 || taxCodes != 1 || len(co.rec.batches()) != 3 {
		t.Errorf("three pushes made %d item look-ups, %d tax code look-ups and %d batches; want 1, 1 and 3", items, taxCodes, len(co.rec.batches()))
	}
	// A new client (the next push) looks them up again: what the user changed in QuickBooks
	// meanwhile is seen.
	if _, err := co.client(Config{}).PushInvoices(context.Background(), invoices(1, acme)[:1]); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cl := range co.rec.recorded() {
		if strings.Contains(strings.ToLower(cl.sql()), "from item") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("a new client made %d item look-ups in all, want 2", n)
	}
}

func TestPushInvoicesLooksUpOnlyMaybeExists(t *testing.T) {
	t.Parallel()
	co, acme, widget := invoicing(t)
	var existing entity
	co.api("POST", "/invoice", map[string]any{"DocNumber": "INV-000", "CustomerRef": map[string]any{"value": acme}, "TxnDate": "2024-03-01",
		"Line": []any{map[string]any{"Amount": 20, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{
			"ItemRef": map[string]any{"value": widget}, "Qty": 2, "UnitPrice": 10, "TaxCodeRef": map[string]any{"value": "2"}}}}}, "Invoice", &existing)
	c := co.client(Config{})
	invs := invoices(3, acme)
	invs[0].MaybeExists, invs[1].MaybeExists = true, true
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != existing.Id || r.Totals == nil || *r.Totals != (platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}) {
		t.Errorf("matched: %+v", r)
	}
	if res[1].Matched || res[1].Err != nil || res[2].Matched || res[2].Err != nil {
		t.Errorf("created: %+v %+v", res[1], res[2])
	}
	var lookups []string
	for _, cl := range co.rec.recorded() {
		if strings.Contains(cl.sql(), "from Invoice") {
			lookups = append(lookups, cl.sql())
		}
	}
	if len(lookups) != 1 || !strings.Contains(lookups[0], "DocNumber in ('INV-000','INV-001')") {
		t.Errorf("look-ups %v", lookups)
	}
	if n := len(co.sb.Invoices(co.realm)); n != 3 {
		t.Errorf("the company has %d invoices, want 3", n)
	}
}

// Each invoice of a batch gets QuickBooks' own verdict on it.
func TestPushInvoicesPerItemFaults(t *testing.T) {
	t.Parallel()
	co, acme, widget := invoicing(t)
	co.item("Gizmo", "SKU-2")
	// INV-001 is taken already.
	co.api("POST", "/invoice", map[string]any{"DocNumber": "INV-001", "CustomerRef": map[string]any{"value": acme},
		"Line": []any{map[string]any{"Amount": 1, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{
			"ItemRef": map[string]any{"value": widget}, "TaxCodeRef": map[string]any{"value": "2"}}}}}, "", nil)
	invs := invoices(5, acme)
	invs[2].Lines[0].ItemCode = "SKU-2" // made inactive after the connector looked it up
	invs[3].ContactID = "9999"          // no such customer
	invs[4].Currency = "USD"            // not the company's currency, and multicurrency is off
	co.rec.setBefore(func(cl call) (*http.Response, error) {
		if cl.path == "/batch" {
			for _, it := range co.sb.Items(co.realm) {
				if it.Sku == "SKU-2" && it.Active {
					co.update("Item", it.ID, map[string]any{"Active": false})
				}
			}
		}
		return nil, nil
	})
	c := co.client(Config{})
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Err != nil || r.PlatformID == "" || r.Totals.Total != 2400 || r.Totals.Subtotal != 2000 {
		t.Errorf("created: %+v", r)
	}
	want := []struct {
		class   platform.Class
		code    string
		message string
		field   string
	}{
		{platform.NeedsUserAction, "duplicate_invoice_number", "Invoice number already exists in QuickBooks: ", "DocNumber"},
		{platform.NeedsUserAction, "item_not_found", "Item does not exist in QuickBooks: ", "ItemRef"},
		{platform.NeedsUserAction, "contact_not_found", "Customer does not exist in QuickBooks", "CustomerRef"},
		{platform.NeedsUserAction, "currency_mismatch", "Currency not allowed in QuickBooks: ", "CurrencyRef"},
	}
	for k, w := range want {
		var perr *platform.Error
		if !errors.As(res[k+1].Err, &perr) {
			t.Errorf("invoice %d: %v", k+1, res[k+1].Err)
			continue
		}
		if perr.Class != w.class || perr.Code != w.code || !strings.HasPrefix(perr.Message, w.message) ||
			(w.field != "" && !strings.HasSuffix(perr.Details[0].Field, w.field)) {
			t.Errorf("invoice %d: %+v %+v, want %+v", k+1, perr, perr.Details, w)
		}
	}
	if n := len(co.sb.Invoices(co.realm)); n != 2 {
		t.Errorf("the company has %d invoices, want INV-001 and INV-000", n)
	}
	for _, typ := range []string{"IntuitBatchRequest", "BatchItemResponse", "Invoice", "Fault"} {
		if co.spec.Checked(typ) == 0 {
			t.Errorf("no %s was checked against the XSDs", typ)
		}
	}
}

func TestInvoiceLinesKeepBooksyncAmounts(t *testing.T) {
	t.Parallel()
	co, acme, _ := invoicing(t)
	bc := co.taxCode("GST/PST BC", "GST=5", "PST BC=7")
	c := co.client(Config{})
	inv := platform.Invoice{Ref: "r1", Number: "INV-9", ContactID: acme, Date: "2024-03-01", Currency: "GBP", Reference: "PO 77",
		Lines: []platform.InvoiceLine{
			// 2 × 10.00 less 3.00: 17.00 = 2 × 8.50.
			{Description: "Discounted", ItemCode: "SKU-1", Quantity: qty("2"), UnitAmount: 1000, DiscountAmount: 300, TaxCode: "2", LineAmount: 1700, TaxAmount: 340},
			// 0.3333 × 1.00 = 0.3333, rounded 0.33: no exact price with 7 decimals.
			{Description: "Fraction", ItemCode: "SKU-1", Quantity: qty("0.3333"), UnitAmount: 100, TaxCode: "2", LineAmount: 33, TaxAmount: 7},
			// 2.5 × 3.99 = 9.975 → 9.98 = 2.5 × 3.992, at 5% + 7%.
			{Description: "Half", ItemCode: "SKU-1", Quantity: qty("2.5"), UnitAmount: 399, TaxCode: bc, LineAmount: 998, TaxAmount: 120},
			// A deduction without an item, booked to account 4000.
			{Description: "Deduction", Quantity: qty("1"), UnitAmount: -500, AccountCode: "4000", TaxCode: "2", LineAmount: -500, TaxAmount: -100},
		}}
	res, err := c.PushInvoices(context.Background(), []platform.Invoice{inv})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	sent := batchItems(t, co.rec.batches()[0].body, "Invoice")[0]
	lines := sent["Line"].([]any)
	wants := []struct{ amount, qty, price, desc string }{
		{"17.00", "2", "8.5", "Discounted"},
		{"0.33", "1", "0.33", "Fraction (0.3333 × 1.00)"},
		{"9.98", "2.5", "3.992", "Half"},
		{"-5.00", "1", "-5", "Deduction"},
	}
	for k, w := range wants {
		l := lines[k].(map[string]any)
		d := l["SalesItemLineDetail"].(map[string]any)
		if l["Amount"] != json.Number(w.amount) || d["Qty"] != json.Number(w.qty) || d["UnitPrice"] != json.Number(w.price) || l["Description"] != w.desc {
			t.Errorf("line %d = %v %v, want %+v", k, l, d, w)
		}
		a := decimal.RequireFromString(string(l["Amount"].(json.Number)))
		q := decimal.RequireFromString(string(d["Qty"].(json.Number)))
		p := decimal.RequireFromString(string(d["UnitPrice"].(json.Number)))
		if !q.Mul(p).Equal(a) {
			t.Errorf("line %d: %s × %s != %s", k, q, p, a)
		}
	}
	if d := lines[3].(map[string]any)["SalesItemLineDetail"].(map[string]any); d["ItemRef"] != nil || d["ItemAccountRef"].(map[string]any)["value"] != "1" {
		t.Errorf("deduction line detail %v", d)
	}
	if sent["PrivateNote"] != "PO 77" {
		t.Errorf("PrivateNote = %v", sent["PrivateNote"])
	}
	// Tax lines: rate 10 (20%) gets lines 0, 1 and 3; the code of 5% (rate 17) and 7% (rate 18),
	// made after the UK company's seven seeded rates, splits 1.20 into 0.50 and 0.70.
	td := sent["TxnTaxDetail"].(map[string]any)
	got := map[string][2]string{}
	for _, raw := range td["TaxLine"].([]any) {
		tl := raw.(map[string]any)
		d := tl["TaxLineDetail"].(map[string]any)
		got[d["TaxRateRef"].(map[string]any)["value"].(string)] = [2]string{string(tl["Amount"].(json.Number)), string(d["NetAmountTaxable"].(json.Number))}
	}
	if want := map[string][2]string{"10": {"2.47", "12.33"}, "17": {"0.50", "9.98"}, "18": {"0.70", "9.98"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tax lines %v, want %v", got, want)
	}
	if td["TotalTax"] != json.Number("3.67") {
		t.Errorf("TotalTax = %v", td["TotalTax"])
	}
	if r := res[0].Totals; r == nil || *r != (platform.Totals{Subtotal: 2231, Tax: 367, Total: 2598}) {
		t.Errorf("totals %+v", r)
	}
}

func TestInclusiveInvoice(t *testing.T) {
	t.Parallel()
	co, acme, _ := invoicing(t)
	c := co.client(Config{})
	res, err := c.PushInvoices(context.Background(), []platform.Invoice{{Ref: "incl", Number: "I-1", ContactID: acme, Date: "2024-03-01", Currency: "GBP", Inclusive: true,
		Lines: []platform.InvoiceLine{{ItemCode: "SKU-1", Quantity: qty("3"), UnitAmount: 1200, TaxCode: "2", LineAmount: 3600, TaxAmount: 600}}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	incl := batchItems(t, co.rec.batches()[0].body, "Invoice")[0]
	l := incl["Line"].([]any)[0].(map[string]any)
	d := l["SalesItemLineDetail"].(map[string]any)
	if incl["GlobalTaxCalculation"] != "TaxInclusive" || l["Amount"] != json.Number("30.00") || d["TaxInclusiveAmt"] != json.Number("36.00") ||
		d["UnitPrice"] != json.Number("10") {
		t.Errorf("inclusive %v", incl)
	}
	if r := res[0].Totals; r == nil || *r != (platform.Totals{Subtotal: 3000, Tax: 600, Total: 3600}) {
		t.Errorf("inclusive totals %+v", r)
	}
}

// Under US automated sales tax, lines say TAX or NON and booksync's tax is the invoice's TotalTax.
func TestUSInvoice(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "us")
	acme := co.customer("Acme Inc")
	co.item("Widget", "SKU-1")
	c := co.client(Config{})
	res, err := c.PushInvoices(context.Background(), []platform.Invoice{{Ref: "us", Number: "U-1", ContactID: acme, Date: "2024-03-01", Currency: "USD",
		Lines: []platform.InvoiceLine{
			{ItemCode: "SKU-1", Quantity: qty("1"), UnitAmount: 10000, TaxCode: "TAX", LineAmount: 10000, TaxAmount: 825},
			{ItemCode: "SKU-1", Quantity: qty("1"), UnitAmount: 500, TaxCode: "NON", LineAmount: 500}}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	us := batchItems(t, co.rec.batches()[0].body, "Invoice")[0]
	td := us["TxnTaxDetail"].(map[string]any)
	if td["TotalTax"] != json.Number("8.25") || td["TaxLine"] != nil {
		t.Errorf("US tax detail %v", td)
	}
	if r := res[0].Totals; r == nil || *r != (platform.Totals{Subtotal: 10500, Tax: 825, Total: 11325}) {
		t.Errorf("US totals %+v", r)
	}
}

// TestUSSalesTaxAgainstTheAddress: QuickBooks computes automated sales tax from the customer's
// address (Los Angeles, 9.75%). An invoice whose tax agrees is booked as computed; one whose tax
// does not (booksync's 8.875%, as the platform sent it) is booked with booksync's tax as an
// override, prorated over LA's jurisdictions; an inclusive invoice goes as its net amounts plus its
// tax; and a tax with no taxable line is refused before anything is written.
func TestUSSalesTaxAgainstTheAddress(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "us")
	la := co.create("Customer", map[string]any{"DisplayName": "LA Inc", "BillAddr": map[string]any{
		"Line1": "200 N Spring St", "City": "Los Angeles", "CountrySubDivisionCode": "CA", "PostalCode": "90012", "Country": "US"}})
	co.item("Widget", "SKU-1")
	c := co.client(Config{})
	line := func(amount, tax int64, code string) platform.InvoiceLine {
		return platform.InvoiceLine{ItemCode: "SKU-1", Quantity: qty("1"), UnitAmount: amount, TaxCode: code, LineAmount: amount, TaxAmount: tax}
	}
	invs := []platform.Invoice{
		// 9.75% of 100.00, as QuickBooks computes it for Los Angeles: no override.
		{Ref: "agrees", Number: "LA-1", ContactID: la, Date: "2026-03-01", Currency: "USD", Lines: []platform.InvoiceLine{line(10000, 975, "TAX")}},
		// 8.875% of 100.00 (8.88) where QuickBooks would charge 9.75: booksync's tax is booked.
		{Ref: "differs", Number: "LA-2", ContactID: la, Date: "2026-03-01", Currency: "USD", Lines: []platform.InvoiceLine{line(10000, 888, "TAX"), line(500, 0, "NON")}},
		// Inclusive: 108.88 including 8.88 of tax.
		{Ref: "inclusive", Number: "LA-3", ContactID: la, Date: "2026-03-01", Currency: "USD", Inclusive: true, Lines: []platform.InvoiceLine{line(10888, 888, "TAX")}},
		// A taxed line mapped to Non-taxable.
		{Ref: "untaxable", Number: "LA-4", ContactID: la, Date: "2026-03-01", Currency: "USD", Lines: []platform.InvoiceLine{line(10000, 888, "NON")}},
	}
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []platform.Totals{{Subtotal: 10000, Tax: 975, Total: 10975}, {Subtotal: 10500, Tax: 888, Total: 11388}, {Subtotal: 10000, Tax: 888, Total: 10888}} {
		if res[i].Err != nil || res[i].Totals == nil || *res[i].Totals != want {
			t.Errorf("%s: %+v %v, want %+v", invs[i].Ref, res[i].Totals, res[i].Err, want)
		}
	}
	if cl, code := classOf(t, res[3].Err); cl != platform.NeedsUserAction || code != "sales_tax_without_taxable_line" {
		t.Errorf("untaxable: %s %s", cl, code)
	}
	books := map[string]qbsandbox.Invoice{}
	for _, b := range co.sb.Invoices(co.realm) {
		books[b.DocNumber] = b
	}
	if len(books) != 3 {
		t.Fatalf("%d invoices in the books, want 3", len(books))
	}
	for doc, status := range map[string]string{"LA-1": "", "LA-2": "AST_TAX_OVERRIDE", "LA-3": "AST_TAX_OVERRIDE"} {
		td := books[doc].TxnTaxDetail
		if td.TaxReviewStatus != status || td.TxnTaxCodeRef == nil || td.TxnTaxCodeRef.Name != "Los Angeles, CA" || len(td.TaxLine) != 3 {
			t.Errorf("%s: tax detail %+v", doc, td)
		}
	}
	// The override is spread over state, local and district rates (6 : 1.25 : 2.5 of 9.75).
	for i, want := range []string{"5.46", "1.14", "2.28"} {
		if got := books["LA-2"].TxnTaxDetail.TaxLine[i].Amount.String(); got != want {
			t.Errorf("LA-2 tax line %d: %s, want %s", i, got, want)
		}
	}
	if b := books["LA-3"]; b.Line[0].Amount.String() != "100" || b.Line[0].SalesItemLineDetail.TaxInclusiveAmt != nil {
		t.Errorf("inclusive invoice's line: %+v", b.Line[0])
	}
}

func TestPushInvoicesPrechecks(t *testing.T) {
	t.Parallel()
	co, acme, _ := invoicing(t)
	c := co.client(Config{})
	invs := invoices(4, acme)
	invs[0].Number = strings.Repeat("9", 22)
	invs[1].ContactID = ""
	invs[2].Lines[0].ItemCode = "NOPE"
	invs[3].Lines[0].TaxCode = "99"
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"invoice_number_too_long", "contact_not_synced", "item_not_found", "tax_rate_not_found"} {
		if cl, got := classOf(t, res[i].Err); cl != platform.NeedsUserAction || got != code {
			t.Errorf("invoice %d: %s %s, want %s", i, cl, got, code)
		}
	}
	var perr *platform.Error
	errors.As(res[2].Err, &perr)
	if perr.Details[0].Field != "Line[0].SalesItemLineDetail.ItemRef" {
		t.Errorf("field %s", perr.Details[0].Field)
	}
	if co.rec.count("POST", "/batch") != 0 {
		t.Error("invalid invoices were sent")
	}
}

func TestPushPayments(t *testing.T) {
	t.Parallel()
	co, acme, widget := invoicing(t)
	var inv entity
	co.api("POST", "/invoice", map[string]any{"DocNumber": "1037", "CustomerRef": map[string]any{"value": acme},
		"Line": []any{map[string]any{"Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{
			"ItemRef": map[string]any{"value": widget}, "Qty": 1, "UnitPrice": 100, "TaxCodeRef": map[string]any{"value": "6"}}}}}, "Invoice", &inv)
	c := co.client(Config{})
	res, err := c.PushPayments(context.Background(), []platform.Payment{
		{Ref: "pay-1", InvoiceID: inv.Id, AccountCode: "1000", Date: "2024-03-05", Amount: 4050, Currency: "GBP", Reference: "wire 123"},
		{Ref: "pay-2", InvoiceID: "999", AccountID: "5", Date: "2024-03-05", Amount: 100, Currency: "GBP"},
		{Ref: "pay-3", InvoiceID: inv.Id, Date: "2024-03-05", Amount: 100, Currency: "GBP"},
		{Ref: "pay-4", InvoiceID: inv.Id, AccountID: "5", Date: "2024-03-05", Amount: 6000, Currency: "GBP"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Err != nil || r.PlatformID == "" {
		t.Errorf("paid: %+v", r)
	}
	if _, code := classOf(t, res[1].Err); code != "invoice_not_found" {
		t.Errorf("unknown invoice: %s", code)
	}
	if _, code := classOf(t, res[2].Err); code != "payment_account_missing" {
		t.Errorf("no account: %s", code)
	}
	// 60.00 is more than the 59.50 left once pay-1 is applied: QuickBooks' business rule.
	var perr *platform.Error
	if !errors.As(res[3].Err, &perr) || perr.Class != platform.NeedsUserAction || perr.Code != "validation_failed" ||
		!strings.HasPrefix(perr.Message, "QuickBooks rejected the data: ") {
		t.Errorf("over the balance: %+v", res[3].Err)
	}
	p := batchItems(t, co.rec.batches()[0].body, "Payment")[0]
	line := p["Line"].([]any)[0].(map[string]any)
	link := line["LinkedTxn"].([]any)[0].(map[string]any)
	// Account number 1000 is Checking, Id 5.
	if p["CustomerRef"].(map[string]any)["value"] != acme || p["TotalAmt"] != json.Number("40.50") || line["Amount"] != json.Number("40.50") ||
		link["TxnId"] != inv.Id || link["TxnType"] != "Invoice" || p["DepositToAccountRef"].(map[string]any)["value"] != "5" ||
		p["TxnDate"] != "2024-03-05" || p["PaymentRefNum"] != "wire 123" {
		t.Errorf("sent %v", p)
	}
	if got := co.sb.Invoices(co.realm)[0].Balance.String(); got != "59.5" {
		t.Errorf("the invoice's balance is %s, want 59.5", got)
	}
	if co.spec.Checked("Payment") < 2 {
		t.Errorf("%d payments checked against the XSDs, want the request's and the answer's", co.spec.Checked("Payment"))
	}
}

func TestInvoicesReadBack(t *testing.T) {
	t.Parallel()
	co, acme, widget := invoicing(t)
	var inv entity
	co.api("POST", "/invoice", map[string]any{"DocNumber": "1037", "TxnDate": "2024-03-01", "DueDate": "2024-03-31", "GlobalTaxCalculation": "TaxInclusive",
		"CustomerRef": map[string]any{"value": acme},
		"Line": []any{map[string]any{"Description": "Widget", "Amount": 30, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": map[string]any{
			"ItemRef": map[string]any{"value": widget}, "Qty": 3, "UnitPrice": 10, "TaxCodeRef": map[string]any{"value": "2"}, "TaxInclusiveAmt": 36}}}}, "Invoice", &inv)
	co.api("POST", "/payment", map[string]any{"CustomerRef": map[string]any{"value": acme}, "TotalAmt": 36,
		"Line": []any{map[string]any{"Amount": 36, "LinkedTxn": []any{map[string]any{"TxnId": inv.Id, "TxnType": "Invoice"}}}}}, "", nil)
	c := co.client(Config{})
	ri, err := c.Invoice(context.Background(), inv.Id)
	if err != nil {
		t.Fatal(err)
	}
	updated, err := time.Parse(time.RFC3339, co.sb.Invoices(co.realm)[0].MetaData.LastUpdatedTime)
	if err != nil {
		t.Fatal(err)
	}
	if ri.ID != inv.Id || ri.Number != "1037" || ri.ContactID != acme || ri.ContactName != "Acme Ltd" || !ri.Inclusive || ri.Status != "PAID" ||
		ri.Totals != (booksync.InvoiceTotals{Subtotal: 3000, Tax: 600, Total: 3600}) || ri.AmountDue != 0 || ri.AmountPaid != 3600 ||
		!ri.UpdatedAt.Equal(updated) || len(ri.Lines) != 1 {
		t.Fatalf("invoice %+v", ri)
	}
	if l := ri.Lines[0]; l.LineAmount != 3600 || l.TaxAmount != 600 || !l.Quantity.Equal(qty("3")) || l.TaxCode != "2" || l.Description != "Widget" {
		t.Errorf("line %+v", l)
	}

	since := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	page1, err := c.Invoices(context.Background(), platform.InvoiceQuery{ModifiedSince: since, Numbers: []string{"1037"}, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1) != 1 || page1[0].ID != inv.Id {
		t.Errorf("page 1: %+v", page1)
	}
	page3, err := c.Invoices(context.Background(), platform.InvoiceQuery{ModifiedSince: since, Numbers: []string{"1037"}, Page: 3})
	if err != nil || len(page3) != 0 {
		t.Fatalf("page 3: %+v, %v", page3, err)
	}
	calls := co.rec.recorded()
	q := calls[len(calls)-1].sql()
	if q != "select * from Invoice where MetaData.LastUpdatedTime > '2024-03-01T00:00:00Z' and DocNumber in ('1037') STARTPOSITION 201 MAXRESULTS 100" {
		t.Errorf("query %s", q)
	}
}

// TestInvoiceWithAnIDThatIsNoQuickBooksID: QuickBooks' ids are digits; any other id is not found
// without a call to QuickBooks, which would answer "../../x" as rejected data.
func TestInvoiceWithAnIDThatIsNoQuickBooksID(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	c := co.client(Config{})
	for _, id := range []string{"", "../../x", "..", "12a", "-1", "1.0", " 1", "１２", "123456789012345678901"} {
		_, err := c.Invoice(context.Background(), id)
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
			t.Errorf("Invoice(%q): %v", id, err)
		}
	}
	if n := len(co.rec.recorded()); n != 0 {
		t.Fatalf("%d calls reached QuickBooks", n)
	}
}

func TestTotalsAreExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		total, tax string
		want       platform.Totals
		err        bool
	}{
		{"150.0", "12.5", platform.Totals{Subtotal: 13750, Tax: 1250, Total: 15000}, false},
		{"1234567.89", "0", platform.Totals{Subtotal: 123456789, Total: 123456789}, false},
		{"1.5E3", "", platform.Totals{Subtotal: 150000, Total: 150000}, false},
		{"10.005", "0", platform.Totals{}, true},
	} {
		w := wireInvoice{TotalAmt: json.Number(tc.total), TxnTaxDetail: &wireTxnTaxDetail{TotalTax: json.Number(tc.tax)}}
		r := invoiceResult("x", w, "USD")
		if tc.err {
			if _, code := classOf(t, r.Err); code != "totals_unreadable" {
				t.Errorf("%s: %v", tc.total, r.Err)
			}
			continue
		}
		if r.Err != nil || *r.Totals != tc.want {
			t.Errorf("%s/%s: %+v %v", tc.total, tc.tax, r.Totals, r.Err)
		}
	}
}
