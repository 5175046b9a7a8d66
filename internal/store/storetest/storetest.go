// Package storetest is the behaviour suite every database behind store.Store must pass, in the way
// River's riverdrivertest holds each River driver to one suite: the SQLite and PostgreSQL tests
// both call Run, so a difference between the dialects shows up as a failing subtest rather than as
// a bug in production.
package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/store"
)

// Run runs the suite. open must return a migrated, empty store of its own for each call; Run calls
// it once per subtest so that the subtests can run in parallel.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"Partners", testPartners},
		{"Tokens", testTokens},
		{"TokenEntity", testTokenEntity},
		{"ReceivableWithCounterpart", testReceivableWithCounterpart},
		{"Entities", testEntities},
		{"Settings", testSettings},
		{"Counterparts", testCounterparts},
		{"Products", testProducts},
		{"Receivables", testReceivables},
		{"IssueReceivableTx", testIssue},
		{"IssueConcurrently", testIssueConcurrently},
		{"PaymentRecords", testPaymentRecords},
		{"Filters", testFilters},
		{"Paging", testPaging},
		{"ReceivablesJSON", testReceivablesJSON},
		{"ListValidation", testListValidation},
		{"PartnerTenants", testPartnerTenants},
		{"Leases", testLeases},
		{"SettleSyncedRecord", testSettleSyncedRecord},
		{"PendingRecordsExcept", testPendingRecordsExcept},
		{"PendingWaitsForSync", testPendingWaitsForSync},
		{"TypedErrors", testTypedErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// base is the time the fixtures are created at: a fixed instant, so that expected orders do not
// depend on the clock.
var base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// wantCode fails the test unless err is an application error with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := booksync.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// issue issues a draft invoice in a transaction of its own.
func issue(ctx context.Context, s *store.Store, entityID, id string, at time.Time) (*booksync.Receivable, error) {
	var r *booksync.Receivable
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.IssueReceivableTx(ctx, tx, entityID, id, at)
		return err
	})
	return r, err
}

// createPayment stores a payment record in a transaction of its own.
func createPayment(ctx context.Context, s *store.Store, p *booksync.PaymentRecord,
	apply func(booksync.Receivable) (booksync.Receivable, error)) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := s.CreatePaymentRecordTx(ctx, tx, p, apply)
		return err
	})
}

func newPartner(t *testing.T, s *store.Store) string {
	t.Helper()
	id := uuid.NewString()
	must(t, s.CreatePartner(context.Background(), booksync.Partner{ID: id, Name: "p", CreatedAt: base}, hash(id)))
	return id
}

func newEntity(t *testing.T, s *store.Store, partnerID string) *booksync.Entity {
	t.Helper()
	e := &booksync.Entity{
		ID: uuid.NewString(), PartnerID: partnerID, CreatedAt: base, UpdatedAt: base,
		Type: booksync.EntityTypeOrganization, Status: booksync.EntityStatusActive, Email: ptr("books@acme.test"),
		Address:      booksync.EntityAddress{Country: "DE", City: "Berlin", PostalCode: "10115", Line1: "Str. 1"},
		Organization: &booksync.Organization{LegalName: "Acme GmbH"},
	}
	must(t, s.CreateEntity(context.Background(), e, booksync.Settings{VATMode: booksync.VATModeExclusive}))
	return e
}

func newReceivable(entityID string, created time.Time) *booksync.Receivable {
	return &booksync.Receivable{
		ID: uuid.NewString(), EntityID: entityID, CreatedAt: created, UpdatedAt: created,
		Type: booksync.ReceivableTypeInvoice, Status: booksync.StatusDraft, Currency: "EUR",
		CounterpartID: uuid.NewString(), CounterpartType: booksync.CounterpartTypeOrganization,
		CounterpartName: "Globex", VATMode: booksync.VATModeExclusive,
		LineItems: []booksync.LineItem{{
			Quantity: booksync.Quantity{Decimal: decimal.RequireFromString("2.5")},
			Product: booksync.LineProduct{ID: uuid.NewString(), Name: "Widget",
				Price: booksync.Price{Currency: "EUR", Value: 400}},
			TotalBeforeVAT: 1000, TotalAfterVAT: 1190, TaxRateValue: 1900,
			TaxRateName: ptr("VAT 19%"), AccountingTaxRateID: ptr("tax-19"),
		}},
		Subtotal: 1000, DiscountedSubtotal: 1000, TotalVATAmount: 190, TotalAmount: 1190, AmountDue: 1190, AmountToPay: 1190,
	}
}

// testPartnerTenants: the sandboxes show a partner the organisations its own entities connected
// to the platform, disconnected ones included, and nobody else's.
func testPartnerTenants(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a, b := newPartner(t, s), newPartner(t, s)
	connect := func(partner, platform, status, tenant string) {
		t.Helper()
		e := newEntity(t, s, partner)
		c := &booksync.Connection{ID: uuid.NewString(), EntityID: e.ID, CreatedAt: base, UpdatedAt: base,
			Platform: platform, Status: status, TenantID: tenant}
		must(t, s.CreateConnection(ctx, c, uuid.NewString()))
	}
	connect(a, booksync.PlatformXero, booksync.ConnectionConnected, "xero-a1")
	connect(a, booksync.PlatformXero, booksync.ConnectionDisconnected, "xero-a2")
	connect(a, booksync.PlatformXero, booksync.ConnectionPendingAuth, "")
	connect(a, booksync.PlatformQuickBooksOnline, booksync.ConnectionConnected, "realm-a")
	connect(b, booksync.PlatformXero, booksync.ConnectionConnected, "xero-b")
	for _, tc := range []struct {
		partner, platform string
		want              []string
	}{
		{a, booksync.PlatformXero, []string{"xero-a1", "xero-a2"}},
		{a, booksync.PlatformQuickBooksOnline, []string{"realm-a"}},
		{b, booksync.PlatformXero, []string{"xero-b"}},
		{b, booksync.PlatformQuickBooksOnline, nil},
		{"no-such-partner", booksync.PlatformXero, nil},
	} {
		got, err := s.PartnerTenants(ctx, tc.partner, tc.platform)
		must(t, err)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("PartnerTenants(%s, %s) = %v, want %v", tc.partner, tc.platform, got, tc.want)
		}
	}
}

func testPartners(t *testing.T, s *store.Store) {
	ctx := context.Background()
	n, err := s.CountPartners(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("CountPartners on an empty store = %d", n)
	}
	id := newPartner(t, s)
	newPartner(t, s)
	if n, err = s.CountPartners(ctx); err != nil || n != 2 {
		t.Fatalf("CountPartners = %d, %v; want 2", n, err)
	}
	got, err := s.PartnerSecretHash(ctx, id)
	must(t, err)
	if string(got) != string(hash(id)) {
		t.Fatalf("PartnerSecretHash = %x, want %x", got, hash(id))
	}
	_, err = s.PartnerSecretHash(ctx, "nobody")
	wantCode(t, err, booksync.ENOTFOUND)

	// Creating a partner that exists replaces its secret (a changed BOOKSYNC_CLIENT_SECRET).
	must(t, s.CreatePartner(ctx, booksync.Partner{ID: id}, hash("x")))
	if got, _ := s.PartnerSecretHash(ctx, id); string(got) != string(hash("x")) {
		t.Fatalf("secret after re-creating the partner = %x, want %x", got, hash("x"))
	}
	if n, _ = s.CountPartners(ctx); n != 2 {
		t.Fatalf("CountPartners after re-creating one = %d, want 2", n)
	}
}

func testTokens(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p1, p2 := newPartner(t, s), newPartner(t, s)
	now := time.Now()
	tok := hash("token-1")
	must(t, s.CreateToken(ctx, tok, p1, now.Add(booksync.AccessTokenTTL)))

	got, err := s.TokenPartner(ctx, tok, now)
	must(t, err)
	if got != p1 {
		t.Fatalf("TokenPartner = %q, want %q", got, p1)
	}
	_, err = s.TokenPartner(ctx, tok, now.Add(booksync.AccessTokenTTL+time.Second))
	wantCode(t, err, booksync.ENOTFOUND)
	_, err = s.TokenPartner(ctx, hash("unknown"), now)
	wantCode(t, err, booksync.ENOTFOUND)

	if err := s.CreateToken(ctx, tok, p1, now); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateToken twice = %v, want ErrAlreadyExists", err)
	}

	// Another partner cannot revoke p1's token.
	must(t, s.RevokeToken(ctx, tok, p2))
	if _, err := s.TokenPartner(ctx, tok, now); err != nil {
		t.Fatalf("token revoked by another partner: %v", err)
	}
	must(t, s.RevokeToken(ctx, tok, p1))
	_, err = s.TokenPartner(ctx, tok, now)
	wantCode(t, err, booksync.ENOTFOUND)
	must(t, s.RevokeToken(ctx, hash("unknown"), p1))
}

// testTokenEntity checks the read that authenticates an entity-scoped request: the token and the
// entity in one query, each refused as TokenPartner and Entity refuse them.
func testTokenEntity(t *testing.T, s *store.Store) {
	ctx := context.Background()
	pa, pb := newPartner(t, s), newPartner(t, s)
	e := newEntity(t, s, pa)
	now := time.Now()
	tok, other := hash("entity-token-a"), hash("entity-token-b")
	must(t, s.CreateToken(ctx, tok, pa, now.Add(booksync.AccessTokenTTL)))
	must(t, s.CreateToken(ctx, other, pb, now.Add(booksync.AccessTokenTTL)))

	must(t, s.UpdateSettings(ctx, e.ID, booksync.Settings{VATMode: booksync.VATModeInclusive}))
	p, got, settings, err := s.TokenEntity(ctx, tok, now, e.ID)
	must(t, err)
	if p != pa || got.ID != e.ID || got.PartnerID != pa || got.Name() != "Acme GmbH" || !got.CreatedAt.Equal(base) {
		t.Fatalf("TokenEntity = %q, %+v", p, got)
	}
	st, err := settings.Decode()
	must(t, err)
	want, err := s.Settings(ctx, e.ID)
	must(t, err)
	if !reflect.DeepEqual(st, want) || st.EffectiveVATMode() != booksync.VATModeInclusive {
		t.Fatalf("TokenEntity's settings = %+v, want the entity's, %+v", st, want)
	}
	// Another partner's entity, and one that does not exist, are not found for a valid token.
	for _, id := range []string{e.ID, uuid.NewString()} {
		tk, wantP := other, pb
		if id != e.ID {
			tk, wantP = tok, pa
		}
		p, got, _, err := s.TokenEntity(ctx, tk, now, id)
		wantCode(t, err, booksync.ENOTFOUND)
		var nf *store.NotFoundError
		if !errors.As(err, &nf) || nf.Object != "entity" || p != wantP || got != nil {
			t.Fatalf("TokenEntity of entity %s not the token's partner's = %q, %v, %v; want the partner and the entity not found", id, p, got, err)
		}
	}
	// An expired, unknown or revoked token is not found, with no partner and no entity.
	must(t, s.RevokeToken(ctx, other, pb))
	for _, c := range []struct {
		tok []byte
		at  time.Time
	}{{tok, now.Add(booksync.AccessTokenTTL + time.Second)}, {hash("unknown"), now}, {other, now}} {
		p, got, _, err := s.TokenEntity(ctx, c.tok, c.at, e.ID)
		var nf *store.NotFoundError
		if !errors.As(err, &nf) || nf.Object != "token" || p != "" || got != nil {
			t.Fatalf("TokenEntity of a token that is not valid = %q, %v, %v; want the token not found", p, got, err)
		}
	}
}

func testEntities(t *testing.T, s *store.Store) {
	ctx := context.Background()
	pa, pb := newPartner(t, s), newPartner(t, s)
	e := newEntity(t, s, pa)

	got, err := s.Entity(ctx, pa, e.ID)
	must(t, err)
	if got.ID != e.ID || got.PartnerID != pa || got.Name() != "Acme GmbH" || !got.CreatedAt.Equal(base) ||
		got.Email == nil || *got.Email != "books@acme.test" || got.Address.City != "Berlin" {
		t.Fatalf("Entity = %+v", got)
	}

	// Partner B sees nothing of partner A's.
	_, err = s.Entity(ctx, pb, e.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	page, err := s.Entities(ctx, pb, booksync.ListQuery{Limit: 10})
	must(t, err)
	if len(page.Items) != 0 {
		t.Fatalf("partner B lists %d entities of partner A", len(page.Items))
	}
	stolen := *e
	stolen.PartnerID = pb
	stolen.Organization = &booksync.Organization{LegalName: "Stolen"}
	wantCode(t, s.UpdateEntity(ctx, &stolen), booksync.ENOTFOUND)

	e.Organization.LegalName = "Acme AG"
	e.UpdatedAt = base.Add(time.Hour)
	must(t, s.UpdateEntity(ctx, e))
	got, err = s.Entity(ctx, pa, e.ID)
	must(t, err)
	if got.Name() != "Acme AG" || !got.UpdatedAt.Equal(base.Add(time.Hour)) || !got.CreatedAt.Equal(base) {
		t.Fatalf("after update: %+v", got)
	}

	page, err = s.Entities(ctx, pa, booksync.ListQuery{Limit: 10})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].ID != e.ID || page.Next != nil || page.Prev != nil {
		t.Fatalf("Entities = %+v", page)
	}

	err = s.CreateEntity(ctx, e, booksync.Settings{})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateEntity twice = %v, want ErrAlreadyExists", err)
	}
}

func testSettings(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	st, err := s.Settings(ctx, e.ID)
	must(t, err)
	if st.VATMode != booksync.VATModeExclusive {
		t.Fatalf("initial settings = %+v", st)
	}
	st = booksync.Settings{
		VATMode:    booksync.VATModeInclusive,
		Accounting: &booksync.AccountingSettings{LedgerAccountIDs: &booksync.DefaultLedgerAccountIDs{Products: ptr("acc-1")}},
		Other: map[string]json.RawMessage{"language": json.RawMessage(`"de"`),
			"reminder": json.RawMessage(`{"enabled":true,"days":[1,3]}`)},
	}
	must(t, s.UpdateSettings(ctx, e.ID, st))
	got, err := s.Settings(ctx, e.ID)
	must(t, err)
	if got.VATMode != booksync.VATModeInclusive || got.Accounting == nil || got.Accounting.LedgerAccountIDs == nil ||
		*got.Accounting.LedgerAccountIDs.Products != "acc-1" {
		t.Fatalf("settings = %+v", got)
	}
	if string(got.Other["reminder"]) != `{"enabled":true,"days":[1,3]}` || string(got.Other["language"]) != `"de"` {
		t.Fatalf("unknown keys not kept verbatim: %s, %s", got.Other["reminder"], got.Other["language"])
	}
	_, err = s.Settings(ctx, uuid.NewString())
	wantCode(t, err, booksync.ENOTFOUND)
	wantCode(t, s.UpdateSettings(ctx, uuid.NewString(), st), booksync.ENOTFOUND)
}

func testCounterparts(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	c := &booksync.Counterpart{ID: uuid.NewString(), EntityID: a.ID, CreatedAt: base, UpdatedAt: base,
		Type:         booksync.CounterpartTypeOrganization,
		Organization: &booksync.CounterpartOrganization{LegalName: "Globex", IsCustomer: true, Email: ptr("ap@globex.test")}}
	addr := &booksync.CounterpartAddress{Country: "FR", City: "Paris", PostalCode: "75001", Line1: "Rue 1"}
	must(t, s.CreateCounterpart(ctx, c, addr))
	if addr.ID == "" || addr.CounterpartID != c.ID || c.DefaultBillingAddressID == nil || *c.DefaultBillingAddressID != addr.ID ||
		c.DefaultShippingAddressID == nil || *c.DefaultShippingAddressID != addr.ID {
		t.Fatalf("CreateCounterpart did not set the default addresses: %+v, %+v", c, addr)
	}
	got, err := s.Counterpart(ctx, a.ID, c.ID)
	must(t, err)
	if got.Name() != "Globex" || got.EntityID != a.ID || got.DefaultBillingAddressID == nil || *got.DefaultBillingAddressID != addr.ID {
		t.Fatalf("Counterpart = %+v", got)
	}

	second := &booksync.CounterpartAddress{CounterpartID: c.ID, Country: "FR", City: "Lyon", PostalCode: "69001", Line1: "Rue 2"}
	must(t, s.CreateCounterpartAddress(ctx, a.ID, second))
	addrs, err := s.CounterpartAddresses(ctx, a.ID, c.ID)
	must(t, err)
	if len(addrs) != 2 || addrs[0].City != "Paris" || addrs[1].City != "Lyon" {
		t.Fatalf("CounterpartAddresses = %+v, want Paris then Lyon", addrs)
	}
	withAddrs, addrs, err := s.CounterpartWithAddresses(ctx, a.ID, c.ID)
	must(t, err)
	if withAddrs.Name() != "Globex" || withAddrs.ID != c.ID || withAddrs.EntityID != a.ID || !withAddrs.CreatedAt.Equal(base) ||
		len(addrs) != 2 || addrs[0].City != "Paris" || addrs[1].City != "Lyon" {
		t.Fatalf("CounterpartWithAddresses = %+v, %+v; want Globex with Paris then Lyon", withAddrs, addrs)
	}
	bare := &booksync.Counterpart{ID: uuid.NewString(), EntityID: b.ID, Type: booksync.CounterpartTypeOrganization,
		Organization: &booksync.CounterpartOrganization{LegalName: "Initech", IsCustomer: true}}
	must(t, s.CreateCounterpart(ctx, bare, nil))
	if got, addrs, err := s.CounterpartWithAddresses(ctx, b.ID, bare.ID); err != nil || got.Name() != "Initech" || addrs == nil || len(addrs) != 0 {
		t.Fatalf("CounterpartWithAddresses of a counterpart without addresses = %+v, %v, %v", got, addrs, err)
	}

	// Entity B sees nothing of entity A's.
	_, err = s.Counterpart(ctx, b.ID, c.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	_, err = s.CounterpartAddresses(ctx, b.ID, c.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	_, _, err = s.CounterpartWithAddresses(ctx, b.ID, c.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	wantCode(t, s.CreateCounterpartAddress(ctx, b.ID, &booksync.CounterpartAddress{CounterpartID: c.ID}), booksync.ENOTFOUND)
	wantCode(t, s.DeleteCounterpart(ctx, b.ID, c.ID, base), booksync.ENOTFOUND)
	foreign := *got
	foreign.EntityID = b.ID
	wantCode(t, s.UpdateCounterpart(ctx, &foreign), booksync.ENOTFOUND)

	got.Organization.LegalName = "Globex Corp"
	got.UpdatedAt = base.Add(time.Minute)
	must(t, s.UpdateCounterpart(ctx, got))
	page, err := s.Counterparts(ctx, a.ID, booksync.ListQuery{Limit: 10,
		Filters: []booksync.Filter{{Field: "counterpart_name", Op: booksync.OpEq, Values: []any{"Globex Corp"}}}})
	must(t, err)
	if len(page.Items) != 1 {
		t.Fatalf("counterpart_name after update: %d items", len(page.Items))
	}

	// Soft delete: gone from reads and lists, and deleting again is not found.
	must(t, s.DeleteCounterpart(ctx, a.ID, c.ID, base.Add(time.Hour)))
	_, err = s.Counterpart(ctx, a.ID, c.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	_, _, err = s.CounterpartWithAddresses(ctx, a.ID, c.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	page, err = s.Counterparts(ctx, a.ID, booksync.ListQuery{Limit: 10})
	must(t, err)
	if len(page.Items) != 0 {
		t.Fatalf("deleted counterpart listed")
	}
	wantCode(t, s.DeleteCounterpart(ctx, a.ID, c.ID, base), booksync.ENOTFOUND)
	wantCode(t, s.UpdateCounterpart(ctx, got), booksync.ENOTFOUND)
}

func testProducts(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	pr := &booksync.Product{ID: uuid.NewString(), EntityID: a.ID, CreatedAt: base, UpdatedAt: base, Name: "Widget",
		Type: booksync.ProductTypeProduct, Price: &booksync.Price{Currency: "EUR", Value: 1250}, LedgerAccountID: ptr("acc-4000")}
	must(t, s.CreateProduct(ctx, pr))
	got, err := s.Product(ctx, a.ID, pr.ID)
	must(t, err)
	if got.Name != "Widget" || got.Price == nil || got.Price.Value != 1250 || got.EntityID != a.ID || *got.LedgerAccountID != "acc-4000" {
		t.Fatalf("Product = %+v", got)
	}
	_, err = s.Product(ctx, b.ID, pr.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	if err := s.CreateProduct(ctx, pr); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateProduct twice = %v", err)
	}

	got.Price.Value = 1500
	must(t, s.UpdateProduct(ctx, got))
	page, err := s.Products(ctx, a.ID, booksync.ListQuery{Limit: 10,
		Filters: []booksync.Filter{{Field: "price", Op: booksync.OpEq, Values: []any{int64(1500)}}}})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Price.Value != 1500 {
		t.Fatalf("Products price=1500: %+v", page.Items)
	}
	foreign := *got
	foreign.EntityID = b.ID
	wantCode(t, s.UpdateProduct(ctx, &foreign), booksync.ENOTFOUND)
	wantCode(t, s.DeleteProduct(ctx, b.ID, pr.ID, base), booksync.ENOTFOUND)

	must(t, s.DeleteProduct(ctx, a.ID, pr.ID, base))
	_, err = s.Product(ctx, a.ID, pr.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	page, err = s.Products(ctx, a.ID, booksync.ListQuery{Limit: 10})
	must(t, err)
	if len(page.Items) != 0 {
		t.Fatalf("deleted product listed")
	}
	wantCode(t, s.DeleteProduct(ctx, a.ID, pr.ID, base), booksync.ENOTFOUND)
}

// testReceivableWithCounterpart checks the read that issuing starts with: the invoice, and whether
// its counterpart is still one of the entity's, in one query.
func testReceivableWithCounterpart(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	c := &booksync.Counterpart{ID: uuid.NewString(), EntityID: a.ID, Type: booksync.CounterpartTypeOrganization,
		Organization: &booksync.CounterpartOrganization{LegalName: "Globex", IsCustomer: true}}
	must(t, s.CreateCounterpart(ctx, c, nil))
	// b's counterpart of the same id as a's invoice names must not count for a's invoice.
	r := newReceivable(a.ID, base)
	foreign := &booksync.Counterpart{ID: r.CounterpartID, EntityID: b.ID, Type: booksync.CounterpartTypeOrganization,
		Organization: &booksync.CounterpartOrganization{LegalName: "Other", IsCustomer: true}}
	must(t, s.CreateCounterpart(ctx, foreign, nil))
	must(t, s.CreateReceivable(ctx, r))
	d, err := s.ReceivableWithCounterpart(ctx, a.ID, r.ID)
	must(t, err)
	if got := d.Receivable; got.ID != r.ID || got.TotalAmount != 1190 || len(got.LineItems) != 1 || d.CounterpartLive {
		t.Fatalf("ReceivableWithCounterpart of an invoice whose counterpart is another entity's = %+v, %v", got, d.CounterpartLive)
	}
	// Only PostgreSQL reads that the entity has no connection: its issue is guarded against one
	// created since.
	if want := s.Dialect() == store.DialectPostgres; d.NoConnection != want {
		t.Fatalf("ReceivableWithCounterpart's NoConnection of an entity without one = %v, want %v", d.NoConnection, want)
	}
	r2 := newReceivable(a.ID, base)
	r2.CounterpartID = c.ID
	must(t, s.CreateReceivable(ctx, r2))
	if d, err := s.ReceivableWithCounterpart(ctx, a.ID, r2.ID); err != nil || d.Receivable.ID != r2.ID || !d.CounterpartLive {
		t.Fatalf("ReceivableWithCounterpart = %+v, %v; want the invoice and its counterpart live", d, err)
	}
	must(t, s.DeleteCounterpart(ctx, a.ID, c.ID, base.Add(time.Hour)))
	if d, err := s.ReceivableWithCounterpart(ctx, a.ID, r2.ID); err != nil || d.Receivable.ID != r2.ID || d.CounterpartLive {
		t.Fatalf("ReceivableWithCounterpart after the counterpart's delete = %+v, %v; want it not live", d, err)
	}
	_, err = s.ReceivableWithCounterpart(ctx, b.ID, r2.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	// With a connection, in any status, the issue reads it in its transaction.
	conn := &booksync.Connection{ID: uuid.NewString(), EntityID: a.ID, Platform: booksync.PlatformXero, Status: booksync.ConnectionPendingAuth,
		CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateConnection(ctx, conn, uuid.NewString()))
	if d, err := s.ReceivableWithCounterpart(ctx, a.ID, r2.ID); err != nil || d.NoConnection {
		t.Fatalf("ReceivableWithCounterpart of an entity with a connection = %+v, %v; want NoConnection false", d, err)
	}
}

func testReceivables(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	r := newReceivable(a.ID, base.Add(123456789*time.Nanosecond)) // sub-microsecond part is dropped
	must(t, s.CreateReceivable(ctx, r))
	if r.Version != 1 {
		t.Fatalf("Version after create = %d, want 1", r.Version)
	}
	got, err := s.Receivable(ctx, a.ID, r.ID)
	must(t, err)
	if !got.CreatedAt.Equal(r.CreatedAt) || got.CreatedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("CreatedAt = %v, stored as %v", got.CreatedAt, r.CreatedAt)
	}
	if got.Version != 1 || got.EntityID != a.ID || got.TotalAmount != 1190 || got.CounterpartName != "Globex" {
		t.Fatalf("Receivable = %+v", got)
	}
	if len(got.LineItems) != 1 {
		t.Fatalf("LineItems = %+v", got.LineItems)
	}
	l := got.LineItems[0]
	if l.TaxRateValue != 1900 || l.TaxRateName == nil || *l.TaxRateName != "VAT 19%" || l.AccountingTaxRateID == nil ||
		*l.AccountingTaxRateID != "tax-19" || l.Quantity.String() != "2.5" || l.Product.Price.Value != 400 {
		t.Fatalf("line item fields lost: %+v", l)
	}
	_, err = s.Receivable(ctx, b.ID, r.ID)
	wantCode(t, err, booksync.ENOTFOUND)

	// Version check: the first writer wins, the stale one gets ECONFLICT.
	first, second := *got, *got
	first.Memo = ptr("first")
	must(t, s.UpdateReceivable(ctx, &first))
	if first.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", first.Version)
	}
	second.Memo = ptr("second")
	wantCode(t, s.UpdateReceivable(ctx, &second), booksync.ECONFLICT)
	if second.Version != 1 {
		t.Fatalf("a failed update changed Version to %d", second.Version)
	}
	got, err = s.Receivable(ctx, a.ID, r.ID)
	must(t, err)
	if got.Memo == nil || *got.Memo != "first" || got.Version != 2 {
		t.Fatalf("after update: memo %v version %d", got.Memo, got.Version)
	}
	foreign := *got
	foreign.EntityID = b.ID
	wantCode(t, s.UpdateReceivable(ctx, &foreign), booksync.ENOTFOUND)

	// The columns the lists filter and sort by follow every update: one that changes the
	// counterpart and the amounts, and one that changes the status alone.
	changed := *got
	changed.CounterpartID, changed.CounterpartName = "cp-initech", "Initech"
	changed.TotalAmount, changed.DiscountedSubtotal = 5000, 4200
	must(t, s.UpdateReceivable(ctx, &changed))
	changed.Status = booksync.StatusCanceled
	must(t, s.UpdateReceivable(ctx, &changed))
	for _, fs := range [][]booksync.Filter{
		{{Field: "counterpart_id", Op: booksync.OpEq, Values: []any{"cp-initech"}}},
		{{Field: "counterpart_name", Op: booksync.OpContains, Values: []any{"Initech"}}},
		{{Field: "total_amount", Op: booksync.OpEq, Values: []any{int64(5000)}}},
		{{Field: "discounted_subtotal", Op: booksync.OpEq, Values: []any{int64(4200)}}},
		{{Field: "status", Op: booksync.OpEq, Values: []any{booksync.StatusCanceled}}},
	} {
		page, err := s.Receivables(ctx, a.ID, booksync.ListQuery{Limit: 10, Filters: fs})
		must(t, err)
		if len(page.Items) != 1 || page.Items[0].ID != r.ID || page.Items[0].Version != 4 {
			t.Fatalf("filter %+v after updates: %+v", fs[0], page.Items)
		}
	}
	for _, gone := range []booksync.Filter{
		{Field: "total_amount", Op: booksync.OpEq, Values: []any{int64(1190)}},
		{Field: "status", Op: booksync.OpEq, Values: []any{got.Status}},
	} {
		page, err := s.Receivables(ctx, a.ID, booksync.ListQuery{Limit: 10, Filters: []booksync.Filter{gone}})
		must(t, err)
		if len(page.Items) != 0 {
			t.Fatalf("filter %+v still finds the invoice after updates: %+v", gone, page.Items)
		}
	}
	changed.Status = got.Status // a draft again, for what follows
	must(t, s.UpdateReceivable(ctx, &changed))

	// A document id is unique within an entity, not across entities.
	d1 := newReceivable(a.ID, base)
	d1.DocumentID = ptr("A-1")
	must(t, s.CreateReceivable(ctx, d1))
	d2 := newReceivable(a.ID, base)
	d2.DocumentID = ptr("A-1")
	if err := s.CreateReceivable(ctx, d2); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate document id = %v, want ErrAlreadyExists", err)
	}
	d3 := newReceivable(b.ID, base)
	d3.DocumentID = ptr("A-1")
	must(t, s.CreateReceivable(ctx, d3))

	// Delete: drafts only, own entity only.
	wantCode(t, s.DeleteReceivable(ctx, b.ID, r.ID), booksync.ENOTFOUND)
	must(t, s.DeleteReceivable(ctx, a.ID, r.ID))
	_, err = s.Receivable(ctx, a.ID, r.ID)
	wantCode(t, err, booksync.ENOTFOUND)
	wantCode(t, s.DeleteReceivable(ctx, a.ID, r.ID), booksync.ENOTFOUND)
	_, err = issue(ctx, s, a.ID, d1.ID, base)
	must(t, err)
	wantCode(t, s.DeleteReceivable(ctx, a.ID, d1.ID), booksync.ECONFLICT)
}

func testIssue(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	at := base.Add(48 * time.Hour)
	var ids []string
	for range 3 {
		r := newReceivable(a.ID, base)
		must(t, s.CreateReceivable(ctx, r))
		ids = append(ids, r.ID)
	}
	for i, id := range ids {
		r, err := issue(ctx, s, a.ID, id, at)
		must(t, err)
		want := fmt.Sprintf("INV-%05d", i+1)
		if r.DocumentID == nil || *r.DocumentID != want || r.Status != booksync.StatusIssued ||
			r.IssueDate == nil || !r.IssueDate.Equal(at) || !r.UpdatedAt.Equal(at) || r.Version != 2 {
			t.Fatalf("issue %d: document %v status %s issue date %v version %d", i, r.DocumentID, r.Status, r.IssueDate, r.Version)
		}
		stored, err := s.Receivable(ctx, a.ID, id)
		must(t, err)
		if *stored.DocumentID != want || stored.Status != booksync.StatusIssued || stored.Version != 2 {
			t.Fatalf("stored after issue: %+v", stored)
		}
	}
	_, err := issue(ctx, s, a.ID, ids[0], at)
	wantCode(t, err, booksync.ECONFLICT)
	if se := new(store.StatusError); !errors.As(err, &se) || se.Action != "issue" || se.Status != booksync.StatusIssued {
		t.Fatalf("issuing an issued invoice = %v, want a StatusError", err)
	}
	_, err = issue(ctx, s, b.ID, ids[0], at)
	wantCode(t, err, booksync.ENOTFOUND)

	// Each entity counts on its own.
	rb := newReceivable(b.ID, base)
	must(t, s.CreateReceivable(ctx, rb))
	got, err := issue(ctx, s, b.ID, rb.ID, at)
	must(t, err)
	if *got.DocumentID != "INV-00001" {
		t.Fatalf("entity B's first number = %s", *got.DocumentID)
	}

	// A document id set by hand is kept, and a number taken by hand is skipped.
	own := newReceivable(a.ID, base)
	own.DocumentID = ptr("INV-00004")
	must(t, s.CreateReceivable(ctx, own))
	next := newReceivable(a.ID, base)
	must(t, s.CreateReceivable(ctx, next))
	got, err = issue(ctx, s, a.ID, own.ID, at)
	must(t, err)
	if *got.DocumentID != "INV-00004" {
		t.Fatalf("hand-set document id became %s", *got.DocumentID)
	}
	got, err = issue(ctx, s, a.ID, next.ID, at)
	must(t, err)
	if *got.DocumentID != "INV-00005" {
		t.Fatalf("after a hand-set INV-00004, next number = %s, want INV-00005", *got.DocumentID)
	}
}

func testIssueConcurrently(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		r := newReceivable(e.ID, base)
		must(t, s.CreateReceivable(ctx, r))
		ids[i] = r.ID
	}
	docs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			r, err := issue(ctx, s, e.ID, ids[i], base)
			errs[i] = err
			if err == nil {
				docs[i] = *r.DocumentID
			}
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	slices.Sort(docs)
	for i, d := range docs {
		if want := fmt.Sprintf("INV-%05d", i+1); d != want {
			t.Fatalf("numbers = %v, want INV-00001..INV-%05d each once", docs, n)
		}
	}
}

func testPaymentRecords(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	a, b := newEntity(t, s, p), newEntity(t, s, p)
	r := newReceivable(a.ID, base)
	must(t, s.CreateReceivable(ctx, r))
	_, err := issue(ctx, s, a.ID, r.ID, base)
	must(t, err)
	paidAt := base.Add(time.Hour)
	applyAmount := func(amount int64) func(booksync.Receivable) (booksync.Receivable, error) {
		return func(inv booksync.Receivable) (booksync.Receivable, error) {
			out, err := booksync.ApplyPayment(inv, amount, paidAt)
			return out, err
		}
	}
	pay := func(amount int64) *booksync.PaymentRecord {
		return &booksync.PaymentRecord{ID: uuid.NewString(), EntityID: a.ID, CreatedAt: base, UpdatedAt: base,
			Amount: amount, Currency: "EUR", Status: booksync.PaymentStatusSucceeded, PaidAt: &paidAt,
			Object:  booksync.PaymentRecordObject{ID: r.ID, Type: "receivable"},
			History: []booksync.PaymentHistoryItem{{Status: booksync.PaymentStatusSucceeded, Timestamp: paidAt}}}
	}

	p1 := pay(400)
	must(t, createPayment(ctx, s, p1, applyAmount(400)))
	inv, err := s.Receivable(ctx, a.ID, r.ID)
	must(t, err)
	if inv.Status != booksync.StatusPartiallyPaid || inv.AmountPaid != 400 || inv.AmountDue != 790 || inv.Version != 3 {
		t.Fatalf("after paying 400: status %s paid %d due %d version %d", inv.Status, inv.AmountPaid, inv.AmountDue, inv.Version)
	}
	got, err := s.PaymentRecord(ctx, a.ID, p1.ID)
	must(t, err)
	if got.Amount != 400 || got.Object.ID != r.ID || got.PaidAt == nil || !got.PaidAt.Equal(paidAt) ||
		!got.CreatedAt.Equal(base) || len(got.History) != 1 {
		t.Fatalf("PaymentRecord = %+v", got)
	}
	_, err = s.PaymentRecord(ctx, b.ID, p1.ID)
	wantCode(t, err, booksync.ENOTFOUND)

	// A failing apply writes nothing.
	p2 := pay(5000)
	boom := booksync.Errorf(booksync.EINVALID, "boom")
	err = createPayment(ctx, s, p2, func(booksync.Receivable) (booksync.Receivable, error) { return booksync.Receivable{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("CreatePaymentRecordTx with a failing apply = %v, want apply's error", err)
	}
	_, err = s.PaymentRecord(ctx, a.ID, p2.ID)
	wantCode(t, err, booksync.ENOTFOUND)

	// apply succeeds but the insert fails (the id is taken): the invoice change rolls back too.
	dup := pay(100)
	dup.ID = p1.ID
	if err := createPayment(ctx, s, dup, applyAmount(100)); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate payment id = %v, want ErrAlreadyExists", err)
	}
	inv, err = s.Receivable(ctx, a.ID, r.ID)
	must(t, err)
	if inv.AmountPaid != 400 || inv.Version != 3 {
		t.Fatalf("a failed payment changed the invoice: paid %d version %d", inv.AmountPaid, inv.Version)
	}

	// A payment that is not succeeded does not call apply; another entity's invoice is not found.
	pending := pay(50)
	pending.Status = booksync.PaymentStatusCreated
	must(t, createPayment(ctx, s, pending, func(booksync.Receivable) (booksync.Receivable, error) {
		t.Error("apply called for a payment that has not succeeded")
		return booksync.Receivable{}, nil
	}))
	foreign := pay(50)
	foreign.EntityID = b.ID
	wantCode(t, createPayment(ctx, s, foreign, applyAmount(50)), booksync.ENOTFOUND)

	p3 := pay(790)
	must(t, createPayment(ctx, s, p3, applyAmount(790)))
	inv, err = s.Receivable(ctx, a.ID, r.ID)
	must(t, err)
	if inv.Status != booksync.StatusPaid || inv.AmountDue != 0 || inv.PaidAt == nil {
		t.Fatalf("after paying in full: %s due %d", inv.Status, inv.AmountDue)
	}

	page, err := s.PaymentRecords(ctx, a.ID, booksync.ListQuery{Limit: 10, Sort: "amount",
		Filters: []booksync.Filter{{Field: "object_id", Op: booksync.OpEq, Values: []any{r.ID}}}})
	must(t, err)
	var amounts []int64
	for _, it := range page.Items {
		amounts = append(amounts, it.Amount)
	}
	if !slices.Equal(amounts, []int64{50, 400, 790}) {
		t.Fatalf("payment amounts = %v, want [50 400 790]", amounts)
	}
	// A page at a time, under the invoice's filter (read through the invoice's index and sorted,
	// with the cursor after or before the sort key), forward and back, in both orders.
	for _, order := range []booksync.Order{booksync.OrderAsc, booksync.OrderDesc} {
		want := []int64{50, 400, 790}
		if order == booksync.OrderDesc {
			slices.Reverse(want)
		}
		q := booksync.ListQuery{Limit: 1, Sort: "amount", Order: order,
			Filters: []booksync.Filter{{Field: "object_id", Op: booksync.OpIn, Values: []any{r.ID, uuid.NewString()}}}}
		var got []int64
		var last booksync.Page[booksync.PaymentRecord]
		for {
			page, err := s.PaymentRecords(ctx, a.ID, q)
			must(t, err)
			if len(page.Items) != 1 || len(got) > len(want) {
				t.Fatalf("%s: page %d = %+v", order, len(got), page.Items)
			}
			got, last = append(got, page.Items[0].Amount), page
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		var back []int64
		for q.After, q.Before = nil, last.Prev; q.Before != nil; {
			page, err := s.PaymentRecords(ctx, a.ID, q)
			must(t, err)
			if len(page.Items) != 1 || len(back) > len(want) {
				t.Fatalf("%s: page %d going back = %+v", order, len(back), page.Items)
			}
			back = append(back, page.Items[0].Amount)
			q.Before = page.Prev
		}
		slices.Reverse(back)
		if !slices.Equal(got, want) || !slices.Equal(back, want[:len(want)-1]) {
			t.Fatalf("%s: amounts a page at a time %v, going back %v; want %v", order, got, back, want)
		}
	}
	page, err = s.PaymentRecords(ctx, a.ID, booksync.ListQuery{Limit: 10,
		Filters: []booksync.Filter{{Field: "status", Op: booksync.OpEq, Values: []any{booksync.PaymentStatusCreated}}}})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].ID != pending.ID {
		t.Fatalf("status=created: %+v", page.Items)
	}
	page, err = s.PaymentRecords(ctx, a.ID, booksync.ListQuery{Limit: 10,
		Filters: []booksync.Filter{{Field: "is_external", Op: booksync.OpEq, Values: []any{true}}}})
	must(t, err)
	if len(page.Items) != 0 {
		t.Fatalf("is_external=true: %d items", len(page.Items))
	}
	page, err = s.PaymentRecords(ctx, b.ID, booksync.ListQuery{Limit: 10})
	must(t, err)
	if len(page.Items) != 0 {
		t.Fatalf("entity B lists entity A's payment records")
	}
}

// filterFixture creates receivables named by counterpart with amounts and creation times that the
// filter cases select from, and returns the entity id.
func filterFixture(t *testing.T, s *store.Store) (entityID string, byName map[string]string) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	byName = map[string]string{}
	rows := []struct {
		name   string
		amount int64
		status string
	}{
		{"Alpha Ltd", 100, booksync.StatusDraft},
		{"alpha beta", 200, booksync.StatusIssued},
		{"Gamma", 300, booksync.StatusPaid},
		{"Delta ALPHA", 400, booksync.StatusCanceled},
	}
	for i, row := range rows {
		r := newReceivable(e.ID, base.Add(time.Duration(i)*time.Hour))
		r.CounterpartName, r.TotalAmount, r.Status = row.name, row.amount, row.status
		must(t, s.CreateReceivable(ctx, r))
		byName[row.name] = r.ID
	}
	return e.ID, byName
}

func testFilters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	entityID, _ := filterFixture(t, s)
	f := func(field string, op booksync.FilterOp, vals ...any) booksync.Filter {
		return booksync.Filter{Field: field, Op: op, Values: vals}
	}
	cases := []struct {
		name    string
		filters []booksync.Filter
		want    []string
	}{
		{"eq", []booksync.Filter{f("status", booksync.OpEq, booksync.StatusIssued)}, []string{"alpha beta"}},
		{"in", []booksync.Filter{f("status", booksync.OpIn, booksync.StatusPaid, booksync.StatusDraft)}, []string{"Alpha Ltd", "Gamma"}},
		{"gt", []booksync.Filter{f("total_amount", booksync.OpGt, int64(200))}, []string{"Gamma", "Delta ALPHA"}},
		{"gte", []booksync.Filter{f("total_amount", booksync.OpGte, int64(200))}, []string{"alpha beta", "Gamma", "Delta ALPHA"}},
		{"lt", []booksync.Filter{f("total_amount", booksync.OpLt, int64(200))}, []string{"Alpha Ltd"}},
		{"lte", []booksync.Filter{f("total_amount", booksync.OpLte, int64(200))}, []string{"Alpha Ltd", "alpha beta"}},
		{"contains is case-sensitive", []booksync.Filter{f("counterpart_name", booksync.OpContains, "lpha")}, []string{"Alpha Ltd", "alpha beta"}},
		{"contains exact case", []booksync.Filter{f("counterpart_name", booksync.OpContains, "ALPHA")}, []string{"Delta ALPHA"}},
		{"icontains", []booksync.Filter{f("counterpart_name", booksync.OpIContains, "aLpHa")}, []string{"Alpha Ltd", "alpha beta", "Delta ALPHA"}},
		{"contains matches % literally", []booksync.Filter{f("counterpart_name", booksync.OpContains, "%")}, nil},
		{"time gt", []booksync.Filter{f("created_at", booksync.OpGt, base.Add(time.Hour))}, []string{"Gamma", "Delta ALPHA"}},
		{"time lte", []booksync.Filter{f("created_at", booksync.OpLte, base.Add(time.Hour))}, []string{"Alpha Ltd", "alpha beta"}},
		{"and", []booksync.Filter{f("total_amount", booksync.OpGte, int64(200)), f("counterpart_name", booksync.OpIContains, "alpha")},
			[]string{"alpha beta", "Delta ALPHA"}},
	}
	for _, c := range cases {
		page, err := s.Receivables(ctx, entityID, booksync.ListQuery{Limit: 10, Filters: c.filters})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, r := range page.Items {
			got = append(got, r.CounterpartName)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}

	// Booleans, on counterparts.
	for i, customer := range []bool{true, false, true} {
		c := &booksync.Counterpart{ID: uuid.NewString(), EntityID: entityID, CreatedAt: base.Add(time.Duration(i) * time.Second),
			Type:         booksync.CounterpartTypeOrganization,
			Organization: &booksync.CounterpartOrganization{LegalName: fmt.Sprint("C", i), IsCustomer: customer, IsVendor: !customer}}
		must(t, s.CreateCounterpart(ctx, c, nil))
	}
	for _, want := range []bool{true, false} {
		page, err := s.Counterparts(ctx, entityID, booksync.ListQuery{Limit: 10,
			Filters: []booksync.Filter{{Field: "is_customer", Values: []any{want}}}})
		must(t, err)
		n := map[bool]int{true: 2, false: 1}[want]
		if len(page.Items) != n {
			t.Errorf("is_customer=%v: %d items, want %d", want, len(page.Items), n)
		}
		for _, c := range page.Items {
			if c.IsCustomer() != want {
				t.Errorf("is_customer=%v listed %s", want, c.Name())
			}
		}
	}

	// Filters the spec does not allow are refused with a QueryError naming the query parameter.
	for _, c := range []struct {
		bad    booksync.Filter
		field  string
		reason store.QueryReason
	}{
		{f("memo", booksync.OpEq, "x"), "memo", store.QueryNoFilter},                                                  // not a field
		{f("status", booksync.OpGt, "x"), "status__gt", store.QueryNoFilter},                                          // operator not allowed
		{f("total_amount", booksync.OpEq, "100"), "total_amount", store.QueryBadValue},                                // wrong value type
		{f("status", booksync.OpEq, "a", "b"), "status", store.QueryValueCount},                                       // several values without in
		{booksync.Filter{Field: "status", Op: booksync.OpIn}, "status__in", store.QueryValueCount},                    // in without values
		{f("counterpart_name", booksync.OpIContains, int64(100)), "counterpart_name__icontains", store.QueryBadValue}, // wrong value type
	} {
		_, err := s.Receivables(ctx, entityID, booksync.ListQuery{Limit: 10, Filters: []booksync.Filter{c.bad}})
		wantQueryError(t, err, c.field, c.reason)
	}
}

// wantQueryError fails the test unless err is a QueryError about the query parameter field, for
// reason, with the code EVALIDATION.
func wantQueryError(t *testing.T, err error, field string, reason store.QueryReason) {
	t.Helper()
	var qe *store.QueryError
	if !errors.As(err, &qe) || qe.Field != field || qe.Reason != reason {
		t.Errorf("error = %v, want a QueryError for %s: %s", err, field, reason)
		return
	}
	wantCode(t, err, booksync.EVALIDATION)
}

func testListValidation(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	one := &booksync.Cursor{Key: int64(1), ID: "x"}
	for _, c := range []struct {
		q      booksync.ListQuery
		field  string
		reason store.QueryReason
	}{
		{booksync.ListQuery{Limit: 10, Sort: "memo"}, "sort", store.QueryBadSort},
		{booksync.ListQuery{Limit: 10, Order: "sideways"}, "order", store.QueryBadOrder},
		{booksync.ListQuery{Limit: 0}, "limit", store.QueryBadLimit},
		{booksync.ListQuery{Limit: 251}, "limit", store.QueryBadLimit},
		{booksync.ListQuery{Limit: 10, After: one, Before: one}, "pagination_token", store.QueryTwoCursors},
		{booksync.ListQuery{Limit: 10, After: &booksync.Cursor{Key: "not a time", ID: "x"}}, "pagination_token", store.QueryBadCursor},
		{booksync.ListQuery{Limit: 10, Sort: "document_id", After: &booksync.Cursor{Key: int64(5), ID: "x"}}, "pagination_token", store.QueryBadCursor},
	} {
		_, err := s.Receivables(ctx, e.ID, c.q)
		wantQueryError(t, err, c.field, c.reason)
	}
	// The error carries what a message needs: the list's sorts, the largest page, the value.
	_, err := s.Receivables(ctx, e.ID, booksync.ListQuery{Limit: 10, Sort: "memo"})
	var qe *store.QueryError
	if !errors.As(err, &qe) || !slices.Equal(qe.Allowed, booksync.ReceivableList.Sorts) {
		t.Errorf("unknown sort: %#v, want the list's sorts", err)
	}
	_, err = s.Receivables(ctx, e.ID, booksync.ListQuery{Limit: 251})
	if !errors.As(err, &qe) || qe.Max != 250 {
		t.Errorf("limit 251: %#v, want Max 250", err)
	}
	_, err = s.Products(ctx, e.ID, booksync.ListQuery{Limit: 10,
		Filters: []booksync.Filter{{Field: "price", Op: booksync.OpGt, Values: []any{"cheap"}}}})
	if !errors.As(err, &qe) || qe.Kind != booksync.KindInt || qe.Value != "cheap" || qe.Op != booksync.OpGt {
		t.Errorf("text for an integer: %#v, want its kind, value and operator", err)
	}
	if _, err := s.Receivables(ctx, e.ID, booksync.ListQuery{Limit: 250}); err != nil {
		t.Errorf("limit 250: %v", err)
	}
}

// pagingRow is what the paging test expects of one receivable.
type pagingRow struct {
	id     string
	amount int64
	name   string
	at     int64
}

func testPaging(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	other := newEntity(t, s, newPartner(t, s))
	const n, limit = 23, 5
	var rows []pagingRow
	for i := range n {
		// Amounts and names repeat, and pairs of rows share a creation time, so ties in the sort key
		// are common and only the id orders them.
		created := base.Add(time.Duration(i/2) * time.Minute)
		r := newReceivable(e.ID, created)
		r.TotalAmount = int64(i%4) * 100
		r.CounterpartName = []string{"b", "a", "c"}[i%3]
		must(t, s.CreateReceivable(ctx, r))
		rows = append(rows, pagingRow{r.ID, r.TotalAmount, r.CounterpartName, created.UnixMicro()})
		must(t, s.CreateReceivable(ctx, newReceivable(other.ID, created))) // never listed
	}
	keys := map[string]func(pagingRow) any{
		"total_amount":     func(r pagingRow) any { return r.amount },
		"counterpart_name": func(r pagingRow) any { return r.name },
		"created_at":       func(r pagingRow) any { return r.at },
	}
	for sortField, key := range keys {
		for _, order := range []booksync.Order{booksync.OrderAsc, booksync.OrderDesc} {
			want := expectedOrder(rows, key, order == booksync.OrderDesc)
			name := sortField + "/" + string(order)

			// Forward, page by page.
			var pages [][]string
			var cursors []*booksync.Cursor
			q := booksync.ListQuery{Sort: sortField, Order: order, Limit: limit}
			for {
				page, err := s.Receivables(ctx, e.ID, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if (len(pages) == 0) != (page.Prev == nil) {
					t.Fatalf("%s: page %d has Prev %v", name, len(pages), page.Prev)
				}
				pages = append(pages, ids(page.Items))
				cursors = append(cursors, page.Prev)
				if page.Next == nil {
					break
				}
				if len(pages) > n {
					t.Fatalf("%s: paging does not end", name)
				}
				q.After = page.Next
			}
			if got := slices.Concat(pages...); !slices.Equal(got, want) {
				t.Fatalf("%s: forward order\n got %v\nwant %v", name, got, want)
			}
			if len(pages) != (n+limit-1)/limit {
				t.Fatalf("%s: %d pages, want %d", name, len(pages), (n+limit-1)/limit)
			}

			// Backward from the last page: each Prev leads to the page before, the same rows.
			for i := len(pages) - 1; i > 0; i-- {
				page, err := s.Receivables(ctx, e.ID, booksync.ListQuery{Sort: sortField, Order: order, Limit: limit, Before: cursors[i]})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := ids(page.Items); !slices.Equal(got, pages[i-1]) {
					t.Fatalf("%s: page %d going back\n got %v\nwant %v", name, i-1, got, pages[i-1])
				}
				if (i-1 == 0) != (page.Prev == nil) {
					t.Fatalf("%s: page %d going back has Prev %v", name, i-1, page.Prev)
				}
				if page.Next == nil {
					t.Fatalf("%s: page %d going back has no Next", name, i-1)
				}
				// And its Next leads forward again to the page we came from.
				fwd, err := s.Receivables(ctx, e.ID, booksync.ListQuery{Sort: sortField, Order: order, Limit: limit, After: page.Next})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := ids(fwd.Items); !slices.Equal(got, pages[i]) {
					t.Fatalf("%s: round trip to page %d\n got %v\nwant %v", name, i, got, pages[i])
				}
			}
		}
	}
}

func expectedOrder(rows []pagingRow, key func(pagingRow) any, desc bool) []string {
	sorted := slices.Clone(rows)
	sort.Slice(sorted, func(i, j int) bool {
		c := compare(key(sorted[i]), key(sorted[j]))
		if c == 0 {
			c = strings.Compare(sorted[i].id, sorted[j].id)
		}
		if desc {
			return c > 0
		}
		return c < 0
	})
	out := make([]string, len(sorted))
	for i, r := range sorted {
		out[i] = r.id
	}
	return out
}

func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	}
	panic("unsupported key")
}

func ids(rs []booksync.Receivable) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func newConnection(t *testing.T, s *store.Store, entityID string) *booksync.Connection {
	t.Helper()
	c := &booksync.Connection{ID: uuid.NewString(), EntityID: entityID, CreatedAt: base, UpdatedAt: base,
		Platform: booksync.PlatformXero, Status: booksync.ConnectionConnected, Errors: []booksync.ConnectionError{},
		TenantID: uuid.NewString(), NextSyncAt: base.Add(time.Hour)}
	must(t, s.CreateConnection(context.Background(), c, ""))
	return c
}

// testLeases: a lease is taken only when free or lapsed; only its holder (known by its expiry)
// renews or releases it.
func testLeases(t *testing.T, s *store.Store) {
	ctx := context.Background()
	c := newConnection(t, s, newEntity(t, s, newPartner(t, s)).ID)
	take := func(now, until time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, c.ID, store.LeasePush, now, until)
		must(t, err)
		return ok
	}
	first := base.Add(time.Minute)
	if !take(base, first) {
		t.Fatal("a free lease was not taken")
	}
	if take(base.Add(30*time.Second), base.Add(2*time.Minute)) {
		t.Fatal("a held lease was taken")
	}
	// The holder renews it; a renewal by one who holds it no longer fails.
	second := base.Add(2 * time.Minute)
	if ok, err := s.RenewLease(ctx, c.ID, store.LeasePush, first, second); err != nil || !ok {
		t.Fatalf("renewal by the holder: %v %v", ok, err)
	}
	if ok, err := s.RenewLease(ctx, c.ID, store.LeasePush, first, base.Add(time.Hour)); err != nil || ok {
		t.Fatalf("renewal with a stale expiry: %v %v", ok, err)
	}
	if take(base.Add(90*time.Second), base.Add(3*time.Minute)) {
		t.Fatal("a renewed lease was taken before its new expiry")
	}
	// Once lapsed it is another's, and the former holder's release leaves it alone.
	third := base.Add(4 * time.Minute)
	if !take(second.Add(time.Microsecond), third) {
		t.Fatal("a lapsed lease was not taken")
	}
	must(t, s.ReleaseLease(ctx, c.ID, store.LeasePush, second))
	if take(second.Add(time.Second), base.Add(5*time.Minute)) {
		t.Fatal("a former holder released the new holder's lease")
	}
	must(t, s.ReleaseLease(ctx, c.ID, store.LeasePush, third))
	if !take(second.Add(time.Second), base.Add(5*time.Minute)) {
		t.Fatal("a released lease was not free")
	}
	// The refresh lease is separate.
	if ok, err := s.AcquireLease(ctx, c.ID, store.LeaseRefresh, base, first); err != nil || !ok {
		t.Fatalf("the refresh lease beside a push lease: %v %v", ok, err)
	}

	// Recovering from a crash releases every lease only on SQLite, whose file one process owns; on
	// PostgreSQL the lease may be another live process's, and stays.
	must(t, s.RecoverFromCrash(ctx))
	if s.Dialect() != store.DialectSQLite {
		if take(base, base.Add(time.Minute)) {
			t.Fatal("RecoverFromCrash released a lease on a database many processes share")
		}
		return
	}
	if !take(base, base.Add(time.Minute)) {
		t.Fatal("a lease survived RecoverFromCrash")
	}
}

// testSettleSyncedRecord: a push's outcome is written only if the record is as the push read it,
// and no write lowers the attempts of a record that is not done.
func testSettleSyncedRecord(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	c := newConnection(t, s, e.ID)
	r := &booksync.SyncedRecord{ID: uuid.NewString(), EntityID: e.ID, ConnectionID: c.ID, CreatedAt: base, UpdatedAt: base,
		ObjectType: booksync.ObjectReceivable, ObjectID: uuid.NewString(), SyncStatus: booksync.SyncStatusPending,
		LastPulledAt: base, Platform: c.Platform, Auto: true}
	must(t, s.InTx(ctx, func(tx *sql.Tx) error { _, _, err := s.EnsureSyncedRecord(ctx, tx, r); return err }))
	read, err := s.RecordFor(ctx, c.ID, r.ObjectType, r.ObjectID)
	must(t, err)
	must(t, s.MarkAttempted(ctx, []string{r.ID}))

	// Pushed again (by a writer that read it before the attempt was counted) ...
	again := *read
	again.UpdatedAt = base.Add(time.Second)
	must(t, s.UpdateSyncedRecord(ctx, &again))
	// ... so the outcome of the push that read it first is not written.
	stale := *read
	stale.SyncStatus, stale.Errors, stale.UpdatedAt = booksync.SyncStatusError, &booksync.SyncError{Status: "x", Message: "stale"}, base.Add(2*time.Second)
	if ok, err := s.SettleSyncedRecord(ctx, &stale, read.UpdatedAt); err != nil || ok {
		t.Fatalf("stale outcome written: %v %v", ok, err)
	}
	got, err := s.RecordFor(ctx, c.ID, r.ObjectType, r.ObjectID)
	must(t, err)
	if got.SyncStatus != booksync.SyncStatusPending || got.Errors != nil || got.Attempts != 1 {
		t.Fatalf("after a stale outcome: %s %+v attempts %d", got.SyncStatus, got.Errors, got.Attempts)
	}
	// The outcome of a push that read the record as it is now is written.
	done := *got
	done.SyncStatus, done.Attempts, done.UpdatedAt = booksync.SyncStatusDone, 0, base.Add(3*time.Second)
	if ok, err := s.SettleSyncedRecord(ctx, &done, got.UpdatedAt); err != nil || !ok {
		t.Fatalf("current outcome not written: %v %v", ok, err)
	}
	if got, err = s.RecordFor(ctx, c.ID, r.ObjectType, r.ObjectID); err != nil || got.SyncStatus != booksync.SyncStatusDone || got.Attempts != 0 {
		t.Fatalf("after the outcome: %+v %v", got, err)
	}
}

// testPendingRecordsExcept: the records a push waits to send come oldest first, a batch at a time,
// without those it is sending already.
func testPendingRecordsExcept(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	c := newConnection(t, s, e.ID)
	var ids []string
	for i := range 5 {
		r := &booksync.SyncedRecord{ID: uuid.NewString(), EntityID: e.ID, ConnectionID: c.ID, CreatedAt: base.Add(time.Duration(i) * time.Second),
			UpdatedAt: base, ObjectType: booksync.ObjectReceivable, ObjectID: uuid.NewString(), SyncStatus: booksync.SyncStatusPending,
			LastPulledAt: base, Platform: c.Platform, Auto: true}
		must(t, s.InTx(ctx, func(tx *sql.Tx) error { _, _, err := s.EnsureSyncedRecord(ctx, tx, r); return err }))
		ids = append(ids, r.ID)
	}
	for _, tc := range []struct {
		except []string
		want   []string
	}{
		{nil, ids[:2]},
		{ids[:2], ids[2:4]},
		{[]string{ids[0], ids[2]}, []string{ids[1], ids[3]}},
		{ids[:4], ids[4:]},
		{ids, nil},
	} {
		recs, err := s.PendingRecordsExcept(ctx, c.ID, booksync.ObjectReceivable, 2, tc.except)
		must(t, err)
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("pending except %v: %v, want %v", tc.except, got, tc.want)
		}
	}
}

// testPendingWaitsForSync: a record made to wait for a sync's pull (a record in error pushed
// again) is taken by no push, nor counted or swept as pending, until a pull that began after it was
// written has finished; a sync asked for (POST .../sync) holds no other record back; a record made
// to wait again while the pull runs waits for the next pull, which the sync then runs.
func testPendingWaitsForSync(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := newEntity(t, s, newPartner(t, s))
	c := newConnection(t, s, e.ID)
	add := func(updated time.Time) *booksync.SyncedRecord {
		r := &booksync.SyncedRecord{ID: uuid.NewString(), EntityID: e.ID, ConnectionID: c.ID, CreatedAt: updated,
			UpdatedAt: updated, ObjectType: booksync.ObjectReceivable, ObjectID: uuid.NewString(), SyncStatus: booksync.SyncStatusPending,
			LastPulledAt: base, Platform: c.Platform, Auto: true}
		must(t, s.InTx(ctx, func(tx *sql.Tx) error { _, _, err := s.EnsureSyncedRecord(ctx, tx, r); return err }))
		return r
	}
	wait := func(r *booksync.SyncedRecord, at time.Time) {
		t.Helper()
		r.WaitsForPull, r.UpdatedAt = true, at
		must(t, s.UpdateSyncedRecord(ctx, r))
	}
	takes := func(want ...string) {
		t.Helper()
		recs, err := s.PendingRecordsExcept(ctx, c.ID, booksync.ObjectReceivable, 10, nil)
		must(t, err)
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("a push takes %v, want %v", got, want)
		}
	}
	counts := func(since time.Time, want int) {
		t.Helper()
		var n int
		must(t, s.InTx(ctx, func(tx *sql.Tx) (err error) { n, err = s.CountPendingSince(ctx, tx, c.ID, since); return err }))
		if n != want {
			t.Fatalf("pending since %s: %d, want %d", since.Sub(base), n, want)
		}
	}
	swept := func(want bool) {
		t.Helper()
		var stale []string
		must(t, s.InTx(ctx, func(tx *sql.Tx) (err error) {
			stale, err = s.ConnectionsWithPendingBefore(ctx, tx, base.Add(time.Hour))
			return err
		}))
		if got := slices.Contains(stale, c.ID); got != want {
			t.Fatalf("the sweeper queues a push of the connection: %v, want %v", got, want)
		}
	}
	finish := func(start, now time.Time) bool {
		t.Helper()
		var again bool
		errAgain := errors.New("pull again") // the sync rolls its transaction back and pulls again
		err := s.InTx(ctx, func(tx *sql.Tx) (err error) {
			if again, err = s.FinishSyncPull(ctx, tx, c.ID, start, now); err == nil && again {
				err = errAgain
			}
			return err
		})
		if err != nil && !errors.Is(err, errAgain) {
			t.Fatal(err)
		}
		return again
	}

	retried, backlog := add(base.Add(time.Second)), add(base.Add(2*time.Second))
	readBefore := *retried
	wait(retried, base.Add(3*time.Second))
	must(t, s.InTx(ctx, func(tx *sql.Tx) error { return s.RequestSync(ctx, tx, c.ID, base.Add(3*time.Second)) }))
	// Another writer that read the record before it was made to wait makes it pending again: it
	// still waits (only the sync lets it go).
	readBefore.UpdatedAt = base.Add(3500 * time.Millisecond)
	must(t, s.UpdateSyncedRecord(ctx, &readBefore))
	got, err := s.SyncedRecord(ctx, e.ID, retried.ID)
	must(t, err)
	if !got.WaitsForPull || !got.Auto || got.SyncStatus != booksync.SyncStatusPending {
		t.Fatalf("a record that waits for a pull reads as %+v", got)
	}
	takes(backlog.ID) // the sync asked for holds back no other record
	counts(base, 1)
	// What fails a connection's pending records after a push's or a sync's last attempt sees it.
	all, err := s.PendingRecords(ctx, c.ID, booksync.ObjectReceivable, 10)
	must(t, err)
	if len(all) != 2 || all[0].ID != retried.ID || !all[0].WaitsForPull {
		t.Fatalf("the connection's pending records: %+v, want the waiting one and the backlog", all)
	}

	// The pull begins; the record is made to wait again while it runs, so it waits for the next.
	must(t, s.MarkPullBegun(ctx, c.ID))
	wait(retried, base.Add(5*time.Second))
	if !finish(base.Add(4*time.Second), base.Add(6*time.Second)) {
		t.Fatal("the pull let go a record made to wait after it began")
	}
	takes(backlog.ID)

	// The next pull begins after every write: the record goes to the push, as new.
	settle := *backlog
	settle.SyncStatus, settle.UpdatedAt = booksync.SyncStatusDone, base.Add(7*time.Second)
	if ok, err := s.SettleSyncedRecord(ctx, &settle, backlog.UpdatedAt); err != nil || !ok {
		t.Fatalf("settle: %v %v", ok, err)
	}
	swept(false) // the record that waits needs no push yet
	must(t, s.MarkPullBegun(ctx, c.ID))
	if finish(base.Add(8*time.Second), base.Add(9*time.Second)) {
		t.Fatal("a pull that began after every request and write did not let the record go")
	}
	takes(retried.ID)
	counts(base.Add(9*time.Second), 1) // a push whose round began before the pull ended sees it
	swept(true)
	if got, err = s.SyncedRecord(ctx, e.ID, retried.ID); err != nil || got.WaitsForPull || !got.UpdatedAt.Equal(base.Add(9*time.Second)) {
		t.Fatalf("the record let go: %+v %v", got, err)
	}
}

// testTypedErrors: the store says what went wrong with typed errors, the same on both databases,
// and each carries its application code; the words users read are the API's.
func testTypedErrors(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := newPartner(t, s)
	e, other := newEntity(t, s, p), newEntity(t, s, p)

	// A missing or foreign object names its kind.
	notFound := func(err error, object string) {
		t.Helper()
		var nf *store.NotFoundError
		if !errors.As(err, &nf) || nf.Object != object {
			t.Fatalf("error = %v, want a NotFoundError for %q", err, object)
		}
		wantCode(t, err, booksync.ENOTFOUND)
	}
	r := newReceivable(e.ID, base)
	must(t, s.CreateReceivable(ctx, r))
	_, err := s.Receivable(ctx, other.ID, r.ID)
	notFound(err, "receivable")
	_, err = s.Entity(ctx, p, uuid.NewString())
	notFound(err, "entity")
	notFound(s.DeleteProduct(ctx, e.ID, uuid.NewString(), base), "product")
	_, err = s.Connection(ctx, e.ID, uuid.NewString())
	notFound(err, "accounting connection")
	_, err = s.SyncedRecord(ctx, e.ID, uuid.NewString())
	notFound(err, "synced record")

	// A status that refuses an action says which action and which status the object has.
	issued := newReceivable(e.ID, base)
	issued.Status = booksync.StatusIssued
	must(t, s.CreateReceivable(ctx, issued))
	err = s.DeleteReceivable(ctx, e.ID, issued.ID)
	var se *store.StatusError
	if !errors.As(err, &se) || *se != (store.StatusError{Object: "receivable", Action: "delete", Status: booksync.StatusIssued}) {
		t.Fatalf("deleting an issued invoice = %v, want a StatusError", err)
	}
	wantCode(t, err, booksync.ECONFLICT)

	conflict := func(err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("error = %v, want %v", err, want)
		}
		wantCode(t, err, booksync.ECONFLICT)
	}
	// A stale version loses to the write that got there first.
	stale := *r
	r.Memo = ptr("first")
	must(t, s.UpdateReceivable(ctx, r))
	conflict(s.UpdateReceivable(ctx, &stale), store.ErrVersionConflict)
	conflict(s.CreateReceivable(ctx, r), store.ErrAlreadyExists)

	// One active connection per entity.
	c := newConnection(t, s, e.ID)
	second := &booksync.Connection{ID: uuid.NewString(), EntityID: e.ID, CreatedAt: base, UpdatedAt: base,
		Platform: booksync.PlatformXero, Status: booksync.ConnectionConnected, TenantID: uuid.NewString()}
	conflict(s.CreateConnection(ctx, second, ""), store.ErrActiveConnection)

	// A token stored against a version another process has moved on from.
	_, version, err := s.ConnectionToken(ctx, c.ID)
	must(t, err)
	_, err = s.SetConnectionToken(ctx, c.ID, "sealed-1", version)
	must(t, err)
	_, err = s.SetConnectionToken(ctx, c.ID, "sealed-2", version)
	conflict(err, store.ErrTokenChanged)
}
