package booksync

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// InvoicePlan is what pushing an invoice needs beyond the invoice itself: for each line the
// accounting tax rate and ledger account to use, and for a deduction its tax rate. It is resolved
// from booksync's data and what was pulled from the books, before any call to them.
type InvoicePlan struct {
	Lines     []LinePlan
	Deduction *DeductionPlan
}

// LinePlan is the tax rate and ledger account of one invoice line.
type LinePlan struct {
	TaxRate       AccountingTaxRate
	LedgerAccount LedgerAccount
}

// DeductionPlan is an invoice's deduction, pushed as a line of its own.
type DeductionPlan struct {
	Amount        int64
	Memo          string
	TaxRate       AccountingTaxRate
	LedgerAccount LedgerAccount
}

// Codes of push failures that the user must fix (the status of a synced record's errors).
const (
	CodeLedgerAccountNotSet     = "ledger_account_not_set"
	CodeLedgerAccountNotFound   = "ledger_account_not_found"
	CodeLedgerAccountNotUsable  = "ledger_account_not_usable"
	CodeTaxRateNotFound         = "tax_rate_not_found"
	CodeTaxRateNotForSales      = "tax_rate_not_for_sales"
	CodeTaxRateMismatch         = "tax_rate_mismatch"
	CodeDeductionTaxRateNotSet  = "deduction_tax_rate_not_set"
	CodePaymentAccountNotSet    = "payment_ledger_account_not_set"
	CodeTotalsMismatch          = "totals_mismatch"
	CodeCustomerNotPushed       = "customer_not_pushed"
	CodeProductNotPushed        = "product_not_pushed"
	CodeInvoiceNotPushable      = "invoice_not_pushable"
	CodeIssuedBeforeConnection  = "issued_before_connection"
	CodeRetriesExhausted        = "retries_exhausted"
	CodeConnectionDeauthorized  = "connection_deauthorized"
	CodePaymentInvoiceNotPushed = "invoice_not_pushed"
	// CodeBooksDisagree: booksync and the books hold facts about an object that no rule reconciles
	// (canceled here, paid there); neither side is changed until a person decides.
	CodeBooksDisagree = "books_disagree"
	// CodeTaxRateKindMismatch: a line's accounting_tax_rate_id is a rate for another kind of sale
	// than the line's VAT rate (a reverse-charged line on a domestic rate, a domestic line on a
	// reverse-charge rate), which would put the sale in the wrong boxes of the VAT return.
	CodeTaxRateKindMismatch = "tax_rate_kind_mismatch"
)

const pushAgain = "then push the record again with POST /accounting_synced_records/{id}/push."

// PlanOptions says what the connected accounting system does with an invoice booksync sends.
type PlanOptions struct {
	// System names the accounting system in messages ("GnuCash").
	System string
	// TaxAsSent reports that the system books the tax amounts booksync sends (Xero's line
	// TaxAmount, QuickBooks' TxnTaxDetail). Otherwise it computes tax from the rate itself
	// (GnuCash), so a line whose accounting_tax_rate_id has another rate than the line would be
	// booked with another tax than the invoice's.
	TaxAsSent bool
}

// PlanInvoicePush applies Monite's rules for pushing an issued invoice:
//
//  1. every line's product (catalog or inline) has a ledger_account_id, or the entity setting
//     accounting.ledger_account_ids.products is set; the account must be an active account of
//     the connected books that takes sales (LedgerAccountUnusable); a line whose catalog product
//     was deleted (CatalogDeleted) and whose copied account the books refuse uses the setting;
//  2. every line's tax rate has an accounting tax rate with the same value, unless the line names
//     one with accounting_tax_rate_id, which always wins; it must be an active sales rate of the
//     connected books, and where the books compute tax from the rate (opts.TaxAsSent false), of
//     the line's value, since the books would otherwise hold another tax than the invoice, and of
//     the kind of sale the line's VAT rate says (TaxRateKindUnfit: a reverse-charged line on a
//     reverse-charge rate, never a domestic line on one);
//  3. an invoice with a deduction has accounting.tax_ids.deductions set, to an active rate of the
//     connected books.
//
// It reports every failed rule at once, so that one round of fixes is enough, and each fix
// names the setting or endpoint to change and the ids that would do.
//
// When several accounting tax rates have a line's value, the choice is deterministic: only active
// rates usable on sales count; among them a rate whose name equals the line's tax_rate_name wins;
// for a 0% line, a rate named or coded as zero-rated wins over exempt and no-tax rates (a sale
// charged at 0% is zero-rated unless the line says otherwise); then the lowest code. In books that
// compute sales tax themselves (QuickBooks' automated sales tax, whose taxable code is an
// automated rate, see AccountingTaxRate.Automated), any non-zero rate maps to that taxable code,
// and booksync's tax amount is sent for the accounting system to book.
func PlanInvoicePush(r *Receivable, s Settings, rates []AccountingTaxRate, accounts []LedgerAccount, opts PlanOptions) (InvoicePlan, *SyncError) {
	var plan InvoicePlan
	var details []SyncErrorDetail
	var codes []string
	fail := func(code string, d SyncErrorDetail) {
		codes = append(codes, code)
		details = append(details, d)
	}
	if opts.System == "" {
		opts.System = "the accounting system"
	}
	// The books' accounts and rates are looked up by id only for the few lines of an invoice:
	// a scan costs less than a map built for each invoice.
	accountByID := func(id string) (LedgerAccount, bool) {
		for _, a := range accounts {
			if a.ID == id {
				return a, true
			}
		}
		return LedgerAccount{}, false
	}
	rateByID := func(id string) (AccountingTaxRate, bool) {
		for _, t := range rates {
			if t.ID == id {
				return t, true
			}
		}
		return AccountingTaxRate{}, false
	}
	var defaultProducts *string
	if s.Accounting != nil && s.Accounting.LedgerAccountIDs != nil {
		defaultProducts = s.Accounting.LedgerAccountIDs.Products
	}
	// accountProblem returns the account of an id, and says why a line cannot be booked to it,
	// with the code of the failure; "" when it can.
	accountProblem := func(id string) (LedgerAccount, string, string) {
		a, ok := accountByID(id)
		switch {
		case !ok:
			return a, "does not exist in the connected books", CodeLedgerAccountNotFound
		case a.Status != "Active":
			return a, LedgerAccountUnusable(&a, ForSales), CodeLedgerAccountNotFound
		}
		if why := LedgerAccountUnusable(&a, ForSales); why != "" {
			return a, "(" + a.Name + ") " + why, CodeLedgerAccountNotUsable
		}
		return a, "", ""
	}
	// accountChoices is what a fix offers to set an account to, worked out for the first fix
	// that needs it.
	choices := ""
	accountChoices := func() string {
		if choices == "" {
			choices = SalesAccountChoices(accounts)
		}
		return choices
	}
	for i, l := range r.LineItems {
		field := fmt.Sprintf("line_items[%d]", i)
		var lp LinePlan
		accID, fromDefault := l.Product.LedgerAccountID, false
		message := fmt.Sprintf("Ledger account is not set for line %d (%s)", i+1, l.Product.Name)
		if accID != nil && l.Product.CatalogDeleted {
			// The catalog product is gone, so the line's copy of its account can no longer be
			// changed; where the books refuse that account, the entity default, which can be, applies.
			if _, why, _ := accountProblem(*accID); why != "" {
				message = fmt.Sprintf("Ledger account %s %s (line %d, %s, whose product was deleted) and accounting.ledger_account_ids.products is not set", *accID, why, i+1, l.Product.Name)
				accID = nil
			}
		}
		if accID == nil {
			accID, fromDefault = defaultProducts, true
		}
		const setDefault = "Set the entity default accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings)"
		switch {
		case accID == nil:
			fix := fmt.Sprintf("Set ledger_account_id on product %s (PATCH /products/%s), or set the entity default accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings), to %s; %s",
				l.Product.ID, l.Product.ID, accountChoices(), pushAgain)
			switch {
			case l.Product.IsInline:
				// An issued invoice's inline product cannot change, so the default is the fix.
				fix = setDefault + " to " + accountChoices() + " (an issued invoice's inline product cannot change); " + pushAgain
			case l.Product.CatalogDeleted:
				fix = setDefault + " to " + accountChoices() + fmt.Sprintf(" (product %s was deleted, so its line is booked to the default); ", l.Product.ID) + pushAgain
			}
			fail(CodeLedgerAccountNotSet, SyncErrorDetail{Field: field + ".product.ledger_account_id", Message: message, Fix: fix})
		default:
			a, state, code := accountProblem(*accID)
			if state == "" {
				lp.LedgerAccount = a
				break
			}
			where, fix := field+".product.ledger_account_id", fmt.Sprintf("Set ledger_account_id on product %s (PATCH /products/%s) to %s; %s", l.Product.ID, l.Product.ID, accountChoices(), pushAgain)
			switch {
			case fromDefault:
				where, fix = "settings.accounting.ledger_account_ids.products", "Set accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings) to "+accountChoices()+"; "+pushAgain
			case l.Product.IsInline:
				fix = newInvoice(r.ID, fmt.Sprintf("line_items[%d].product.ledger_account_id is %s, or left out to use accounting.ledger_account_ids.products", i, accountChoices()))
			}
			fail(code, SyncErrorDetail{Field: where,
				Message: fmt.Sprintf("Ledger account %s %s (line %d, %s)", *accID, state, i+1, l.Product.Name),
				Fix:     fix})
		}
		if l.AccountingTaxRateID != nil {
			id := *l.AccountingTaxRateID
			t, ok := rateByID(id)
			override := fmt.Sprintf("line_items[%d].accounting_tax_rate_id is ", i)
			switch {
			case !ok || t.Status != "Active":
				fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate does not exist: accounting_tax_rate_id %s of line %d is not an active tax rate of the connected books", id, i+1),
					Fix:     newInvoice(r.ID, override+SalesRateChoices(rates, nil)+", or left out to match the line's rate by value")})
			case TaxRateUnusable(&t) != "":
				fail(CodeTaxRateNotForSales, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate %s (%s) %s; a line needs a sales rate (line %d)", t.Name, id, TaxRateUnusable(&t), i+1),
					Fix:     newInvoice(r.ID, override+SalesRateChoices(rates, nil)+", or left out to match the line's rate by value")})
			case TaxRateKindUnfit(l, &t) != "":
				fail(CodeTaxRateKindMismatch, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate does not fit the sale: line %d (%s) %s", i+1, l.Product.Name, TaxRateKindUnfit(l, &t)),
					Fix:     newInvoice(r.ID, override+KindRateChoices(l, rates)+", or left out to take the books' rate for the sale")})
			case !opts.TaxAsSent && !t.Automated() && t.EffectiveTaxRate != l.TaxRateValue:
				value := l.TaxRateValue
				choice := SalesRateChoices(rates, &value)
				if len(salesRates(rates, &value)) > 0 {
					choice += fmt.Sprintf(" (or a %s sales rate created in %s and pulled with POST /accounting_connections/{connection_id}/sync)", Percent(value), opts.System)
				}
				fail(CodeTaxRateMismatch, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate differs: line %d (%s) is taxed at %s but its accounting_tax_rate_id %s is %s (%s), and %s computes tax from the rate, so it would book another tax than the invoice",
						i+1, l.Product.Name, Percent(l.TaxRateValue), id, t.Name, Percent(t.EffectiveTaxRate), opts.System),
					Fix: newInvoice(r.ID, override+choice+", or left out to match the line's rate by value")})
			default:
				lp.TaxRate = t
			}
		} else if t, ok := MatchLineTaxRate(l, rates); ok {
			lp.TaxRate = t
		} else if l.VatRateKind == VATRateReverseCharge {
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".vat_rate_id",
				Message: fmt.Sprintf("Tax rate does not exist: no active reverse-charge sales tax rate in the connected books for line %d (%s), which is reverse-charged (a sale to a business with a VAT id in another EU member state)", i+1, l.Product.Name),
				Fix: fmt.Sprintf("Create a 0%% reverse-charge sales tax rate in %s (with \"reverse charge\" in its name; in Xero a UK organisation's Zero Rated EC Services or Goods Income) and pull it with POST /accounting_connections/{connection_id}/sync; %s",
					opts.System, pushAgain)})
		} else {
			has := "it has no sales tax rate yet"
			if len(salesRates(rates, nil)) > 0 {
				has = "its sales tax rates are " + strings.TrimPrefix(SalesRateChoices(rates, nil), "one of: ")
			}
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".tax_rate_value",
				Message: fmt.Sprintf("Tax rate does not exist: no active sales tax rate of %s in the connected books (line %d, %s)", Percent(l.TaxRateValue), i+1, l.Product.Name),
				Fix: fmt.Sprintf("Create a %s sales tax rate in %s (%s) and pull it with POST /accounting_connections/{connection_id}/sync; %s",
					Percent(l.TaxRateValue), opts.System, has, pushAgain)})
		}
		plan.Lines = append(plan.Lines, lp)
	}
	if r.DeductionAmount != nil && *r.DeductionAmount > 0 {
		var taxID *string
		if s.Accounting != nil && s.Accounting.TaxIDs != nil {
			taxID = s.Accounting.TaxIDs.Deductions
		}
		t, ok := AccountingTaxRate{}, false
		if taxID != nil {
			t, ok = rateByID(*taxID)
		}
		fix := "Set accounting.tax_ids.deductions (PATCH /entities/{entity_id}/settings) to " + SalesRateChoices(rates, nil) + "; " + pushAgain
		switch {
		case taxID == nil:
			fail(CodeDeductionTaxRateNotSet, SyncErrorDetail{Field: "deduction_amount",
				Message: "Deduction tax rate is not set: the invoice has a deduction but accounting.tax_ids.deductions is not set",
				Fix:     fix})
		case !ok || t.Status != "Active":
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: "settings.accounting.tax_ids.deductions",
				Message: fmt.Sprintf("Tax rate does not exist: the deductions tax rate %s (accounting.tax_ids.deductions) is not an active tax rate of the connected books", *taxID),
				Fix:     fix})
		case TaxRateUnusable(&t) != "":
			fail(CodeTaxRateNotForSales, SyncErrorDetail{Field: "settings.accounting.tax_ids.deductions",
				Message: fmt.Sprintf("Tax rate %s (%s) %s; accounting.tax_ids.deductions needs a sales rate", t.Name, *taxID, TaxRateUnusable(&t)),
				Fix:     fix})
		default:
			d := &DeductionPlan{Amount: *r.DeductionAmount, TaxRate: t}
			if r.DeductionMemo != nil {
				d.Memo = *r.DeductionMemo
			}
			// The deduction is booked to the first line's account: it reduces that sale.
			if len(plan.Lines) > 0 {
				d.LedgerAccount = plan.Lines[0].LedgerAccount
			}
			plan.Deduction = d
		}
	}
	if len(details) > 0 {
		return plan, NewSyncError(codes, details)
	}
	return plan, nil
}

// newInvoice is the fix for a line an issued invoice holds wrong: issued lines cannot change and
// a canceled invoice cannot be issued again, so the user cancels it and issues a new one whose
// line is right (want says how), and the new invoice's own record is pushed.
func newInvoice(id, want string) string {
	return fmt.Sprintf("Issued lines cannot change: cancel the invoice (POST /receivables/%s/cancel) and create and issue a new one"+
		" (POST /receivables, then POST /receivables/{new_id}/issue) whose %s; the new invoice's record is pushed automatically.", id, want)
}

// choicesShown bounds the ids a fix lists; GET /ledger_accounts and GET /accounting_tax_rates
// list them all.
const choicesShown = 8

// SalesAccountChoices completes a fix's "set ... to": "one of: Sales (id), Services (id)", the
// active income accounts (LedgerAccountTypeIncome) of the connected books that take sales, or,
// when they have none, what to create. Other accounts the books take are not refused, but
// booking a sale to an expense, equity or liability account is not a fix to suggest.
func SalesAccountChoices(accounts []LedgerAccount) string {
	var ok []LedgerAccount
	for _, a := range accounts {
		if a.Type == LedgerAccountTypeIncome && LedgerAccountUnusable(&a, ForSales) == "" {
			ok = append(ok, a)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].Name < ok[j].Name })
	names := make([]string, len(ok))
	for i, a := range ok {
		names[i] = fmt.Sprintf("%s (%s)", a.Name, a.ID)
	}
	return choiceList(names, "GET /ledger_accounts", "an income account")
}

// PaymentAccountChoices completes a fix's "set ... to": "one of: Business Bank Account (id), ...",
// the active accounts of the connected books that take payments (bank accounts first), or, when
// they have none, what to create.
func PaymentAccountChoices(accounts []LedgerAccount) string {
	var ok []LedgerAccount
	for _, a := range accounts {
		if LedgerAccountUnusable(&a, ForPayments) == "" {
			ok = append(ok, a)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if ok[i].IsBank != ok[j].IsBank {
			return ok[i].IsBank
		}
		return ok[i].Name < ok[j].Name
	})
	names := make([]string, len(ok))
	for i, a := range ok {
		names[i] = fmt.Sprintf("%s (%s)", a.Name, a.ID)
	}
	return choiceList(names, "GET /ledger_accounts", "a bank account")
}

// salesRates returns the active sales tax rates of the connected books, only those of a value
// when value is set, by name.
func salesRates(rates []AccountingTaxRate, value *int64) []AccountingTaxRate {
	var ok []AccountingTaxRate
	for _, t := range rates {
		if TaxRateUnusable(&t) == "" && (value == nil || t.EffectiveTaxRate == *value) {
			ok = append(ok, t)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].Name < ok[j].Name })
	return ok
}

// SalesRateChoices completes a fix's "set ... to": "one of: VAT 20% (id, 20%), ...", the active
// sales tax rates of the connected books, only those of a value when value is set, or, when they
// have none, what to create.
func SalesRateChoices(rates []AccountingTaxRate, value *int64) string {
	ok := salesRates(rates, value)
	names := make([]string, len(ok))
	for i, t := range ok {
		rate := Percent(t.EffectiveTaxRate)
		if t.Automated() {
			rate = "computed by the books"
		}
		names[i] = fmt.Sprintf("%s (%s, %s)", t.Name, t.ID, rate)
	}
	what := "a sales tax rate"
	if value != nil {
		what = "a " + Percent(*value) + " sales tax rate"
	}
	return choiceList(names, "GET /accounting_tax_rates", what)
}

// choiceList reads after "to" or "is" in a fix: the choices, or, when there are none, what kind of
// id is needed and how to get one.
func choiceList(names []string, list, what string) string {
	switch {
	case len(names) == 0:
		return what + ", once the connected books have one (create it there, then pull them with POST /accounting_connections/{connection_id}/sync)"
	case len(names) > choicesShown:
		return "one of: " + strings.Join(names[:choicesShown], ", ") + fmt.Sprintf(" and %d more (%s)", len(names)-choicesShown, list)
	}
	return "one of: " + strings.Join(names, ", ")
}

// NewSyncError builds a record's errors from its causes: the first cause's code is the status,
// and the message is the first cause, with a count of the others.
func NewSyncError(codes []string, details []SyncErrorDetail) *SyncError {
	msg := details[0].Message
	if len(details) > 1 {
		msg += fmt.Sprintf(" (and %d more problem", len(details)-1)
		if len(details) > 2 {
			msg += "s"
		}
		msg += ")"
	}
	return &SyncError{Status: codes[0], Message: msg, Details: details}
}

// AutomatedTaxRate is the effective (and total) rate the API gives a tax code whose rate the
// accounting system computes itself (QuickBooks' "TAX" code under automated sales tax): not a
// percentage. Code asks AccountingTaxRate.Automated rather than compare with it.
const AutomatedTaxRate = -1

// Automated reports a tax code whose rate the accounting system computes itself for each invoice
// (QuickBooks' "TAX" code under automated sales tax): it has no single value, and stands for
// every non-zero rate of booksync's.
func (t AccountingTaxRate) Automated() bool { return t.EffectiveTaxRate == AutomatedTaxRate }

// MatchTaxRate finds the accounting tax rate for a line's tax value (percent minor units), with
// the deterministic rule documented on PlanInvoicePush, for a line of no particular VAT kind.
func MatchTaxRate(value int64, name *string, rates []AccountingTaxRate) (AccountingTaxRate, bool) {
	return MatchLineTaxRate(LineItem{TaxRateValue: value, TaxRateName: name}, rates)
}

// MatchLineTaxRate finds the accounting tax rate of an invoice line, with the deterministic rule
// documented on PlanInvoicePush and the line's VAT kind (LineItem.VatRateKind):
//   - a reverse-charged line takes only a 0% reverse-charge rate of the books (Kind
//     VATRateReverseCharge: Xero's ECZROUTPUTSERVICES and ECZROUTPUT, QuickBooks' EC codes, a GnuCash
//     tax table named for it), the one for services when the line's product is a service, else
//     the one for goods; booked as plain zero-rated, the sale would sit in the wrong boxes of the
//     VAT return;
//   - an export line prefers a 0% export rate (Kind VATRateExport), else any zero-rated one;
//   - any other line never takes a reverse-charge rate.
func MatchLineTaxRate(l LineItem, rates []AccountingTaxRate) (AccountingTaxRate, bool) {
	value, name, kind := l.TaxRateValue, l.TaxRateName, l.VatRateKind
	usable := func(t AccountingTaxRate) bool {
		if t.Status != "Active" || !t.Revenue {
			return false
		}
		if kind == VATRateReverseCharge {
			return t.Kind == VATRateReverseCharge && t.EffectiveTaxRate == value
		}
		return t.Kind != VATRateReverseCharge
	}
	var c []AccountingTaxRate
	for _, t := range rates {
		if usable(t) && t.EffectiveTaxRate == value {
			c = append(c, t)
		}
	}
	if len(c) == 0 && value > 0 {
		for _, t := range rates {
			if usable(t) && t.Automated() {
				c = append(c, t)
			}
		}
	}
	if len(c) == 0 {
		return AccountingTaxRate{}, false
	}
	service := l.Product.Type == ProductTypeService
	rank := func(t AccountingTaxRate) int {
		n := strings.ToLower(t.Name + " " + t.Code)
		switch {
		case name != nil && strings.EqualFold(t.Name, *name):
			return 0
		case kind == VATRateReverseCharge && forServices(n) == service:
			return 1
		case kind == VATRateExport && t.Kind == VATRateExport:
			return 1
		case kind != VATRateReverseCharge && value == 0 && strings.Contains(n, "zero"):
			return 2
		case kind != VATRateExport && t.Kind == VATRateExport:
			return 4 // a domestic 0% sale is not an export
		}
		return 3
	}
	sort.SliceStable(c, func(i, j int) bool {
		if ri, rj := rank(c[i]), rank(c[j]); ri != rj {
			return ri < rj
		}
		return c[i].Code < c[j].Code
	})
	return c[0], true
}

// TaxRateKindUnfit says why an accounting tax rate a line names (accounting_tax_rate_id) would book
// the line as another kind of sale than its VAT rate (LineItem.VatRateKind) says, "" when it fits.
// A reverse-charged line needs a 0% reverse-charge rate of the books; an export line a 0% rate that
// is not for reverse charge (an export rate, or a plain zero rate where the books have no export
// rate, as a UK organisation's Zero Rated Income); a domestic line (standard, reduced, or an entity
// not registered for VAT) neither a reverse-charge nor an export rate. Booked on a rate of another
// kind, the sale lands in the wrong boxes of the VAT return (or, where the books book the tax sent
// on the rate, as a taxable sale with no tax), whatever its amounts. Whatever its kind, a line that
// charges tax never fits a 0% rate, nor a line that charges none a rate that charges tax (unless the
// books compute the tax): the books would report VAT charged on a zero-rated or exempt sale, or the
// other way round. Apart from that, a line with no VAT rate kind (its rate given by tax_rate_value)
// names its rate for a reason booksync does not know, so its override wins.
func TaxRateKindUnfit(l LineItem, t *AccountingTaxRate) string {
	is := fmt.Sprintf("its accounting_tax_rate_id %s is %s (%s", t.ID, t.Name, Percent(t.EffectiveTaxRate))
	if t.Automated() {
		is = fmt.Sprintf("its accounting_tax_rate_id %s is %s (computed by the books", t.ID, t.Name)
	}
	switch l.VatRateKind {
	case "":
		return taxedUnfit(l, t, is)
	case VATRateReverseCharge:
		if t.Kind == VATRateReverseCharge && t.EffectiveTaxRate == 0 {
			return ""
		}
		return "is reverse-charged (a sale to a business with a VAT id in another EU member state, which accounts for the VAT), but " +
			is + "), not a 0% reverse-charge rate"
	case VATRateExport:
		switch {
		case t.Kind == VATRateReverseCharge:
			return "is an export, but " + is + "), a rate for sales reverse-charged to a business in another EU member state"
		case t.EffectiveTaxRate != 0 || t.Automated():
			return "is an export, charged no VAT, but " + is + "), a rate that charges tax"
		}
		return ""
	}
	switch t.Kind {
	case VATRateReverseCharge:
		return fmt.Sprintf("is a domestic sale (VAT rate of kind %s), but %s), a rate for sales reverse-charged to a business in another EU member state", l.VatRateKind, is)
	case VATRateExport:
		return fmt.Sprintf("is a domestic sale (VAT rate of kind %s), but %s), a rate for exports", l.VatRateKind, is)
	}
	return taxedUnfit(l, t, is)
}

// taxedUnfit says why a domestic line (or one with no VAT rate kind) does not fit a rate that charges
// tax when the line charges none, or the other way round, "" when both do or neither does, or the
// books compute the tax themselves. is names the rate, as TaxRateKindUnfit words it.
func taxedUnfit(l LineItem, t *AccountingTaxRate, is string) string {
	switch {
	case t.Automated() || (t.EffectiveTaxRate == 0) == (l.TaxRateValue == 0):
		return ""
	case l.TaxRateValue == 0:
		return "charges no tax, but " + is + "), a rate that charges tax"
	}
	return fmt.Sprintf("charges %s tax, but %s), a rate that charges none", Percent(l.TaxRateValue), is)
}

// KindRateChoices completes a fix's "is": "one of: ...", the active sales tax rates of the
// connected books that fit the line's kind of sale (TaxRateKindUnfit) and value, or, when they have
// none, what to create.
func KindRateChoices(l LineItem, rates []AccountingTaxRate) string {
	var names []string
	for _, t := range salesRates(rates, nil) {
		if TaxRateKindUnfit(l, &t) == "" && (t.EffectiveTaxRate == l.TaxRateValue || t.Automated() && l.TaxRateValue > 0) {
			names = append(names, fmt.Sprintf("%s (%s, %s)", t.Name, t.ID, Percent(t.EffectiveTaxRate)))
		}
	}
	what := "a " + Percent(l.TaxRateValue) + " sales tax rate"
	switch l.VatRateKind {
	case VATRateReverseCharge:
		what = "a 0% reverse-charge sales tax rate (with \"reverse charge\" in its name)"
	case VATRateExport:
		what = "a 0% export or zero-rated sales tax rate"
	}
	return choiceList(names, "GET /accounting_tax_rates", what)
}

// forServices reports whether a reverse-charge rate, by its lower-case name and code, is the one for
// services ("Zero Rated EC Services", ECZROUTPUTSERVICES, QuickBooks' "0.0% ECS") rather than goods.
func forServices(n string) bool {
	return strings.Contains(n, "servic") || slices.Contains(strings.Fields(n), "ecs")
}

// Percent formats a rate in percent minor units for people: 2000 is "20%", 1250 "12.5%".
func Percent(v int64) string {
	s := fmt.Sprintf("%d.%02d", v/100, v%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
