// Package bench holds the measurements `booksync bench` makes: booksync run as real processes of
// the same binary (`booksync serve`, `booksync worker`), fed through the API and read back from
// the database and the built-in sandboxes, so that a figure is what a deployment would see. Every
// measurement also checks its outcome (every invoice in the books exactly once), because a fast
// run that lost or doubled invoices measured nothing.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// startTimeout bounds how long a process may take to say it is ready (migrations included).
const startTimeout = 2 * time.Minute

// stopTimeout is how long a process gets to stop after SIGTERM before it is killed.
const stopTimeout = 40 * time.Second

// Processes starts booksync processes of one binary, all on one database and one secret key,
// and keeps their output in one log file.
type Processes struct {
	// Binary is the booksync executable.
	Binary string
	// DB is the database every process opens.
	DB string
	// Log receives the processes' standard output and error, each line prefixed with its name.
	Log io.Writer
	// ProfileDir, when set, is where each process writes its CPU and heap profiles
	// (BOOKSYNC_PROFILE_DIR).
	ProfileDir string
	// Env is added to every process's environment.
	Env []string

	secretKey    string
	clientID     string
	clientSecret string
	books        string      // GnuCash folder, so that no process writes into the working directory
	mu           *sync.Mutex // shared by copies on other databases: one log
}

// newProcesses prepares processes on db with a fresh secret key and partner API client.
func newProcesses(binary, db, books string, log io.Writer) *Processes {
	return &Processes{Binary: binary, DB: db, Log: log, books: books,
		secretKey: randomHex(32), clientID: uuid.NewString(), clientSecret: randomHex(24), mu: &sync.Mutex{}}
}

// on returns processes like p's (same key, client and log) on another database, such as a copy.
func (p *Processes) on(db string) *Processes {
	q := *p
	q.DB = db
	return &q
}

// process is one running booksync process.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the process's exit status, once exited is closed
}

// Serve starts `booksync serve` on a free local port with the given number of sync workers (0:
// none, the API only queues jobs) and returns it once it listens, with its URL.
func (p *Processes) Serve(ctx context.Context, name string, workers int) (*process, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	pr, err := p.start(ctx, name, "booksync: serving the API", []string{"serve", "-workers", strconv.Itoa(workers)},
		"BOOKSYNC_ADDR=127.0.0.1:"+strconv.Itoa(port), "BOOKSYNC_PUBLIC_URL="+url)
	return pr, url, err
}

// Worker starts `booksync worker` with the given number of sync workers, its sandbox links and
// OAuth redirects pointing at serve's URL, and returns it once its workers run.
func (p *Processes) Worker(ctx context.Context, name, serveURL string, workers int) (*process, error) {
	return p.start(ctx, name, "booksync: worker running", []string{"worker", "-workers", strconv.Itoa(workers)},
		"BOOKSYNC_PUBLIC_URL="+serveURL)
}

func (p *Processes) start(ctx context.Context, name, ready string, args []string, env ...string) (*process, error) {
	cmd := exec.Command(p.Binary, args...)
	cmd.Env = append(environ(), "BOOKSYNC_DB="+p.DB, "BOOKSYNC_SECRET_KEY="+p.secretKey,
		"BOOKSYNC_CLIENT_ID="+p.clientID, "BOOKSYNC_CLIENT_SECRET="+p.clientSecret,
		"BOOKSYNC_GNUCASH_DIR="+p.books, "BOOKSYNC_SANDBOX_LIMITS=0")
	if p.ProfileDir != "" {
		cmd.Env = append(cmd.Env, "BOOKSYNC_PROFILE_DIR="+p.ProfileDir)
	}
	cmd.Env = append(cmd.Env, p.Env...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = &prefixWriter{p: p, prefix: name + ": "}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pr := &process{name: name, cmd: cmd, exited: make(chan struct{})}
	readyc := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			p.logLine(name+": ", line)
			if !seen && strings.Contains(line, ready) {
				seen = true
				close(readyc)
			}
		}
		pr.err = cmd.Wait()
		close(pr.exited)
	}()
	select {
	case <-readyc:
		return pr, nil
	case <-pr.exited:
		return nil, fmt.Errorf("%s exited before it was ready (%v); see its log", name, pr.err)
	case <-time.After(startTimeout):
	case <-ctx.Done():
	}
	pr.kill()
	return nil, fmt.Errorf("%s was not ready in %v", name, startTimeout)
}

// Pid is the process's id.
func (pr *process) Pid() int { return pr.cmd.Process.Pid }

// Stop asks the process to stop (SIGTERM), as an orchestrator would, and waits for it; one that
// does not stop in time is killed.
func (pr *process) Stop() error {
	if pr == nil {
		return nil
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.exited:
		if pr.err != nil {
			return fmt.Errorf("%s: %w", pr.name, pr.err)
		}
		return nil
	case <-time.After(stopTimeout):
		pr.kill()
		return fmt.Errorf("%s did not stop within %v and was killed", pr.name, stopTimeout)
	}
}

func (pr *process) kill() {
	_ = pr.cmd.Process.Kill()
	<-pr.exited
}

// stopAll stops the processes, each after the other, and returns their errors joined.
func stopAll(ps ...*process) error {
	var errs []error
	for _, pr := range ps {
		errs = append(errs, pr.Stop())
	}
	return errors.Join(errs...)
}

func (p *Processes) logLine(prefix, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.Log, "%s%s\n", prefix, line)
}

// prefixWriter writes a process's standard error to the log, line by line.
type prefixWriter struct {
	p      *Processes
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.p.logLine(w.prefix, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// environ is this process's environment without booksync's own variables, which the benchmark
// sets itself.
func environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOOKSYNC_") {
			out = append(out, kv)
		}
	}
	return out
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// peakRSS returns a process's peak resident memory in bytes (VmHWM in /proc/<pid>/status).
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/<pid>/status")
}

// cpuTime returns the CPU time a process has used so far, user and system (from
// /proc/<pid>/stat, in clock ticks of 1/100 s, as Linux reports them to user space).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields after its closing one.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15 of the whole line
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
