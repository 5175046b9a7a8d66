package syncer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/platform/platformtest"
	"github.com/booksync/booksync/internal/store"
	"github.com/booksync/booksync/internal/syncer"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/oauth2"
)

// engineOptions are the settings of a test's engine that differ from the defaults.
type engineOptions struct {
	JobTimeout  time.Duration // 0: the engine's default
	MaxAttempts int           // 0: the engine's default
	Workers     int           // 0: 2
	BatchSize   int           // 0: the engine's default
	PushRounds  int           // 0: the engine's default
	// TokenURL, when set, makes fakePlatform a system the user authorizes with OAuth, whose
	// tokens are refreshed at TokenURL; otherwise it is local books that need no authorization.
	TokenURL string
}

// newTestEngine opens a store on dsn (a SQLite file or a PostgreSQL URL) and builds an engine on
// it, not started, whose only platform, fakePlatform, talks to cx. It creates one entity, which
// is not connected yet. Every engine test builds its engine here.
func newTestEngine(t *testing.T, dsn string, cx platform.Connector, opts engineOptions) *bundle {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.OpenAndMigrate(ctx, dsn, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &platform.Provider{Platform: fakePlatform, Name: "Fake Books"}
	if opts.TokenURL == "" {
		p.Local = func(*booksync.Connection, *booksync.Entity) (platform.Connector, func() error, error) {
			return cx, func() error { return nil }, nil
		}
	} else {
		p.OAuth = oauth2.Config{ClientID: "id", ClientSecret: "secret",
			Endpoint: oauth2.Endpoint{AuthURL: "http://books.test/authorize", TokenURL: opts.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		p.Tenants = func(context.Context, *http.Client, url.Values) ([]platform.Tenant, error) {
			return []platform.Tenant{{ID: "org", Name: "Fake Books Ltd"}}, nil
		}
		p.Connector = func(*http.Client, string, *platform.Budget) platform.Connector { return cx }
	}
	b := &bundle{t: t, ctx: ctx, st: st}
	workers := opts.Workers
	if workers == 0 {
		workers = 2
	}
	b.e, err = syncer.New(syncer.Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, 32), Workers: workers,
		BatchSize: opts.BatchSize, PushRounds: opts.PushRounds,
		JobTimeout: opts.JobTimeout, MaxAttempts: opts.MaxAttempts, Logger: quiet, PublicURL: "http://booksync.test",
		RedirectURL: "http://booksync.test/oauth/callback", Providers: map[string]*platform.Provider{fakePlatform: p}})
	if err != nil {
		t.Fatal(err)
	}
	partner := uuid.NewString()
	must(t, st.CreatePartner(ctx, booksync.Partner{ID: partner, Name: "p"}, []byte("hash")))
	b.entity = &booksync.Entity{ID: uuid.NewString(), PartnerID: partner, Type: booksync.EntityTypeOrganization,
		Status: booksync.EntityStatusActive, Address: booksync.EntityAddress{Country: "DE", City: "Berlin", PostalCode: "10115", Line1: "Str. 1"},
		Organization: &booksync.Organization{LegalName: "Acme GmbH"}}
	must(t, st.CreateEntity(ctx, b.entity, booksync.Settings{VATMode: booksync.VATModeExclusive}))
	return b
}

// startedEngine builds and starts an engine on books, connected and pulled, with a default sales
// account, and returns it with the id after which the test's own jobs come.
func startedEngine(t *testing.T, dsn string, books platform.Connector, opts engineOptions) (*bundle, int64) {
	t.Helper()
	b := newTestEngine(t, dsn, books, opts)
	b.startEngine()
	b.connect()
	if opts.TokenURL != "" {
		b.authorize()
	}
	b.waitForPull()
	b.setDefaultSalesAccount()
	return b, b.settle()
}

// authorize completes the OAuth flow of a connection that waits for it, as the user's browser
// does on coming back from the accounting system.
func (b *bundle) authorize() {
	b.t.Helper()
	u, err := url.Parse(b.conn.ConnectionURL)
	must(b.t, err)
	if b.conn, err = b.e.CompleteAuth(b.ctx, url.Values{"state": {u.Query().Get("state")}, "code": {"code"}}); err != nil {
		b.t.Fatal(err)
	}
}

// fakeBooks is an accounting system with one sales tax rate (VAT19), a sales account ("Sales")
// and a bank account ("Bank"), which creates every contact, item and payment it is sent, and every invoice unless
// the test sets PushInvoicesFn.
func fakeBooks() *platformtest.Connector {
	created := func(prefix, ref string) platform.Result { return platform.Result{Ref: ref, PlatformID: prefix + ref} }
	return &platformtest.Connector{
		OrgFn: func(context.Context) (platform.Org, error) {
			return platform.Org{ID: "fake", Name: "Fake Books", BaseCurrency: "EUR", CountryCode: "DE"}, nil
		},
		TaxRatesFn: func(context.Context) ([]platform.TaxRate, error) {
			return []platform.TaxRate{{Code: "VAT19", Name: "VAT 19%", Status: "Active", Rate: 1900, Revenue: true}}, nil
		},
		LedgerAccountsFn: func(context.Context) ([]platform.LedgerAccount, error) {
			return []platform.LedgerAccount{{ID: "acc-sales", Code: "200", Name: "Sales", Type: "Income", Status: "Active"},
				{ID: "acc-bank", Code: "090", Name: "Bank", Type: "Asset", Subtype: "BANK", Status: "Active", IsBank: true, PaymentsAllowed: true}}, nil
		},
		PushContactsFn: func(_ context.Context, cs []platform.Contact) ([]platform.Result, error) {
			out := make([]platform.Result, len(cs))
			for i, c := range cs {
				out[i] = created("contact-", c.Ref)
			}
			return out, nil
		},
		PushItemsFn: func(_ context.Context, items []platform.Item) ([]platform.Result, error) {
			out := make([]platform.Result, len(items))
			for i, it := range items {
				out[i] = created("item-", it.Ref)
			}
			return out, nil
		},
		PushInvoicesFn: func(_ context.Context, invs []platform.Invoice) ([]platform.Result, error) {
			return acceptAll(invs), nil
		},
		PushPaymentsFn: func(_ context.Context, ps []platform.Payment) ([]platform.Result, error) {
			out := make([]platform.Result, len(ps))
			for i, p := range ps {
				out[i] = created("payment-", p.Ref)
			}
			return out, nil
		},
	}
}

// invoiceLog records the invoice pushes the books receive: which invoices, with which
// MaybeExists, and how many pushes were in the books at once.
type invoiceLog struct {
	mu      sync.Mutex
	calls   [][]platform.Invoice
	running int
	most    int // the most pushes running at once
}

// wrap returns a PushInvoicesFn that logs each push and then answers it with answer.
func (l *invoiceLog) wrap(answer func(ctx context.Context, call int, invs []platform.Invoice) ([]platform.Result, error)) func(context.Context, []platform.Invoice) ([]platform.Result, error) {
	return func(ctx context.Context, invs []platform.Invoice) ([]platform.Result, error) {
		l.mu.Lock()
		l.calls = append(l.calls, append([]platform.Invoice(nil), invs...))
		call := len(l.calls)
		l.running++
		l.most = max(l.most, l.running)
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.running--
			l.mu.Unlock()
		}()
		return answer(ctx, call, invs)
	}
}

// pushes returns the pushes logged so far.
func (l *invoiceLog) pushes() [][]platform.Invoice {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]platform.Invoice(nil), l.calls...)
}

// hold signals entered, then waits until release is closed or ctx is done, whose error it
// returns: the books hold a push there while the test looks at the engine.
func hold(ctx context.Context, entered chan<- struct{}, release <-chan struct{}) error {
	select {
	case entered <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pushesOf counts the logged pushes that sent the invoice ref.
func (l *invoiceLog) pushesOf(ref string) int {
	n := 0
	for _, push := range l.pushes() {
		for _, inv := range push {
			if inv.Ref == ref {
				n++
				break
			}
		}
	}
	return n
}

// acceptAll creates every invoice with the totals booksync expects.
func acceptAll(invs []platform.Invoice) []platform.Result {
	out := make([]platform.Result, len(invs))
	for i, inv := range invs {
		out[i] = platform.Result{Ref: inv.Ref, PlatformID: "invoice-" + inv.Ref}
		totals := inv.Expected
		out[i].Totals = &totals
	}
	return out
}

// refuse answers every invoice of a push with err.
// contactArchived is the refusal the fake books give an invoice whose customer was archived in
// them: one the user fixes in the books before pushing the invoice again.
func contactArchived() *platform.Error {
	return &platform.Error{Class: platform.NeedsUserAction, Code: "contact_archived", Message: "Contact is archived"}
}

// refuseFirst answers a log's first push with err for each invoice, and accepts the later ones.
func refuseFirst(err error) func(context.Context, int, []platform.Invoice) ([]platform.Result, error) {
	return func(_ context.Context, call int, invs []platform.Invoice) ([]platform.Result, error) {
		if call == 1 {
			return refuse(invs, err), nil
		}
		return acceptAll(invs), nil
	}
}

func refuse(invs []platform.Invoice, err error) []platform.Result {
	out := make([]platform.Result, len(invs))
	for i, inv := range invs {
		out[i] = platform.Result{Ref: inv.Ref, Err: err}
	}
	return out
}

// settle waits until the connection has no push or sync job to run (its initial sync and the
// push that follows it are done) and returns the newest job's id: the jobs a test's own steps
// queue come after it.
func (b *bundle) settle() int64 {
	b.t.Helper()
	b.waitFor("the connection's jobs to finish", func() bool {
		res, err := b.e.River().JobList(b.ctx, river.NewJobListParams().Kinds(syncer.PushArgs{}.Kind(), syncer.SyncArgs{}.Kind()).
			States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending))
		must(b.t, err)
		return len(res.Jobs) == 0
	})
	res, err := b.e.River().JobList(b.ctx, river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1))
	must(b.t, err)
	if len(res.Jobs) == 0 {
		return 0
	}
	return res.Jobs[0].ID
}

// pushJob waits for a push job of the connection newer than job after that cond accepts, and
// returns it.
func (b *bundle) pushJob(after int64, what string, cond func(*rivertype.JobRow) bool) *rivertype.JobRow {
	b.t.Helper()
	var job *rivertype.JobRow
	b.waitFor(what, func() bool {
		res, err := b.e.River().JobList(b.ctx, river.NewJobListParams().Kinds(syncer.PushArgs{}.Kind()).First(100))
		must(b.t, err)
		for _, j := range res.Jobs {
			var args syncer.PushArgs
			must(b.t, json.Unmarshal(j.EncodedArgs, &args))
			if j.ID > after && args.ConnectionID == b.conn.ID && cond(j) {
				job = j
				return true
			}
		}
		return false
	})
	return job
}

// inState accepts a job in state.
func inState(state rivertype.JobState) func(*rivertype.JobRow) bool {
	return func(j *rivertype.JobRow) bool { return j.State == state }
}

// tokenServer is an OAuth token endpoint that grants an access token for any authorization code
// and refuses to refresh it (invalid_grant), as for a grant the user revoked.
func tokenServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.ParseForm() == nil && r.PostForm.Get("grant_type") == "authorization_code" {
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "a1", "refresh_token": "r1", "token_type": "Bearer", "expires_in": 1800})
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
