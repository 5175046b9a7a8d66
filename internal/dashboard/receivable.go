package dashboard

import (
	"errors"
	"net/http"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/money"
)

// comparison is one value of an invoice in booksync and in the books; Diff marks a difference.
type comparison struct {
	Label, Ours, Theirs string
	Diff                bool
}

type receivablePage struct {
	Receivable *booksync.Receivable
	Record     *booksync.SyncedRecord
	// BooksError says why the books could not be read; empty when they were, or were not asked.
	BooksError string
	Remote     *booksync.RemoteInvoice
	Head       []comparison
	Lines      [][]comparison
	Totals     []comparison
	Differs    int
	Events     []booksync.Event
	Deliveries []booksync.WebhookDelivery
}

func (s *Server) getReceivable(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	entityID, err := s.cfg.Store.ReceivableEntityID(ctx, partnerOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inv, err := s.cfg.Store.Receivable(ctx, entityID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := receivablePage{Receivable: inv}
	recs, err := s.cfg.Store.PartnerSyncedRecords(ctx, partnerOf(r), booksync.ListQuery{
		Filters: []booksync.Filter{{Field: "entity_id", Values: []any{entityID}}, {Field: "object_id", Values: []any{id}}},
		Sort:    "updated_at", Order: booksync.OrderDesc, Limit: 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(recs.Items) > 0 {
		p.Record = &recs.Items[0]
	}
	if p.Record != nil && p.Record.PlatformObjectID != nil && *p.Record.PlatformObjectID != "" {
		remote, err := s.cfg.Accounting.RemoteInvoice(ctx, entityID, *p.Record.PlatformObjectID)
		if err != nil {
			p.BooksError = booksMessage(err)
			if booksync.ErrorCode(err) == booksync.EINTERNAL {
				var be booksync.BooksError
				if !errors.As(err, &be) {
					s.cfg.Logger.Error("dashboard: read invoice from the books", "receivable", id, "err", err)
				}
			}
		} else {
			p.Remote = &remote
		}
	}
	p.compare()
	if p.Events, err = s.cfg.Store.ObjectEvents(ctx, entityID, id, 50); err != nil {
		s.fail(w, r, err)
		return
	}
	eventIDs := make([]string, len(p.Events))
	for i, ev := range p.Events {
		eventIDs[i] = ev.ID
	}
	if p.Deliveries, err = s.cfg.Store.EventDeliveries(ctx, entityID, eventIDs); err != nil {
		s.fail(w, r, err)
		return
	}
	title := "Invoice"
	if inv.DocumentID != nil {
		title += " " + *inv.DocumentID
	}
	s.render(w, r, http.StatusOK, "receivable", page{Title: title, Nav: "records", Data: p})
}

// booksMessage says why the books could not be read, in the words the API would use.
func booksMessage(err error) string {
	var be booksync.BooksError
	if errors.As(err, &be) {
		_, msg := be.BooksFailure()
		return msg
	}
	if booksync.ErrorCode(err) == booksync.EINTERNAL {
		return "booksync could not read the books; the error is in its log."
	}
	return booksync.ErrorMessage(err)
}

// compare lines booksync's invoice up with what the books hold, value by value.
func (p *receivablePage) compare() {
	inv, cur := p.Receivable, p.Receivable.Currency
	amount := func(v int64) string { return money.FormatMinor(v, cur) + " " + cur }
	row := func(label, ours, theirs string, has bool) comparison {
		c := comparison{Label: label, Ours: ours, Theirs: theirs}
		if !has {
			c.Theirs = "—"
			return c
		}
		c.Diff = ours != theirs
		if c.Diff {
			p.Differs++
		}
		return c
	}
	remote := p.Remote
	has := remote != nil
	if remote == nil {
		remote = &booksync.RemoteInvoice{}
	}
	doc := ""
	if inv.DocumentID != nil {
		doc = *inv.DocumentID
	}
	p.Head = []comparison{
		row("Number", doc, remote.Number, has),
		row("Customer", inv.CounterpartName, remote.ContactName, has),
		row("Currency", cur, remote.Currency, has),
	}
	for i := 0; i < max(len(inv.LineItems), len(remote.Lines)); i++ {
		// A line only one side holds is a difference in each of its values.
		ours := [4]string{"missing", "missing", "missing", "missing"}
		if i < len(inv.LineItems) {
			l := inv.LineItems[i]
			ours = [4]string{l.Product.Name, l.Quantity.String(), amount(l.TotalBeforeVAT), amount(l.TotalAfterVAT - l.TotalBeforeVAT)}
		}
		theirs := [4]string{"missing", "missing", "missing", "missing"}
		if has && i < len(remote.Lines) {
			l := remote.Lines[i]
			net := l.LineAmount
			if remote.Inclusive {
				net -= l.TaxAmount
			}
			theirs = [4]string{l.Description, l.Quantity.String(), amount(net), amount(l.TaxAmount)}
			// Quantities compare as numbers: 2 and 2.00 are one quantity.
			if i < len(inv.LineItems) && inv.LineItems[i].Quantity.Equal(l.Quantity) {
				theirs[1] = ours[1]
			}
		}
		line := []comparison{
			row("Description", ours[0], theirs[0], has),
			row("Quantity", ours[1], theirs[1], has),
			row("Amount excluding tax", ours[2], theirs[2], has),
			row("Tax", ours[3], theirs[3], has),
		}
		p.Lines = append(p.Lines, line)
	}
	p.Totals = []comparison{
		row("Total excluding tax", amount(inv.TotalAmount-inv.TotalVATAmount), amount(remote.Totals.Subtotal), has),
		row("Tax", amount(inv.TotalVATAmount), amount(remote.Totals.Tax), has),
		row("Total", amount(inv.TotalAmount), amount(remote.Totals.Total), has),
	}
}
