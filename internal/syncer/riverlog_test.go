package syncer

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRiverInfoIsDebug(t *testing.T) {
	var out bytes.Buffer
	log := riverLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	log.Info("producer: Producer job counts", "num_completed_jobs", 0)
	log.With("queue", "default").Info("JobCleaner: Ran successfully")
	if out.Len() != 0 {
		t.Errorf("River's routine information reached an info-level console:\n%s", out.String())
	}
	log.Warn("producer: Error fetching jobs", "err", "database is locked")
	if !strings.Contains(out.String(), "level=WARN") || !strings.Contains(out.String(), "Error fetching jobs") {
		t.Errorf("River's warning was lost: %q", out.String())
	}

	out.Reset()
	debug := riverLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Info("producer: Producer job counts")
	if !strings.Contains(out.String(), "level=DEBUG") {
		t.Errorf("with debug logging on, River's information should show at debug level: %q", out.String())
	}
}
