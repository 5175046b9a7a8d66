package xero

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/booksync/booksync/internal/platform"
)

// Config configures a Client for one connection's organisation.
type Config struct {
	// APIURL is the Accounting API base URL, e.g. ProductionAPIURL or booksync's sandbox
	// http://localhost:8080/sandbox/xero/api.xro/2.0.
	APIURL string
	// TenantID is sent as the xero-tenant-id header on every call.
	TenantID string
	// HTTPClient is already authenticated: an oauth2 client that adds the Bearer token and
	// refreshes it. nil means http.DefaultClient, which only suits tests.
	HTTPClient *http.Client
	// Budget is the connection's call allowance; nil means unlimited.
	Budget *platform.Budget
	// Timeout bounds each call, including reading the answer; zero means 30 s.
	Timeout time.Duration
}

// Client talks to one Xero organisation. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	return &Client{cfg: cfg}
}

// request is one HTTP call to Xero.
type request struct {
	method  string
	url     string // absolute; see Client.api
	header  http.Header
	body    []byte // JSON; nil for none
	idemKey string
}

// response is Xero's answer, whatever its status.
type response struct {
	status int
	header http.Header
	body   []byte
}

// api returns the absolute URL of path (e.g. "/Invoices") with query q.
func (c *Client) api(path string, q url.Values) string {
	u := c.cfg.APIURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// send makes one call within the budget and returns the answer whatever its status; its error is
// a *platform.Error for failures where no answer was read (budget, network, timeout). A 429 pauses
// the budget here, so that every caller honours Retry-After.
func (c *Client) send(ctx context.Context, r request) (response, error) {
	finish, err := c.cfg.Budget.AcquireCall(ctx, 1)
	if err != nil {
		if perr, ok := err.(*platform.Error); ok {
			return response{}, perr
		}
		return response{}, &platform.Error{Class: platform.Transient, Code: "canceled",
			Message: "Call to Xero was not made: " + err.Error(), Err: err}
	}
	answered := false
	defer func() { finish(answered) }()

	header := http.Header{}
	for k, v := range r.header {
		header[k] = v
	}
	if c.cfg.TenantID != "" {
		header.Set("xero-tenant-id", c.cfg.TenantID)
	}
	if r.idemKey != "" {
		// Besides letting Xero replay the first answer, this header makes net/http treat the
		// PUT as idempotent and retry it by itself on a connection that was closed under it.
		header.Set("Idempotency-Key", r.idemKey)
	}
	a, perr := service.RoundTrip(ctx, c.cfg.HTTPClient, c.cfg.Timeout, r.method, r.url, header, r.body)
	if perr != nil {
		return response{}, perr
	}
	answered = true
	if a.Status == http.StatusTooManyRequests {
		c.cfg.Budget.Pause(retryAfter(a.Header))
	}
	return response{status: a.Status, header: a.Header, body: a.Body}, nil
}

// get calls GET path and decodes a 2xx answer into out; any other answer is a classified error.
func (c *Client) get(ctx context.Context, path string, q url.Values, header http.Header, out any) error {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.api(path, q), header: header})
	if err != nil {
		return err
	}
	if perr := classifyStatus(resp, false); perr != nil {
		return perr
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return unexpected(fmt.Errorf("decoding %s: %w", path, err), false)
	}
	return nil
}

// defaultTimeout bounds one call when Config.Timeout is zero. A PUT of 50 invoices takes Xero a
// few seconds; 30 s leaves room without letting a hung connection hold a worker for long.
const defaultTimeout = 30 * time.Second

// guard against the interface drifting away from the client.
var _ platform.Connector = (*Client)(nil)
