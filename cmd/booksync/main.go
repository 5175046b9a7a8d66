// Command booksync runs booksync: the Monite-compatible API, its storage, and (from later
// releases) the sync workers that push issued invoices into accounting systems.
//
//	booksync serve     API, dashboard, sandboxes and workers in one process
//	booksync worker    sync workers only (scale-out beside serve, PostgreSQL only)
//	booksync migrate   apply schema migrations and exit
//	booksync demo      tell the accounting story against a running serve and its sandbox
//	booksync bench     measure scale-out and memory with real processes of this binary
//
// Every flag has an environment variable (BOOKSYNC_ADDR, BOOKSYNC_DB, ...); run
// `booksync serve -h` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/booksync/booksync/internal/gcpace"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "booksync:", err)
		}
		os.Exit(exitStatus(err))
	}
}

const usage = `booksync keeps the invoices a platform issues in step with its customers' books.

Usage:
  booksync serve     run the API (and everything else) on one machine
  booksync worker    run sync workers only, beside serve, on a shared PostgreSQL database
  booksync migrate   apply database migrations and exit
  booksync demo      tell the whole accounting story against a running serve (Xero sandbox)
  booksync bench     measure with real booksync processes: scaleout (throughput per worker
                     process), memory (serve's peak RSS draining a backlog); "booksync bench -h"

Run "booksync <command> -h" for a command's flags and environment variables.
`

// exitStatus is the process status for an error: 0 when help was asked for (-h, -help), 2 for a
// usage problem (such as the demo's missing credentials), 1 otherwise.
func exitStatus(err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errNoCredentials):
		return 2
	}
	return 1
}

// run executes one subcommand; it returns when the command is done or ctx is canceled.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	switch args[0] {
	case "serve":
		cfg, err := parseConfig("serve", args[1:], stderr)
		if err != nil {
			return err
		}
		stopProfiles, err := startProfiles("serve")
		if err != nil {
			return err
		}
		defer stopProfiles()
		defer gcpace.Set()()
		return serve(ctx, cfg, stdout, logger)
	case "worker":
		cfg, err := parseConfig("worker", args[1:], stderr)
		if err != nil {
			return err
		}
		stopProfiles, err := startProfiles("worker")
		if err != nil {
			return err
		}
		defer stopProfiles()
		defer gcpace.Set()()
		return work(ctx, cfg, stdout, logger)
	case "migrate":
		cfg, err := parseConfig("migrate", args[1:], stderr)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, stdout)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
