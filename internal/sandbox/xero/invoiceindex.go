package xero

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/booksync/booksync/internal/sandbox"
)

// invoiceEntry is what the sandbox keeps in memory of an invoice: what finds, filters and orders
// it. The invoice itself stays in the Store and is read when a call needs it, so that books of
// many thousand invoices cost the sandbox little memory, as a real Xero keeps its ledgers on disk.
type invoiceEntry struct {
	seq       int64 // creation sequence, for stable order
	id        string
	number    string
	typ       string
	status    string
	contactID string
	updated   int64 // UpdatedDateUTC, Unix nanoseconds
	date      int64 // Date, Unix nanoseconds; 0 without one
}

// intern returns the one copy of the values an invoice's type and status take, so that the
// entries of many invoices share them.
func intern(v string) string {
	switch v {
	case "ACCREC":
		return "ACCREC"
	case "ACCPAY":
		return "ACCPAY"
	case "DRAFT":
		return "DRAFT"
	case "SUBMITTED":
		return "SUBMITTED"
	case "AUTHORISED":
		return "AUTHORISED"
	case "PAID":
		return "PAID"
	case "VOIDED":
		return "VOIDED"
	case "DELETED":
		return "DELETED"
	}
	return v
}

// index records what the organisation's entry of inv says; callers hold the lock.
func (o *org) index(inv *Invoice, seq int64) *invoiceEntry {
	e := o.invoices[strings.ToLower(inv.InvoiceID)]
	isNew := e == nil
	if isNew {
		e = &invoiceEntry{id: inv.InvoiceID}
		o.invoices[strings.ToLower(inv.InvoiceID)] = e
	}
	e.seq = seq
	if isNew || e.number != inv.InvoiceNumber {
		if !isNew {
			o.unindexNumber(e)
		}
		e.number = inv.InvoiceNumber
		k := numberKey(e.number)
		o.byNumber[k] = append(o.byNumber[k], e)
	}
	e.typ, e.status = intern(inv.Type), intern(inv.Status)
	e.contactID = inv.Contact.ContactID
	if c := o.contacts[strings.ToLower(inv.Contact.ContactID)]; c != nil {
		e.contactID = c.ContactID // shared with the contact and its other invoices
	}
	e.updated = inv.UpdatedDateUTC.UnixNano()
	e.date = 0
	if inv.Date != nil {
		e.date = inv.Date.UnixNano()
	}
	return e
}

// numberKey is the key of an invoice number in the organisation's index by number: numbers that
// strings.EqualFold finds equal (as Xero compares them, regardless of case) mostly share it, and
// lookups compare the entries under it with EqualFold.
func numberKey(number string) string {
	return strings.ToLower(strings.ToUpper(number))
}

// unindexNumber takes e out of the index by number, under the number it has; callers hold the lock.
func (o *org) unindexNumber(e *invoiceEntry) {
	k := numberKey(e.number)
	list := slices.DeleteFunc(o.byNumber[k], func(x *invoiceEntry) bool { return x == e })
	if len(list) == 0 {
		delete(o.byNumber, k)
	} else {
		o.byNumber[k] = list
	}
}

// invoicesNumbered returns the entries of the invoices whose number equals number regardless of
// case, in no particular order; callers hold the lock. An organisation's sales invoices have
// unique numbers, so this is a look-up, not a scan of its books.
func (o *org) invoicesNumbered(number string) []*invoiceEntry {
	var out []*invoiceEntry
	for _, e := range o.byNumber[numberKey(number)] {
		if strings.EqualFold(e.number, number) {
			out = append(out, e)
		}
	}
	return out
}

// invoiceKey is the Store key of an invoice.
func (s *Sandbox) invoiceKey(o *org, id string) string {
	return s.srv.OrgKey(o.meta.TenantID, "invoice", id)
}

// decodeInvoice reads a saved invoice record.
func decodeInvoice(b []byte) (*Invoice, error) {
	if string(b) == "null" {
		return nil, nil
	}
	var r record[Invoice]
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return r.V, nil
}

// invoice returns the organisation's invoice with the id (any case), nil when it has none;
// callers hold the lock. Every call while the lock is held returns the same value, which the
// caller changes and saves with saveInvoice.
func (s *Sandbox) invoice(o *org, id string) *Invoice {
	e := o.invoices[strings.ToLower(id)]
	if e == nil {
		return nil
	}
	key := s.invoiceKey(o, e.id)
	return sandbox.Read(s.srv, []string{key}, decodeInvoice)[key]
}

// invoicesOf returns the invoices of entries, in their order, read in one go; one that cannot be
// read is left out (and the change fails when saved). Callers hold the lock.
func (s *Sandbox) invoicesOf(o *org, entries []*invoiceEntry) []*Invoice {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = s.invoiceKey(o, e.id)
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

// invoiceEntries returns the organisation's invoice entries in creation order.
func invoiceEntries(o *org) []*invoiceEntry {
	out := make([]*invoiceEntry, 0, len(o.invoices))
	for _, e := range o.invoices {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *invoiceEntry) int { return cmpInt(a.seq, b.seq) })
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addInvoice numbers a new invoice and saves it; callers hold the lock.
func (s *Sandbox) addInvoice(o *org, inv *Invoice) {
	o.index(inv, s.nextSeq())
	s.saveInvoice(o, inv)
}

// saveInvoice queues the invoice to be saved and brings its entry up to date; callers hold the
// lock.
func (s *Sandbox) saveInvoice(o *org, inv *Invoice) {
	e := o.invoices[strings.ToLower(inv.InvoiceID)]
	var seq int64
	if e != nil {
		seq = e.seq
	}
	o.index(inv, seq)
	key := s.invoiceKey(o, inv.InvoiceID)
	s.srv.Keep(key, inv)
	s.srv.Mark(key, record[Invoice]{seq, inv})
}
