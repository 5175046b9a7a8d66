package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client calls booksync's API as the benchmark's partner.
type client struct {
	base                   string
	clientID, clientSecret string
	hc                     *http.Client

	mu    sync.Mutex
	token string
}

// newClient gets a partner token from the serve process at base.
func newClient(ctx context.Context, base string, p *Processes) (*client, error) {
	c := &client{base: base, clientID: p.clientID, clientSecret: p.clientSecret,
		hc: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if err := c.renew(ctx, ""); err != nil {
		return nil, err
	}
	return c, nil
}

// renew gets a new token unless another request already replaced old, the one that was refused.
// A long run outlives a token (they expire, as OAuth access tokens do), so a refused token is
// renewed once and the request sent again.
func (c *client) renew(ctx context.Context, old string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != old {
		return nil
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	b, status, err := c.send(ctx, "", "", "POST", "/auth/token", map[string]any{"grant_type": "client_credentials",
		"client_id": c.clientID, "client_secret": c.clientSecret})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("POST /auth/token: %d: %.500s", status, b)
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		return fmt.Errorf("POST /auth/token: decode: %w", err)
	}
	c.token = tok.AccessToken
	return nil
}

// currentToken returns the token requests carry now.
func (c *client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// call sends one request for an entity (none when entityID is empty) and decodes the answer into
// out; an answer other than want is an error. A 401 renews the token and sends the request again,
// once.
func (c *client) call(ctx context.Context, entityID, method, path string, body any, want int, out any) error {
	token := c.currentToken()
	b, status, err := c.send(ctx, token, entityID, method, path, body)
	if err == nil && status == http.StatusUnauthorized && token != "" {
		if err := c.renew(ctx, token); err != nil {
			return err
		}
		b, status, err = c.send(ctx, c.currentToken(), entityID, method, path, body)
	}
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d, want %d: %.500s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// send sends one request with token (none when empty) and returns the answer's body and status.
func (c *client) send(ctx context.Context, token, entityID, method, path string, body any) ([]byte, int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if entityID != "" {
		req.Header.Set("x-monite-entity-id", entityID)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	return b, resp.StatusCode, nil
}

// entity is an entity connected to its own organisation of the built-in Xero sandbox, with the
// settings a push needs and one customer and one product to invoice.
type entity struct {
	id, counterpart, address, product string
}

// newEntity creates an entity and connects it the way a user does (the sandbox's consent page,
// Allow), then waits for the initial pull, which a process with sync workers must run.
func (c *client) newEntity(ctx context.Context, n int) (entity, error) {
	var e struct{ ID string }
	if err := c.call(ctx, "", "POST", "/entities", map[string]any{"type": "organization", "email": "books@example.com",
		"address":      map[string]any{"country": "GB", "city": "London", "postal_code": "EC1A 1BB", "line1": "1 High St"},
		"organization": map[string]any{"legal_name": fmt.Sprintf("Bench %d Ltd", n)}}, 201, &e); err != nil {
		return entity{}, err
	}
	ent := entity{id: e.ID}
	var conn struct {
		ConnectionURL string `json:"connection_url"`
	}
	if err := c.call(ctx, ent.id, "POST", "/accounting_connections", map[string]any{"platform": "xero"}, 201, &conn); err != nil {
		return ent, err
	}
	resp, err := c.hc.PostForm(conn.ConnectionURL, url.Values{"consent": {"allow"}})
	if err != nil {
		return ent, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "connected") {
		return ent, fmt.Errorf("sandbox consent: %d %.300s", resp.StatusCode, page)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var l struct{ Data []any }
		if err := c.call(ctx, ent.id, "GET", "/accounting_tax_rates", nil, 200, &l); err != nil {
			return ent, err
		}
		if len(l.Data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return ent, fmt.Errorf("entity %s: the initial pull from the sandbox did not finish in a minute", ent.id)
		}
		select {
		case <-ctx.Done():
			return ent, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	sales, err := c.idByName(ctx, ent.id, "/ledger_accounts", "Sales")
	if err != nil {
		return ent, err
	}
	bank, err := c.idByName(ctx, ent.id, "/ledger_accounts", "Business Bank Account")
	if err != nil {
		return ent, err
	}
	if err := c.call(ctx, ent.id, "PATCH", "/entities/"+ent.id+"/settings", map[string]any{"accounting": map[string]any{
		"ledger_account_ids": map[string]any{"products": sales, "payments": bank}}}, 200, nil); err != nil {
		return ent, err
	}
	var cp struct {
		ID   string `json:"id"`
		Addr string `json:"default_billing_address_id"`
	}
	if err := c.call(ctx, ent.id, "POST", "/counterparts", map[string]any{"type": "organization", "organization": map[string]any{
		"legal_name": "Bench Customer Ltd", "is_customer": true, "is_vendor": false, "email": "ap@benchcustomer.example",
		"address": map[string]any{"country": "GB", "city": "Leeds", "postal_code": "LS1 1AA", "line1": "2 Park Row"}}}, 201, &cp); err != nil {
		return ent, err
	}
	var p struct{ ID string }
	if err := c.call(ctx, ent.id, "POST", "/products", map[string]any{"name": "Consulting", "type": "service",
		"price": map[string]any{"currency": "GBP", "value": 12345}}, 201, &p); err != nil {
		return ent, err
	}
	ent.counterpart, ent.address, ent.product = cp.ID, cp.Addr, p.ID
	return ent, nil
}

func (c *client) idByName(ctx context.Context, entityID, list, name string) (string, error) {
	var l struct {
		Data []struct{ ID, Name string }
	}
	if err := c.call(ctx, entityID, "GET", list+"?limit=250", nil, 200, &l); err != nil {
		return "", err
	}
	for _, d := range l.Data {
		if d.Name == name {
			return d.ID, nil
		}
	}
	return "", fmt.Errorf("%s has no %q", list, name)
}

// issueInvoice creates and issues one invoice of one line at 20% VAT.
func (c *client) issueInvoice(ctx context.Context, e entity) error {
	var inv struct{ ID string }
	if err := c.call(ctx, e.id, "POST", "/receivables", map[string]any{"type": "invoice", "currency": "GBP",
		"counterpart_id": e.counterpart, "counterpart_billing_address_id": e.address,
		"line_items": []any{map[string]any{"quantity": 1, "product_id": e.product, "tax_rate_value": 2000}}}, 201, &inv); err != nil {
		return err
	}
	return c.call(ctx, e.id, "POST", "/receivables/"+inv.ID+"/issue", nil, 200, nil)
}

// issuers is how many clients issue invoices at once.
const issuers = 8

// issue issues n invoices spread evenly over the entities, from several clients at once, and
// reports progress to progress every tenth of the way.
func (c *client) issue(ctx context.Context, ents []entity, n int, progress func(done int)) error {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, issuers)
	for range issuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				if err := c.issueInvoice(ctx, ents[i%int64(len(ents))]); err != nil {
					errs <- err
					return
				}
				if d := done.Add(1); progress != nil && n >= 10 && d%int64(n/10) == 0 {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}
