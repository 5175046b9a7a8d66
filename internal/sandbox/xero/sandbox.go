package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// Namespace is the Store namespace every sandbox key lives in.
const Namespace = "xero"

// Sandbox is an in-process imitation of Xero's identity service and
// Accounting API. Its methods are safe for concurrent use.
type Sandbox struct {
	opts sandbox.Options
	// srv holds the lock that guards all state below, the OAuth server and persistence.
	srv *sandbox.Server
	now func() time.Time

	orgs map[string]*org
	seq  int64
	app  sandbox.Window // app-wide calls in the last minute

	// beforeServe, when set (tests only), runs after rate limiting admitted
	// a call and before the call takes the lock, so tests can hold calls in flight.
	beforeServe func(tenantID string)
}

// org is one organisation (tenant) with everything it holds.
type org struct {
	sandbox.Org
	meta     orgMeta
	contacts map[string]*Contact
	items    map[string]*Item
	invoices map[string]*invoiceEntry   // by lower-case id; the invoices are in the Store
	byNumber map[string][]*invoiceEntry // the same entries by numberKey of their number
	payments map[string]*Payment
	credits  map[string]*CreditNote
	seqs     map[string]int64 // object id -> creation sequence, for stable order

	// Runtime only; not persisted.
	limiter limiter
}

// orgMeta is the organisation record saved under "org/<tenant>".
type orgMeta struct {
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	ShortCode string    `json:"short_code"`
	CreatedAt time.Time `json:"created_at"`
	// Country and Currency are the organisation's country and base currency (empty: GB, GBP).
	Country  string `json:"country,omitempty"`
	Currency string `json:"currency,omitempty"`
	// Currencies are the foreign currencies added to the organisation (multi-currency).
	Currencies        []string   `json:"currencies,omitempty"`
	Accounts          []*Account `json:"accounts"`
	TaxRates          []*TaxRate `json:"tax_rates"`
	NextInvoiceNumber int        `json:"next_invoice_number"`
	NextTaxNumber     int        `json:"next_tax_number"`
}

// record wraps a persisted object with its creation sequence.
type record[T any] struct {
	Seq int64 `json:"seq"`
	V   *T    `json:"v"`
}

func emptyOrg() *org {
	return &org{
		Org:      sandbox.Org{Replays: map[string]time.Time{}},
		contacts: map[string]*Contact{},
		items:    map[string]*Item{},
		invoices: map[string]*invoiceEntry{},
		byNumber: map[string][]*invoiceEntry{},
		payments: map[string]*Payment{},
		credits:  map[string]*CreditNote{},
		seqs:     map[string]int64{},
	}
}

// New returns a Sandbox with the state found in opts.Store.
func New(ctx context.Context, opts sandbox.Options) (*Sandbox, error) {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &Sandbox{opts: opts, orgs: map[string]*org{}}
	s.srv = sandbox.NewServer(sandbox.Config{
		Namespace: Namespace, Store: opts.Store, Now: opts.Now, TimeScale: opts.TimeScale, OAuth: s.oauthConfig(),
		Org: s.orgOf, OrgField: "tenant_id", KeyPrefix: "org",
	})
	s.now = s.srv.Now
	if err := s.srv.Load(ctx, s.loadOrg, s.loadObject); err != nil {
		return nil, err
	}
	return s, nil
}

// loadOrg reads an organisation's saved record.
func (s *Sandbox) loadOrg(v []byte) error {
	o := emptyOrg()
	if err := json.Unmarshal(v, &o.meta); err != nil {
		return err
	}
	s.orgs[o.meta.TenantID] = o
	return nil
}

// loadObject reads one of an organisation's saved objects.
func (s *Sandbox) loadObject(tenantID, kind, id string, v []byte) error {
	o := s.orgs[tenantID]
	switch kind {
	case "contact":
		return loadRecord(v, o, o.contacts, id, &s.seq)
	case "item":
		return loadRecord(v, o, o.items, id, &s.seq)
	case "invoice":
		var r record[Invoice]
		if err := json.Unmarshal(v, &r); err != nil || r.V == nil {
			return err
		}
		o.index(r.V, r.Seq)
		s.seq = max(s.seq, r.Seq)
		return nil
	case "payment":
		return loadRecord(v, o, o.payments, id, &s.seq)
	case "creditnote":
		return loadRecord(v, o, o.credits, id, &s.seq)
	}
	return nil
}

func loadRecord[T any](v []byte, o *org, into map[string]*T, id string, maxSeq *int64) error {
	var r record[T]
	if err := json.Unmarshal(v, &r); err != nil {
		return err
	}
	into[id] = r.V
	o.seqs[id] = r.Seq
	*maxSeq = max(*maxSeq, r.Seq)
	return nil
}

// nextSeq numbers a new object; callers hold the lock.
func (s *Sandbox) nextSeq() int64 { s.seq++; return s.seq }

func (s *Sandbox) saveContact(o *org, c *Contact) {
	s.srv.Mark(s.srv.OrgKey(o.meta.TenantID, "contact", c.ContactID), record[Contact]{o.seqs[c.ContactID], c})
}
func (s *Sandbox) saveItem(o *org, it *Item) {
	s.srv.Mark(s.srv.OrgKey(o.meta.TenantID, "item", it.ItemID), record[Item]{o.seqs[it.ItemID], it})
}
func (s *Sandbox) savePayment(o *org, p *Payment) {
	s.srv.Mark(s.srv.OrgKey(o.meta.TenantID, "payment", p.PaymentID), record[Payment]{o.seqs[p.PaymentID], p})
}

func (s *Sandbox) saveCreditNote(o *org, cn *CreditNote) {
	s.srv.Mark(s.srv.OrgKey(o.meta.TenantID, "creditnote", cn.CreditNoteID), record[CreditNote]{o.seqs[cn.CreditNoteID], cn})
}

func (s *Sandbox) saveOrgMeta(o *org) { s.srv.Mark(s.srv.OrgKey(o.meta.TenantID), &o.meta) }

// Handler serves the sandbox: OAuth, /connections, the Accounting API under
// /api.xro/2.0, and, behind sandbox.Options.Gate, the organisation pages under /orgs and POST /faults.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", s.srv.HandleAuthorizePage)
	mux.HandleFunc("POST /oauth/authorize", s.srv.HandleAuthorizeConsent)
	mux.HandleFunc("POST /oauth/token", s.srv.HandleToken)
	mux.HandleFunc("POST /oauth/revoke", s.srv.HandleRevoke)
	mux.HandleFunc("GET /connections", s.handleConnections)
	mux.HandleFunc("DELETE /connections/{id}", s.handleDeleteConnection)
	mux.Handle("/api.xro/2.0/", s.apiHandler())
	s.opts.Gate.Route(mux, Namespace, s.opts.BaseURL, s.srv.HandleFaults, s.pages())
	return mux
}

// AuthURL is the OAuth 2 authorization endpoint.
func (s *Sandbox) AuthURL() string { return s.opts.BaseURL + "/oauth/authorize" }

// TokenURL is the OAuth 2 token endpoint.
func (s *Sandbox) TokenURL() string { return s.opts.BaseURL + "/oauth/token" }

// RevokeURL is the OAuth 2 token revocation endpoint.
func (s *Sandbox) RevokeURL() string { return s.opts.BaseURL + "/oauth/revoke" }

// ConnectionsURL lists the organisations a token may use, like https://api.xero.com/connections.
func (s *Sandbox) ConnectionsURL() string { return s.opts.BaseURL + "/connections" }

// APIURL is the Accounting API base, like https://api.xero.com/api.xro/2.0.
func (s *Sandbox) APIURL() string { return s.opts.BaseURL + "/api.xro/2.0" }

// Tenants returns the ids of all organisations, oldest first.
func (s *Sandbox) Tenants() []string {
	s.srv.Lock()
	defer s.srv.Unlock()
	orgs := s.sortedOrgs()
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = o.meta.TenantID
	}
	return out
}

func (s *Sandbox) sortedOrgs() []*org {
	out := make([]*org, 0, len(s.orgs))
	for _, o := range s.orgs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *org) int {
		if c := a.meta.CreatedAt.Compare(b.meta.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.meta.Name, b.meta.Name)
	})
	return out
}

// sortedBySeq returns the map's values in creation order.
func sortedBySeq[T any](o *org, m map[string]*T, id func(*T) string) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int { return int(o.seqs[id(a)] - o.seqs[id(b)]) })
	return out
}

// inspect returns copies of what pick finds in the organisation, nil for an unknown one.
func inspect[T any](s *Sandbox, tenantID string, pick func(*org) []*T) []T {
	return sandbox.Snapshot(s.srv, func() []*T {
		if o := s.orgs[tenantID]; o != nil {
			return pick(o)
		}
		return nil
	})
}

// Invoices returns the organisation's invoices in creation order.
func (s *Sandbox) Invoices(tenantID string) []Invoice {
	return inspect(s, tenantID, func(o *org) []*Invoice { return s.invoicesOf(o, invoiceEntries(o)) })
}

// CreditNotes returns the organisation's credit notes in creation order.
func (s *Sandbox) CreditNotes(tenantID string) []CreditNote {
	return inspect(s, tenantID, func(o *org) []*CreditNote {
		return sortedBySeq(o, o.credits, func(v *CreditNote) string { return v.CreditNoteID })
	})
}

// Contacts returns the organisation's contacts in creation order.
func (s *Sandbox) Contacts(tenantID string) []Contact {
	return inspect(s, tenantID, func(o *org) []*Contact {
		return sortedBySeq(o, o.contacts, func(v *Contact) string { return v.ContactID })
	})
}

// Items returns the organisation's items in creation order.
func (s *Sandbox) Items(tenantID string) []Item {
	return inspect(s, tenantID, func(o *org) []*Item {
		return sortedBySeq(o, o.items, func(v *Item) string { return v.ItemID })
	})
}

// Payments returns the organisation's payments in creation order.
func (s *Sandbox) Payments(tenantID string) []Payment {
	return inspect(s, tenantID, func(o *org) []*Payment {
		return sortedBySeq(o, o.payments, func(v *Payment) string { return v.PaymentID })
	})
}

// TaxRates returns the organisation's tax rates, archived ones included.
func (s *Sandbox) TaxRates(tenantID string) []TaxRate {
	return inspect(s, tenantID, func(o *org) []*TaxRate { return o.meta.TaxRates })
}

// Accounts returns the organisation's chart of accounts.
func (s *Sandbox) Accounts(tenantID string) []Account {
	return inspect(s, tenantID, func(o *org) []*Account { return o.meta.Accounts })
}

// Calls returns how many Accounting API calls the organisation has been
// served since this Sandbox started (rejected and faulted calls included,
// since Xero counts them too).
func (s *Sandbox) Calls(tenantID string) int { return s.srv.Calls(tenantID) }

// AddTaxRate creates a custom tax rate (TaxType TAX001, TAX002, ...) with
// one component, as the organisation page's form does, and returns it.
func (s *Sandbox) AddTaxRate(ctx context.Context, tenantID, name string, rate sandbox.Amount) (TaxRate, error) {
	s.srv.Lock()
	defer s.srv.Unlock()
	o := s.orgs[tenantID]
	if o == nil {
		return TaxRate{}, fmt.Errorf("xero sandbox: unknown tenant %q", tenantID)
	}
	if msgs := validateNewTaxRate(o, name, []TaxComponent{{Name: name, Rate: rate}}, nil); len(msgs) > 0 {
		return TaxRate{}, fmt.Errorf("xero sandbox: %s", msgs[0].Message)
	}
	tr := s.addTaxRate(o, name, []TaxComponent{{Name: name, Rate: rate}})
	return *tr, s.srv.Flush(ctx)
}

// AddCurrency adds the foreign currency code to the organisation (multi-currency), after which
// its invoices, credit notes and contacts may be in that currency. Adding one it holds is no
// change; Xero does not remove a currency once added.
func (s *Sandbox) AddCurrency(ctx context.Context, tenantID, code string) error {
	s.srv.Lock()
	defer s.srv.Unlock()
	o := s.orgs[tenantID]
	if o == nil {
		return fmt.Errorf("xero sandbox: unknown tenant %q", tenantID)
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if !sandbox.KnownCurrency(code) {
		return fmt.Errorf("xero sandbox: %q is not a currency the sandbox has exchange rates for", code)
	}
	if code == o.baseCurrency() || slices.Contains(o.meta.Currencies, code) {
		return nil
	}
	o.meta.Currencies = append(o.meta.Currencies, code)
	s.saveOrgMeta(o)
	return s.srv.Flush(ctx)
}
