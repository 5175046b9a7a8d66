package api

import (
	"net/http"
	"time"

	"github.com/booksync/booksync"
)

// paidInput is Monite's ReceivablePaidPayload.
type paidInput struct {
	Comment *string    `json:"comment"`
	PaidAt  *time.Time `json:"paid_at"`
}

// partiallyPaidInput is Monite's ReceivablePartiallyPaidPayload: amount_paid is how much has been
// paid on the invoice in total.
type partiallyPaidInput struct {
	AmountPaid int64   `json:"amount_paid"`
	Comment    *string `json:"comment"`
}

// uncollectibleInput is Monite's ReceivableUncollectiblePayload.
type uncollectibleInput struct {
	Comment *string `json:"comment"`
}

func (s *Server) markAsPaid(w http.ResponseWriter, r *http.Request) {
	inv, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in paidInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markPayment(w, r, inv, in.Comment, in.PaidAt, booksync.PaymentToMarkPaid)
}

func (s *Server) markAsPartiallyPaid(w http.ResponseWriter, r *http.Request) {
	inv, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in partiallyPaidInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markPayment(w, r, inv, in.Comment, nil, func(inv booksync.Receivable) (int64, error) {
		return booksync.PaymentToMarkPartiallyPaid(inv, in.AmountPaid)
	})
}

// markPayment marks the invoice of the path paid or partially paid by recording the missing
// amount (amountOf, computed from the invoice as the payment's transaction holds it) as a
// succeeded payment record, through the same path as POST /payment_records: the payment is pushed
// to the books like any other, and the invoice's amount_paid stays the sum of its succeeded
// payments. The comment is kept on the invoice.
func (s *Server) markPayment(w http.ResponseWriter, r *http.Request, inv *booksync.Receivable, comment *string, paidAt *time.Time,
	amountOf func(booksync.Receivable) (int64, error)) {
	now := s.now()
	at := now
	if paidAt != nil {
		at = paidAt.UTC()
	}
	p := &booksync.PaymentRecord{
		ID: newID(), EntityID: inv.EntityID, CreatedAt: now, UpdatedAt: now, Currency: inv.Currency,
		Status: booksync.PaymentStatusSucceeded, IsExternal: true, PaidAt: &at,
		Object:  booksync.PaymentRecordObject{ID: inv.ID, Type: "receivable"},
		History: []booksync.PaymentHistoryItem{{Status: booksync.PaymentStatusSucceeded, Timestamp: now}},
	}
	var out booksync.Receivable
	apply := func(cur booksync.Receivable) (booksync.Receivable, error) {
		amount, err := amountOf(cur)
		if err != nil {
			return cur, err
		}
		next, err := booksync.ApplyPayment(cur, amount, at)
		if err != nil {
			return cur, err
		}
		next.UpdatedAt = now
		if comment != nil {
			c := *comment
			next.Comment = &c
		}
		p.Amount, p.Currency = amount, cur.Currency
		p.Object.OldStatus, p.Object.NewStatus = cur.Status, next.Status
		out = next
		return next, nil
	}
	if err := s.invoices.RecordPayment(r.Context(), p, apply); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, &out)
}

func (s *Server) markAsUncollectible(w http.ResponseWriter, r *http.Request) {
	inv, err := s.receivableFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in uncollectibleInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.invoices.MarkUncollectible(r.Context(), inv.EntityID, inv.ID, in.Comment, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// paymentStatusInput is Monite's PaymentRecordStatusUpdateRequest.
type paymentStatusInput struct {
	PaymentIntentStatus *string `json:"payment_intent_status"`
}

func (s *Server) cancelPaymentRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "payment_record_id", "Payment record")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.PaymentRecord(r.Context(), entityOf(r).ID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in paymentStatusInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.invoices.CancelPayment(r.Context(), entityOf(r).ID, id, in.PaymentIntentStatus, s.now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
