package app_test

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/booksync/booksync"
	"github.com/booksync/booksync/internal/pgtest"
	"github.com/google/uuid"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// binary builds cmd/booksync once per test run.
func binary(t *testing.T) string {
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "booksync-bin")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "booksync")
		out, err := exec.Command("go", "build", "-o", built.path, "../../cmd/booksync").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// process is a booksync serve process.
type process struct {
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{} // closed when the process has ended
}

// kill ends the process with SIGKILL and waits until it is gone.
func (p *process) kill(t *testing.T) {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// logSize is how much the process has logged, a sign that it is making progress.
func (p *process) logSize() int64 {
	fi, err := p.log.Stat()
	if err != nil {
		return -1
	}
	return fi.Size()
}

// startServe starts booksync serve and waits until it answers. It fails at once if the process
// ends, and when the process has logged nothing new for stallAfter while not yet answering.
func startServe(t *testing.T, env []string, base string) *process {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, log: logf, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	last, lastChange := int64(-1), time.Now()
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("booksync serve exited before serving (%v):\n%s", cmd.ProcessState, b)
		default:
		}
		if n := p.logSize(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > stallAfter {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("booksync serve did not start and logged nothing for %v:\n%s", stallAfter, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKilledMidPushLosesAndDuplicatesNothing kills booksync serve with SIGKILL while it pushes a
// backlog to the (rate-limited) sandbox, starts it again, and checks through booksync's own API
// that every invoice is in the books exactly once and every record is done.
func TestKilledMidPushLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			dsn := filepath.Join(t.TempDir(), "booksync.db")
			if db == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			base := "http://" + addr
			clientID, secret := uuid.NewString(), uuid.NewString()
			// On PostgreSQL a short job timeout lets River rescue the killed process's job (and its
			// push lease lapse) quickly. On SQLite the restarted process resumes at once whatever
			// the timeout, so a long one shows it: a lease the killed process held would stop every
			// push for minutes.
			jobTimeout := "4s"
			if db == "sqlite" {
				jobTimeout = "10m"
			}
			env := []string{"BOOKSYNC_DB=" + dsn, "BOOKSYNC_ADDR=" + addr, "BOOKSYNC_CLIENT_ID=" + clientID,
				"BOOKSYNC_CLIENT_SECRET=" + secret, "BOOKSYNC_SECRET_KEY=" + hex.EncodeToString(make([]byte, 32)),
				// Xero's limits make the backlog take a few seconds, so the kill lands mid-push.
				"BOOKSYNC_SANDBOX_LIMITS=1", "BOOKSYNC_JOB_TIMEOUT=" + jobTimeout}
			proc := startServe(t, env, base)

			s := &stack{t: t, url: base}
			c := &client{s: s}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			c.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": clientID, "client_secret": secret}, 200, &tok)
			c.token = tok.AccessToken
			c = c.newEntity()
			r, _, _ := c.ready()

			// Eight clients issue invoices until the kill, so that the kill always finds invoices
			// issued and not yet pushed, however quickly the push keeps up with them. Once some are
			// done, the process is killed in the middle of it all: some invoices pushed, some in
			// flight, some requests cut off.
			const most = 3000 // bounds the test's work should the push never start
			var (
				wg     sync.WaitGroup
				killed atomic.Bool
				taken  atomic.Int64
			)
			// However the test ends, the clients stop before the process is: a request refused by a
			// process the cleanup killed must not fail a test that has ended.
			defer func() { killed.Store(true); wg.Wait() }()
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !killed.Load() && taken.Add(1) <= most {
						if err := issueOnce(c, r); err != nil && !killed.Load() {
							t.Errorf("before the kill: %v", err)
							return
						}
					}
				}()
			}
			done := 0
			c.waitFor("the first pushed invoices", func() bool {
				done = countDone(c)
				return done > 0 || t.Failed()
			})
			killed.Store(true)
			proc.kill(t)
			wg.Wait()
			if t.Failed() {
				return
			}

			proc2 := startServe(t, env, base)
			defer func() {
				if t.Failed() {
					for _, p := range []*process{proc, proc2} {
						b, _ := os.ReadFile(p.log.Name())
						t.Logf("serve log %s:\n%s", p.log.Name(), b)
					}
				}
			}()
			// What was issued is what booksync says is issued: a request the kill cut off may or may
			// not have issued its invoice.
			n := countIssued(c)
			if done >= n {
				t.Fatalf("all %d invoices were pushed before the kill; the test proves nothing", n)
			}
			t.Logf("killed with %d of %d invoices done", done, n)
			// The restarted process must keep pushing: it fails only when no invoice gets done for
			// stallAfter (on SQLite far less than the killed run's job timeout, so a lease or job
			// that run left behind would show).
			last, lastChange := -1, time.Now()
			for done := countDone(c); done < n; done = countDone(c) {
				if done != last {
					last, lastChange = done, time.Now()
				} else if time.Since(lastChange) > stallAfter {
					var l struct{ Data []record }
					c.do("GET", "/accounting_synced_records?object_type=receivable&limit=250&order=desc", nil, 200, &l)
					var stuck []string
					for _, r := range l.Data {
						if r.SyncStatus != "done" && len(stuck) < 3 {
							stuck = append(stuck, r.String())
						}
					}
					t.Fatalf("after restart no invoice was pushed for %v (%d of %d done); some others: %v", stallAfter, done, n, stuck)
				}
				time.Sleep(200 * time.Millisecond)
			}
			// The books, read back through booksync: every invoice exactly once.
			seen := map[string]int{}
			for offset := 0; ; offset += 100 {
				var l struct {
					Data []struct {
						InvoiceNumber string `json:"invoice_number"`
					}
				}
				c.do("GET", fmt.Sprintf("/accounting/receivables?limit=100&offset=%d", offset), nil, 200, &l)
				for _, d := range l.Data {
					seen[d.InvoiceNumber]++
				}
				if len(l.Data) < 100 {
					break
				}
			}
			if len(seen) != n {
				missing := 0
				var l struct{ Data []record }
				c.do("GET", "/accounting_synced_records?object_type=receivable&limit=250", nil, 200, &l)
				for _, r := range l.Data {
					if r.PlatformObjectID != nil && c.call("GET", "/accounting/receivables/"+*r.PlatformObjectID, nil, nil) != 200 {
						missing++
					}
				}
				t.Fatalf("%d invoices issued, %d distinct invoices in the books; of the first 250 done records, %d name an invoice the books do not have", n, len(seen), missing)
			}
			for num, k := range seen {
				if k != 1 {
					t.Fatalf("invoice %s is in the books %d times", num, k)
				}
			}
		})
	}
}

// issueOnce creates and issues an invoice, and says what went wrong if either request failed.
// It is safe from several goroutines.
func issueOnce(c *client, r refs) error {
	body := map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": r.counterpart,
		"counterpart_billing_address_id": r.address, "line_items": []any{line(r.product, 1, 2000)}}
	var inv struct{ ID string }
	if code := c.call("POST", "/receivables", body, &inv); code != 201 {
		return fmt.Errorf("create: %d", code)
	}
	if code := c.call("POST", "/receivables/"+inv.ID+"/issue", nil, nil); code != 200 {
		return fmt.Errorf("issue of %s: %d", inv.ID, code)
	}
	return nil
}

// countIssued counts the entity's invoices booksync holds as issued.
func countIssued(c *client) int {
	n := 0
	next := "/receivables?status=issued&limit=250"
	for next != "" {
		var l struct {
			Data []struct{ ID string }
			Next *string `json:"next_pagination_token"`
		}
		c.do("GET", next, nil, 200, &l)
		n += len(l.Data)
		next = ""
		if l.Next != nil {
			next = "/receivables?pagination_token=" + *l.Next
		}
	}
	return n
}

// issueQuiet issues an invoice; safe from several goroutines (it reports with Errorf).
func issueQuiet(t *testing.T, c *client, r refs) string {
	body := map[string]any{"type": "invoice", "currency": "GBP", "counterpart_id": r.counterpart,
		"counterpart_billing_address_id": r.address, "line_items": []any{line(r.product, 1, 2000)}}
	var inv struct{ ID string }
	if code := c.call("POST", "/receivables", body, &inv); code != 201 {
		t.Errorf("create: %d", code)
		return ""
	}
	if code := c.call("POST", "/receivables/"+inv.ID+"/issue", nil, nil); code != 200 {
		t.Errorf("issue: %d", code)
	}
	return inv.ID
}

// countDone counts the entity's invoice records that are done.
func countDone(c *client) int {
	n := 0
	next := "/accounting_synced_records?object_type=receivable&limit=250"
	for next != "" {
		var l struct {
			Data []struct {
				SyncStatus string `json:"sync_status"`
			}
			Next *string `json:"next_pagination_token"`
		}
		c.do("GET", next, nil, 200, &l)
		for _, d := range l.Data {
			if d.SyncStatus == booksync.SyncStatusDone {
				n++
			}
		}
		next = ""
		if l.Next != nil {
			next = "/accounting_synced_records?limit=250&pagination_token=" + *l.Next
		}
	}
	return n
}

// TestKilledMidSyncPullsEachPaymentOnce pays invoices in the books (the Xero sandbox, as an
// accountant would), then kills booksync serve with SIGKILL again and again while it syncs, and
// checks that once a sync completes every payment is in booksync exactly once.
func TestKilledMidSyncPullsEachPaymentOnce(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			dsn := filepath.Join(t.TempDir(), "booksync.db")
			if db == "postgres" {
				dsn = pgtest.NewDatabase(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			base := "http://" + addr
			clientID, secret := uuid.NewString(), uuid.NewString()
			env := []string{"BOOKSYNC_DB=" + dsn, "BOOKSYNC_ADDR=" + addr, "BOOKSYNC_CLIENT_ID=" + clientID,
				"BOOKSYNC_CLIENT_SECRET=" + secret, "BOOKSYNC_SECRET_KEY=" + hex.EncodeToString(make([]byte, 32)),
				"BOOKSYNC_SANDBOX_LIMITS=1", "BOOKSYNC_JOB_TIMEOUT=4s"}
			proc := startServe(t, env, base)
			var procs []*process
			defer func() {
				if t.Failed() {
					for _, p := range append(procs, proc) {
						b, _ := os.ReadFile(p.log.Name())
						t.Logf("serve log %s:\n%s", p.log.Name(), b)
					}
				}
			}()

			s := &stack{t: t, url: base}
			c := &client{s: s}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			c.do("POST", "/auth/token", map[string]any{"grant_type": "client_credentials", "client_id": clientID, "client_secret": secret}, 200, &tok)
			c.token = tok.AccessToken
			c = c.newEntity()
			r, connID, _ := c.ready()

			const n = 40
			books := map[string]string{} // booksync id -> the books' id
			var ids []string
			for i := 0; i < n; i++ {
				ids = append(ids, issueQuiet(t, c, r))
			}
			for _, id := range ids {
				rec := c.record("receivable", id)
				if rec.SyncStatus != "done" {
					t.Fatalf("invoice record: %s", rec)
				}
				books[id] = *rec.PlatformObjectID
			}
			for _, x := range books {
				c.script("/sandbox/xero/invoices/"+x+"/payments", map[string]string{"amount": "10.00", "date": "2026-11-20"}, 201)
			}
			// Kill while the sync pulls, at a different moment each time.
			for k := 0; k < 4; k++ {
				c.do("POST", "/accounting_connections/"+connID+"/sync", nil, 202, nil)
				time.Sleep(time.Duration(k*40) * time.Millisecond)
				proc.kill(t)
				procs = append(procs, proc)
				proc = startServe(t, env, base)
			}
			c.syncNow(connID)
			c.syncNow(connID)
			var l struct {
				Data []struct {
					Amount int64
					Status string
					Object struct{ ID string }
				}
			}
			c.do("GET", "/payment_records?limit=100", nil, 200, &l)
			per := map[string]int{}
			for _, p := range l.Data {
				if p.Status == "succeeded" && p.Amount == 1000 {
					per[p.Object.ID]++
				}
			}
			for id := range books {
				if per[id] != 1 {
					t.Fatalf("invoice %s has %d payment records of the payment made in the books, want 1 (%d records in all)", id, per[id], len(l.Data))
				}
				if got := c.receivable(id); got.AmountPaid != 1000 || got.Status != "partially_paid" {
					t.Fatalf("invoice %s after the syncs: %+v", id, got)
				}
			}
		})
	}
}
