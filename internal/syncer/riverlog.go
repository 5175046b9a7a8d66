package syncer

import (
	"context"
	"log/slog"
)

// riverLogger is the logger River gets: River's own warnings and errors as they are, its routine
// information ("Producer job counts" every few seconds, each maintenance pass) at debug level, so
// that a quiet server's console stays quiet and a failure is not buried.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demoteInfo{l.Handler()})
}

// demoteInfo hands records below warning level to the next handler at debug level.
type demoteInfo struct{ next slog.Handler }

func (h demoteInfo) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, demoted(level))
}

func (h demoteInfo) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demoted(r.Level)
	return h.next.Handle(ctx, r)
}

func (h demoteInfo) WithAttrs(attrs []slog.Attr) slog.Handler {
	return demoteInfo{h.next.WithAttrs(attrs)}
}

func (h demoteInfo) WithGroup(name string) slog.Handler { return demoteInfo{h.next.WithGroup(name)} }

func demoted(level slog.Level) slog.Level {
	if level < slog.LevelWarn {
		return slog.LevelDebug
	}
	return level
}
