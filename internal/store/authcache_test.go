package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/booksync/booksync/internal/store"
)

// authFixture is a partner with a token and an entity, in a store whose TokenEntity keeps what it
// reads.
type authFixture struct {
	t       *testing.T
	s       *store.Store
	partner string
	token   []byte
	entity  *booksync.Entity
	now     time.Time
}

func newAuthFixture(t *testing.T, s *store.Store) *authFixture {
	t.Helper()
	ctx := context.Background()
	f := &authFixture{t: t, s: s, partner: uuid.NewString(), now: time.Now()}
	secret := sha256.Sum256([]byte(f.partner))
	token := sha256.Sum256([]byte("token of " + f.partner))
	f.token = token[:]
	f.entity = &booksync.Entity{
		ID: uuid.NewString(), PartnerID: f.partner, CreatedAt: f.now, UpdatedAt: f.now,
		Type: booksync.EntityTypeOrganization, Status: booksync.EntityStatusActive,
		Address:      booksync.EntityAddress{Country: "DE", City: "Berlin", PostalCode: "10115", Line1: "Str. 1"},
		Organization: &booksync.Organization{LegalName: "Acme GmbH"},
	}
	for _, err := range []error{
		s.CreatePartner(ctx, booksync.Partner{ID: f.partner, Name: "p", CreatedAt: f.now}, secret[:]),
		s.CreateEntity(ctx, f.entity, booksync.Settings{VATMode: booksync.VATModeExclusive}),
		s.CreateToken(ctx, f.token, f.partner, f.now.Add(booksync.AccessTokenTTL)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// On PostgreSQL the store keeps nothing until its listener listens, which the first read starts.
	f.read(f.now)
	waitFor(t, func() bool { return store.AuthCacheOn(s) })
	return f
}

// read returns what TokenEntity gives the fixture's token and entity at now.
func (f *authFixture) read(now time.Time) (*booksync.Entity, booksync.Settings, error) {
	f.t.Helper()
	p, e, raw, err := f.s.TokenEntity(context.Background(), f.token, now, f.entity.ID)
	if err != nil {
		return nil, booksync.Settings{}, err
	}
	if p != f.partner {
		f.t.Fatalf("TokenEntity's partner = %q, want %q", p, f.partner)
	}
	st, err := raw.Decode()
	if err != nil {
		f.t.Fatal(err)
	}
	return e, st, nil
}

// cached reads the fixture's entity with its token so that the store keeps it, and checks that it
// does: what the caller checks next is then what a kept row gives.
func (f *authFixture) cached() {
	f.t.Helper()
	if _, _, err := f.read(f.now); err != nil {
		f.t.Fatal(err)
	}
	if !store.AuthCached(f.s, f.token, f.entity.ID) {
		f.t.Fatal("TokenEntity kept nothing of what it read")
	}
}

// rename gives the fixture's entity a new legal name through s.
func (f *authFixture) rename(s *store.Store, name string) {
	f.t.Helper()
	e := *f.entity
	e.Organization = &booksync.Organization{LegalName: name}
	e.UpdatedAt = f.now.Add(time.Second)
	if err := s.UpdateEntity(context.Background(), &e); err != nil {
		f.t.Fatal(err)
	}
}

func wantTokenRefused(t *testing.T, err error) {
	t.Helper()
	var nf *store.NotFoundError
	if !errors.As(err, &nf) || nf.Object != "token" {
		t.Fatalf("TokenEntity = %v, want the token not found", err)
	}
}

// What TokenEntity keeps of its reads never outlives a change: an entity's update and its settings'
// are read by the next request, a token refused once revoked or expired.
func TestTokenEntitySeesEachChangeAtOnce(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newAuthFixture(t, d.open(t, store.Options{}))

			f.cached()
			f.rename(f.s, "Acme Renamed GmbH")
			if e, _, err := f.read(f.now); err != nil || e.Name() != "Acme Renamed GmbH" {
				t.Fatalf("after the entity's update, TokenEntity = %v, %v; want the new name", e, err)
			}

			f.cached()
			if err := f.s.UpdateSettings(ctx, f.entity.ID, booksync.Settings{VATMode: booksync.VATModeInclusive}); err != nil {
				t.Fatal(err)
			}
			if _, st, err := f.read(f.now); err != nil || st.EffectiveVATMode() != booksync.VATModeInclusive {
				t.Fatalf("after the settings' update, TokenEntity's settings = %+v, %v; want inclusive VAT", st, err)
			}

			f.cached()
			_, _, err := f.read(f.now.Add(booksync.AccessTokenTTL))
			wantTokenRefused(t, err)

			f.cached()
			if err := f.s.RevokeToken(ctx, f.token, f.partner); err != nil {
				t.Fatal(err)
			}
			_, _, err = f.read(f.now)
			wantTokenRefused(t, err)
		})
	}
}

// Each request gets an entity of its own: what one changes in the entity TokenEntity gave it is
// not what the next request, served from the same kept row, reads.
func TestTokenEntityGivesEachRequestItsOwnEntity(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f := newAuthFixture(t, d.open(t, store.Options{}))
			f.cached()
			first, _, err := f.read(f.now)
			if err != nil {
				t.Fatal(err)
			}
			first.Organization.LegalName = "Changed by a request"
			first.Address.City = "Hamburg"
			next, _, err := f.read(f.now)
			if err != nil {
				t.Fatal(err)
			}
			if !store.AuthCached(f.s, f.token, f.entity.ID) {
				t.Fatal("the second read was not served from the kept row")
			}
			if next.Name() != "Acme GmbH" || next.Address.City != "Berlin" {
				t.Fatalf("the next request reads %q in %s, what the first changed", next.Name(), next.Address.City)
			}
		})
	}
}

// A read that a change overtakes, between reading the row and keeping it, keeps nothing: the next
// request reads the change.
func TestTokenEntityKeepsNoReadAChangeOvertook(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f := newAuthFixture(t, d.open(t, store.Options{}))
			store.SetAuthCacheTTL(f.s, time.Hour)
			f.rename(f.s, "Acme Before GmbH") // empties the cache
			overtaken := false
			store.BeforeAuthCachePut(f.s, func() {
				if !overtaken {
					overtaken = true
					f.rename(f.s, "Acme After GmbH")
				}
			})
			if e, _, err := f.read(f.now); err != nil || e.Name() != "Acme Before GmbH" {
				t.Fatalf("TokenEntity = %v, %v; want what it read before the change", e, err)
			}
			if e, _, err := f.read(f.now); err != nil || e.Name() != "Acme After GmbH" {
				t.Fatalf("the read after the change = %v, %v; want the new name", e, err)
			}
		})
	}
}

// On PostgreSQL, a change made by another process reaches each store's kept rows: the store hears
// of it on its LISTEN, however long it would otherwise keep them. A store that cannot listen
// (PostgresPollOnly) keeps nothing.
func TestTokenEntitySeesAnotherProcessesChanges(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	open := func(opts store.Options) *store.Store {
		s, err := store.OpenAndMigrate(ctx, dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	other, s := open(store.Options{}), open(store.Options{})
	f := newAuthFixture(t, s)
	store.SetAuthCacheTTL(s, time.Hour)

	f.cached()
	f.rename(other, "Acme Elsewhere GmbH")
	waitFor(t, func() bool {
		e, _, err := f.read(f.now)
		return err == nil && e.Name() == "Acme Elsewhere GmbH"
	})

	f.cached()
	if err := other.RevokeToken(ctx, f.token, f.partner); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, _, err := f.read(f.now)
		return err != nil
	})
	_, _, err := f.read(f.now)
	wantTokenRefused(t, err)

	polling := open(store.Options{PostgresPollOnly: true})
	g := &authFixture{t: t, s: polling, partner: f.partner, token: f.token, entity: f.entity, now: f.now}
	if err := polling.CreateToken(ctx, hashOf("second token"), f.partner, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	g.token = hashOf("second token")
	if _, _, err := g.read(f.now); err != nil || store.AuthCached(polling, g.token, f.entity.ID) || store.AuthCacheOn(polling) {
		t.Fatalf("a store that cannot listen kept what TokenEntity read (%v)", err)
	}
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// The cache keeps rows only while the store listens for changes: when its listening connection is
// cut, it keeps nothing until it listens again, and then hears of changes as before. Close stops the
// listener.
func TestTokenEntityCacheFollowsItsListener(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	s, err := store.OpenAndMigrate(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	other, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f := newAuthFixture(t, s)
	store.SetAuthCacheTTL(s, time.Hour)
	f.cached()

	// Cut the listener's connection, as a restart of the server or a network fault would, and wait
	// for the listener to listen again on a connection of its own: a backend other than the one cut.
	listener := func() (pid int) {
		err := other.Writer().QueryRowContext(ctx, `SELECT COALESCE(max(pid), 0) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN booksync_auth'`).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	cut := listener()
	if _, err := other.Writer().ExecContext(ctx, "SELECT pg_terminate_backend($1)", cut); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		pid := listener()
		return pid != 0 && pid != cut && store.AuthCacheOn(s)
	})
	if store.AuthCached(s, f.token, f.entity.ID) {
		t.Fatal("the cache kept a row through the cut of its listener, when changes could go unheard")
	}
	f.cached()
	f.rename(other, "Acme After The Cut GmbH")
	waitFor(t, func() bool {
		e, _, err := f.read(f.now)
		return err == nil && e.Name() == "Acme After The Cut GmbH"
	})

	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	closed = true
	var closeErr error
	waitFor(t, func() bool {
		select {
		case closeErr = <-done:
			return true
		default:
			return false
		}
	})
	if closeErr != nil {
		t.Fatal(closeErr)
	}
	// The server ends the listener's backend once it sees the connection closed.
	waitFor(t, func() bool {
		var listening int
		if err := other.Writer().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN booksync_auth'`).Scan(&listening); err != nil {
			t.Fatal(err)
		}
		return listening == 0
	})
}
