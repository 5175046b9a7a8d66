package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/platform"
	"github.com/booksync/booksync/internal/store"
	"golang.org/x/oauth2"
)

// tokenSource gives a connection's access token, refreshing it when it has expired. Within a
// process one tokenSource per connection serialises refreshes; across processes a lease on the
// connection row does. The rotated refresh token is stored before the new access token is used,
// so a crash right after a refresh never leaves booksync holding a refresh token the platform has
// already replaced.
type tokenSource struct {
	e       *Engine
	connID  string
	cfg     *oauth2.Config
	mu      sync.Mutex
	tok     *oauth2.Token
	version int64
}

// expiryMargin refreshes a little before expiry, so that a token does not expire in flight.
const expiryMargin = time.Minute

// refreshLeaseTerm bounds how long a refresh keeps other processes waiting if its process dies.
const refreshLeaseTerm = 30 * time.Second

func (e *Engine) tokenSourceFor(conn *booksync.Connection, p *platform.Provider) *tokenSource {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts, ok := e.tokens[conn.ID]
	if !ok {
		cfg := p.OAuth
		cfg.RedirectURL = e.cfg.RedirectURL
		ts = &tokenSource{e: e, connID: conn.ID, cfg: &cfg}
		e.tokens[conn.ID] = ts
	}
	return ts
}

// httpClient returns a client that authenticates as the connection. Each request asks t for the
// token, so a request sent after a refresh carries the new one. (oauth2.NewClient would wrap t in
// a ReuseTokenSource, which keeps handing out a token until its expiry, even one the platform has
// refused and t has replaced: the retry after a refresh would resend the refused token.)
func (t *tokenSource) httpClient(ctx context.Context) *http.Client {
	base := http.DefaultTransport
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil && c.Transport != nil {
		base = c.Transport
	}
	return &http.Client{Transport: &oauth2.Transport{Source: t, Base: base}}
}

// Token implements oauth2.TokenSource.
func (t *tokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return t.token(ctx, nil)
}

// current is the token the next call is sent with, for a caller to name the token the platform
// then refuses; nil when that call will get another (none is loaded yet, or it expires).
func (t *tokenSource) current() *oauth2.Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.valid(t.tok) {
		return nil
	}
	return t.tok
}

func (t *tokenSource) valid(tok *oauth2.Token) bool {
	return tok != nil && tok.AccessToken != "" && tok.Expiry.After(t.e.now().Add(expiryMargin))
}

// token returns a valid access token. refused is a token the platform refused (a 401), which is
// refreshed even though it looks valid, unless a refresh has replaced it since (another call or
// process got the same 401 first): the replacement is then returned, without refreshing again.
func (t *tokenSource) token(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.usable(refused) {
		return t.tok, nil
	}
	if err := t.load(ctx); err != nil {
		return nil, err
	}
	// Another process may have refreshed since: its token is good unless it is the one refused.
	if t.usable(refused) {
		return t.tok, nil
	}
	ctx, release, err := t.awaitRefreshLease(ctx, refused)
	if err != nil {
		return nil, err
	}
	if release == nil {
		return t.tok, nil // the process that held the lease refreshed the token
	}
	defer release()
	if err := t.load(ctx); err != nil {
		return nil, err
	}
	if t.usable(refused) {
		return t.tok, nil
	}
	return t.refresh(ctx)
}

// usable reports whether the token held is valid and is not the one refused (nil: none was).
func (t *tokenSource) usable(refused *oauth2.Token) bool {
	return t.valid(t.tok) && (refused == nil || t.tok.AccessToken != refused.AccessToken)
}

// awaitRefreshLease takes the connection's refresh lease, waiting while another process holds it,
// and returns the context that ends when the lease is lost, and the lease's release. The release
// is nil when the other process has meanwhile stored a usable token, which t then holds.
func (t *tokenSource) awaitRefreshLease(ctx context.Context, refused *oauth2.Token) (context.Context, func(), error) {
	for i := 0; ; i++ {
		held, release, ok, err := t.e.tryLease(ctx, t.connID, store.LeaseRefresh, min(refreshLeaseTerm, t.e.cfg.JobTimeout))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return held, release, nil
		}
		if i > 100 {
			return nil, nil, &platform.Error{Class: platform.Transient, Message: "Token refresh is taking too long in another booksync process"}
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if err := t.load(ctx); err != nil {
			return nil, nil, err
		}
		if t.usable(refused) {
			return ctx, nil, nil
		}
	}
}

// refresh asks the platform for a new token with the one held and stores it. A refresh the
// platform refuses (the grant was revoked or expired) deauthorizes the connection.
func (t *tokenSource) refresh(ctx context.Context) (*oauth2.Token, error) {
	if t.tok == nil || t.tok.RefreshToken == "" {
		return nil, t.e.deauthorize(ctx, t.connID, "the connection holds no refresh token")
	}
	old := *t.tok
	old.Expiry = time.Unix(1, 0) // make oauth2 refresh
	next, err := t.cfg.TokenSource(ctx, &old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized) {
			return nil, t.e.deauthorize(ctx, t.connID, "the accounting system refused to refresh access ("+re.ErrorCode+")")
		}
		return nil, &platform.Error{Class: platform.Transient, Message: "Could not refresh the access token", Err: err}
	}
	if next.RefreshToken == "" {
		next.RefreshToken = old.RefreshToken
	}
	if err := t.save(ctx, next); err != nil {
		return nil, err
	}
	return t.tok, nil
}

// load reads the connection's sealed token from the store.
func (t *tokenSource) load(ctx context.Context) error {
	sealed, version, err := t.e.store.ConnectionToken(ctx, t.connID)
	if err != nil {
		return err
	}
	t.version = version
	if sealed == "" {
		t.tok = nil
		return nil
	}
	tok, err := t.e.openToken(t.connID, sealed)
	if err != nil {
		return err
	}
	t.tok = tok
	return nil
}

// save stores a token (compare-and-swap on its version) and makes it current.
func (t *tokenSource) save(ctx context.Context, tok *oauth2.Token) error {
	v, err := t.e.store.SetConnectionToken(ctx, t.connID, t.e.sealToken(t.connID, tok), t.version)
	if err != nil {
		return fmt.Errorf("syncer: store refreshed token: %w", err)
	}
	t.tok, t.version = tok, v
	return nil
}

// storedToken is the sealed form of an OAuth token.
type storedToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	TokenType    string    `json:"token_type"`
	Expiry       time.Time `json:"expiry"`
}

func (e *Engine) sealToken(connID string, tok *oauth2.Token) string {
	b, _ := json.Marshal(storedToken{tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry})
	return e.box.Seal(b, "token:"+connID)
}

func (e *Engine) openToken(connID, sealed string) (*oauth2.Token, error) {
	b, err := e.box.Open(sealed, "token:"+connID)
	if err != nil {
		return nil, err
	}
	var st storedToken
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: st.AccessToken, RefreshToken: st.RefreshToken, TokenType: st.TokenType, Expiry: st.Expiry}, nil
}

// deauthorize marks a connection deauthorized with an error that says to reconnect, and returns
// the Auth error that stops the job.
func (e *Engine) deauthorize(ctx context.Context, connID, why string) error {
	conn, err := e.store.ConnectionByID(ctx, connID)
	if err != nil {
		return err
	}
	name := conn.Platform
	if p := e.cfg.Providers[conn.Platform]; p != nil {
		name = p.Name
	}
	msg := fmt.Sprintf("%s access was revoked or has expired (%s). Reconnect: POST /accounting_connections/%s/disconnect, then POST /accounting_connections and open the new connection_url.", name, why, conn.ID)
	if conn.Status == booksync.ConnectionConnected {
		conn.Status = booksync.ConnectionDeauthorized
		conn.Errors = []booksync.ConnectionError{{Message: msg}}
		conn.UpdatedAt = e.now()
		if err := e.store.UpdateConnection(ctx, conn); err != nil {
			return err
		}
		e.log.Warn("connection deauthorized", "connection_id", conn.ID, "why", why)
	}
	return &platform.Error{Class: platform.Auth, Code: booksync.CodeConnectionDeauthorized, Message: msg}
}
