package quickbooks

import (
	"encoding/json"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// deleted is the body QuickBooks returns for a deleted entity.
type deleted struct {
	Status string `json:"status"`
	Domain string `json:"domain"`
	ID     string `json:"Id"`
}

// writeEntity creates, updates or deletes one entity from a request body and
// returns what the response shows; callers hold s.mu. A fault leaves no change.
// op is the operation query parameter or batch operation: "", "create",
// "update" or "delete"; a body with an Id is an update.
func (s *Sandbox) writeEntity(c *company, name, op string, body []byte) (any, *qbFault) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, invalidProperty("request body is not a JSON object")
	}
	var id, token string
	_ = json.Unmarshal(raw["Id"], &id)
	_ = json.Unmarshal(raw["SyncToken"], &token)
	switch op {
	case "":
		op = "create"
		if id != "" {
			op = "update"
		}
	case "create", "update", "delete":
	case "void":
		if name != "Invoice" {
			return nil, unsupported("operation=void on " + name + " (the sandbox voids invoices)")
		}
	default:
		return nil, unsupported("operation=" + op)
	}
	if op != "create" && id == "" {
		return nil, requiredMissing("Id")
	}
	if op == "create" && id != "" {
		return nil, invalidProperty("Id must not be sent on create")
	}
	var sparse bool
	_ = json.Unmarshal(raw["sparse"], &sparse)
	delete(raw, "sparse")
	switch name {
	case "Customer":
		return s.writeCustomer(c, op, id, token, sparse, raw)
	case "Item":
		return s.writeItem(c, op, id, token, sparse, raw)
	case "Invoice":
		return s.writeInvoice(c, op, id, token, sparse, raw)
	case "Payment":
		return s.writePayment(c, op, id, token, raw)
	case "Account":
		return s.writeAccount(c, op, id, token, sparse, raw)
	case "CreditMemo":
		return s.writeCreditMemo(c, op, raw)
	case "Vendor":
		return s.writeVendor(c, op, raw)
	case "Bill":
		return s.writeBill(c, op, raw)
	}
	return nil, unsupported(op + " " + name)
}

// merge lays the request's fields over base (the stored object for a
// sparse update, defaults otherwise) and decodes the result into out.
func merge(base any, raw map[string]json.RawMessage, out any) *qbFault {
	b, _ := json.Marshal(base)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for k, v := range raw {
		if k == "MetaData" {
			continue // read-only
		}
		m[k] = v
	}
	b, _ = json.Marshal(m)
	if err := json.Unmarshal(b, out); err != nil {
		return invalidProperty(err.Error())
	}
	return nil
}

// checkToken applies optimistic locking: an update must carry the current SyncToken.
func checkToken(id, stored, given string) *qbFault {
	if given == "" {
		return requiredMissing("SyncToken")
	}
	if given != stored {
		return staleObject(id, given)
	}
	return nil
}

func nextToken(t string) string {
	n, _ := decimal.NewFromString(t)
	return n.Add(decimal.NewFromInt(1)).String()
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func (s *Sandbox) writeCustomer(c *company, op, id, token string, sparse bool, raw map[string]json.RawMessage) (any, *qbFault) {
	existing := c.customers[id]
	if op != "create" {
		if existing == nil {
			return nil, objectNotFound("Id", "Customer "+id)
		}
		if f := checkToken(id, existing.SyncToken, token); f != nil {
			return nil, f
		}
	}
	if op == "delete" {
		return nil, unsupported("delete Customer (make it inactive with Active=false)")
	}
	base := &Customer{Active: true, CurrencyRef: Ref{Value: c.homeCurrency(), Name: currencyName(c.homeCurrency())}}
	if sparse && existing != nil {
		base = existing
	}
	var cu Customer
	if f := merge(base, raw, &cu); f != nil {
		return nil, f
	}
	if strings.TrimSpace(cu.DisplayName) == "" {
		cu.DisplayName = strings.TrimSpace(strings.Join(strings.Fields(cu.Title+" "+cu.GivenName+" "+cu.FamilyName), " "))
		if cu.DisplayName == "" {
			cu.DisplayName = cu.CompanyName
		}
	}
	cu.DisplayName = strings.TrimSpace(cu.DisplayName)
	switch {
	case cu.DisplayName == "":
		return nil, validationFault("2020", "Required param missing, need to supply the required value for the API",
			"Required parameter : At least one of the name elements is required: Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix", "DisplayName")
	case len(cu.DisplayName) > 500:
		return nil, validationFault("2050", "String length is either shorter or longer than supported by specification", "DisplayName is longer than 500 characters", "DisplayName")
	case strings.Contains(cu.DisplayName, ":"):
		return nil, validationFault("6000", "A business validation error has occurred while processing your request", "Business Validation Error: Name cannot contain a colon (:).", "DisplayName")
	}
	for _, other := range c.customers {
		if other.ID != id && sameName(other.DisplayName, cu.DisplayName) {
			return nil, validationFault("6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.", "DisplayName")
		}
	}
	if cu.CurrencyRef.Value == "" {
		cu.CurrencyRef = base.CurrencyRef
	}
	if f := c.currencyProblem(cu.CurrencyRef.Value); f != nil {
		return nil, f
	}
	cu.CurrencyRef.Name = currencyName(cu.CurrencyRef.Value)
	now := s.now()
	cu.FullyQualifiedName = cu.DisplayName
	if op == "create" {
		cu.ID, cu.SyncToken, cu.MetaData = c.newID("Customer"), "0", newMeta(now)
		cu.Balance, cu.BalanceWithJobs = sandbox.NewAmount("0"), sandbox.NewAmount("0")
		s.saveMeta(c)
	} else {
		cu.ID, cu.SyncToken, cu.MetaData = id, nextToken(existing.SyncToken), existing.MetaData
		cu.MetaData.LastUpdatedTime = qbTime(now)
		cu.Balance, cu.BalanceWithJobs = existing.Balance, existing.BalanceWithJobs
	}
	c.customers[cu.ID] = &cu
	s.saveObj(c, "customer", cu.ID, &cu)
	return &cu, nil
}

func currencyFault(c *company, code string) *qbFault {
	if c.meta.Prefs.CurrencyPrefs.MultiCurrencyEnabled {
		return businessError("The currency " + code + " is not one the sandbox has exchange rates for.")
	}
	return businessError("The currency " + code + " is not the home currency " + c.homeCurrency() +
		" and multicurrency is not enabled for this company (in booksync's sandbox: POST /sandbox/quickbooks/companies/" +
		c.meta.RealmID + "/multicurrency enables it).")
}

func (s *Sandbox) writeItem(c *company, op, id, token string, sparse bool, raw map[string]json.RawMessage) (any, *qbFault) {
	existing := c.items[id]
	if op != "create" {
		if existing == nil {
			return nil, objectNotFound("Id", "Item "+id)
		}
		if f := checkToken(id, existing.SyncToken, token); f != nil {
			return nil, f
		}
	}
	if op == "delete" {
		return nil, unsupported("delete Item (make it inactive with Active=false)")
	}
	base := &Item{Active: true, Type: "Service", UnitPrice: sandbox.NewAmount("0")}
	if sparse && existing != nil {
		base = existing
	}
	var it Item
	if f := merge(base, raw, &it); f != nil {
		return nil, f
	}
	it.Name = strings.TrimSpace(it.Name)
	switch {
	case it.Name == "":
		return nil, requiredMissing("Name")
	case len(it.Name) > 100:
		return nil, validationFault("2050", "String length is either shorter or longer than supported by specification", "Name is longer than 100 characters", "Name")
	case it.Type != "Service" && it.Type != "NonInventory":
		return nil, validationFault("2050", "Invalid Enumeration", "The sandbox supports item Type Service and NonInventory, not "+it.Type, "Type")
	case it.IncomeAccountRef == nil || it.IncomeAccountRef.Value == "":
		return nil, requiredMissing("IncomeAccountRef")
	}
	if a := c.account(it.IncomeAccountRef.Value); a == nil || !a.Active {
		return nil, invalidReference("IncomeAccountRef", "Account id "+it.IncomeAccountRef.Value+" not found")
	} else {
		it.IncomeAccountRef.Name = a.Name
	}
	if it.SalesTaxCodeRef != nil && it.SalesTaxCodeRef.Value != "" && !c.us() {
		tc := c.taxCode(it.SalesTaxCodeRef.Value)
		if tc == nil {
			return nil, invalidReference("SalesTaxCodeRef", "TaxCode id "+it.SalesTaxCodeRef.Value+" not found")
		}
		it.SalesTaxCodeRef.Name = tc.Name
	}
	for _, other := range c.items {
		if other.ID != id && sameName(other.Name, it.Name) {
			return nil, validationFault("6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another product or service is already using this name. Please use a different name.", "Name")
		}
	}
	now := s.now()
	it.FullyQualifiedName = it.Name
	if op == "create" {
		it.ID, it.SyncToken, it.MetaData = c.newID("Item"), "0", newMeta(now)
		s.saveMeta(c)
	} else {
		it.ID, it.SyncToken, it.MetaData = id, nextToken(existing.SyncToken), existing.MetaData
		it.MetaData.LastUpdatedTime = qbTime(now)
	}
	c.items[it.ID] = &it
	s.saveObj(c, "item", it.ID, &it)
	return &it, nil
}

// recomputeBalance sets a customer's Balance to the sum of its invoices' balances.
func (s *Sandbox) recomputeBalance(c *company, customerID string) {
	cu := c.customers[customerID]
	if cu == nil {
		return
	}
	sum := decimal.Zero
	for _, e := range c.invoices {
		if e.customerID == customerID {
			sum = sum.Add(e.balance)
		}
	}
	cu.Balance, cu.BalanceWithJobs = sandbox.AmountOf(sum), sandbox.AmountOf(sum)
	s.saveObj(c, "customer", cu.ID, cu)
}
