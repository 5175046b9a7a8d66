package xero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/sandbox"
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

// withCustomer connects an organisation holding the customer and the product that the invoices
// of invoices() name, and returns it with the customer's ContactID.
func withCustomer(t *testing.T) (*books, string) {
	t.Helper()
	b := newBooks(t)
	c := b.client(Config{})
	res, err := c.PushContacts(context.Background(), []platform.Contact{{Ref: "cp-1", Name: "Acme Ltd"}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("customer: %v %+v", err, res)
	}
	items, err := c.PushItems(context.Background(), []platform.Item{{Ref: "p1", Code: "SKU-1", Name: "Widget", Currency: "GBP"}})
	if err != nil || items[0].Err != nil {
		t.Fatalf("product: %v %+v", err, items)
	}
	b.rec.reset()
	return b, res[0].PlatformID
}

// invoices returns n valid invoices numbered INV-0001... for contact, with the tax booksync
// computed for their lines, which Xero keeps.
func invoices(n int, contact string) []platform.Invoice {
	out := make([]platform.Invoice, n)
	for i := range out {
		out[i] = platform.Invoice{
			Ref: fmt.Sprintf("rcv-%04d", i+1), Number: fmt.Sprintf("INV-%04d", i+1), ContactID: contact,
			Date: "2024-02-01", Currency: "GBP", MarkIssued: i%2 == 0,
			Lines: []platform.InvoiceLine{
				{Description: "Consulting", Quantity: decimal.RequireFromString("1.5"), UnitAmount: 10001, AccountCode: "200", TaxCode: "OUTPUT2", TaxAmount: 3000},
				{Quantity: decimal.NewFromInt(3), UnitAmount: 333, DiscountAmount: 100, AccountCode: "200", TaxCode: "ZERORATEDOUTPUT", ItemCode: "SKU-1"},
			},
		}
	}
	return out
}

// payment is a payment of an invoice Xero does not hold.
var payment = []platform.Payment{{Ref: "pay-1", InvoiceID: uuid.NewString(), AccountCode: "090", Date: "2024-02-02", Amount: 500, Currency: "GBP"}}

func TestOrgTaxRatesAccounts(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	// Rates a user added in Xero: one archived since, one of two components, one compound.
	b.api("PUT", "/TaxRates", map[string]any{"TaxRates": []any{
		map[string]any{"Name": "Reduced", "TaxComponents": []any{map[string]any{"Name": "Reduced", "Rate": 12.5}}},
		map[string]any{"Name": "NY combined", "TaxComponents": []any{map[string]any{"Name": "State", "Rate": 4},
			map[string]any{"Name": "City", "Rate": 4.875, "IsCompound": true}}},
	}})
	b.api("POST", "/TaxRates", map[string]any{"TaxRates": []any{map[string]any{"TaxType": "TAX001", "Status": "ARCHIVED"}}})
	b.rec.reset()
	c := b.client(Config{})
	ctx := context.Background()

	org, err := c.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (platform.Org{ID: b.tenant, Name: "Demo Company (UK)", BaseCurrency: "GBP", CountryCode: "GB"}); org != want {
		t.Errorf("Org = %+v, want %+v", org, want)
	}

	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]platform.TaxRate{}
	for _, r := range rates {
		byCode[r.Code] = r
	}
	// The UK edition's twelve rates and the two added above.
	if len(rates) != 14 || len(byCode) != 14 {
		t.Fatalf("got %d rates: %+v", len(rates), rates)
	}
	for code, kind := range map[string]booksync.VATRateKind{"ECZROUTPUT": booksync.VATRateReverseCharge,
		"ECZROUTPUTSERVICES": booksync.VATRateReverseCharge, "ZERORATEDOUTPUT": "", "EXEMPTOUTPUT": ""} {
		if r := byCode[code]; r.Rate != 0 || !r.Revenue || r.Kind != kind {
			t.Errorf("%s = %+v, want a 0%% sales rate of kind %q", code, r, kind)
		}
	}
	if r := byCode["ECZRINPUT"]; r.Revenue || r.Kind != "" {
		t.Errorf("ECZRINPUT = %+v, want an expense rate", r)
	}
	if r := byCode["OUTPUT2"]; r.Rate != 2000 || r.Status != "Active" || !r.Revenue ||
		len(r.Components) != 1 || r.Components[0].Rate != 2000 {
		t.Errorf("OUTPUT2 = %+v", r)
	}
	if r := byCode["INPUT2"]; r.Rate != 2000 || r.Revenue {
		t.Errorf("INPUT2 = %+v, want a 20%% rate not for revenue", r)
	}
	if r := byCode["TAX001"]; r.Rate != 1250 || r.Status != "Archived" {
		t.Errorf("TAX001 = %+v, want 1250 Archived", r)
	}
	// 8.875% cannot be held in percent minor units; it rounds to 8.88%.
	if r := byCode["TAX002"]; r.Rate != 888 || len(r.Components) != 2 || r.Components[1].Rate != 488 || !r.Components[1].IsCompound {
		t.Errorf("TAX002 = %+v", r)
	}

	accts, err := c.LedgerAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byAccount := map[string]platform.LedgerAccount{}
	for _, a := range accts {
		if a.ID == "" || a.Status != "Active" {
			t.Errorf("account %+v", a)
		}
		byAccount[a.Code] = a
	}
	for code, w := range map[string]struct {
		typ, sub       string
		bank, payments bool
		refused        bool
	}{
		"200": {"Income", "REVENUE", false, false, false},
		"090": {"Asset", "BANK", true, true, true},
		"610": {"Asset", "CURRENT", false, false, true},
		"310": {"Expense", "DIRECTCOSTS", false, false, false},
		"800": {"Liability", "CURRLIAB", false, false, true},
		"880": {"Equity", "EQUITY", false, false, false},
	} {
		a := byAccount[code]
		if a.Type != w.typ || a.Subtype != w.sub || a.IsBank != w.bank || a.PaymentsAllowed != w.payments || (a.SalesRefusal != "") != w.refused {
			t.Errorf("account %s = %+v, want %+v", code, a, w)
		}
	}
	if byAccount["090"].Currency != "GBP" || byAccount["200"].Name != "Sales" {
		t.Errorf("accounts = %+v", accts)
	}
	calls := b.rec.recorded()
	if len(calls) != 3 {
		t.Errorf("%d calls, want 3", len(calls))
	}
	for _, cl := range calls {
		if cl.header.Get("xero-tenant-id") != b.tenant {
			t.Errorf("%s %s without the tenant header", cl.method, cl.path)
		}
	}
}

func TestPushContactsMatchesByNumberThenNameAndCreatesTheRest(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	// The organisation already holds contacts, one of them archived since.
	b.api("PUT", "/Contacts", map[string]any{"Contacts": []any{
		map[string]any{"Name": "Renamed Since", "ContactNumber": "cp-1"},
		map[string]any{"Name": "Acme Ltd"},
		map[string]any{"Name": "Old Co"},
	}})
	held := b.sb.Contacts(b.tenant)
	byNumber, byName, archived := held[0].ContactID, held[1].ContactID, held[2].ContactID
	b.api("POST", "/Contacts", map[string]any{"Contacts": []any{map[string]any{"ContactID": archived, "ContactStatus": "ARCHIVED"}}})
	b.clock.Advance(time.Minute)
	b.rec.reset()

	c := b.client(Config{})
	res, err := c.PushContacts(context.Background(), []platform.Contact{
		{Ref: "cp-1", Name: "Beta GmbH"},
		{Ref: "cp-2", Name: "ACME LTD"},
		{Ref: "cp-3", Name: "Gamma SARL", FirstName: "Ana", LastName: "Lima", Email: "ana@gamma.example", TaxNumber: "FR123",
			Address: &platform.Address{Line1: "1 rue X", City: "Paris", PostalCode: "75001", Country: "FR"}},
		{Ref: "cp-4", Name: "Old Co"},
		{Ref: "cp-5", Name: "  "},
		{Ref: "cp-6", Name: "Delta Ltd"},
		{Ref: "cp-7", Name: "DELTA LTD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != byNumber || !r.UpdatedAt.Equal(start) {
		t.Errorf("by number: %+v", r)
	}
	if r := res[1]; !r.Matched || r.PlatformID != byName {
		t.Errorf("by name: %+v", r)
	}
	if r := res[2]; r.Matched || r.Err != nil || r.PlatformID == "" || !r.UpdatedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("created: %+v", r)
	}
	// Names are unique among active contacts only: an archived one's name is free again.
	if r := res[3]; r.Matched || r.Err != nil || r.PlatformID == "" || r.PlatformID == archived {
		t.Errorf("archived name: %+v", r)
	}
	if cl, code := classOf(t, res[4].Err); cl != platform.NeedsUserAction || code != "contact_name_missing" {
		t.Errorf("blank name: %s %s", cl, code)
	}
	if r := res[5]; r.Err != nil || r.PlatformID == "" {
		t.Errorf("first of two names: %+v", r)
	}
	if cl, code := classOf(t, res[6].Err); cl != platform.NeedsUserAction || code != "contact_name_taken" {
		t.Errorf("name taken in the same request: %s %s", cl, code)
	}
	calls := b.rec.recorded()
	if len(calls) != 2 || calls[0].method != "GET" || calls[1].method != "PUT" {
		t.Fatalf("calls = %v", calls)
	}
	if !strings.Contains(calls[0].query.Get("where"), `ContactNumber=="cp-1" OR Name=="Beta GmbH"`) {
		t.Errorf("where = %s", calls[0].query.Get("where"))
	}
	if calls[1].query.Get("summarizeErrors") != "false" || !strings.HasPrefix(calls[1].header.Get("Idempotency-Key"), "contacts-") {
		t.Errorf("PUT %v %v", calls[1].query, calls[1].header)
	}
	var sent struct{ Contacts []wireContact }
	json.Unmarshal(calls[1].body, &sent)
	if len(sent.Contacts) != 4 {
		t.Fatalf("sent %d contacts", len(sent.Contacts))
	}
	if g := sent.Contacts[0]; g.ContactNumber != "cp-3" || g.EmailAddress != "ana@gamma.example" || g.FirstName != "Ana" ||
		len(g.Addresses) != 1 || g.Addresses[0].AddressType != "POBOX" || g.Addresses[0].City != "Paris" {
		t.Errorf("sent %+v", g)
	}
	if n := len(b.sb.Contacts(b.tenant)); n != 6 {
		t.Errorf("Xero holds %d contacts, want 6", n)
	}
}

// TestPushItemsMatchesByCodeAndTruncatesNames: invoice lines name items by booksync's code, so
// an item matches by its code only; one of another code and the same name is none.
func TestPushItemsMatchesByCodeAndTruncatesNames(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	b.api("PUT", "/Items", map[string]any{"Items": []any{
		map[string]any{"Code": "SKU-1", "Name": "Widget"}, map[string]any{"Code": "OTHER", "Name": "Gadget"}}})
	byCode, other := b.sb.Items(b.tenant)[0].ItemID, b.sb.Items(b.tenant)[1].ItemID
	b.rec.reset()
	c := b.client(Config{})
	long := strings.Repeat("é", 60)
	res, err := c.PushItems(context.Background(), []platform.Item{
		{Ref: "p1", Code: "sku-1", Name: "Anything"},
		{Ref: "p2", Code: "SKU-2", Name: "gadget"},
		{Ref: "p3", Code: "SKU-3", Name: long, UnitPrice: 1999, Currency: "GBP", AccountCode: "200", TaxCode: "OUTPUT2"},
		{Ref: "p4", Code: "SKU-4", Name: "Bad tax", TaxCode: "NOPE", Currency: "GBP"},
		{Ref: "p5", Code: strings.Repeat("x", 31)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Matched || res[0].PlatformID != byCode {
		t.Errorf("by code: %+v", res[0])
	}
	if r := res[1]; r.Matched || r.Err != nil || r.PlatformID == "" || r.PlatformID == other {
		t.Errorf("same name, other code: %+v", r)
	}
	if res[2].Err != nil || res[2].PlatformID == "" || res[2].Matched {
		t.Errorf("created: %+v", res[2])
	}
	if _, code := classOf(t, res[3].Err); code != "tax_rate_not_found" {
		t.Errorf("bad tax: %v", res[3].Err)
	} else if d := res[3].Err.(*platform.Error).Details[0]; d.Field != "SalesDetails.TaxType" || d.Fix == "" {
		t.Errorf("detail %+v", d)
	}
	if _, code := classOf(t, res[4].Err); code != "item_code_too_long" {
		t.Errorf("long code: %v", res[4].Err)
	}
	calls := b.rec.recorded()
	if len(calls) != 2 || calls[0].query.Get("where") != `Code=="sku-1" OR Code=="SKU-2" OR Code=="SKU-3" OR Code=="SKU-4"` {
		t.Errorf("calls %v", calls)
	}
	var sent struct{ Items []wireItem }
	json.Unmarshal(calls[len(calls)-1].body, &sent)
	if got := sent.Items[1]; len([]rune(got.Name)) != 50 || !got.IsSold || got.SalesDetails.UnitPrice != "19.99" ||
		got.SalesDetails.AccountCode != "200" || got.SalesDetails.TaxType != "OUTPUT2" {
		t.Errorf("sent %+v %+v", got, got.SalesDetails)
	}
	if calls[len(calls)-1].query.Get("unitdp") != "4" {
		t.Errorf("unitdp missing")
	}
	// The item is in Xero under its truncated name; a second push matches it by code.
	if held := b.sb.Items(b.tenant); len(held) != 4 || held[3].Name != strings.Repeat("é", 50) {
		t.Errorf("Xero holds %+v", held)
	}
	res, err = c.PushItems(context.Background(), []platform.Item{{Ref: "p3", Code: "sku-3", Name: long}})
	if err != nil || !res[0].Matched || res[0].PlatformID != b.sb.Items(b.tenant)[3].ItemID {
		t.Errorf("second push: %+v %v", res, err)
	}
}

func TestPushInvoicesCreatesOnlyMissingInChunksWithDeterministicKeys(t *testing.T) {
	t.Parallel()
	base, contact := withCustomer(t)
	batch := invoices(125, contact)

	// run pushes the batch to a sandbox restarted from base's saved state, so that two runs start
	// from the same organisation.
	run := func() (*books, []platform.Result) {
		b := base.restarted()
		c := b.client(Config{})
		// Five invoices are already in Xero, e.g. from an attempt whose answer was lost.
		res, err := c.PushInvoices(context.Background(), batch[:5])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		b.rec.reset()
		again := slices.Clone(batch)
		for i := range again {
			again[i].MaybeExists = true // the engine says so after an unknown outcome
		}
		res, err = c.PushInvoices(context.Background(), again)
		if err != nil {
			t.Fatal(err)
		}
		return b, res
	}
	b, res := run()

	var gets, puts []call
	for _, cl := range b.rec.recorded() {
		if cl.method == "GET" {
			gets = append(gets, cl)
		} else {
			puts = append(puts, cl)
		}
	}
	if len(gets) != 3 || gets[0].query.Get("Statuses") != lookupStatuses || len(strings.Split(gets[0].query.Get("InvoiceNumbers"), ",")) != 50 {
		t.Errorf("look-ups: %d, first %v", len(gets), gets[0].query)
	}
	var sizes []int
	var keys []string
	for _, p := range puts {
		var env struct{ Invoices []wireInvoice }
		json.Unmarshal(p.body, &env)
		sizes = append(sizes, len(env.Invoices))
		keys = append(keys, p.header.Get("Idempotency-Key"))
		if p.query.Get("summarizeErrors") != "false" || p.query.Get("unitdp") != "4" {
			t.Errorf("PUT query %v", p.query)
		}
	}
	if fmt.Sprint(sizes) != "[50 50 20]" {
		t.Fatalf("chunks = %v, want [50 50 20]", sizes)
	}
	if keys[0] == keys[1] || keys[1] == keys[2] || len(keys[0]) > 128 {
		t.Errorf("keys %v", keys)
	}
	// The same batch against the same state sends the same keys, so Xero replays a retried chunk.
	b2, _ := run()
	var keys2 []string
	for _, cl := range b2.rec.recorded() {
		if cl.method == "PUT" {
			keys2 = append(keys2, cl.header.Get("Idempotency-Key"))
		}
	}
	if fmt.Sprint(keys) != fmt.Sprint(keys2) {
		t.Errorf("keys differ between runs:\n%v\n%v", keys, keys2)
	}

	// 1.5 x 100.01 = 150.015 -> 150.02 at 20% = 30.00; 3 x 3.33 - 1.00 = 8.99 at 0%.
	want := platform.Totals{Subtotal: 15901, Tax: 3000, Total: 18901}
	for i, r := range res {
		if r.Err != nil || r.PlatformID == "" || r.Totals == nil || *r.Totals != want || r.Ref != batch[i].Ref || r.UpdatedAt.IsZero() {
			t.Fatalf("result %d = %+v, totals %+v", i, r, r.Totals)
		}
		if r.Matched != (i < 5) {
			t.Errorf("result %d matched = %v", i, r.Matched)
		}
	}
	if n := len(b.sb.Invoices(b.tenant)); n != 125 {
		t.Errorf("Xero holds %d invoices, want 125", n)
	}

	var first struct{ Invoices []wireInvoice }
	json.Unmarshal(puts[0].body, &first)
	got := first.Invoices[0] // INV-0006, index 5: a draft
	if got.Type != "ACCREC" || got.Status != "DRAFT" || got.DueDate != "2024-02-01" || got.LineAmountTypes != "Exclusive" ||
		got.Contact.ContactID != contact || got.InvoiceNumber != "INV-0006" {
		t.Errorf("sent %+v", got)
	}
	if l := got.LineItems[1]; l.Description != "SKU-1" || l.Quantity != "3" || l.UnitAmount != "3.33" || l.DiscountAmount != "1.00" || l.ItemCode != "SKU-1" {
		t.Errorf("line %+v", l)
	}
	if l := got.LineItems[0]; l.DiscountAmount != "" || l.UnitAmount != "100.01" || l.Quantity != "1.5" {
		t.Errorf("line %+v", l)
	}
	if first.Invoices[1].Status != "AUTHORISED" {
		t.Errorf("issued invoice sent as %s", first.Invoices[1].Status)
	}
}

// TestFirstPushDoesNotLookUp shows that invoices pushed for the first time cost one call per
// batch of 50: no look-up by number.
func TestFirstPushDoesNotLookUp(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	res, err := b.client(Config{}).PushInvoices(context.Background(), invoices(50, contact))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.PlatformID == "" {
			t.Fatalf("result %+v", r)
		}
	}
	if calls := b.rec.recorded(); len(calls) != 1 || calls[0].method != "PUT" {
		t.Fatalf("calls for a first push of 50 invoices: %d, want one PUT", len(calls))
	}
}

func TestPushInvoicesPerObjectValidationErrors(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	// VOID-1 was issued in Xero and voided since.
	b.api("PUT", "/Invoices", map[string]any{"Invoices": []any{map[string]any{"Type": "ACCREC", "InvoiceNumber": "VOID-1",
		"Contact": map[string]any{"ContactID": contact}, "Status": "AUTHORISED", "CurrencyCode": "GBP",
		"LineItems": []any{map[string]any{"Description": "Setup", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}}}}})
	b.api("POST", "/Invoices", map[string]any{"Invoices": []any{map[string]any{"InvoiceNumber": "VOID-1", "Status": "VOIDED"}}})
	c := b.client(Config{})
	batch := invoices(6, contact)
	batch[1].Lines[1].TaxCode = "BOGUS"
	batch[2].Lines[0].AccountCode = "999"
	batch[3].Currency = "USD"
	batch[4].Number = batch[0].Number // taken by the first one in the same request
	batch[5].Number = "VOID-1"
	batch[5].MaybeExists = true
	res, err := c.PushInvoices(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Totals == nil {
		t.Errorf("valid invoice: %+v", res[0])
	}
	for i, want := range map[int]struct{ code, field string }{
		1: {"tax_rate_not_found", "LineItems[1].TaxType"},
		2: {"ledger_account_not_found", "LineItems[0].AccountCode"},
		3: {"currency_not_enabled", "CurrencyCode"},
		4: {"duplicate_invoice_number", "InvoiceNumber"},
		5: {"invoice_voided", "InvoiceNumber"},
	} {
		var perr *platform.Error
		if !errors.As(res[i].Err, &perr) {
			t.Errorf("invoice %d: err %v", i, res[i].Err)
			continue
		}
		if perr.Class != platform.NeedsUserAction || perr.Code != want.code || perr.Details[0].Field != want.field || perr.Details[0].Fix == "" {
			t.Errorf("invoice %d: %s %s %+v, want %s %s", i, perr.Class, perr.Code, perr.Details, want.code, want.field)
		}
	}
	if perr := res[1].Err.(*platform.Error); !strings.HasPrefix(perr.Message, "Tax rate does not exist in Xero: The TaxType code 'BOGUS'") {
		t.Errorf("message %q", perr.Message)
	}
	if !res[5].Matched || res[5].PlatformID == "" {
		t.Errorf("voided: %+v", res[5])
	}
}

// withBody returns r with another body.
func withBody(r *http.Request, body []byte) *http.Request {
	r = r.Clone(r.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r
}

// TestPush400WithElementsIsPerObject: Xero answers some create requests as a whole, with 400,
// even when asked for per-object results. The sandbox does so when summarizeErrors is left out,
// listing the objects at fault, and when it cannot read the request, listing none; on the way to
// it, the test drops the parameter, and then garbles the body.
func TestPush400WithElementsIsPerObject(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	batch := invoices(3, contact)
	batch[1].Lines[0].AccountCode = "999"
	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if r.Method == http.MethodPut {
			r = r.Clone(r.Context())
			q := r.URL.Query()
			q.Del("summarizeErrors")
			r.URL.RawQuery = q.Encode()
		}
		return next.RoundTrip(r)
	})
	c := b.client(Config{})
	res, err := c.PushInvoices(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if cl, code := classOf(t, res[1].Err); cl != platform.NeedsUserAction || code != "ledger_account_not_found" {
		t.Errorf("offender: %s %s", cl, code)
	}
	for _, i := range []int{0, 2} {
		if cl, code := classOf(t, res[i].Err); cl != platform.Transient || code != "batch_rejected" {
			t.Errorf("bystander %d: %s %s", i, cl, code)
		}
	}
	if n := len(b.sb.Invoices(b.tenant)); n != 0 {
		t.Errorf("Xero holds %d invoices after a rejected request", n)
	}

	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if r.Method == http.MethodPut {
			r = withBody(r, []byte(`{"Invoices":{}}`))
		}
		return next.RoundTrip(r)
	})
	// Another batch: the same one would have the same Idempotency-Key, and Xero would replay
	// the first answer.
	res, err = c.PushInvoices(context.Background(), invoices(3, contact))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if cl, code := classOf(t, r.Err); cl != platform.NeedsUserAction || code != "validation_failed" {
			t.Errorf("invoice %d: %s %s", i, cl, code)
		}
	}
}

// gateway answers a call as a gateway in front of Xero does with status, having sent it on
// when sent is true.
func gateway(status int, sent bool) func(*http.Request, http.RoundTripper) (*http.Response, error) {
	return func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if sent {
			resp, err := next.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
		}
		body := "<html><body><h1>" + http.StatusText(status) + "</h1></body></html>"
		return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
			Header: http.Header{"Content-Type": {"text/html"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

// hang sends a call on when sent is true, then answers nothing until the client gives up.
func hang(sent bool) func(*http.Request, http.RoundTripper) (*http.Response, error) {
	return func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if sent {
			resp, err := next.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
		}
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
}

func TestClassification(t *testing.T) {
	t.Parallel()
	read := func(c *Client) error { _, err := c.Org(context.Background()); return err }
	tests := []struct {
		name  string
		write bool // PushPayments; else Org
		arm   func(b *books)
		class platform.Class
		code  string
	}{
		{"401", false, func(b *books) {
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultExpireAccessTokens})
		}, platform.Auth, "unauthorized"},
		{"403", false, func(b *books) { b.tenant = uuid.NewString() }, platform.Auth, "forbidden"},
		{"500", false, func(b *books) {
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultServerError})
		}, platform.Transient, "server_error"},
		{"500 on write", true, func(b *books) {
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultServerError, Path: "/Payments"})
		}, platform.Transient, "server_error"},
		{"503 on write", true, func(b *books) { b.setIntercept(gateway(503, false)) }, platform.Transient, "server_error"},
		{"504 on write", true, func(b *books) { b.setIntercept(gateway(504, true)) }, platform.UnknownOutcome, "gateway_timeout"},
		{"504 on read", false, func(b *books) { b.setIntercept(gateway(504, true)) }, platform.Transient, "server_error"},
		{"reset on read", false, func(b *books) {
			b.setIntercept(func(*http.Request, http.RoundTripper) (*http.Response, error) { return nil, syscall.ECONNRESET })
		}, platform.Transient, "network_error"},
		{"dropped after a write", true, func(b *books) {
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultTimeoutAfterStore, Path: "/Payments"})
			// On a connection used before, net/http would send the PUT again by itself (it has an
			// Idempotency-Key) and Xero would replay the answer; a new one shows the drop.
			b.wire.CloseIdleConnections()
		}, platform.UnknownOutcome, "network_error"},
		{"timeout on read", false, func(b *books) { b.setIntercept(hang(false)) }, platform.Transient, "timeout"},
		{"timeout on write", true, func(b *books) { b.setIntercept(hang(true)) }, platform.UnknownOutcome, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBooks(t)
			tt.arm(b)
			c := b.client(Config{Timeout: 200 * time.Millisecond})
			var err error
			if !tt.write {
				err = read(c)
			} else {
				var res []platform.Result
				res, err = c.PushPayments(context.Background(), payment)
				if err != nil && (len(res) != 1 || res[0].Err != err) {
					t.Errorf("results %+v should carry the call's error", res)
				}
			}
			cl, code := classOf(t, err)
			if cl != tt.class || code != tt.code {
				t.Errorf("got %s %s, want %s %s (%v)", cl, code, tt.class, tt.code, err)
			}
			if msg := err.(*platform.Error).Message; msg == "" || strings.Contains(strings.ToLower(msg), "bearer") {
				t.Errorf("message %q", msg)
			}
		})
	}
	// Xero refuses a query it cannot read with 400 and a message; the connector sends none such,
	// so the test garbles the filter on the way.
	t.Run("400 on read", func(t *testing.T) {
		t.Parallel()
		b := newBooks(t)
		b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
			r = r.Clone(r.Context())
			q := r.URL.Query()
			q.Set("where", "Nonsense")
			r.URL.RawQuery = q.Encode()
			return next.RoundTrip(r)
		})
		_, err := b.client(Config{}).Invoices(context.Background(), platform.InvoiceQuery{})
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "validation_failed" ||
			!strings.Contains(err.(*platform.Error).Message, "Nonsense") {
			t.Errorf("got %s %s (%v)", cl, code, err)
		}
	})
	t.Run("404", func(t *testing.T) {
		t.Parallel()
		b := newBooks(t)
		_, err := b.client(Config{}).Invoice(context.Background(), uuid.NewString())
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
			t.Errorf("got %s %s (%v)", cl, code, err)
		}
	})
}

func TestUnreachableWriteIsTransient(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	c := b.client(Config{})
	b.wire.CloseIdleConnections()
	b.srv.Close() // connection refused: the request never left
	_, err := c.PushPayments(context.Background(), payment)
	if cl, code := classOf(t, err); cl != platform.Transient || code != "network_error" {
		t.Errorf("got %s %s", cl, code)
	}
}

func TestRateLimitedPausesTheBudget(t *testing.T) {
	t.Parallel()
	b := newBooks(t, func(o *sandbox.Options) { o.Limits = true })
	// The organisation's 60 calls of the minute are spent; the sandbox's clock stands still.
	spender := b.client(Config{})
	for range 60 {
		if _, err := spender.Org(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	budget := platform.NewBudget(platform.Limits{}, 1)
	c := b.client(Config{Budget: budget})
	_, err := c.TaxRates(context.Background())
	var perr *platform.Error
	if !errors.As(err, &perr) || perr.Class != platform.RateLimited || perr.RetryAfter != time.Minute || perr.Status != 429 {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(perr.Message, "minute") {
		t.Errorf("message %q does not name the limit", perr.Message)
	}
	// The budget now holds every call of the connection for Retry-After.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := budget.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire after 429 = %v, want to wait past the deadline", err)
	}
}

func TestFailureMidBatchReportsEveryObject(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	// The first request of invoices goes through; Xero rate-limits the second.
	armed := false
	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if r.Method == http.MethodPut && !armed {
			armed = true
			b.sb.InjectFault(b.tenant, sandbox.Fault{Kind: sandbox.FaultRateLimit, Path: "/Invoices"})
		}
		return resp, err
	})
	c := b.client(Config{})
	batch := invoices(70, contact)
	res, err := c.PushInvoices(context.Background(), batch)
	if cl, _ := classOf(t, err); cl != platform.RateLimited {
		t.Fatalf("err = %v", err)
	}
	if len(res) != 70 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if i < 50 && (r.Err != nil || r.PlatformID == "") {
			t.Errorf("result %d = %+v, want created", i, r)
		}
		if i >= 50 && r.Err != err {
			t.Errorf("result %d = %+v, want the call's error", i, r)
		}
	}
	if n := b.sb.PendingFaults(b.tenant); n != 0 {
		t.Errorf("%d faults did not fire", n)
	}
	// Pushing again, looking the numbers up first, creates only the 20 left over.
	b.setIntercept(nil)
	for i := range batch {
		batch[i].MaybeExists = true
	}
	res, err = c.PushInvoices(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, r := range res {
		if r.Matched {
			matched++
		}
	}
	if n := len(b.sb.Invoices(b.tenant)); matched != 50 || n != 70 {
		t.Errorf("matched %d, Xero holds %d", matched, n)
	}
}

// TestAnswerWithoutTheObjectsIsAnUnknownOutcome: a 2xx answer to a create that does not list the
// objects under their wrapper (a proxy's page, a changed API) fails the request as an answer whose
// outcome is unknown, for every invoice in it, and nothing is reported as created.
func TestAnswerWithoutTheObjectsIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	const body = `{"Id":"7c1c1a0e-0000-4000-8000-000000000000","Status":"OK","ProviderName":"booksync"}`
	b, contact := withCustomer(t)
	b.setIntercept(func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err != nil || r.Method != http.MethodPut {
			return resp, err
		}
		resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		return resp, nil
	})
	res, err := b.client(Config{}).PushInvoices(context.Background(), invoices(3, contact))
	if cl, code := classOf(t, err); cl != platform.UnknownOutcome || code != "unexpected_response" {
		t.Fatalf("err = %v (%s %s)", err, cl, code)
	}
	for i, r := range res {
		if r.Err != err || r.PlatformID != "" {
			t.Errorf("result %d = %+v, want the call's error and no id", i, r)
		}
	}
}

func TestPushPayments(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	c := b.client(Config{})
	res, err := c.PushInvoices(context.Background(), invoices(1, contact))
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	inv := res[0].PlatformID
	var bank string
	for _, a := range b.sb.Accounts(b.tenant) {
		if a.Code == "090" {
			bank = a.AccountID
		}
	}
	pays, err := c.PushPayments(context.Background(), []platform.Payment{
		{Ref: "pay-1", InvoiceID: inv, AccountCode: "090", Date: "2024-02-03", Amount: 10000, Currency: "GBP", Reference: "bank ref"},
		{Ref: "pay-2", InvoiceID: inv, AccountID: bank, Date: "2024-02-03", Amount: 1000000, Currency: "GBP"},
		{Ref: "pay-3", AccountCode: "090", Amount: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	held := b.sb.Payments(b.tenant)
	if pays[0].Err != nil || pays[0].PlatformID == "" || len(held) != 1 || !held[0].Amount.Equal(decimal.NewFromInt(100)) ||
		held[0].Account.Code != "090" || held[0].Reference != "bank ref" {
		t.Errorf("payment 0: %+v %+v", pays[0], held)
	}
	if _, code := classOf(t, pays[1].Err); code != "payment_exceeds_amount_due" {
		t.Errorf("payment 1: %v", pays[1].Err)
	}
	if _, code := classOf(t, pays[2].Err); code != "invoice_not_synced" {
		t.Errorf("payment 2: %v", pays[2].Err)
	}
	calls := b.rec.recorded()
	last := calls[len(calls)-1]
	if !strings.HasPrefix(last.header.Get("Idempotency-Key"), "payments-") || !bytes.Contains(last.body, []byte(`"AccountID":"`+bank+`"`)) {
		t.Errorf("key %q, body %s", last.header.Get("Idempotency-Key"), last.body)
	}
}

func TestInvoicesReadBack(t *testing.T) {
	t.Parallel()
	b, contact := withCustomer(t)
	c := b.client(Config{})
	batch := invoices(2, contact)
	batch[1].Inclusive = true
	res, err := c.PushInvoices(context.Background(), batch[:1])
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	b.clock.Advance(2 * time.Second)
	if res2, err := c.PushInvoices(context.Background(), batch[1:]); err != nil || res2[0].Err != nil {
		t.Fatal(err, res2)
	}

	got, err := c.Invoices(context.Background(), platform.InvoiceQuery{ModifiedSince: start.Add(time.Second), Numbers: []string{"INV-0001", "INV-0002"}})
	if err != nil {
		t.Fatal(err)
	}
	// The first invoice was last changed at start, before ModifiedSince.
	if len(got) != 1 || got[0].Number != "INV-0002" || !got[0].Inclusive {
		t.Fatalf("Invoices = %+v", got)
	}
	calls := b.rec.recorded()
	last := calls[len(calls)-1]
	if last.header.Get("If-Modified-Since") != "2024-03-01T12:00:01Z" || last.query.Get("where") != `Type=="ACCREC"` || last.query.Get("page") != "1" {
		t.Errorf("query %v %v", last.query, last.header)
	}

	ri, err := c.Invoice(context.Background(), res[0].PlatformID)
	if err != nil {
		t.Fatal(err)
	}
	if ri.ID != res[0].PlatformID || ri.Number != "INV-0001" || ri.Date != "2024-02-01" || ri.DueDate != "2024-02-01" ||
		ri.Status != "AUTHORISED" || platform.Totals(ri.Totals) != *res[0].Totals || ri.AmountDue != 18901 || ri.AmountPaid != 0 ||
		!ri.UpdatedAt.Equal(start) || ri.Currency != "GBP" {
		t.Errorf("Invoice = %+v", ri)
	}
	if len(ri.Lines) != 2 || ri.Lines[0].LineAmount != 15002 || ri.Lines[0].TaxAmount != 3000 ||
		!ri.Lines[0].Quantity.Equal(decimal.RequireFromString("1.5")) || !ri.Lines[0].UnitAmount.Equal(decimal.RequireFromString("100.01")) ||
		ri.Lines[1].TaxCode != "ZERORATEDOUTPUT" || ri.Lines[1].AccountCode != "200" {
		t.Errorf("lines = %+v", ri.Lines)
	}

	_, err = c.Invoice(context.Background(), uuid.NewString())
	if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
		t.Errorf("missing invoice: %s %s", cl, code)
	}
}

func TestTenants(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	got, err := Tenants(context.Background(), b.http, b.sb.ConnectionsURL())
	if err != nil || len(got) != 1 || got[0] != (Tenant{ID: b.tenant, Name: "Demo Company (UK)", Type: "ORGANISATION"}) {
		t.Errorf("Tenants = %+v, %v", got, err)
	}
	if e := Endpoint(ProductionAuthURL, ProductionTokenURL); e.TokenURL != ProductionTokenURL || e.AuthURL != ProductionAuthURL {
		t.Errorf("Endpoint = %+v", e)
	}
}

// TestInvoiceWithAnIDThatIsNoUUID: an InvoiceID is a UUID; any other id is not found without a
// call to Xero, so that nothing the caller writes into the path reaches Xero's URL.
func TestInvoiceWithAnIDThatIsNoUUID(t *testing.T) {
	t.Parallel()
	b := newBooks(t)
	c := b.client(Config{})
	for _, id := range []string{"", "../../x", "..", "x", "{6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11}", "6e8a1f1c5d0d4c1a9d551b1f0b3a2c11",
		"urn:uuid:6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11", "6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c1g"} {
		_, err := c.Invoice(context.Background(), id)
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
			t.Errorf("Invoice(%q): %v", id, err)
		}
	}
	if n := len(b.rec.recorded()); n != 0 {
		t.Fatalf("%d calls reached Xero", n)
	}
}

func TestRateConversionIsExact(t *testing.T) {
	t.Parallel()
	for in, want := range map[json.Number]int64{"20.0000": 2000, "12.5000": 1250, "0": 0, "17.5": 1750, "100": 10000, "8.875": 888, "": 0} {
		got, err := rate(in)
		if err != nil || got != want {
			t.Errorf("rate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	// Xero's rates arrive as JSON numbers or strings; both decode exactly.
	var tr wireTaxRate
	if err := json.Unmarshal([]byte(`{"EffectiveRate":"12.5000"}`), &tr); err != nil || tr.EffectiveRate != "12.5000" {
		t.Errorf("string rate: %q, %v", tr.EffectiveRate, err)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		"/Date(1699999999000+0000)/": time.UnixMilli(1699999999000),
		"/Date(1699999999123+1300)/": time.UnixMilli(1699999999123), // the offset does not move the instant
		"/Date(1699999999000)/":      time.UnixMilli(1699999999000),
		"/Date(-86400000+0000)/":     time.Unix(-86400, 0),
		"2024-02-15T00:00:00":        time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC),
		"2024-02-15T10:11:12.5Z":     time.Date(2024, 2, 15, 10, 11, 12, 5e8, time.UTC),
		"2024-02-15":                 time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC),
		"":                           {},
	} {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"/Date(abc)/", "yesterday", "/Date(1699999999000+0000)"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) succeeded", bad)
		}
	}
	if d, err := parseDate("", "/Date(1518652800000+0000)/"); err != nil || d != "2018-02-15" {
		t.Errorf("parseDate = %q, %v", d, err)
	}
}

func TestValidationMessages(t *testing.T) {
	t.Parallel()
	for msg, code := range map[string]string{
		"Invoice # must be unique.": "duplicate_invoice_number",
		"The TaxType code 'TAX009' does not exist or cannot be used for this type of transaction.": "tax_rate_not_found",
		"Tax rate must be valid": "tax_rate_not_found",
		"The TaxType code 'OUTPUT' cannot be used with account code '200'.": "tax_rate_account_mismatch",
		"Account code '999' is not a valid code for this document.":         "ledger_account_not_found",
		"Account must be valid": "ledger_account_not_found",
		"The contact name Acme is already assigned to another contact. The contact name must be unique across all active contacts.": "contact_name_taken",
		"Organisation is not subscribed to currency USD":                                             "currency_not_enabled",
		"Item code 'SKU-9' is not valid":                                                             "item_not_found",
		"The document date cannot be before the end of year lock date, currently set at 31 Mar 2023": "period_locked",
		"Payment amount exceeds the amount outstanding on this document":                             "payment_exceeds_amount_due",
		"The line total 895.66 does not match the expected line total 0.00":                          "line_total_mismatch",
		"Something entirely new":                                                                     "validation_failed",
	} {
		e := validationError([]string{msg}, nil)
		if e.Code != code || e.Class != platform.NeedsUserAction || !strings.HasSuffix(e.Message, msg) || e.Details[0].Fix == "" {
			t.Errorf("%q -> %s %q, want %s", msg, e.Code, e.Message, code)
		}
	}
	e := validationError([]string{"Invoice # must be unique.", "Account must be valid"}, nil)
	if len(e.Details) != 2 || !strings.HasSuffix(e.Message, "(and 1 more)") || e.Details[1].Field != "LineItems.AccountCode" {
		t.Errorf("two messages: %+v", e)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	body := []byte(`{"Invoices":[]}`)
	k := idempotencyKey("invoices", []string{"b", "a"}, body)
	if k != idempotencyKey("invoices", []string{"a", "b"}, body) {
		t.Error("key depends on the order of refs")
	}
	if k == idempotencyKey("invoices", []string{"a", "c"}, body) || k == idempotencyKey("invoices", []string{"a", "b"}, []byte(`{}`)) ||
		k == idempotencyKey("payments", []string{"a", "b"}, body) {
		t.Error("different chunks share a key")
	}
	if !strings.HasPrefix(k, "invoices-") || len(k) > 128 {
		t.Errorf("key %q", k)
	}
}

// TestUSOrganisationSalesTax: a Xero US organisation has a sales tax rate per place, a component
// per jurisdiction; the connector reads them (New York City's 8.875% as 8.88%) and an invoice at
// Los Angeles' 9.75% is booked with booksync's tax.
func TestUSOrganisationSalesTax(t *testing.T) {
	t.Parallel()
	b := newBooksIn(t, "US")
	c := b.client(Config{})
	ctx := context.Background()
	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]platform.TaxRate{}
	for _, r := range rates {
		byName[r.Name] = r
	}
	if r := byName["New York City, NY"]; r.Code != "TAX001" || r.Rate != 888 || len(r.Components) != 3 || !r.Revenue {
		t.Errorf("New York City = %+v", r)
	}
	la := byName["Los Angeles, CA"]
	if la.Rate != 975 || len(la.Components) != 3 || la.Components[0].Rate != 600 || la.Components[2].Rate != 250 {
		t.Fatalf("Los Angeles = %+v", la)
	}
	cres, err := c.PushContacts(ctx, []platform.Contact{{Ref: "cp", Name: "Angel City Supply"}})
	if err != nil || cres[0].Err != nil {
		t.Fatal(err, cres)
	}
	res, err := c.PushInvoices(ctx, []platform.Invoice{{Ref: "r", Number: "LA-1", ContactID: cres[0].PlatformID, Date: "2026-03-01", Currency: "USD",
		Lines: []platform.InvoiceLine{{Description: "Widgets", Quantity: decimal.NewFromInt(3), UnitAmount: 1999, AccountCode: "200", TaxCode: la.Code, TaxAmount: 585}}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if got := *res[0].Totals; got != (platform.Totals{Subtotal: 5997, Tax: 585, Total: 6582}) {
		t.Errorf("totals %+v", got)
	}
}
