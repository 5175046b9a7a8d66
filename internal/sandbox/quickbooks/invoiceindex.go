package quickbooks

import (
	"encoding/json"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/booksync/booksync/internal/sandbox"
)

// invoiceEntry is what the sandbox keeps in memory of an invoice: what finds it, checks its
// DocNumber, sums its customer's balance and answers a change data capture. The invoice itself
// stays in the Store and is read when a call needs it, so that books of many thousand invoices
// cost the sandbox little memory, as a real QuickBooks keeps its ledgers on disk.
type invoiceEntry struct {
	id         string
	docNumber  string
	customerID string
	balance    decimal.Decimal
	updated    int64 // MetaData.LastUpdatedTime, Unix seconds (it is kept to the second)
}

// index records what the company's entry of inv says; callers hold the lock.
func (c *company) index(inv *Invoice) {
	e := c.invoices[inv.ID]
	if e == nil {
		e = &invoiceEntry{id: inv.ID}
		c.invoices[inv.ID] = e
	}
	if e.docNumber != inv.DocNumber {
		e.docNumber = inv.DocNumber
	}
	e.customerID = inv.CustomerRef.Value
	if cu := c.customers[inv.CustomerRef.Value]; cu != nil {
		e.customerID = cu.ID // shared with the customer and its other invoices
	}
	e.balance = inv.Balance.Decimal
	e.updated = 0
	if t, ok := parseQBTime(inv.MetaData.LastUpdatedTime); ok {
		e.updated = t.Unix()
	}
}

// decodeInvoice reads a saved invoice.
func decodeInvoice(b []byte) (*Invoice, error) {
	if string(b) == "null" {
		return nil, nil
	}
	var inv Invoice
	if err := json.Unmarshal(b, &inv); err != nil {
		return nil, err
	}
	return &inv, nil
}

// invoice returns the company's invoice with the id, nil when it has none; callers hold the
// lock. Every call while the lock is held returns the same value, which the caller changes and
// saves with saveInvoice.
func (s *Sandbox) invoice(c *company, id string) *Invoice {
	if c.invoices[id] == nil {
		return nil
	}
	key := s.srv.OrgKey(c.meta.RealmID, "invoice", id)
	return sandbox.Read(s.srv, []string{key}, decodeInvoice)[key]
}

// invoicesOf returns the invoices of entries, in their order, read in one go; one that cannot be
// read is left out (and the change fails when saved). Callers hold the lock.
func (s *Sandbox) invoicesOf(c *company, entries []*invoiceEntry) []*Invoice {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = s.srv.OrgKey(c.meta.RealmID, "invoice", e.id)
	}
	got := sandbox.Read(s.srv, keys, decodeInvoice)
	out := make([]*Invoice, 0, len(entries))
	for _, k := range keys {
		if inv := got[k]; inv != nil {
			out = append(out, inv)
		}
	}
	return out
}

// invoiceEntries returns the company's invoice entries in Id order, those that keep pass
// (nil keeps all).
func invoiceEntries(c *company, keep func(*invoiceEntry) bool) []*invoiceEntry {
	out := make([]*invoiceEntry, 0, len(c.invoices))
	for _, e := range c.invoices {
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *invoiceEntry) int { return compareIDs(a.id, b.id) })
	return out
}

// allInvoices returns the company's invoices in Id order; callers hold the lock.
func (s *Sandbox) allInvoices(c *company) []*Invoice {
	return s.invoicesOf(c, invoiceEntries(c, nil))
}

// saveInvoice queues the invoice to be saved and brings its entry up to date; callers hold the
// lock.
func (s *Sandbox) saveInvoice(c *company, inv *Invoice) {
	c.index(inv)
	key := s.srv.OrgKey(c.meta.RealmID, "invoice", inv.ID)
	s.srv.Keep(key, inv)
	s.srv.Mark(key, inv)
}

// deleteInvoice removes the invoice; callers hold the lock.
func (s *Sandbox) deleteInvoice(c *company, id string) {
	delete(c.invoices, id)
	s.saveObj(c, "invoice", id, nil)
}
