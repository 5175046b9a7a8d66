package gnucash

import (
	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
)

// itemCodeMax is the longest product reference booksync uses as an item's code in a book: the
// codes it has always given (those Xero takes), as a product's code must not change once its
// item is in the books.
const itemCodeMax = 30

// NewProvider returns the GnuCash provider: each entity's books are a GnuCash file (SQLite
// backend) in dir, named after the entity and created on first connect with a starter chart of
// accounts, the tax tables of the entity's country and its currency. There is nothing to
// authorize: connecting opens (or creates) the book at once.
func NewProvider(dir string) *platform.Provider {
	return &platform.Provider{
		Platform:    booksync.PlatformGnuCash,
		Name:        "GnuCash",
		ItemCodeMax: itemCodeMax,
		Local: func(conn *booksync.Connection, ent *booksync.Entity) (platform.Connector, func() error, error) {
			book, err := Open(dir, conn.EntityID, ent.Address.Country, ent.BookCurrency())
			if err != nil {
				return nil, nil, err
			}
			return book, book.Close, nil
		},
	}
}
