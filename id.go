package booksync

import "github.com/google/uuid"

// NewID returns the id of a new object: a random UUID of version 7, whose first 48 bits are the
// time of its creation in milliseconds. Ids made one after another therefore sort one after
// another, so the rows booksync creates land beside the ones created just before them in every
// index that ends with the id (the primary key's, and each (entity, column, id) index of a list),
// and the writes that SQLite commits together share those index pages instead of each changing a
// page of its own somewhere in the index. An id is only an id: nothing reads a time out of it.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
