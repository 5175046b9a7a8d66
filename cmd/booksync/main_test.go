package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Reset()         { s.mu.Lock(); defer s.mu.Unlock(); s.b.Reset() }

// stallAfter is how long a test lets a process go without any sign of progress before it fails;
// not a deadline: a busy machine may take longer as long as something moves.
const stallAfter = 2 * time.Minute

// waitServing waits until serve at base answers /healthz. It fails at once if serve returns
// (done), and when serve has printed nothing new for stallAfter, never because a slow machine
// needs longer than an idle one.
func waitServing(t *testing.T, base string, done chan error, logs ...*syncBuffer) {
	t.Helper()
	printed := func() (n int, all string) {
		for _, l := range logs {
			s := l.String()
			n, all = n+len(s), all+s
		}
		return n, all
	}
	last, lastChange := -1, time.Now()
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case rerr := <-done:
			done <- rerr // for the caller that waits for serve to return
			_, all := printed()
			t.Fatalf("serve returned before serving: %v\n%s", rerr, all)
		default:
		}
		if n, all := printed(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > stallAfter {
			t.Fatalf("serve did not start and printed nothing for %v: %v\n%s", stallAfter, err, all)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeZeroSetup starts booksync as a user would with no configuration but a data folder:
// it creates the database and a key file, prints credentials that work, and stops cleanly.
func TestServeZeroSetup(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	t.Setenv("BOOKSYNC_DB", filepath.Join(dir, "booksync.db"))
	t.Setenv("BOOKSYNC_ADDR", addr)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, &out, &errs) }()

	base := "http://" + addr
	waitServing(t, base, done, &out, &errs)
	m := regexp.MustCompile(`client_id=(\S+)\s+client_secret=(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve printed no credentials:\n%s", out.String())
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": m[1], "client_secret": m[2]})
	resp, err := http.Post(base+"/auth/token", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token with printed credentials: %v %v", err, resp)
	}
	resp.Body.Close()
	if fi, err := os.Stat(filepath.Join(dir, "booksync.db.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(shutdownGrace + time.Minute):
		t.Fatal("serve did not stop after cancel")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}

	// A second start reuses the database and prints no new credentials.
	ctx2, cancel2 := context.WithCancel(context.Background())
	var out2 syncBuffer
	done2 := make(chan error, 1)
	go func() { done2 <- run(ctx2, []string{"serve"}, &out2, &errs) }()
	waitServing(t, base, done2, &out2, &errs)
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out2.String(), "client_secret=") {
		t.Fatalf("second start printed new credentials:\n%s", out2.String())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-client-id", "x"},
		{"-secret-key", "abc"},
		{"extra"},
	} {
		if _, err := parseConfig("serve", args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseConfig(%v) accepted bad configuration", args)
		}
	}
	c, err := parseConfig("serve", []string{"-addr", "0.0.0.0:9000"}, &bytes.Buffer{})
	if err != nil || c.PublicURL != "http://localhost:9000" {
		t.Fatalf("public URL from addr: %q %v", c.PublicURL, err)
	}
	if err := run(context.Background(), []string{"serve", "-db", "postgres://x@127.0.0.1:1/db"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "BOOKSYNC_SECRET_KEY") {
		t.Fatalf("PostgreSQL without a secret key: %v", err)
	}
}

// TestSandboxFaultsSetting: fault injection is off unless BOOKSYNC_SANDBOX_FAULTS or
// -sandbox-faults turns it on.
func TestSandboxFaultsSetting(t *testing.T) {
	t.Setenv("BOOKSYNC_SANDBOX_FAULTS", "")
	if c, err := parseConfig("serve", nil, &bytes.Buffer{}); err != nil || c.SandboxFaults {
		t.Fatalf("default: %v %v, want off", c.SandboxFaults, err)
	}
	if c, err := parseConfig("serve", []string{"-sandbox-faults"}, &bytes.Buffer{}); err != nil || !c.SandboxFaults {
		t.Fatalf("-sandbox-faults: %v %v, want on", c.SandboxFaults, err)
	}
	t.Setenv("BOOKSYNC_SANDBOX_FAULTS", "1")
	if c, err := parseConfig("serve", nil, &bytes.Buffer{}); err != nil || !c.SandboxFaults {
		t.Fatalf("BOOKSYNC_SANDBOX_FAULTS=1: %v %v, want on", c.SandboxFaults, err)
	}
	if c, err := parseConfig("serve", []string{"-sandbox-faults=false"}, &bytes.Buffer{}); err != nil || c.SandboxFaults {
		t.Fatalf("the flag wins over the variable: %v %v, want off", c.SandboxFaults, err)
	}
}

func TestMigrate(t *testing.T) {
	var out bytes.Buffer
	db := filepath.Join(t.TempDir(), "m.db")
	for i := 0; i < 2; i++ {
		if err := run(context.Background(), []string{"migrate", "-db", db}, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate output: %s", out.String())
	}
}

// TestHelp asks every command for its help: the usage is printed and the process exits 0, as a
// user who typed -h expects.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"serve", "-h"}, {"worker", "-h"}, {"migrate", "-h"}, {"demo", "-h"}, {"demo", "-help"},
		{"bench", "-h"}, {"bench", "scaleout", "-h"}, {"bench", "memory", "-h"}} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, &out)
		if status := exitStatus(err); err != nil && status != 0 {
			t.Errorf("booksync %v: exit status %d (%v), want 0", args, status, err)
		}
		if !strings.Contains(out.String(), "Usage") && !strings.Contains(out.String(), "-db") {
			t.Errorf("booksync %v printed no usage:\n%s", args, out.String())
		}
	}
}

// Only serve may run no sync workers (it then only queues the jobs); a worker process with none
// would do nothing.
func TestZeroWorkersOnlyForServe(t *testing.T) {
	for _, c := range []struct {
		cmd string
		ok  bool
	}{{"serve", true}, {"worker", false}} {
		cfg, err := parseConfig(c.cmd, []string{"-workers", "0"}, io.Discard)
		if (err == nil) != c.ok {
			t.Errorf("booksync %s -workers 0: %v, want accepted %v", c.cmd, err, c.ok)
		}
		if err == nil && cfg.Workers != 0 {
			t.Errorf("booksync %s -workers 0: Workers %d", c.cmd, cfg.Workers)
		}
	}
	if _, err := parseConfig("serve", []string{"-workers", "-1"}, io.Discard); err == nil {
		t.Error("booksync serve -workers -1 was accepted")
	}
}
