package quickbooks

import (
	"encoding/json"
	"strings"

	"github.com/booksync/booksync/internal/sandbox"
)

// classifications maps each AccountType QuickBooks takes on a new account to its
// Classification, which QuickBooks derives and never takes from the request.
var classifications = map[string]string{
	"Bank": "Asset", "Accounts Receivable": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset", "Other Asset": "Asset",
	"Accounts Payable": "Liability", "Credit Card": "Liability", "Other Current Liability": "Liability", "Long Term Liability": "Liability",
	"Equity": "Equity", "Income": "Revenue", "Other Income": "Revenue",
	"Cost of Goods Sold": "Expense", "Expense": "Expense", "Other Expense": "Expense",
}

// writeAccount creates or updates an account of the chart of accounts, as POST /account does:
// Name and AccountType are required, Name and AcctNum unique (6240), Classification and the
// currency derived; an update may make the account inactive (Active false). Accounts are never
// deleted.
func (s *Sandbox) writeAccount(c *company, op, id, token string, sparse bool, raw map[string]json.RawMessage) (any, *qbFault) {
	existing := c.account(id)
	if op != "create" {
		if existing == nil {
			return nil, objectNotFound("Id", "Account "+id)
		}
		if f := checkToken(id, existing.SyncToken, token); f != nil {
			return nil, f
		}
	}
	if op == "delete" {
		return nil, unsupported("delete Account (make it inactive with Active=false)")
	}
	base := &Account{Active: true, CurrentBalance: sandbox.NewAmount("0")}
	if sparse && existing != nil {
		base = existing
	}
	var a Account
	if f := merge(base, raw, &a); f != nil {
		return nil, f
	}
	a.Name = strings.TrimSpace(a.Name)
	class, known := classifications[a.AccountType]
	switch {
	case a.Name == "":
		return nil, requiredMissing("Name")
	case strings.Contains(a.Name, ":"):
		return nil, businessError("Name cannot contain a colon (:).")
	case a.AccountType == "":
		return nil, requiredMissing("AccountType")
	case !known:
		return nil, validationFault("2050", "Invalid Enumeration", "AccountType "+a.AccountType+" is not one of QuickBooks' account types", "AccountType")
	}
	for _, other := range c.meta.Accounts {
		if other.ID == id {
			continue
		}
		if sameName(other.Name, a.Name) || (a.AcctNum != "" && other.AcctNum == a.AcctNum) {
			return nil, validationFault("6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another account is already using this name or number. Please use a different one.", "Name")
		}
	}
	now := s.now()
	a.Classification, a.FullyQualifiedName = class, a.Name
	a.CurrencyRef = Ref{Value: c.homeCurrency(), Name: currencyName(c.homeCurrency())}
	if op == "create" {
		if a.AccountSubType == "" {
			a.AccountSubType = strings.ReplaceAll(a.AccountType, " ", "")
		}
		a.ID, a.SyncToken, a.MetaData = c.newID("Account"), "0", newMeta(now)
		c.meta.Accounts = append(c.meta.Accounts, &a)
	} else {
		a.ID, a.SyncToken, a.MetaData = id, nextToken(existing.SyncToken), existing.MetaData
		a.MetaData.LastUpdatedTime = qbTime(now)
		*existing = a
	}
	s.saveMeta(c)
	return &a, nil
}
