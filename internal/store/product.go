package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/booksync/booksync"
)

const productColumns = "id, entity_id, created_at, updated_at, data"

func scanProduct(sc scanner, extra ...any) (booksync.Product, error) {
	var p booksync.Product
	var id, entityID, data string
	var created, updated int64
	if err := sc.Scan(append(extra, &id, &entityID, &created, &updated, &data)...); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return p, fmt.Errorf("decode product %s: %w", id, err)
	}
	p.ID, p.EntityID = id, entityID
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, nil
}

var productList = listTable[booksync.Product]{
	spec: booksync.ProductList, table: "products", scope: "entity_id", where: "deleted_at IS NULL",
	lookups: []string{"name"},
	columns: productColumns, scan: scanProduct,
}

func productRow(p *booksync.Product) (currency string, price int64, data string, err error) {
	stamp(&p.CreatedAt, &p.UpdatedAt)
	if p.Price != nil {
		currency, price = p.Price.Currency, p.Price.Value
	}
	b, err := json.Marshal(p)
	return currency, price, string(b), err
}

// CreateProduct stores a catalog product of p.EntityID.
func (s *Store) CreateProduct(ctx context.Context, p *booksync.Product) error {
	currency, price, data, err := productRow(p)
	if err != nil {
		return fmt.Errorf("store: create product: %w", err)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		_, err = tx.ExecContext(ctx, `INSERT INTO products
		(id, entity_id, name, type, currency, price, created_at, updated_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			p.ID, p.EntityID, p.Name, p.Type, currency, price, micros(p.CreatedAt), micros(p.UpdatedAt), data)
		if err != nil {
			return fmt.Errorf("store: create product: %w", mapErr(err))
		}
		return s.addObjectEvent(ctx, tx, p.EntityID, booksync.EventObjectProduct, booksync.EventCreated, p.ID, p, p.CreatedAt)
	})
}

// Product returns a product of the entity that is not deleted, or a NotFoundError.
func (s *Store) Product(ctx context.Context, entityID, id string) (*booksync.Product, error) {
	row := s.reader.QueryRowContext(ctx, "SELECT "+productColumns+
		" FROM products WHERE entity_id = $1 AND id = $2 AND deleted_at IS NULL", entityID, id)
	p, err := scanProduct(row)
	if err != nil {
		return nil, wrapRead("product", mapNotFound(err, "product"))
	}
	return &p, nil
}

// UpdateProduct replaces a product's stored fields (matched by p.EntityID and p.ID); its creation
// time stays as stored. A deleted or foreign product gives a NotFoundError.
func (s *Store) UpdateProduct(ctx context.Context, p *booksync.Product) error {
	currency, price, data, err := productRow(p)
	if err != nil {
		return fmt.Errorf("store: update product: %w", err)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, "product", "update product", `UPDATE products
		SET name = $1, type = $2, currency = $3, price = $4, updated_at = $5, data = $6
		WHERE entity_id = $7 AND id = $8 AND deleted_at IS NULL`,
			p.Name, p.Type, currency, price, micros(p.UpdatedAt), data, p.EntityID, p.ID); err != nil {
			return err
		}
		return s.addObjectEvent(ctx, tx, p.EntityID, booksync.EventObjectProduct, booksync.EventUpdated, p.ID, p, p.UpdatedAt)
	})
}

// DeleteProduct marks a product deleted; invoice lines keep their copy of it. Deleting it again,
// or another entity's, gives a NotFoundError.
func (s *Store) DeleteProduct(ctx context.Context, entityID, id string, at time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, "product", "delete product",
			"UPDATE products SET deleted_at = $1 WHERE entity_id = $2 AND id = $3 AND deleted_at IS NULL",
			micros(at), entityID, id); err != nil {
			return err
		}
		return s.addObjectEvent(ctx, tx, entityID, booksync.EventObjectProduct, booksync.EventDeleted, id, map[string]string{"id": id}, at)
	})
}

// Products lists the entity's products that are not deleted.
func (s *Store) Products(ctx context.Context, entityID string, q booksync.ListQuery) (booksync.Page[booksync.Product], error) {
	return list(ctx, s.reader, s.d, productList, entityID, q)
}
