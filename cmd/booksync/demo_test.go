package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs `booksync serve` in-process as a user would on a fresh data folder, and
// returns its URL and the credentials it printed. The server stops when the test ends.
func startServe(t *testing.T) (base, clientID, clientSecret string) {
	t.Helper()
	addr := freeAddr(t)
	t.Setenv("BOOKSYNC_DB", filepath.Join(t.TempDir(), "booksync.db"))
	t.Setenv("BOOKSYNC_ADDR", addr)
	// The sandbox's redirects must come back to this listener, so nothing from the environment
	// may override the public URL derived from the address, or choose the credentials.
	for _, name := range []string{"BOOKSYNC_PUBLIC_URL", "BOOKSYNC_CLIENT_ID", "BOOKSYNC_CLIENT_SECRET",
		"BOOKSYNC_XERO_CLIENT_ID", "BOOKSYNC_XERO_CLIENT_SECRET", "BOOKSYNC_DEMO_URL", "BOOKSYNC_SECRET_KEY"} {
		t.Setenv(name, "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, &out, &errs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(shutdownGrace + time.Minute):
			t.Error("serve did not stop after cancel")
		}
	})

	base = "http://" + addr
	waitServing(t, base, done, &out, &errs)
	m := regexp.MustCompile(`client_id=(\S+)\s+client_secret=(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve printed no credentials:\n%s", out.String())
	}
	return base, m[1], m[2]
}

// TestDemo runs `booksync demo` against a real `booksync serve` with its Xero sandbox and checks
// that it tells the story: connected, the ledger account error and its fix, totals that match,
// the missing tax rate, the override, the payment and the summary.
func TestDemo(t *testing.T) {
	base, id, secret := startServe(t)

	var out, errOut syncBuffer
	// The demo waits for pushes; it is stopped only when it prints nothing for stallAfter.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		last, lastChange := -1, time.Now()
		for ctx.Err() == nil {
			if n := len(out.String()); n != last {
				last, lastChange = n, time.Now()
			} else if time.Since(lastChange) > stallAfter {
				cancel()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if err := run(ctx, []string{"demo", "-url", base, "-client-id", id, "-client-secret", secret}, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	t.Logf("demo output:\n%s", got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`status connected, to `),
		regexp.MustCompile(`error \(ledger_account_not_set\)\n\s+message: Ledger account is not set for line 1 \(Consulting hour\)`),
		regexp.MustCompile(`fix:\s+Set ledger_account_id on product`),
		regexp.MustCompile(`Synced record \S+: done, Xero id \S+`),
		// 2.5 x 123.45 = 308.63 (rounded per line), 20% VAT 61.73, total 370.36, on both sides.
		regexp.MustCompile(`subtotal\s+308\.63\s+308\.63\s+yes`),
		regexp.MustCompile(`VAT\s+61\.73\s+61\.73\s+yes`),
		regexp.MustCompile(`total\s+370\.36\s+370\.36\s+yes`),
		regexp.MustCompile(`message: Tax rate does not exist: no active sales tax rate of 7%`),
		regexp.MustCompile(`fix:\s+Create a 7% sales tax rate in Xero`),
		regexp.MustCompile(regexp.QuoteMeta(base) + `/sandbox/xero/orgs`),
		regexp.MustCompile(`1\s+EXEMPTOUTPUT \(Exempt Income\)\n\s+2\s+ZERORATEDOUTPUT \(Zero Rated Income\)`),
		regexp.MustCompile(`amount paid\s+100\.00\s+100\.00`),
		regexp.MustCompile(`amount due\s+270\.36\s+270\.36`),
		regexp.MustCompile(`202 "Started connection data sync."`),
		regexp.MustCompile(`INV-00001\s+done\s+\S+\n\s+INV-00002\s+error\s+Tax rate does not exist.*\n\s+INV-00003\s+done`),
		regexp.MustCompile(`Done: 3 invoices issued, 2 in the books, 1 waiting for a fix\.`),
	} {
		if !want.MatchString(got) {
			t.Errorf("demo output lacks %q", want)
		}
	}

	// A second run against the same server tells the same story for a new business.
	out.Reset()
	if err := run(ctx, []string{"demo", "-url", base, "-client-id", id, "-client-secret", secret}, &out, &errOut); err != nil {
		t.Fatalf("second demo: %v\n%s", err, out.String())
	}

	t.Run("wrong secret", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(ctx, []string{"demo", "-url", base, "-client-id", id, "-client-secret", "wrong"}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "1. Get an API token") || !strings.Contains(err.Error(), "HTTP 401") ||
			!strings.Contains(err.Error(), "Wrong client_id or client_secret") {
			t.Fatalf("demo with a wrong secret: %v", err)
		}
	})
}

// TestDemoWithoutCredentials checks that demo says where credentials come from and asks for
// exit status 2 before it calls any server.
func TestDemoWithoutCredentials(t *testing.T) {
	t.Setenv("BOOKSYNC_CLIENT_ID", "")
	t.Setenv("BOOKSYNC_CLIENT_SECRET", "")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"demo", "-url", "http://127.0.0.1:1"}, &out, &errOut)
	if !errors.Is(err, errNoCredentials) || exitStatus(err) != 2 {
		t.Fatalf("demo without credentials: err %v, exit status %d", err, exitStatus(err))
	}
	if !strings.Contains(errOut.String(), "booksync serve\" prints them the first time it starts") || out.Len() != 0 {
		t.Fatalf("demo without credentials printed:\nstdout: %s\nstderr: %s", out.String(), errOut.String())
	}
}

func TestWrap(t *testing.T) {
	text := "Set accounting_tax_rate_id to an id from GET /accounting_tax_rates; then push the record again with POST /accounting_synced_records/4385ad22-3ecd-457c-9b35-7819f2c66c45/push."
	lines := wrap(text, 40)
	if strings.Join(lines, " ") != text {
		t.Fatalf("wrap lost words: %q", lines)
	}
	for _, l := range lines {
		if len(l) > 40 && strings.Contains(l, " ") {
			t.Fatalf("line longer than 40 with a place to break: %q", l)
		}
	}
}
