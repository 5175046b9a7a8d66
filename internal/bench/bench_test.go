package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/booksync/booksync/internal/pgtest"
)

// binary builds cmd/booksync into the test's temporary folder.
func binary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "booksync")
	if out, err := exec.Command("go", "build", "-o", path, "../../cmd/booksync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// logOnFailure shows the processes' log when the test fails.
func logOnFailure(t *testing.T, log *bytes.Buffer) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("processes' log:\n%s", log.String())
		}
	})
}

// A small scale-out run drains its backlog with one and with two worker processes, every invoice
// reaching the books once (Run checks the sandbox), all of them after the queue was resumed.
func TestScaleOutDrainsEveryInvoiceOnce(t *testing.T) {
	if os.Getenv(pgtest.EnvURL) == "" {
		t.Skip(pgtest.EnvURL + " is unset")
	}
	var out, log bytes.Buffer
	logOnFailure(t, &log)
	runs, err := ScaleOut{Binary: binary(t), DB: pgtest.AdminURL(t), Invoices: 24, Entities: 3,
		Processes: []int{1, 2}, Workers: 4, Out: &out, Log: &log}.Run(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(runs) != 2 {
		t.Fatalf("runs: %+v", runs)
	}
	for _, r := range runs {
		if r.Invoices != 24 {
			t.Errorf("%d worker processes pushed %d invoices after the queue was resumed, want all 24", r.Processes, r.Invoices)
		}
	}
	if !strings.Contains(out.String(), "ratio to 1 process") {
		t.Errorf("output: %s", out.String())
	}
}

// A small memory run drains its backlog on SQLite and reports serve's peak RSS, with the sandbox
// inside serve and in a process of its own.
func TestMemoryReportsPeakRSS(t *testing.T) {
	bin := binary(t)
	for _, separate := range []bool{false, true} {
		var out, log bytes.Buffer
		logOnFailure(t, &log)
		run, err := Memory{Binary: bin, Invoices: 20, Entities: 2, Workers: 4, SeparateSandbox: separate,
			Out: &out, Log: &log}.Run(context.Background())
		if err != nil {
			t.Fatalf("separate sandbox %v: %v\n%s", separate, err, out.String())
		}
		if run.PeakRSS <= 0 || !strings.Contains(out.String(), "peak RSS") {
			t.Errorf("separate sandbox %v: run %+v, output: %s", separate, run, out.String())
		}
	}
}
