package api

import (
	"net/http"
	"strings"

	"github.com/booksync/booksync"
)

type productInput struct {
	Name              *string         `json:"name"`
	Description       *string         `json:"description"`
	Type              *string         `json:"type"`
	Price             *booksync.Price `json:"price"`
	LedgerAccountID   *string         `json:"ledger_account_id"`
	ExternalReference *string         `json:"external_reference"`
	SmallestAmount    *float64        `json:"smallest_amount"`
}

func (in *productInput) apply(p *booksync.Product) error {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Type != nil {
		p.Type = *in.Type
	}
	setStr(&p.Description, in.Description)
	setStr(&p.ExternalReference, in.ExternalReference)
	if in.LedgerAccountID != nil {
		id := strings.ToLower(*in.LedgerAccountID)
		p.LedgerAccountID = &id
	}
	if in.Price != nil {
		pr := *in.Price
		p.Price = &pr
	}
	if in.SmallestAmount != nil {
		v := *in.SmallestAmount
		p.SmallestAmount = &v
	}
	return nil
}

func (s *Server) postProduct(w http.ResponseWriter, r *http.Request) {
	var in productInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkProductRefs(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	p := &booksync.Product{ID: newID(), EntityID: entityOf(r).ID, CreatedAt: now, UpdatedAt: now, Type: booksync.ProductTypeProduct}
	if err := in.apply(p); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.CreateProduct(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) productFromPath(r *http.Request) (*booksync.Product, error) {
	id, err := pathID(r, "product_id", "Product")
	if err != nil {
		return nil, err
	}
	return s.store.Product(r.Context(), entityOf(r).ID, id)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) patchProduct(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in productInput
	if err := s.decodeBody(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkProductRefs(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.apply(p); err != nil {
		s.writeError(w, r, err)
		return
	}
	p.UpdatedAt = s.now()
	if err := s.store.UpdateProduct(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteProduct(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFromPath(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteProduct(r.Context(), p.EntityID, p.ID, s.now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseList(r, booksync.ProductList, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.Products(r.Context(), entityOf(r).ID, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePage(w, r, page)
}

// checkProductRefs checks the product's ledger account against the entity's connected books.
func (s *Server) checkProductRefs(r *http.Request, in *productInput) error {
	if in.LedgerAccountID == nil {
		return nil
	}
	return s.checkAccountingRefs(r.Context(), entityOf(r).ID,
		[]accountingRef{{refLedgerAccount, []any{"body", "ledger_account_id"}, *in.LedgerAccountID}})
}
