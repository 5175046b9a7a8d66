package store

import (
	"context"
	"sync"
	"time"

	"github.com/booksync/booksync"
)

// authChannel is the PostgreSQL channel on which a change to a token or an entity is announced to
// every process's store (migration 0013: a trigger notifies on each UPDATE or DELETE of
// access_tokens and entities, in the transaction that makes it).
const authChannel = "booksync_auth"

// authCacheTTL bounds how long a row read by TokenEntity is used again: the most a change can go
// unseen if an announcement is lost (a listening connection cut without a word). Each token and
// entity then costs one read per TTL at any request rate.
const authCacheTTL = 5 * time.Second

// Bounds of what the cache keeps: a row is kept only after a token and its partner's entity were
// found, but a partner may hold many tokens and an entity large settings. A row larger than
// authRowMaxBytes (its entity's data and settings) is not kept, and one that would take the cache
// past authCacheMaxRows rows or authCacheMaxBytes empties it first: at most 16 MiB, whatever the
// partners do.
const (
	authCacheMaxRows  = 4096
	authCacheMaxBytes = 16 << 20
	authRowMaxBytes   = 64 << 10
)

// authKey names a row of TokenEntity: a token's hash and an entity id.
type authKey struct {
	token, entity string
}

// authRow is what TokenEntity read for an authKey, with when it was read: the token's partner and
// expiry, the entity decoded (each request gets a clone of it) and its settings as stored.
type authRow struct {
	partnerID, settings string
	entity              *booksync.Entity
	dataLen             int // the length of the entity's data as stored, for size
	expires             int64
	read                time.Time
}

// size is roughly the memory r and its key take: the entity decoded takes about what its data
// stored does.
func (r authRow) size(k authKey) int {
	return len(k.token) + len(k.entity) + len(r.partnerID) + r.dataLen + len(r.settings) + 256
}

// authCache keeps the rows TokenEntity read, so that an API client's requests do not each read
// their token and entity again: one read on SQLite, one round trip on PostgreSQL, of the few an
// invoice's requests cost.
//
// Every change to a token or an entity empties it: the store's own writes (RevokeToken,
// UpdateEntity, UpdateSettings) do so before they return, so a change is seen by the next request;
// on PostgreSQL, another process's change is announced on authChannel and empties it when the
// announcement arrives. Rows are kept only while the cache is on: always on SQLite (one process per
// file); on PostgreSQL only while the store listens on authChannel, so that no announcement can be
// missed while rows are kept.
//
// A read that began before a change must not keep what it read: every change, and every turn on
// or off, advances gen, and a read keeps its row only if gen is what it was before the read began.
type authCache struct {
	mu    sync.Mutex
	on    bool
	gen   uint64
	rows  map[authKey]authRow
	bytes int // the rows' sizes
	ttl   time.Duration
	// beforePut, when set (by tests), runs in put before it takes the lock.
	beforePut func()
}

func newAuthCache(on bool) *authCache {
	return &authCache{on: on, rows: make(map[authKey]authRow), ttl: authCacheTTL}
}

// get returns the row kept for k, if one is kept, was read within the TTL, and its token expires
// after now (micros).
func (c *authCache) get(k authKey, now int64) (authRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rows[k]
	if !ok || r.expires <= now || time.Since(r.read) >= c.ttl {
		return authRow{}, false
	}
	return r, true
}

// generation returns the generation to pass to put for a read that begins now.
func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps r for k if the cache is on and nothing changed since generation gen was taken.
func (c *authCache) put(k authKey, r authRow, gen uint64) {
	if c.beforePut != nil {
		c.beforePut()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	size := r.size(k)
	if !c.on || c.gen != gen || size > authRowMaxBytes {
		return
	}
	if old, ok := c.rows[k]; ok {
		c.bytes -= old.size(k)
	}
	if len(c.rows) >= authCacheMaxRows || c.bytes+size > authCacheMaxBytes {
		clear(c.rows) // gen stays: the reads begun meanwhile may keep their rows
		c.bytes = 0
	}
	c.rows[k] = r
	c.bytes += size
}

// changed empties the cache: a token or an entity changed.
func (c *authCache) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emptyLocked()
}

// set turns the cache on or off, and empties it.
func (c *authCache) set(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = on
	c.emptyLocked()
}

// emptyLocked drops every row and advances gen, so that no read begun before keeps its row; c.mu
// is held.
func (c *authCache) emptyLocked() {
	c.gen++
	clear(c.rows)
	c.bytes = 0
}

// startAuthListener starts, once, the goroutine that keeps the cache on while it listens on
// authChannel (PostgreSQL): before, the cache keeps nothing. Without a listener pool
// (PostgresPollOnly, for poolers that cannot LISTEN) the cache stays off.
func (s *Store) startAuthListener() {
	s.authOnce.Do(func() {
		if s.listen == nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.authStop = cancel
		s.authDone.Add(1)
		go func() {
			defer s.authDone.Done()
			s.listenAuth(ctx)
		}()
	})
}

// listenAuth listens on authChannel until ctx ends, and empties the cache on each announcement. The
// cache is on only while a LISTEN is in place; when the connection fails it goes off, the store's
// logger says so (tokens and entities are then read on every request, as without the cache), and the
// listener connects again after a second.
func (s *Store) listenAuth(ctx context.Context) {
	for ctx.Err() == nil {
		listened, err := s.listenAuthOnce(ctx)
		s.auth.set(false)
		if ctx.Err() != nil {
			return
		}
		if listened && s.opts.Logger != nil {
			s.opts.Logger.Warn("store: stopped listening for changes to tokens and entities; API requests read them every time until it listens again",
				"err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// listenAuthOnce listens on authChannel on a connection of its own until it fails or ctx ends. It
// reports whether it listened, and why it stopped.
func (s *Store) listenAuthOnce(ctx context.Context) (bool, error) {
	pc, err := s.listen.Acquire(ctx)
	if err != nil {
		return false, err
	}
	// Hijacked, the connection is the listener's alone: it never goes back to the pool listening.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+authChannel); err != nil {
		return false, err
	}
	s.auth.set(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.auth.changed()
	}
}

// stopAuthListener stops the listener, if it was started, and waits for it.
func (s *Store) stopAuthListener() {
	s.authOnce.Do(func() {}) // no listener starts after Close
	if s.authStop != nil {
		s.authStop()
	}
	s.authDone.Wait()
}
