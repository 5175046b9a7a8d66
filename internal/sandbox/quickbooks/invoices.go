package quickbooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// lineIn is an invoice line as a request sends it; pointers tell a missing
// value from zero.
type lineIn struct {
	ID                  string               `json:"Id"`
	Description         string               `json:"Description"`
	Amount              *sandbox.Amount      `json:"Amount"`
	DetailType          string               `json:"DetailType"`
	SalesItemLineDetail *SalesItemLineDetail `json:"SalesItemLineDetail"`
	DiscountLineDetail  *DiscountLineDetail  `json:"DiscountLineDetail"`
}

type taxLineIn struct {
	Amount        *sandbox.Amount `json:"Amount"`
	TaxLineDetail *TaxLineDetail  `json:"TaxLineDetail"`
}

type txnTaxIn struct {
	TxnTaxCodeRef *Ref            `json:"TxnTaxCodeRef"`
	TotalTax      *sandbox.Amount `json:"TotalTax"`
	TaxLine       []taxLineIn     `json:"TaxLine"`
}

// invoiceIn is an invoice as a request sends it.
type invoiceIn struct {
	DocNumber   string `json:"DocNumber"`
	TxnDate     string `json:"TxnDate"`
	DueDate     string `json:"DueDate"`
	CurrencyRef *Ref   `json:"CurrencyRef"`
	// ExchangeRate is the client's rate of a foreign-currency invoice (home currency per unit);
	// without it the sandbox applies its own.
	ExchangeRate         *sandbox.Amount `json:"ExchangeRate"`
	PrivateNote          string          `json:"PrivateNote"`
	CustomerMemo         *MemoRef        `json:"CustomerMemo"`
	Line                 []lineIn        `json:"Line"`
	TxnTaxDetail         *txnTaxIn       `json:"TxnTaxDetail"`
	CustomerRef          *Ref            `json:"CustomerRef"`
	BillEmail            *EmailAddress   `json:"BillEmail"`
	GlobalTaxCalculation string          `json:"GlobalTaxCalculation"`
	// ShipAddr is where the goods or services go; automated sales tax charges that place's rates.
	ShipAddr *PhysicalAddress `json:"ShipAddr"`
}

const dateLayout = "2006-01-02"

func (s *Sandbox) writeInvoice(c *company, op, id, token string, sparse bool, raw map[string]json.RawMessage) (any, *qbFault) {
	existing := s.invoice(c, id)
	if op != "create" {
		if existing == nil {
			return nil, objectNotFound("Id", "Invoice "+id)
		}
		if f := checkToken(id, existing.SyncToken, token); f != nil {
			return nil, f
		}
	}
	if op == "void" {
		return s.voidInvoice(c, existing)
	}
	if op == "delete" {
		if existing.Balance.Cmp(existing.TotalAmt.Decimal) != 0 || len(existing.LinkedTxn) > 0 {
			return nil, businessError("This invoice has payments applied. Delete the payments first.")
		}
		s.deleteInvoice(c, id)
		s.tombstone(c, "Invoice", id)
		s.recomputeBalance(c, existing.CustomerRef.Value)
		return deleted{Status: "Deleted", Domain: "QBO", ID: id}, nil
	}
	var in invoiceIn
	var base any = struct{}{}
	if sparse && existing != nil {
		// A sparse update keeps what it does not send; a sent Line array
		// replaces all lines, as in QuickBooks. The stored tax is left out so
		// that it is computed afresh, not taken as an override.
		b, _ := json.Marshal(existing)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		delete(m, "TxnTaxDetail")
		base = m
	}
	if f := merge(base, raw, &in); f != nil {
		return nil, f
	}
	inv, f := s.buildInvoice(c, &in)
	if f == nil {
		f = invoiceDocNumber(c, &in, inv, existing)
	}
	if f != nil {
		return nil, f
	}
	now := s.now()
	if op == "create" {
		inv.ID, inv.SyncToken, inv.MetaData = c.newID("Invoice"), "0", newMeta(now)
		inv.Balance = inv.TotalAmt
		inv.LinkedTxn = []LinkedTxn{}
	} else {
		paid := existing.TotalAmt.Sub(existing.Balance.Decimal)
		if inv.TotalAmt.LessThan(paid) {
			return nil, businessError(fmt.Sprintf("The invoice total %s is less than the %s already paid.", inv.TotalAmt.StringFixed(2), paid.StringFixed(2)))
		}
		inv.ID, inv.SyncToken, inv.MetaData = id, nextToken(existing.SyncToken), existing.MetaData
		inv.MetaData.LastUpdatedTime = qbTime(now)
		inv.Balance = sandbox.AmountOf(inv.TotalAmt.Sub(paid))
		inv.LinkedTxn = existing.LinkedTxn
	}
	s.saveMeta(c) // ids and DocNumber counters
	oldCustomer := inv.CustomerRef.Value
	if existing != nil {
		// The invoice read for this call takes the new values, so that every later step of
		// the call sees them.
		oldCustomer = existing.CustomerRef.Value
		*existing = *inv
		inv = existing
	}
	s.saveInvoice(c, inv)
	s.recomputeBalance(c, inv.CustomerRef.Value)
	if oldCustomer != inv.CustomerRef.Value {
		s.recomputeBalance(c, oldCustomer)
	}
	return inv, nil
}

// taxGroup is the tax of one tax rate on an invoice.
type taxGroup struct {
	rate  *TaxRate
	net   decimal.Decimal // Σ line amounts (net of tax) at this rate, after discount
	gross decimal.Decimal // Σ the same lines' amounts including tax, after discount
	lines int
	tax   decimal.Decimal
	delta *decimal.Decimal // an override's difference from the computed tax
}

// buildInvoice validates a request and computes lines, tax and totals; it changes nothing. Its
// DocNumber is left to the caller (invoiceDocNumber for an invoice).
func (s *Sandbox) buildInvoice(c *company, in *invoiceIn) (*Invoice, *qbFault) {
	inv := &Invoice{ExchangeRate: sandbox.NewAmount("1"), PrintStatus: "NotSet", EmailStatus: "NotSet",
		PrivateNote: in.PrivateNote, CustomerMemo: in.CustomerMemo, BillEmail: in.BillEmail, ShipAddr: in.ShipAddr}
	f := invoiceCustomer(c, in, inv)
	if f == nil {
		f = s.invoiceDates(in, inv)
	}
	if f == nil {
		inv.GlobalTaxCalculation, f = taxMode(c, in.GlobalTaxCalculation)
	}
	if f != nil {
		return nil, f
	}
	ls, f := invoiceLines(c, in.Line, inv.GlobalTaxCalculation)
	if f != nil {
		return nil, f
	}
	disc, f := ls.discountAmount()
	if f != nil {
		return nil, f
	}
	inv.ApplyTaxAfterDiscount = ls.discount != nil
	if f := invoiceTax(c, inv, ls, disc, in.TxnTaxDetail); f != nil {
		return nil, f
	}
	// Line Amounts are net of tax in both modes (a TaxInclusive line carries its gross in
	// TaxInclusiveAmt), so the total is the net subtotal plus the tax.
	total := ls.subtotal.Sub(disc).Add(inv.TxnTaxDetail.TotalTax.Decimal)
	inv.TotalAmt, inv.HomeTotalAmt = sandbox.AmountOf(total), sandbox.AmountOf(total)
	inv.Line = ls.numbered()
	return inv, nil
}

// invoiceCustomer sets the invoice's customer, which must be active, and its currency, which
// must be the company's home currency.
func invoiceCustomer(c *company, in *invoiceIn, inv *Invoice) *qbFault {
	if in.CustomerRef == nil || in.CustomerRef.Value == "" {
		return requiredMissing("CustomerRef")
	}
	cu := c.customers[in.CustomerRef.Value]
	if cu == nil || !cu.Active {
		return objectNotFound("CustomerRef", "Customer "+in.CustomerRef.Value)
	}
	inv.CustomerRef = Ref{Value: cu.ID, Name: cu.DisplayName}
	cur := c.homeCurrency()
	if in.CurrencyRef != nil && in.CurrencyRef.Value != "" {
		cur = in.CurrencyRef.Value
	}
	if f := c.currencyProblem(cur); f != nil {
		return f
	}
	// A customer invoices in its own currency only.
	if cu.CurrencyRef.Value != "" && cu.CurrencyRef.Value != cur {
		return businessError("The currency of the transaction (" + cur + ") does not match the customer's currency (" + cu.CurrencyRef.Value + ").")
	}
	inv.CurrencyRef = Ref{Value: cur, Name: currencyName(cur)}
	inv.ExchangeRate = c.exchangeRate(cur)
	if in.ExchangeRate != nil && in.ExchangeRate.IsPositive() && cur != c.homeCurrency() {
		inv.ExchangeRate = *in.ExchangeRate
	}
	return nil
}

// invoiceDates sets TxnDate (today when missing) and DueDate (30 days later when missing).
func (s *Sandbox) invoiceDates(in *invoiceIn, inv *Invoice) *qbFault {
	inv.TxnDate, inv.DueDate = in.TxnDate, in.DueDate
	if inv.TxnDate == "" {
		inv.TxnDate = s.now().Format(dateLayout)
	}
	txn, err := time.Parse(dateLayout, inv.TxnDate)
	if err != nil {
		return validationFault("2040", "Invalid Date", "TxnDate "+inv.TxnDate+" is not a date (yyyy-MM-dd)", "TxnDate")
	}
	if inv.DueDate == "" {
		inv.DueDate = txn.AddDate(0, 0, 30).Format(dateLayout)
	} else if _, err := time.Parse(dateLayout, inv.DueDate); err != nil {
		return validationFault("2040", "Invalid Date", "DueDate "+inv.DueDate+" is not a date (yyyy-MM-dd)", "DueDate")
	}
	return nil
}

// taxMode checks GlobalTaxCalculation: none in a US company, TaxExcluded by default elsewhere.
func taxMode(c *company, mode string) (string, *qbFault) {
	if c.us() {
		if mode == "TaxInclusive" {
			return "", businessError("GlobalTaxCalculation TaxInclusive is not supported for US companies.")
		}
		return "", nil
	}
	switch mode {
	case "":
		return "TaxExcluded", nil
	case "TaxExcluded", "TaxInclusive", "NotApplicable":
		return mode, nil
	}
	return "", validationFault("2050", "Invalid Enumeration", "GlobalTaxCalculation must be TaxExcluded, TaxInclusive or NotApplicable", "GlobalTaxCalculation")
}

// lineSet is an invoice's lines as validated: the sales lines (description-only ones included),
// with what each is taxed at, and the one discount line if any.
type lineSet struct {
	sales     []Line
	lineRates [][]*TaxRate // per sales line: the rates it is taxed at (UK)
	taxable   []bool       // per sales line: taxable (US)
	discount  *Line
	subtotal  decimal.Decimal
}

// invoiceLines validates the request's lines in the tax mode; subtotal lines are left out, as
// QuickBooks computes them.
func invoiceLines(c *company, in []lineIn, mode string) (*lineSet, *qbFault) {
	if len(in) == 0 {
		return nil, requiredMissing("Line")
	}
	ls := &lineSet{subtotal: decimal.Zero}
	for i, l := range in {
		el := fmt.Sprintf("Line[%d]", i)
		dt := l.DetailType
		if dt == "" && l.SalesItemLineDetail != nil {
			dt = "SalesItemLineDetail"
		}
		var f *qbFault
		switch dt {
		case "SubTotalLineDetail":
			continue // computed
		case "DescriptionOnly":
			ls.add(Line{ID: l.ID, Description: l.Description, Amount: sandbox.NewAmount("0"), DetailType: dt}, nil, false)
		case "DiscountLineDetail":
			f = ls.addDiscount(c, l, el)
		case "SalesItemLineDetail":
			f = ls.addSale(c, l, el, mode)
		default:
			f = validationFault("2050", "Invalid Enumeration", "The sandbox does not support DetailType "+strconv.Quote(dt), el+".DetailType")
		}
		if f != nil {
			return nil, f
		}
	}
	if len(ls.sales) == 0 {
		return nil, requiredMissing("Line.SalesItemLineDetail")
	}
	return ls, nil
}

func (ls *lineSet) add(l Line, rates []*TaxRate, taxable bool) {
	ls.sales = append(ls.sales, l)
	ls.lineRates = append(ls.lineRates, rates)
	ls.taxable = append(ls.taxable, taxable)
}

// addDiscount validates the invoice's one discount line; its account defaults to Discounts
// given.
func (ls *lineSet) addDiscount(c *company, l lineIn, el string) *qbFault {
	if ls.discount != nil {
		return businessError("An invoice can have only one discount line.")
	}
	d := l.DiscountLineDetail
	if d == nil {
		d = &DiscountLineDetail{}
	}
	dl := Line{ID: l.ID, Description: l.Description, DetailType: "DiscountLineDetail", DiscountLineDetail: d}
	if l.Amount != nil {
		dl.Amount = *l.Amount
	}
	if d.DiscountAccountRef == nil {
		d.DiscountAccountRef = &Ref{Value: acctDiscountsGiven, Name: "Discounts given"}
	} else if c.account(d.DiscountAccountRef.Value) == nil {
		return invalidReference(el+".DiscountLineDetail.DiscountAccountRef", "Account id "+d.DiscountAccountRef.Value+" not found")
	}
	ls.discount = &dl
	return nil
}

// addSale validates a sales line: its item and income account, quantity and price, and tax code.
func (ls *lineSet) addSale(c *company, l lineIn, el, mode string) *qbFault {
	if l.SalesItemLineDetail == nil {
		return requiredMissing(el + ".SalesItemLineDetail")
	}
	d := *l.SalesItemLineDetail
	if l.Amount == nil {
		return requiredMissing(el + ".Amount")
	}
	amount := l.Amount.Decimal
	f := lineItem(c, &d, el)
	if f == nil {
		f = quantityAndPrice(&d, amount, el)
	}
	if f != nil {
		return f
	}
	var rates []*TaxRate
	taxable := false
	if c.us() {
		taxable, f = usTaxCode(c, &d)
	} else {
		rates, f = ukTaxCode(c, &d, el, mode)
	}
	if f != nil {
		return f
	}
	ls.subtotal = ls.subtotal.Add(amount)
	ls.add(Line{ID: l.ID, Description: l.Description, Amount: sandbox.AmountOf(amount), DetailType: "SalesItemLineDetail", SalesItemLineDetail: &d}, rates, taxable)
	return nil
}

// lineItem resolves a sales line's item, which must be active, and its income account: the
// item's unless the line names another.
func lineItem(c *company, d *SalesItemLineDetail, el string) *qbFault {
	if d.ItemRef == nil || d.ItemRef.Value == "" {
		// As QuickBooks does, a sales line without an item sells the default "Services"
		// item; its ItemAccountRef, when given, still decides the income account.
		def := c.defaultItem()
		if def == nil {
			return requiredMissing(el + ".SalesItemLineDetail.ItemRef")
		}
		d.ItemRef = &Ref{Value: def.ID}
	}
	item := c.items[d.ItemRef.Value]
	if item == nil || !item.Active {
		return objectNotFound(el+".SalesItemLineDetail.ItemRef", "Item "+d.ItemRef.Value)
	}
	d.ItemRef = &Ref{Value: item.ID, Name: item.Name}
	if d.ItemAccountRef == nil || d.ItemAccountRef.Value == "" {
		d.ItemAccountRef = item.IncomeAccountRef
	} else if a := c.account(d.ItemAccountRef.Value); a == nil {
		return invalidReference(el+".SalesItemLineDetail.ItemAccountRef", "Account id "+d.ItemAccountRef.Value+" not found")
	} else {
		d.ItemAccountRef = &Ref{Value: a.ID, Name: a.Name}
	}
	return nil
}

// quantityAndPrice checks that the line's Amount is Qty × UnitPrice to the cent, and derives
// whichever of the two is missing.
func quantityAndPrice(d *SalesItemLineDetail, amount decimal.Decimal, el string) *qbFault {
	switch {
	case d.Qty != nil && d.UnitPrice != nil:
		if want := round2(d.Qty.Mul(d.UnitPrice.Decimal)); !want.Equal(amount) {
			return validationFault("6070", "Amount is not equal to UnitPrice * Qty",
				fmt.Sprintf("Amount is not equal to UnitPrice * Qty. Supplied value:%s (UnitPrice %s * Qty %s = %s)",
					amount.String(), d.UnitPrice.String(), d.Qty.String(), want.StringFixed(2)), el+".Amount")
		}
	case d.Qty == nil && d.UnitPrice == nil:
		d.Qty, d.UnitPrice = amtPtr(decimal.NewFromInt(1)), amtPtr(amount)
	case d.UnitPrice != nil: // Qty missing: QuickBooks derives it
		if !d.UnitPrice.IsZero() {
			d.Qty = amtPtr(amount.DivRound(d.UnitPrice.Decimal, 7))
		}
	default: // UnitPrice missing
		if !d.Qty.IsZero() {
			d.UnitPrice = amtPtr(amount.DivRound(d.Qty.Decimal, 7))
		}
	}
	return nil
}

// usTaxCode checks a US line's tax code, TAX or NON (the item's taxability by default), and
// reports whether the line is taxable.
func usTaxCode(c *company, d *SalesItemLineDetail) (bool, *qbFault) {
	code := "NON"
	if c.items[d.ItemRef.Value].Taxable {
		code = "TAX"
	}
	if d.TaxCodeRef != nil && d.TaxCodeRef.Value != "" {
		code = d.TaxCodeRef.Value
	}
	if code != "TAX" && code != "NON" {
		return false, businessError("Line TaxCodeRef must be TAX or NON in a company that uses automated sales tax, not " + strconv.Quote(code) + ".")
	}
	d.TaxCodeRef = &Ref{Value: code}
	return code == "TAX", nil
}

// ukTaxCode checks a non-US line's tax code, which every line needs unless tax does not apply,
// and returns the sales tax rates it stands for.
func ukTaxCode(c *company, d *SalesItemLineDetail, el, mode string) ([]*TaxRate, *qbFault) {
	if d.TaxCodeRef == nil || d.TaxCodeRef.Value == "" {
		if mode != "NotApplicable" {
			f := businessError("Make sure all your transactions have a VAT rate before you save.")
			f.Error[0].Element = el + ".SalesItemLineDetail.TaxCodeRef"
			return nil, f
		}
		return nil, nil
	}
	tc := c.taxCode(d.TaxCodeRef.Value)
	if tc == nil || !tc.Active {
		return nil, invalidReference(el+".SalesItemLineDetail.TaxCodeRef", "TaxCode id "+d.TaxCodeRef.Value+" not found")
	}
	d.TaxCodeRef = &Ref{Value: tc.ID, Name: tc.Name}
	var rates []*TaxRate
	for _, rd := range tc.SalesTaxRateList.TaxRateDetail {
		if tr := c.taxRate(rd.TaxRateRef.Value); tr != nil {
			rates = append(rates, tr)
		}
	}
	return rates, nil
}

// discountAmount is the discount: a percentage of the subtotal, or an amount, between 0 and the
// subtotal.
func (ls *lineSet) discountAmount() (decimal.Decimal, *qbFault) {
	if ls.discount == nil {
		return decimal.Zero, nil
	}
	var disc decimal.Decimal
	d := ls.discount.DiscountLineDetail
	if d.PercentBased && d.DiscountPercent != nil {
		disc = round2(ls.subtotal.Mul(d.DiscountPercent.Decimal).Div(decimal.NewFromInt(100)))
		ls.discount.Amount = sandbox.AmountOf(disc)
	} else {
		disc = ls.discount.Amount.Decimal
	}
	if disc.IsNegative() || disc.GreaterThan(ls.subtotal) {
		return disc, businessError("The discount must be between 0 and the subtotal.")
	}
	return disc, nil
}

// invoiceTax sets the invoice's TxnTaxDetail: automated sales tax in a US company, tax per rate
// elsewhere unless tax does not apply.
func invoiceTax(c *company, inv *Invoice, ls *lineSet, disc decimal.Decimal, req *txnTaxIn) *qbFault {
	var taxTotal decimal.Decimal
	var taxLines []TaxLine
	if c.us() {
		loc, shipTo := taxAddress(c, inv.ShipAddr, c.customers[inv.CustomerRef.Value])
		code, rates := c.usTaxCodeFor(loc, c.meta.Info.MetaData)
		var override bool
		var f *qbFault
		taxTotal, taxLines, override, f = usTax(c, loc, rates, ls.sales, ls.taxable, ls.subtotal, disc, req)
		if f != nil {
			return f
		}
		yes := true
		inv.ShipAddr = shipTo
		inv.TxnTaxDetail = TxnTaxDetail{TxnTaxCodeRef: &Ref{Value: code.ID, Name: code.Name}, UseAutomatedSalesTax: &yes}
		if override {
			inv.TxnTaxDetail.TaxReviewStatus = "AST_TAX_OVERRIDE"
		}
	} else if mode := inv.GlobalTaxCalculation; mode != "NotApplicable" {
		var f *qbFault
		taxTotal, taxLines, f = ukTax(ls.sales, ls.lineRates, ls.subtotal, disc, mode == "TaxInclusive", req)
		if f != nil {
			return f
		}
	}
	inv.TxnTaxDetail.TotalTax, inv.TxnTaxDetail.TaxLine = sandbox.AmountOf(taxTotal), taxLines
	return nil
}

// numbered returns the invoice's lines in order, the subtotal after the sales lines and the
// discount last, with their LineNum; line ids sent are kept when unique, the rest numbered.
func (ls *lineSet) numbered() []Line {
	usedIDs := map[string]bool{}
	for _, l := range ls.sales {
		if l.ID != "" {
			usedIDs[l.ID] = true
		}
	}
	next := 1
	seen := map[string]bool{}
	assign := func(l *Line) {
		if l.ID == "" || seen[l.ID] {
			for usedIDs[strconv.Itoa(next)] || seen[strconv.Itoa(next)] {
				next++
			}
			l.ID = strconv.Itoa(next)
		}
		seen[l.ID] = true
	}
	sales := ls.sales
	for i := range sales {
		assign(&sales[i])
		sales[i].LineNum = i + 1
	}
	out := append(sales, Line{Amount: sandbox.AmountOf(ls.subtotal), DetailType: "SubTotalLineDetail", SubTotalLineDetail: &struct{}{}})
	if ls.discount != nil {
		assign(ls.discount)
		ls.discount.LineNum = len(sales) + 1
		out = append(out, *ls.discount)
	}
	return out
}

// invoiceDocNumber sets DocNumber: the one sent, else the invoice's own, else the next free
// number; it must be unique among invoices and at most 21 characters.
func invoiceDocNumber(c *company, in *invoiceIn, inv, existing *Invoice) *qbFault {
	inv.DocNumber = in.DocNumber
	if inv.DocNumber == "" && existing != nil {
		inv.DocNumber = existing.DocNumber
	}
	if inv.DocNumber == "" {
		for {
			inv.DocNumber = strconv.Itoa(c.meta.NextDoc)
			c.meta.NextDoc++
			if docNumberOwner(c, inv.DocNumber, "") == nil {
				break
			}
		}
	}
	if len(inv.DocNumber) > 21 {
		return validationFault("2050", "String length is either shorter or longer than supported by specification",
			"DocNumber is longer than 21 characters", "DocNumber")
	}
	self := ""
	if existing != nil {
		self = existing.ID
	}
	if other := docNumberOwner(c, inv.DocNumber, self); other != nil {
		return validationFault("6140", "Duplicate Document Number Error",
			fmt.Sprintf("Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=%s is assigned to TxnType=Invoice with TxnId=%s", inv.DocNumber, other.id), "DocNumber")
	}
	return nil
}

func docNumberOwner(c *company, doc, self string) *invoiceEntry {
	for _, e := range c.invoices {
		if e.id != self && sameName(e.docNumber, doc) {
			return e
		}
	}
	return nil
}

// allocate splits a discount over parts in proportion to their amounts,
// each share rounded to cents and the last taking the remainder.
func allocate(disc decimal.Decimal, parts []decimal.Decimal) []decimal.Decimal {
	out := make([]decimal.Decimal, len(parts))
	total := decimal.Zero
	for _, p := range parts {
		total = total.Add(p)
	}
	if disc.IsZero() || total.IsZero() {
		return out
	}
	left := disc
	for i, p := range parts {
		if i == len(parts)-1 {
			out[i] = left
			break
		}
		out[i] = round2(disc.Mul(p).Div(total))
		left = left.Sub(out[i])
	}
	return out
}

// ukTax computes non-US tax: per tax rate, on the sum of the amounts of the
// lines at that rate (less their share of any discount), never per line.
// An explicit TaxLine amount in the request replaces the computed one, as a
// user's override of the tax does, and the difference is reported as the
// TaxLineDetail's OverrideDeltaAmount (Finance.xsd).
func ukTax(sales []Line, lineRates [][]*TaxRate, subtotal, disc decimal.Decimal, inclusive bool, req *txnTaxIn) (decimal.Decimal, []TaxLine, *qbFault) {
	groups, byRate := taxGroups(sales, lineRates)
	parts := make([]decimal.Decimal, len(groups))
	for i, g := range groups {
		parts[i] = g.net
	}
	for i, share := range allocate(disc, parts) {
		groups[i].net = groups[i].net.Sub(share)
		groups[i].gross = groups[i].gross.Sub(share)
	}
	hundred := decimal.NewFromInt(100)
	for _, g := range groups {
		pct := g.rate.RateValue.Decimal
		if inclusive {
			g.tax = round2(g.gross.Mul(pct).Div(hundred.Add(pct)))
		} else {
			g.tax = round2(g.net.Mul(pct).Div(hundred))
		}
	}
	if f := overrideTax(byRate, req); f != nil {
		return decimal.Zero, nil, f
	}
	total := decimal.Zero
	lines := make([]TaxLine, 0, len(groups))
	for _, g := range groups {
		total = total.Add(g.tax)
		tld := TaxLineDetail{TaxRateRef: Ref{Value: g.rate.ID, Name: g.rate.Name}, PercentBased: true,
			TaxPercent: g.rate.RateValue, NetAmountTaxable: sandbox.AmountOf(g.net)}
		if g.delta != nil {
			d := sandbox.AmountOf(*g.delta)
			tld.OverrideDeltaAmount = &d
		}
		lines = append(lines, TaxLine{Amount: sandbox.AmountOf(g.tax), DetailType: "TaxLineDetail", TaxLineDetail: tld})
	}
	return total, lines, nil
}

// taxGroups gathers the sales lines by tax rate, in the order the rates first appear.
func taxGroups(sales []Line, lineRates [][]*TaxRate) ([]*taxGroup, map[string]*taxGroup) {
	var groups []*taxGroup
	byRate := map[string]*taxGroup{}
	hundred := decimal.NewFromInt(100)
	for i, l := range sales {
		for _, tr := range lineRates[i] {
			g := byRate[tr.ID]
			if g == nil {
				g = &taxGroup{rate: tr}
				byRate[tr.ID] = g
				groups = append(groups, g)
			}
			g.net = g.net.Add(l.Amount.Decimal)
			gross := l.Amount.Decimal.Mul(hundred.Add(tr.RateValue.Decimal)).Div(hundred)
			if d := l.SalesItemLineDetail; d != nil && d.TaxInclusiveAmt != nil {
				gross = d.TaxInclusiveAmt.Decimal
			}
			g.gross = g.gross.Add(gross)
			g.lines++
		}
	}
	return groups, byRate
}

// overrideTax applies the request's explicit TaxLine amounts to the groups of their rates,
// keeping each difference from the computed tax.
func overrideTax(byRate map[string]*taxGroup, req *txnTaxIn) *qbFault {
	if req == nil {
		return nil
	}
	for _, tl := range req.TaxLine {
		if tl.Amount == nil || tl.TaxLineDetail == nil {
			continue
		}
		g := byRate[tl.TaxLineDetail.TaxRateRef.Value]
		if g == nil {
			return businessError("TaxLine TaxRateRef " + tl.TaxLineDetail.TaxRateRef.Value + " is not the tax rate of any line on this invoice.")
		}
		if d := round2(tl.Amount.Decimal).Sub(g.tax); !d.IsZero() {
			g.delta = &d
		}
		g.tax = round2(tl.Amount.Decimal)
	}
	return nil
}
