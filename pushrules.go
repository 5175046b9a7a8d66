package booksync

import (
	"fmt"
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
//     the connected books that takes sales (not a placeholder, a bank or a receivables account);
//  2. every line's tax rate has an accounting tax rate with the same value, unless the line names
//     one with accounting_tax_rate_id, which always wins; it must be an active sales rate of the
//     connected books, and where the books compute tax from the rate (opts.TaxAsSent false), of
//     the line's value, since the books would otherwise hold another tax than the invoice;
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
// compute sales tax themselves (QuickBooks' automated sales tax, whose taxable code has the
// effective rate AutomatedTaxRate), any non-zero rate maps to that taxable code, and booksync's tax
// amount is sent for the accounting system to book.
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
	accountByID := map[string]LedgerAccount{}
	for _, a := range accounts {
		accountByID[a.ID] = a
	}
	rateByID := map[string]AccountingTaxRate{}
	for _, t := range rates {
		rateByID[t.ID] = t
	}
	var defaultProducts *string
	if s.Accounting != nil && s.Accounting.LedgerAccountIDs != nil {
		defaultProducts = s.Accounting.LedgerAccountIDs.Products
	}
	for i, l := range r.LineItems {
		field := fmt.Sprintf("line_items[%d]", i)
		var lp LinePlan
		accID, fromDefault := l.Product.LedgerAccountID, false
		if accID == nil {
			accID, fromDefault = defaultProducts, true
		}
		switch {
		case accID == nil:
			fix := fmt.Sprintf("Set ledger_account_id on product %s (PATCH /products/%s), or set the entity default accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings)", l.Product.ID, l.Product.ID)
			if l.Product.IsInline {
				// An issued invoice's inline product cannot change, so the default is the fix.
				fix = "Set the entity default accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings); an issued invoice's inline product cannot change"
			}
			fail(CodeLedgerAccountNotSet, SyncErrorDetail{Field: field + ".product.ledger_account_id",
				Message: fmt.Sprintf("Ledger account is not set for line %d (%s)", i+1, l.Product.Name),
				Fix:     fix + ", to one of: " + SalesAccountChoices(accounts) + "; " + pushAgain})
		default:
			a, ok := accountByID[*accID]
			var state, code string
			switch {
			case !ok:
				state, code = "does not exist in the connected books", CodeLedgerAccountNotFound
			case a.Status != "Active":
				state, code = "is archived in the connected books", CodeLedgerAccountNotFound
			case a.SalesRefusal != "":
				state, code = fmt.Sprintf("(%s) cannot take sales: %s", a.Name, a.SalesRefusal), CodeLedgerAccountNotUsable
			}
			if state == "" {
				lp.LedgerAccount = a
				break
			}
			where, fix := field+".product.ledger_account_id", fmt.Sprintf("Set ledger_account_id on product %s (PATCH /products/%s)", l.Product.ID, l.Product.ID)
			switch {
			case fromDefault:
				where, fix = "settings.accounting.ledger_account_ids.products", "Set accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings)"
			case l.Product.IsInline:
				fix = "Set accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings) and cancel and reissue the invoice without the inline product's ledger_account_id"
			}
			fail(code, SyncErrorDetail{Field: where,
				Message: fmt.Sprintf("Ledger account %s %s (line %d, %s)", *accID, state, i+1, l.Product.Name),
				Fix:     fix + " to one of: " + SalesAccountChoices(accounts) + "; " + pushAgain})
		}
		if l.AccountingTaxRateID != nil {
			id := *l.AccountingTaxRateID
			t, ok := rateByID[id]
			reissue := fmt.Sprintf("Issued lines cannot change: cancel the invoice (POST /receivables/%s/cancel) and issue it again with line_items[%d].accounting_tax_rate_id set to one of: ", r.ID, i)
			switch {
			case !ok || t.Status != "Active":
				fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate does not exist: accounting_tax_rate_id %s of line %d is not an active tax rate of the connected books", id, i+1),
					Fix:     reissue + SalesRateChoices(rates, nil) + ", or without it to match the line's rate by value; " + pushAgain})
			case !t.Revenue:
				fail(CodeTaxRateNotForSales, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate %s (%s) is for purchases only; choose a sales rate: %s (line %d)", t.Name, id, SalesRateChoices(rates, nil), i+1),
					Fix:     reissue + SalesRateChoices(rates, nil) + "; " + pushAgain})
			case !opts.TaxAsSent && t.EffectiveTaxRate != AutomatedTaxRate && t.EffectiveTaxRate != l.TaxRateValue:
				value := l.TaxRateValue
				fail(CodeTaxRateMismatch, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate differs: line %d (%s) is taxed at %s but its accounting_tax_rate_id %s is %s (%s), and %s computes tax from the rate, so it would book another tax than the invoice",
						i+1, l.Product.Name, Percent(l.TaxRateValue), id, t.Name, Percent(t.EffectiveTaxRate), opts.System),
					Fix: reissue + SalesRateChoices(rates, &value) + fmt.Sprintf(" (or create a %s sales rate in %s and pull it with POST /accounting_connections/{connection_id}/sync), or without it to match by value; ", Percent(value), opts.System) + pushAgain})
			default:
				lp.TaxRate = t
			}
		} else if t, ok := MatchTaxRate(l.TaxRateValue, l.TaxRateName, rates); ok {
			lp.TaxRate = t
		} else {
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".tax_rate_value",
				Message: fmt.Sprintf("Tax rate does not exist: no active sales tax rate of %s in the connected books (line %d, %s)", Percent(l.TaxRateValue), i+1, l.Product.Name),
				Fix: fmt.Sprintf("Create a %s tax rate in %s and pull it (POST /accounting_connections/{connection_id}/sync); the sales rates it has are: %s; %s",
					Percent(l.TaxRateValue), opts.System, SalesRateChoices(rates, nil), pushAgain)})
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
			t, ok = rateByID[*taxID]
		}
		switch {
		case taxID == nil:
			fail(CodeDeductionTaxRateNotSet, SyncErrorDetail{Field: "deduction_amount",
				Message: "Deduction tax rate is not set: the invoice has a deduction but accounting.tax_ids.deductions is not set",
				Fix:     "Set accounting.tax_ids.deductions (PATCH /entities/{entity_id}/settings) to one of: " + SalesRateChoices(rates, nil) + "; " + pushAgain})
		case !ok || t.Status != "Active":
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: "settings.accounting.tax_ids.deductions",
				Message: fmt.Sprintf("Tax rate does not exist: the deductions tax rate %s (accounting.tax_ids.deductions) is not an active tax rate of the connected books", *taxID),
				Fix:     "Set accounting.tax_ids.deductions (PATCH /entities/{entity_id}/settings) to one of: " + SalesRateChoices(rates, nil) + "; " + pushAgain})
		case !t.Revenue:
			fail(CodeTaxRateNotForSales, SyncErrorDetail{Field: "settings.accounting.tax_ids.deductions",
				Message: fmt.Sprintf("Tax rate %s (%s) is for purchases only; choose a sales rate for accounting.tax_ids.deductions: %s", t.Name, *taxID, SalesRateChoices(rates, nil)),
				Fix:     "Set accounting.tax_ids.deductions (PATCH /entities/{entity_id}/settings) to one of: " + SalesRateChoices(rates, nil) + "; " + pushAgain})
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

// choicesShown bounds the ids a fix lists; GET /ledger_accounts and GET /accounting_tax_rates
// list them all.
const choicesShown = 8

// SalesAccountChoices lists, for a fix, the active accounts of the connected books that take
// sales, income accounts first: "Sales (id), Services (id)".
func SalesAccountChoices(accounts []LedgerAccount) string {
	var ok []LedgerAccount
	for _, a := range accounts {
		if a.Status == "Active" && a.SalesRefusal == "" && !a.IsBank {
			ok = append(ok, a)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if ii, ij := ok[i].Type == "Income", ok[j].Type == "Income"; ii != ij {
			return ii
		}
		return ok[i].Name < ok[j].Name
	})
	names := make([]string, len(ok))
	for i, a := range ok {
		names[i] = fmt.Sprintf("%s (%s)", a.Name, a.ID)
	}
	return choiceList(names, "GET /ledger_accounts")
}

// PaymentAccountChoices lists, for a fix, the active accounts of the connected books that take
// payments (bank accounts first): "Business Bank Account (id), ...".
func PaymentAccountChoices(accounts []LedgerAccount) string {
	var ok []LedgerAccount
	for _, a := range accounts {
		if a.Status == "Active" && a.PaymentsAllowed {
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
	return choiceList(names, "GET /ledger_accounts")
}

// SalesRateChoices lists, for a fix, the active sales tax rates of the connected books, only
// those of a value when value is set: "VAT 20% (id, 20%), ...".
func SalesRateChoices(rates []AccountingTaxRate, value *int64) string {
	var ok []AccountingTaxRate
	for _, t := range rates {
		if t.Status == "Active" && t.Revenue && (value == nil || t.EffectiveTaxRate == *value) {
			ok = append(ok, t)
		}
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].Name < ok[j].Name })
	names := make([]string, len(ok))
	for i, t := range ok {
		rate := Percent(t.EffectiveTaxRate)
		if t.EffectiveTaxRate == AutomatedTaxRate {
			rate = "computed by the books"
		}
		names[i] = fmt.Sprintf("%s (%s, %s)", t.Name, t.ID, rate)
	}
	return choiceList(names, "GET /accounting_tax_rates")
}

func choiceList(names []string, list string) string {
	switch {
	case len(names) == 0:
		return "none in the connected books yet (" + list + " lists what was pulled)"
	case len(names) > choicesShown:
		return strings.Join(names[:choicesShown], ", ") + fmt.Sprintf(" and %d more (%s)", len(names)-choicesShown, list)
	}
	return strings.Join(names, ", ")
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

// AutomatedTaxRate is the effective rate of a tax code whose rate the accounting system computes
// itself (QuickBooks' "TAX" code under automated sales tax): not a percentage.
const AutomatedTaxRate = -1

// MatchTaxRate finds the accounting tax rate for a line's tax value (percent minor units), with
// the deterministic rule documented on PlanInvoicePush.
func MatchTaxRate(value int64, name *string, rates []AccountingTaxRate) (AccountingTaxRate, bool) {
	var c []AccountingTaxRate
	for _, t := range rates {
		if t.Status == "Active" && t.Revenue && t.EffectiveTaxRate == value {
			c = append(c, t)
		}
	}
	if len(c) == 0 && value > 0 {
		for _, t := range rates {
			if t.Status == "Active" && t.Revenue && t.EffectiveTaxRate == AutomatedTaxRate {
				c = append(c, t)
			}
		}
	}
	if len(c) == 0 {
		return AccountingTaxRate{}, false
	}
	rank := func(t AccountingTaxRate) int {
		n := strings.ToLower(t.Name + " " + t.Code)
		switch {
		case name != nil && strings.EqualFold(t.Name, *name):
			return 0
		case value == 0 && strings.Contains(n, "zero"):
			return 1
		}
		return 2
	}
	sort.SliceStable(c, func(i, j int) bool {
		if ri, rj := rank(c[i]), rank(c[j]); ri != rj {
			return ri < rj
		}
		return c[i].Code < c[j].Code
	})
	return c[0], true
}

// Percent formats a rate in percent minor units for people: 2000 is "20%", 1250 "12.5%".
func Percent(v int64) string {
	s := fmt.Sprintf("%d.%02d", v/100, v%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
