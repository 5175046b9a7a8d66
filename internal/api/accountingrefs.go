package api

import (
	"context"
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
// from another entity's books, or one the books no longer have, would only fail at the push. It
// reports every bad id at once as a 422. Without connected books there is nothing to check
// against, and the push checks the ids when it runs.
func (s *Server) checkAccountingRefs(ctx context.Context, entityID string, refs []accountingRef) error {
	if len(refs) == 0 {
		return nil
	}
	conns, err := s.store.Connections(ctx, entityID)
	if err != nil {
		return err
	}
	connected := false
	for i := range conns {
		if conns[i].IsActive() && conns[i].HasPulledBooks() {
			connected = true
		}
	}
	if !connected {
		return nil
	}
	var bad []booksync.FieldError
	for _, ref := range refs {
		msg, err := s.accountingRefProblem(ctx, entityID, ref)
		if err != nil {
			return err
		}
		if msg != "" {
			bad = append(bad, booksync.FieldError{Loc: ref.loc, Msg: msg, Type: "value_error"})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &booksync.Error{Code: booksync.EVALIDATION, Message: bad[0].Msg, Fields: bad}
}

func (s *Server) accountingRefProblem(ctx context.Context, entityID string, ref accountingRef) (string, error) {
	id := strings.ToLower(ref.id)
	if ref.kind == refTaxRate {
		t, err := s.store.AccountingTaxRate(ctx, entityID, id)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			return "Tax rate " + ref.id + " is not one of this entity's tax rates in its connected books; list them with GET /accounting_tax_rates.", nil
		} else if err != nil {
			return "", err
		}
		if why := booksync.TaxRateUnusable(t); why != "" {
			return "Tax rate " + ref.id + " (" + t.Name + ") " + why + "; choose an active one from GET /accounting_tax_rates.", nil
		}
		return "", nil
	}
	a, err := s.store.LedgerAccount(ctx, entityID, id)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return "Ledger account " + ref.id + " is not one of this entity's ledger accounts in its connected books; list them with GET /ledger_accounts.", nil
	} else if err != nil {
		return "", err
	}
	if why := booksync.LedgerAccountUnusable(a, ref.kind == refPaymentsAccount); why != "" {
		return "Ledger account " + ref.id + " (" + a.Name + ") " + why + "; choose another from GET /ledger_accounts.", nil
	}
	return "", nil
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
