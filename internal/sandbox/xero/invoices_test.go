package xero

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox/sandboxtest"
)

func TestSeededOrganisation(t *testing.T) {
	b := setup(t).connect()
	accounts := decodeKey[Account](t, b.api("GET", "/Accounts", nil).MustStatus(t, 200), "Accounts")
	byCode := map[string]Account{}
	for _, a := range accounts {
		byCode[a.Code] = a
	}
	if a := byCode["200"]; a.Type != "REVENUE" || a.TaxType != "OUTPUT2" || a.AccountID == "" {
		t.Errorf("account 200: %+v", a)
	}
	if a := byCode["090"]; a.Type != "BANK" || !a.EnablePaymentsToAccount {
		t.Errorf("account 090: %+v", a)
	}
	if byCode["610"].SystemAccount != "DEBTORS" || byCode["820"].SystemAccount != "GST" {
		t.Errorf("system accounts: %+v %+v", byCode["610"], byCode["820"])
	}
	one := decodeKey[Account](t, b.api("GET", `/Accounts?where=Code%3D%3D%22200%22`, nil).MustStatus(t, 200), "Accounts")
	if len(one) != 1 || one[0].Code != "200" {
		t.Errorf("where Code==\"200\": %+v", one)
	}

	rates := decodeKey[TaxRate](t, b.api("GET", "/TaxRates", nil).MustStatus(t, 200), "TaxRates")
	zero := 0
	found := map[string]string{}
	for _, r := range rates {
		found[r.TaxType] = r.EffectiveRate.String()
		if r.EffectiveRate.IsZero() {
			zero++
		}
		if r.Status != "ACTIVE" || len(r.TaxComponents) != 1 {
			t.Errorf("tax rate %+v", r)
		}
	}
	if found["OUTPUT2"] != "20" || found["RROUTPUT"] != "5" || found["INPUT2"] != "20" || zero < 2 {
		t.Errorf("tax rates %v (zero-rated: %d)", found, zero)
	}
}

// invoiceTotals creates one invoice and returns it as the response shows it.
func createInvoice(t *testing.T, b *bundle, path string, inv map[string]any) Invoice {
	t.Helper()
	got := decodeKey[Invoice](t, b.api("PUT", path, invoices(inv)).MustStatus(t, 200), "Invoices")
	if len(got) != 1 || got[0].HasErrors {
		t.Fatalf("create: %+v", got)
	}
	return got[0]
}

func checkTotals(t *testing.T, inv Invoice, lineAmounts, lineTax []string, sub, tax, total string) {
	t.Helper()
	for i, l := range inv.LineItems {
		if l.LineAmount.StringFixed(2) != lineAmounts[i] || l.TaxAmount.StringFixed(2) != lineTax[i] {
			t.Errorf("line %d: amount %s tax %s, want %s %s", i+1, l.LineAmount.StringFixed(2), l.TaxAmount.StringFixed(2), lineAmounts[i], lineTax[i])
		}
	}
	if inv.SubTotal.StringFixed(2) != sub || inv.TotalTax.StringFixed(2) != tax || inv.Total.StringFixed(2) != total || !inv.AmountDue.Equal(inv.Total.Decimal) {
		t.Errorf("totals %s/%s/%s due %s, want %s/%s/%s", inv.SubTotal, inv.TotalTax, inv.Total, inv.AmountDue, sub, tax, total)
	}
}

func TestInvoiceTotalsExclusive(t *testing.T) {
	b := withContact(t)
	// Hand-computed, tax rounded per line, half away from zero:
	//   1 × 10.025             = 10.025  -> 10.03; 20% = 2.006  -> 2.01
	//   3 × 0.125 × 0.9        = 0.3375  -> 0.34;  20% = 0.068  -> 0.07
	//   2.5 × 1.99             = 4.975   -> 4.98;   5% = 0.249  -> 0.25
	//   1 × 100 (zero rated)   = 100.00;             0% = 0
	// TotalTax 2.33 (rounding the sum 2.323 instead would give 2.32).
	disc := line("Discounted", 3, 0.125, "200", "OUTPUT2")
	disc["DiscountRate"] = 10
	inv := createInvoice(t, b, "/Invoices?unitdp=4", invoice("INV-EX", "Acme Ltd", "Exclusive",
		line("Consulting", 1, 10.025, "200", "OUTPUT2"), disc,
		line("Books", 2.5, 1.99, "200", "RROUTPUT"), line("Export", 1, 100, "200", "ZERORATEDOUTPUT")))
	checkTotals(t, inv, []string{"10.03", "0.34", "4.98", "100.00"}, []string{"2.01", "0.07", "0.25", "0.00"}, "115.35", "2.33", "117.68")
	if !inv.IsDiscounted || inv.LineItems[1].UnitAmount.String() != "0.125" {
		t.Errorf("unitdp=4 line: %+v", inv.LineItems[1])
	}
	stored := b.sb.Invoices(b.tenant)
	if len(stored) != 1 || stored[0].Total.StringFixed(2) != "117.68" || stored[0].Contact.Name != "Acme Ltd" {
		t.Fatalf("stored %+v", stored)
	}

	// Without unitdp=4 the unit price is first rounded to 2 dp: 3 × 0.13 = 0.39.
	inv = createInvoice(t, b, "/Invoices", invoice("INV-EX2", "Acme Ltd", "Exclusive", line("Widgets", 3, 0.125, "200", "OUTPUT2")))
	checkTotals(t, inv, []string{"0.39"}, []string{"0.08"}, "0.39", "0.08", "0.47")
}

func TestInvoiceTotalsInclusive(t *testing.T) {
	b := withContact(t)
	// Inclusive: tax = round2(amount × r / (1 + r)), net = amount − tax.
	//   10.00 at 20%: 1.6667 -> 1.67, net 8.33
	//   0.05 at 20%:  0.0083 -> 0.01, net 0.04
	//   21.00 at 5%:  1.00,            net 20.00
	//   0.03 at 20%:  0.005  -> 0.01 (half away from zero; banker's would give 0.00), net 0.02
	inv := createInvoice(t, b, "/Invoices", invoice("INV-IN", "Acme Ltd", "Inclusive",
		line("A", 1, 10, "200", "OUTPUT2"), line("B", 1, 0.05, "200", "OUTPUT2"),
		line("C", 1, 21, "200", "RROUTPUT"), line("D", 1, 0.03, "200", "OUTPUT2")))
	checkTotals(t, inv, []string{"10.00", "0.05", "21.00", "0.03"}, []string{"1.67", "0.01", "1.00", "0.01"}, "28.39", "2.69", "31.08")
}

func TestInvoiceDefaultsFromAccountAndItem(t *testing.T) {
	b := withContact(t)
	b.api("PUT", "/Items", map[string]any{"Items": []any{map[string]any{
		"Code": "HOUR", "Name": "Consulting hour", "Description": "Consulting",
		"SalesDetails": map[string]any{"UnitPrice": 80, "AccountCode": "200", "TaxType": "RROUTPUT"},
	}}}).MustStatus(t, 200)
	inv := createInvoice(t, b, "/Invoices", invoice("INV-D", "Acme Ltd", "Exclusive",
		map[string]any{"ItemCode": "HOUR", "Quantity": 2},
		map[string]any{"Description": "Account default tax", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}))
	l := inv.LineItems[0]
	if l.Description != "Consulting" || l.AccountCode != "200" || l.TaxType != "RROUTPUT" || l.LineAmount.StringFixed(2) != "160.00" || l.TaxAmount.StringFixed(2) != "8.00" {
		t.Errorf("item line %+v", l)
	}
	if inv.LineItems[1].TaxType != "OUTPUT2" {
		t.Errorf("account default tax type %q, want OUTPUT2", inv.LineItems[1].TaxType)
	}
	if inv.InvoiceNumber != "INV-D" || inv.Status != "AUTHORISED" || inv.Date == nil || !strings.HasPrefix(inv.DateString, "2026-03-14") {
		t.Errorf("invoice %+v", inv)
	}
}

func TestInvoiceValidation(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(*bundle)
		bad     map[string]any
		message string
	}{
		{"duplicate number", func(b *bundle) {
			createInvoice(t, b, "/Invoices", invoice("INV-1", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2")))
		}, invoice("INV-1", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2")), "Invoice # must be unique."},
		{"unknown tax type", nil, invoice("INV-T", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT9")),
			"The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of transaction."},
		{"purchase tax type on a sale", nil, invoice("INV-P", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "INPUT2")),
			"The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction."},
		{"unknown account", nil, invoice("INV-A", "Acme Ltd", "Exclusive", line("x", 1, 1, "999", "OUTPUT2")),
			"Account code '999' is not a valid code for this document."},
		{"foreign currency", nil, func() map[string]any {
			inv := invoice("INV-C", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2"))
			inv["CurrencyCode"] = "USD"
			return inv
		}(), "Organisation is not subscribed to currency USD"},
		{"unknown contact", nil, invoice("INV-U", "Nobody Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2")),
			"The contact named Nobody Ltd could not be found."},
		{"missing description", nil, invoice("INV-M", "Acme Ltd", "Exclusive", map[string]any{"Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}),
			"The description field is mandatory for each line item."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := withContact(t)
			if tc.prepare != nil {
				tc.prepare(b)
			}
			before := len(b.sb.Invoices(b.tenant))
			good := invoice("INV-GOOD", "Acme Ltd", "Exclusive", line("ok", 1, 5, "200", "OUTPUT2"))

			// Default mode: the whole call fails and nothing is stored.
			r := object(t, b.api("PUT", "/Invoices", invoices(good, tc.bad)).MustStatus(t, 400))
			if r["ErrorNumber"] != float64(10) || r["Type"] != "ValidationException" || r["Message"] != "A validation exception occurred" {
				t.Fatalf("400 body %v", r)
			}
			if !strings.Contains(fmt.Sprint(r["Elements"]), tc.message) {
				t.Fatalf("Elements %v lack %q", r["Elements"], tc.message)
			}
			if n := len(b.sb.Invoices(b.tenant)); n != before {
				t.Fatalf("400 stored %d invoices", n-before)
			}

			// summarizeErrors=false: 200, the good one stored, the bad one flagged.
			got := decodeKey[Invoice](t, b.api("PUT", "/Invoices?summarizeErrors=false", invoices(good, tc.bad)).MustStatus(t, 200), "Invoices")
			if got[0].HasErrors || got[0].StatusAttributeString != "OK" {
				t.Errorf("good element %+v", got[0])
			}
			bad := got[1]
			if !bad.HasErrors || bad.StatusAttributeString != "ERROR" || !strings.Contains(fmt.Sprint(bad.ValidationErrors), tc.message) {
				t.Errorf("bad element: HasErrors %v %s %v, want %q", bad.HasErrors, bad.StatusAttributeString, bad.ValidationErrors, tc.message)
			}
			if n := len(b.sb.Invoices(b.tenant)); n != before+1 {
				t.Fatalf("stored %d invoices, want 1", n-before)
			}
		})
	}
}

func TestDuplicateNumberWithinOneBatch(t *testing.T) {
	b := withContact(t)
	inv := invoice("INV-9", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2"))
	got := decodeKey[Invoice](t, b.api("PUT", "/Invoices?summarizeErrors=false", invoices(inv, inv)).MustStatus(t, 200), "Invoices")
	if got[0].HasErrors || !got[1].HasErrors || got[1].ValidationErrors[0].Message != "Invoice # must be unique." {
		t.Fatalf("%+v", got)
	}
}

func TestContactNameUnique(t *testing.T) {
	b := withContact(t)
	msg := "The contact name Acme Ltd is already assigned to another contact. The contact name must be unique across all active contacts."
	r := object(t, b.api("PUT", "/Contacts", contactBody("acme ltd ", "")).MustStatus(t, 400))
	if r["Type"] != "ValidationException" || !strings.Contains(fmt.Sprint(r["Elements"]), strings.Replace(msg, "Acme Ltd", "acme ltd", 1)) {
		t.Fatalf("400 body %v", r)
	}
	got := decodeKey[Contact](t, b.api("PUT", "/Contacts?summarizeErrors=false",
		map[string]any{"Contacts": []any{map[string]any{"Name": "Acme Ltd"}, map[string]any{"Name": "Beta plc"}}}).MustStatus(t, 200), "Contacts")
	if !got[0].HasValidationErrors || got[0].ValidationErrors[0].Message != msg || got[1].HasValidationErrors {
		t.Fatalf("%+v", got)
	}
	if n := len(b.sb.Contacts(b.tenant)); n != 2 {
		t.Fatalf("%d contacts, want Acme and Beta", n)
	}
}

func TestContactLookupAndUpdate(t *testing.T) {
	b := withContact(t)
	for i := 2; i <= 3; i++ {
		b.api("PUT", "/Contacts", contactBody(fmt.Sprintf("Customer %d", i), fmt.Sprintf("C-%d", i))).MustStatus(t, 200)
	}
	byNumber := decodeKey[Contact](t, b.api("GET", `/Contacts?where=ContactNumber%3D%3D%22C-2%22`, nil).MustStatus(t, 200), "Contacts")
	if len(byNumber) != 1 || byNumber[0].Name != "Customer 2" {
		t.Fatalf("by number %+v", byNumber)
	}
	byName := decodeKey[Contact](t, b.api("GET", `/Contacts?where=Name%3D%3D%22Acme%20Ltd%22`, nil).MustStatus(t, 200), "Contacts")
	if len(byName) != 1 || byName[0].ContactNumber != "C-1" {
		t.Fatalf("by name %+v", byName)
	}
	byIDs := decodeKey[Contact](t, b.api("GET", "/Contacts?IDs="+byNumber[0].ContactID+","+byName[0].ContactID+"&page=1", nil).MustStatus(t, 200), "Contacts")
	if len(byIDs) != 2 {
		t.Fatalf("by IDs %+v", byIDs)
	}
	// POST updates by ContactID; an invoice can then find it by number.
	upd := decodeKey[Contact](t, b.api("POST", "/Contacts?summarizeErrors=false", map[string]any{"Contacts": []any{
		map[string]any{"ContactID": byNumber[0].ContactID, "EmailAddress": "ap@customer2.test"}}}).MustStatus(t, 200), "Contacts")
	if upd[0].ContactID != byNumber[0].ContactID || upd[0].EmailAddress != "ap@customer2.test" || upd[0].Name != "Customer 2" {
		t.Fatalf("update %+v", upd)
	}
	inv := invoice("INV-N", "", "Exclusive", line("x", 1, 1, "200", "OUTPUT2"))
	inv["Contact"] = map[string]any{"ContactNumber": "C-2"}
	if got := createInvoice(t, b, "/Invoices", inv); got.Contact.ContactID != byNumber[0].ContactID {
		t.Fatalf("invoice contact %+v", got.Contact)
	}
	if c := b.sb.Contacts(b.tenant)[1]; !c.IsCustomer {
		t.Error("a contact with a sales invoice is a customer")
	}
}

func TestItems(t *testing.T) {
	b := setup(t).connect()
	item := map[string]any{"Code": "SKU-1", "Name": "Widget", "SalesDetails": map[string]any{"UnitPrice": 9.99, "AccountCode": "200", "TaxType": "OUTPUT2"}}
	b.api("PUT", "/Items", map[string]any{"Items": []any{item}}).MustStatus(t, 200)
	r := b.api("PUT", "/Items", map[string]any{"Items": []any{item}}).MustStatus(t, 400)
	if !strings.Contains(string(r.Body), "Item code 'SKU-1' already exists.") {
		t.Fatalf("duplicate code: %s", r.Body)
	}
	long := map[string]any{"Code": strings.Repeat("C", 31), "Name": strings.Repeat("N", 51)}
	got := decodeKey[Item](t, b.api("PUT", "/Items?summarizeErrors=false", map[string]any{"Items": []any{long}}, unchecked()).MustStatus(t, 200), "Items")
	if msgs := fmt.Sprint(got[0].ValidationErrors); !strings.Contains(msgs, "30 characters") || !strings.Contains(msgs, "50 characters") {
		t.Fatalf("length limits: %s", msgs)
	}
	found := decodeKey[Item](t, b.api("GET", `/Items?where=Code%3D%3D%22SKU-1%22`, nil).MustStatus(t, 200), "Items")
	if len(found) != 1 || found[0].SalesDetails.UnitPrice.String() != "9.99" || !found[0].IsSold {
		t.Fatalf("found %+v", found)
	}
	// POST with an existing Code updates the item.
	b.api("POST", "/Items", map[string]any{"Items": []any{map[string]any{"Code": "SKU-1", "Name": "Widget v2"}}}).MustStatus(t, 200)
	if items := b.sb.Items(b.tenant); len(items) != 1 || items[0].Name != "Widget v2" {
		t.Fatalf("items %+v", items)
	}
}

func TestGetInvoicesFiltersAndPaging(t *testing.T) {
	b := withContact(t)
	var batch []map[string]any
	for i := 1; i <= 101; i++ {
		inv := invoice(fmt.Sprintf("P-%03d", i), "Acme Ltd", "Exclusive", line("x", 1, i, "200", "OUTPUT2"))
		if i%2 == 0 {
			inv["Status"] = "DRAFT"
		}
		batch = append(batch, inv)
	}
	b.api("PUT", "/Invoices", invoices(batch...)).MustStatus(t, 200)
	b.Clock.Advance(time.Second)
	late := createInvoice(t, b, "/Invoices", invoice("LATE", "Acme Ltd", "Exclusive", line("x", 1, 1, "200", "OUTPUT2")))

	page1 := b.api("GET", "/Invoices?page=1", nil).MustStatus(t, 200)
	page2 := decodeKey[Invoice](t, b.api("GET", "/Invoices?page=2", nil).MustStatus(t, 200), "Invoices")
	if n := len(decodeKey[Invoice](t, page1, "Invoices")); n != 100 || len(page2) != 2 || page2[1].InvoiceNumber != "LATE" {
		t.Fatalf("pages: %d, %d", n, len(page2))
	}
	byNumber := decodeKey[Invoice](t, b.api("GET", "/Invoices?InvoiceNumbers=P-007,LATE", nil).MustStatus(t, 200), "Invoices")
	if len(byNumber) != 2 || byNumber[0].InvoiceNumber != "P-007" || byNumber[0].Total.StringFixed(2) != "8.40" {
		t.Fatalf("by number %+v", byNumber)
	}
	drafts := decodeKey[Invoice](t, b.api("GET", "/Invoices?Statuses=DRAFT", nil).MustStatus(t, 200), "Invoices")
	if len(drafts) != 50 {
		t.Fatalf("%d drafts, want 50", len(drafts))
	}
	since := late.UpdatedDateUTC.Format("2006-01-02T15:04:05Z07:00")
	changed := decodeKey[Invoice](t, b.api("GET", "/Invoices", nil, header("If-Modified-Since", since)).MustStatus(t, 200), "Invoices")
	if len(changed) != 1 || changed[0].InvoiceID != late.InvoiceID {
		t.Fatalf("If-Modified-Since: %d invoices", len(changed))
	}
	one := decodeKey[Invoice](t, b.api("GET", "/Invoices/"+late.InvoiceID, nil).MustStatus(t, 200), "Invoices")
	if len(one) != 1 || one[0].InvoiceNumber != "LATE" {
		t.Fatalf("by id %+v", one)
	}
}

func TestIdempotencyKeyReplay(t *testing.T) {
	b := withContact(t)
	body := invoices(invoice("INV-ID", "Acme Ltd", "Exclusive", line("x", 2, 10, "200", "OUTPUT2")))
	first := b.api("PUT", "/Invoices?summarizeErrors=false", body, header("Idempotency-Key", "push-123")).MustStatus(t, 200)
	second := b.api("PUT", "/Invoices?summarizeErrors=false", body, header("Idempotency-Key", "push-123")).MustStatus(t, 200)
	if string(first.Body) != string(second.Body) {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, second.Body)
	}
	if n := len(b.sb.Invoices(b.tenant)); n != 1 {
		t.Fatalf("%d invoices stored, want 1", n)
	}
	// A different key is a different request: here, a duplicate number.
	third := decodeKey[Invoice](t, b.api("PUT", "/Invoices?summarizeErrors=false", body, header("Idempotency-Key", "push-124")).MustStatus(t, 200), "Invoices")
	if !third[0].HasErrors {
		t.Fatal("new key was replayed")
	}
	// Keys expire after 24 hours.
	b.Clock.Advance(25 * time.Hour)
	b.refreshTokens()
	again := decodeKey[Invoice](t, b.api("PUT", "/Invoices?summarizeErrors=false", body, header("Idempotency-Key", "push-123")).MustStatus(t, 200), "Invoices")
	if !again[0].HasErrors {
		t.Fatal("key replayed after 24 h")
	}
}

func TestPayments(t *testing.T) {
	b := withContact(t)
	inv := createInvoice(t, b, "/Invoices", invoice("INV-PAY", "Acme Ltd", "Exclusive", line("x", 1, 100, "200", "OUTPUT2")))
	pay := func(amount any, opts ...callOpt) sandboxtest.Response {
		return b.api("PUT", "/Payments", map[string]any{"Payments": []any{map[string]any{
			"Invoice": map[string]any{"InvoiceNumber": "INV-PAY"}, "Account": map[string]any{"Code": "090"},
			"Date": "2026-03-20", "Amount": amount, "Reference": "bank transfer"}}}, opts...)
	}
	p := decodeKey[Payment](t, pay(50).MustStatus(t, 200), "Payments")
	if p[0].Invoice.InvoiceID != inv.InvoiceID || p[0].Amount.String() != "50" || p[0].Account.Code != "090" {
		t.Fatalf("payment %+v", p[0])
	}
	if r := pay(70.01).MustStatus(t, 400); !strings.Contains(string(r.Body), "Payment amount exceeds the amount outstanding on this document.") {
		t.Fatalf("overpayment: %s", r.Body)
	}
	pay(70).MustStatus(t, 200)
	got := b.sb.Invoices(b.tenant)[0]
	if got.Status != "PAID" || !got.AmountDue.IsZero() || got.AmountPaid.StringFixed(2) != "120.00" || len(got.Payments) != 2 || got.FullyPaidOnDate == nil {
		t.Fatalf("paid invoice %+v", got)
	}
	if r := pay(1).MustStatus(t, 400); !strings.Contains(string(r.Body), "Payments can only be made against Authorised documents.") {
		t.Fatalf("payment on paid invoice: %s", r.Body)
	}
	list := decodeKey[Payment](t, b.api("GET", "/Payments", nil).MustStatus(t, 200), "Payments")
	if len(list) != 2 {
		t.Fatalf("%d payments", len(list))
	}
	inv2 := createInvoice(t, b, "/Invoices", invoice("INV-PAY2", "Acme Ltd", "Exclusive", line("x", 1, 10, "200", "NONE")))
	// POST /Payments takes a single Payment object.
	b.api("POST", "/Payments", map[string]any{"Invoice": map[string]any{"InvoiceID": inv2.InvoiceID}, "Account": map[string]any{"Code": "090"}, "Amount": 10}).MustStatus(t, 200)
	if r := b.api("PUT", "/Payments", map[string]any{"Payments": []any{map[string]any{
		"Invoice": map[string]any{"InvoiceID": inv2.InvoiceID}, "Account": map[string]any{"Code": "200"}, "Amount": 1}}}).MustStatus(t, 400); !strings.Contains(string(r.Body), "Account type is invalid for making a payment.") {
		t.Fatalf("payment to a revenue account: %s", r.Body)
	}
}
