package booksync_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
)

func TestNewIDSortsInCreationOrder(t *testing.T) {
	prev := ""
	for range 1000 {
		id := booksync.NewID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != id {
			t.Fatalf("NewID() = %q: not a canonical UUID of version 7 (%v)", id, err)
		}
		if id <= prev {
			t.Fatalf("NewID() = %q after %q: ids made one after another must sort one after another", id, prev)
		}
		prev = id
	}
}
