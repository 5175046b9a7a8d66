package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/booksync/booksync"
)

type paymentRecordInput struct {
	Amount              int64      `json:"amount"`
	Currency            string     `json:"currency"`
	Status              *string    `json:"status"`
	PaidAt              *time.Time `json:"paid_at"`
	PlannedPaymentDate  *string    `json:"planned_payment_date"`
	PaymentIntentID     *string    `json:"payment_intent_id"`
	PaymentIntentStatus *string    `json:"payment_intent_status"`
	PaymentMethod       *string    `json:"payment_method"`
	Object              struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"object"`
}

func (s *Server) postPaymentRecord(w http.ResponseWriter, r *http.Request) {
	var in paymentRecordInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Checked for every status: a payment that is only processing is still a record that clients
	// read back and add up. Whether it fits the amount due is checked once the invoice is read.
	if err := booksync.CheckPaymentAmount(in.Amount); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Object.Type != "receivable" {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", "object", "type"}, "booksync records payments of receivables only; object.type must be 'receivable'."))
		return
	}
	ent := entityOf(r)
	invID := strings.ToLower(in.Object.ID)
	inv, err := s.store.Receivable(r.Context(), ent.ID, invID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", "object", "id"}, "Receivable %s does not exist for this entity.", in.Object.ID))
		return
	} else if err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Currency != inv.Currency {
		s.writeError(w, r, booksync.FieldErrorf("value_error", []any{"body", "currency"}, "Currency mismatch: the payment is in %s but the invoice is in %s.", in.Currency, inv.Currency))
		return
	}
	now := s.now()
	status := booksync.PaymentStatusSucceeded
	if in.Status != nil {
		status = *in.Status
	}
	if status != booksync.PaymentStatusSucceeded {
		// A payment that does not move the invoice still may not promise more than is due. A
		// succeeded one is checked by ApplyPayment against the invoice as the payment's transaction
		// holds it, so that two payments racing for the last amount due cannot both pass.
		if err := booksync.CheckPaymentDue(*inv, in.Amount); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	p := &booksync.PaymentRecord{
		ID: newID(), EntityID: ent.ID, CreatedAt: now, UpdatedAt: now, Amount: in.Amount, Currency: in.Currency,
		Status: status, IsExternal: true, PlannedPaymentDate: in.PlannedPaymentDate, PaymentIntentID: in.PaymentIntentID,
		PaymentIntentStatus: in.PaymentIntentStatus, PaymentMethod: in.PaymentMethod,
		Object:  booksync.PaymentRecordObject{ID: inv.ID, Type: "receivable", OldStatus: inv.Status, NewStatus: inv.Status},
		History: []booksync.PaymentHistoryItem{{Status: status, Timestamp: now}},
	}
	if in.PaidAt != nil {
		t := in.PaidAt.UTC()
		p.PaidAt = &t
	} else if status == booksync.PaymentStatusSucceeded {
		p.PaidAt = &now
	}
	var apply func(booksync.Receivable) (booksync.Receivable, error)
	if status == booksync.PaymentStatusSucceeded {
		apply = func(cur booksync.Receivable) (booksync.Receivable, error) {
			next, err := booksync.ApplyPayment(cur, p.Amount, *p.PaidAt)
			if err != nil {
				return cur, err
			}
			next.UpdatedAt = now
			p.Object.OldStatus, p.Object.NewStatus = cur.Status, next.Status
			return next, nil
		}
	}
	if err := s.invoices.RecordPayment(r.Context(), p, apply); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) getPaymentRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "payment_record_id", "Payment record")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.store.PaymentRecord(r.Context(), entityOf(r).ID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) listPaymentRecords(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.PaymentRecordList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.PaymentRecords(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}
