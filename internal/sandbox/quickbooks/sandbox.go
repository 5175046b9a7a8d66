package quickbooks

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// Namespace is the Store namespace every sandbox key lives in.
const Namespace = "quickbooks"

// Sandbox is an in-process imitation of Intuit's OAuth 2 service and the
// QuickBooks Online Accounting API. Its methods are safe for concurrent use.
type Sandbox struct {
	opts sandbox.Options
	// srv holds the lock that guards all state below, the OAuth server and persistence.
	srv *sandbox.Server
	now func() time.Time

	companies map[string]*company

	// beforeServe, when set (tests only), runs after rate limiting admitted
	// a call and before the call takes the lock, so tests can hold calls in flight.
	beforeServe func(realmID string)
}

// company is one QuickBooks company (realm) with everything it holds.
type company struct {
	sandbox.Org
	meta      companyMeta
	customers map[string]*Customer
	items     map[string]*Item
	invoices  map[string]*invoiceEntry // by Id; the invoices are in the Store
	payments  map[string]*Payment
	// creditMemos, vendors and bills are the rest of the company's books; deletions are the
	// entities deleted in the last 30 days, which a change data capture reports.
	creditMemos map[string]*CreditMemo
	vendors     map[string]*Vendor
	bills       map[string]*Bill
	deletions   map[string]*Tombstone // by Entity + "-" + ID

	// Runtime only; not persisted.
	limiter limiter
}

// companyMeta is the company record saved under "realm/<id>": settings and
// the lists kept with them (accounts, tax codes and rates).
type companyMeta struct {
	RealmID   string         `json:"realm_id"`
	Region    string         `json:"region"` // "uk" or "us"
	CreatedAt time.Time      `json:"created_at"`
	Info      CompanyInfo    `json:"info"`
	Prefs     Preferences    `json:"prefs"`
	Accounts  []*Account     `json:"accounts"`
	TaxCodes  []*TaxCode     `json:"tax_codes"`
	TaxRates  []*TaxRate     `json:"tax_rates"`
	NextID    map[string]int `json:"next_id"`
	NextDoc   int            `json:"next_doc"`
}

func (c *company) us() bool { return c.meta.Region == "us" }

// defaultItem is the seeded "Services" item, which a line without an item sells.
func (c *company) defaultItem() *Item {
	var best *Item
	for _, it := range c.items {
		if it.Name == "Services" && it.Active && (best == nil || it.ID < best.ID) {
			best = it
		}
	}
	return best
}

func (c *company) homeCurrency() string { return c.meta.Prefs.CurrencyPrefs.HomeCurrency.Value }

// newID hands out the next Id of an entity type; QuickBooks numbers each type separately.
func (c *company) newID(kind string) string {
	c.meta.NextID[kind]++
	return strconv.Itoa(c.meta.NextID[kind])
}

func emptyCompany() *company {
	return &company{
		Org:       sandbox.Org{Replays: map[string]time.Time{}},
		customers: map[string]*Customer{},
		items:     map[string]*Item{},
		invoices:  map[string]*invoiceEntry{},
		payments:  map[string]*Payment{},

		creditMemos: map[string]*CreditMemo{},
		vendors:     map[string]*Vendor{},
		bills:       map[string]*Bill{},
		deletions:   map[string]*Tombstone{},
	}
}

// New returns a Sandbox with the state found in opts.Store.
func New(ctx context.Context, opts sandbox.Options) (*Sandbox, error) {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &Sandbox{opts: opts, companies: map[string]*company{}}
	s.srv = sandbox.NewServer(sandbox.Config{
		Namespace: Namespace, Store: opts.Store, Now: opts.Now, TimeScale: opts.TimeScale, OAuth: s.oauthConfig(),
		Org: s.companyOf, OrgField: "realm_id", KeyPrefix: "realm",
	})
	s.now = s.srv.Now
	if err := s.srv.Load(ctx, s.loadCompany, s.loadObject); err != nil {
		return nil, err
	}
	return s, nil
}

// loadCompany reads a company's saved record.
func (s *Sandbox) loadCompany(v []byte) error {
	c := emptyCompany()
	if err := json.Unmarshal(v, &c.meta); err != nil {
		return err
	}
	if c.meta.NextID == nil {
		c.meta.NextID = map[string]int{}
	}
	s.companies[c.meta.RealmID] = c
	return nil
}

// loadObject reads one of a company's saved entities.
func (s *Sandbox) loadObject(realmID, kind, id string, v []byte) error {
	c := s.companies[realmID]
	switch kind {
	case "customer":
		return sandbox.LoadJSON(v, c.customers, id)
	case "item":
		return sandbox.LoadJSON(v, c.items, id)
	case "invoice":
		inv, err := decodeInvoice(v)
		if inv != nil {
			c.index(inv)
		}
		return err
	case "payment":
		return sandbox.LoadJSON(v, c.payments, id)
	case "creditmemo":
		return sandbox.LoadJSON(v, c.creditMemos, id)
	case "vendor":
		return sandbox.LoadJSON(v, c.vendors, id)
	case "bill":
		return sandbox.LoadJSON(v, c.bills, id)
	case "deleted":
		return sandbox.LoadJSON(v, c.deletions, id)
	}
	return nil
}

func (s *Sandbox) saveMeta(c *company) { s.srv.Mark(s.srv.OrgKey(c.meta.RealmID), &c.meta) }
func (s *Sandbox) saveObj(c *company, kind, id string, v any) {
	s.srv.Mark(s.srv.OrgKey(c.meta.RealmID, kind, id), v)
}

// Handler serves the sandbox: OAuth under /oauth2, the Accounting API under
// /v3/company/{realmId}, and, behind sandbox.Options.Gate, the company pages under /companies and
// POST /faults.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", s.srv.HandleAuthorizePage)
	mux.HandleFunc("POST /oauth2/authorize", s.srv.HandleAuthorizeConsent)
	mux.HandleFunc("POST /oauth2/v1/tokens/bearer", s.srv.HandleToken)
	mux.HandleFunc("POST /oauth2/v1/tokens/revoke", s.srv.HandleRevoke)
	mux.Handle("/v3/company/", s.apiHandler())
	s.opts.Gate.Route(mux, Namespace, s.opts.BaseURL, s.srv.HandleFaults, s.pages())
	return mux
}

// AuthURL is the OAuth 2 authorization endpoint, like https://appcenter.intuit.com/connect/oauth2.
func (s *Sandbox) AuthURL() string { return s.opts.BaseURL + "/oauth2/authorize" }

// TokenURL is the OAuth 2 token endpoint, like https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer.
func (s *Sandbox) TokenURL() string { return s.opts.BaseURL + "/oauth2/v1/tokens/bearer" }

// RevokeURL is the OAuth 2 revocation endpoint, like https://developer.api.intuit.com/v2/oauth2/tokens/revoke.
func (s *Sandbox) RevokeURL() string { return s.opts.BaseURL + "/oauth2/v1/tokens/revoke" }

// APIURL is the Accounting API base, like https://quickbooks.api.intuit.com;
// API paths below it are /v3/company/{realmId}/...
func (s *Sandbox) APIURL() string { return s.opts.BaseURL }

// Companies returns the realm ids of all companies, oldest first.
func (s *Sandbox) Companies() []string {
	s.srv.Lock()
	defer s.srv.Unlock()
	cs := s.sortedCompanies()
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.meta.RealmID
	}
	return out
}

func (s *Sandbox) sortedCompanies() []*company {
	out := make([]*company, 0, len(s.companies))
	for _, c := range s.companies {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *company) int {
		if c := a.meta.CreatedAt.Compare(b.meta.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.meta.RealmID, b.meta.RealmID)
	})
	return out
}

// byID returns the map's values ordered by numeric Id, which is creation order.
func byID[T any](m map[string]*T, id func(*T) string) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int { return compareIDs(id(a), id(b)) })
	return out
}

func compareIDs(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x - y
	}
	return strings.Compare(a, b)
}

// inspect returns copies of what pick finds in the company, nil for an unknown one.
func inspect[T any](s *Sandbox, realmID string, pick func(*company) []*T) []T {
	return sandbox.Snapshot(s.srv, func() []*T {
		if c := s.companies[realmID]; c != nil {
			return pick(c)
		}
		return nil
	})
}

// Invoices returns the company's invoices in creation order.
func (s *Sandbox) Invoices(realmID string) []Invoice {
	return inspect(s, realmID, func(c *company) []*Invoice { return s.allInvoices(c) })
}

// Customers returns the company's customers in creation order, inactive ones included.
func (s *Sandbox) Customers(realmID string) []Customer {
	return inspect(s, realmID, func(c *company) []*Customer { return byID(c.customers, func(v *Customer) string { return v.ID }) })
}

// Items returns the company's items in creation order, inactive ones included.
func (s *Sandbox) Items(realmID string) []Item {
	return inspect(s, realmID, func(c *company) []*Item { return byID(c.items, func(v *Item) string { return v.ID }) })
}

// Payments returns the company's payments in creation order.
func (s *Sandbox) Payments(realmID string) []Payment {
	return inspect(s, realmID, func(c *company) []*Payment { return byID(c.payments, func(v *Payment) string { return v.ID }) })
}

// TaxCodes returns the company's tax codes.
func (s *Sandbox) TaxCodes(realmID string) []TaxCode {
	return inspect(s, realmID, func(c *company) []*TaxCode { return c.meta.TaxCodes })
}

// TaxRates returns the company's tax rates.
func (s *Sandbox) TaxRates(realmID string) []TaxRate {
	return inspect(s, realmID, func(c *company) []*TaxRate { return c.meta.TaxRates })
}

// Accounts returns the company's chart of accounts.
func (s *Sandbox) Accounts(realmID string) []Account {
	return inspect(s, realmID, func(c *company) []*Account { return c.meta.Accounts })
}

// Calls returns how many Accounting API calls the company has been served
// since this Sandbox started: rejected and faulted calls included, and each
// batch item counted as one call, as Intuit meters them.
func (s *Sandbox) Calls(realmID string) int { return s.srv.Calls(realmID) }
