package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/booksync/booksync/internal/bench"
)

const benchUsage = `booksync bench runs measurements with real booksync processes of this binary and prints figures.

Usage:
  booksync bench scaleout -db postgres://... [-invoices N] [-entities M] [-processes 1,2,4]
      serve plus 1, 2 and 4 worker processes drain one backlog of many entities (built-in Xero
      sandbox, limits off): invoices/s per process count and the ratio to one process
  booksync bench memory [-db FILE|postgres://...] [-invoices N] [-entities M] [-separate-sandbox]
      serve drains a backlog while the API is read: its peak resident memory (VmHWM), with the
      built-in sandbox inside serve or, -separate-sandbox, in a process of its own

Each checks that the sandbox holds every invoice exactly once. On PostgreSQL the benchmark creates
and drops its own databases on the server the URL names (the role needs CREATEDB). The processes'
logs go to -log (default: a file in the temporary folder, named at the start); with -profile DIR
each process writes CPU and heap profiles there.
`

// runBench runs `booksync bench <what>`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, benchUsage)
		if len(args) == 0 {
			return errors.New("bench needs a measurement: scaleout or memory")
		}
		return nil
	}
	what := args[0]
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", os.Getenv("BOOKSYNC_DB"), "database: postgres:// URL (scaleout), or a SQLite file or postgres:// URL (memory; default: a temporary SQLite file)")
	logPath := fs.String("log", "", "file the processes' output goes to (default: a new file in the temporary folder)")
	profile := fs.String("profile", "", "folder each process writes its CPU and heap profiles to (<command>-<pid>-cpu.pprof, -heap.pprof), for go tool pprof")
	var invoices, entities *int
	var processes *string
	var workers *int
	separate := new(bool)
	switch what {
	case "scaleout":
		invoices = fs.Int("invoices", 10000, "invoices in the backlog")
		entities = fs.Int("entities", 50, "entities sharing the backlog, each with its own sandbox organisation")
		processes = fs.String("processes", "1,2,4", "worker process counts to measure, comma-separated")
		workers = fs.Int("workers", 10, "sync jobs each worker process runs at once")
	case "memory":
		invoices = fs.Int("invoices", 100000, "invoices in the backlog")
		entities = fs.Int("entities", 20, "entities sharing the backlog, each with its own sandbox organisation")
		workers = fs.Int("workers", 10, "sync jobs serve runs at once")
		separate = fs.Bool("separate-sandbox", false, "run the built-in sandboxes in a process of their own (BOOKSYNC_SANDBOX_URL), so that the figure is serve's alone, as beside a real Xero")
	default:
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("unknown measurement %q", what)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *invoices < 1 || *entities < 1 || *workers < 1 {
		return errors.New("-invoices, -entities and -workers must be at least 1")
	}
	binary, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := benchLog(*logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(stdout, "booksync bench %s: processes log to %s\n", what, logf.Name())

	switch what {
	case "scaleout":
		counts, err := parseCounts(*processes)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(*db, "postgres://") && !strings.HasPrefix(*db, "postgresql://") {
			return errors.New("bench scaleout needs -db postgres://... (worker processes share a PostgreSQL database)")
		}
		_, err = bench.ScaleOut{Binary: binary, DB: *db, Invoices: *invoices, Entities: *entities,
			Processes: counts, Workers: *workers, Out: stdout, Log: logf, ProfileDir: *profile}.Run(ctx)
		return err
	default:
		_, err := bench.Memory{Binary: binary, DB: *db, Invoices: *invoices, Entities: *entities,
			Workers: *workers, SeparateSandbox: *separate, Out: stdout, Log: logf, ProfileDir: *profile}.Run(ctx)
		return err
	}
}

func benchLog(path string) (*os.File, error) {
	if path == "" {
		return os.CreateTemp("", "booksync-bench-*.log")
	}
	return os.Create(path)
}

// parseCounts reads "1,2,4".
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-processes: %q is not a count of processes", f)
		}
		out = append(out, n)
	}
	return out, nil
}
