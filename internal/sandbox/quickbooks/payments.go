package quickbooks

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// paymentIn is a payment as a request sends it.
type paymentIn struct {
	TxnDate             string          `json:"TxnDate"`
	CustomerRef         *Ref            `json:"CustomerRef"`
	CurrencyRef         *Ref            `json:"CurrencyRef"`
	DepositToAccountRef *Ref            `json:"DepositToAccountRef"`
	PaymentRefNum       string          `json:"PaymentRefNum"`
	PrivateNote         string          `json:"PrivateNote"`
	TotalAmt            *sandbox.Amount `json:"TotalAmt"`
	Line                []struct {
		Amount    *sandbox.Amount `json:"Amount"`
		LinkedTxn []LinkedTxn     `json:"LinkedTxn"`
	} `json:"Line"`
}

// writePayment creates or deletes a payment; payments are not updated in
// the sandbox (delete and create again instead).
func (s *Sandbox) writePayment(c *company, op, id, token string, raw map[string]json.RawMessage) (any, *qbFault) {
	if op == "update" {
		return nil, unsupported("update Payment (the sandbox supports create and delete)")
	}
	if op == "delete" {
		p := c.payments[id]
		if p == nil {
			return nil, objectNotFound("Id", "Payment "+id)
		}
		if f := checkToken(id, p.SyncToken, token); f != nil {
			return nil, f
		}
		for _, l := range p.Line {
			for _, lt := range l.LinkedTxn {
				if inv := s.invoice(c, lt.TxnID); inv != nil && lt.TxnType == "Invoice" {
					inv.Balance = sandbox.AmountOf(inv.Balance.Add(l.Amount.Decimal))
					inv.LinkedTxn = removeLink(inv.LinkedTxn, id)
					s.touchInvoice(c, inv)
				}
				if cm := c.creditMemos[lt.TxnID]; cm != nil && lt.TxnType == "CreditMemo" {
					cm.Balance = sandbox.AmountOf(cm.Balance.Add(l.Amount.Decimal))
					cm.LinkedTxn = removeLink(cm.LinkedTxn, id)
					s.touchCreditMemo(c, cm)
				}
			}
		}
		delete(c.payments, id)
		s.saveObj(c, "payment", id, nil)
		s.tombstone(c, "Payment", id)
		s.recomputeBalance(c, p.CustomerRef.Value)
		return deleted{Status: "Deleted", Domain: "QBO", ID: id}, nil
	}
	var in paymentIn
	if f := merge(struct{}{}, raw, &in); f != nil {
		return nil, f
	}
	if in.CustomerRef == nil || in.CustomerRef.Value == "" {
		return nil, requiredMissing("CustomerRef")
	}
	cu := c.customers[in.CustomerRef.Value]
	if cu == nil || !cu.Active {
		return nil, objectNotFound("CustomerRef", "Customer "+in.CustomerRef.Value)
	}
	if in.TotalAmt == nil {
		return nil, requiredMissing("TotalAmt")
	}
	if in.TotalAmt.IsNegative() {
		return nil, businessError("TotalAmt must not be negative.")
	}
	cur := c.homeCurrency()
	if cu.CurrencyRef.Value != "" {
		cur = cu.CurrencyRef.Value
	}
	if in.CurrencyRef != nil && in.CurrencyRef.Value != "" && in.CurrencyRef.Value != cur {
		if f := c.currencyProblem(in.CurrencyRef.Value); f != nil {
			return nil, f
		}
		return nil, businessError("The currency of the transaction (" + in.CurrencyRef.Value + ") does not match the customer's currency (" + cur + ").")
	}
	deposit := &Ref{Value: acctUndeposited, Name: "Undeposited Funds"}
	if in.DepositToAccountRef != nil && in.DepositToAccountRef.Value != "" {
		a := c.account(in.DepositToAccountRef.Value)
		if a == nil || !a.Active {
			return nil, invalidReference("DepositToAccountRef", "Account id "+in.DepositToAccountRef.Value+" not found")
		}
		deposit = &Ref{Value: a.ID, Name: a.Name}
	}
	p := &Payment{TxnDate: in.TxnDate, CustomerRef: Ref{Value: cu.ID, Name: cu.DisplayName},
		CurrencyRef: Ref{Value: cur, Name: currencyName(cur)}, DepositToAccountRef: deposit,
		PaymentRefNum: in.PaymentRefNum, PrivateNote: in.PrivateNote, TotalAmt: *in.TotalAmt, Line: []PaymentLine{}}
	if p.TxnDate == "" {
		p.TxnDate = s.now().Format(dateLayout)
	}
	applied := decimal.Zero
	due := map[string]decimal.Decimal{}    // invoice id -> amount this payment applies
	credit := map[string]decimal.Decimal{} // credit memo id -> credit this payment applies
	var invoiceOrder, creditOrder []string
	for i, l := range in.Line {
		el := fmt.Sprintf("Line[%d]", i)
		if l.Amount == nil {
			return nil, requiredMissing(el + ".Amount")
		}
		if !l.Amount.IsPositive() {
			return nil, businessError("A payment line amount must be positive.")
		}
		if len(l.LinkedTxn) != 1 || (l.LinkedTxn[0].TxnType != "Invoice" && l.LinkedTxn[0].TxnType != "CreditMemo") {
			return nil, businessError("Each payment line must link exactly one transaction of TxnType Invoice or CreditMemo (the sandbox supports these).")
		}
		if l.LinkedTxn[0].TxnType == "CreditMemo" {
			cm := c.creditMemos[l.LinkedTxn[0].TxnID]
			if cm == nil {
				return nil, objectNotFound(el+".LinkedTxn", "CreditMemo "+l.LinkedTxn[0].TxnID)
			}
			if cm.CustomerRef.Value != cu.ID {
				return nil, businessError("Credit memo " + cm.ID + " belongs to another customer.")
			}
			if _, ok := credit[cm.ID]; !ok {
				creditOrder = append(creditOrder, cm.ID)
			}
			credit[cm.ID] = credit[cm.ID].Add(l.Amount.Decimal)
			if credit[cm.ID].GreaterThan(cm.Balance.Decimal) {
				return nil, businessError(fmt.Sprintf("The payment applies %s of credit memo %s, whose remaining credit is %s.",
					credit[cm.ID].StringFixed(2), cm.DocNumber, cm.Balance.StringFixed(2)))
			}
			applied = applied.Sub(l.Amount.Decimal)
			p.Line = append(p.Line, PaymentLine{Amount: *l.Amount, LinkedTxn: []LinkedTxn{{TxnID: cm.ID, TxnType: "CreditMemo"}}})
			continue
		}
		inv := s.invoice(c, l.LinkedTxn[0].TxnID)
		if inv == nil {
			return nil, objectNotFound(el+".LinkedTxn", "Invoice "+l.LinkedTxn[0].TxnID)
		}
		if inv.CustomerRef.Value != cu.ID {
			return nil, businessError("Invoice " + inv.ID + " belongs to another customer.")
		}
		if _, ok := due[inv.ID]; !ok {
			invoiceOrder = append(invoiceOrder, inv.ID)
		}
		due[inv.ID] = due[inv.ID].Add(l.Amount.Decimal)
		if due[inv.ID].GreaterThan(inv.Balance.Decimal) {
			return nil, businessError(fmt.Sprintf("The payment applies %s to invoice %s, whose balance is %s.",
				due[inv.ID].StringFixed(2), inv.DocNumber, inv.Balance.StringFixed(2)))
		}
		applied = applied.Add(l.Amount.Decimal)
		p.Line = append(p.Line, PaymentLine{Amount: *l.Amount, LinkedTxn: []LinkedTxn{{TxnID: inv.ID, TxnType: "Invoice"}}})
	}
	if applied.IsNegative() {
		return nil, businessError(fmt.Sprintf("The payment applies %s more credit than it pays invoices.", applied.Neg().StringFixed(2)))
	}
	if applied.GreaterThan(p.TotalAmt.Decimal) {
		return nil, businessError(fmt.Sprintf("The payment lines apply %s, more than TotalAmt %s.", applied.StringFixed(2), p.TotalAmt.StringFixed(2)))
	}
	p.UnappliedAmt = sandbox.AmountOf(p.TotalAmt.Sub(applied))
	p.ID, p.SyncToken, p.MetaData = c.newID("Payment"), "0", newMeta(s.now())
	s.saveMeta(c)
	for _, invID := range invoiceOrder {
		inv := s.invoice(c, invID)
		inv.Balance = sandbox.AmountOf(inv.Balance.Sub(due[invID]))
		inv.LinkedTxn = append(inv.LinkedTxn, LinkedTxn{TxnID: p.ID, TxnType: "Payment"})
		s.touchInvoice(c, inv)
	}
	for _, cmID := range creditOrder {
		cm := c.creditMemos[cmID]
		cm.Balance = sandbox.AmountOf(cm.Balance.Sub(credit[cmID]))
		cm.LinkedTxn = append(cm.LinkedTxn, LinkedTxn{TxnID: p.ID, TxnType: "Payment"})
		s.touchCreditMemo(c, cm)
	}
	c.payments[p.ID] = p
	s.saveObj(c, "payment", p.ID, p)
	s.recomputeBalance(c, cu.ID)
	return p, nil
}

// touchInvoice records a change made to an invoice by another transaction.
func (s *Sandbox) touchInvoice(c *company, inv *Invoice) {
	inv.SyncToken = nextToken(inv.SyncToken)
	inv.MetaData.LastUpdatedTime = qbTime(s.now())
	s.saveInvoice(c, inv)
}

func removeLink(links []LinkedTxn, txnID string) []LinkedTxn {
	out := links[:0]
	for _, l := range links {
		if l.TxnID != txnID {
			out = append(out, l)
		}
	}
	return out
}
