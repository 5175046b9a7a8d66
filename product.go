package booksync

import "time"

// Product types, as Monite names them.
const (
	ProductTypeProduct = "product"
	ProductTypeService = "service"
)

// Price is an amount in minor units of a currency.
type Price struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// Product is an item of an entity's catalog. A push creates or matches it as an item in the
// accounting system, and its ledger account decides where its sales are booked. JSON tags give
// Monite's ProductServiceResponse shape.
type Product struct {
	ID                string    `json:"id"`
	EntityID          string    `json:"entity_id"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Name              string    `json:"name"`
	Description       *string   `json:"description,omitempty"`
	Type              string    `json:"type"`
	Price             *Price    `json:"price,omitempty"`
	LedgerAccountID   *string   `json:"ledger_account_id,omitempty"`
	ExternalReference *string   `json:"external_reference,omitempty"`
	SmallestAmount    *float64  `json:"smallest_amount,omitempty"`
}
