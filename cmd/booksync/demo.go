package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
)

// errNoCredentials means demo was started without partner API credentials; the command then
// exits with status 2 after saying where to find them.
var errNoCredentials = errors.New("demo needs partner API credentials: -client-id and -client-secret (or BOOKSYNC_CLIENT_ID and BOOKSYNC_CLIENT_SECRET)")

const (
	// demoPollEvery is how often demo asks whether a sync has finished.
	demoPollEvery = 200 * time.Millisecond
	// demoWaitFor is how long demo waits for one sync before it gives up.
	demoWaitFor = 60 * time.Second
	// demoCurrency is the currency of everything demo creates: the sandbox organisations are
	// UK companies that accept GBP only.
	demoCurrency = "GBP"
)

// demo runs `booksync demo`: it tells the accounting story (connect, pull, push, errors and
// their fixes, retries, payments, sync on demand) against a running `booksync serve`, one step
// at a time, and returns an error naming the step, HTTP status and body of any unexpected answer.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", env("BOOKSYNC_DEMO_URL", "http://localhost:8080"), "base URL of a running booksync serve (BOOKSYNC_DEMO_URL)")
	id := fs.String("client-id", env("BOOKSYNC_CLIENT_ID", ""), "partner API client id (BOOKSYNC_CLIENT_ID)")
	secret := fs.String("client-secret", env("BOOKSYNC_CLIENT_SECRET", ""), "partner API client secret (BOOKSYNC_CLIENT_SECRET)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: booksync demo [-url URL] -client-id ID -client-secret SECRET

Runs the whole accounting story against a running "booksync serve" that uses its built-in Xero
sandbox: connect, pull tax rates and accounts, push invoices, show each error with its fix, fix
and retry, record a payment, sync on demand. It creates a new business each time it runs.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments: %v", fs.Args())
	}
	if *id == "" || *secret == "" {
		fmt.Fprintf(stderr, `booksync demo needs the partner API credentials of the server it talks to.
"booksync serve" prints them the first time it starts (client_id=... client_secret=...);
pass them as -client-id and -client-secret, or set BOOKSYNC_CLIENT_ID and BOOKSYNC_CLIENT_SECRET.
To choose them yourself, start the server with the same two variables set:
  BOOKSYNC_CLIENT_ID=$(uuidgen) BOOKSYNC_CLIENT_SECRET=something-long booksync serve
`)
		return errNoCredentials
	}
	d := &demoRun{
		ctx:  ctx,
		out:  stdout,
		base: strings.TrimRight(*base, "/"),
		http: &http.Client{Timeout: 30 * time.Second},
	}
	return d.story(*id, *secret)
}

// demoRun is one run of the demo: where it talks to, who it is, and which step it is on.
type demoRun struct {
	ctx      context.Context
	out      io.Writer
	base     string
	http     *http.Client
	token    string
	entityID string
	step     string
}

// demoRecord is a synced record as GET /accounting_synced_records returns it.
type demoRecord struct {
	ID               string  `json:"id"`
	ObjectID         string  `json:"object_id"`
	SyncStatus       string  `json:"sync_status"`
	PlatformObjectID *string `json:"platform_object_id"`
	Errors           *struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Details []struct {
			Message string `json:"message"`
			Field   string `json:"field"`
			Fix     string `json:"fix"`
		} `json:"details"`
	} `json:"errors"`
}

// demoInvoice is the part of a receivable the demo shows.
type demoInvoice struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	DocumentID     *string `json:"document_id"`
	Subtotal       int64   `json:"subtotal"`
	TotalVATAmount int64   `json:"total_vat_amount"`
	TotalAmount    int64   `json:"total_amount"`
	AmountPaid     int64   `json:"amount_paid"`
	AmountDue      int64   `json:"amount_due"`
}

// demoBooksInvoice is an invoice read back from the accounting system through
// GET /accounting/receivables/{id}; its amounts are decimal strings in major units.
type demoBooksInvoice struct {
	ID            string `json:"id"`
	InvoiceNumber string `json:"invoice_number"`
	Lines         []struct {
		Description string `json:"description"`
		TaxRateRef  *struct {
			ID string `json:"id"`
		} `json:"tax_rate_ref"`
	} `json:"lines"`
	PassThrough map[string]json.RawMessage `json:"pass_through"`
}

// passThrough returns a pass_through field as text: a JSON number as written, a string
// unquoted.
func (b demoBooksInvoice) passThrough(key string) string {
	raw := b.PassThrough[key]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// demoNamed is a tax rate or ledger account as the list endpoints return them.
type demoNamed struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Code             string  `json:"code"`
	EffectiveTaxRate int64   `json:"effective_tax_rate"`
	Type             string  `json:"type"`
	NominalCode      *string `json:"nominal_code"`
	IsBankAccount    bool    `json:"is_bank_account"`
}

// story runs the steps in order; each returns an error for anything unexpected.
func (d *demoRun) story(clientID, clientSecret string) error {
	fmt.Fprintf(d.out, "booksync demo against %s\n", d.base)

	d.begin("1", "Get an API token")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := d.call("POST", "/auth/token", map[string]any{"grant_type": "client_credentials",
		"client_id": clientID, "client_secret": clientSecret}, 200, &tok); err != nil {
		return err
	}
	d.token = tok.AccessToken
	d.say("POST /auth/token (client_credentials) gave a bearer token valid for %d s.", tok.ExpiresIn)

	d.begin("2", "Create a business, its customer and a product")
	var entity struct{ ID string }
	if err := d.call("POST", "/entities", map[string]any{"type": "organization", "email": "books@northwind.example",
		"address":      map[string]any{"country": "GB", "city": "London", "postal_code": "EC1A 1BB", "line1": "1 High Street"},
		"organization": map[string]any{"legal_name": "Northwind Ltd"}}, 201, &entity); err != nil {
		return err
	}
	d.entityID = entity.ID
	var customer struct {
		ID      string `json:"id"`
		Address string `json:"default_billing_address_id"`
	}
	if err := d.call("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": "Acme Trading Ltd", "is_customer": true, "is_vendor": false, "email": "ap@acme.example",
		"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, &customer); err != nil {
		return err
	}
	var product struct{ ID string }
	if err := d.call("POST", "/products", map[string]any{"name": "Consulting hour", "type": "service",
		"price": map[string]any{"currency": demoCurrency, "value": 12345}}, 201, &product); err != nil {
		return err
	}
	d.table(
		[]string{"entity", "Northwind Ltd, London GB", entity.ID},
		[]string{"customer", "Acme Trading Ltd, 2 Park Row, Leeds", customer.ID},
		[]string{"product", "Consulting hour, 123.45 GBP, service, no ledger account", product.ID},
	)

	d.begin("3", "Connect the business to Xero (the built-in sandbox)")
	var conn struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		ConnectionURL string `json:"connection_url"`
		BusinessInfo  *struct {
			Name *string `json:"name"`
		} `json:"business_info"`
	}
	if err := d.call("POST", "/accounting_connections", map[string]any{"platform": "xero"}, 201, &conn); err != nil {
		return err
	}
	d.say("POST /accounting_connections made connection %s, status %s.", conn.ID, conn.Status)
	d.say("A user opens its connection_url and presses Allow on the consent page:")
	d.say("  %s", conn.ConnectionURL)
	if err := d.consent(conn.ConnectionURL); err != nil {
		return err
	}
	d.say("Consent given (a form POST of consent=allow, redirects followed back to booksync).")
	if err := d.call("GET", "/accounting_connections/"+conn.ID, nil, 200, &conn); err != nil {
		return err
	}
	if conn.Status != "connected" {
		return d.unexpected("connection status is %q, want connected", conn.Status)
	}
	org := "a sandbox organisation"
	if conn.BusinessInfo != nil && conn.BusinessInfo.Name != nil {
		org = *conn.BusinessInfo.Name
	}
	d.say("GET /accounting_connections/%s: status connected, to %s.", conn.ID, org)

	d.begin("4", "Pull the tax rates and chart of accounts from the books")
	var rates []demoNamed
	if err := d.waitUntil("the initial sync to pull tax rates", func() (bool, error) {
		var err error
		rates, err = d.list("/accounting_tax_rates?limit=100")
		return len(rates) > 0, err
	}); err != nil {
		return err
	}
	accounts, err := d.list("/ledger_accounts?limit=100")
	if err != nil {
		return err
	}
	d.say("%d tax rates (GET /accounting_tax_rates):", len(rates))
	rows := [][]string{{"NAME", "CODE", "RATE"}}
	for _, r := range rates {
		rows = append(rows, []string{r.Name, r.Code, booksync.Percent(r.EffectiveTaxRate)})
	}
	d.table(rows...)
	d.say("%d ledger accounts (GET /ledger_accounts); the income and bank ones:", len(accounts))
	rows = [][]string{{"NAME", "NOMINAL CODE", "TYPE"}}
	for _, a := range accounts {
		if a.IsBankAccount || strings.EqualFold(a.Type, "Income") {
			rows = append(rows, []string{a.Name, deref(a.NominalCode), a.Type})
		}
	}
	d.table(rows...)
	sales, err := byName(accounts, "Sales", "ledger account")
	if err != nil {
		return d.unexpected("%v", err)
	}
	bank, err := byName(accounts, "Business Bank Account", "ledger account")
	if err != nil {
		return d.unexpected("%v", err)
	}
	exempt, err := byName(rates, "Exempt Income", "tax rate")
	if err != nil {
		return d.unexpected("%v", err)
	}

	d.begin("5", "Issue an invoice while the product has no ledger account")
	line := func(qty float64, rate int) map[string]any {
		return map[string]any{"quantity": qty, "product_id": product.ID, "tax_rate_value": rate}
	}
	inv1, err := d.issue(customer.ID, customer.Address, line(2.5, 2000))
	if err != nil {
		return err
	}
	d.say("Invoice %s (2.5 x Consulting hour at 20%% VAT), total %s GBP, is %s.", deref(inv1.DocumentID), money.FormatMinor(inv1.TotalAmount, demoCurrency), inv1.Status)
	rec1, err := d.settled("receivable", inv1.ID)
	if err != nil {
		return err
	}
	if err := d.expectError(rec1, "Ledger account is not set"); err != nil {
		return err
	}

	d.begin("6", "Fix it: default ledger accounts for products and payments, then push again")
	if err := d.call("PATCH", "/entities/"+d.entityID+"/settings", map[string]any{"accounting": map[string]any{
		"ledger_account_ids": map[string]any{"products": sales.ID, "payments": bank.ID}}}, 200, nil); err != nil {
		return err
	}
	d.say("PATCH /entities/{id}/settings sets accounting.ledger_account_ids:")
	d.table(
		[]string{"products", "Sales (" + deref(sales.NominalCode) + ")", sales.ID},
		[]string{"payments", "Business Bank Account (" + deref(bank.NominalCode) + ")", bank.ID},
	)
	if err := d.call("POST", "/accounting_synced_records/"+rec1.ID+"/push", nil, 200, nil); err != nil {
		return err
	}
	d.say("POST /accounting_synced_records/%s/push", rec1.ID)
	if rec1, err = d.settled("receivable", inv1.ID); err != nil {
		return err
	}
	if err := d.expectDone(rec1); err != nil {
		return err
	}
	if err := d.call("GET", "/receivables/"+inv1.ID, nil, 200, &inv1); err != nil {
		return err
	}
	books1, err := d.booksInvoice(*rec1.PlatformObjectID)
	if err != nil {
		return err
	}
	if err := d.compareTotals(inv1, books1); err != nil {
		return err
	}

	d.begin("7", "Issue an invoice at a tax rate the books do not have (7%)")
	inv2, err := d.issue(customer.ID, customer.Address, line(1, 700))
	if err != nil {
		return err
	}
	d.say("Invoice %s (1 x Consulting hour at 7%% VAT), total %s GBP, is %s.", deref(inv2.DocumentID), money.FormatMinor(inv2.TotalAmount, demoCurrency), inv2.Status)
	rec2, err := d.settled("receivable", inv2.ID)
	if err != nil {
		return err
	}
	if err := d.expectError(rec2, "Tax rate does not exist"); err != nil {
		return err
	}
	d.say("To follow that fix here, add a 7%% rate to the organisation in the sandbox's web pages,")
	d.say("  %s/sandbox/xero/orgs (log in with the same client_id and client_secret),", d.base)
	d.say("  then POST /accounting_connections/%s/sync and push record %s again.", conn.ID, rec2.ID)
	d.say("The other fix: a line may name its tax rate with accounting_tax_rate_id, which always")
	d.say("  wins. Invoice 3 has two 0%% lines; the first names Exempt Income (%s).", exempt.Code)
	override := line(1, 0)
	override["accounting_tax_rate_id"] = exempt.ID
	inv3, err := d.issue(customer.ID, customer.Address, override, line(1, 0))
	if err != nil {
		return err
	}
	d.say("Invoice %s (2 x Consulting hour at 0%%), total %s GBP, is %s.", deref(inv3.DocumentID), money.FormatMinor(inv3.TotalAmount, demoCurrency), inv3.Status)
	rec3, err := d.settled("receivable", inv3.ID)
	if err != nil {
		return err
	}
	if err := d.expectDone(rec3); err != nil {
		return err
	}
	books3, err := d.booksInvoice(*rec3.PlatformObjectID)
	if err != nil {
		return err
	}
	rows = [][]string{{"LINE", "TAX RATE IN THE BOOKS"}}
	for i, l := range books3.Lines {
		rate := demoNamed{}
		if l.TaxRateRef != nil {
			rate = namedByID(rates, l.TaxRateRef.ID)
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), rate.Code + " (" + rate.Name + ")"})
	}
	d.table(rows...)
	if len(books3.Lines) != 2 || books3.Lines[0].TaxRateRef == nil || books3.Lines[0].TaxRateRef.ID != exempt.ID {
		return d.unexpected("invoice %s in the books does not use %s on its first line", books3.InvoiceNumber, exempt.Code)
	}

	d.begin("8", "Record a payment of 100.00 GBP against the first invoice")
	var pay struct {
		ID string `json:"id"`
	}
	if err := d.call("POST", "/payment_records", map[string]any{"amount": 10000, "currency": demoCurrency,
		"object": map[string]any{"id": inv1.ID, "type": "receivable"}}, 201, &pay); err != nil {
		return err
	}
	d.say("POST /payment_records made payment %s.", pay.ID)
	payRec, err := d.settled("payment_record", pay.ID)
	if err != nil {
		return err
	}
	if err := d.expectDone(payRec); err != nil {
		return err
	}
	if err := d.call("GET", "/receivables/"+inv1.ID, nil, 200, &inv1); err != nil {
		return err
	}
	if books1, err = d.booksInvoice(*rec1.PlatformObjectID); err != nil {
		return err
	}
	d.table(
		[]string{"", "BOOKSYNC", "XERO"},
		[]string{"amount paid", money.FormatMinor(inv1.AmountPaid, demoCurrency), books1.passThrough("amount_paid")},
		[]string{"amount due", money.FormatMinor(inv1.AmountDue, demoCurrency), books1.passThrough("amount_due")},
	)
	d.say("Invoice %s is %s in booksync.", deref(inv1.DocumentID), inv1.Status)

	d.begin("9", "Sync on demand, and where every invoice stands")
	var started struct {
		Message string `json:"message"`
	}
	if err := d.call("POST", "/accounting_connections/"+conn.ID+"/sync", nil, 202, &started); err != nil {
		return err
	}
	d.say("POST /accounting_connections/%s/sync: 202 %q", conn.ID, started.Message)
	return d.summary()
}

// begin starts a step: its heading, and the name errors carry from here on.
func (d *demoRun) begin(n, title string) {
	d.step = n + ". " + title
	fmt.Fprintf(d.out, "\n%s\n", d.step)
}

// say prints one indented line of the current step.
func (d *demoRun) say(format string, args ...any) {
	fmt.Fprintf(d.out, "   "+format+"\n", args...)
}

// table prints rows as aligned, indented columns.
func (d *demoRun) table(rows ...[]string) {
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "     %s\n", strings.Join(r, "\t"))
	}
	tw.Flush()
}

// unexpected is the error for an answer that came back well-formed but is not what the story
// expects.
func (d *demoRun) unexpected(format string, args ...any) error {
	return fmt.Errorf("demo step %s: %s", d.step, fmt.Sprintf(format, args...))
}

// call sends one API request as the partner (and, once it exists, for the entity) and decodes
// the answer into out; any status but want is an error with the body.
func (d *demoRun) call(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(d.ctx, method, d.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	if d.entityID != "" {
		req.Header.Set("x-monite-entity-id", d.entityID)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return fmt.Errorf("demo step %s: %s %s: %w (is booksync serve running at %s?)", d.step, method, path, err, d.base)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("demo step %s: %s %s: reading the answer: %w", d.step, method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("demo step %s: %s %s: HTTP %d, expected %d: %s", d.step, method, path, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("demo step %s: %s %s: HTTP %d with a body demo cannot read (%v): %s", d.step, method, path, resp.StatusCode, err, b)
		}
	}
	return nil
}

// consent presses Allow on the sandbox consent page as `curl -L --data consent=allow URL` does:
// a form POST to the connection URL, following the redirects back to booksync's OAuth callback.
// It carries no booksync token: it is what the user's browser does.
func (d *demoRun) consent(connectionURL string) error {
	req, err := http.NewRequestWithContext(d.ctx, "POST", connectionURL, strings.NewReader(url.Values{"consent": {"allow"}}.Encode()))
	if err != nil {
		return fmt.Errorf("demo step %s: connection_url %q: %w", d.step, connectionURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.http.Do(req)
	if err != nil {
		return fmt.Errorf("demo step %s: POST consent=allow to the connection_url: %w", d.step, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		return fmt.Errorf("demo step %s: POST consent=allow to the connection_url ended at %s: HTTP %d, expected 200: %s",
			d.step, resp.Request.URL, resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// list returns every row of a tax rate or ledger account list (demo asks for a page large
// enough to hold a seeded chart of accounts).
func (d *demoRun) list(path string) ([]demoNamed, error) {
	var page struct {
		Data []demoNamed `json:"data"`
	}
	err := d.call("GET", path, nil, 200, &page)
	return page.Data, err
}

// waitUntil polls cond every demoPollEvery until it holds, printing one progress line with a
// dot per second waited, and gives up after demoWaitFor.
func (d *demoRun) waitUntil(what string, cond func() (bool, error)) error {
	fmt.Fprintf(d.out, "   waiting for %s ", what)
	start := time.Now()
	dots := 0
	for {
		ok, err := cond()
		if err != nil {
			fmt.Fprintln(d.out)
			return err
		}
		waited := time.Since(start)
		if ok {
			fmt.Fprintf(d.out, "... %.1fs\n", waited.Seconds())
			return nil
		}
		if waited > demoWaitFor {
			fmt.Fprintln(d.out, "... gave up")
			return d.unexpected("still waiting for %s after %s", what, demoWaitFor)
		}
		for ; dots < int(waited/time.Second); dots++ {
			fmt.Fprint(d.out, ".")
		}
		select {
		case <-d.ctx.Done():
			fmt.Fprintln(d.out)
			return d.ctx.Err()
		case <-time.After(demoPollEvery):
		}
	}
}

// settled waits until the synced record of an object has left pending and returns it.
func (d *demoRun) settled(objectType, objectID string) (demoRecord, error) {
	var rec demoRecord
	err := d.waitUntil("its synced record to leave pending", func() (bool, error) {
		var page struct {
			Data []demoRecord `json:"data"`
		}
		if err := d.call("GET", "/accounting_synced_records?object_type="+objectType+"&object_id="+objectID, nil, 200, &page); err != nil {
			return false, err
		}
		if len(page.Data) > 1 {
			return false, d.unexpected("%d synced records for %s %s, want one", len(page.Data), objectType, objectID)
		}
		if len(page.Data) == 1 && page.Data[0].SyncStatus != "pending" {
			rec = page.Data[0]
			return true, nil
		}
		return false, nil
	})
	return rec, err
}

// expectError checks that a record is in error with a message that starts with cause, and
// prints the message and each detail's fix.
func (d *demoRun) expectError(rec demoRecord, cause string) error {
	if rec.SyncStatus != "error" || rec.Errors == nil || !strings.HasPrefix(rec.Errors.Message, cause) {
		b, _ := json.Marshal(rec)
		return d.unexpected("synced record is not in error with %q: %s", cause, b)
	}
	d.say("Synced record %s: error (%s)", rec.ID, rec.Errors.Status)
	d.say("message: %s", rec.Errors.Message)
	for _, det := range rec.Errors.Details {
		if det.Field != "" {
			d.say("field:   %s", det.Field)
		}
		for i, l := range wrap(det.Fix, 88) {
			if i == 0 {
				d.say("fix:     %s", l)
			} else {
				d.say("         %s", l)
			}
		}
	}
	return nil
}

// expectDone checks that a record is done with the id the accounting system gave its object.
func (d *demoRun) expectDone(rec demoRecord) error {
	if rec.SyncStatus != "done" || rec.PlatformObjectID == nil {
		b, _ := json.Marshal(rec)
		return d.unexpected("synced record is not done: %s", b)
	}
	d.say("Synced record %s: done, Xero id %s", rec.ID, *rec.PlatformObjectID)
	return nil
}

// issue creates a draft invoice and issues it, which queues its push.
func (d *demoRun) issue(counterpartID, addressID string, lines ...map[string]any) (demoInvoice, error) {
	var inv demoInvoice
	if err := d.call("POST", "/receivables", map[string]any{"type": "invoice", "currency": demoCurrency,
		"counterpart_id": counterpartID, "counterpart_billing_address_id": addressID, "line_items": lines}, 201, &inv); err != nil {
		return inv, err
	}
	err := d.call("POST", "/receivables/"+inv.ID+"/issue", nil, 200, &inv)
	return inv, err
}

// booksInvoice reads an invoice back from the accounting system.
func (d *demoRun) booksInvoice(platformID string) (demoBooksInvoice, error) {
	var inv demoBooksInvoice
	err := d.call("GET", "/accounting/receivables/"+url.PathEscape(platformID), nil, 200, &inv)
	return inv, err
}

// compareTotals prints booksync's totals of an invoice beside the ones the books report and
// fails unless they agree to the cent.
func (d *demoRun) compareTotals(ours demoInvoice, books demoBooksInvoice) error {
	d.say("Invoice %s in booksync (GET /receivables/%s) and in Xero", deref(ours.DocumentID), ours.ID)
	d.say("  (GET /accounting/receivables/%s, pass_through):", books.ID)
	rows := [][]string{{"", "BOOKSYNC", "XERO", "MATCH"}}
	for _, c := range []struct {
		name string
		ours int64
		key  string
	}{{"subtotal", ours.Subtotal, "subtotal"}, {"VAT", ours.TotalVATAmount, "total_tax"}, {"total", ours.TotalAmount, "total"}} {
		theirs := books.passThrough(c.key)
		minor, err := money.ParseMajor(theirs, demoCurrency)
		if err != nil {
			return d.unexpected("the books' %s %q: %v", c.key, theirs, err)
		}
		if minor != c.ours {
			return d.unexpected("%s differs: booksync %s, the books %s", c.name, money.FormatMinor(c.ours, demoCurrency), theirs)
		}
		rows = append(rows, []string{c.name, money.FormatMinor(c.ours, demoCurrency), theirs, "yes"})
	}
	d.table(rows...)
	d.say("They match to the cent (invoice number in Xero: %s).", books.InvoiceNumber)
	return nil
}

// summary prints every receivable synced record of the entity with its invoice number.
func (d *demoRun) summary() error {
	var page struct {
		Data []demoRecord `json:"data"`
	}
	if err := d.call("GET", "/accounting_synced_records?object_type=receivable&sort=created_at&order=asc&limit=100", nil, 200, &page); err != nil {
		return err
	}
	rows := [][]string{{"INVOICE", "STATUS", "XERO ID / ERROR"}}
	done := 0
	for _, rec := range page.Data {
		var inv demoInvoice
		if err := d.call("GET", "/receivables/"+rec.ObjectID, nil, 200, &inv); err != nil {
			return err
		}
		detail := deref(rec.PlatformObjectID)
		if rec.Errors != nil {
			detail = rec.Errors.Message
		}
		if rec.SyncStatus == "done" {
			done++
		}
		rows = append(rows, []string{deref(inv.DocumentID), rec.SyncStatus, detail})
	}
	d.say("Receivable synced records (GET /accounting_synced_records?object_type=receivable):")
	d.table(rows...)
	fmt.Fprintf(d.out, "\nDone: %d invoices issued, %d in the books, %d waiting for a fix.\n", len(page.Data), done, len(page.Data)-done)
	return nil
}

// byName finds a tax rate or ledger account by its name.
func byName(rows []demoNamed, name, what string) (demoNamed, error) {
	for _, r := range rows {
		if r.Name == name {
			return r, nil
		}
	}
	return demoNamed{}, fmt.Errorf("the books have no %s named %q", what, name)
}

// nameByCode returns the name of the tax rate with a code, or "".
// namedByID finds a tax rate or ledger account by its booksync id.
func namedByID(items []demoNamed, id string) demoNamed {
	for _, r := range items {
		if r.ID == id {
			return r
		}
	}
	return demoNamed{}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// wrap breaks text into lines of at most width characters at spaces (a longer word gets a line
// of its own).
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
