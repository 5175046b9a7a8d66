package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/secretbox"
	"github.com/booksync/booksync/internal/store"
	"github.com/riverqueue/river"
)

// Config configures the delivery of webhooks.
type Config struct {
	Store *store.Store
	// SecretKey (32 bytes) opens the subscriptions' sealed secrets.
	SecretKey []byte
	// Workers is how many deliveries run at once in this process (0: 50). Each waits at most
	// Timeout for its receiver, so a few dead receivers cannot hold them all for long.
	Workers int
	// Timeout bounds one attempt, connection included (0: 10 s): a 2xx answer within it is a
	// success.
	Timeout time.Duration
	// Backoff returns the wait before retry n (1 for the first retry); nil means exponential
	// from 10 s, doubling up to an hour, with ±25 % jitter.
	Backoff func(n int) time.Duration
	// DisableAfter is how long a subscription's receiver may fail every attempt before the
	// subscription is disabled (0: 4 days). Its deliveries are retried until then.
	DisableAfter time.Duration
	// Client sends the webhooks; nil means a client that follows no redirects (a redirect is
	// a failed attempt, as Monite's receivers are told not to redirect) and connects to public
	// addresses only, unless AllowPrivate.
	Client *http.Client
	// AllowPrivate lets webhooks go to loopback, private, link-local and other non-public
	// addresses: a receiver on the same machine or network, in development and tests. Off, an
	// attempt refuses to connect to one (whatever name resolved to it), so that a partner cannot
	// make booksync call, and read, what runs in its own network.
	AllowPrivate bool
	// Now returns the current time, for the signatures, the attempts and how long a receiver has
	// been failing; nil means time.Now.
	Now func() time.Time
	// Logger receives failed attempts at debug level; nil means slog.Default().
	Logger *slog.Logger
}

// Deliverer runs the webhook delivery jobs. Create it with NewDeliverer and add it to the River
// client that runs booksync's jobs with Register.
type Deliverer struct {
	cfg Config
	box *secretbox.Box

	mu       sync.Mutex
	inflight map[string]int // attempts running in this process, by subscription
	freed    chan struct{}  // closed (and replaced) whenever an attempt ends
}

// NewDeliverer returns a deliverer with cfg's defaults filled in.
func NewDeliverer(cfg Config) (*Deliverer, error) {
	box, err := secretbox.New(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = 50
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.DisableAfter == 0 {
		cfg.DisableAfter = 4 * 24 * time.Hour
	}
	if cfg.Client == nil {
		dialer := &net.Dialer{Timeout: cfg.Timeout, Control: publicOnly}
		if cfg.AllowPrivate {
			dialer.Control = nil
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.Proxy, transport.DialContext = nil, dialer.DialContext
		cfg.Client = &http.Client{Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Deliverer{cfg: cfg, box: box, inflight: map[string]int{}, freed: make(chan struct{})}, nil
}

// publicOnly refuses a connection to an address that is not public (booksync.PublicAddress). It
// runs after the name was resolved, on the address actually dialled, so no DNS answer can lead an
// attempt into booksync's own network.
func publicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !booksync.PublicAddress(ip) {
		return fmt.Errorf("%s is not a public address; booksync delivers webhooks to public addresses only", host)
	}
	return nil
}

// perSubscription is how many attempts to one subscription run at once in this process: a fifth
// of the workers while its receiver answers, one while it fails. The other deliveries to it wait
// (snoozed, which uses no attempt), so that a slow or dead receiver holds few workers and every
// other subscription keeps the rest.
func (d *Deliverer) perSubscription(failing bool) int {
	if failing {
		return 1
	}
	return max(1, d.cfg.Workers/5)
}

// acquireWait is how long an attempt to a subscription whose places are all taken waits for one
// before it is snoozed: long enough for a fast receiver's answers to free a place, short enough
// that a slow receiver's backlog holds no worker for long.
const acquireWait = 250 * time.Millisecond

// acquire takes one of the subscription's places, waiting up to acquireWait for one while its
// receiver answers; it reports false when none came free (at once while the receiver fails).
func (d *Deliverer) acquire(ctx context.Context, subID string, failing bool) bool {
	timer := time.NewTimer(acquireWait)
	defer timer.Stop()
	for {
		d.mu.Lock()
		if d.inflight[subID] < d.perSubscription(failing) {
			d.inflight[subID]++
			d.mu.Unlock()
			return true
		}
		freed := d.freed
		d.mu.Unlock()
		if failing {
			return false
		}
		select {
		case <-freed:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// release gives a place back and wakes the attempts waiting for one.
func (d *Deliverer) release(subID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[subID]--; d.inflight[subID] <= 0 {
		delete(d.inflight, subID)
	}
	close(d.freed)
	d.freed = make(chan struct{})
}

// DefaultBackoff is the wait before retry n: 10 s doubled per retry up to an hour, with ±25 %
// jitter so that the retries of many deliveries to one receiver spread out. With the default
// DisableAfter a delivery is tried about a hundred times over four days.
func DefaultBackoff(n int) time.Duration {
	d := time.Hour
	if n < 10 {
		d = min(time.Hour, 10*time.Second<<max(n-1, 0))
	}
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// Register adds the delivery worker to workers.
func (d *Deliverer) Register(workers *river.Workers) {
	river.AddWorker(workers, &deliveryWorker{d: d})
}

// Queues returns the River queue the deliveries run in, with its workers.
func (d *Deliverer) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{store.WebhookQueue: {MaxWorkers: d.cfg.Workers}}
}

type deliveryWorker struct {
	river.WorkerDefaults[store.WebhookDeliveryArgs]
	d *Deliverer
}

// Timeout lets an attempt take its own timeout and the writes around it.
func (w *deliveryWorker) Timeout(*river.Job[store.WebhookDeliveryArgs]) time.Duration {
	return w.d.cfg.Timeout + 30*time.Second
}

// NextRetry is the configured backoff, in real time (River schedules by it).
func (w *deliveryWorker) NextRetry(job *river.Job[store.WebhookDeliveryArgs]) time.Time {
	return time.Now().Add(w.d.cfg.Backoff(job.Attempt))
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[store.WebhookDeliveryArgs]) error {
	return w.d.deliver(ctx, job.Args.DeliveryID)
}

// body is a webhook's JSON: Monite's EventResourceForWebhookClient.
type body struct {
	booksync.Event
	WebhookSubscriptionID string `json:"webhook_subscription_id"`
}

// maxResponse is how much of a receiver's answer a delivery keeps.
const maxResponse = 1000

func (d *Deliverer) deliver(ctx context.Context, deliveryID string) error {
	st := d.cfg.Store
	j, err := st.DeliveryJob(ctx, deliveryID)
	if booksync.ErrorCode(err) == booksync.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	sub := j.Subscription
	if sub == nil || sub.Status != booksync.SubscriptionEnabled {
		// Deleted or disabled: nothing more is sent. The delivery keeps its last attempt.
		return river.JobCancel(errors.New("webhooks: the subscription is deleted or disabled"))
	}
	failing := sub.FailingSince != nil
	if !d.acquire(ctx, sub.ID, failing) {
		wait := time.Second
		if failing {
			wait = d.cfg.Backoff(1)
		}
		return river.JobSnooze(wait)
	}
	defer d.release(sub.ID)
	secret, err := d.box.Open(j.SealedSecret, secretContext(sub.ID))
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhooks: open the secret of subscription %s: %w", sub.ID, err))
	}
	payload, err := json.Marshal(body{Event: j.Event, WebhookSubscriptionID: sub.ID})
	if err != nil {
		return river.JobCancel(err)
	}
	now := d.cfg.Now()
	// The subscription's URL now: a retry after the partner changed it goes to the new one.
	a := d.post(ctx, sub.URL, string(secret), now, payload)
	since, err := st.RecordAttempt(ctx, deliveryID, sub.ID, a)
	if err != nil {
		return err
	}
	if a.OK {
		return nil
	}
	d.cfg.Logger.Debug("webhook attempt failed", slog.String("delivery", deliveryID), slog.String("url", sub.URL),
		slog.Int("status", a.StatusCode), slog.String("response", a.Response))
	if !since.IsZero() && now.Sub(since) >= d.cfg.DisableAfter {
		if err := d.disable(ctx, j, since, now); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("webhooks: subscription %s disabled: its receiver has failed since %s", sub.ID, since.Format(time.RFC3339)))
	}
	return fmt.Errorf("webhooks: %s: status %d: %s", sub.URL, a.StatusCode, a.Response)
}

// post sends one attempt and says how it went.
func (d *Deliverer) post(ctx context.Context, url, secret string, now time.Time, payload []byte) store.Attempt {
	a := store.Attempt{URL: url, At: now}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		a.Response = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "booksync-webhooks")
	req.Header.Set(SignatureHeader, Sign(secret, now, payload))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		a.Response = err.Error()
		return a
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	a.StatusCode, a.Response = resp.StatusCode, string(bytes.ToValidUTF8(b, nil))
	a.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
	return a
}

// disable disables a subscription whose receiver kept failing and writes the event that says so,
// for the entity whose event it could not deliver.
func (d *Deliverer) disable(ctx context.Context, j *store.DeliveryJob, since, now time.Time) error {
	sub := *j.Subscription
	sub.Status, sub.Secret = booksync.SubscriptionDisabled, ""
	ev, err := booksync.NewEvent(j.Delivery.EntityID, booksync.EventObjectPartnerSettings, booksync.EventSubscriptionDisabled,
		sub.ID, sub, fmt.Sprintf("booksync disabled the webhook subscription %s to %s: its receiver has failed every attempt since %s. Fix the receiver, then enable the subscription again (POST /webhook_subscriptions/%s/enable) and catch up with GET /events.",
			sub.ID, sub.URL, since.UTC().Format(time.RFC3339), sub.ID))
	if err != nil {
		return err
	}
	ev.CreatedAt = now
	_, err = d.cfg.Store.DisableSubscription(ctx, sub.ID, now, ev)
	return err
}
