package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/app"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/google/uuid"
)

// hookEvent is a webhook's body as a receiver reads it.
type hookEvent struct {
	ID             string          `json:"id"`
	CreatedAt      time.Time       `json:"created_at"`
	Action         string          `json:"action"`
	ObjectType     string          `json:"object_type"`
	ObjectID       string          `json:"object_id"`
	EntityID       string          `json:"entity_id"`
	Description    string          `json:"description"`
	Object         json.RawMessage `json:"object"`
	SubscriptionID string          `json:"webhook_subscription_id"`
}

// receiver is a webhook receiver over real HTTP. It checks every signature as Monite's guide tells
// receivers to, written here from the guide's words and not with booksync's signer: split the
// Monite-Signature header on "," and each part on "="; t is the timestamp and v1 the signature;
// compute HMAC-SHA256 with the subscription's secret over t, ".", and the raw body; compare.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	// answer decides the status of the nth request (from 1); nil answers 200.
	answer func(n int) int
	// delay is how long the nth request waits before answering.
	delay func(n int) time.Duration
	// gate, when set, holds every request until it is closed.
	gate chan struct{}
	// inflight and maxInflight count the requests being answered at once.
	inflight, maxInflight atomic.Int64

	mu       sync.Mutex
	secrets  map[string]string // by subscription id
	requests int
	got      []hookEvent // events answered with a 2xx, in arrival order
	badSigs  int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, secrets: map[string]string{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	rc.mu.Unlock()
	now := rc.inflight.Add(1)
	defer rc.inflight.Add(-1)
	for m := rc.maxInflight.Load(); now > m && !rc.maxInflight.CompareAndSwap(m, now); m = rc.maxInflight.Load() {
	}
	if rc.gate != nil {
		select {
		case <-rc.gate:
		case <-r.Context().Done():
			return
		}
	}
	if rc.delay != nil {
		if d := rc.delay(n); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	}
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(n)
	}
	var ev hookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.t.Errorf("webhook body is not JSON: %s", body)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !verifySignature(r.Header.Get("Monite-Signature"), rc.secrets[ev.SubscriptionID], body) {
		rc.badSigs++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if status < 300 {
		rc.got = append(rc.got, ev)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "answer "+strconv.Itoa(n))
}

// verifySignature is the guide's check, independent of booksync's code.
func verifySignature(header, secret string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if ts == "" || sig == "" || secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// events returns the distinct events received (a retry may deliver one twice) in the order they
// happened: deliveries run in parallel and retries come late, so a receiver orders by created_at
// (and id, which is time-ordered, for events of one instant).
func (rc *receiver) events() []hookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	var out []hookEvent
	for _, ev := range rc.got {
		if !seen[ev.ID] {
			seen[ev.ID] = true
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b hookEvent) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// subscribe subscribes the receiver's URL (or url, when given) to an object type's events and
// remembers the secret.
func (rc *receiver) subscribe(c *client, objectType string, eventTypes ...string) string {
	var sub struct {
		ID, Secret, Status string
	}
	body := map[string]any{"object_type": objectType, "url": rc.srv.URL + "/hooks"}
	if len(eventTypes) > 0 {
		body["event_types"] = eventTypes
	}
	c.do("POST", "/webhook_subscriptions", body, 201, &sub)
	if !strings.HasPrefix(sub.Secret, "whsec_") || sub.Status != "enabled" {
		c.s.t.Fatalf("new subscription: %+v", sub)
	}
	rc.mu.Lock()
	rc.secrets[sub.ID] = sub.Secret
	rc.mu.Unlock()
	return sub.ID
}

// apiEvent is an event as GET /events lists it.
type apiEvent struct {
	ID, Action, ObjectType string
	ObjectID               string `json:"object_id"`
}

// allEvents reads the entity's events, every page, oldest first.
func (c *client) allEvents() []apiEvent {
	var out []apiEvent
	path := "/events?limit=7"
	for {
		var page struct {
			Data []apiEvent
			Next *string `json:"next_pagination_token"`
		}
		c.do("GET", path, nil, 200, &page)
		out = append(out, page.Data...)
		if page.Next == nil {
			return out
		}
		path = "/events?limit=7&pagination_token=" + *page.Next
	}
}

// actionsOf lists, in order, the actions of the events about one object.
func actionsOf[E interface{ key() (string, string) }](evs []E, objectID string) []string {
	var out []string
	for _, e := range evs {
		if id, action := e.key(); id == objectID {
			out = append(out, action)
		}
	}
	return out
}

func (e apiEvent) key() (string, string)  { return e.ObjectID, e.Action }
func (e hookEvent) key() (string, string) { return e.ObjectID, e.Action }

// TestWebhooksTellTheStory connects an entity, issues an invoice that fails for want of a ledger
// account and is pushed once fixed, and pays it: each object's events are written in order, each
// reaches the receiver signed, and the delivery log says so.
func TestWebhooksTellTheStory(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, s *stack) {
		p := s.partner()
		rc := newReceiver(t)
		subs := map[string]string{}
		for _, ot := range []string{"receivable", "payment", "accounting_connection", "counterpart", "product"} {
			subs[ot] = rc.subscribe(p, ot)
		}
		c := p.newEntity()
		r := c.customerAndProduct("Acme Trading Ltd", nil)
		connID, _ := c.connect()
		inv, _ := c.issue(r, nil, line(r.product, 2, 2000))
		rec := c.record("receivable", inv)
		if rec.SyncStatus != "error" {
			t.Fatalf("invoice without a ledger account: %s", rec)
		}
		sales := c.idByName("/ledger_accounts", "Sales")
		bank := c.idByName("/ledger_accounts", "Business Bank Account")
		c.do("PATCH", "/entities/"+c.entityID+"/settings", map[string]any{"accounting": map[string]any{
			"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil)
		if rec = c.pushAgain(rec); rec.SyncStatus != "done" {
			t.Fatalf("pushed again: %s", rec)
		}
		var pay struct{ ID string }
		c.do("POST", "/payment_records", map[string]any{"amount": 100, "currency": "GBP",
			"object": map[string]any{"id": inv, "type": "receivable"}}, 201, &pay)
		if pr := c.record("payment_record", pay.ID); pr.SyncStatus != "done" {
			t.Fatalf("payment record: %s", pr)
		}

		want := map[string][]string{
			r.counterpart: {"counterpart.created"},
			r.product:     {"product.created"},
			connID:        {"accounting_connection.created", "accounting_connection.connected", "accounting_connection.sync_finished"},
			inv: {"receivable.created", "receivable.issued", "receivable.accounting_failed", "receivable.accounting_pushed",
				"receivable.partially_paid"},
			pay.ID: {"payment.created", "payment.accounting_pushed"},
		}
		events := c.allEvents()
		for id, actions := range want {
			got := actionsOf(events, id)
			// Later syncs may add sync_finished events; compare the story's beginning.
			if len(got) < len(actions) || !slices.Equal(got[:len(actions)], actions) {
				t.Errorf("events of %s: %v, want %v", id, got, actions)
			}
		}
		total := len(events)
		c.waitFor("every event delivered", func() bool { return len(rc.events()) >= total })
		got := rc.events()
		for id, actions := range want {
			if g := actionsOf(got, id); len(g) < len(actions) || !slices.Equal(g[:len(actions)], actions) {
				t.Errorf("webhooks of %s: %v, want %v", id, g, actions)
			}
		}
		for _, ev := range got {
			if ev.EntityID != c.entityID || subs[ev.ObjectType] != ev.SubscriptionID || ev.Description == "" {
				t.Errorf("webhook %+v: wrong entity, subscription or no description", ev)
			}
		}
		var failed hookEvent
		for _, ev := range got {
			if ev.Action == "receivable.accounting_failed" {
				failed = ev
			}
		}
		var outcome struct {
			SyncStatus string `json:"sync_status"`
			Errors     struct {
				Status  string
				Details []struct{ Fix string }
			}
		}
		if err := json.Unmarshal(failed.Object, &outcome); err != nil || outcome.SyncStatus != "error" ||
			outcome.Errors.Status != "ledger_account_not_set" || len(outcome.Errors.Details) == 0 || outcome.Errors.Details[0].Fix == "" {
			t.Errorf("accounting_failed webhook object: %s (%v)", failed.Object, err)
		}
		if rc.badSigs != 0 {
			t.Errorf("%d webhooks failed the signature check", rc.badSigs)
		}

		var deliveries struct {
			Data []struct {
				EventID           string `json:"event_id"`
				RequestsMadeCount int    `json:"requests_made_count"`
				WasSuccessful     *bool  `json:"was_successful"`
				StatusCode        *int   `json:"response_status_code"`
			}
		}
		c.waitFor("every delivery recorded", func() bool {
			c.do("GET", "/webhook_deliveries?limit=100", nil, 200, &deliveries)
			for _, d := range deliveries.Data {
				if d.WasSuccessful == nil {
					return false
				}
			}
			return len(deliveries.Data) >= total
		})
		for _, d := range deliveries.Data {
			if !*d.WasSuccessful || d.RequestsMadeCount != 1 || d.StatusCode == nil || *d.StatusCode != 200 {
				t.Errorf("delivery of %s: %+v", d.EventID, d)
			}
		}
		var one struct{ ID, Action string }
		c.do("GET", "/events/"+got[0].ID, nil, 200, &one)
		if one.ID != got[0].ID || one.Action != got[0].Action {
			t.Errorf("GET /events/{id}: %+v, want %s", one, got[0].ID)
		}
		// Another partner sees none of it.
		other := s.partner()
		other.do("GET", "/events/"+got[0].ID, nil, 404, nil)
		other.do("GET", "/webhook_subscriptions/"+subs["receivable"], nil, 404, nil)
	})
}

// fakeClock is a clock the test moves forward, so that days of failures take no time.
type fakeClock struct{ offset atomic.Int64 }

func (f *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(f.offset.Load())) }
func (f *fakeClock) advance(d time.Duration) { f.offset.Add(int64(d)) }
func fastRetries(int) time.Duration          { return 20 * time.Millisecond }
func quickHooks(clock *fakeClock) func(*app.Config) {
	return func(cfg *app.Config) {
		cfg.Webhooks.Backoff = fastRetries
		cfg.Webhooks.Timeout = 300 * time.Millisecond
		cfg.Webhooks.DisableAfter = 72 * time.Hour
		cfg.Webhooks.Now = clock.now
	}
}

// TestWebhookReceiversThatFail checks delivery to receivers that answer 500 for a while, time out
// for a while, or are down and come back: each gets every event. A receiver that never recovers
// gets its subscription disabled once it has failed for DisableAfter, with an event saying so.
func TestWebhookReceiversThatFail(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{}
			s := newStackWith(t, dsnFor(t, db), quickHooks(clock))
			p := s.partner()

			erroring := newReceiver(t)
			erroring.answer = func(n int) int {
				if n <= 4 {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			}
			slow := newReceiver(t)
			slow.delay = func(n int) time.Duration {
				if n <= 3 {
					return 2 * time.Second // past the 300 ms timeout
				}
				return 0
			}
			// down: a receiver whose port refuses connections until it comes back.
			down := newReceiver(t)
			addr := down.srv.Listener.Addr().String()
			down.srv.Close()
			dead := newReceiver(t)
			dead.answer = func(int) int { return http.StatusServiceUnavailable }
			watcher := newReceiver(t)

			for _, rc := range []*receiver{erroring, slow, dead} {
				rc.subscribe(p, "counterpart")
			}
			down.srv = &httptest.Server{URL: "http://" + addr}
			downSub := down.subscribe(p, "counterpart")
			watcher.subscribe(p, "partner_settings")

			c := p.newEntity()
			const n = 5
			for i := range n {
				c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
					"legal_name": "Customer " + strconv.Itoa(i), "is_customer": true, "is_vendor": false,
					"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, nil)
			}
			c.waitFor("the failing receivers to recover", func() bool {
				return len(erroring.events()) == n && len(slow.events()) == n
			})
			// The receiver that was down comes back on its address.
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("cannot listen on %s again: %v", addr, err)
			}
			back := httptest.NewUnstartedServer(http.HandlerFunc(down.serve))
			back.Listener.Close()
			back.Listener = ln
			back.Start()
			t.Cleanup(back.Close)
			c.waitFor("the receiver that was down", func() bool { return len(down.events()) == n })

			// The dead receiver has failed for a moment only: still enabled.
			var sub struct{ Status string }
			for _, rc := range []*receiver{erroring, slow, down} {
				if rc.badSigs != 0 {
					t.Errorf("%d bad signatures", rc.badSigs)
				}
			}
			c.do("GET", "/webhook_subscriptions/"+downSub, nil, 200, &sub)
			if sub.Status != "enabled" {
				t.Fatalf("recovered subscription: %s", sub.Status)
			}
			// Three days and more later, the dead one is disabled at its next attempt.
			clock.advance(73 * time.Hour)
			deadSub := ""
			for id := range dead.secrets {
				deadSub = id
			}
			c.waitFor("the dead receiver's subscription disabled", func() bool {
				c.do("GET", "/webhook_subscriptions/"+deadSub, nil, 200, &sub)
				return sub.Status == "disabled"
			})
			c.waitFor("the event that says so", func() bool {
				for _, ev := range watcher.events() {
					if ev.Action == "partner_settings.webhook_subscription_disabled" && ev.ObjectID == deadSub {
						return true
					}
				}
				return false
			})
			var deliveries struct {
				Data []struct {
					RequestsMadeCount int   `json:"requests_made_count"`
					WasSuccessful     *bool `json:"was_successful"`
					StatusCode        *int  `json:"response_status_code"`
					URL               string
				}
			}
			c.do("GET", "/webhook_deliveries?limit=100", nil, 200, &deliveries)
			retried := 0
			for _, d := range deliveries.Data {
				if d.RequestsMadeCount > 1 {
					retried++
				}
				// Its deliveries failed, or waited behind the one attempt a failing receiver gets
				// at a time and ended unsent when it was disabled.
				if strings.HasPrefix(d.URL, dead.srv.URL) && d.WasSuccessful != nil && *d.WasSuccessful {
					t.Errorf("dead receiver's delivery: %+v", d)
				}
			}
			if retried == 0 {
				t.Errorf("no delivery was retried: %+v", deliveries.Data)
			}
			// Enabling it again is the partner's call; the subscription then takes new events.
			dead.answer = nil
			c.do("POST", "/webhook_subscriptions/"+deadSub+"/enable", nil, 200, &sub)
			if sub.Status != "enabled" {
				t.Fatalf("enabled: %s", sub.Status)
			}
		})
	}
}

// TestWebhookSubscriptionsRefuseBadURLs checks that a subscription's URL must be http(s) and not
// booksync's own, and that a refused request changes nothing.
func TestWebhookSubscriptionsRefuseBadURLs(t *testing.T) {
	t.Parallel()
	s := newStack(t, t.TempDir()+"/hooks.db")
	p := s.partner()
	for _, u := range []string{"ftp://example.com/hooks", "mailto:a@example.com", s.url + "/receivables", "http:///nohost"} {
		p.do("POST", "/webhook_subscriptions", map[string]any{"object_type": "receivable", "url": u}, 422, nil)
	}
	p.do("POST", "/webhook_subscriptions", map[string]any{"object_type": "receivable", "url": "https://example.com/h",
		"event_types": []string{"exploded"}}, 422, nil)
	var l struct{ Data []any }
	p.do("GET", "/webhook_subscriptions", nil, 200, &l)
	if len(l.Data) != 0 {
		t.Fatalf("refused subscriptions were stored: %v", l.Data)
	}
	var sub struct{ ID, Secret string }
	p.do("POST", "/webhook_subscriptions", map[string]any{"object_type": "receivable", "url": "https://example.com/h"}, 201, &sub)
	var got map[string]any
	p.do("GET", "/webhook_subscriptions/"+sub.ID, nil, 200, &got)
	if _, ok := got["secret"]; ok {
		t.Fatalf("GET shows the secret: %v", got)
	}
	p.do("PATCH", "/webhook_subscriptions/"+sub.ID, map[string]any{"url": s.url + "/x"}, 422, nil)
	var again struct{ Secret string }
	p.do("POST", "/webhook_subscriptions/"+sub.ID+"/regenerate_secret", nil, 200, &again)
	if again.Secret == "" || again.Secret == sub.Secret {
		t.Fatalf("regenerated secret: %q (was %q)", again.Secret, sub.Secret)
	}
	// The database alone does not reveal it.
	var sealed string
	if err := s.app.Store.Reader().QueryRow("SELECT secret FROM webhook_subscriptions WHERE id = $1", sub.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, again.Secret) || strings.Contains(sealed, strings.TrimPrefix(again.Secret, "whsec_")) {
		t.Fatal("the stored secret is readable")
	}
	p.do("DELETE", "/webhook_subscriptions/"+sub.ID, nil, 204, nil)
	p.do("GET", "/webhook_subscriptions/"+sub.ID, nil, 404, nil)
}

// dsnFor returns a new database of the kind named: "sqlite" or "postgres".
func dsnFor(t *testing.T, db string) string {
	if db == "postgres" {
		return pgtest.NewDatabase(t)
	}
	return t.TempDir() + "/booksync.db"
}

// TestKilledServerResumesDeliveries kills booksync serve with SIGKILL while it delivers a backlog
// of webhooks to a slow receiver, starts it again, and checks that the receiver gets every event
// (some perhaps twice, with the same id), each signed.
func TestKilledServerResumesDeliveries(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			dsn := dsnFor(t, db)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			base := "http://" + addr
			clientID, secret := uuid.NewString(), uuid.NewString()
			env := []string{"BOOKSYNC_DB=" + dsn, "BOOKSYNC_ADDR=" + addr, "BOOKSYNC_CLIENT_ID=" + clientID,
				"BOOKSYNC_CLIENT_SECRET=" + secret, "BOOKSYNC_SECRET_KEY=" + hex.EncodeToString(make([]byte, 32)), "BOOKSYNC_WEBHOOKS_PRIVATE=1",
				"BOOKSYNC_JOB_TIMEOUT=4s"}
			proc := startServe(t, env, base)

			rc := newReceiver(t)
			// Each answer takes a second, so that the backlog takes several and the kill lands mid-delivery.
			rc.delay = func(int) time.Duration { return time.Second }
			s := &stack{t: t, url: base}
			c := &client{s: s}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			c.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": clientID, "client_secret": secret}, 200, &tok)
			c.token = tok.AccessToken
			rc.subscribe(c, "counterpart")
			c = c.newEntity()
			const n = 100
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < n; i += 6 {
						body := map[string]any{"type": "organization", "organization": map[string]any{
							"legal_name": "Customer " + strconv.Itoa(i), "is_customer": true, "is_vendor": false,
							"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}
						if st := c.call("POST", "/counterparts", body, nil); st != 201 {
							t.Errorf("create counterpart: %d", st)
						}
					}
				}()
			}
			wg.Wait()
			c.waitFor("the first deliveries", func() bool { return len(rc.events()) > 0 })
			proc.kill(t)
			delivered := len(rc.events())
			if delivered >= n {
				t.Fatalf("all %d events were delivered before the kill; the test proves nothing", n)
			}
			t.Logf("killed with %d of %d events delivered", delivered, n)

			proc2 := startServe(t, env, base)
			defer func() {
				if t.Failed() {
					for _, p := range []*process{proc, proc2} {
						b, _ := os.ReadFile(p.log.Name())
						t.Logf("serve log %s:\n%s", p.log.Name(), b)
					}
				}
			}()
			last, lastChange := -1, time.Now()
			for got := len(rc.events()); got < n; got = len(rc.events()) {
				if got != last {
					last, lastChange = got, time.Now()
				} else if time.Since(lastChange) > stallAfter {
					t.Fatalf("deliveries stalled at %d of %d events", got, n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if rc.badSigs != 0 {
				t.Errorf("%d webhooks failed the signature check", rc.badSigs)
			}
			rc.mu.Lock()
			t.Logf("%d requests for %d events", len(rc.got), n)
			rc.mu.Unlock()
		})
	}
}

// TestSlowReceiverDelaysNoOther holds every request to one receiver while another subscription's
// events keep arriving: the held receiver gets one attempt at a time (it is failing to answer, so
// its subscription keeps few workers) and every event once it answers again.
func TestSlowReceiverDelaysNoOther(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, t.TempDir()+"/booksync.db", func(cfg *app.Config) {
		cfg.Webhooks.Workers = 5 // one attempt at a time per subscription
		cfg.Webhooks.Timeout = time.Minute
	})
	p := s.partner()
	slow, fast := newReceiver(t), newReceiver(t)
	slow.gate = make(chan struct{})
	slow.subscribe(p, "counterpart")
	fast.subscribe(p, "counterpart")
	c := p.newEntity()
	const n = 10
	for i := range n {
		c.do("POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
			"legal_name": "Customer " + strconv.Itoa(i), "is_customer": true, "is_vendor": false,
			"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, nil)
	}
	c.waitFor("the fast receiver's events", func() bool { return len(fast.events()) == n })
	if got := len(slow.events()); got != 0 {
		t.Fatalf("the held receiver answered %d events", got)
	}
	if m := slow.maxInflight.Load(); m > 1 {
		t.Errorf("the held receiver had %d requests at once, want 1", m)
	}
	close(slow.gate)
	c.waitFor("the held receiver's events", func() bool { return len(slow.events()) == n })
}
