package xero

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// pages are the organisation pages and their forms by route, which the Gate guards. Every
// handler answers 404 for an organisation the partner's entities did not connect.
func (s *Sandbox) pages() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /orgs":                                       s.handleOrgList,
		"GET /orgs/{tenant}":                              s.handleOrgPage,
		"POST /orgs/{tenant}/tax_rates":                   s.handleAddTaxRate,
		"POST /orgs/{tenant}/currencies":                  s.handleAddCurrency,
		"POST /orgs/{tenant}/tax_rates/{taxType}/archive": s.handleArchiveTaxRate,
		"POST /orgs/{tenant}/contacts/{contact}":          s.handleEditContact,
		"POST /orgs/{tenant}/bills":                       s.handleAddBill,
		"POST /invoices/{invoice}/payments":               s.handlePayInvoice,
		"POST /invoices/{invoice}/void":                   s.handleVoidInvoice,
		"POST /invoices/{invoice}/credit_notes":           s.handleCreditInvoice,
		"POST /payments/{payment}/delete":                 s.handleDeletePayment,
	}
}

const pageStyle = `<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.err{color:#b00}
form.inline{display:inline}input{font-size:.9em}</style>`

var orgListPage = template.Must(template.New("orgs").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync Xero sandbox: organisations</title>` + pageStyle + `</head>
<body><h1>booksync Xero sandbox</h1>
<form method="post" action="{{.Logout}}"><button>Log out</button></form>
{{with .Rows}}<table><tr><th>Organisation</th><th>Tenant ID</th><th>Invoices</th><th>API calls</th></tr>
{{range .}}<tr><td><a href="{{.URL}}">{{.Name}}</a></td><td><code>{{.TenantID}}</code></td><td class="n">{{.Invoices}}</td><td class="n">{{.Calls}}</td></tr>
{{end}}</table>{{else}}<p>No organisations yet. Connecting one of your entities through the consent page creates one.</p>{{end}}
</body></html>`))

var orgPage = template.Must(template.New("org").Funcs(template.FuncMap{"money": money}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Name}}: booksync Xero sandbox</title>` + pageStyle + `</head>
<body><p><a href="{{.Base}}/orgs">All organisations</a></p>
<h1>{{.Name}}</h1><p>Tenant ID <code>{{.TenantID}}</code>, {{.Country}}, base currency {{.Currency}}, registered for tax. API calls served: {{.Calls}}.</p>
<p>Foreign currencies (multi-currency): {{range .Currencies}}<code>{{.}}</code> {{else}}none.{{end}}</p>
<form method="post" action="{{.Base}}/orgs/{{.TenantID}}/currencies">
<label>Currency <input name="code" required size="4" placeholder="EUR"></label> <button>Add currency</button></form>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}

<h2>Invoices</h2>
<table><tr><th>Type</th><th>Number</th><th>Contact</th><th>Date</th><th>Status</th><th>Amounts are</th><th>Sub total</th><th>Tax</th><th>Total</th><th>Paid</th><th>Credited</th><th>Due</th><th>Actions</th></tr>
{{range .Invoices}}<tr><td>{{if eq .Type "ACCPAY"}}Bill{{else}}Sales{{end}}</td><td>{{.InvoiceNumber}}</td><td>{{.Contact.Name}}</td><td>{{.DateString}}</td><td>{{.Status}}</td><td>{{.LineAmountTypes}}</td>
<td class="n">{{money .SubTotal}}</td><td class="n">{{money .TotalTax}}</td><td class="n">{{money .Total}}</td><td class="n">{{money .AmountPaid}}</td><td class="n">{{money .AmountCredited}}</td><td class="n">{{money .AmountDue}}</td>
<td>{{if eq .Status "AUTHORISED"}}<form class="inline" method="post" action="{{$.Base}}/invoices/{{.InvoiceID}}/payments">
<input name="amount" value="{{money .AmountDue}}" size="8" aria-label="amount to pay"> <input name="date" type="date" aria-label="payment date"> <button>Pay</button></form>
{{if eq .Type "ACCREC"}}<form class="inline" method="post" action="{{$.Base}}/invoices/{{.InvoiceID}}/credit_notes">
<input name="amount" size="8" required aria-label="amount to credit"> <button>Credit</button></form>{{end}}{{end}}
{{if or (eq .Status "AUTHORISED") (eq .Status "DRAFT") (eq .Status "SUBMITTED")}}<form class="inline" method="post" action="{{$.Base}}/invoices/{{.InvoiceID}}/void"><button>Void</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="13">No invoices.</td></tr>{{end}}</table>
<form method="post" action="{{.Base}}/orgs/{{.TenantID}}/bills">
<label>Supplier <input name="contact" required></label> <label>Amount <input name="amount" required size="8"></label>
<label>Date <input name="date" type="date"></label> <label>Due <input name="due_date" type="date"></label> <button>Add bill</button></form>

<h2>Payments</h2>
<table><tr><th>Invoice</th><th>Date</th><th>Account</th><th>Amount</th><th>Reference</th><th>Status</th><th></th></tr>
{{range .Payments}}<tr><td>{{.Invoice.InvoiceNumber}}</td><td>{{.Date.Format "2006-01-02"}}</td><td>{{.Account.Code}}</td><td class="n">{{money .Amount}}</td><td>{{.Reference}}</td><td>{{.Status}}</td>
<td>{{if ne .Status "DELETED"}}<form class="inline" method="post" action="{{$.Base}}/payments/{{.PaymentID}}/delete"><button>Delete</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="7">No payments.</td></tr>{{end}}</table>

<h2>Credit notes</h2>
<table><tr><th>Number</th><th>Contact</th><th>Status</th><th>Total</th><th>Remaining credit</th><th>Allocated to</th></tr>
{{range .CreditNotes}}<tr><td>{{.CreditNoteNumber}}</td><td>{{.Contact.Name}}</td><td>{{.Status}}</td><td class="n">{{money .Total}}</td><td class="n">{{money .RemainingCredit}}</td>
<td>{{range .Allocations}}{{.Invoice.InvoiceNumber}} ({{money .Amount}}) {{end}}</td></tr>
{{else}}<tr><td colspan="6">No credit notes.</td></tr>{{end}}</table>

<h2>Contacts</h2>
<table><tr><th>Name</th><th>Number</th><th>Email</th><th>Status</th><th>Edit</th></tr>
{{range .Contacts}}<tr><td>{{.Name}}</td><td>{{.ContactNumber}}</td><td>{{.EmailAddress}}</td><td>{{.ContactStatus}}</td>
<td><form class="inline" method="post" action="{{$.Base}}/orgs/{{$.TenantID}}/contacts/{{.ContactID}}">
<input name="name" value="{{.Name}}" aria-label="name"> <input name="email" value="{{.EmailAddress}}" aria-label="email"> <button>Save</button></form></td></tr>
{{else}}<tr><td colspan="5">No contacts.</td></tr>{{end}}</table>

<h2>Items</h2>
<table><tr><th>Code</th><th>Name</th><th>Unit price</th><th>Account</th><th>Tax type</th></tr>
{{range .Items}}<tr><td>{{.Code}}</td><td>{{.Name}}</td>{{with .SalesDetails}}<td class="n">{{if .UnitPrice}}{{money .UnitPrice}}{{end}}</td><td>{{.AccountCode}}</td><td>{{.TaxType}}</td>{{else}}<td></td><td></td><td></td>{{end}}</tr>
{{else}}<tr><td colspan="5">No items.</td></tr>{{end}}</table>

<h2>Tax rates</h2>
<table><tr><th>Name</th><th>Tax type</th><th>Rate %</th><th>Status</th><th></th></tr>
{{range .TaxRates}}<tr><td>{{.Name}}</td><td>{{.TaxType}}</td><td class="n">{{.EffectiveRate}}</td><td>{{.Status}}</td>
<td>{{if eq .Status "ACTIVE"}}<form class="inline" method="post" action="{{$.Base}}/orgs/{{$.TenantID}}/tax_rates/{{.TaxType}}/archive"><button>Archive</button></form>{{end}}</td></tr>
{{end}}</table>
<form method="post" action="{{.Base}}/orgs/{{.TenantID}}/tax_rates">
<label>Name <input name="name" required></label> <label>Rate % <input name="rate" required size="6"></label> <button>Add tax rate</button></form>

<h2>Chart of accounts</h2>
<table><tr><th>Code</th><th>Name</th><th>Type</th><th>Class</th><th>Tax type</th><th>System account</th></tr>
{{range .Accounts}}<tr><td>{{.Code}}</td><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Class}}</td><td>{{.TaxType}}</td><td>{{.SystemAccount}}</td></tr>
{{end}}</table>
</body></html>`))

func money(a any) string {
	switch v := a.(type) {
	case sandbox.Amount:
		return v.StringFixed(2)
	case *sandbox.Amount:
		return v.StringFixed(2)
	}
	return ""
}

func (s *Sandbox) handleOrgList(w http.ResponseWriter, r *http.Request) {
	s.srv.Lock()
	type row struct {
		Name, TenantID, URL string
		Invoices, Calls     int
	}
	var rows []row
	for _, o := range s.sortedOrgs() {
		if sandbox.Visible(r, o.meta.TenantID) {
			rows = append(rows, row{o.meta.Name, o.meta.TenantID, s.opts.BaseURL + "/orgs/" + o.meta.TenantID, len(o.invoices), o.Calls})
		}
	}
	s.srv.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = orgListPage.Execute(w, map[string]any{"Rows": rows, "Logout": s.opts.Gate.LogoutURL()})
}

func (s *Sandbox) handleOrgPage(w http.ResponseWriter, r *http.Request) {
	s.renderOrg(w, r, http.StatusOK, "")
}

// renderOrg shows the organisation page, with a problem to show if any: a form that failed
// answers with the page, its message and status, so that nothing looks saved that was not.
func (s *Sandbox) renderOrg(w http.ResponseWriter, r *http.Request, status int, problem string) {
	tenant := r.PathValue("tenant")
	s.srv.Lock()
	o := s.orgs[tenant]
	if o == nil || !sandbox.Visible(r, tenant) {
		s.srv.Unlock()
		sandbox.WriteError(w, r, http.StatusNotFound, "No organisation "+strconv.Quote(tenant)+" among those your entities connected.")
		return
	}
	data := map[string]any{
		"Base": s.opts.BaseURL, "Name": o.meta.Name, "TenantID": o.meta.TenantID, "Calls": o.Calls,
		"Error":       problem,
		"Invoices":    s.invoicesOf(o, invoiceEntries(o)),
		"Payments":    sortedBySeq(o, o.payments, func(v *Payment) string { return v.PaymentID }),
		"CreditNotes": sortedBySeq(o, o.credits, func(v *CreditNote) string { return v.CreditNoteID }),
		"Contacts":    sortedBySeq(o, o.contacts, func(v *Contact) string { return v.ContactID }),
		"Items":       sortedBySeq(o, o.items, func(v *Item) string { return v.ItemID }),
		"TaxRates":    o.meta.TaxRates,
		"Country":     o.country(),
		"Currency":    o.baseCurrency(),
		"Currencies":  o.meta.Currencies,
		"Accounts":    o.meta.Accounts,
	}
	// Render under the lock: the template reads live objects.
	var buf strings.Builder
	err := orgPage.Execute(&buf, data)
	s.srv.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// orgForm admits a form post to an organisation page: the organisation must be one the partner
// may see (else 404, before the body is even read), the body a form (else 415 or 400), and every
// field in required present (else 400). It answers itself when it returns false.
func (s *Sandbox) orgForm(w http.ResponseWriter, r *http.Request, required ...string) bool {
	return s.orgFormOf(w, r, sandbox.ParseForm, required...)
}

// orgFormOf is orgForm with the body read by parse.
func (s *Sandbox) orgFormOf(w http.ResponseWriter, r *http.Request, parse func(http.ResponseWriter, *http.Request) bool, required ...string) bool {
	tenant := r.PathValue("tenant")
	s.srv.Lock()
	known := s.orgs[tenant] != nil
	s.srv.Unlock()
	if !known || !sandbox.Visible(r, tenant) {
		sandbox.WriteError(w, r, http.StatusNotFound, "No organisation "+strconv.Quote(tenant)+" among those your entities connected.")
		return false
	}
	if !parse(w, r) {
		return false
	}
	for _, f := range required {
		if _, ok := r.PostForm[f]; !ok {
			sandbox.WriteError(w, r, http.StatusBadRequest, "The form lacks the field "+strconv.Quote(f)+"; nothing was changed.")
			return false
		}
	}
	return true
}

// formProblem answers a form whose input the organisation refuses: a browser gets the page again
// with the message, a script the message; both with 400, and nothing was saved.
func (s *Sandbox) formProblem(w http.ResponseWriter, r *http.Request, problem string) {
	if sandbox.WantsHTML(r) {
		s.renderOrg(w, r, http.StatusBadRequest, problem)
		return
	}
	sandbox.WriteError(w, r, http.StatusBadRequest, problem)
}

// backToOrg redirects to the organisation page after a change.
func (s *Sandbox) backToOrg(w http.ResponseWriter, r *http.Request, tenant string) {
	http.Redirect(w, r, s.opts.BaseURL+"/orgs/"+url.PathEscape(tenant), http.StatusSeeOther)
}

func (s *Sandbox) handleAddTaxRate(w http.ResponseWriter, r *http.Request) {
	if !s.orgForm(w, r, "name", "rate") {
		return
	}
	tenant := r.PathValue("tenant")
	rate, err := decimal.NewFromString(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.PostForm.Get("rate")), "%")))
	if err != nil {
		s.formProblem(w, r, "Rate must be a number, e.g. 12.5.")
		return
	}
	if _, err := s.AddTaxRate(r.Context(), tenant, strings.TrimSpace(r.PostForm.Get("name")), sandbox.AmountOf(rate)); err != nil {
		s.formProblem(w, r, strings.TrimPrefix(err.Error(), "xero sandbox: "))
		return
	}
	s.backToOrg(w, r, tenant)
}

// handleAddCurrency adds a foreign currency to the organisation, as Xero's Settings > Currencies
// does with multi-currency: a form field or JSON member "code" (ISO 4217).
func (s *Sandbox) handleAddCurrency(w http.ResponseWriter, r *http.Request) {
	if !s.orgFormOf(w, r, sandbox.ParseFormOrJSON, "code") {
		return
	}
	tenant := r.PathValue("tenant")
	if err := s.AddCurrency(r.Context(), tenant, r.PostForm.Get("code")); err != nil {
		s.formProblem(w, r, strings.TrimPrefix(err.Error(), "xero sandbox: "))
		return
	}
	if !sandbox.WantsHTML(r) {
		s.srv.Lock()
		out := map[string]any{"tenant_id": tenant, "base_currency": s.orgs[tenant].baseCurrency(), "currencies": s.orgs[tenant].meta.Currencies}
		s.srv.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.backToOrg(w, r, tenant)
}

func (s *Sandbox) handleArchiveTaxRate(w http.ResponseWriter, r *http.Request) {
	if !s.orgForm(w, r) {
		return
	}
	tenant := r.PathValue("tenant")
	s.srv.Lock()
	o := s.orgs[tenant]
	var tr *TaxRate
	if o != nil {
		tr = findTaxRate(o, r.PathValue("taxType"))
	}
	if tr == nil {
		s.srv.Unlock()
		sandbox.WriteError(w, r, http.StatusNotFound, "No tax rate "+strconv.Quote(r.PathValue("taxType"))+" in this organisation.")
		return
	}
	tr.Status = "ARCHIVED"
	s.saveOrgMeta(o)
	err := s.srv.Flush(r.Context())
	s.srv.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.backToOrg(w, r, tenant)
}

func (s *Sandbox) handleEditContact(w http.ResponseWriter, r *http.Request) {
	if !s.orgForm(w, r, "name", "email") {
		return
	}
	tenant := r.PathValue("tenant")
	s.srv.Lock()
	o := s.orgs[tenant]
	var c *Contact
	if o != nil {
		c = o.contacts[strings.ToLower(r.PathValue("contact"))]
	}
	if c == nil {
		s.srv.Unlock()
		sandbox.WriteError(w, r, http.StatusNotFound, "No contact "+strconv.Quote(r.PathValue("contact"))+" in this organisation.")
		return
	}
	edited := sandbox.Clone(c)
	edited.Name = strings.TrimSpace(r.PostForm.Get("name"))
	edited.EmailAddress = strings.TrimSpace(r.PostForm.Get("email"))
	errs := validateContact(o, &edited)
	if edited.Name != "" && contactNameTaken(o, edited.Name, c.ContactID) {
		errs = append(errs, ValidationError{Message: duplicateContactName(edited.Name)})
	}
	if len(errs) > 0 {
		s.srv.Unlock()
		s.formProblem(w, r, errs[0].Message)
		return
	}
	c.Name, c.EmailAddress, c.UpdatedDateUTC = edited.Name, edited.EmailAddress, MSDate{s.now()}
	s.saveContact(o, c)
	err := s.srv.Flush(r.Context())
	s.srv.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.backToOrg(w, r, tenant)
}
