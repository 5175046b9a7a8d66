package quickbooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// What happens to a company's invoices after they are written: voids, credit memos, deletions,
// and the change data capture that reports them.

// cdcWindow is how far back a change data capture reaches, and how long deletions are kept.
const cdcWindow = 30 * 24 * time.Hour

// cdcMaxObjects is the most objects one change data capture answers with, across its entities.
const cdcMaxObjects = 1000

// voidInvoice voids an invoice as QuickBooks does: the record stays, its amounts and quantities
// become 0 and "Voided" is prefixed to its PrivateNote. An invoice with payments or credits
// applied (LinkedTxn) is refused; one already voided is answered as it is.
func (s *Sandbox) voidInvoice(c *company, inv *Invoice) (any, *qbFault) {
	if invoiceVoided(inv) {
		return inv, nil
	}
	if len(inv.LinkedTxn) > 0 {
		var names []string
		for _, l := range inv.LinkedTxn {
			names = append(names, l.TxnType+" "+l.TxnID)
		}
		return nil, businessError("This invoice has payments or credits applied (" + strings.Join(names, ", ") +
			"). Delete them before voiding the invoice.")
	}
	zero := sandbox.NewAmount("0")
	for i := range inv.Line {
		l := &inv.Line[i]
		l.Amount = zero
		if d := l.SalesItemLineDetail; d != nil {
			if d.Qty != nil {
				d.Qty = amtPtr(decimal.Zero)
			}
			if d.TaxInclusiveAmt != nil {
				d.TaxInclusiveAmt = amtPtr(decimal.Zero)
			}
		}
	}
	for i := range inv.TxnTaxDetail.TaxLine {
		inv.TxnTaxDetail.TaxLine[i].Amount = zero
		inv.TxnTaxDetail.TaxLine[i].TaxLineDetail.NetAmountTaxable = zero
		inv.TxnTaxDetail.TaxLine[i].TaxLineDetail.OverrideDeltaAmount = nil
	}
	inv.TxnTaxDetail.TotalTax = zero
	inv.TotalAmt, inv.HomeTotalAmt, inv.Balance = zero, zero, zero
	if inv.PrivateNote == "" {
		inv.PrivateNote = "Voided"
	} else {
		inv.PrivateNote = "Voided - " + inv.PrivateNote
	}
	s.touchInvoice(c, inv)
	s.recomputeBalance(c, inv.CustomerRef.Value)
	return inv, nil
}

// invoiceVoided reports whether an invoice was voided.
func invoiceVoided(inv *Invoice) bool {
	return inv.TotalAmt.IsZero() && strings.HasPrefix(inv.PrivateNote, "Voided")
}

// tombstone records that an entity was deleted, for the change data capture.
func (s *Sandbox) tombstone(c *company, entity, id string) {
	t := &Tombstone{Entity: entity, ID: id, At: s.now()}
	key := entity + "-" + id
	c.deletions[key] = t
	s.saveObj(c, "deleted", key, t)
	// Forget deletions older than the window: no change data capture reaches them.
	for k, old := range c.deletions {
		if t.At.Sub(old.At) > cdcWindow {
			delete(c.deletions, k)
			s.saveObj(c, "deleted", k, nil)
		}
	}
}

// writeCreditMemo creates a credit memo: its lines, tax and totals are computed as an invoice's
// are, its DocNumber is unique among credit memos, and its whole amount is credit to apply.
func (s *Sandbox) writeCreditMemo(c *company, op string, raw map[string]json.RawMessage) (any, *qbFault) {
	if op != "create" {
		return nil, unsupported(op + " CreditMemo (the sandbox creates credit memos)")
	}
	var in invoiceIn
	if f := merge(struct{}{}, raw, &in); f != nil {
		return nil, f
	}
	inv, f := s.buildInvoice(c, &in)
	if f != nil {
		return nil, f
	}
	inv.DocNumber = in.DocNumber
	if inv.DocNumber == "" {
		inv.DocNumber = fmt.Sprintf("CM%d", c.meta.NextID["CreditMemo"]+1)
	}
	if len(inv.DocNumber) > 21 {
		return nil, validationFault("2050", "String length is either shorter or longer than supported by specification",
			"DocNumber is longer than 21 characters", "DocNumber")
	}
	for _, other := range c.creditMemos {
		if sameName(other.DocNumber, inv.DocNumber) {
			return nil, validationFault("6140", "Duplicate Document Number Error",
				fmt.Sprintf("Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=%s is assigned to TxnType=CreditMemo with TxnId=%s", inv.DocNumber, other.ID), "DocNumber")
		}
	}
	inv.ID, inv.SyncToken, inv.MetaData = c.newID("CreditMemo"), "0", newMeta(s.now())
	inv.Balance = inv.TotalAmt
	inv.LinkedTxn = []LinkedTxn{}
	cm := &CreditMemo{Invoice: *inv, RemainingCredit: inv.TotalAmt}
	c.creditMemos[cm.ID] = cm
	s.saveMeta(c)
	s.saveObj(c, "creditmemo", cm.ID, cm)
	return cm, nil
}

// touchCreditMemo records a change made to a credit memo by a payment applying it.
func (s *Sandbox) touchCreditMemo(c *company, cm *CreditMemo) {
	cm.RemainingCredit = cm.Balance
	cm.SyncToken = nextToken(cm.SyncToken)
	cm.MetaData.LastUpdatedTime = qbTime(s.now())
	s.saveObj(c, "creditmemo", cm.ID, cm)
}

// writeVendor creates a vendor, whose DisplayName is unique among vendors.
func (s *Sandbox) writeVendor(c *company, op string, raw map[string]json.RawMessage) (any, *qbFault) {
	if op != "create" {
		return nil, unsupported(op + " Vendor (the sandbox creates vendors)")
	}
	var v Vendor
	if f := merge(&Vendor{Active: true}, raw, &v); f != nil {
		return nil, f
	}
	return s.addVendor(c, v.DisplayName)
}

// addVendor creates a vendor named name.
func (s *Sandbox) addVendor(c *company, name string) (*Vendor, *qbFault) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, requiredMissing("DisplayName")
	case len(name) > 500:
		return nil, validationFault("2050", "String length is either shorter or longer than supported by specification", "DisplayName is longer than 500 characters", "DisplayName")
	}
	for _, other := range c.vendors {
		if sameName(other.DisplayName, name) {
			return nil, validationFault("6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.", "DisplayName")
		}
	}
	v := &Vendor{ID: c.newID("Vendor"), SyncToken: "0", MetaData: newMeta(s.now()), DisplayName: name, FullyQualifiedName: name,
		Active: true, Balance: sandbox.NewAmount("0"), CurrencyRef: Ref{Value: c.homeCurrency(), Name: currencyName(c.homeCurrency())}}
	c.vendors[v.ID] = v
	s.saveMeta(c)
	s.saveObj(c, "vendor", v.ID, v)
	return v, nil
}

// billIn is a bill as a request sends it.
type billIn struct {
	DocNumber    string `json:"DocNumber"`
	TxnDate      string `json:"TxnDate"`
	DueDate      string `json:"DueDate"`
	PrivateNote  string `json:"PrivateNote"`
	VendorRef    *Ref   `json:"VendorRef"`
	APAccountRef *Ref   `json:"APAccountRef"`
	CurrencyRef  *Ref   `json:"CurrencyRef"`
	Line         []struct {
		Description                   string                         `json:"Description"`
		Amount                        *sandbox.Amount                `json:"Amount"`
		DetailType                    string                         `json:"DetailType"`
		AccountBasedExpenseLineDetail *AccountBasedExpenseLineDetail `json:"AccountBasedExpenseLineDetail"`
	} `json:"Line"`
}

// writeBill creates a bill of an active vendor: its lines are booked to expense accounts
// (Office Expenses by default), TotalAmt is their sum and Balance starts at TotalAmt.
func (s *Sandbox) writeBill(c *company, op string, raw map[string]json.RawMessage) (any, *qbFault) {
	if op != "create" {
		return nil, unsupported(op + " Bill (the sandbox creates bills)")
	}
	var in billIn
	if f := merge(struct{}{}, raw, &in); f != nil {
		return nil, f
	}
	if in.VendorRef == nil || in.VendorRef.Value == "" {
		return nil, requiredMissing("VendorRef")
	}
	v := c.vendors[in.VendorRef.Value]
	if v == nil || !v.Active {
		return nil, objectNotFound("VendorRef", "Vendor "+in.VendorRef.Value)
	}
	if in.CurrencyRef != nil && in.CurrencyRef.Value != "" && in.CurrencyRef.Value != c.homeCurrency() {
		return nil, currencyFault(c, in.CurrencyRef.Value)
	}
	if len(in.Line) == 0 {
		return nil, requiredMissing("Line")
	}
	b := &Bill{DocNumber: in.DocNumber, TxnDate: in.TxnDate, DueDate: in.DueDate, PrivateNote: in.PrivateNote,
		VendorRef: Ref{Value: v.ID, Name: v.DisplayName}, APAccountRef: &Ref{Value: acctPayable, Name: "Accounts Payable (A/P)"},
		CurrencyRef: Ref{Value: c.homeCurrency(), Name: currencyName(c.homeCurrency())}, LinkedTxn: []LinkedTxn{}}
	if b.TxnDate == "" {
		b.TxnDate = s.now().Format(dateLayout)
	}
	for _, d := range []struct{ name, v string }{{"TxnDate", b.TxnDate}, {"DueDate", b.DueDate}} {
		if _, err := time.Parse(dateLayout, d.v); d.v != "" && err != nil {
			return nil, validationFault("2040", "Invalid Date", d.name+" "+d.v+" is not a date (yyyy-MM-dd)", d.name)
		}
	}
	total := decimal.Zero
	for i, l := range in.Line {
		el := fmt.Sprintf("Line[%d]", i)
		if l.Amount == nil {
			return nil, requiredMissing(el + ".Amount")
		}
		if l.Amount.IsNegative() {
			return nil, businessError("A bill line amount must not be negative.")
		}
		d := l.AccountBasedExpenseLineDetail
		if d == nil {
			d = &AccountBasedExpenseLineDetail{}
		}
		if d.AccountRef == nil || d.AccountRef.Value == "" {
			d.AccountRef = &Ref{Value: acctOfficeExpenses}
		}
		a := c.account(d.AccountRef.Value)
		if a == nil || !a.Active {
			return nil, invalidReference(el+".AccountBasedExpenseLineDetail.AccountRef", "Account id "+d.AccountRef.Value+" not found")
		}
		d.AccountRef = &Ref{Value: a.ID, Name: a.Name}
		total = total.Add(l.Amount.Decimal)
		b.Line = append(b.Line, BillLine{ID: fmt.Sprint(i + 1), LineNum: i + 1, Description: l.Description, Amount: *l.Amount,
			DetailType: "AccountBasedExpenseLineDetail", AccountBasedExpenseLineDetail: d})
	}
	b.TotalAmt, b.Balance = sandbox.AmountOf(total), sandbox.AmountOf(total)
	b.ID, b.SyncToken, b.MetaData = c.newID("Bill"), "0", newMeta(s.now())
	c.bills[b.ID] = b
	v.Balance = sandbox.AmountOf(v.Balance.Add(total))
	s.saveMeta(c)
	s.saveObj(c, "bill", b.ID, b)
	s.saveObj(c, "vendor", v.ID, v)
	return b, nil
}

// cdcEntities are the entities a change data capture of the sandbox reports.
var cdcEntities = []string{"Invoice", "Payment", "CreditMemo", "Bill", "Customer", "Item", "Vendor"}

// changed is one object a change data capture reports.
type changed struct {
	entity string
	at     time.Time
	v      any
}

// runCDC answers GET /cdc: the objects of the named entities changed at or after changedSince
// (to the second, as LastUpdatedTime is kept), deleted ones as {"Id","status":"Deleted"}. As in
// QuickBooks, changedSince reaches back 30 days at most, and one answer holds at most 1,000
// objects: the oldest changes first.
func (s *Sandbox) runCDC(c *company, entities, changedSince string) (map[string]any, *qbFault) {
	if strings.TrimSpace(entities) == "" {
		return nil, requiredMissing("entities")
	}
	if changedSince == "" {
		return nil, requiredMissing("changedSince")
	}
	since, ok := parseQBTime(changedSince)
	if !ok {
		return nil, validationFault("2040", "Invalid Date", "changedSince "+changedSince+" is not a date-time", "changedSince")
	}
	now := s.now()
	if now.Sub(since) > cdcWindow {
		return nil, validationFault("4001", "Invalid query",
			"QueryValidationError: changedSince must be within the last 30 days, not "+changedSince, "changedSince")
	}
	since = since.Truncate(time.Second)
	var names []string
	for _, e := range strings.Split(entities, ",") {
		e = strings.TrimSpace(e)
		i := slices.IndexFunc(cdcEntities, func(n string) bool { return strings.EqualFold(n, e) })
		if i < 0 {
			return nil, validationFault("4001", "Invalid query", "QueryValidationError: the sandbox's change data capture has no entity "+e, "entities")
		}
		if !slices.Contains(names, cdcEntities[i]) {
			names = append(names, cdcEntities[i])
		}
	}
	var hits []changed
	for _, name := range names {
		rows := s.rows
		if name == "Invoice" {
			// Only the invoices changed since are read from the Store.
			rows = func(c *company, _ string) []any {
				var out []any
				for _, inv := range s.invoicesOf(c, invoiceEntries(c, func(e *invoiceEntry) bool { return e.updated >= since.Unix() })) {
					out = append(out, inv)
				}
				return out
			}
		}
		for _, v := range rows(c, name) {
			if at, ok := lastUpdated(v); ok && !at.Before(since) {
				hits = append(hits, changed{name, at, v})
			}
		}
		for _, t := range c.deletions {
			if t.Entity == name && !t.At.Truncate(time.Second).Before(since) {
				hits = append(hits, changed{name, t.At, map[string]any{"Id": t.ID, "status": "Deleted", "domain": "QBO",
					"MetaData": map[string]string{"LastUpdatedTime": qbTime(t.At)}}})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b changed) int { return a.at.Compare(b.at) })
	if len(hits) > cdcMaxObjects {
		hits = hits[:cdcMaxObjects]
	}
	var responses []map[string]any
	for _, name := range names {
		var list []any
		for _, h := range hits {
			if h.entity == name {
				list = append(list, h.v)
			}
		}
		qr := map[string]any{}
		if len(list) > 0 {
			qr = map[string]any{name: list, "startPosition": 1, "maxResults": len(list)}
		}
		responses = append(responses, qr)
	}
	return map[string]any{"CDCResponse": []any{map[string]any{"QueryResponse": responses}}, "time": s.timeString()}, nil
}

// lastUpdated reads an entity's MetaData.LastUpdatedTime.
func lastUpdated(v any) (time.Time, bool) {
	var m MetaData
	switch e := v.(type) {
	case *Invoice:
		m = e.MetaData
	case *CreditMemo:
		m = e.MetaData
	case *Payment:
		m = e.MetaData
	case *Bill:
		m = e.MetaData
	case *Customer:
		m = e.MetaData
	case *Item:
		m = e.MetaData
	case *Vendor:
		m = e.MetaData
	default:
		return time.Time{}, false
	}
	return parseQBTime(m.LastUpdatedTime)
}
