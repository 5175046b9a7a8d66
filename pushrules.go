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
	CodeTaxRateNotFound         = "tax_rate_not_found"
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

// PlanInvoicePush applies Monite's rules for pushing an issued invoice:
//
//  1. every line's product (catalog or inline) has a ledger_account_id, or the entity setting
//     accounting.ledger_account_ids.products is set; the account must exist in the books;
//  2. every line's tax rate has an accounting tax rate with the same value, unless the line names
//     one with accounting_tax_rate_id, which always wins;
//  3. an invoice with a deduction has accounting.tax_ids.deductions set.
//
// It reports every failed rule at once, so that one round of fixes is enough.
//
// When several accounting tax rates have a line's value, the choice is deterministic: only active
// rates usable on sales count; among them a rate whose name equals the line's tax_rate_name wins;
// for a 0% line, a rate named or coded as zero-rated wins over exempt and no-tax rates (a sale
// charged at 0% is zero-rated unless the line says otherwise); then the lowest code. In books that
// compute sales tax themselves (QuickBooks' automated sales tax, whose taxable code has the
// effective rate AutomatedTaxRate), any non-zero rate maps to that taxable code, and booksync's tax
// amount is sent for the accounting system to book.
func PlanInvoicePush(r *Receivable, s Settings, rates []AccountingTaxRate, accounts []LedgerAccount) (InvoicePlan, *SyncError) {
	var plan InvoicePlan
	var details []SyncErrorDetail
	var codes []string
	fail := func(code string, d SyncErrorDetail) {
		codes = append(codes, code)
		details = append(details, d)
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
		accID := l.Product.LedgerAccountID
		if accID == nil {
			accID = defaultProducts
		}
		switch {
		case accID == nil:
			fix := fmt.Sprintf("Set ledger_account_id on product %s (PATCH /products/%s)", l.Product.ID, l.Product.ID)
			if l.Product.IsInline {
				fix = "Give the inline product a ledger_account_id"
			}
			fail(CodeLedgerAccountNotSet, SyncErrorDetail{Field: field + ".product.ledger_account_id",
				Message: fmt.Sprintf("Ledger account is not set for line %d (%s)", i+1, l.Product.Name),
				Fix:     fix + ", or set the entity default accounting.ledger_account_ids.products (PATCH /entities/{entity_id}/settings) to an id from GET /ledger_accounts; " + pushAgain})
		default:
			a, ok := accountByID[*accID]
			if !ok || a.Status != "Active" {
				state := "does not exist in the connected books"
				if ok {
					state = "is archived in the connected books"
				}
				fail(CodeLedgerAccountNotFound, SyncErrorDetail{Field: field + ".product.ledger_account_id",
					Message: fmt.Sprintf("Ledger account %s %s (line %d, %s)", *accID, state, i+1, l.Product.Name),
					Fix:     "Use an active account from GET /ledger_accounts (run POST /accounting_connections/{connection_id}/sync first if it was just created); " + pushAgain})
			} else {
				lp.LedgerAccount = a
			}
		}
		if l.AccountingTaxRateID != nil {
			t, ok := rateByID[*l.AccountingTaxRateID]
			if !ok || t.Status != "Active" {
				fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".accounting_tax_rate_id",
					Message: fmt.Sprintf("Tax rate does not exist: accounting_tax_rate_id %s of line %d is not an active tax rate of the connected books", *l.AccountingTaxRateID, i+1),
					Fix:     "Set accounting_tax_rate_id to an id from GET /accounting_tax_rates; " + pushAgain})
			} else {
				lp.TaxRate = t
			}
		} else if t, ok := MatchTaxRate(l.TaxRateValue, l.TaxRateName, rates); ok {
			lp.TaxRate = t
		} else {
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: field + ".tax_rate_value",
				Message: fmt.Sprintf("Tax rate does not exist: no active sales tax rate of %s in the connected books (line %d, %s)", Percent(l.TaxRateValue), i+1, l.Product.Name),
				Fix: fmt.Sprintf("Create a %s tax rate in the accounting system and pull it (POST /accounting_connections/{connection_id}/sync), or set line_items[%d].accounting_tax_rate_id to an id from GET /accounting_tax_rates; %s",
					Percent(l.TaxRateValue), i, pushAgain)})
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
				Fix:     "Set accounting.tax_ids.deductions (PATCH /entities/{entity_id}/settings) to an id from GET /accounting_tax_rates; " + pushAgain})
		case !ok || t.Status != "Active":
			fail(CodeTaxRateNotFound, SyncErrorDetail{Field: "settings.accounting.tax_ids.deductions",
				Message: fmt.Sprintf("Tax rate does not exist: the deductions tax rate %s is not an active tax rate of the connected books", *taxID),
				Fix:     "Set accounting.tax_ids.deductions to an id from GET /accounting_tax_rates; " + pushAgain})
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
