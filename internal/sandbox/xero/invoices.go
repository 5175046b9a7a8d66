package xero

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// invoiceIn is an Invoice as a request sends it.
type invoiceIn struct {
	Type          string  `json:"Type"`
	InvoiceID     string  `json:"InvoiceID"`
	InvoiceNumber *string `json:"InvoiceNumber"`
	Reference     *string `json:"Reference"`
	Contact       *struct {
		ContactID     string `json:"ContactID"`
		ContactNumber string `json:"ContactNumber"`
		Name          string `json:"Name"`
	} `json:"Contact"`
	Date            dateIn `json:"Date"`
	DueDate         dateIn `json:"DueDate"`
	LineAmountTypes string `json:"LineAmountTypes"`
	Status          string `json:"Status"`
	CurrencyCode    string `json:"CurrencyCode"`
	// CurrencyRate is the client's rate for a foreign-currency invoice (units of its currency per
	// unit of the base currency); without it the sandbox applies its own.
	CurrencyRate  *sandbox.Amount `json:"CurrencyRate"`
	SentToContact *bool           `json:"SentToContact"`
	LineItems     []lineItem      `json:"LineItems"`
}

type lineItem struct {
	LineItemID     string `json:"LineItemID"`
	Description    string `json:"Description"`
	Quantity       num    `json:"Quantity"`
	UnitAmount     num    `json:"UnitAmount"`
	LineAmount     num    `json:"LineAmount"`
	TaxAmount      num    `json:"TaxAmount"`
	DiscountRate   num    `json:"DiscountRate"`
	DiscountAmount num    `json:"DiscountAmount"`
	ItemCode       string `json:"ItemCode"`
	AccountCode    string `json:"AccountCode"`
	AccountID      string `json:"AccountID"`
	TaxType        string `json:"TaxType"`
}

var (
	hundred = decimal.NewFromInt(100)
	one     = decimal.NewFromInt(1)
)

// round2 is Xero's rounding of money: 2 dp, half away from zero.
func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// lineAmountTypes normalises the three modes Xero accepts.
func lineAmountTypes(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "", "exclusive":
		return "Exclusive", true
	case "inclusive":
		return "Inclusive", true
	case "notax":
		return "NoTax", true
	}
	return v, false
}

// invoiceBatch tracks what earlier elements of the same request claimed.
type invoiceBatch struct {
	numbers map[string]bool
	next    int // auto-numbering continues across the batch
}

// findInvoice finds an invoice by id, else by number (not a deleted one); callers hold the lock.
func (s *Sandbox) findInvoice(o *org, idOrNumber string) *Invoice {
	if inv := s.invoice(o, idOrNumber); inv != nil {
		return inv
	}
	// The oldest, as the books list them, when deleted invoices left their number to others.
	var found *invoiceEntry
	for _, e := range o.invoicesNumbered(idOrNumber) {
		if e.status != "DELETED" && (found == nil || e.seq < found.seq) {
			found = e
		}
	}
	if found == nil {
		return nil
	}
	return s.invoice(o, found.id)
}

// invoiceNumberTaken reports whether a sales invoice other than self (an id; "" for none) that is
// not deleted has the number, regardless of case; callers hold the lock.
func invoiceNumberTaken(o *org, number, self string) bool {
	for _, e := range o.invoicesNumbered(number) {
		if e.id != self && e.typ == "ACCREC" && e.status != "DELETED" {
			return true
		}
	}
	return false
}

// resolveContact finds an invoice's contact by ContactID, else ContactNumber,
// else Name. Unlike Xero, which creates a contact for an unknown name, the
// sandbox requires it to exist so a connector that forgot to push the
// customer first fails loudly.
func resolveContact(o *org, in *invoiceIn) (*Contact, string) {
	ref := in.Contact
	if ref == nil || (ref.ContactID == "" && ref.ContactNumber == "" && ref.Name == "") {
		return nil, "A Contact must be specified for this type of transaction"
	}
	if ref.ContactID != "" {
		if c := o.contacts[strings.ToLower(ref.ContactID)]; c != nil {
			return c, ""
		}
		return nil, fmt.Sprintf("The contact with ContactID %s could not be found.", ref.ContactID)
	}
	if ref.ContactNumber != "" {
		if c := findContactBy(o, func(c *Contact) bool { return strings.EqualFold(c.ContactNumber, ref.ContactNumber) }); c != nil {
			return c, ""
		}
		if ref.Name == "" {
			return nil, fmt.Sprintf("The contact with ContactNumber %s could not be found.", ref.ContactNumber)
		}
	}
	if c := findContactBy(o, func(c *Contact) bool {
		return strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(ref.Name))
	}); c != nil {
		return c, ""
	}
	return nil, fmt.Sprintf("The contact named %s could not be found.", ref.Name)
}

// problems collects the validation errors of one element, in the order Xero reports them.
type problems []ValidationError

func (p *problems) add(format string, a ...any) {
	*p = append(*p, ValidationError{Message: fmt.Sprintf(format, a...)})
}

// computeLine fills a line's amounts the way Xero does:
// LineAmount = round2(Quantity × UnitAmount × (1 − DiscountRate/100)) (or
// round2(Quantity × UnitAmount) − DiscountAmount), tax rounded per line.
func computeLine(o *org, in lineItem, mode, status string, dp int32, purchase bool) (LineItem, []ValidationError) {
	var errs problems
	l := LineItem{LineItemID: in.LineItemID, Description: strings.TrimSpace(in.Description), ItemCode: in.ItemCode,
		AccountCode: in.AccountCode, AccountID: in.AccountID, TaxType: in.TaxType}
	if l.LineItemID == "" {
		l.LineItemID = uuid.NewString()
	}
	lineFromItem(o, &l, &in, &errs)
	if l.Description == "" && in.ItemCode == "" {
		errs.add("The description field is mandatory for each line item.")
	}
	lineAmounts(&l, in, dp, &errs)
	acc := lineAccount(o, &l, in, status, &errs)
	if mode == "NoTax" {
		l.TaxType = "NONE"
		return l, errs
	}
	lineTax(o, &l, in, acc, mode, purchase, &errs)
	return l, errs
}

// lineFromItem applies the line's item, by code: its code, description, sales account, tax type
// and unit price fill what the line leaves out.
func lineFromItem(o *org, l *LineItem, in *lineItem, errs *problems) {
	if in.ItemCode == "" {
		return
	}
	item := findItem(o, in.ItemCode)
	if item == nil {
		errs.add("Item code '%s' is not valid.", in.ItemCode)
		return
	}
	l.ItemCode = item.Code
	if l.Description == "" {
		l.Description = cmpOr(item.Description, item.Name)
	}
	if sd := item.SalesDetails; sd != nil {
		l.AccountCode = cmpOr(l.AccountCode, sd.AccountCode)
		l.TaxType = cmpOr(l.TaxType, sd.TaxType)
		if !in.UnitAmount.set && sd.UnitPrice != nil {
			in.UnitAmount = num{d: sd.UnitPrice.Decimal, set: true}
		}
	}
}

// lineAmounts sets Quantity (1 by default), UnitAmount (derived from LineAmount when only that
// is given), the discount and LineAmount.
func lineAmounts(l *LineItem, in lineItem, dp int32, errs *problems) {
	qty := one
	switch {
	case in.Quantity.bad:
		errs.add("Quantity '%s' is not a valid number.", in.Quantity.raw)
	case in.Quantity.set:
		qty = in.Quantity.d.Round(4)
	}
	unit := decimal.Zero
	switch {
	case in.UnitAmount.bad:
		errs.add("UnitAmount '%s' is not a valid number.", in.UnitAmount.raw)
	case in.UnitAmount.set:
		unit = in.UnitAmount.d.Round(dp)
	case in.LineAmount.set && !in.LineAmount.bad && !qty.IsZero():
		// Xero derives the unit price when only the line total is given.
		unit = in.LineAmount.d.Div(qty).Round(dp)
	}
	l.Quantity, l.UnitAmount = sandbox.AmountOf(qty), sandbox.AmountOf(unit)
	l.LineAmount = sandbox.AmountOf(lineDiscount(l, in, errs))
}

// lineDiscount applies the line's DiscountRate or DiscountAmount (not both) and returns its
// LineAmount.
func lineDiscount(l *LineItem, in lineItem, errs *problems) decimal.Decimal {
	qty, unit := l.Quantity.Decimal, l.UnitAmount.Decimal
	gross := round2(qty.Mul(unit))
	lineAmount := gross
	switch {
	case in.DiscountRate.bad:
		errs.add("DiscountRate '%s' is not a valid number.", in.DiscountRate.raw)
	case in.DiscountRate.set && !in.DiscountRate.d.IsZero():
		rate := in.DiscountRate.d
		if rate.IsNegative() || rate.GreaterThan(hundred) {
			errs.add("DiscountRate must be between 0 and 100.")
		}
		lineAmount = round2(qty.Mul(unit).Mul(one.Sub(rate.Div(hundred))))
		l.DiscountRate = &sandbox.Amount{Decimal: rate}
	}
	switch {
	case in.DiscountAmount.bad:
		errs.add("DiscountAmount '%s' is not a valid number.", in.DiscountAmount.raw)
	case in.DiscountAmount.set && !in.DiscountAmount.d.IsZero():
		if l.DiscountRate != nil {
			errs.add("A line item cannot have both a DiscountRate and a DiscountAmount.")
		}
		lineAmount = gross.Sub(round2(in.DiscountAmount.d))
		l.DiscountAmount = &sandbox.Amount{Decimal: round2(in.DiscountAmount.d)}
	}
	return lineAmount
}

// lineAccount resolves the line's revenue account, which an invoice needs on every line
// before it is approved; nil when it has none or an unusable one.
func lineAccount(o *org, l *LineItem, in lineItem, status string, errs *problems) *Account {
	if in.AccountID == "" && l.AccountCode == "" {
		if status != "DRAFT" {
			errs.add("Account code must be specified for each line item before the invoice can be approved.")
		}
		return nil
	}
	acc := findAccount(o, l.AccountCode, in.AccountID)
	if acc == nil || acc.Status != "ACTIVE" || acc.Type == "BANK" || acc.SystemAccount != "" {
		errs.add("Account code '%s' is not a valid code for this document.", cmpOr(l.AccountCode, in.AccountID))
		return nil
	}
	l.AccountCode, l.AccountID = acc.Code, acc.AccountID
	return acc
}

// lineTax sets the line's tax type (the account's by default) and its tax, rounded per line,
// unless the client overrides it.
func lineTax(o *org, l *LineItem, in lineItem, acc *Account, mode string, purchase bool, errs *problems) {
	if l.TaxType == "" && acc != nil {
		l.TaxType = acc.TaxType
	}
	if l.TaxType == "" {
		return
	}
	tr := findTaxRate(o, l.TaxType)
	if tr == nil || tr.Status != "ACTIVE" || (!purchase && !tr.CanApplyToRevenue) || (purchase && !tr.CanApplyToExpenses) {
		errs.add("The TaxType code '%s' does not exist or cannot be used for this type of transaction.", l.TaxType)
		return
	}
	l.TaxType = tr.TaxType
	lineAmount := l.LineAmount.Decimal
	rate := tr.EffectiveRate.Div(hundred)
	tax := round2(lineAmount.Mul(rate))
	if mode == "Inclusive" {
		tax = round2(lineAmount.Mul(rate).Div(one.Add(rate)))
	}
	// Xero lets a client override the computed tax of a line.
	if in.TaxAmount.set && !in.TaxAmount.bad {
		tax = round2(in.TaxAmount.d)
	}
	l.TaxAmount = sandbox.AmountOf(tax)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sumLines computes SubTotal, TotalTax and Total from rounded line values.
func sumLines(inv *Invoice) {
	sub, tax, disc := decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range inv.LineItems {
		tax = tax.Add(l.TaxAmount.Decimal)
		if inv.LineAmountTypes == "Inclusive" {
			sub = sub.Add(l.LineAmount.Sub(l.TaxAmount.Decimal))
		} else {
			sub = sub.Add(l.LineAmount.Decimal)
		}
		disc = disc.Add(round2(l.Quantity.Mul(l.UnitAmount.Decimal)).Sub(l.LineAmount.Decimal))
	}
	inv.SubTotal, inv.TotalTax, inv.Total = sandbox.AmountOf(sub), sandbox.AmountOf(tax), sandbox.AmountOf(sub.Add(tax))
	inv.TotalDiscount = sandbox.AmountOf(disc)
	inv.IsDiscounted = !disc.IsZero()
	inv.AmountDue = sandbox.AmountOf(inv.Total.Sub(inv.AmountPaid.Decimal).Sub(inv.AmountCredited.Decimal))
}

// statusMoves lists the status changes Xero allows on an existing invoice.
var statusMoves = map[string][]string{
	"DRAFT":      {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
	"SUBMITTED":  {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
	"AUTHORISED": {"AUTHORISED", "VOIDED"},
}

// buildInvoice validates one element and returns the invoice it would store.
func (s *Sandbox) buildInvoice(o *org, in invoiceIn, existing *Invoice, batch *invoiceBatch, dp int32, now time.Time) (*Invoice, []ValidationError) {
	var errs problems
	inv := &Invoice{Type: strings.ToUpper(in.Type), Status: "DRAFT", CurrencyCode: o.baseCurrency(), CurrencyRate: sandbox.NewAmount("1"), Payments: []PaymentRef{}, LineItems: []LineItem{}}
	if existing != nil {
		*inv = existing.clone()
		if in.Type == "" {
			in.Type = existing.Type
		}
	}
	invoiceStatus(inv, in, existing, &errs)
	invoiceParty(o, inv, &in, existing, &errs)
	invoiceDates(inv, in, now, &errs)
	if in.Reference != nil {
		inv.Reference = strings.TrimSpace(*in.Reference)
	}
	if in.SentToContact != nil {
		inv.SentToContact = *in.SentToContact
	}
	invoiceNumber(o, inv, in, existing, batch, &errs)
	if in.LineItems != nil || existing == nil {
		inv.LineItems = []LineItem{}
		for _, li := range in.LineItems {
			l, lerrs := computeLine(o, li, inv.LineAmountTypes, inv.Status, dp, inv.Type == "ACCPAY")
			inv.LineItems = append(inv.LineItems, l)
			errs = append(errs, lerrs...)
		}
	}
	sumLines(inv)
	if inv.Status == "VOIDED" || inv.Status == "DELETED" {
		// A voided or deleted invoice no longer asks for money.
		inv.AmountDue = sandbox.AmountOf(decimal.Zero)
	}
	if inv.Status == "AUTHORISED" || inv.Status == "SUBMITTED" {
		if len(inv.LineItems) == 0 {
			errs.add("At least one line item is required to approve an invoice.")
		}
		if inv.Total.IsNegative() {
			errs.add("The document total must be zero or positive.")
		}
	}
	inv.UpdatedDateUTC = MSDate{now}
	inv.HasErrors = len(errs) > 0
	if existing == nil {
		inv.InvoiceID = uuid.NewString()
		if len(errs) > 0 {
			inv.InvoiceID = zeroID
		}
	}
	return inv, errs
}

// invoiceStatus checks the invoice's type (sales invoices only) and its status: one a new
// invoice may start in, or a move Xero allows from the existing one's.
func invoiceStatus(inv *Invoice, in invoiceIn, existing *Invoice, errs *problems) {
	inv.Type = strings.ToUpper(in.Type)
	switch inv.Type {
	case "ACCREC", "ACCPAY":
	case "":
		errs.add("Invoice Type must be specified.")
	default:
		errs.add("The booksync Xero sandbox supports ACCREC (sales) invoices and ACCPAY bills only, not %s.", in.Type)
	}
	if existing != nil {
		switch {
		case existing.Status == "PAID" || !existing.AmountPaid.IsZero() || !existing.AmountCredited.IsZero():
			errs.add("This document cannot be edited as it has a payment or credit note allocated to it.")
		case statusMoves[existing.Status] == nil:
			errs.add("Invoice not of valid status for modification")
		}
	}
	if in.Status == "" {
		return
	}
	st := strings.ToUpper(in.Status)
	switch {
	case existing == nil && !slices.Contains([]string{"DRAFT", "SUBMITTED", "AUTHORISED"}, st):
		errs.add("Invoice Status '%s' is not valid for a new invoice.", in.Status)
	case existing != nil && statusMoves[existing.Status] != nil && !slices.Contains(statusMoves[existing.Status], st):
		errs.add("Invoice not of valid status for modification")
	}
	inv.Status = st
}

// invoiceParty sets the contact, the currency (the base currency only) and how line amounts
// are taxed.
func invoiceParty(o *org, inv *Invoice, in *invoiceIn, existing *Invoice, errs *problems) {
	if existing == nil || in.Contact != nil {
		if c, msg := resolveContact(o, in); msg != "" {
			errs.add("%s", msg)
			if in.Contact != nil {
				inv.Contact = ContactRef{ContactID: cmpOr(in.Contact.ContactID, zeroID), ContactNumber: in.Contact.ContactNumber, Name: in.Contact.Name}
			}
		} else {
			inv.Contact = ContactRef{ContactID: c.ContactID, ContactNumber: c.ContactNumber, Name: c.Name}
		}
	}
	if in.CurrencyCode != "" {
		if p := o.currencyProblem(in.CurrencyCode); p != "" {
			errs.add("%s", p)
		}
		if !strings.EqualFold(in.CurrencyCode, inv.CurrencyCode) {
			inv.CurrencyCode = strings.ToUpper(in.CurrencyCode)
			inv.CurrencyRate = o.currencyRate(inv.CurrencyCode)
		}
	}
	if in.CurrencyRate != nil && in.CurrencyRate.IsPositive() && !strings.EqualFold(inv.CurrencyCode, o.baseCurrency()) {
		inv.CurrencyRate = *in.CurrencyRate
	}
	if in.LineAmountTypes != "" || existing == nil {
		mode, ok := lineAmountTypes(in.LineAmountTypes)
		if !ok {
			errs.add("LineAmountTypes '%s' is not valid; use Exclusive, Inclusive or NoTax.", in.LineAmountTypes)
		}
		inv.LineAmountTypes = mode
	}
}

// invoiceDates sets Date (today by default), DueDate, which may not come before it, and their
// date strings.
func invoiceDates(inv *Invoice, in invoiceIn, now time.Time, errs *problems) {
	if in.Date.bad {
		errs.add("Date '%s' is not a valid date.", in.Date.raw)
	} else if in.Date.set {
		inv.Date = msPtr(in.Date.t)
	} else if inv.Date == nil {
		y, m, d := now.UTC().Date()
		inv.Date = msPtr(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	if in.DueDate.bad {
		errs.add("DueDate '%s' is not a valid date.", in.DueDate.raw)
	} else if in.DueDate.set {
		inv.DueDate = msPtr(in.DueDate.t)
	}
	if inv.Date != nil {
		inv.DateString = dateString(inv.Date.Time)
	}
	if inv.DueDate != nil {
		inv.DueDateString = dateString(inv.DueDate.Time)
		if inv.Date != nil && inv.DueDate.Before(inv.Date.Time) {
			errs.add("Due Date must be on or after the invoice Date.")
		}
	}
}

// invoiceNumber sets InvoiceNumber: the one sent, else the invoice's own, else the next free
// INV-nnnn; a sales invoice's must be unique in the organisation and the batch.
func invoiceNumber(o *org, inv *Invoice, in invoiceIn, existing *Invoice, batch *invoiceBatch, errs *problems) {
	self := ""
	if existing != nil {
		self = existing.InvoiceID
	}
	if in.InvoiceNumber != nil && strings.TrimSpace(*in.InvoiceNumber) != "" {
		inv.InvoiceNumber = strings.TrimSpace(*in.InvoiceNumber)
	}
	if inv.InvoiceNumber == "" && inv.Type == "ACCREC" {
		// Xero numbers sales invoices itself when the client does not; bills keep the
		// supplier's number, or none.
		for {
			n := fmt.Sprintf("INV-%04d", max(o.meta.NextInvoiceNumber, batch.next))
			batch.next = max(o.meta.NextInvoiceNumber, batch.next) + 1
			if !invoiceNumberTaken(o, n, "") && !batch.numbers[strings.ToLower(n)] {
				inv.InvoiceNumber = n
				break
			}
		}
	}
	if len(inv.InvoiceNumber) > 255 {
		errs.add("Invoice number must be 255 characters or less.")
		inv.InvoiceNumber = truncate(inv.InvoiceNumber, 255)
	}
	numKey := strings.ToLower(inv.InvoiceNumber)
	if inv.Type == "ACCREC" && (invoiceNumberTaken(o, inv.InvoiceNumber, self) || batch.numbers[numKey]) {
		errs.add("Invoice # must be unique.")
	}
	batch.numbers[numKey] = true
}

// writeInvoices serves PUT /Invoices (create), POST /Invoices (update by
// InvoiceID or InvoiceNumber, else create) and POST /Invoices/{id}.
func (s *Sandbox) writeInvoices(o *org, w http.ResponseWriter, r *http.Request, pathID string) {
	ins, err := decodeList[invoiceIn](r, "Invoices", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	now := s.now()
	dp := unitDP(r)
	batch := &invoiceBatch{numbers: map[string]bool{}}
	var elems []element
	for _, in := range ins {
		if pathID != "" {
			in.InvoiceID = pathID
		}
		var existing *Invoice
		var notFoundMsg string
		if r.Method == http.MethodPost {
			switch {
			case in.InvoiceID != "":
				if existing = s.findInvoice(o, in.InvoiceID); existing == nil {
					notFoundMsg = fmt.Sprintf("The invoice with InvoiceID %s could not be found.", in.InvoiceID)
				}
			case in.InvoiceNumber != nil && *in.InvoiceNumber != "":
				existing = s.findInvoice(o, strings.TrimSpace(*in.InvoiceNumber))
			}
		}
		inv, errs := s.buildInvoice(o, in, existing, batch, dp, now)
		if notFoundMsg != "" {
			errs = append(errs, ValidationError{Message: notFoundMsg})
			inv.HasErrors, inv.InvoiceID = true, zeroID
		}
		if len(errs) > 0 {
			inv.StatusAttributeString, inv.ValidationErrors = "ERROR", errs
			elems = append(elems, element{out: s.renderInvoice(inv, dp), errs: errs})
			continue
		}
		out := s.renderInvoice(inv, dp)
		elems = append(elems, element{out: out, commit: func() {
			stored := inv.clone()
			if existing == nil {
				if n, ok := autoNumber(stored.InvoiceNumber); ok && n >= o.meta.NextInvoiceNumber {
					o.meta.NextInvoiceNumber = n + 1
					s.saveOrgMeta(o)
				}
				s.addInvoice(o, &stored)
			} else {
				// The invoice read for this call takes the new values, so that every later
				// step of the call sees them.
				*existing = stored
				s.saveInvoice(o, existing)
			}
			// Xero marks a contact as a customer once it has a sales invoice, a supplier once
			// it has a bill.
			if c := o.contacts[strings.ToLower(stored.Contact.ContactID)]; c != nil {
				if stored.Type == "ACCPAY" && !c.IsSupplier {
					c.IsSupplier = true
					s.saveContact(o, c)
				} else if stored.Type == "ACCREC" && !c.IsCustomer {
					c.IsCustomer = true
					s.saveContact(o, c)
				}
			}
			out.StatusAttributeString = "OK"
		}})
	}
	s.finishBatch(w, r, "Invoices", elems)
}

// autoNumber reads the sequence of an "INV-0042" number.
func autoNumber(n string) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(n, "INV-%d", &i); err != nil || fmt.Sprintf("INV-%04d", i) != n {
		return 0, false
	}
	return i, true
}

// renderInvoice returns a copy for a response: unit amounts show 2 dp
// unless the request asked for unitdp=4.
func (s *Sandbox) renderInvoice(inv *Invoice, dp int32) *Invoice {
	out := inv.clone()
	for i := range out.LineItems {
		out.LineItems[i].UnitAmount = sandbox.AmountOf(out.LineItems[i].UnitAmount.Round(dp))
	}
	return &out
}

func (s *Sandbox) getInvoices(o *org, w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	dp := unitDP(r)
	if id != "" {
		inv := s.findInvoice(o, id)
		if inv == nil {
			notFound(w)
			return
		}
		s.writeList(w, "Invoices", []*Invoice{s.renderInvoice(inv, dp)}, nil)
		return
	}
	conds, err := parseWhere(q.Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	ids, numbers := splitList(q["IDs"]), splitList(q["InvoiceNumbers"])
	contactIDs, statuses := splitList(q["ContactIDs"]), splitList(q["Statuses"])
	since, hasSince := ifModifiedSince(r)
	summary := strings.EqualFold(q.Get("summaryOnly"), "true")
	list := invoiceEntries(o)
	// Oldest change first unless the client orders by Date, so that a client paging with
	// If-Modified-Since misses nothing.
	switch strings.ToUpper(strings.Join(strings.Fields(q.Get("order")), " ")) {
	case "DATE DESC":
		slices.SortStableFunc(list, func(a, b *invoiceEntry) int { return cmpInt(b.date, a.date) })
	case "DATE", "DATE ASC":
		slices.SortStableFunc(list, func(a, b *invoiceEntry) int { return cmpInt(a.date, b.date) })
	default:
		slices.SortStableFunc(list, func(a, b *invoiceEntry) int { return cmpInt(a.updated, b.updated) })
	}
	// The entries answer the common filters; an invoice is read only for a field they lack
	// (and to be answered).
	out := []*invoiceEntry{}
	for _, e := range list {
		switch {
		case len(ids) > 0 && !containsFold(ids, e.id),
			len(numbers) > 0 && !containsFold(numbers, e.number),
			len(contactIDs) > 0 && !containsFold(contactIDs, e.contactID),
			len(statuses) > 0 && !containsFold(statuses, e.status),
			hasSince && e.updated < since.UnixNano():
			continue
		}
		var inv *Invoice
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Type":
				return e.typ, true
			case "Status":
				return e.status, true
			case "InvoiceNumber":
				return e.number, true
			case "InvoiceID":
				return e.id, true
			case "Contact.ContactID":
				return e.contactID, true
			}
			if inv == nil {
				if inv = s.invoice(o, e.id); inv == nil {
					inv = &Invoice{}
				}
			}
			switch f {
			case "Reference":
				return inv.Reference, true
			case "CurrencyCode":
				return inv.CurrencyCode, true
			case "Contact.Name":
				return inv.Contact.Name, true
			case "Contact.ContactNumber":
				return inv.Contact.ContactNumber, true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, e)
		}
	}
	page, pagination, err := paginate(r, out)
	if err != nil {
		queryParseError(w, err)
		return
	}
	invs := s.invoicesOf(o, page)
	rendered := make([]*Invoice, len(invs))
	for i, inv := range invs {
		rendered[i] = s.renderInvoice(inv, dp)
		if summary {
			rendered[i].LineItems = []LineItem{}
		}
	}
	s.writeList(w, "Invoices", rendered, pagination)
}
