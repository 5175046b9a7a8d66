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

	"github.com/booksync/booksync/internal/platform"
)

// setup returns a company, a fake serving it and a client of the fake.
func setup(t *testing.T) (*company, *fake, *Client) {
	t.Helper()
	co := newCompany()
	f := newFake(t, co.serve)
	return co, f, f.client(Config{})
}

// classOf returns err's class and code.
func classOf(t *testing.T, err error) (platform.Class, string) {
	t.Helper()
	var perr *platform.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T) is not a *platform.Error", err, err)
	}
	return perr.Class, perr.Code
}

// batchItems decodes a batch request body into its items' entities.
func batchItems(t *testing.T, body []byte, entity string) []map[string]any {
	t.Helper()
	var req struct{ BatchItemRequest []map[string]json.RawMessage }
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, it := range req.BatchItemRequest {
		dec := json.NewDecoder(strings.NewReader(string(it[entity])))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("batch item without %s: %s", entity, body)
		}
		out = append(out, m)
	}
	return out
}

func qty(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestOrgAndAutomatedSalesTax(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		switch c.path {
		case "/companyinfo/" + realm:
			return reply{body: `{"CompanyInfo":{"Id":"1","CompanyName":"Craig's Design","LegalName":"Craig's Design LLC","Country":"US"},"time":"x"}`}
		case "/preferences":
			return reply{body: `{"Preferences":{"TaxPrefs":{"UsingSalesTax":true,"PartnerTaxEnabled":true},"CurrencyPrefs":{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"USD"}}}}`}
		}
		return reply{status: 404}
	})
	c := f.client(Config{})
	ctx := context.Background()
	org, err := c.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (platform.Org{ID: realm, Name: "Craig's Design", BaseCurrency: "USD", CountryCode: "US"}); org != want {
		t.Errorf("Org = %+v, want %+v", org, want)
	}
	ast, err := c.AutomatedSalesTax(ctx)
	if err != nil || !ast {
		t.Errorf("AutomatedSalesTax = %v, %v", ast, err)
	}
	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 2 || rates[0].Code != "TAX" || rates[0].Rate != 0 || !rates[0].Automated ||
		rates[1].Code != "NON" || rates[1].Rate != 0 || rates[1].Automated {
		t.Errorf("AST rates = %+v", rates)
	}
	// Org read the preferences; AutomatedSalesTax and TaxRates reused them.
	if n := f.count("GET", "/preferences"); n != 1 {
		t.Errorf("preferences read %d times", n)
	}
}

func TestTaxRatesAndAccounts(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		switch {
		case c.path == "/preferences":
			return reply{body: `{"Preferences":{"TaxPrefs":{"UsingSalesTax":true},"CurrencyPrefs":{"HomeCurrency":{"value":"CAD"}}}}`}
		case strings.Contains(c.sql(), "from TaxCode"):
			if !strings.Contains(c.sql(), "Active in (true, false)") {
				t.Errorf("tax codes without inactive ones: %s", c.sql())
			}
			return reply{body: `{"QueryResponse":{"TaxCode":[
				{"Id":"4","Name":"GST/QST QC - 9.975","Active":true,"SalesTaxRateList":{"TaxRateDetail":[
					{"TaxRateRef":{"value":"10","name":"GST"},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0},
					{"TaxRateRef":{"value":"11","name":"QST"},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}]},
				 "PurchaseTaxRateList":{"TaxRateDetail":[]}},
				{"Id":"5","Name":"Exempt","Active":true,"SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"12"}}]}},
				{"Id":"6","Name":"Purchases only","Active":true,"PurchaseTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"10"}}]}},
				{"Id":"7","Name":"Old","Active":false,"SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"13"}}]}}]}}`}
		case strings.Contains(c.sql(), "from TaxRate"):
			return reply{body: `{"QueryResponse":{"TaxRate":[
				{"Id":"10","Name":"GST","RateValue":5,"Active":true},
				{"Id":"11","Name":"QST","RateValue":9.975,"Active":true},
				{"Id":"12","Name":"Exempt","RateValue":0,"Active":true},
				{"Id":"13","Name":"Old","RateValue":12.5,"Active":false}]}}`}
		case strings.Contains(c.sql(), "from Account"):
			return reply{body: `{"QueryResponse":{"Account":[
				{"Id":"79","Name":"Sales","AcctNum":"4000","Classification":"Revenue","AccountType":"Income","Active":true,"CurrencyRef":{"value":"CAD"}},
				{"Id":"35","Name":"Checking","Classification":"Asset","AccountType":"Bank","Active":true},
				{"Id":"4","Name":"Undeposited Funds","Classification":"Asset","AccountType":"Other Current Asset","AccountSubType":"UndepositedFunds"},
				{"Id":"90","Name":"Old expense","Classification":"Expense","AccountType":"Expense","Active":false,"Description":"gone"},
				{"Id":"91","Name":"Odd","AccountType":"Equity","Active":true}]}}`}
		}
		return reply{status: 404}
	})
	c := f.client(Config{})
	ctx := context.Background()
	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 4 {
		t.Fatalf("rates = %+v", rates)
	}
	// 5% + 9.975%: the sum has three decimals and rounds to 14.98%; components keep theirs.
	if r := rates[0]; r.Code != "4" || r.Rate != 1498 || !r.Revenue || r.Status != "Active" || len(r.Components) != 2 ||
		r.Components[0].Rate != 500 || r.Components[1].Rate != 998 || r.Components[1].Name != "QST" {
		t.Errorf("rate 0 = %+v", r)
	}
	if r := rates[1]; r.Rate != 0 || !r.Revenue || r.Name != "Exempt" {
		t.Errorf("rate 1 = %+v", r)
	}
	if r := rates[2]; r.Revenue || r.Rate != 0 {
		t.Errorf("purchase-only code = %+v", r)
	}
	if r := rates[3]; r.Status != "Archived" || r.Rate != 1250 {
		t.Errorf("inactive code = %+v", r)
	}

	accts, err := c.LedgerAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.LedgerAccount{
		{ID: "79", Code: "4000", Name: "Sales", Type: "Income", Subtype: "Income", Status: "Active", Currency: "CAD"},
		{ID: "35", Code: "35", Name: "Checking", Type: "Asset", Subtype: "Bank", Status: "Active", IsBank: true, PaymentsAllowed: true},
		{ID: "4", Code: "4", Name: "Undeposited Funds", Type: "Asset", Subtype: "Other Current Asset", Status: "Active", PaymentsAllowed: true},
		{ID: "90", Code: "90", Name: "Old expense", Type: "Expense", Subtype: "Expense", Status: "Archived", Description: "gone"},
		{ID: "91", Code: "91", Name: "Odd", Type: "Unknown", Subtype: "Equity", Status: "Active"},
	}
	if len(accts) != len(want) {
		t.Fatalf("accounts = %+v", accts)
	}
	for i := range want {
		if accts[i] != want[i] {
			t.Errorf("account %d = %+v, want %+v", i, accts[i], want[i])
		}
	}
}

func TestPushContactsMatchesByNameAndCreatesInBatchesOf30(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.customers = []map[string]any{{"Id": "58", "DisplayName": "Acme Ltd", "Active": true, "MetaData": stamp(0)}}
	contacts := []platform.Contact{{Ref: "cp-0", Name: "ACME LTD"},
		{Ref: "cp-x", Name: "O'Brien\tand Sons", FirstName: "Ana", LastName: "Lima", Email: "ana@example.com", TaxNumber: "GB123",
			Address: &platform.Address{Line1: "1 High St", City: "Leeds", Region: "West Yorkshire", PostalCode: "LS1 1AA", Country: "GB"}},
		{Ref: "cp-dup", Name: "o'brien and sons"},
		{Ref: "cp-blank", Name: " "}}
	for i := 1; i <= 30; i++ {
		contacts = append(contacts, platform.Contact{Ref: fmt.Sprintf("cp-%d", i), Name: fmt.Sprintf("Customer %02d", i)})
	}
	res, err := c.PushContacts(context.Background(), contacts)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != "58" || r.UpdatedAt.IsZero() {
		t.Errorf("by name: %+v", r)
	}
	if r := res[1]; r.Matched || r.Err != nil || r.PlatformID == "" {
		t.Errorf("created: %+v", r)
	}
	if r := res[2]; r.Ref != "cp-dup" || r.PlatformID != res[1].PlatformID {
		t.Errorf("same name in one push: %+v", r)
	}
	if cl, code := classOf(t, res[3].Err); cl != platform.NeedsUserAction || code != "contact_name_missing" {
		t.Errorf("blank: %s %s", cl, code)
	}
	for _, r := range res[4:] {
		if r.Err != nil || r.PlatformID == "" {
			t.Errorf("%s: %+v", r.Ref, r)
		}
	}
	// 32 distinct names: two look-ups; 31 creates: two batches (30 + 1).
	if q, b := f.count("GET", "/query"), f.count("POST", "/batch"); q != 2 || b != 2 {
		t.Errorf("%d queries and %d batches, want 2 and 2", q, b)
	}
	var batches []call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			batches = append(batches, cl)
		}
		if cl.path == "/query" && !strings.HasPrefix(cl.sql(), "select * from Customer where DisplayName in (") {
			t.Errorf("look-up %s", cl.sql())
		}
	}
	first := batchItems(t, batches[0].body, "Customer")
	if len(first) != 30 || len(batchItems(t, batches[1].body, "Customer")) != 1 {
		t.Fatalf("batch sizes %d", len(first))
	}
	g := first[0]
	if g["DisplayName"] != "O'Brien and Sons" || g["GivenName"] != "Ana" || g["FamilyName"] != "Lima" || g["CompanyName"] != nil ||
		g["PrimaryTaxIdentifier"] != "GB123" || g["PrimaryEmailAddr"].(map[string]any)["Address"] != "ana@example.com" ||
		g["BillAddr"].(map[string]any)["CountrySubDivisionCode"] != "West Yorkshire" {
		t.Errorf("sent %v", g)
	}
	if first[1]["CompanyName"] != "Customer 01" {
		t.Errorf("organisation without CompanyName: %v", first[1])
	}
	if !strings.Contains(f.recorded()[0].sql(), `'O\'Brien and Sons'`) {
		t.Errorf("apostrophe not escaped: %s", f.recorded()[0].sql())
	}
	if batches[0].query.Get("requestid") == batches[1].query.Get("requestid") {
		t.Error("two batches share a requestid")
	}

	// Pushing the same contacts again matches every one and creates nothing.
	before := f.count("POST", "/batch")
	res2, err := c.PushContacts(context.Background(), contacts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res2 {
		if i != 3 && (!r.Matched || r.PlatformID != res[i].PlatformID) {
			t.Errorf("second push %d: %+v", i, r)
		}
	}
	if f.count("POST", "/batch") != before {
		t.Error("second push created contacts")
	}
}

func TestPushContactsDuplicateNames(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.vendors = []string{"Vendor Co"}
	co.customers = []map[string]any{{"Id": "70", "SyncToken": "3", "DisplayName": "Dormant Inc", "Active": false}}
	stale := true
	co.override = func(cl call) (reply, bool) {
		switch {
		case cl.method == "POST" && cl.path == "/customer":
			var w map[string]any
			json.Unmarshal(cl.body, &w)
			if w["sparse"] != true || w["Active"] != true || w["Id"] != "70" {
				t.Errorf("reactivation body %s", cl.body)
			}
			if stale {
				stale = false
				return reply{status: 400, body: fault("ValidationFault", "5010", "Stale Object Error", "Stale Object Error : You and root were working on this at the same time.", "")}, true
			}
			if w["SyncToken"] != "4" {
				t.Errorf("retry with SyncToken %v, want the re-read 4", w["SyncToken"])
			}
			return reply{body: map[string]any{"Customer": map[string]any{"Id": "70", "SyncToken": "5", "DisplayName": "Dormant Inc", "Active": true, "MetaData": stamp(9)}}}, true
		case cl.method == "GET" && cl.path == "/customer/70":
			return reply{body: map[string]any{"Customer": map[string]any{"Id": "70", "SyncToken": "4", "DisplayName": "Dormant Inc", "Active": false}}}, true
		}
		return reply{}, false
	}
	res, err := c.PushContacts(context.Background(), []platform.Contact{{Ref: "a", Name: "Vendor Co"}, {Ref: "b", Name: "Dormant Inc"}})
	if err != nil {
		t.Fatal(err)
	}
	cl, code := classOf(t, res[0].Err)
	if cl != platform.NeedsUserAction || code != "contact_name_taken" {
		t.Errorf("vendor's name: %s %s", cl, code)
	}
	var perr *platform.Error
	errors.As(res[0].Err, &perr)
	if !strings.HasPrefix(perr.Message, "Customer name already used in QuickBooks") || perr.Details[0].Field != "DisplayName" ||
		!strings.Contains(perr.Details[0].Fix, "vendors") {
		t.Errorf("error = %+v", perr)
	}
	if r := res[1]; r.Err != nil || !r.Matched || r.PlatformID != "70" {
		t.Errorf("inactive customer: %+v", r)
	}
	if f.count("POST", "/customer") != 2 || f.count("GET", "/customer/70") != 1 {
		t.Errorf("stale retry: %d updates, %d reads", f.count("POST", "/customer"), f.count("GET", "/customer/70"))
	}
}

func TestStaleObjectRetriedOnlyOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		if c.method == "GET" {
			return reply{body: `{"Customer":{"Id":"7","SyncToken":"9"}}`}
		}
		return reply{status: 400, body: fault("ValidationFault", "5010", "Stale Object Error", "", "")}
	})
	c := f.client(Config{})
	_, err := c.reactivateCustomer(context.Background(), wireCustomer{Id: "7", SyncToken: "1"})
	if cl, code := classOf(t, err); cl != platform.Transient || code != "stale_object" {
		t.Errorf("%s %s", cl, code)
	}
	if f.count("POST", "/customer") != 2 {
		t.Errorf("%d updates, want 2", f.count("POST", "/customer"))
	}
}

func TestPushItems(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{
		{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Type": "Service", "Active": true},
		{"Id": "12", "Name": "Gadget", "Type": "Service", "Active": true},
	}
	res, err := c.PushItems(context.Background(), []platform.Item{
		{Ref: "p1", Code: "sku-1", Name: "Renamed"},
		{Ref: "p2", Code: "SKU-2", Name: "gadget"},
		{Ref: "p3", Code: "SKU-3", Name: "Hours: senior", Description: "Consulting", UnitPrice: 12050, Currency: "USD", AccountCode: "4000", TaxCode: "TAX"},
		{Ref: "p4", Code: "SKU-4", Name: "Design", UnitPrice: 100, Currency: "GBP", AccountCode: "1", TaxCode: "2"},
		{Ref: "p5", Code: "SKU-5", Name: "Nowhere", AccountCode: "9999"},
		{Ref: "p6", Code: "SKU-6", Name: "No account"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != "11" {
		t.Errorf("by sku: %+v", r)
	}
	if r := res[1]; !r.Matched || r.PlatformID != "12" {
		t.Errorf("by name: %+v", r)
	}
	if r := res[2]; r.Err != nil || r.Matched || r.PlatformID == "" {
		t.Errorf("created: %+v", r)
	}
	if _, code := classOf(t, res[4].Err); code != "ledger_account_not_found" {
		t.Errorf("unknown account: %s", code)
	}
	if _, code := classOf(t, res[5].Err); code != "ledger_account_missing" {
		t.Errorf("no account: %s", code)
	}
	var batch call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			batch = cl
		}
	}
	sent := batchItems(t, batch.body, "Item")
	if len(sent) != 2 {
		t.Fatalf("sent %d items", len(sent))
	}
	a, b := sent[0], sent[1]
	if a["Name"] != "Hours  senior" || a["Sku"] != "SKU-3" || a["Type"] != "Service" || a["UnitPrice"] != json.Number("120.50") ||
		a["IncomeAccountRef"].(map[string]any)["value"] != "79" || a["Taxable"] != true || a["SalesTaxCodeRef"] != nil {
		t.Errorf("sent %v", a)
	}
	if b["IncomeAccountRef"].(map[string]any)["value"] != "1" || b["SalesTaxCodeRef"].(map[string]any)["value"] != "2" || b["Taxable"] != nil {
		t.Errorf("sent %v", b)
	}
}

// invoices returns n exclusive GBP invoices of one line each (2 × 10.00 at 20%).
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

func TestPushInvoicesFirstPushCreatesInBatchesWithoutLookUp(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	res, err := c.PushInvoices(context.Background(), invoices(31, "58"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.PlatformID == "" || r.Matched || r.Totals == nil || *r.Totals != (platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}) {
			t.Errorf("%s: %+v", r.Ref, r)
		}
	}
	for _, cl := range f.recorded() {
		if strings.Contains(cl.sql(), "from Invoice") {
			t.Errorf("first push looked invoices up: %s", cl.sql())
		}
	}
	if b := f.count("POST", "/batch"); b != 2 {
		t.Errorf("%d batches, want 2", b)
	}
	var first call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			first = cl
			break
		}
	}
	sent := batchItems(t, first.body, "Invoice")
	if len(sent) != 30 {
		t.Fatalf("first batch has %d invoices", len(sent))
	}
	inv := sent[0]
	line := inv["Line"].([]any)[0].(map[string]any)
	d := line["SalesItemLineDetail"].(map[string]any)
	if inv["DocNumber"] != "INV-000" || inv["TxnDate"] != "2024-03-01" || inv["DueDate"] != "2024-03-31" ||
		inv["CustomerRef"].(map[string]any)["value"] != "58" || inv["CurrencyRef"].(map[string]any)["value"] != "GBP" ||
		inv["GlobalTaxCalculation"] != "TaxExcluded" || line["Amount"] != json.Number("20.00") || d["Qty"] != json.Number("2") ||
		d["UnitPrice"] != json.Number("10") || d["ItemRef"].(map[string]any)["value"] != "11" || d["TaxCodeRef"].(map[string]any)["value"] != "2" {
		t.Errorf("sent %v", inv)
	}
	td := inv["TxnTaxDetail"].(map[string]any)
	tl := td["TaxLine"].([]any)[0].(map[string]any)
	tld := tl["TaxLineDetail"].(map[string]any)
	if td["TotalTax"] != json.Number("4.00") || tl["Amount"] != json.Number("4.00") || tl["DetailType"] != "TaxLineDetail" ||
		tld["TaxRateRef"].(map[string]any)["value"] != "3" || tld["NetAmountTaxable"] != json.Number("20.00") ||
		tld["TaxPercent"] != json.Number("20") || tld["PercentBased"] != true {
		t.Errorf("tax detail %v", td)
	}

	// The same batch sent again replays QuickBooks' answer: same requestid, same ids.
	again := f.client(Config{})
	co.mu.Lock()
	n := len(co.invoices)
	co.mu.Unlock()
	res2, err := again.PushInvoices(context.Background(), invoices(31, "58"))
	if err != nil {
		t.Fatal(err)
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	if len(co.invoices) != n || res2[0].PlatformID != res[0].PlatformID || res2[30].PlatformID != res[30].PlatformID {
		t.Errorf("retry created invoices: %d -> %d", n, len(co.invoices))
	}
}

func TestPushInvoicesLooksUpOnlyMaybeExists(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	co.invoices = []map[string]any{{"Id": "900", "DocNumber": "INV-000", "TotalAmt": json.Number("24.0"),
		"TxnTaxDetail": map[string]any{"TotalTax": json.Number("4")}, "CurrencyRef": map[string]any{"value": "GBP"}, "MetaData": stamp(1)}}
	invs := invoices(3, "58")
	invs[0].MaybeExists, invs[1].MaybeExists = true, true
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != "900" || r.Totals == nil || *r.Totals != (platform.Totals{Subtotal: 2000, Tax: 400, Total: 2400}) {
		t.Errorf("matched: %+v", r)
	}
	if res[1].Matched || res[1].Err != nil || res[2].Matched || res[2].Err != nil {
		t.Errorf("created: %+v %+v", res[1], res[2])
	}
	var lookups []string
	for _, cl := range f.recorded() {
		if strings.Contains(cl.sql(), "from Invoice") {
			lookups = append(lookups, cl.sql())
		}
	}
	if len(lookups) != 1 || !strings.Contains(lookups[0], "DocNumber in ('INV-000','INV-001')") {
		t.Errorf("look-ups %v", lookups)
	}
}

func TestPushInvoicesPerItemFaults(t *testing.T) {
	t.Parallel()
	co, _, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	co.override = func(cl call) (reply, bool) {
		if cl.path != "/batch" {
			return reply{}, false
		}
		return reply{body: `{"BatchItemResponse":[
			{"Invoice":{"Id":"501","DocNumber":"INV-000","TotalAmt":24.00,"TxnTaxDetail":{"TotalTax":4.00},"CurrencyRef":{"value":"GBP"}},"bId":"0"},
			{"Fault":{"Error":[{"Message":"Duplicate Document Number Error","Detail":"Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=INV-001 is assigned to TxnType=Invoice with TxnId=12","code":"6140","element":""}],"type":"ValidationFault"},"bId":"1"},
			{"Fault":{"Error":[{"Message":"Object Not Found","Detail":"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.","code":"610","element":"ItemRef"}],"type":"ValidationFault"},"bId":"2"},
			{"Fault":{"Error":[{"Message":"A business validation error has occurred while processing your request","Detail":"Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:20.01","code":"6070","element":""}],"type":"ValidationFault"},"bId":"3"},
			{"Fault":{"Error":[{"Message":"Object Not Found","Detail":"Object Not Found : Something you're trying to use has been made inactive.","code":"610","element":"CustomerRef"}],"type":"ValidationFault"},"bId":"4"},
			{"Fault":{"Error":[{"Message":"Invalid Reference Id","Detail":"Invalid Reference Id : TaxCode assigned is invalid or inactive","code":"2500","element":""}],"type":"ValidationFault"},"bId":"5"},
			{"Fault":{"Error":[{"Message":"An application error has occurred","Detail":"internal","code":"10000"}],"type":"SystemFault"},"bId":"6"}
			]}`}, true
	}
	res, err := c.PushInvoices(context.Background(), invoices(8, "58"))
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Err != nil || r.PlatformID != "501" || r.Totals.Total != 2400 || r.Totals.Subtotal != 2000 {
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
		{platform.NeedsUserAction, "validation_failed", "QuickBooks rejected the data: A business validation error has occurred while processing your request: Business Validation Error: Amount is not equal", ""},
		{platform.NeedsUserAction, "contact_not_found", "Customer does not exist in QuickBooks", "CustomerRef"},
		{platform.NeedsUserAction, "tax_rate_not_found", "Tax rate does not exist in QuickBooks", "Line.SalesItemLineDetail.TaxCodeRef"},
		{platform.Transient, "server_error", "QuickBooks server error (SystemFault)", ""},
		{platform.UnknownOutcome, "not_reported", "QuickBooks did not report", ""},
	}
	for k, w := range want {
		var perr *platform.Error
		if !errors.As(res[k+1].Err, &perr) {
			t.Errorf("invoice %d: %v", k+1, res[k+1].Err)
			continue
		}
		if perr.Class != w.class || perr.Code != w.code || !strings.HasPrefix(perr.Message, w.message) ||
			(w.field != "" && perr.Details[0].Field != w.field) {
			t.Errorf("invoice %d: %+v, want %+v", k+1, perr, w)
		}
	}
}

func TestInvoiceLinesKeepBooksyncAmounts(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	inv := platform.Invoice{Ref: "r1", Number: "INV-9", ContactID: "58", Date: "2024-03-01", Currency: "GBP", Reference: "PO 77",
		Lines: []platform.InvoiceLine{
			// 2 × 10.00 less 3.00: 17.00 = 2 × 8.50.
			{Description: "Discounted", ItemCode: "SKU-1", Quantity: qty("2"), UnitAmount: 1000, DiscountAmount: 300, TaxCode: "2", LineAmount: 1700, TaxAmount: 340},
			// 0.3333 × 1.00 = 0.3333, rounded 0.33: no exact price with 7 decimals.
			{Description: "Fraction", ItemCode: "SKU-1", Quantity: qty("0.3333"), UnitAmount: 100, TaxCode: "2", LineAmount: 33, TaxAmount: 7},
			// 2.5 × 3.99 = 9.975 → 9.98 = 2.5 × 3.992.
			{Description: "Half", ItemCode: "SKU-1", Quantity: qty("2.5"), UnitAmount: 399, TaxCode: "5", LineAmount: 998, TaxAmount: 120},
			// A deduction without an item, booked to account 4000.
			{Description: "Deduction", Quantity: qty("1"), UnitAmount: -500, AccountCode: "4000", TaxCode: "2", LineAmount: -500, TaxAmount: -100},
		}}
	res, err := c.PushInvoices(context.Background(), []platform.Invoice{inv})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	var batch call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			batch = cl
		}
	}
	sent := batchItems(t, batch.body, "Invoice")[0]
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
	if d := lines[3].(map[string]any)["SalesItemLineDetail"].(map[string]any); d["ItemRef"] != nil || d["ItemAccountRef"].(map[string]any)["value"] != "79" {
		t.Errorf("deduction line detail %v", d)
	}
	if sent["PrivateNote"] != "PO 77" {
		t.Errorf("PrivateNote = %v", sent["PrivateNote"])
	}
	// Tax lines: rate 3 (20%) gets lines 0, 1 and 3; code 5 (5% + 7%) splits 1.20 into 0.50 and 0.70.
	td := sent["TxnTaxDetail"].(map[string]any)
	got := map[string][2]string{}
	for _, raw := range td["TaxLine"].([]any) {
		tl := raw.(map[string]any)
		d := tl["TaxLineDetail"].(map[string]any)
		got[d["TaxRateRef"].(map[string]any)["value"].(string)] = [2]string{string(tl["Amount"].(json.Number)), string(d["NetAmountTaxable"].(json.Number))}
	}
	if want := map[string][2]string{"3": {"2.47", "12.33"}, "6": {"0.50", "9.98"}, "7": {"0.70", "9.98"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tax lines %v, want %v", got, want)
	}
	if td["TotalTax"] != json.Number("3.67") {
		t.Errorf("TotalTax = %v", td["TotalTax"])
	}
	if r := res[0].Totals; r == nil || *r != (platform.Totals{Subtotal: 2231, Tax: 367, Total: 2598}) {
		t.Errorf("totals %+v", r)
	}
}

func TestInclusiveAndUSInvoices(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	invs := []platform.Invoice{
		{Ref: "incl", Number: "I-1", ContactID: "58", Date: "2024-03-01", Currency: "GBP", Inclusive: true,
			Lines: []platform.InvoiceLine{{ItemCode: "SKU-1", Quantity: qty("3"), UnitAmount: 1200, TaxCode: "2", LineAmount: 3600, TaxAmount: 600}}},
		{Ref: "us", Number: "U-1", ContactID: "58", Date: "2024-03-01", Currency: "USD",
			Lines: []platform.InvoiceLine{
				{ItemCode: "SKU-1", Quantity: qty("1"), UnitAmount: 10000, TaxCode: "TAX", LineAmount: 10000, TaxAmount: 825},
				{ItemCode: "SKU-1", Quantity: qty("1"), UnitAmount: 500, TaxCode: "NON", LineAmount: 500}}},
	}
	res, err := c.PushInvoices(context.Background(), invs)
	if err != nil {
		t.Fatal(err)
	}
	var batch call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			batch = cl
		}
	}
	sent := batchItems(t, batch.body, "Invoice")
	incl := sent[0]
	l := incl["Line"].([]any)[0].(map[string]any)
	d := l["SalesItemLineDetail"].(map[string]any)
	if incl["GlobalTaxCalculation"] != "TaxInclusive" || l["Amount"] != json.Number("30.00") || d["TaxInclusiveAmt"] != json.Number("36.00") ||
		d["UnitPrice"] != json.Number("10") {
		t.Errorf("inclusive %v", incl)
	}
	if r := res[0].Totals; r == nil || *r != (platform.Totals{Subtotal: 3000, Tax: 600, Total: 3600}) {
		t.Errorf("inclusive totals %+v", r)
	}
	us := sent[1]
	td := us["TxnTaxDetail"].(map[string]any)
	if td["TotalTax"] != json.Number("8.25") || td["TaxLine"] != nil {
		t.Errorf("US tax detail %v", td)
	}
	if r := res[1].Totals; r == nil || *r != (platform.Totals{Subtotal: 10500, Tax: 825, Total: 11325}) {
		t.Errorf("US totals %+v", r)
	}
}

func TestPushInvoicesPrechecks(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.items = []map[string]any{{"Id": "11", "Name": "Widget", "Sku": "SKU-1", "Active": true}}
	invs := invoices(4, "58")
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
	if f.count("POST", "/batch") != 0 {
		t.Error("invalid invoices were sent")
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

func TestPushPayments(t *testing.T) {
	t.Parallel()
	co, f, c := setup(t)
	co.invoices = []map[string]any{{"Id": "130", "DocNumber": "1037", "CustomerRef": map[string]any{"value": "58", "name": "Acme"},
		"CurrencyRef": map[string]any{"value": "USD"}, "TotalAmt": json.Number("100")}}
	res, err := c.PushPayments(context.Background(), []platform.Payment{
		{Ref: "pay-1", InvoiceID: "130", AccountCode: "1000", Date: "2024-03-05", Amount: 4050, Currency: "USD", Reference: "wire 123"},
		{Ref: "pay-2", InvoiceID: "999", AccountID: "35", Date: "2024-03-05", Amount: 100, Currency: "USD"},
		{Ref: "pay-3", InvoiceID: "130", Date: "2024-03-05", Amount: 100, Currency: "USD"},
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
	var batch call
	for _, cl := range f.recorded() {
		if cl.path == "/batch" {
			batch = cl
		}
	}
	p := batchItems(t, batch.body, "Payment")[0]
	line := p["Line"].([]any)[0].(map[string]any)
	link := line["LinkedTxn"].([]any)[0].(map[string]any)
	if p["CustomerRef"].(map[string]any)["value"] != "58" || p["TotalAmt"] != json.Number("40.50") || line["Amount"] != json.Number("40.50") ||
		link["TxnId"] != "130" || link["TxnType"] != "Invoice" || p["DepositToAccountRef"].(map[string]any)["value"] != "35" ||
		p["TxnDate"] != "2024-03-05" || p["PaymentRefNum"] != "wire 123" {
		t.Errorf("sent %v", p)
	}
}

func TestInvoicesReadBack(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		if c.path == "/invoice/130" {
			return reply{body: `{"Invoice":{"Id":"130","DocNumber":"1037","TxnDate":"2024-03-01","DueDate":"2024-03-31","GlobalTaxCalculation":"TaxInclusive",
				"CustomerRef":{"value":"58","name":"Acme"},"CurrencyRef":{"value":"GBP"},"TotalAmt":36.0,"Balance":0,
				"TxnTaxDetail":{"TotalTax":6.0},"MetaData":{"LastUpdatedTime":"2024-03-02T10:00:00-08:00"},
				"Line":[{"Id":"1","Description":"Widget","Amount":30.0,"DetailType":"SalesItemLineDetail",
				  "SalesItemLineDetail":{"ItemRef":{"value":"11"},"Qty":3,"UnitPrice":10,"TaxCodeRef":{"value":"2"},"TaxInclusiveAmt":36.0}},
				 {"Amount":30.0,"DetailType":"SubTotalLineDetail","SubTotalLineDetail":{}}]}}`}
		}
		if c.path == "/query" {
			return reply{body: queryAnswer("Invoice", nil)}
		}
		return reply{status: 404}
	})
	c := f.client(Config{})
	ri, err := c.Invoice(context.Background(), "130")
	if err != nil {
		t.Fatal(err)
	}
	if ri.ID != "130" || ri.Number != "1037" || ri.ContactID != "58" || ri.ContactName != "Acme" || !ri.Inclusive || ri.Status != "PAID" ||
		platform.Totals(ri.Totals) != (platform.Totals{Subtotal: 3000, Tax: 600, Total: 3600}) || ri.AmountDue != 0 || ri.AmountPaid != 3600 ||
		!ri.UpdatedAt.Equal(time.Date(2024, 3, 2, 18, 0, 0, 0, time.UTC)) || len(ri.Lines) != 1 {
		t.Fatalf("invoice %+v", ri)
	}
	if l := ri.Lines[0]; l.LineAmount != 3600 || l.TaxAmount != 600 || !l.Quantity.Equal(qty("3")) || l.TaxCode != "2" {
		t.Errorf("line %+v", l)
	}
	since := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := c.Invoices(context.Background(), platform.InvoiceQuery{ModifiedSince: since, Numbers: []string{"1037"}, Page: 3}); err != nil {
		t.Fatal(err)
	}
	q := f.recorded()[1].sql()
	if q != "select * from Invoice where MetaData.LastUpdatedTime > '2024-03-01T00:00:00Z' and DocNumber in ('1037') STARTPOSITION 201 MAXRESULTS 100" {
		t.Errorf("query %s", q)
	}
}

func TestClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		write  bool
		rep    reply
		class  platform.Class
		code   string
		status int
	}{
		{"429", false, reply{status: 429, body: fault("ThrottleExceeded", "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429", "The request limit was reached.", "")}, platform.RateLimited, "rate_limited", 429},
		{"throttle fault in 200", false, reply{body: fault("ThrottleExceeded", "3001", "ThrottleExceeded", "", "")}, platform.RateLimited, "rate_limited", 200},
		{"401 lower-case gateway body", false, reply{status: 401, body: `{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: AB11","code":"3200"}],"type":"AUTHENTICATION"},"time":"x"}`}, platform.Auth, "unauthorized", 401},
		{"403", false, reply{status: 403, body: fault("AuthorizationFault", "3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", "", "")}, platform.Auth, "forbidden", 403},
		{"authorization fault in 200", false, reply{body: fault("AuthorizationFault", "120", "Authorization Failure", "", "")}, platform.Auth, "forbidden", 200},
		{"500", false, reply{status: 500, body: fault("SystemFault", "10000", "An application error has occurred", "", "")}, platform.Transient, "server_error", 500},
		{"500 on a write", true, reply{status: 500}, platform.Transient, "server_error", 500},
		{"503", false, reply{status: 503}, platform.Transient, "server_error", 503},
		{"502 on a write", true, reply{status: 502}, platform.UnknownOutcome, "gateway_timeout", 502},
		{"504 on a read", false, reply{status: 504}, platform.Transient, "server_error", 504},
		{"400 validation", true, reply{status: 400, body: fault("ValidationFault", "6190", "Invalid Company Status", "Subscription period has ended", "")}, platform.NeedsUserAction, "company_not_active", 400},
		{"404", false, reply{status: 404}, platform.NeedsUserAction, "not_found", 404},
		{"dropped on a read", false, reply{hijack: true}, platform.Transient, "network_error", 0},
		{"dropped after a write", true, reply{hijack: true}, platform.UnknownOutcome, "network_error", 0},
		{"garbage after a write", true, reply{body: "<html>"}, platform.UnknownOutcome, "unexpected_response", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, func(call) reply { return tc.rep })
			budget := platform.NewBudget(QuickBooksLimits, 1)
			c := f.client(Config{Budget: budget})
			var err error
			if tc.write {
				err = c.do(context.Background(), request{method: http.MethodPost, path: "/invoice", body: []byte(`{"DocNumber":"1"}`), requestID: "r"}, "invoice", &struct{}{})
			} else {
				_, err = c.Org(context.Background())
			}
			var perr *platform.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v", err)
			}
			if perr.Class != tc.class || perr.Code != tc.code || (tc.status != 0 && perr.Status != tc.status) {
				t.Errorf("got %s %s %d (%s), want %s %s %d", perr.Class, perr.Code, perr.Status, perr.Message, tc.class, tc.code, tc.status)
			}
			if perr.Message == "" || strings.HasPrefix(perr.Message, " ") {
				t.Errorf("message %q", perr.Message)
			}
			if tc.class == platform.RateLimited {
				if perr.RetryAfter != 60*time.Second {
					t.Errorf("RetryAfter = %s", perr.RetryAfter)
				}
				// The budget is paused: the next call waits for the minute.
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				if _, err := budget.Acquire(ctx); err == nil {
					t.Error("budget not paused after a throttle")
				}
			}
		})
	}
}

func TestBatchFailureReportsEveryObject(t *testing.T) {
	t.Parallel()
	co, _, c := setup(t)
	batches := 0
	co.override = func(cl call) (reply, bool) {
		if cl.path != "/batch" {
			return reply{}, false
		}
		batches++
		if batches == 2 {
			return reply{hijack: true}, true
		}
		return reply{}, false
	}
	res, err := c.PushContacts(context.Background(), func() []platform.Contact {
		var out []platform.Contact
		for i := range 35 {
			out = append(out, platform.Contact{Ref: fmt.Sprint(i), Name: fmt.Sprint("C", i)})
		}
		return out
	}())
	if cl, _ := classOf(t, err); cl != platform.UnknownOutcome {
		t.Fatalf("err = %v", err)
	}
	if len(res) != 35 || res[0].Err != nil || res[29].PlatformID == "" {
		t.Fatalf("first batch: %+v", res[0])
	}
	for _, r := range res[30:] {
		if cl, _ := classOf(t, r.Err); cl != platform.UnknownOutcome {
			t.Errorf("%s: %v", r.Ref, r.Err)
		}
	}
}

func TestBudgetMetersBatchItems(t *testing.T) {
	t.Parallel()
	co := newCompany()
	f := newFake(t, co.serve)
	// 31 calls a minute: a 30-item batch and its look-up fit; nothing more does.
	budget := platform.NewBudget(platform.Limits{PerMinute: 31, Concurrent: 10}, 1)
	c := f.client(Config{Budget: budget})
	var cts []platform.Contact
	for i := range 30 {
		cts = append(cts, platform.Contact{Ref: fmt.Sprint(i), Name: fmt.Sprint("C", i)})
	}
	if _, err := c.PushContacts(context.Background(), cts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := budget.Acquire(ctx); err == nil {
		t.Error("a 30-item batch spent less than 30 calls of the budget")
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	a := requestID("invoice", []string{"b", "a"}, []byte(`{}`))
	if a != requestID("invoice", []string{"a", "b"}, []byte(`{}`)) || len(a) != 36 {
		t.Errorf("requestID %q is not stable or not 36 characters", a)
	}
	if a == requestID("invoice", []string{"a", "b"}, []byte(`{"x":1}`)) || a == requestID("customer", []string{"a", "b"}, []byte(`{}`)) {
		t.Error("requestID ignores the body or the kind")
	}
}

func TestFaultCodes(t *testing.T) {
	t.Parallel()
	generic := "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees."
	for _, tc := range []struct {
		err  wireError
		kind string
		code string
	}{
		{wireError{Code: "6210", Message: "Duplicate Document Number"}, "invoice", "duplicate_invoice_number"},
		{wireError{Code: "6000", Detail: "Duplicate Document Number Error: You must specify a different number"}, "invoice", "duplicate_invoice_number"},
		{wireError{Code: "6240", Message: "Duplicate Name Exists Error"}, "customer", "contact_name_taken"},
		{wireError{Code: "6240", Message: "Duplicate Name Exists Error"}, "item", "item_name_taken"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "IncomeAccountRef"}, "item", "ledger_account_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "TaxCodeRef"}, "invoice", "tax_rate_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: "Object Not Found : Customer 58"}, "invoice", "contact_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Element: "LinkedTxn"}, "payment", "invoice_not_found"},
		{wireError{Code: "2500", Message: "Invalid Reference Id", Detail: "Invalid Reference Id : Accounts element id 99 not found"}, "payment", "ledger_account_not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: generic}, "", "not_found"},
		{wireError{Code: "610", Message: "Object Not Found", Detail: generic}, "payment", "invoice_not_found"},
		{wireError{Code: "6000", Detail: "Business Validation Error: Transaction amount must be positive"}, "invoice", "validation_failed"},
		{wireError{Code: "2020", Message: "Required param missing, need to supply the required value for the API", Detail: "Required parameter Line.Amount is missing"}, "invoice", "validation_failed"},
	} {
		e := validationError([]wireError{tc.err}, tc.kind)
		if e.Code != tc.code || e.Class != platform.NeedsUserAction || len(e.Details) != 1 || e.Details[0].Fix == "" {
			t.Errorf("%+v (%s) = %s %+v, want %s", tc.err, tc.kind, e.Code, e, tc.code)
		}
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	e := Endpoint(ProductionAuthURL, ProductionTokenURL)
	if e.AuthURL != ProductionAuthURL || e.TokenURL != ProductionTokenURL || e.AuthStyle != 2 {
		t.Errorf("endpoint %+v", e)
	}
	if len(Scopes) != 1 || Scopes[0] != "com.intuit.quickbooks.accounting" {
		t.Errorf("scopes %v", Scopes)
	}
}

// TestInvoiceWithAnIDThatIsNoQuickBooksID: QuickBooks' ids are digits; any other id is not found
// without a call to QuickBooks, which would answer "../../x" as rejected data.
func TestInvoiceWithAnIDThatIsNoQuickBooksID(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(call) reply { return reply{status: 500} })
	c := f.client(Config{})
	for _, id := range []string{"", "../../x", "..", "12a", "-1", "1.0", " 1", "１２", "123456789012345678901"} {
		_, err := c.Invoice(context.Background(), id)
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
			t.Errorf("Invoice(%q): %v", id, err)
		}
	}
	if n := len(f.recorded()); n != 0 {
		t.Fatalf("%d calls reached QuickBooks", n)
	}
}
