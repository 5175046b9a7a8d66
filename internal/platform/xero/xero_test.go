package xero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/platform"
)

// setup returns books, a fake serving them and a client of the fake.
func setup(t *testing.T) (*books, *fake, *Client) {
	t.Helper()
	b := newBooks()
	f := newFake(t, b.serve)
	return b, f, f.client(Config{})
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

func TestOrgTaxRatesAccounts(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		switch c.path {
		case "/Organisation":
			return reply{body: map[string]any{"Organisations": []map[string]any{
				{"Name": "Demo Ltd", "BaseCurrency": "GBP", "CountryCode": "GB"}}}}
		case "/TaxRates":
			return reply{body: json.RawMessage(`{"TaxRates":[
				{"Name":"20% (VAT on Income)","TaxType":"OUTPUT2","Status":"ACTIVE","CanApplyToRevenue":true,
				 "EffectiveRate":20.0000,"DisplayTaxRate":20.0000,"TaxComponents":[{"Name":"VAT","Rate":20.0000,"IsCompound":false}]},
				{"Name":"Reduced","TaxType":"TAX001","Status":"ARCHIVED","CanApplyToRevenue":true,"EffectiveRate":12.5000},
				{"Name":"NY combined","TaxType":"TAX002","Status":"ACTIVE","EffectiveRate":8.875,
				 "TaxComponents":[{"Name":"State","Rate":4.0000},{"Name":"City","Rate":4.875,"IsCompound":true}]}]}`)}
		case "/Accounts":
			return reply{body: json.RawMessage(`{"Accounts":[
				{"AccountID":"` + uuid.NewString() + `","Code":"200","Name":"Sales","Type":"REVENUE","Class":"REVENUE","Status":"ACTIVE"},
				{"AccountID":"` + uuid.NewString() + `","Code":"090","Name":"Business Bank","Type":"BANK","Class":"ASSET","Status":"ACTIVE","CurrencyCode":"GBP"},
				{"AccountID":"` + uuid.NewString() + `","Code":"610","Name":"Debtors","Type":"CURRENT","Class":"ASSET","Status":"ARCHIVED","EnablePaymentsToAccount":true,"Description":"Owed to us"},
				{"AccountID":"` + uuid.NewString() + `","Name":"No class","Type":"EXPENSE","Status":"ACTIVE"}]}`)}
		}
		return reply{status: 404}
	})
	c := f.client(Config{TenantID: "7f1a0e4e-1d43-4b43-8a3f-9a3d2c5e6b70"})
	ctx := context.Background()

	org, err := c.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Without OrganisationID in the answer, the tenant id identifies the organisation.
	if want := (platform.Org{ID: "7f1a0e4e-1d43-4b43-8a3f-9a3d2c5e6b70", Name: "Demo Ltd", BaseCurrency: "GBP", CountryCode: "GB"}); org != want {
		t.Errorf("Org = %+v, want %+v", org, want)
	}

	rates, err := c.TaxRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 3 {
		t.Fatalf("got %d rates", len(rates))
	}
	if r := rates[0]; r.Code != "OUTPUT2" || r.Rate != 2000 || r.Status != "Active" || !r.Revenue ||
		len(r.Components) != 1 || r.Components[0].Rate != 2000 {
		t.Errorf("rate 0 = %+v", r)
	}
	if r := rates[1]; r.Rate != 1250 || r.Status != "Archived" {
		t.Errorf("rate 1 = %+v, want 1250 Archived", r)
	}
	// 8.875% cannot be held in percent minor units; it rounds to 8.88%.
	if r := rates[2]; r.Rate != 888 || r.Revenue || r.Components[1].Rate != 488 || !r.Components[1].IsCompound {
		t.Errorf("rate 2 = %+v", r)
	}

	accts, err := c.LedgerAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ, sub, status string
		bank, payments   bool
	}{
		{"Income", "REVENUE", "Active", false, false},
		{"Asset", "BANK", "Active", true, true},
		{"Asset", "CURRENT", "Archived", false, true},
		{"Unknown", "EXPENSE", "Active", false, false},
	}
	for i, w := range want {
		a := accts[i]
		if a.Type != w.typ || a.Subtype != w.sub || a.Status != w.status || a.IsBank != w.bank || a.PaymentsAllowed != w.payments || a.ID == "" {
			t.Errorf("account %d = %+v, want %+v", i, a, w)
		}
	}
	if accts[1].Currency != "GBP" || accts[2].Description != "Owed to us" || accts[0].Code != "200" {
		t.Errorf("accounts = %+v", accts)
	}
	for _, cl := range f.recorded() {
		if cl.header.Get("xero-tenant-id") != "7f1a0e4e-1d43-4b43-8a3f-9a3d2c5e6b70" {
			t.Errorf("%s %s without the tenant header", cl.method, cl.path)
		}
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

func TestPushContactsMatchesByNumberThenNameAndCreatesTheRest(t *testing.T) {
	t.Parallel()
	b, f, c := setup(t)
	byNumber, byName := uuid.NewString(), uuid.NewString()
	b.contacts = []wireContact{
		{ContactID: byNumber, ContactNumber: "cp-1", Name: "Renamed Since", ContactStatus: "ACTIVE", UpdatedDateUTC: "/Date(1699999999000+0000)/"},
		{ContactID: byName, Name: "Acme Ltd", ContactStatus: "ACTIVE"},
		{ContactID: uuid.NewString(), Name: "Old Co", ContactStatus: "ARCHIVED"},
	}
	res, err := c.PushContacts(context.Background(), []platform.Contact{
		{Ref: "cp-1", Name: "Beta GmbH"},
		{Ref: "cp-2", Name: "ACME LTD"},
		{Ref: "cp-3", Name: "Gamma SARL", FirstName: "Ana", LastName: "Lima", Email: "ana@gamma.example", TaxNumber: "FR123",
			Address: &platform.Address{Line1: "1 rue X", City: "Paris", PostalCode: "75001", Country: "FR"}},
		{Ref: "cp-4", Name: "Old Co"},
		{Ref: "cp-5", Name: "  "},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Matched || r.PlatformID != byNumber || !r.UpdatedAt.Equal(time.UnixMilli(1699999999000)) {
		t.Errorf("by number: %+v", r)
	}
	if r := res[1]; !r.Matched || r.PlatformID != byName {
		t.Errorf("by name: %+v", r)
	}
	if r := res[2]; r.Matched || r.Err != nil || r.PlatformID == "" || r.UpdatedAt.IsZero() {
		t.Errorf("created: %+v", r)
	}
	if cl, code := classOf(t, res[3].Err); cl != platform.NeedsUserAction || code != "contact_name_taken" {
		t.Errorf("archived name: %s %s", cl, code)
	}
	if cl, code := classOf(t, res[4].Err); cl != platform.NeedsUserAction || code != "contact_name_missing" {
		t.Errorf("blank name: %s %s", cl, code)
	}
	calls := f.recorded()
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
	if len(sent.Contacts) != 2 {
		t.Fatalf("sent %d contacts", len(sent.Contacts))
	}
	if g := sent.Contacts[0]; g.ContactNumber != "cp-3" || g.EmailAddress != "ana@gamma.example" || g.FirstName != "Ana" ||
		len(g.Addresses) != 1 || g.Addresses[0].AddressType != "POBOX" || g.Addresses[0].City != "Paris" {
		t.Errorf("sent %+v", g)
	}
}

func TestPushItemsMatchesByCodeThenNameAndTruncatesNames(t *testing.T) {
	t.Parallel()
	b, f, c := setup(t)
	byCode, byName := uuid.NewString(), uuid.NewString()
	b.items = []wireItem{{ItemID: byCode, Code: "SKU-1", Name: "Widget"}, {ItemID: byName, Code: "OTHER", Name: "Gadget"}}
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
	if !res[0].Matched || res[0].PlatformID != byCode || !res[1].Matched || res[1].PlatformID != byName {
		t.Errorf("matches: %+v %+v", res[0], res[1])
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
	calls := f.recorded()
	var sent struct{ Items []wireItem }
	json.Unmarshal(calls[len(calls)-1].body, &sent)
	if got := sent.Items[0]; len([]rune(got.Name)) != 50 || !got.IsSold || got.SalesDetails.UnitPrice != "19.99" ||
		got.SalesDetails.AccountCode != "200" || got.SalesDetails.TaxType != "OUTPUT2" {
		t.Errorf("sent %+v %+v", got, got.SalesDetails)
	}
	if calls[len(calls)-1].query.Get("unitdp") != "4" {
		t.Errorf("unitdp missing")
	}
	// The truncated name is what a second push matches.
	res, err = c.PushItems(context.Background(), []platform.Item{{Ref: "p3", Code: "NEW-CODE", Name: long}})
	if err != nil || !res[0].Matched {
		t.Errorf("second push: %+v %v", res, err)
	}
}

// invoices returns n valid invoices numbered INV-0001... for contact.
func invoices(n int, contact string) []platform.Invoice {
	out := make([]platform.Invoice, n)
	for i := range out {
		out[i] = platform.Invoice{
			Ref: fmt.Sprintf("rcv-%04d", i+1), Number: fmt.Sprintf("INV-%04d", i+1), ContactID: contact,
			Date: "2024-02-01", Currency: "GBP", MarkIssued: i%2 == 0,
			Lines: []platform.InvoiceLine{
				{Description: "Consulting", Quantity: decimal.RequireFromString("1.5"), UnitAmount: 10001, AccountCode: "200", TaxCode: "OUTPUT2"},
				{Quantity: decimal.NewFromInt(3), UnitAmount: 333, DiscountAmount: 100, AccountCode: "200", TaxCode: "ZERORATEDOUTPUT", ItemCode: "SKU-1"},
			},
		}
	}
	return out
}

func TestPushInvoicesCreatesOnlyMissingInChunksWithDeterministicKeys(t *testing.T) {
	t.Parallel()
	contact := uuid.NewString()
	batch := invoices(125, contact)

	run := func() (*books, *fake, []platform.Result) {
		b, f, c := setup(t)
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
		f.mu.Lock()
		f.calls = nil
		f.mu.Unlock()
		again := slices.Clone(batch)
		for i := range again {
			again[i].MaybeExists = true // the engine says so after an unknown outcome
		}
		res, err = c.PushInvoices(context.Background(), again)
		if err != nil {
			t.Fatal(err)
		}
		return b, f, res
	}
	b, f, res := run()

	var gets, puts []call
	for _, cl := range f.recorded() {
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
		t.Errorf("chunks = %v, want [50 50 20]", sizes)
	}
	if keys[0] == keys[1] || keys[1] == keys[2] || len(keys[0]) > 128 {
		t.Errorf("keys %v", keys)
	}
	// The same batch against the same state sends the same keys, so Xero replays a retried chunk.
	_, f2, _ := run()
	var keys2 []string
	for _, cl := range f2.recorded() {
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
	if len(b.invoices) != 125 {
		t.Errorf("Xero holds %d invoices, want 125", len(b.invoices))
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
	_, f, c := setup(t)
	res, err := c.PushInvoices(context.Background(), invoices(50, uuid.NewString()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.PlatformID == "" {
			t.Fatalf("result %+v", r)
		}
	}
	if calls := f.recorded(); len(calls) != 1 || calls[0].method != "PUT" {
		t.Fatalf("calls for a first push of 50 invoices: %d, want one PUT", len(calls))
	}
}

func TestPushInvoicesPerObjectValidationErrors(t *testing.T) {
	t.Parallel()
	b, _, c := setup(t)
	b.invoices = []wireInvoice{{Type: "ACCREC", InvoiceID: uuid.NewString(), InvoiceNumber: "VOID-1", Status: "VOIDED",
		CurrencyCode: "GBP", SubTotal: "0", TotalTax: "0", Total: "0"}}
	batch := invoices(6, uuid.NewString())
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

func TestPush400WithElementsIsPerObject(t *testing.T) {
	t.Parallel()
	batch := invoices(3, uuid.NewString())
	elements := true
	f := newFake(t, func(c call) reply {
		if c.method == "GET" {
			return reply{body: map[string]any{"Invoices": []any{}}}
		}
		body := map[string]any{"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred"}
		if elements {
			// Xero lists the offending objects, with their fields, and not the others.
			body["Elements"] = []map[string]any{{"InvoiceNumber": "INV-0002",
				"ValidationErrors": []map[string]any{{"Message": "Account code '999' is not a valid code for this document."}}}}
		}
		return reply{status: 400, body: body}
	})
	c := f.client(Config{})
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
	elements = false
	res, err = c.PushInvoices(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if cl, code := classOf(t, r.Err); cl != platform.NeedsUserAction || code != "validation_failed" {
			t.Errorf("invoice %d: %s %s", i, cl, code)
		}
	}
}

func TestClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string // GET: Org; PUT: PushPayments
		rep    reply
		class  platform.Class
		code   string
	}{
		{"401", "GET", reply{status: 401, body: map[string]any{"Title": "Unauthorized", "Detail": "TokenExpired"}}, platform.Auth, "unauthorized"},
		{"403", "GET", reply{status: 403, body: map[string]any{"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"}}, platform.Auth, "forbidden"},
		{"404", "GET", reply{status: 404}, platform.NeedsUserAction, "not_found"},
		{"400 whole call", "GET", reply{status: 400, body: map[string]any{"Type": "ValidationException", "Message": "Organisation is not subscribed to currency USD"}}, platform.NeedsUserAction, "currency_not_enabled"},
		{"500", "GET", reply{status: 500}, platform.Transient, "server_error"},
		{"503", "PUT", reply{status: 503}, platform.Transient, "server_error"},
		{"500 on write", "PUT", reply{status: 500}, platform.Transient, "server_error"},
		{"504 on write", "PUT", reply{status: 504}, platform.UnknownOutcome, "gateway_timeout"},
		{"504 on read", "GET", reply{status: 504}, platform.Transient, "server_error"},
		{"hijack on GET", "GET", reply{hijack: true}, platform.Transient, "network_error"},
		{"hijack on PUT", "PUT", reply{hijack: true}, platform.UnknownOutcome, "network_error"},
		{"timeout on GET", "GET", reply{delay: 2 * time.Second}, platform.Transient, "timeout"},
		{"timeout on PUT", "PUT", reply{delay: 2 * time.Second}, platform.UnknownOutcome, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, func(call) reply { return tt.rep })
			c := f.client(Config{Timeout: 200 * time.Millisecond})
			var err error
			if tt.method == "GET" {
				_, err = c.Org(context.Background())
			} else {
				var res []platform.Result
				res, err = c.PushPayments(context.Background(), []platform.Payment{{Ref: "pay-1", InvoiceID: uuid.NewString(), AccountCode: "090", Date: "2024-02-02", Amount: 500, Currency: "GBP"}})
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
}

func TestUnreachableWriteIsTransient(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(call) reply { return reply{} })
	c := f.client(Config{})
	f.srv.Close() // connection refused: the request never left
	_, err := c.PushPayments(context.Background(), []platform.Payment{{Ref: "pay-1", InvoiceID: uuid.NewString(), AccountCode: "090", Amount: 1}})
	if cl, code := classOf(t, err); cl != platform.Transient || code != "network_error" {
		t.Errorf("got %s %s", cl, code)
	}
}

func TestRateLimitedPausesTheBudget(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(call) reply {
		return reply{status: 429, header: http.Header{"Retry-After": {"7"}, "X-Rate-Limit-Problem": {"minute"}}}
	})
	budget := platform.NewBudget(platform.Limits{}, 1)
	c := f.client(Config{Budget: budget})
	_, err := c.TaxRates(context.Background())
	var perr *platform.Error
	if !errors.As(err, &perr) || perr.Class != platform.RateLimited || perr.RetryAfter != 7*time.Second || perr.Status != 429 {
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
	b, _, c := setup(t)
	puts := 0
	b.override = func(cl call) (reply, bool) {
		if cl.method == "PUT" {
			if puts++; puts == 2 {
				return reply{status: 429, header: http.Header{"Retry-After": {"30"}}}, true
			}
		}
		return reply{}, false
	}
	batch := invoices(70, uuid.NewString())
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
	// Pushing again, looking the numbers up first, creates only the 20 left over.
	b.override = nil
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
	if matched != 50 || len(b.invoices) != 70 {
		t.Errorf("matched %d, Xero holds %d", matched, len(b.invoices))
	}
}

func TestPushPayments(t *testing.T) {
	t.Parallel()
	b, f, c := setup(t)
	res, err := c.PushInvoices(context.Background(), invoices(1, uuid.NewString()))
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	inv := res[0].PlatformID
	pays, err := c.PushPayments(context.Background(), []platform.Payment{
		{Ref: "pay-1", InvoiceID: inv, AccountCode: "090", Date: "2024-02-03", Amount: 10000, Currency: "GBP", Reference: "bank ref"},
		{Ref: "pay-2", InvoiceID: inv, AccountID: uuid.NewString(), Date: "2024-02-03", Amount: 1000000, Currency: "GBP"},
		{Ref: "pay-3", AccountCode: "090", Amount: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pays[0].Err != nil || pays[0].PlatformID == "" || len(b.payments) != 1 || b.payments[0].Amount != "100.00" || b.payments[0].Account.Code != "090" {
		t.Errorf("payment 0: %+v %+v", pays[0], b.payments)
	}
	if _, code := classOf(t, pays[1].Err); code != "payment_exceeds_amount_due" {
		t.Errorf("payment 1: %v", pays[1].Err)
	}
	if _, code := classOf(t, pays[2].Err); code != "invoice_not_synced" {
		t.Errorf("payment 2: %v", pays[2].Err)
	}
	last := f.recorded()[len(f.recorded())-1]
	if !strings.HasPrefix(last.header.Get("Idempotency-Key"), "payments-") {
		t.Errorf("key %q", last.header.Get("Idempotency-Key"))
	}
}

func TestInvoicesReadBack(t *testing.T) {
	t.Parallel()
	b, f, c := setup(t)
	batch := invoices(2, uuid.NewString())
	batch[1].Inclusive = true
	res, err := c.PushInvoices(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	b.invoices = append(b.invoices, wireInvoice{Type: "ACCPAY", InvoiceID: uuid.NewString(), InvoiceNumber: "BILL-1", CurrencyCode: "GBP", Status: "DRAFT"})

	got, err := c.Invoices(context.Background(), platform.InvoiceQuery{ModifiedSince: now.Add(time.Second), Numbers: []string{"INV-0001", "INV-0002"}})
	if err != nil {
		t.Fatal(err)
	}
	// The first invoice was stamped at now+1s and is not newer than ModifiedSince.
	if len(got) != 1 || got[0].Number != "INV-0002" || !got[0].Inclusive {
		t.Fatalf("Invoices = %+v", got)
	}
	last := f.recorded()[len(f.recorded())-1]
	if last.header.Get("If-Modified-Since") != "2024-03-01T12:00:01Z" || last.query.Get("where") != `Type=="ACCREC"` || last.query.Get("page") != "1" {
		t.Errorf("query %v %v", last.query, last.header)
	}

	ri, err := c.Invoice(context.Background(), res[0].PlatformID)
	if err != nil {
		t.Fatal(err)
	}
	if ri.ID != res[0].PlatformID || ri.Number != "INV-0001" || ri.Date != "2024-02-01" || ri.DueDate != "2024-02-01" ||
		ri.Status != "AUTHORISED" || platform.Totals(ri.Totals) != *res[0].Totals || ri.AmountDue != 18901 || ri.AmountPaid != 0 ||
		!ri.UpdatedAt.Equal(now.Add(time.Second)) || ri.Currency != "GBP" {
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

func TestTenants(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(c call) reply {
		if c.path != "/connections" || c.header.Get("xero-tenant-id") != "" {
			return reply{status: 404}
		}
		return reply{body: []map[string]any{{"id": uuid.NewString(), "tenantId": "t-1", "tenantType": "ORGANISATION", "tenantName": "Demo Ltd"}}}
	})
	got, err := Tenants(context.Background(), f.srv.Client(), f.srv.URL+"/connections")
	if err != nil || len(got) != 1 || got[0] != (Tenant{ID: "t-1", Name: "Demo Ltd", Type: "ORGANISATION"}) {
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
	f := newFake(t, func(call) reply { return reply{status: 500} })
	c := f.client(Config{})
	for _, id := range []string{"", "../../x", "..", "x", "{6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11}", "6e8a1f1c5d0d4c1a9d551b1f0b3a2c11",
		"urn:uuid:6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c11", "6e8a1f1c-5d0d-4c1a-9d55-1b1f0b3a2c1g"} {
		_, err := c.Invoice(context.Background(), id)
		if cl, code := classOf(t, err); cl != platform.NeedsUserAction || code != "not_found" {
			t.Errorf("Invoice(%q): %v", id, err)
		}
	}
	if n := len(f.recorded()); n != 0 {
		t.Fatalf("%d calls reached Xero", n)
	}
}
