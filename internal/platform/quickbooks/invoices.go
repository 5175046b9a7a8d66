package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
	"github.com/booksync/booksync/internal/platform"
)

// QuickBooks' limits on invoices.
const (
	maxDocNumber   = 21
	maxDescription = 4000
	// maxUnitPriceDecimals is the precision of a unit price booksync derives from a line amount.
	// QuickBooks stores unit prices with 7 decimals (its own UI writes that many).
	maxUnitPriceDecimals = 7
	invoicePageSize      = 100
)

// PushInvoices looks up by DocNumber every invoice that MaybeExists (an earlier push may have
// created it); those QuickBooks already has are Matched, with QuickBooks' totals, and the rest
// are created through the batch endpoint, 30 a request. A first push skips the look-up. Item
// codes are resolved to QuickBooks items (by Sku, then Name) once per call; a line whose item,
// account or tax code does not exist fails its invoice before any call creates it.
//
// How booksync's invoice is written (see the package documentation for why):
//   - each line's Amount is booksync's LineAmount (net of tax for an inclusive invoice, whose
//     gross goes to TaxInclusiveAmt), with a UnitPrice such that Qty × UnitPrice = Amount
//     exactly; when no such price exists with 7 decimals, the line is sent as Qty 1 at Amount and
//     its description says the real quantity, price and discount;
//   - TxnTaxDetail carries booksync's tax: TotalTax, and outside US sales tax a TaxLine per
//     TaxRate with the lines' taxable net and tax, so QuickBooks books booksync's figures;
//   - Result.Totals are QuickBooks' own: Total = TotalAmt, Tax = TxnTaxDetail.TotalTax,
//     Subtotal = TotalAmt − TotalTax.
//
// When the returned error is non-nil, results is either nil or has one result per invoice, as for
// PushContacts.
func (c *Client) PushInvoices(ctx context.Context, invoices []platform.Invoice) ([]platform.Result, error) {
	results := make([]platform.Result, len(invoices))
	for i, inv := range invoices {
		results[i].Ref = inv.Ref
		switch {
		case len([]rune(inv.Number)) > maxDocNumber:
			results[i].Err = precheck("invoice_number_too_long", "DocNumber", "Invoice number too long for QuickBooks (at most 21 characters)", "Shorten the invoice's document_id to 21 characters or fewer, then push again.")
		case inv.ContactID == "":
			results[i].Err = precheck("contact_not_synced", "CustomerRef", "Customer not yet in QuickBooks: the invoice has no QuickBooks customer", "Push the counterpart first; booksync does this before its invoices, so this is a booksync bug if it persists.")
		case len(inv.Lines) == 0:
			results[i].Err = precheck("invoice_has_no_lines", "Line", "Invoice has no lines: QuickBooks requires at least one", "Add a line item to the invoice in booksync, then push again.")
		}
	}
	var numbers []string
	for i, inv := range invoices {
		if results[i].Err == nil && inv.Number != "" && inv.MaybeExists {
			numbers = append(numbers, inv.Number)
		}
	}
	found := map[string]wireInvoice{}
	if len(numbers) > 0 {
		var err error
		if found, err = c.findInvoices(ctx, numbers); err != nil {
			return nil, err
		}
	}
	var todo []int
	for i, inv := range invoices {
		if results[i].Err != nil {
			continue
		}
		if w, ok := found[strings.ToLower(inv.Number)]; ok && inv.Number != "" {
			results[i] = invoiceResult(inv.Ref, w, inv.Currency)
			results[i].Matched = true
			if voided(w) && inv.Expected.Total != 0 && results[i].Err == nil {
				results[i].Err = precheck("invoice_voided", "DocNumber",
					"Invoice voided in QuickBooks: an invoice with this number exists there but is voided",
					"Give the invoice a new number in booksync to push it again, or leave it voided if that was intended.")
			}
			continue
		}
		todo = append(todo, i)
	}

	refs, err := c.invoiceRefs(ctx, invoices, todo)
	if err != nil {
		return nil, err
	}
	var pending []int
	var ids []string
	var objs []json.RawMessage
	for _, i := range todo {
		w, perr := refs.invoiceToWire(invoices[i])
		if perr != nil {
			results[i].Err = perr
			continue
		}
		pending = append(pending, i)
		ids = append(ids, invoices[i].IdempotencyRef())
		objs = append(objs, mustMarshal(w))
	}
	done, err := c.createBatch(ctx, "invoice", "Invoice", ids, objs, func(k int, o outcome) {
		i := pending[k]
		r := &results[i]
		if o.err != nil {
			r.Err = o.err
			return
		}
		var w wireInvoice
		if err := json.Unmarshal(o.raw, &w); err != nil {
			r.Err = unexpected(err, true)
			return
		}
		if w.Id == "" {
			r.Err = notReported()
			return
		}
		*r = invoiceResult(r.Ref, w, invoices[i].Currency)
	})
	if err != nil {
		failRest(results, pending, done, err)
	}
	return results, err
}

// voided reports whether QuickBooks voided w: it keeps the invoice with zero amounts and a
// "Voided" memo.
func voided(w wireInvoice) bool {
	return (w.TotalAmt == "" || decimalOrZero(w.TotalAmt).IsZero()) && strings.HasPrefix(w.PrivateNote, "Voided")
}

// invoiceResult reports a created or matched invoice with the totals QuickBooks computed.
func invoiceResult(ref string, w wireInvoice, currency string) platform.Result {
	r := platform.Result{Ref: ref, PlatformID: w.Id, UpdatedAt: updatedAt(w.MetaData)}
	if cur := refValue(w.CurrencyRef); cur != "" {
		currency = cur
	}
	t, err := totals(w, currency)
	if err != nil {
		// The invoice exists; only its totals cannot be compared, which the user must look at.
		r.Err = &platform.Error{Class: platform.NeedsUserAction, Code: "totals_unreadable",
			Message: "Invoice totals from QuickBooks cannot be read in " + currency + " minor units", Err: err}
		return r
	}
	r.Totals = &t
	return r
}

// totals converts TotalAmt and TxnTaxDetail.TotalTax to minor units, exactly. QuickBooks reports
// no subtotal that excludes tax for every tax mode, so Subtotal is TotalAmt − TotalTax.
func totals(w wireInvoice, currency string) (platform.Totals, error) {
	var t platform.Totals
	var err error
	if t.Total, err = minor(w.TotalAmt, currency); err != nil {
		return t, err
	}
	if w.TxnTaxDetail != nil {
		if t.Tax, err = minor(w.TxnTaxDetail.TotalTax, currency); err != nil {
			return t, err
		}
	}
	t.Subtotal = t.Total - t.Tax
	return t, nil
}

// invoiceRefs holds what a call's invoices refer to: items by code and tax codes with their rates
// (both read once per client, see Client), and accounts by code (once per call).
type invoiceRefs struct {
	items    map[string]wireItem // by lower-cased item code
	accounts *accounts
	ctx      context.Context
	// taxRates holds, per tax code Id, its sales rates; nil when no line needs them (US tax).
	taxRates map[string][]taxShare
}

// taxShare is one TaxRate of a tax code.
type taxShare struct {
	rateID string
	value  decimal.Decimal // percent
}

// invoiceRefs reads the items and tax codes the invoices at indexes todo refer to.
func (c *Client) invoiceRefs(ctx context.Context, invoices []platform.Invoice, todo []int) (*invoiceRefs, error) {
	x := &invoiceRefs{items: map[string]wireItem{}, accounts: &accounts{c: c}, ctx: ctx}
	var codes []string
	seen := map[string]bool{}
	needTax := false
	for _, i := range todo {
		for _, l := range invoices[i].Lines {
			if l.ItemCode != "" && !seen[strings.ToLower(l.ItemCode)] {
				seen[strings.ToLower(l.ItemCode)] = true
				codes = append(codes, l.ItemCode)
			}
			if l.TaxCode != "" && l.TaxCode != TaxableCode && l.TaxCode != NonTaxableCode {
				needTax = true
			}
		}
	}
	codes = c.cachedItems(codes, x.items)
	if len(codes) > 0 {
		bySku, _, err := c.findItems(ctx, codes, nil)
		if err != nil {
			return nil, err
		}
		var rest []string
		for _, code := range codes {
			if w, ok := bySku[strings.ToLower(code)]; ok {
				x.items[strings.ToLower(code)] = w
			} else {
				rest = append(rest, code)
			}
		}
		if len(rest) > 0 {
			// Items created or matched by name carry their code as Sku only when booksync made
			// them; an item the user made has the code as its name at best.
			_, byName, err := c.findItems(ctx, nil, rest)
			if err != nil {
				return nil, err
			}
			for _, code := range rest {
				if w, ok := byName[strings.ToLower(code)]; ok {
					x.items[strings.ToLower(code)] = w
				}
			}
		}
		c.cacheItems(x.items)
	}
	if needTax {
		taxCodes, rates, err := c.cachedTaxCodes(ctx)
		if err != nil {
			return nil, err
		}
		x.taxRates = map[string][]taxShare{}
		for _, tc := range taxCodes {
			if !active(tc.Active) || tc.SalesTaxRateList == nil {
				continue
			}
			var shares []taxShare
			for _, d := range tc.SalesTaxRateList.TaxRateDetail {
				id := refValue(d.TaxRateRef)
				shares = append(shares, taxShare{rateID: id, value: decimalOrZero(rates[id].RateValue)})
			}
			if len(shares) > 0 {
				x.taxRates[tc.Id] = shares
			}
		}
	}
	return x, nil
}

// cachedItems puts the items of codes this client has looked up already into items, and returns
// the codes still to look up.
func (c *Client) cachedItems(codes []string, items map[string]wireItem) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rest []string
	for _, code := range codes {
		if w, ok := c.items[strings.ToLower(code)]; ok {
			items[strings.ToLower(code)] = w
		} else {
			rest = append(rest, code)
		}
	}
	return rest
}

// cacheItems keeps the items found by code for the rest of the client's life (one push): an
// item found once is not looked up again for the next batch.
func (c *Client) cacheItems(items map[string]wireItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]wireItem{}
	}
	for code, w := range items {
		c.items[code] = w
	}
}

// decimalOrZero parses a JSON number, zero when it is empty or malformed.
func decimalOrZero(n json.Number) decimal.Decimal {
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return decimal.Zero
	}
	return d
}

// taxGroup sums one TaxRate's share of an invoice.
type taxGroup struct {
	rateID  string
	percent decimal.Decimal
	net     int64
	tax     int64
}

// invoiceToWire builds the invoice to create, or the error that keeps it from being sent.
func (x *invoiceRefs) invoiceToWire(inv platform.Invoice) (wireInvoice, error) {
	w := wireInvoice{DocNumber: inv.Number, TxnDate: inv.Date, DueDate: inv.DueDate,
		CustomerRef: ref(inv.ContactID), CurrencyRef: ref(inv.Currency),
		PrivateNote: truncate(inv.Reference, maxDescription), GlobalTaxCalculation: "TaxExcluded"}
	us := automatedSalesTax(inv)
	if inv.Inclusive && !us {
		w.GlobalTaxCalculation = "TaxInclusive"
	}
	taxed, taxableLine := false, false
	var totalTax int64
	var groups []*taxGroup
	byRate := map[string]*taxGroup{}
	for n, l := range inv.Lines {
		field := fmt.Sprintf("Line[%d]", n)
		wl, err := x.lineToWire(l, inv, field)
		if err != nil {
			return w, err
		}
		w.Line = append(w.Line, wl)
		totalTax += l.TaxAmount
		net := l.LineAmount
		if inv.Inclusive {
			net -= l.TaxAmount
		}
		switch l.TaxCode {
		case "":
			continue
		case TaxableCode:
			taxed, taxableLine = true, true
			continue
		case NonTaxableCode:
			taxed = true
			continue
		}
		taxed = true
		shares, ok := x.taxRates[l.TaxCode]
		if !ok {
			return w, precheck("tax_rate_not_found", field+".SalesItemLineDetail.TaxCodeRef",
				fmt.Sprintf("Tax rate does not exist in QuickBooks: no active sales tax code has id %q", l.TaxCode),
				"Activate the tax code in QuickBooks, or set accounting_tax_rate_id on booksync's tax rate to one of the company's tax codes (GET /accounting_tax_rates), then push again.")
		}
		weights := make([]decimal.Decimal, len(shares))
		for k, s := range shares {
			weights[k] = s.value
		}
		for k, part := range split(l.TaxAmount, weights) {
			g, ok := byRate[shares[k].rateID]
			if !ok {
				g = &taxGroup{rateID: shares[k].rateID, percent: shares[k].value}
				byRate[g.rateID] = g
				groups = append(groups, g)
			}
			g.net += net
			g.tax += part
		}
	}
	switch {
	case !taxed:
		w.GlobalTaxCalculation = "NotApplicable"
	case us:
		// QuickBooks honours an explicit TotalTax and prorates it over the rates of the tax code
		// automated sales tax assigns for the ship-to address: booksync's tax is booked to the cent
		// whatever that address's rate (see the package documentation). A tax with no taxable
		// line has nothing to be prorated over, and QuickBooks would refuse it.
		if totalTax != 0 && !taxableLine {
			return w, precheck("sales_tax_without_taxable_line", "TxnTaxDetail.TotalTax",
				"Sales tax on an invoice with no taxable line: QuickBooks charges automated sales tax only on taxable (TAX) lines",
				"Map the tax rates of the taxed lines to the Taxable (automated sales tax) rate: clear accounting_tax_rate_id on booksync's tax rate if it names Non-taxable, then push again.")
		}
		w.TxnTaxDetail = &wireTxnTaxDetail{TotalTax: major(totalTax, inv.Currency)}
	default:
		td := &wireTxnTaxDetail{TotalTax: major(totalTax, inv.Currency)}
		for _, g := range groups {
			td.TaxLine = append(td.TaxLine, wireLine{Amount: major(g.tax, inv.Currency), DetailType: "TaxLineDetail",
				TaxLineDetail: &wireTaxLineDetail{TaxRateRef: ref(g.rateID), PercentBased: true,
					TaxPercent: decimalNumber(g.percent), NetAmountTaxable: major(g.net, inv.Currency)}})
		}
		w.TxnTaxDetail = td
	}
	return w, nil
}

// automatedSalesTax reports whether the invoice is for a company with US automated sales tax:
// its lines carry the pseudo codes TAX and NON (TaxRates offers no other there).
func automatedSalesTax(inv platform.Invoice) bool {
	for _, l := range inv.Lines {
		if l.TaxCode == TaxableCode || l.TaxCode == NonTaxableCode {
			return true
		}
	}
	return false
}

// lineToWire builds one sales line; see PushInvoices for how amounts are represented.
func (x *invoiceRefs) lineToWire(l platform.InvoiceLine, inv platform.Invoice, field string) (wireLine, error) {
	cur := inv.Currency
	amount := l.LineAmount
	if inv.Inclusive {
		amount = l.LineAmount - l.TaxAmount
	}
	d := &wireSalesItemLineDetail{TaxCodeRef: ref(l.TaxCode)}
	if l.ItemCode != "" {
		it, ok := x.items[strings.ToLower(l.ItemCode)]
		if !ok {
			return wireLine{}, precheck("item_not_found", field+".SalesItemLineDetail.ItemRef",
				fmt.Sprintf("Item does not exist in QuickBooks: no active item has code %q", l.ItemCode),
				"Push the product again so booksync creates the item in QuickBooks, or make it active in QuickBooks, then push the invoice again.")
		}
		d.ItemRef = &wireRef{Value: it.Id, Name: it.Name}
	} else if l.AccountCode != "" {
		a, ok, err := x.accounts.resolve(x.ctx, l.AccountCode)
		if err != nil {
			return wireLine{}, err
		}
		if !ok {
			return wireLine{}, accountMissing(field+".SalesItemLineDetail.ItemAccountRef", l.AccountCode)
		}
		d.ItemAccountRef = ref(a.Id)
	}
	if inv.Inclusive && !automatedSalesTax(inv) {
		d.TaxInclusiveAmt = major(l.LineAmount, cur)
	}
	desc := l.Description
	price, exact := unitPrice(amount, l.Quantity, cur)
	if exact {
		d.Qty, d.UnitPrice = decimalNumber(l.Quantity), decimalNumber(price)
	} else {
		d.Qty, d.UnitPrice = "1", major(amount, cur)
		note := fmt.Sprintf("%s × %s", l.Quantity.String(), money.FormatMinor(l.UnitAmount, cur))
		if l.DiscountAmount != 0 {
			note += ", less " + money.FormatMinor(l.DiscountAmount, cur) + " discount"
		}
		desc = strings.TrimSpace(desc + " (" + note + ")")
	}
	return wireLine{Description: truncate(desc, maxDescription), Amount: major(amount, cur),
		DetailType: "SalesItemLineDetail", SalesItemLineDetail: d}, nil
}

// unitPrice returns the unit price, in major units, at which qty units come to amount (minor
// units of currency) exactly, and whether there is one with at most 7 decimals.
func unitPrice(amount int64, qty decimal.Decimal, currency string) (decimal.Decimal, bool) {
	exp, ok := money.Exponent(currency)
	if !ok {
		exp = 2
	}
	amt := decimal.New(amount, int32(-exp))
	if qty.IsZero() {
		return decimal.Zero, amount == 0
	}
	p := amt.DivRound(qty, maxUnitPriceDecimals)
	return p, p.Mul(qty).Equal(amt)
}

// split divides total (minor units) among weights in proportion, by largest remainder, so the
// parts add up to total exactly. Zero weights all round give everything to the first part.
func split(total int64, weights []decimal.Decimal) []int64 {
	parts := make([]int64, len(weights))
	if len(weights) == 0 {
		return parts
	}
	sum := decimal.Zero
	for _, w := range weights {
		sum = sum.Add(w.Abs())
	}
	if sum.IsZero() || len(weights) == 1 {
		parts[0] = total
		return parts
	}
	t := decimal.NewFromInt(total)
	left := total
	type rem struct {
		i int
		r decimal.Decimal
	}
	rems := make([]rem, len(weights))
	for i, w := range weights {
		exact := t.Mul(w.Abs()).Div(sum)
		parts[i] = exact.Truncate(0).IntPart()
		left -= parts[i]
		rems[i] = rem{i, exact.Sub(decimal.NewFromInt(parts[i])).Abs()}
	}
	step := int64(1)
	if left < 0 {
		step = -1
	}
	for left != 0 {
		best := -1
		for k, r := range rems {
			if r.i >= 0 && (best < 0 || r.r.GreaterThan(rems[best].r)) {
				best = k
			}
		}
		parts[rems[best].i] += step
		rems[best].i = -1
		left -= step
	}
	return parts
}

// findInvoices looks invoices up by DocNumber and returns them by lower-cased number; a voided
// one gives way to one that is not.
func (c *Client) findInvoices(ctx context.Context, numbers []string) (map[string]wireInvoice, error) {
	var quoted []string
	for _, n := range numbers {
		if q, ok := quote(n); ok {
			quoted = append(quoted, q)
		}
	}
	out := map[string]wireInvoice{}
	for _, list := range inChunks(quoted, lookupValues, lookupLength) {
		rows, err := queryAll[wireInvoice](ctx, c, "Invoice", "DocNumber in "+list)
		if err != nil {
			return nil, err
		}
		for _, w := range rows {
			k := strings.ToLower(w.DocNumber)
			if prev, ok := out[k]; !ok || (voided(prev) && !voided(w)) {
				out[k] = w
			}
		}
	}
	return out, nil
}

// Invoices reads a page (100) of invoices, those changed after q.ModifiedSince when it is set and
// only q.Numbers when given.
func (c *Client) Invoices(ctx context.Context, q platform.InvoiceQuery) ([]booksync.RemoteInvoice, error) {
	page := max(q.Page, 1)
	var conds []string
	if !q.ModifiedSince.IsZero() {
		conds = append(conds, "MetaData.LastUpdatedTime > '"+q.ModifiedSince.UTC().Format(time.RFC3339)+"'")
	}
	if len(q.Numbers) > 0 {
		var quoted []string
		for _, n := range q.Numbers {
			if v, ok := quote(n); ok {
				quoted = append(quoted, v)
			}
		}
		if len(quoted) == 0 {
			return []booksync.RemoteInvoice{}, nil
		}
		conds = append(conds, "DocNumber in ("+strings.Join(quoted, ",")+")")
	}
	rows, err := queryPage[wireInvoice](ctx, c, "Invoice", strings.Join(conds, " and "), (page-1)*invoicePageSize+1, invoicePageSize)
	if err != nil {
		return nil, err
	}
	out := make([]booksync.RemoteInvoice, 0, len(rows))
	for _, w := range rows {
		ri, err := c.remoteInvoice(ctx, w)
		if err != nil {
			return nil, err
		}
		out = append(out, ri)
	}
	return out, nil
}

// Invoice reads one invoice by QuickBooks' Id. QuickBooks' ids are digits, so any other id names
// no invoice: it is not found, without asking QuickBooks (which would answer it as rejected
// data, not as a missing invoice).
func (c *Client) Invoice(ctx context.Context, id string) (booksync.RemoteInvoice, error) {
	if !isID(id) {
		return booksync.RemoteInvoice{}, &platform.Error{Class: platform.NeedsUserAction, Status: http.StatusNotFound, Code: "not_found",
			Message: fmt.Sprintf("Not found in QuickBooks: %q is not a QuickBooks invoice id, which is digits", id)}
	}
	var env struct {
		Invoice *wireInvoice `json:"Invoice"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/invoice/" + url.PathEscape(id)}, "", &env); err != nil {
		return booksync.RemoteInvoice{}, err
	}
	if env.Invoice == nil {
		return booksync.RemoteInvoice{}, classifyResponse(response{status: http.StatusNotFound}, false, "")
	}
	return c.remoteInvoice(ctx, *env.Invoice)
}

// isID reports whether id has the form of a QuickBooks entity Id: 1 to 20 ASCII digits.
func isID(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// remoteInvoice maps QuickBooks' invoice; amounts become minor units of its currency (the home
// currency when it names none). Status is derived, as QuickBooks has none: PAID when nothing is
// due, VOIDED when voided, else AUTHORISED (Xero's words, which the engine already knows).
// RemoteLine.LineAmount is in the invoice's tax terms (gross when inclusive) and TaxAmount is
// known only for inclusive lines, as QuickBooks reports tax per invoice, not per line.
func (c *Client) remoteInvoice(ctx context.Context, w wireInvoice) (booksync.RemoteInvoice, error) {
	cur := refValue(w.CurrencyRef)
	if cur == "" {
		p, err := c.preferences(ctx, false)
		if err != nil {
			return booksync.RemoteInvoice{}, err
		}
		if p.CurrencyPrefs != nil {
			cur = refValue(p.CurrencyPrefs.HomeCurrency)
		}
	}
	ri := booksync.RemoteInvoice{ID: w.Id, Number: w.DocNumber, ContactID: refValue(w.CustomerRef), Currency: cur,
		Date: w.TxnDate, DueDate: w.DueDate, Reference: w.PrivateNote, Inclusive: w.GlobalTaxCalculation == "TaxInclusive",
		UpdatedAt: updatedAt(w.MetaData)}
	if w.CustomerRef != nil {
		ri.ContactName = w.CustomerRef.Name
	}
	bad := func(err error) (booksync.RemoteInvoice, error) {
		return booksync.RemoteInvoice{}, unexpected(fmt.Errorf("invoice %s: %w", w.Id, err), false)
	}
	t, err := totals(w, cur)
	if err != nil {
		return bad(err)
	}
	ri.Totals = booksync.InvoiceTotals(t)
	if ri.AmountDue, err = minor(w.Balance, cur); err != nil {
		return bad(err)
	}
	ri.AmountPaid = ri.Totals.Total - ri.AmountDue
	switch {
	case voided(w):
		ri.Status = "VOIDED"
	case ri.AmountDue == 0 && ri.Totals.Total != 0:
		ri.Status = "PAID"
	default:
		ri.Status = "AUTHORISED"
	}
	for _, l := range w.Line {
		if l.DetailType != "SalesItemLineDetail" || l.SalesItemLineDetail == nil {
			continue
		}
		d := l.SalesItemLineDetail
		rl := booksync.RemoteLine{Description: l.Description, Quantity: decimalOrZero(d.Qty), UnitAmount: decimalOrZero(d.UnitPrice),
			AccountCode: refValue(d.ItemAccountRef), TaxCode: refValue(d.TaxCodeRef)}
		if rl.LineAmount, err = minor(l.Amount, cur); err != nil {
			return bad(err)
		}
		if ri.Inclusive && d.TaxInclusiveAmt != "" {
			gross, err := minor(d.TaxInclusiveAmt, cur)
			if err != nil {
				return bad(err)
			}
			rl.TaxAmount, rl.LineAmount = gross-rl.LineAmount, gross
		}
		ri.Lines = append(ri.Lines, rl)
	}
	return ri, nil
}
