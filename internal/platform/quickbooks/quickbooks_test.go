package quickbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

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
	co := newCompany(t, "us")
	c := co.client(Config{})
	ctx := context.Background()
	org, err := c.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (platform.Org{ID: co.realm, Name: "Sandbox Company US 1", BaseCurrency: "USD", CountryCode: "US"}); org != want {
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
	if n := co.rec.count("GET", "/preferences"); n != 1 {
		t.Errorf("preferences read %d times", n)
	}
	for _, typ := range []string{"CompanyInfo", "Preferences"} {
		if co.spec.Checked(typ) == 0 {
			t.Errorf("no %s was checked against the XSDs", typ)
		}
	}
}

func TestTaxRatesAndAccounts(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	quebec := co.taxCode("GST/QST QC - 9.975", "GST=5", "QST=9.975")
	purchases := co.taxCode("Purchases only", "purchase:10")
	// An account without a number, and one made inactive.
	unnumbered := co.create("Account", map[string]any{"Name": "Consulting", "AccountType": "Other Income"})
	old := co.create("Account", map[string]any{"Name": "Old expense", "AccountType": "Expense", "AcctNum": "6900", "Description": "gone"})
	co.update("Account", old, map[string]any{"Active": false})
	c := co.client(Config{})
	ctx := context.Background()
	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range co.rec.recorded() {
		if strings.Contains(cl.sql(), "from Tax") && !strings.Contains(cl.sql(), "Active in (true, false)") {
			t.Errorf("tax codes or rates without inactive ones: %s", cl.sql())
		}
	}
	// The sandbox's UK company: seven codes of one sales rate each, five of them 0%, the EC ones
	// reverse-charged; then the two codes made above.
	want := []struct {
		code, name string
		rate       int64
		kind       booksync.VATRateKind
	}{{"2", "20.0% S", 2000, ""}, {"3", "5.0% R", 500, ""}, {"4", "0.0% Z", 0, ""}, {"5", "Exempt", 0, ""}, {"6", "No VAT", 0, ""},
		{"7", "0.0% ECG", 0, booksync.VATRateReverseCharge}, {"8", "0.0% ECS", 0, booksync.VATRateReverseCharge}}
	if len(rates) != len(want)+2 {
		t.Fatalf("rates = %+v", rates)
	}
	// 5% + 9.975%: the sum has three decimals and rounds to 14.98%; components keep theirs.
	if r := rates[len(want)]; r.Code != quebec || r.Rate != 1498 || !r.Revenue || r.Status != "Active" || len(r.Components) != 2 ||
		r.Components[0].Rate != 500 || r.Components[1].Rate != 998 || r.Components[1].Name != "QST" {
		t.Errorf("combined code = %+v", r)
	}
	if r := rates[len(want)+1]; r.Code != purchases || r.Revenue || r.Rate != 0 || len(r.Components) != 0 {
		t.Errorf("purchase-only code = %+v", r)
	}
	for i, w := range want {
		r := rates[i]
		if r.Code != w.code || r.Name != w.name || r.Rate != w.rate || r.Kind != w.kind || !r.Revenue || r.Status != "Active" ||
			len(r.Components) != 1 || r.Components[0].Rate != w.rate || r.Components[0].Name != w.name || r.Components[0].IsCompound {
			t.Errorf("rate %d = %+v, want %+v", i, r, w)
		}
	}

	accts, err := c.LedgerAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]platform.LedgerAccount{}
	for _, a := range accts {
		byID[a.ID] = a
	}
	for _, w := range []platform.LedgerAccount{
		{ID: "1", Code: "4000", Name: "Sales of Product Income", Type: "Income", Subtype: "Income", Status: "Active", Currency: "GBP"},
		{ID: "5", Code: "1000", Name: "Checking", Type: "Asset", Subtype: "Bank", Status: "Active", IsBank: true, PaymentsAllowed: true, Currency: "GBP",
			SalesRefusal: "it is a bank account; invoice lines book sales to income accounts"},
		{ID: "4", Code: "1200", Name: "Undeposited Funds", Type: "Asset", Subtype: "Other Current Asset", Status: "Active", PaymentsAllowed: true, Currency: "GBP"},
		{ID: "6", Code: "2200", Name: "VAT Control", Type: "Liability", Subtype: "Other Current Liability", Status: "Active", Currency: "GBP"},
		{ID: "9", Code: "6000", Name: "Office Expenses", Type: "Expense", Subtype: "Expense", Status: "Active", Currency: "GBP"},
		{ID: unnumbered, Code: unnumbered, Name: "Consulting", Type: "Income", Subtype: "Other Income", Status: "Active", Currency: "GBP"},
		{ID: old, Code: "6900", Name: "Old expense", Type: "Expense", Subtype: "Expense", Status: "Archived", Currency: "GBP", Description: "gone"},
	} {
		if byID[w.ID] != w {
			t.Errorf("account %s = %+v, want %+v", w.ID, byID[w.ID], w)
		}
	}
	// Invoice lines book sales to income accounts: the company's bank and receivables accounts
	// say why they cannot take them, so booksync refuses them before anything reaches the books.
	refused := 0
	for _, a := range accts {
		switch a.Subtype {
		case "Bank", "Accounts Receivable":
			refused++
			if a.SalesRefusal == "" {
				t.Errorf("account %s (%s) takes sales", a.Name, a.Subtype)
			}
		case "Income", "Other Income":
			if a.SalesRefusal != "" {
				t.Errorf("income account %s refuses sales: %s", a.Name, a.SalesRefusal)
			}
		}
	}
	if refused < 2 {
		t.Errorf("%d bank or receivables accounts in the company, want both kinds", refused)
	}
	if len(accts) != len(co.sb.Accounts(co.realm)) {
		t.Errorf("%d accounts, the company has %d", len(accts), len(co.sb.Accounts(co.realm)))
	}
	for _, typ := range []string{"TaxCode", "TaxRate", "Account", "QueryResponse"} {
		if co.spec.Checked(typ) == 0 {
			t.Errorf("no %s was checked against the XSDs", typ)
		}
	}
}

func TestPushContactsMatchesByNameAndCreatesInBatchesOf30(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	acme := co.customer("Acme Ltd")
	c := co.client(Config{})
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
	if r := res[0]; !r.Matched || r.PlatformID != acme || r.UpdatedAt.IsZero() {
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
	if n := len(co.sb.Customers(co.realm)); n != 32 {
		t.Errorf("the company has %d customers, want 32", n)
	}
	// 32 distinct names: two look-ups; 31 creates: two batches (30 + 1).
	if q, b := co.rec.count("GET", "/query"), co.rec.count("POST", "/batch"); q != 2 || b != 2 {
		t.Errorf("%d queries and %d batches, want 2 and 2", q, b)
	}
	for _, cl := range co.rec.recorded() {
		if cl.path == "/query" && !strings.HasPrefix(cl.sql(), "select * from Customer where DisplayName in (") {
			t.Errorf("look-up %s", cl.sql())
		}
	}
	batches := co.rec.batches()
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
	if !strings.Contains(co.rec.recorded()[0].sql(), `'O\'Brien and Sons'`) {
		t.Errorf("apostrophe not escaped: %s", co.rec.recorded()[0].sql())
	}
	if batches[0].query.Get("requestid") == batches[1].query.Get("requestid") {
		t.Error("two batches share a requestid")
	}

	// Pushing the same contacts again matches every one and creates nothing.
	before := co.rec.count("POST", "/batch")
	res2, err := c.PushContacts(context.Background(), contacts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res2 {
		if i != 3 && (!r.Matched || r.PlatformID != res[i].PlatformID) {
			t.Errorf("second push %d: %+v", i, r)
		}
	}
	if co.rec.count("POST", "/batch") != before {
		t.Error("second push created contacts")
	}
}

// staleOnUpdate makes every update of customer id stale: just before the connector's update
// reaches QuickBooks, someone else edits the customer. It returns the SyncTokens the edits left.
func staleOnUpdate(co *company, id string, times int) *[]string {
	var tokens []string
	co.rec.setBefore(func(cl call) (*http.Response, error) {
		if cl.method == "POST" && cl.path == "/customer" && len(tokens) < times {
			co.update("Customer", id, map[string]any{"Notes": fmt.Sprint("edited ", len(tokens))})
			var cur entity
			co.api("GET", "/customer/"+id, nil, "Customer", &cur)
			tokens = append(tokens, cur.SyncToken)
		}
		return nil, nil
	})
	return &tokens
}

// A name QuickBooks says is taken belongs to an inactive customer: the connector makes it active
// again, reading it once more when someone edited it meanwhile (Stale Object, 5010).
func TestPushContactsReactivatesInactiveCustomer(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	dormant := co.customer("Dormant Inc")
	co.update("Customer", dormant, map[string]any{"Active": false})
	tokens := staleOnUpdate(co, dormant, 1)
	c := co.client(Config{})
	res, err := c.PushContacts(context.Background(), []platform.Contact{{Ref: "b", Name: "Dormant Inc"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Err != nil || !r.Matched || r.PlatformID != dormant {
		t.Errorf("inactive customer: %+v", r)
	}
	var updates []map[string]any
	for _, cl := range co.rec.recorded() {
		if cl.method == "POST" && cl.path == "/customer" {
			var w map[string]any
			json.Unmarshal(cl.body, &w)
			updates = append(updates, w)
		}
	}
	if len(updates) != 2 || co.rec.count("GET", "/customer/"+dormant) != 1 {
		t.Fatalf("stale retry: %d updates, %d reads", len(updates), co.rec.count("GET", "/customer/"+dormant))
	}
	if w := updates[0]; w["sparse"] != true || w["Active"] != true || w["Id"] != dormant {
		t.Errorf("reactivation body %v", w)
	}
	if updates[1]["SyncToken"] != (*tokens)[0] {
		t.Errorf("retry with SyncToken %v, want the re-read %s", updates[1]["SyncToken"], (*tokens)[0])
	}
	for _, cu := range co.sb.Customers(co.realm) {
		if cu.ID == dormant && !cu.Active {
			t.Error("the customer is still inactive")
		}
	}
}

func TestStaleObjectRetriedOnlyOnce(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	id := co.customer("Seven")
	co.update("Customer", id, map[string]any{"Active": false})
	var cur entity
	co.api("GET", "/customer/"+id, nil, "Customer", &cur)
	staleOnUpdate(co, id, 2)
	c := co.client(Config{})
	_, err := c.reactivateCustomer(context.Background(), wireCustomer{Id: id, SyncToken: cur.SyncToken})
	if cl, code := classOf(t, err); cl != platform.Transient || code != "stale_object" {
		t.Errorf("%s %s", cl, code)
	}
	if co.rec.count("POST", "/customer") != 2 {
		t.Errorf("%d updates, want 2", co.rec.count("POST", "/customer"))
	}
}

func TestPushItems(t *testing.T) {
	t.Parallel()
	co := newCompany(t, "uk")
	widget, gadget := co.item("Widget", "SKU-1"), co.item("Gadget", "")
	retired := co.create("Account", map[string]any{"Name": "Retired sales", "AccountType": "Income", "AcctNum": "6900"})
	co.update("Account", retired, map[string]any{"Active": false})
	c := co.client(Config{})
	res, err := c.PushItems(context.Background(), []platform.Item{
		{Ref: "p1", Code: "sku-1", Name: "Renamed"},
		{Ref: "p2", Code: "SKU-2", Name: "gadget"},
		{Ref: "p3", Code: "SKU-3", Name: "Hours: senior", Description: "Consulting", UnitPrice: 12050, Currency: "GBP", AccountCode: "4000", TaxCode: "TAX"},
		{Ref: "p4", Code: "SKU-4", Name: "Design", UnitPrice: 100, Currency: "GBP", AccountCode: "2", TaxCode: "2"},
		{Ref: "p5", Code: "SKU-5", Name: "Nowhere", AccountCode: "9999"},
		{Ref: "p6", Code: "SKU-6", Name: "No account"},
		{Ref: "p7", Code: "SKU-7", Name: "Retired", AccountCode: "6900"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != widget {
		t.Errorf("by sku: %+v", r)
	}
	if r := res[1]; !r.Matched || r.PlatformID != gadget {
		t.Errorf("by name: %+v", r)
	}
	if r := res[2]; r.Err != nil || r.Matched || r.PlatformID == "" {
		t.Errorf("created: %+v", r)
	}
	if r := res[3]; r.Err != nil || r.Matched || r.PlatformID == "" {
		t.Errorf("created: %+v", r)
	}
	if _, code := classOf(t, res[4].Err); code != "ledger_account_not_found" {
		t.Errorf("unknown account: %s", code)
	}
	if _, code := classOf(t, res[5].Err); code != "ledger_account_missing" {
		t.Errorf("no account: %s", code)
	}
	if _, code := classOf(t, res[6].Err); code != "ledger_account_not_found" {
		t.Errorf("inactive account: %s", code)
	}
	batches := co.rec.batches()
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	sent := batchItems(t, batches[0].body, "Item")
	if len(sent) != 2 {
		t.Fatalf("sent %d items", len(sent))
	}
	// Account 4000 is the one numbered so (Id 1); account "2" has no such number and is the Id.
	a, b := sent[0], sent[1]
	if a["Name"] != "Hours  senior" || a["Sku"] != "SKU-3" || a["Type"] != "Service" || a["UnitPrice"] != json.Number("120.50") ||
		a["IncomeAccountRef"].(map[string]any)["value"] != "1" || a["Taxable"] != true || a["SalesTaxCodeRef"] != nil {
		t.Errorf("sent %v", a)
	}
	if b["IncomeAccountRef"].(map[string]any)["value"] != "2" || b["SalesTaxCodeRef"].(map[string]any)["value"] != "2" || b["Taxable"] != nil {
		t.Errorf("sent %v", b)
	}
	items := co.sb.Items(co.realm)
	if last := items[len(items)-1]; last.ID != res[3].PlatformID || last.Sku != "SKU-4" || last.SalesTaxCodeRef == nil || last.SalesTaxCodeRef.Value != "2" {
		t.Errorf("the company holds %+v", last)
	}
}
