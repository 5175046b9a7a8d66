package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/booksync/booksync"
)

// accountingRefKind is what an id in a request must name in the entity's connected books.
type accountingRefKind int

const (
	refLedgerAccount accountingRefKind = iota
	refPaymentsAccount
	refTaxRate
)

// accountingRef is one id of a ledger account or accounting tax rate in a request.
type accountingRef struct {
	kind accountingRefKind
	loc  []any
	id   string
}

// checkAccountingRefs checks that every id names one of the entity's own pulled ledger accounts
// or tax rates, usable where it is named, when the entity's books are connected and pulled: an id
// from another entity's books, one the books no longer have, or one the push would refuse
// (booksync.LedgerAccountUnusable, booksync.TaxRateUnusable) would only fail at the push, and a
// line's would leave an issued invoice that can only be canceled. It reports every bad id at once
// as a 422 naming the field, why, and the ids that would do. Without connected books there is
// nothing to check against, and the push checks the ids when it runs.
func (s *Server) checkAccountingRefs(ctx context.Context, entityID string, refs []accountingRef) error {
	if len(refs) == 0 {
		return nil
	}
	rates, accounts, err := s.pulledBooks(ctx, entityID)
	if err != nil || rates == nil && accounts == nil {
		return err
	}
	var bad []booksync.FieldError
	for _, ref := range refs {
		if msg := accountingRefProblem(ref, rates, accounts); msg != "" {
			bad = append(bad, booksync.FieldError{Loc: ref.loc, Msg: msg, Type: "value_error"})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &booksync.Error{Code: booksync.EVALIDATION, Message: bad[0].Msg, Fields: bad}
}

// pulledBooks returns the tax rates and ledger accounts pulled from the entity's books, none when
// its books are not connected and pulled.
func (s *Server) pulledBooks(ctx context.Context, entityID string) ([]booksync.AccountingTaxRate, []booksync.LedgerAccount, error) {
	conns, err := s.store.Connections(ctx, entityID)
	if err != nil {
		return nil, nil, err
	}
	for i := range conns {
		if conns[i].IsActive() && conns[i].HasPulledBooks() {
			return s.store.Pulled(ctx, entityID)
		}
	}
	return nil, nil, nil
}

// checkLineRateKinds refuses lines whose accounting_tax_rate_id is a rate of the entity's pulled
// books for another kind of sale than the line's VAT rate says (booksync.TaxRateKindUnfit: a
// reverse-charged line on a domestic rate, an export on a reverse-charge one), as the push would
// refuse it: a 422 naming each line's field, why, and the rates that fit. Lines without a VAT rate
// kind, and entities whose books are not pulled, have nothing to check.
func (s *Server) checkLineRateKinds(ctx context.Context, rec *booksync.Receivable, at func(...any) []any) error {
	need := false
	for _, l := range rec.LineItems {
		need = need || l.AccountingTaxRateID != nil && l.VatRateKind != ""
	}
	if !need {
		return nil
	}
	rates, _, err := s.pulledBooks(ctx, rec.EntityID)
	if err != nil {
		return err
	}
	var bad []booksync.FieldError
	for i, l := range rec.LineItems {
		if l.AccountingTaxRateID == nil || l.VatRateKind == "" {
			continue
		}
		for j := range rates {
			if rates[j].ID != *l.AccountingTaxRateID {
				continue
			}
			if why := booksync.TaxRateKindUnfit(l, &rates[j]); why != "" {
				loc := at("line_items", i, "accounting_tax_rate_id")
				bad = append(bad, booksync.FieldError{Loc: loc, Type: "value_error",
					Msg: fmt.Sprintf("%s: line %d %s; use %s, or leave it out to take the books' rate for the sale.",
						fieldName(loc), i+1, why, booksync.KindRateChoices(l, rates))})
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &booksync.Error{Code: booksync.EVALIDATION, Message: bad[0].Msg, Fields: bad}
}

// accountingRefProblem says what is wrong with the id a request names, "" when nothing is.
func accountingRefProblem(ref accountingRef, rates []booksync.AccountingTaxRate, accounts []booksync.LedgerAccount) string {
	id, field := strings.ToLower(ref.id), fieldName(ref.loc)
	if ref.kind == refTaxRate {
		use := "; use " + booksync.SalesRateChoices(rates, nil) + "."
		for i := range rates {
			if rates[i].ID != id {
				continue
			}
			if why := booksync.TaxRateUnusable(&rates[i]); why != "" {
				return field + ": tax rate " + ref.id + " (" + rates[i].Name + ") " + why + ", and a sale needs an active sales rate" + use
			}
			return ""
		}
		return field + ": tax rate " + ref.id + " is not one of this entity's tax rates in its connected books" + use
	}
	use, choices := booksync.ForSales, booksync.SalesAccountChoices(accounts)
	if ref.kind == refPaymentsAccount {
		use, choices = booksync.ForPayments, booksync.PaymentAccountChoices(accounts)
	}
	for i := range accounts {
		if accounts[i].ID != id {
			continue
		}
		if why := booksync.LedgerAccountUnusable(&accounts[i], use); why != "" {
			return field + ": ledger account " + ref.id + " (" + accounts[i].Name + ") " + why + "; use " + choices + "."
		}
		return ""
	}
	return field + ": ledger account " + ref.id + " is not one of this entity's ledger accounts in its connected books; use " + choices + "."
}

// fieldName names a request field for people: ["body", "line_items", 0, "accounting_tax_rate_id"]
// is "line_items[0].accounting_tax_rate_id".
func fieldName(loc []any) string {
	var b strings.Builder
	for i, p := range loc {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if i == 0 && p == "body" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// settingsRefs returns the accounting ids a settings PATCH sets (null clears and is not checked),
// and writes them back in lower case, the form booksync gives pulled ids and pushes look them up by.
func settingsRefs(patch map[string]any) []accountingRef {
	acc, _ := patch["accounting"].(map[string]any)
	var refs []accountingRef
	add := func(group, key string, kind accountingRefKind) {
		g, _ := acc[group].(map[string]any)
		if id, ok := g[key].(string); ok {
			g[key] = strings.ToLower(id)
			refs = append(refs, accountingRef{kind, []any{"body", "accounting", group, key}, id})
		}
	}
	add("ledger_account_ids", "products", refLedgerAccount)
	add("ledger_account_ids", "payments", refPaymentsAccount)
	add("tax_ids", "deductions", refTaxRate)
	return refs
}

// lineRefs returns the accounting ids of request lines: an inline product's ledger account and
// the line's accounting tax rate. A catalog product's account was checked when it was set.
func lineRefs(lines []lineInput, loc []any) []accountingRef {
	var refs []accountingRef
	at := func(i int, field ...any) []any { return append(append(append([]any{}, loc...), i), field...) }
	for i, li := range lines {
		if li.Product != nil && li.Product.LedgerAccountID != nil {
			refs = append(refs, accountingRef{refLedgerAccount, at(i, "product", "ledger_account_id"), *li.Product.LedgerAccountID})
		}
		if li.AccountingTaxRateID != nil {
			refs = append(refs, accountingRef{refTaxRate, at(i, "accounting_tax_rate_id"), *li.AccountingTaxRateID})
		}
	}
	return refs
}
