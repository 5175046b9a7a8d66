package xero

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// books is an in-memory Xero organisation behind a fake: enough of Xero's behaviour (where
// filters, uniqueness rules, validation messages, totals, idempotency replay) to test the client's
// look-ups and per-object results.
type books struct {
	mu         sync.Mutex
	contacts   []wireContact
	items      []wireItem
	invoices   []wireInvoice
	payments   []wirePayment
	taxRates   map[string]string // TaxType -> rate in percent
	accounts   map[string]bool   // account codes
	currencies map[string]bool
	replay     map[string][]byte // Idempotency-Key -> first answer
	// override, when set, answers before the books do (return ok=false to fall through).
	override func(c call) (reply, bool)
	seq      int
}

func newBooks() *books {
	return &books{
		taxRates:   map[string]string{"OUTPUT2": "20", "ZERORATEDOUTPUT": "0", "RRINPUT": "12.5"},
		accounts:   map[string]bool{"200": true, "260": true, "090": true},
		currencies: map[string]bool{"GBP": true, "EUR": true},
		replay:     map[string][]byte{},
	}
}

// now is a fixed clock, so UpdatedDateUTC values are predictable.
var now = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func (b *books) stamp() string {
	b.seq++
	return fmt.Sprintf("/Date(%d+0000)/", now.Add(time.Duration(b.seq)*time.Second).UnixMilli())
}

func (b *books) serve(c call) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.override != nil {
		if r, ok := b.override(c); ok {
			return r
		}
	}
	key := c.header.Get("Idempotency-Key")
	if c.method == http.MethodPut && key != "" {
		if prev, ok := b.replay[key]; ok {
			return reply{body: prev}
		}
	}
	r := b.route(c)
	if c.method == http.MethodPut && key != "" && r.status == 0 {
		out, _ := json.Marshal(r.body)
		b.replay[key] = out
	}
	return r
}

func (b *books) route(c call) reply {
	switch {
	case c.method == "GET" && c.path == "/Contacts":
		var out []wireContact
		for _, w := range b.contacts {
			if w.ContactStatus == "ACTIVE" && matchWhere(c.query["where"], map[string]string{"ContactNumber": w.ContactNumber, "Name": w.Name}) {
				out = append(out, w)
			}
		}
		return reply{body: map[string]any{"Contacts": page(out, c)}}
	case c.method == "PUT" && c.path == "/Contacts":
		var env struct{ Contacts []wireContact }
		json.Unmarshal(c.body, &env)
		for i, w := range env.Contacts {
			taken := slices.ContainsFunc(b.contacts, func(x wireContact) bool { return strings.EqualFold(x.Name, w.Name) })
			if taken {
				w.ValidationErrors = []message{{Message: "The contact name " + w.Name + " is already assigned to another contact. The contact name must be unique across all active contacts."}}
				w.HasValidationErrors, w.StatusAttributeString = true, "ERROR"
			} else {
				w.ContactID, w.ContactStatus, w.UpdatedDateUTC = uuid.NewString(), "ACTIVE", b.stamp()
				b.contacts = append(b.contacts, w)
				w.StatusAttributeString = "OK"
			}
			env.Contacts[i] = w
		}
		return reply{body: env}
	case c.method == "GET" && c.path == "/Items":
		out := []wireItem{}
		for _, w := range b.items {
			if matchWhere(c.query["where"], map[string]string{"Code": w.Code, "Name": w.Name}) {
				out = append(out, w)
			}
		}
		return reply{body: map[string]any{"Items": out}}
	case c.method == "PUT" && c.path == "/Items":
		var env struct{ Items []wireItem }
		json.Unmarshal(c.body, &env)
		for i, w := range env.Items {
			if w.SalesDetails != nil && w.SalesDetails.TaxType != "" && b.taxRates[w.SalesDetails.TaxType] == "" {
				w.ValidationErrors = []message{{Message: "The TaxType code '" + w.SalesDetails.TaxType + "' does not exist or cannot be used for this type of transaction."}}
				w.StatusAttributeString = "ERROR"
			} else {
				w.ItemID, w.UpdatedDateUTC = uuid.NewString(), b.stamp()
				b.items = append(b.items, w)
			}
			env.Items[i] = w
		}
		return reply{body: env}
	case c.method == "GET" && c.path == "/Invoices":
		var numbers, statuses []string
		if v := c.query.Get("InvoiceNumbers"); v != "" {
			numbers = strings.Split(v, ",")
		}
		if v := c.query.Get("Statuses"); v != "" {
			statuses = strings.Split(v, ",")
		}
		var out []wireInvoice
		for _, w := range b.invoices {
			if numbers != nil && !slices.ContainsFunc(numbers, func(n string) bool { return strings.EqualFold(n, w.InvoiceNumber) }) {
				continue
			}
			if statuses != nil && !slices.Contains(statuses, w.Status) {
				continue
			}
			if !matchWhere(c.query["where"], map[string]string{"Type": w.Type, "InvoiceNumber": w.InvoiceNumber}) {
				continue
			}
			if ims := c.header.Get("If-Modified-Since"); ims != "" {
				since, _ := time.Parse(time.RFC3339, ims)
				updated, _ := parseTime(w.UpdatedDateUTC)
				if !updated.After(since) {
					continue
				}
			}
			out = append(out, w)
		}
		return reply{body: map[string]any{"Invoices": page(out, c)}}
	case c.method == "GET" && strings.HasPrefix(c.path, "/Invoices/"):
		id := strings.TrimPrefix(c.path, "/Invoices/")
		for _, w := range b.invoices {
			if w.InvoiceID == id {
				return reply{body: map[string]any{"Invoices": []wireInvoice{w}}}
			}
		}
		return reply{status: http.StatusNotFound, body: map[string]any{"Title": "NotFound", "Detail": "Resource not found"}}
	case c.method == "PUT" && c.path == "/Invoices":
		var env struct{ Invoices []wireInvoice }
		json.Unmarshal(c.body, &env)
		for i, w := range env.Invoices {
			env.Invoices[i] = b.createInvoice(w)
		}
		return reply{body: env}
	case c.method == "PUT" && c.path == "/Payments":
		var env struct{ Payments []wirePayment }
		json.Unmarshal(c.body, &env)
		for i, p := range env.Payments {
			inv := slices.IndexFunc(b.invoices, func(x wireInvoice) bool { return x.InvoiceID == p.Invoice.InvoiceID })
			switch {
			case inv < 0:
				p.ValidationErrors = []message{{Message: "Invoice could not be found"}}
			case decimal.RequireFromString(string(p.Amount)).GreaterThan(decimal.RequireFromString(string(b.invoices[inv].AmountDue))):
				p.ValidationErrors = []message{{Message: "Payment amount exceeds the amount outstanding on this document"}}
			}
			if p.ValidationErrors != nil {
				p.HasValidationErrors, p.StatusAttributeString = true, "ERROR"
			} else {
				p.PaymentID, p.UpdatedDateUTC = uuid.NewString(), b.stamp()
				b.payments = append(b.payments, p)
			}
			env.Payments[i] = p
		}
		return reply{body: env}
	}
	return reply{status: http.StatusNotFound, body: map[string]any{"Title": "NotFound"}}
}

// createInvoice validates an invoice as Xero does (the messages are Xero's), computes its totals
// with 2-decimal rounding per line, and stores it.
func (b *books) createInvoice(w wireInvoice) wireInvoice {
	var errs []message
	if slices.ContainsFunc(b.invoices, func(x wireInvoice) bool { return strings.EqualFold(x.InvoiceNumber, w.InvoiceNumber) }) {
		errs = append(errs, message{"Invoice # must be unique."})
	}
	if !b.currencies[w.CurrencyCode] {
		errs = append(errs, message{"Organisation is not subscribed to currency " + w.CurrencyCode})
	}
	sub, tax := decimal.Zero, decimal.Zero
	for i, l := range w.LineItems {
		r, ok := b.taxRates[l.TaxType]
		if !ok {
			errs = append(errs, message{"The TaxType code '" + l.TaxType + "' does not exist or cannot be used for this type of transaction."})
			continue
		}
		if !b.accounts[l.AccountCode] {
			errs = append(errs, message{"Account code '" + l.AccountCode + "' is not a valid code for this document."})
			continue
		}
		amount := decimal.RequireFromString(string(l.Quantity)).Mul(decimal.RequireFromString(string(l.UnitAmount)))
		if l.DiscountAmount != "" {
			amount = amount.Sub(decimal.RequireFromString(string(l.DiscountAmount)))
		}
		amount = amount.Round(2)
		lineTax := amount.Mul(decimal.RequireFromString(r)).Div(decimal.NewFromInt(100)).Round(2)
		w.LineItems[i].LineAmount = json.Number(amount.StringFixed(2))
		w.LineItems[i].TaxAmount = json.Number(lineTax.StringFixed(2))
		sub, tax = sub.Add(amount), tax.Add(lineTax)
	}
	if errs != nil {
		w.HasErrors, w.StatusAttributeString, w.ValidationErrors = true, "ERROR", errs
		return w
	}
	w.InvoiceID, w.UpdatedDateUTC = uuid.NewString(), b.stamp()
	d, _ := time.Parse(time.DateOnly, w.Date)
	w.DateString = w.Date + "T00:00:00"
	w.Date = fmt.Sprintf("/Date(%d+0000)/", d.UnixMilli())
	// Xero writes amounts with as many decimals as they need.
	w.SubTotal = json.Number(sub.String())
	w.TotalTax = json.Number(tax.String())
	w.Total = json.Number(sub.Add(tax).String())
	w.AmountDue, w.AmountPaid = w.Total, "0"
	w.StatusAttributeString = "OK"
	b.invoices = append(b.invoices, w)
	return w
}

// matchWhere evaluates the where filters the client sends: terms Field=="value" joined by OR,
// comparing case-insensitively as Xero does.
func matchWhere(where []string, fields map[string]string) bool {
	if len(where) == 0 {
		return true
	}
	for _, term := range strings.Split(where[0], " OR ") {
		name, value, ok := strings.Cut(term, "==")
		if !ok {
			panic("fake: unsupported where term " + term)
		}
		v, err := strconv.Unquote(value)
		if err != nil {
			panic("fake: bad where value " + value)
		}
		if strings.EqualFold(fields[name], v) {
			return true
		}
	}
	return false
}

// page returns the requested page of 100, or everything without a page parameter.
func page[T any](all []T, c call) []T {
	p, err := strconv.Atoi(c.query.Get("page"))
	if err != nil || p < 1 {
		return append([]T{}, all...)
	}
	lo := min((p-1)*100, len(all))
	return append([]T{}, all[lo:min(lo+100, len(all))]...)
}
