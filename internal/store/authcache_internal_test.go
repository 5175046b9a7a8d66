package store

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/booksync/booksync"
)

// What the auth cache keeps stays within its bounds however large the rows or many the tokens: a
// partner with many tokens and an entity with large settings cannot make it hold more than
// authCacheMaxBytes.
func TestAuthCacheStaysWithinItsBounds(t *testing.T) {
	c := newAuthCache(true)
	row := func(settings int) authRow {
		return authRow{partnerID: "p", entity: &booksync.Entity{}, dataLen: 2, settings: strings.Repeat("x", settings), expires: 1 << 62, read: time.Now()}
	}
	huge := authKey{token: "huge", entity: "e"}
	c.put(huge, row(authRowMaxBytes), c.generation())
	if _, ok := c.get(huge, 0); ok {
		t.Fatal("the cache kept a row larger than authRowMaxBytes")
	}
	most := 0
	for i := range 2 * authCacheMaxBytes / (authRowMaxBytes / 2) {
		k := authKey{token: "token " + strconv.Itoa(i), entity: "e"}
		c.put(k, row(authRowMaxBytes/2), c.generation())
		if _, ok := c.get(k, 0); !ok {
			t.Fatalf("the cache did not keep row %d", i)
		}
		most = max(most, c.bytes)
		if c.bytes > authCacheMaxBytes || len(c.rows) > authCacheMaxRows {
			t.Fatalf("after %d rows the cache holds %d bytes in %d rows", i+1, c.bytes, len(c.rows))
		}
	}
	if most < authCacheMaxBytes/2 {
		t.Fatalf("the cache never held more than %d bytes: the test did not reach its bound", most)
	}
	// A row put again is counted once.
	k := authKey{token: "again", entity: "e"}
	c.changed()
	for range 3 {
		c.put(k, row(1000), c.generation())
	}
	if want := row(1000).size(k); c.bytes != want {
		t.Fatalf("one row put three times counts %d bytes, want %d", c.bytes, want)
	}
}
