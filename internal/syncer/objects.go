package syncer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
	"github.com/booksync/booksync/internal/platform"
	"github.com/shopspring/decimal"
)

// contactOf builds the contact of a counterpart, or from the invoice's copy of it when the
// counterpart was deleted since.
func (s *session) contactOf(ctx context.Context, counterpartID string, inv *booksync.Receivable) (platform.Contact, error) {
	c := platform.Contact{Ref: counterpartID}
	cp, err := s.e.store.Counterpart(ctx, s.conn.EntityID, counterpartID)
	switch {
	case err == nil:
		c.Name = cp.Name()
		if cp.Individual != nil {
			c.FirstName, c.LastName = cp.Individual.FirstName, cp.Individual.LastName
		}
		if em := cp.Email(); em != nil {
			c.Email = *em
		}
		vatIDs, err := s.e.store.VatIDs(ctx, s.conn.EntityID, counterpartID)
		if err != nil {
			return c, err
		}
		c.TaxNumber = booksync.CounterpartTaxNumber(cp, vatIDs)
	case booksync.ErrorCode(err) == booksync.ENOTFOUND && inv != nil:
		c.Name = inv.CounterpartName
	default:
		return c, err
	}
	if inv != nil && inv.CounterpartBillingAddress != nil {
		a := inv.CounterpartBillingAddress
		c.Address = &platform.Address{Line1: a.Line1, City: a.City, PostalCode: a.PostalCode, Country: a.Country}
		if a.Line2 != nil {
			c.Address.Line2 = *a.Line2
		}
		if a.State != nil {
			c.Address.Region = *a.State
		}
	}
	return c, nil
}

// pushContacts pushes contacts and records each result on its customer record. It returns the
// contact id of each counterpart that is in the books, and the error of each that is not.
func (s *session) pushContacts(ctx context.Context, recs map[string]*booksync.SyncedRecord, contacts []platform.Contact) (map[string]string, map[string]*booksync.SyncError, error) {
	ids, failed := map[string]string{}, map[string]*booksync.SyncError{}
	if len(contacts) == 0 {
		return ids, failed, nil
	}
	var results []platform.Result
	err := s.call(ctx, func() error {
		var err error
		results, err = s.cx.PushContacts(ctx, contacts)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	for i, res := range results {
		rec := recs[contacts[i].Ref]
		if res.Err != nil {
			se := platformError(res.Err, "Fix the customer with PATCH /counterparts/"+contacts[i].Ref+", then push the record again with POST /accounting_synced_records/{id}/push.")
			failed[contacts[i].Ref] = se
			if rec != nil {
				s.e.setError(ctx, rec, se)
			}
			continue
		}
		ids[contacts[i].Ref] = res.PlatformID
		if rec != nil {
			if err := s.setDone(ctx, rec, res); err != nil {
				return nil, nil, err
			}
		}
	}
	return ids, failed, nil
}

func (s *session) setDone(ctx context.Context, r *booksync.SyncedRecord, res platform.Result) error {
	if s.conn.LastPull != nil {
		r.LastPulledAt = *s.conn.LastPull
	}
	return s.e.setDone(ctx, r, res)
}

// pushCustomerRecords pushes customer records that are pending on their own (pushed on request).
func (s *session) pushCustomerRecords(ctx context.Context, recs []booksync.SyncedRecord) (int, error) {
	byRef := map[string]*booksync.SyncedRecord{}
	var contacts []platform.Contact
	for i := range recs {
		c, err := s.contactOf(ctx, recs[i].ObjectID, nil)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			s.e.setError(ctx, &recs[i], &booksync.SyncError{Status: "customer_not_found", Message: "Customer does not exist: the counterpart was deleted",
				Details: []booksync.SyncErrorDetail{{Message: "Counterpart " + recs[i].ObjectID + " was deleted", Fix: "Nothing to push; invoices keep their own copy of the customer."}}})
			continue
		} else if err != nil {
			return 0, err
		}
		byRef[c.Ref] = &recs[i]
		c.PushID = pushID(&recs[i])
		contacts = append(contacts, c)
	}
	if _, _, err := s.pushContacts(ctx, byRef, contacts); err != nil {
		return 0, err
	}
	return settled(recs), nil
}

// itemOf builds the item of a line's catalog product.
func (s *session) itemOf(p booksync.LineProduct, plan booksync.LinePlan) platform.Item {
	it := platform.Item{Ref: p.ID, Code: itemCode(p, s.provider.ItemCodeMax), Name: p.Name, UnitPrice: p.Price.Value, Currency: p.Price.Currency,
		TaxCode: plan.TaxRate.Code}
	if plan.LedgerAccount.NominalCode != nil {
		it.AccountCode = *plan.LedgerAccount.NominalCode
	}
	if p.Description != nil {
		it.Description = *p.Description
	}
	return it
}

// pushItems pushes items and records each result on its product record.
func (s *session) pushItems(ctx context.Context, recs map[string]*booksync.SyncedRecord, items []platform.Item) (map[string]*booksync.SyncError, error) {
	failed := map[string]*booksync.SyncError{}
	if len(items) == 0 {
		return failed, nil
	}
	var results []platform.Result
	err := s.call(ctx, func() error {
		var err error
		results, err = s.cx.PushItems(ctx, items)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		rec := recs[items[i].Ref]
		if res.Err != nil {
			se := platformError(res.Err, "Fix the product with PATCH /products/"+items[i].Ref+", then push the record again with POST /accounting_synced_records/{id}/push.")
			failed[items[i].Ref] = se
			if rec != nil {
				s.e.setError(ctx, rec, se)
			}
			continue
		}
		if rec != nil {
			if err := s.setDone(ctx, rec, res); err != nil {
				return nil, err
			}
		}
	}
	return failed, nil
}

// pushProductRecords pushes product records that are pending on their own.
func (s *session) pushProductRecords(ctx context.Context, recs []booksync.SyncedRecord) (int, error) {
	byRef := map[string]*booksync.SyncedRecord{}
	var items []platform.Item
	for i := range recs {
		p, err := s.e.store.Product(ctx, s.conn.EntityID, recs[i].ObjectID)
		if booksync.ErrorCode(err) == booksync.ENOTFOUND {
			s.e.setError(ctx, &recs[i], &booksync.SyncError{Status: "product_not_found", Message: "Product does not exist: it was deleted",
				Details: []booksync.SyncErrorDetail{{Message: "Product " + recs[i].ObjectID + " was deleted", Fix: "Nothing to push; invoice lines keep their own copy of the product."}}})
			continue
		} else if err != nil {
			return 0, err
		}
		if p.Price == nil {
			s.e.setError(ctx, &recs[i], &booksync.SyncError{Status: "product_price_missing", Message: "Product has no price",
				Details: []booksync.SyncErrorDetail{{Field: "price", Message: "Product " + p.ID + " has no price", Fix: "Set a price with PATCH /products/" + p.ID + "; then push the record again with POST /accounting_synced_records/{id}/push."}}})
			continue
		}
		lp := booksync.LineProduct{ID: p.ID, Name: p.Name, Description: p.Description, LedgerAccountID: p.LedgerAccountID,
			ExternalReference: p.ExternalReference, Price: *p.Price}
		// A product pushed on its own is priced without tax; its account follows the invoice rules.
		inv := &booksync.Receivable{LineItems: []booksync.LineItem{{Product: lp, TaxRateValue: -1}}}
		plan, serr := booksync.PlanInvoicePush(inv, s.settings, s.rates, s.accounts, s.planOptions())
		var lpPlan booksync.LinePlan
		if len(plan.Lines) == 1 {
			lpPlan = plan.Lines[0]
		}
		// An item may go without an account, never with one the books would refuse.
		if se := accountProblems(serr); se != nil {
			s.e.setError(ctx, &recs[i], se)
			continue
		}
		byRef[p.ID] = &recs[i]
		items = append(items, s.itemOf(lp, lpPlan))
	}
	if _, err := s.pushItems(ctx, byRef, items); err != nil {
		return 0, err
	}
	return settled(recs), nil
}

// planOptions says what the connection's accounting system does with what booksync sends.
func (s *session) planOptions() booksync.PlanOptions {
	return booksync.PlanOptions{System: s.provider.Name, TaxAsSent: s.provider.TaxAsSent}
}

// accountProblems is the error of a product pushed on its own whose ledger account the books
// would refuse, nil when there is none. Its plan has one line, whose account is checked first, so
// the plan error's status is the account's when its first cause is.
func accountProblems(se *booksync.SyncError) *booksync.SyncError {
	if se == nil || len(se.Details) == 0 {
		return nil
	}
	d := se.Details[0]
	if !strings.Contains(d.Field, "ledger_account_id") || se.Status == booksync.CodeLedgerAccountNotSet {
		return nil
	}
	return booksync.NewSyncError([]string{se.Status}, []booksync.SyncErrorDetail{d})
}

// pushInvoices pushes a batch of invoice records: checks, then the customers and products they
// need, then the invoices, then the totals check.
func (s *session) pushInvoices(ctx context.Context, recs []booksync.SyncedRecord) (int, error) {
	ready, later, err := s.checkInvoices(ctx, recs)
	if err != nil {
		return 0, err
	}
	if err := s.pushVoids(ctx, later.voids); err != nil {
		return 0, err
	}
	ready = append(ready, later.notes...)
	contactIDs, failedContacts, err := s.pushInvoiceCustomers(ctx, ready)
	if err != nil {
		return 0, err
	}
	failedItems, err := s.pushInvoiceProducts(ctx, ready)
	if err != nil {
		return 0, err
	}
	invoices, pushing := s.buildInvoices(ctx, ready, contactIDs, failedContacts, failedItems)
	invoices, pushing, notes, notePushing := s.splitCreditNotes(invoices, pushing, later.credited)
	sent := 0
	if len(invoices) > 0 && s.sends != nil {
		// Sent in the background (see sends). The send works on a copy of the session as it is
		// now, which the next round's load does not change under it, and on records no round
		// reads while they are being sent.
		n := settled(recs)
		ids := make([]string, len(pushing))
		for i, it := range pushing {
			ids[i] = it.rec.ID
		}
		send, batch, batchPushing := *s, invoices, pushing
		if err := s.sends.start(ctx, ids, func() error { return send.sendInvoices(ctx, batch, batchPushing) }); err != nil {
			return 0, err
		}
		sent, invoices = n+len(batch), nil
	}
	if len(invoices) > 0 {
		if err := s.sendInvoices(ctx, invoices, pushing); err != nil {
			return 0, err
		}
	}
	if len(notes) > 0 {
		if err := s.sendCreditNotes(ctx, notes, notePushing); err != nil {
			return 0, err
		}
	}
	if sent > 0 {
		return sent, nil
	}
	return settled(recs), nil
}

// invoicePush is an invoice record of a batch that passed its checks: its invoice, with the
// ledger accounts its products have now, and its plan.
type invoicePush struct {
	rec  *booksync.SyncedRecord
	inv  *booksync.Receivable
	plan booksync.InvoicePlan
}

// checkInvoices reads the invoice of each record and plans its push. A record whose invoice was
// deleted, is not issued, or cannot be planned (a setting or a tax rate is missing) goes to error.
// Canceled invoices are returned apart, to be voided in the books, and so are credit notes, with
// the books' ids of the invoices they credit (a credit note waits while its invoice is pending).
func (s *session) checkInvoices(ctx context.Context, recs []booksync.SyncedRecord) ([]*invoicePush, afterPush, error) {
	var ready []*invoicePush
	var later afterPush
	products := map[string]*booksync.Product{}
	ids := make([]string, len(recs))
	for i := range recs {
		ids[i] = recs[i].ObjectID
	}
	invs, err := s.e.store.ReceivablesByID(ctx, s.conn.EntityID, ids)
	if err != nil {
		return nil, later, err
	}
	for i := range recs {
		rec := &recs[i]
		inv := invs[rec.ObjectID]
		if inv == nil {
			s.e.setError(ctx, rec, &booksync.SyncError{Status: booksync.CodeInvoiceNotPushable, Message: "Invoice does not exist",
				Details: []booksync.SyncErrorDetail{{Message: "Receivable " + rec.ObjectID + " was deleted", Fix: "Nothing to push."}}})
			continue
		}
		if inv.Status == booksync.StatusCanceled {
			later.voids = append(later.voids, &invoicePush{rec: rec, inv: inv})
			continue
		}
		if inv.Type == booksync.ReceivableTypeCreditNote {
			target, wait, err := s.creditedInvoice(ctx, rec, inv)
			if err != nil {
				return nil, later, err
			}
			if wait || target == nil {
				continue
			}
			if later.credited == nil {
				later.credited = map[string]*booksync.SyncedRecord{}
			}
			later.credited[inv.ID] = target
		}
		switch inv.Status {
		case booksync.StatusIssued, booksync.StatusPartiallyPaid, booksync.StatusPaid:
		default:
			s.e.setError(ctx, rec, &booksync.SyncError{Status: booksync.CodeInvoiceNotPushable,
				Message: "Invoice is " + inv.Status + ", so it was not pushed",
				Details: []booksync.SyncErrorDetail{{Field: "status", Message: "Only issued invoices are pushed; this one is " + inv.Status, Fix: "Nothing to push."}}})
			continue
		}
		if err := s.currentMapping(ctx, inv, products); err != nil {
			return nil, later, err
		}
		plan, serr := booksync.PlanInvoicePush(inv, s.settings, s.rates, s.accounts, s.planOptions())
		if serr != nil {
			s.e.setError(ctx, rec, serr)
			continue
		}
		it := &invoicePush{rec: rec, inv: inv, plan: plan}
		if inv.Type == booksync.ReceivableTypeCreditNote {
			later.notes = append(later.notes, it)
		} else {
			ready = append(ready, it)
		}
	}
	return ready, later, nil
}

// customerCurrency is the currency a new customer of the books is created in, for systems whose
// customers invoice in one currency (QuickBooks with multicurrency): "" (the books' base currency)
// when any of the batch's invoices to the counterpart is in the base currency or the base currency
// is not known yet, else the currency of the first of them.
func (s *session) customerCurrency(ready []*invoicePush, counterpartID string) string {
	base := ""
	if bi := s.conn.BusinessInfo; bi != nil && bi.BaseCurrency != nil {
		base = *bi.BaseCurrency
	}
	first := ""
	for _, it := range ready {
		if it.inv.CounterpartID != counterpartID {
			continue
		}
		if base == "" || strings.EqualFold(it.inv.Currency, base) {
			return ""
		}
		if first == "" {
			first = it.inv.Currency
		}
	}
	return first
}

// pushInvoiceCustomers pushes the customers of the invoices first: each distinct counterpart
// once, from its own record. It returns the contact id of each counterpart in the books, and the
// error of each that could not be pushed.
func (s *session) pushInvoiceCustomers(ctx context.Context, ready []*invoicePush) (map[string]string, map[string]*booksync.SyncError, error) {
	custRecs := map[string]*booksync.SyncedRecord{}
	contactIDs := map[string]string{}
	var contacts []platform.Contact
	for _, it := range ready {
		cpID := it.inv.CounterpartID
		if _, seen := custRecs[cpID]; seen {
			continue
		}
		rec, err := s.e.ensureRecord(ctx, s.conn, booksync.ObjectCustomer, cpID)
		if err != nil {
			return nil, nil, err
		}
		custRecs[cpID] = rec
		if rec.SyncStatus == booksync.SyncStatusDone && rec.PlatformObjectID != nil {
			contactIDs[cpID] = *rec.PlatformObjectID
			continue
		}
		c, err := s.contactOf(ctx, cpID, it.inv)
		if err != nil {
			return nil, nil, err
		}
		c.Currency = s.customerCurrency(ready, cpID)
		c.PushID = pushID(it.rec) // pushed again with its invoice, after a fix made in the books
		contacts = append(contacts, c)
	}
	pushed, failedContacts, err := s.pushContacts(ctx, custRecs, contacts)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range pushed {
		contactIDs[k] = v
	}
	return contactIDs, failedContacts, nil
}

// pushInvoiceProducts pushes the catalog products the invoices sell that are not in the books
// yet, and returns the error of each that could not be pushed.
func (s *session) pushInvoiceProducts(ctx context.Context, ready []*invoicePush) (map[string]*booksync.SyncError, error) {
	prodRecs := map[string]*booksync.SyncedRecord{}
	var items []platform.Item
	for _, it := range ready {
		for li, l := range it.inv.LineItems {
			if l.Product.IsInline {
				continue
			}
			if _, seen := prodRecs[l.Product.ID]; seen {
				continue
			}
			rec, err := s.e.ensureRecord(ctx, s.conn, booksync.ObjectProduct, l.Product.ID)
			if err != nil {
				return nil, err
			}
			prodRecs[l.Product.ID] = rec
			if rec.SyncStatus != booksync.SyncStatusDone {
				items = append(items, s.itemOf(l.Product, it.plan.Lines[li]))
			}
		}
	}
	return s.pushItems(ctx, prodRecs, items)
}

// buildInvoices builds the platform invoice of each checked record whose customer and products
// are in the books, and returns them with their records, in the same order. A record whose
// customer or product could not be pushed, or whose amounts cannot be sent, goes to error.
func (s *session) buildInvoices(ctx context.Context, ready []*invoicePush, contactIDs map[string]string,
	failedContacts, failedItems map[string]*booksync.SyncError) ([]platform.Invoice, []*invoicePush) {
	var invoices []platform.Invoice
	var pushing []*invoicePush
	for _, it := range ready {
		if se, bad := failedContacts[it.inv.CounterpartID]; bad {
			s.e.setError(ctx, it.rec, &booksync.SyncError{Status: booksync.CodeCustomerNotPushed,
				Message: "Customer could not be pushed: " + se.Message, Details: se.Details})
			continue
		}
		var itemErr *booksync.SyncError
		for _, l := range it.inv.LineItems {
			if se, bad := failedItems[l.Product.ID]; bad && !l.Product.IsInline {
				itemErr = se
			}
		}
		if itemErr != nil {
			s.e.setError(ctx, it.rec, &booksync.SyncError{Status: booksync.CodeProductNotPushed,
				Message: "Product could not be pushed: " + itemErr.Message, Details: itemErr.Details})
			continue
		}
		pi, err := buildInvoice(it.inv, it.plan, contactIDs[it.inv.CounterpartID], s.provider)
		if err != nil {
			s.e.setError(ctx, it.rec, &booksync.SyncError{Status: booksync.CodeInvoiceNotPushable, Message: err.Error(),
				Details: []booksync.SyncErrorDetail{{Message: err.Error(), Fix: "Correct the invoice's amounts."}}})
			continue
		}
		invoices = append(invoices, pi)
		pushing = append(pushing, it)
	}
	return invoices, pushing
}

// sendInvoices pushes the invoices of the records in pushing (in the same order) and records
// each outcome. It returns the failure of the call, or else the first failure of an invoice that
// is worth retrying: that invoice stays pending and the job fails, so that River tries it again.
func (s *session) sendInvoices(ctx context.Context, invoices []platform.Invoice, pushing []*invoicePush) error {
	// From here the invoices may reach the books, whatever happens to this process: say so
	// first, so that any later push looks them up before creating them.
	ids := make([]string, len(pushing))
	for i, it := range pushing {
		ids[i] = it.rec.ID
		invoices[i].MaybeExists = it.rec.Attempts > 0 || it.rec.PlatformObjectID != nil
		invoices[i].PushID = pushID(it.rec)
		it.rec.Attempts++
	}
	if err := s.e.store.MarkAttempted(ctx, ids); err != nil {
		return err
	}
	var results []platform.Result
	tries := 0
	err := s.call(ctx, func() error {
		if tries++; tries > 1 {
			for i := range invoices {
				invoices[i].MaybeExists = true // the failed try may have created some
			}
		}
		var err error
		results, err = s.cx.PushInvoices(ctx, invoices)
		return err
	})
	// Results that came back are recorded even when a later request of the batch failed. The
	// invoices the books took are settled together, in one transaction.
	var doneRecs []*booksync.SyncedRecord
	var doneRes []platform.Result
	var doneInvs []*booksync.Receivable
	for i, res := range results {
		if i >= len(pushing) || (res.Err == nil && res.PlatformID == "") {
			continue
		}
		done, retry := s.settleInvoice(ctx, pushing[i].rec, invoices[i], res)
		if done {
			doneRecs, doneRes, doneInvs = append(doneRecs, pushing[i].rec), append(doneRes, res), append(doneInvs, pushing[i].inv)
		}
		if err == nil {
			err = retry
		}
	}
	if s.conn.LastPull != nil {
		for _, r := range doneRecs {
			r.LastPulledAt = *s.conn.LastPull
		}
	}
	if serr := s.e.setDoneAll(ctx, doneRecs, doneRes); serr != nil {
		return serr
	}
	for _, inv := range doneInvs {
		if serr := s.bringAlong(ctx, inv); serr != nil {
			return serr
		}
	}
	return err
}

// settleInvoice records the outcome of one pushed invoice that went wrong: in error when the books
// refused it as invalid or report other totals than booksync's. Another failure leaves it pending
// and is returned as retry. An invoice the books took is not recorded here: done says the caller
// records it done (with the other invoices of its call).
func (s *session) settleInvoice(ctx context.Context, rec *booksync.SyncedRecord, sent platform.Invoice, res platform.Result) (done bool, retry error) {
	if res.Err != nil {
		if platform.ClassOf(res.Err) != platform.NeedsUserAction {
			return false, res.Err
		}
		s.e.setError(ctx, rec, platformError(res.Err, "Fix the invoice or the settings named above, then push the record again with POST /accounting_synced_records/{id}/push."))
		return false, nil
	}
	if se := compareTotals(s.provider.Name, sent, res); se != nil {
		id := res.PlatformID
		rec.PlatformObjectID = &id
		s.e.setError(ctx, rec, se)
		return false, nil
	}
	return true, nil
}

// currentMapping gives each catalog line of an invoice the ledger account its product has now.
// Which account a sale is booked to is bookkeeping, not part of the issued document, so fixing
// the product with PATCH /products/{id}, as a push error says, fixes the next push. A line whose
// product was deleted since keeps its own copy, marked CatalogDeleted so that the push's fix
// names what can still change (the entity default) rather than the product. products caches the
// catalog over a batch (nil for a deleted product).
func (s *session) currentMapping(ctx context.Context, inv *booksync.Receivable, products map[string]*booksync.Product) error {
	lines := make([]booksync.LineItem, len(inv.LineItems))
	copy(lines, inv.LineItems)
	for i, l := range lines {
		if l.Product.IsInline || l.Product.ID == "" {
			continue
		}
		p, seen := products[l.Product.ID]
		if !seen {
			var err error
			p, err = s.e.store.Product(ctx, s.conn.EntityID, l.Product.ID)
			if booksync.ErrorCode(err) == booksync.ENOTFOUND {
				p = nil
			} else if err != nil {
				return err
			}
			products[l.Product.ID] = p
		}
		if p != nil {
			lines[i].Product.LedgerAccountID = p.LedgerAccountID
		} else {
			lines[i].Product.CatalogDeleted = true
		}
	}
	inv.LineItems = lines
	return nil
}

// settled counts the records that are no longer pending, so that a push stops when a round
// settles nothing.
func settled(recs []booksync.SyncedRecord) int {
	n := 0
	for _, r := range recs {
		if r.SyncStatus != booksync.SyncStatusPending {
			n++
		}
	}
	return n
}

// buildInvoice maps an invoice and its plan onto the platform's invoice, line for line as
// internal/money computed it: each line carries its discount (its own and its share of the
// invoice discount) as an amount, so the platform's line amount is booksync's, and each line's tax
// is what booksync computed for it.
//
// rules are the accounting system's. A system that keeps fewer decimals of a quantity
// (QuantityDecimals > 0) gets the quantity rounded up to them (so that the line's discount, computed from that quantity, is never
// negative), and its line amount is still booksync's to the cent.
func buildInvoice(inv *booksync.Receivable, plan booksync.InvoicePlan, contactID string, rules *platform.Provider) (platform.Invoice, error) {
	t, err := inv.LineAmounts()
	if err != nil {
		return platform.Invoice{}, err
	}
	pi := invoiceHeader(inv, contactID)
	for i, l := range inv.LineItems {
		lt := t.Lines[i]
		pi.Lines = append(pi.Lines, invoiceLine(l, lt, plan.Lines[i], pi.Inclusive, rules))
		pi.Expected.Subtotal += lt.Net
		pi.Expected.Tax += lt.VAT
	}
	if d := plan.Deduction; d != nil {
		addDeduction(&pi, d)
	}
	pi.Expected.Total = pi.Expected.Subtotal + pi.Expected.Tax
	return pi, nil
}

// invoiceHeader is the platform's invoice without its lines: number, dates, currency and reference
// (the purchase order, else the memo).
func invoiceHeader(inv *booksync.Receivable, contactID string) platform.Invoice {
	pi := platform.Invoice{Ref: inv.ID, ContactID: contactID, Date: invoiceDate(inv), Currency: inv.Currency,
		Inclusive: inv.VATMode == booksync.VATModeInclusive, MarkIssued: true}
	if inv.DocumentID != nil {
		pi.Number = *inv.DocumentID
	}
	if inv.DueDate != nil {
		pi.DueDate = *inv.DueDate
	}
	if inv.PurchaseOrder != nil {
		pi.Reference = *inv.PurchaseOrder
	} else if inv.Memo != nil {
		pi.Reference = *inv.Memo
	}
	return pi
}

// invoiceLine is one line of the platform's invoice: lt is what internal/money computed for it,
// plan its tax rate and ledger account.
func invoiceLine(l booksync.LineItem, lt money.LineTotals, plan booksync.LinePlan, inclusive bool, rules *platform.Provider) platform.InvoiceLine {
	amount := lt.Net
	if inclusive {
		amount = lt.Gross
	}
	qty := l.Quantity.Decimal
	if rules.QuantityDecimals > 0 {
		qty = qty.RoundUp(int32(rules.QuantityDecimals))
	}
	gross := qty.Mul(decimal.NewFromInt(l.Product.Price.Value)).Round(0).IntPart()
	line := platform.InvoiceLine{Description: l.Product.Name, Quantity: qty, UnitAmount: l.Product.Price.Value,
		DiscountAmount: gross - amount, TaxCode: plan.TaxRate.Code, LineAmount: amount, TaxAmount: lt.VAT}
	if l.Product.Description != nil && *l.Product.Description != "" {
		line.Description += " - " + *l.Product.Description
	}
	if !l.Product.IsInline {
		line.ItemCode = itemCode(l.Product, rules.ItemCodeMax)
	}
	line.AccountID = plan.LedgerAccount.PlatformID
	if plan.LedgerAccount.NominalCode != nil {
		line.AccountCode = *plan.LedgerAccount.NominalCode
	}
	return line
}

// addDeduction pushes a deduction as a negative line with the deductions tax rate, so the
// ledger's total is what the customer owes, and takes it off the expected totals.
func addDeduction(pi *platform.Invoice, d *booksync.DeductionPlan) {
	tax := deductionTax(d.Amount, d.TaxRate.EffectiveTaxRate, pi.Inclusive)
	desc := "Deduction"
	if d.Memo != "" {
		desc += ": " + d.Memo
	}
	line := platform.InvoiceLine{Description: desc, Quantity: decimal.NewFromInt(1), UnitAmount: -d.Amount,
		TaxCode: d.TaxRate.Code, LineAmount: -d.Amount, TaxAmount: -tax}
	line.AccountID = d.LedgerAccount.PlatformID
	if d.LedgerAccount.NominalCode != nil {
		line.AccountCode = *d.LedgerAccount.NominalCode
	}
	pi.Lines = append(pi.Lines, line)
	net := d.Amount
	if pi.Inclusive {
		net = d.Amount - tax
	}
	pi.Expected.Subtotal -= net
	pi.Expected.Tax -= tax
}

// deductionTax is the tax on a deduction line, rounded per line as the line taxes are.
func deductionTax(amount, rate int64, inclusive bool) int64 {
	if rate == 0 {
		return 0
	}
	a, r := decimal.NewFromInt(amount), decimal.NewFromInt(rate)
	if inclusive {
		return a.Mul(r).Div(r.Add(decimal.NewFromInt(10000))).Round(0).IntPart()
	}
	return a.Mul(r).Div(decimal.NewFromInt(10000)).Round(0).IntPart()
}

// compareTotals checks the totals the accounting system reports against booksync's.
func compareTotals(system string, want platform.Invoice, res platform.Result) *booksync.SyncError {
	if res.Totals == nil {
		return nil
	}
	got := *res.Totals
	var details []booksync.SyncErrorDetail
	check := func(field string, g, w int64) {
		if g != w {
			details = append(details, booksync.SyncErrorDetail{Field: field,
				Message: fmt.Sprintf("%s reports %s %s %s, booksync computed %s", system, strings.ReplaceAll(field, "_", " "),
					money.FormatMinor(g, want.Currency), want.Currency, money.FormatMinor(w, want.Currency)),
				Fix: fmt.Sprintf("Compare invoice %s in %s with GET /receivables/%s; correct it in %s (booksync will not push it twice), then push the record again with POST /accounting_synced_records/{id}/push to re-check.", want.Number, system, want.Ref, system)})
		}
	}
	check("subtotal", got.Subtotal, want.Expected.Subtotal)
	check("total_tax", got.Tax, want.Expected.Tax)
	check("total", got.Total, want.Expected.Total)
	if len(details) == 0 {
		return nil
	}
	codes := make([]string, len(details))
	for i := range codes {
		codes[i] = booksync.CodeTotalsMismatch
	}
	se := booksync.NewSyncError(codes, details)
	se.Message = "Totals differ: " + se.Message
	return se
}

// pushPayments pushes payment records whose invoices are in the books.
func (s *session) pushPayments(ctx context.Context, recs []booksync.SyncedRecord) (int, error) {
	var payments []platform.Payment
	var pushing []*booksync.SyncedRecord
	var removals []platform.PaymentRef
	var removing []*booksync.SyncedRecord
	canceled := map[string]bool{} // records of canceled payments pushed again to learn their id
	changed := 0
	account, accountErr := s.paymentAccount()
	for i := range recs {
		rec := &recs[i]
		p, err := s.e.store.PaymentRecord(ctx, s.conn.EntityID, rec.ObjectID)
		if err != nil {
			return 0, err
		}
		if p.Source == booksync.PaymentSourceBooks {
			// Made in the books and pulled from them: it is there already, and is never pushed back.
			changed++
			if err := s.e.setDone(ctx, rec, platform.Result{Ref: p.ID, PlatformID: p.LedgerID}); err != nil {
				return changed, err
			}
			continue
		}
		if p.Status == booksync.PaymentStatusCanceled && rec.PlatformObjectID == nil && rec.Attempts == 0 {
			// Canceled before it reached the books: nothing to remove.
			changed++
			if err := s.e.setDone(ctx, rec, platform.Result{Ref: p.ID}); err != nil {
				return changed, err
			}
			continue
		}
		if p.Status == booksync.PaymentStatusCanceled && rec.PlatformObjectID != nil {
			ref := platform.PaymentRef{Ref: p.ID, PaymentID: *rec.PlatformObjectID}
			if invRec, err := s.e.store.RecordFor(ctx, s.conn.ID, booksync.ObjectReceivable, p.Object.ID); err == nil && invRec.PlatformObjectID != nil {
				ref.InvoiceID = *invRec.PlatformObjectID
			}
			removals = append(removals, ref)
			removing = append(removing, rec)
			continue
		}
		// A canceled payment whose push may have reached the books is pushed again with the same
		// idempotency key, which gives its id there (or creates it), and removed by the next round.
		if p.Status == booksync.PaymentStatusCanceled {
			canceled[rec.ID] = true
		}
		invRec, err := s.e.store.RecordFor(ctx, s.conn.ID, booksync.ObjectReceivable, p.Object.ID)
		if err != nil && booksync.ErrorCode(err) != booksync.ENOTFOUND {
			return 0, err
		}
		switch {
		case invRec == nil || invRec.SyncStatus == booksync.SyncStatusError || invRec.PlatformObjectID == nil && invRec.SyncStatus == booksync.SyncStatusDone:
			changed++
			s.e.setError(ctx, rec, &booksync.SyncError{Status: booksync.CodePaymentInvoiceNotPushed, Message: "Invoice is not in the books, so its payment cannot be pushed",
				Details: []booksync.SyncErrorDetail{{Field: "object.id", Message: "Receivable " + p.Object.ID + " has not been pushed",
					Fix: "Push the invoice first (see GET /accounting_synced_records?object_type=receivable&object_id=" + p.Object.ID + "), then push this record again with POST /accounting_synced_records/{id}/push."}}})
			continue
		case invRec.SyncStatus == booksync.SyncStatusPending:
			continue // waits for its invoice
		case accountErr != nil:
			changed++
			s.e.setError(ctx, rec, accountErr)
			continue
		}
		date := p.CreatedAt
		if p.PaidAt != nil {
			date = *p.PaidAt
		}
		pay := platform.Payment{Ref: p.ID, InvoiceID: *invRec.PlatformObjectID, AccountID: account.PlatformID,
			Date: date.UTC().Format("2006-01-02"), Amount: p.Amount, Currency: p.Currency, Reference: "booksync payment " + p.ID}
		if account.NominalCode != nil {
			pay.AccountCode = *account.NominalCode
		}
		payments = append(payments, pay)
		pushing = append(pushing, rec)
	}
	removed, err := s.removePayments(ctx, removals, removing)
	if err != nil {
		return changed + removed, err
	}
	sent, err := s.sendPayments(ctx, payments, pushing, canceled)
	return changed + removed + sent, err
}

// paymentAccount returns the ledger account that payments go to, or the error of every payment
// when the setting is missing or names an account the books do not have or would refuse.
func (s *session) paymentAccount() (*booksync.LedgerAccount, *booksync.SyncError) {
	if s.settings.Accounting == nil || s.settings.Accounting.LedgerAccountIDs == nil || s.settings.Accounting.LedgerAccountIDs.Payments == nil {
		return nil, &booksync.SyncError{Status: booksync.CodePaymentAccountNotSet, Message: "Ledger account is not set for payments",
			Details: []booksync.SyncErrorDetail{{Field: "settings.accounting.ledger_account_ids.payments", Message: "accounting.ledger_account_ids.payments is not set",
				Fix: "Set accounting.ledger_account_ids.payments (PATCH /entities/{entity_id}/settings) to " + booksync.PaymentAccountChoices(s.accounts) + "; then push the record again with POST /accounting_synced_records/{id}/push."}}}
	}
	var account *booksync.LedgerAccount
	id := *s.settings.Accounting.LedgerAccountIDs.Payments
	for i := range s.accounts {
		if s.accounts[i].ID == id && s.accounts[i].Status == "Active" {
			account = &s.accounts[i]
		}
	}
	// The rule the API applied when the setting was made, in case the books changed since.
	if account == nil || booksync.LedgerAccountUnusable(account, booksync.ForPayments) != "" {
		why := "does not exist in the connected books"
		if account != nil {
			why = "does not accept payments (use a bank account)"
		}
		return account, &booksync.SyncError{Status: booksync.CodeLedgerAccountNotFound, Message: "Ledger account " + why + ": accounting.ledger_account_ids.payments",
			Details: []booksync.SyncErrorDetail{{Field: "settings.accounting.ledger_account_ids.payments", Message: "Ledger account " + id + " " + why,
				Fix: "Set accounting.ledger_account_ids.payments (PATCH /entities/{entity_id}/settings) to " + booksync.PaymentAccountChoices(s.accounts) + "; then push the record again with POST /accounting_synced_records/{id}/push."}}}
	}
	return account, nil
}

// sendPayments pushes the payments of the records in pushing (in the same order) and records
// each outcome, returning how many records it settled. Payments have no natural key to look them
// up by after an unknown outcome, so each is sent on its own: its idempotency key then depends on
// that payment alone, and a retry (in this run or a later one) replays instead of paying twice.
//
// A payment in canceled (by record id) is canceled already: pushed again only to learn its id in
// the books, its record stays pending with that id, in the same write, so the next round removes it.
func (s *session) sendPayments(ctx context.Context, payments []platform.Payment, pushing []*booksync.SyncedRecord, canceled map[string]bool) (int, error) {
	changed := 0
	for i := range payments {
		var results []platform.Result
		err := s.call(ctx, func() error {
			var err error
			results, err = s.cx.PushPayments(ctx, payments[i:i+1])
			return err
		})
		if err != nil {
			return changed, err
		}
		res := results[0]
		if res.Err != nil && canceled[pushing[i].ID] {
			// The books refused it: a canceled payment they do not hold needs nothing more.
			changed++
			if err := s.setDone(ctx, pushing[i], platform.Result{Ref: res.Ref}); err != nil {
				return changed, err
			}
			continue
		}
		if res.Err != nil {
			changed++
			s.e.setError(ctx, pushing[i], platformError(res.Err, "Fix the payment or the settings named above, then push the record again with POST /accounting_synced_records/{id}/push."))
			continue
		}
		changed++
		if canceled[pushing[i].ID] && res.PlatformID != "" {
			rec := pushing[i]
			id := res.PlatformID
			readAt := s.e.restamp(rec)
			rec.PlatformObjectID, rec.SyncStatus = &id, booksync.SyncStatusPending
			if _, err := s.e.store.SettleSyncedRecord(ctx, rec, readAt); err != nil {
				return changed, err
			}
			continue
		}
		if err := s.setDone(ctx, pushing[i], res); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// pushID tells one push of a record from the next (platform.Invoice.PushID): the record's update
// time as this push read it, which every request to push it again moves on.
func pushID(rec *booksync.SyncedRecord) string {
	return strconv.FormatInt(rec.UpdatedAt.UnixMicro(), 36)
}
