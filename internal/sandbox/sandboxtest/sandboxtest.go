// Package sandboxtest is what the sandboxes' own tests share: a [Harness] that serves a sandbox
// with a settable [Clock] and an in-memory [Partners] directory (the tests run without booksync's
// API and database; booksync's end-to-end tests use the real directory), and the calls a partner's
// client makes: the OAuth consent and token exchange, pages, and API calls read whole.
package sandboxtest

import (
	"context"
	"crypto/subtle"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/booksync/booksync/internal/sandbox"
)

// Partners is a sandbox.Partners held in memory. Its methods are safe for concurrent use.
type Partners struct {
	mu      sync.Mutex
	secrets map[string]string              // client id -> secret
	tokens  map[string]string              // bearer token -> client id
	tenants map[string]map[string][]string // client id -> namespace -> tenant ids
}

// NewPartners returns an empty directory.
func NewPartners() *Partners {
	return &Partners{secrets: map[string]string{}, tokens: map[string]string{}, tenants: map[string]map[string][]string{}}
}

// Add registers a partner with its client secret and a bearer token.
func (p *Partners) Add(clientID, secret, token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets[clientID], p.tokens[token] = secret, clientID
	if p.tenants[clientID] == nil {
		p.tenants[clientID] = map[string][]string{}
	}
}

// SetSecret changes a partner's client secret, as booksync does when an operator sets a new one.
func (p *Partners) SetSecret(clientID, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets[clientID] = secret
}

// Connect records that the partner's entity connected the organisation tenantID of a sandbox.
func (p *Partners) Connect(clientID, namespace, tenantID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tenants[clientID][namespace] = append(p.tenants[clientID][namespace], tenantID)
}

// Login implements sandbox.Partners.
func (p *Partners) Login(_ context.Context, clientID, secret string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want, ok := p.secrets[clientID]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return "", sandbox.ErrUnauthenticated
	}
	return clientID, nil
}

// Bearer implements sandbox.Partners.
func (p *Partners) Bearer(_ context.Context, token string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, ok := p.tokens[token]
	if !ok {
		return "", sandbox.ErrUnauthenticated
	}
	return id, nil
}

// Tenants implements sandbox.Partners.
func (p *Partners) Tenants(_ context.Context, clientID, namespace string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tenants[clientID][namespace]...), nil
}

// Credential implements sandbox.Partners: the partner's current secret.
func (p *Partners) Credential(_ context.Context, clientID string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	secret, ok := p.secrets[clientID]
	if !ok {
		return nil, sandbox.ErrUnauthenticated
	}
	return []byte(secret), nil
}

// Clock is a settable clock that a sandbox and its test share. Its methods are safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until it is advanced.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Page sends a request to a sandbox page or form as a partner's script would: with the bearer
// token (none when token is empty) and, when form is not nil, a form body. It returns the status
// and the body.
func Page(tb testing.TB, client *http.Client, method, url, token string, form neturl.Values) (int, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r := Do(tb, client, req)
	return r.Status, string(r.Body)
}

// PostJSON posts a JSON body as a partner's script would: with the bearer token (none when token
// is empty). It returns the status and the body.
func PostJSON(tb testing.TB, client *http.Client, url, token, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r := Do(tb, client, req)
	return r.Status, string(r.Body)
}
