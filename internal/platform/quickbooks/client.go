package quickbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// Limits are QuickBooks Online's documented per-company limits: 500 calls a minute and
// 10 in flight per realm and app. Each item of a batch is metered as a call, and the client spends
// the budget accordingly.
var Limits = platform.Limits{PerMinute: 500, Concurrent: 10}

// DefaultMinorVersion is the minor version sent when Config.MinorVersion is zero: 75 is the
// oldest Intuit still serves since August 2025.
const DefaultMinorVersion = 75

// Config configures a Client for one connection's company (realm).
type Config struct {
	// BaseURL is the API host, e.g. ProductionBaseURL or booksync's sandbox base; API paths
	// /v3/company/{realm}/... are appended to it.
	BaseURL string
	// RealmID is the company id QuickBooks gave the connection.
	RealmID string
	// HTTPClient is already authenticated: an oauth2 client that adds the Bearer token and
	// refreshes it. nil means http.DefaultClient, which only suits tests.
	HTTPClient *http.Client
	// Budget is the connection's call allowance (see Limits); nil means unlimited.
	Budget *platform.Budget
	// Timeout bounds each call, including reading the answer; zero means 60 s.
	Timeout time.Duration
	// MinorVersion is sent as minorversion on every call; zero means DefaultMinorVersion.
	MinorVersion int
}

// Client talks to one QuickBooks Online company. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu    sync.Mutex
	prefs *wirePreferences // cached: the home currency and tax mode do not change under a connection
	// codes and rates cache the tax codes for the invoices of this client's life (one push): a
	// push round would otherwise read them again for every batch.
	codes []wireTaxCode
	rates map[string]wireTaxRate
	// items caches, likewise, the active items invoices referred to, by lower-cased code: every
	// batch of a push names the same few products, and a look-up is a metered call, which would
	// otherwise cost each batch of 30 invoices a thirty-first call.
	items map[string]wireItem
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MinorVersion <= 0 {
		cfg.MinorVersion = DefaultMinorVersion
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg}
}

// defaultTimeout bounds one call when Config.Timeout is zero. QuickBooks gives up on a request
// after 120 s; a batch of 30 invoices takes it a few seconds, so 60 s leaves room without letting
// a hung connection hold a worker for two minutes.
const defaultTimeout = 60 * time.Second

// request is one HTTP call to QuickBooks.
type request struct {
	method    string
	path      string     // under /v3/company/{realm}, e.g. "/batch"
	query     url.Values // besides minorversion and requestid
	body      []byte     // JSON; nil for none
	requestID string     // QuickBooks' idempotency key; writes only
	weight    int        // calls QuickBooks meters for this request (batch items); 0 means 1
}

// response is QuickBooks' answer, whatever its status.
type response struct {
	status int
	header http.Header
	body   []byte
}

// url returns the absolute URL of r.
func (c *Client) url(r request) string {
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	q.Set("minorversion", strconv.Itoa(c.cfg.MinorVersion))
	if r.requestID != "" {
		q.Set("requestid", r.requestID)
	}
	return c.cfg.BaseURL + "/v3/company/" + url.PathEscape(c.cfg.RealmID) + r.path + "?" + q.Encode()
}

// acquire spends weight calls of the budget at one instant (QuickBooks meters every item of a
// batch when the request arrives) and holds one concurrency slot for the request.
func (c *Client) acquire(ctx context.Context, weight int) (func(answered bool), error) {
	return c.cfg.Budget.AcquireCall(ctx, max(weight, 1))
}

// send makes one call within the budget and returns the answer whatever its status; its error is
// a *platform.Error for failures where no answer was read (budget, network, timeout). A 429 pauses
// the budget here, so that every caller waits.
func (c *Client) send(ctx context.Context, r request) (response, error) {
	finish, err := c.acquire(ctx, r.weight)
	if err != nil {
		if perr, ok := err.(*platform.Error); ok {
			return response{}, perr
		}
		return response{}, &platform.Error{Class: platform.Transient, Code: "canceled",
			Message: "Call to QuickBooks was not made: " + err.Error(), Err: err}
	}
	answered := false
	defer func() { finish(answered) }()

	a, perr := service.RoundTrip(ctx, c.cfg.HTTPClient, c.cfg.Timeout, r.method, c.url(r), nil, r.body)
	if perr != nil {
		return response{}, perr
	}
	answered = true
	if a.Status == http.StatusTooManyRequests {
		c.cfg.Budget.Pause(c.cfg.Budget.Scaled(throttleWait))
	}
	return response{status: a.Status, header: a.Header, body: a.Body}, nil
}

// do sends r and decodes a successful answer into out (nil: ignore the body). Any other answer,
// including a Fault inside a 200, is a classified error; kind names the objects for messages.
func (c *Client) do(ctx context.Context, r request, kind string, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	write := platform.IsWrite(r.method)
	if perr := classifyResponse(resp, write, kind); perr != nil {
		if perr.Class == platform.RateLimited {
			// A throttling Fault inside a 200 pauses the budget as a 429 does; the wait is in
			// QuickBooks' time, compressed with the budget's.
			perr.RetryAfter = c.cfg.Budget.Scaled(perr.RetryAfter)
			c.cfg.Budget.Pause(perr.RetryAfter)
		}
		return perr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return unexpected(fmt.Errorf("decoding %s: %w", r.path, err), write)
	}
	return nil
}

// guard against the interface drifting away from the client.
var _ platform.Connector = (*Client)(nil)
