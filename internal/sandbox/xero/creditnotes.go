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

// creditNoteIn is a CreditNote as a request sends it.
type creditNoteIn struct {
	Type             string  `json:"Type"`
	CreditNoteID     string  `json:"CreditNoteID"`
	CreditNoteNumber *string `json:"CreditNoteNumber"`
	Reference        *string `json:"Reference"`
	Contact          *struct {
		ContactID     string `json:"ContactID"`
		ContactNumber string `json:"ContactNumber"`
		Name          string `json:"Name"`
	} `json:"Contact"`
	Date            dateIn     `json:"Date"`
	LineAmountTypes string     `json:"LineAmountTypes"`
	Status          string     `json:"Status"`
	CurrencyCode    string     `json:"CurrencyCode"`
	LineItems       []lineItem `json:"LineItems"`
}

// allocationIn is an Allocation as a request sends it.
type allocationIn struct {
	Invoice *struct {
		InvoiceID string `json:"InvoiceID"`
	} `json:"Invoice"`
	Amount num    `json:"Amount"`
	Date   dateIn `json:"Date"`
}

// findCreditNote finds a credit note by id, else by number; callers hold the lock.
func findCreditNote(o *org, idOrNumber string) *CreditNote {
	if cn := o.credits[strings.ToLower(idOrNumber)]; cn != nil {
		return cn
	}
	for _, cn := range o.credits {
		if cn.Status != "DELETED" && strings.EqualFold(cn.CreditNoteNumber, idOrNumber) {
			return cn
		}
	}
	return nil
}

// creditNumberTaken reports whether another sales credit note has number.
func creditNumberTaken(o *org, number, self string) bool {
	for _, cn := range o.credits {
		if cn.CreditNoteID != self && cn.Status != "DELETED" && strings.EqualFold(cn.CreditNoteNumber, number) {
			return true
		}
	}
	return false
}

// buildCreditNote validates a new credit note and returns it. Xero numbers sales credit notes
// CN-nnnn when the client does not.
func (s *Sandbox) buildCreditNote(o *org, in creditNoteIn, numbers map[string]bool, dp int32, now time.Time) (*CreditNote, []ValidationError) {
	var errs problems
	cn := &CreditNote{Type: strings.ToUpper(in.Type), Status: "DRAFT", CurrencyCode: o.baseCurrency(), CurrencyRate: sandbox.NewAmount("1"),
		Allocations: []Allocation{}, LineItems: []LineItem{}, CreditNoteID: uuid.NewString()}
	if cn.Type != "ACCRECCREDIT" {
		errs.add("The booksync Xero sandbox supports ACCRECCREDIT (sales) credit notes only, not '%s'.", in.Type)
	}
	if in.Status != "" {
		cn.Status = strings.ToUpper(in.Status)
		if !slices.Contains([]string{"DRAFT", "SUBMITTED", "AUTHORISED"}, cn.Status) {
			errs.add("Credit Note Status '%s' is not valid for a new credit note.", in.Status)
		}
	}
	inv := invoiceIn{Contact: in.Contact, Date: in.Date, LineAmountTypes: in.LineAmountTypes, CurrencyCode: in.CurrencyCode}
	if c, msg := resolveContact(o, &inv); msg != "" {
		errs.add("%s", msg)
	} else {
		cn.Contact = ContactRef{ContactID: c.ContactID, ContactNumber: c.ContactNumber, Name: c.Name}
	}
	if p := o.currencyProblem(in.CurrencyCode); p != "" {
		errs.add("%s", p)
	} else if in.CurrencyCode != "" {
		cn.CurrencyCode = strings.ToUpper(in.CurrencyCode)
		cn.CurrencyRate = o.currencyRate(cn.CurrencyCode)
	}
	mode, ok := lineAmountTypes(in.LineAmountTypes)
	if !ok {
		errs.add("LineAmountTypes '%s' is not valid; use Exclusive, Inclusive or NoTax.", in.LineAmountTypes)
	}
	cn.LineAmountTypes = mode
	switch {
	case in.Date.bad:
		errs.add("Date '%s' is not a valid date.", in.Date.raw)
	case in.Date.set:
		cn.Date = msPtr(in.Date.t)
	default:
		y, m, d := now.UTC().Date()
		cn.Date = msPtr(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	if in.Reference != nil {
		cn.Reference = truncate(strings.TrimSpace(*in.Reference), 255)
	}
	if in.CreditNoteNumber != nil {
		cn.CreditNoteNumber = strings.TrimSpace(*in.CreditNoteNumber)
	}
	if cn.CreditNoteNumber == "" {
		for n := len(o.credits) + 1; ; n++ {
			cand := fmt.Sprintf("CN-%04d", n)
			if !creditNumberTaken(o, cand, "") && !numbers[strings.ToLower(cand)] {
				cn.CreditNoteNumber = cand
				break
			}
		}
	}
	if creditNumberTaken(o, cn.CreditNoteNumber, "") || numbers[strings.ToLower(cn.CreditNoteNumber)] {
		errs.add("Credit Note # must be unique.")
	}
	numbers[strings.ToLower(cn.CreditNoteNumber)] = true
	for _, li := range in.LineItems {
		l, lerrs := computeLine(o, li, mode, cn.Status, dp, false)
		cn.LineItems = append(cn.LineItems, l)
		errs = append(errs, lerrs...)
	}
	// The invoice's sums serve the credit note: the same lines, the same rounding.
	sums := &Invoice{LineItems: cn.LineItems, LineAmountTypes: mode}
	sumLines(sums)
	cn.SubTotal, cn.TotalTax, cn.Total = sums.SubTotal, sums.TotalTax, sums.Total
	if cn.Status != "DRAFT" {
		if len(cn.LineItems) == 0 {
			errs.add("At least one line item is required to approve a credit note.")
		}
		if !cn.Total.IsPositive() {
			errs.add("The document total must be greater than zero.")
		}
	}
	if cn.Status == "AUTHORISED" {
		cn.RemainingCredit = cn.Total
	}
	cn.UpdatedDateUTC = MSDate{now}
	cn.HasErrors = len(errs) > 0
	if len(errs) > 0 {
		cn.CreditNoteID = zeroID
	}
	return cn, errs
}

// storeCreditNote keeps a validated credit note; callers hold the lock.
func (s *Sandbox) storeCreditNote(o *org, cn *CreditNote) *CreditNote {
	stored := sandbox.Clone(cn)
	o.seqs[stored.CreditNoteID] = s.nextSeq()
	o.credits[stored.CreditNoteID] = &stored
	s.saveCreditNote(o, &stored)
	return &stored
}

// writeCreditNotes serves PUT and POST /CreditNotes, which create credit notes. POST of an
// existing one (by CreditNoteID or number) is answered with it unchanged when nothing is asked
// but what it already is; other updates are not supported.
func (s *Sandbox) writeCreditNotes(o *org, w http.ResponseWriter, r *http.Request, pathID string) {
	ins, err := decodeList[creditNoteIn](r, "CreditNotes", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	now := s.now()
	dp := unitDP(r)
	numbers := map[string]bool{}
	var elems []element
	for _, in := range ins {
		if pathID != "" {
			in.CreditNoteID = pathID
		}
		if r.Method == http.MethodPost && (in.CreditNoteID != "" || (in.CreditNoteNumber != nil && *in.CreditNoteNumber != "")) {
			key := in.CreditNoteID
			if key == "" {
				key = *in.CreditNoteNumber
			}
			existing := findCreditNote(o, key)
			if existing == nil && in.CreditNoteID != "" {
				msg := fmt.Sprintf("The credit note with CreditNoteID %s could not be found.", in.CreditNoteID)
				out := &CreditNote{CreditNoteID: zeroID, HasErrors: true, StatusAttributeString: "ERROR", ValidationErrors: []ValidationError{{Message: msg}}, Allocations: []Allocation{}, LineItems: []LineItem{}}
				elems = append(elems, element{out: out, errs: out.ValidationErrors})
				continue
			}
			if existing != nil {
				if in.Status != "" && !strings.EqualFold(in.Status, existing.Status) {
					out := sandbox.Clone(existing)
					out.StatusAttributeString, out.ValidationErrors = "ERROR", []ValidationError{{Message: "The booksync Xero sandbox does not change credit notes once created."}}
					elems = append(elems, element{out: &out, errs: out.ValidationErrors})
					continue
				}
				out := sandbox.Clone(existing)
				elems = append(elems, element{out: &out, commit: func() {}})
				continue
			}
		}
		cn, errs := s.buildCreditNote(o, in, numbers, dp, now)
		if len(errs) > 0 {
			cn.StatusAttributeString, cn.ValidationErrors = "ERROR", errs
			elems = append(elems, element{out: cn, errs: errs})
			continue
		}
		elems = append(elems, element{out: cn, commit: func() {
			s.storeCreditNote(o, cn)
			cn.StatusAttributeString = "OK"
		}})
	}
	s.finishBatch(w, r, "CreditNotes", elems)
}

// getCreditNotes serves GET /CreditNotes (where, If-Modified-Since, page) and
// GET /CreditNotes/{id}.
func (s *Sandbox) getCreditNotes(o *org, w http.ResponseWriter, r *http.Request, id string) {
	if id != "" {
		cn := findCreditNote(o, id)
		if cn == nil {
			notFound(w)
			return
		}
		s.writeList(w, "CreditNotes", []*CreditNote{cn}, nil)
		return
	}
	conds, err := parseWhere(r.URL.Query().Get("where"))
	if err != nil {
		queryParseError(w, err)
		return
	}
	since, hasSince := ifModifiedSince(r)
	list := sortedBySeq(o, o.credits, func(v *CreditNote) string { return v.CreditNoteID })
	slices.SortStableFunc(list, func(a, b *CreditNote) int { return a.UpdatedDateUTC.Compare(b.UpdatedDateUTC.Time) })
	out := []*CreditNote{}
	for _, cn := range list {
		if hasSince && cn.UpdatedDateUTC.Before(since) {
			continue
		}
		ok, err := matchWhere(conds, func(f string) (string, bool) {
			switch f {
			case "Type":
				return cn.Type, true
			case "Status":
				return cn.Status, true
			case "CreditNoteNumber":
				return cn.CreditNoteNumber, true
			case "CreditNoteID":
				return cn.CreditNoteID, true
			case "Reference":
				return cn.Reference, true
			case "Contact.ContactID":
				return cn.Contact.ContactID, true
			}
			return "", false
		})
		if err != nil {
			queryParseError(w, err)
			return
		}
		if ok {
			out = append(out, cn)
		}
	}
	page, pagination, err := paginate(r, out)
	if err != nil {
		queryParseError(w, err)
		return
	}
	s.writeList(w, "CreditNotes", page, pagination)
}

// allocationProblem says why amount of cn cannot be allocated to inv, or "".
func allocationProblem(cn *CreditNote, inv *Invoice, amount decimal.Decimal) string {
	switch {
	case cn.Status != "AUTHORISED":
		return "Only approved (AUTHORISED) credit notes with remaining credit can be allocated."
	case inv == nil:
		return "Invoice could not be found."
	case inv.Type != "ACCREC" || inv.Status != "AUTHORISED":
		return "Credit notes can only be allocated to approved (AUTHORISED) sales invoices."
	case !strings.EqualFold(inv.CurrencyCode, cn.CurrencyCode):
		return "The credit note and the invoice must be in the same currency."
	case !amount.IsPositive():
		return "Allocation amount must be greater than zero."
	case amount.GreaterThan(cn.RemainingCredit.Decimal):
		return fmt.Sprintf("The allocation amount (%s) exceeds the remaining credit (%s) on the credit note.", amount.StringFixed(2), cn.RemainingCredit.StringFixed(2))
	case amount.GreaterThan(inv.AmountDue.Decimal):
		return fmt.Sprintf("The allocation amount (%s) exceeds the amount due (%s) on the invoice.", amount.StringFixed(2), inv.AmountDue.StringFixed(2))
	}
	return ""
}

// allocate applies amount of cn to inv, after allocationProblem found nothing; callers hold the
// lock. Both documents' amounts, statuses and UpdatedDateUTC follow.
func (s *Sandbox) allocate(o *org, cn *CreditNote, inv *Invoice, amount decimal.Decimal, date, now time.Time) Allocation {
	a := Allocation{AllocationID: uuid.NewString(), Amount: sandbox.AmountOf(amount), Date: MSDate{date},
		Invoice: invoiceRef(inv), CreditNote: CreditNoteSummary{CreditNoteID: cn.CreditNoteID, CreditNoteNumber: cn.CreditNoteNumber}}
	cn.Allocations = append(cn.Allocations, a)
	cn.RemainingCredit = sandbox.AmountOf(cn.RemainingCredit.Sub(amount))
	if !cn.RemainingCredit.IsPositive() {
		cn.Status, cn.FullyPaidOnDate = "PAID", &MSDate{date}
	}
	cn.UpdatedDateUTC = MSDate{now}
	s.saveCreditNote(o, cn)
	inv.AmountCredited = sandbox.AmountOf(inv.AmountCredited.Add(amount))
	inv.AmountDue = sandbox.AmountOf(inv.AmountDue.Sub(amount))
	applied := false
	for i := range inv.CreditNotes {
		if inv.CreditNotes[i].CreditNoteID == cn.CreditNoteID {
			inv.CreditNotes[i].AppliedAmount = sandbox.AmountOf(inv.CreditNotes[i].AppliedAmount.Add(amount))
			applied = true
		}
	}
	if !applied {
		inv.CreditNotes = append(inv.CreditNotes, CreditNoteRef{CreditNoteID: cn.CreditNoteID, CreditNoteNumber: cn.CreditNoteNumber, Total: cn.Total, AppliedAmount: sandbox.AmountOf(amount)})
	}
	if !inv.AmountDue.IsPositive() {
		inv.Status, inv.FullyPaidOnDate = "PAID", &MSDate{date}
	}
	inv.UpdatedDateUTC = MSDate{now}
	s.saveInvoice(o, inv)
	return a
}

// writeAllocations serves PUT /CreditNotes/{id}/Allocations: every allocation of the request
// is checked before any is applied, and a refused one fails the request (400) with nothing
// applied.
func (s *Sandbox) writeAllocations(o *org, w http.ResponseWriter, r *http.Request, id string) {
	ins, err := decodeList[allocationIn](r, "Allocations", false)
	if err != nil {
		postDataInvalid(w, err)
		return
	}
	cn := findCreditNote(o, id)
	if cn == nil {
		notFound(w)
		return
	}
	now := s.now()
	type planned struct {
		inv    *Invoice
		amount decimal.Decimal
		date   time.Time
	}
	var plan []planned
	var failed []any
	staged := map[*Invoice]decimal.Decimal{}
	credit := decimal.Zero
	for _, in := range ins {
		var inv *Invoice
		if in.Invoice != nil && in.Invoice.InvoiceID != "" {
			inv = s.invoice(o, in.Invoice.InvoiceID)
		}
		amount := decimal.Zero
		var msg string
		switch {
		case in.Invoice == nil || in.Invoice.InvoiceID == "":
			msg = "An Invoice must be specified for an allocation."
		case in.Amount.bad || !in.Amount.set:
			msg = "Allocation Amount must be a number."
		case in.Date.bad || !in.Date.set:
			msg = "Allocation Date must be a valid date."
		default:
			amount = round2(in.Amount.d)
			probe := sandbox.Clone(cn)
			probe.RemainingCredit = sandbox.AmountOf(cn.RemainingCredit.Sub(credit))
			var invProbe *Invoice
			if inv != nil {
				c := inv.clone()
				c.AmountDue = sandbox.AmountOf(inv.AmountDue.Sub(staged[inv]))
				invProbe = &c
			}
			msg = allocationProblem(&probe, invProbe, amount)
		}
		if msg != "" {
			a := Allocation{Amount: sandbox.AmountOf(amount), CreditNote: CreditNoteSummary{CreditNoteID: cn.CreditNoteID, CreditNoteNumber: cn.CreditNoteNumber},
				StatusAttributeString: "ERROR", ValidationErrors: []ValidationError{{Message: msg}}}
			if inv != nil {
				a.Invoice = invoiceRef(inv)
			}
			failed = append(failed, a)
			continue
		}
		staged[inv] = staged[inv].Add(amount)
		credit = credit.Add(amount)
		plan = append(plan, planned{inv, amount, in.Date.t})
	}
	if len(failed) > 0 {
		validationException(w, failed)
		return
	}
	out := make([]Allocation, 0, len(plan))
	for _, p := range plan {
		out = append(out, s.allocate(o, cn, p.inv, p.amount, p.date, now))
	}
	s.writeList(w, "Allocations", out, nil)
}
