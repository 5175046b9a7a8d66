package quickbooks

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/booksync/booksync/internal/sandbox"
)

// pages are the company pages by route, which the Gate guards. Every handler answers 404 for a
// company the partner's entities did not connect.
func (s *Sandbox) pages() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /companies":         s.handleCompanyList,
		"GET /companies/{realm}": s.handleCompanyPage,

		"POST /companies/{realm}/invoices/{id}/payments":     s.handlePayInvoice,
		"POST /companies/{realm}/invoices/{id}/void":         s.handleVoidInvoice,
		"POST /companies/{realm}/invoices/{id}/credit_memos": s.handleCreditInvoice,
		"POST /companies/{realm}/payments/{id}/delete":       s.handleDeletePayment,
		"POST /companies/{realm}/bills":                      s.handleAddBill,
		"POST /companies/{realm}/multicurrency":              s.handleMulticurrency,
	}
}

const pageStyle = `<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
form.inline{display:inline}input{font-size:.9em}</style>`

var companyListPage = template.Must(template.New("companies").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>booksync QuickBooks sandbox: companies</title>` + pageStyle + `</head>
<body><h1>booksync QuickBooks sandbox</h1>
<form method="post" action="{{.Logout}}"><button>Log out</button></form>
{{with .Rows}}<table><tr><th>Company</th><th>Realm ID</th><th>Region</th><th>Invoices</th><th>API calls</th></tr>
{{range .}}<tr><td><a href="{{.URL}}">{{.Name}}</a></td><td><code>{{.RealmID}}</code></td><td>{{.Region}}</td><td class="n">{{.Invoices}}</td><td class="n">{{.Calls}}</td></tr>
{{end}}</table>{{else}}<p>No companies yet. Connecting one of your entities through the consent page creates one.</p>{{end}}
</body></html>`))

var companyPage = template.Must(template.New("company").Funcs(template.FuncMap{"money": money}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Info.CompanyName}}: booksync QuickBooks sandbox</title>` + pageStyle + `</head>
<body><p><a href="{{.Base}}/companies">All companies</a></p>
<h1>{{.Info.CompanyName}}</h1>
<p>Realm ID <code>{{.RealmID}}</code>, {{.Info.Country}}, home currency {{.Currency}},
{{if .Multicurrency}}multicurrency on,{{else}}multicurrency off
<form class="inline" method="post" action="{{.Base}}/companies/{{.RealmID}}/multicurrency"><button>Turn on multicurrency</button></form>,{{end}}
{{if .US}}automated sales tax by the customer's state and city (the tax codes below){{else}}tax codes per line{{end}}. API calls served: {{.Calls}}.</p>

<h2>Invoices</h2>
<table><tr><th>Id</th><th>DocNumber</th><th>Customer</th><th>TxnDate</th><th>DueDate</th><th>Tax</th><th>TotalTax</th><th>TotalAmt</th><th>Balance</th><th>Memo</th><th>Actions</th></tr>
{{range .Invoices}}<tr><td>{{.ID}}</td><td>{{.DocNumber}}</td><td>{{.CustomerRef.Name}}</td><td>{{.TxnDate}}</td><td>{{.DueDate}}</td><td>{{.GlobalTaxCalculation}}</td>
<td class="n">{{money .TxnTaxDetail.TotalTax}}</td><td class="n">{{money .TotalAmt}}</td><td class="n">{{money .Balance}}</td><td>{{.PrivateNote}}</td>
<td>{{if .Balance.IsPositive}}<form class="inline" method="post" action="{{$.Base}}/companies/{{$.RealmID}}/invoices/{{.ID}}/payments"><input name="amount" size="8" placeholder="{{money .Balance}}" aria-label="amount"> <button>Pay</button></form>
<form class="inline" method="post" action="{{$.Base}}/companies/{{$.RealmID}}/invoices/{{.ID}}/credit_memos"><input name="amount" size="8" required aria-label="credit amount"> <button>Credit</button></form>{{end}}
{{if not .TotalAmt.IsZero}}<form class="inline" method="post" action="{{$.Base}}/companies/{{$.RealmID}}/invoices/{{.ID}}/void"><button>Void</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="11">No invoices.</td></tr>{{end}}</table>

<h2>Payments</h2>
<table><tr><th>Id</th><th>Customer</th><th>TxnDate</th><th>Deposit to</th><th>Applied to</th><th>TotalAmt</th><th>Unapplied</th><th></th></tr>
{{range .Payments}}<tr><td>{{.ID}}</td><td>{{.CustomerRef.Name}}</td><td>{{.TxnDate}}</td><td>{{with .DepositToAccountRef}}{{.Name}}{{end}}</td>
<td>{{range .Line}}{{range .LinkedTxn}}{{.TxnType}} {{.TxnID}} {{end}}{{money .Amount}}; {{end}}</td><td class="n">{{money .TotalAmt}}</td><td class="n">{{money .UnappliedAmt}}</td>
<td><form class="inline" method="post" action="{{$.Base}}/companies/{{$.RealmID}}/payments/{{.ID}}/delete"><button>Delete</button></form></td></tr>
{{else}}<tr><td colspan="8">No payments.</td></tr>{{end}}</table>

<h2>Credit memos</h2>
<table><tr><th>Id</th><th>DocNumber</th><th>Customer</th><th>TxnDate</th><th>TotalAmt</th><th>Remaining credit</th></tr>
{{range .CreditMemos}}<tr><td>{{.ID}}</td><td>{{.DocNumber}}</td><td>{{.CustomerRef.Name}}</td><td>{{.TxnDate}}</td><td class="n">{{money .TotalAmt}}</td><td class="n">{{money .RemainingCredit}}</td></tr>
{{else}}<tr><td colspan="6">No credit memos.</td></tr>{{end}}</table>

<h2>Bills</h2>
<table><tr><th>Id</th><th>DocNumber</th><th>Vendor</th><th>TxnDate</th><th>DueDate</th><th>TotalAmt</th><th>Balance</th></tr>
{{range .Bills}}<tr><td>{{.ID}}</td><td>{{.DocNumber}}</td><td>{{.VendorRef.Name}}</td><td>{{.TxnDate}}</td><td>{{.DueDate}}</td><td class="n">{{money .TotalAmt}}</td><td class="n">{{money .Balance}}</td></tr>
{{else}}<tr><td colspan="7">No bills.</td></tr>{{end}}</table>
<form method="post" action="{{.Base}}/companies/{{.RealmID}}/bills">
<label>Vendor <input name="vendor" required></label> <label>Amount <input name="amount" required size="8"></label>
<label>Date <input name="date" type="date"></label> <label>Due <input name="due_date" type="date"></label> <button>Add bill</button></form>

<h2>Customers</h2>
<table><tr><th>Id</th><th>DisplayName</th><th>Email</th><th>Active</th><th>Balance</th></tr>
{{range .Customers}}<tr><td>{{.ID}}</td><td>{{.DisplayName}}</td><td>{{with .PrimaryEmailAddr}}{{.Address}}{{end}}</td><td>{{.Active}}</td><td class="n">{{money .Balance}}</td></tr>
{{else}}<tr><td colspan="5">No customers.</td></tr>{{end}}</table>

<h2>Items</h2>
<table><tr><th>Id</th><th>Name</th><th>Type</th><th>UnitPrice</th><th>Income account</th><th>Active</th></tr>
{{range .Items}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Type}}</td><td class="n">{{money .UnitPrice}}</td><td>{{with .IncomeAccountRef}}{{.Name}}{{end}}</td><td>{{.Active}}</td></tr>
{{end}}</table>

<h2>Tax codes and rates</h2>
<table><tr><th>TaxCode Id</th><th>Name</th><th>Sales rates</th></tr>
{{range .TaxCodes}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{range .SalesTaxRateList.TaxRateDetail}}{{.TaxRateRef.Name}} (TaxRate {{.TaxRateRef.Value}}) {{end}}</td></tr>
{{end}}</table>
<table><tr><th>TaxRate Id</th><th>Name</th><th>RateValue %</th></tr>
{{range .TaxRates}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td class="n">{{.RateValue}}</td></tr>
{{end}}</table>

<h2>Chart of accounts</h2>
<table><tr><th>Id</th><th>AcctNum</th><th>Name</th><th>AccountType</th><th>AccountSubType</th></tr>
{{range .Accounts}}<tr><td>{{.ID}}</td><td>{{.AcctNum}}</td><td>{{.Name}}</td><td>{{.AccountType}}</td><td>{{.AccountSubType}}</td></tr>
{{end}}</table>
</body></html>`))

func money(a sandbox.Amount) string { return a.StringFixed(2) }

func (s *Sandbox) handleCompanyList(w http.ResponseWriter, r *http.Request) {
	s.srv.Lock()
	type row struct {
		Name, RealmID, Region, URL string
		Invoices, Calls            int
	}
	var rows []row
	for _, c := range s.sortedCompanies() {
		if sandbox.Visible(r, c.meta.RealmID) {
			rows = append(rows, row{c.meta.Info.CompanyName, c.meta.RealmID, strings.ToUpper(c.meta.Region),
				s.opts.BaseURL + "/companies/" + c.meta.RealmID, len(c.invoices), c.Calls})
		}
	}
	s.srv.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = companyListPage.Execute(w, map[string]any{"Rows": rows, "Logout": s.opts.Gate.LogoutURL()})
}

func (s *Sandbox) handleCompanyPage(w http.ResponseWriter, r *http.Request) {
	s.srv.Lock()
	realm := r.PathValue("realm")
	c := s.companies[realm]
	if c == nil || !sandbox.Visible(r, realm) {
		s.srv.Unlock()
		sandbox.WriteError(w, r, http.StatusNotFound, "No company "+strconv.Quote(realm)+" among those your entities connected.")
		return
	}
	data := map[string]any{
		"Base": s.opts.BaseURL, "RealmID": c.meta.RealmID, "Info": c.meta.Info, "US": c.us(),
		"Currency": c.homeCurrency(), "Calls": c.Calls, "Multicurrency": c.meta.Prefs.CurrencyPrefs.MultiCurrencyEnabled,
		"Invoices":    s.allInvoices(c),
		"Payments":    byID(c.payments, func(v *Payment) string { return v.ID }),
		"CreditMemos": byID(c.creditMemos, func(v *CreditMemo) string { return v.ID }),
		"Bills":       byID(c.bills, func(v *Bill) string { return v.ID }),
		"Customers":   byID(c.customers, func(v *Customer) string { return v.ID }),
		"Items":       byID(c.items, func(v *Item) string { return v.ID }),
		"TaxCodes":    c.meta.TaxCodes, "TaxRates": c.meta.TaxRates, "Accounts": c.meta.Accounts,
	}
	// Render under the lock: the template reads live objects.
	var buf strings.Builder
	err := companyPage.Execute(&buf, data)
	s.srv.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(buf.String()))
}
