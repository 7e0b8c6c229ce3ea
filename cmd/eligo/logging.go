package main

import (
	"io"
	"log/slog"

	"github.com/eligo/eligo/internal/logs"
)

// logLevels are the values of --log-level.
var logLevels = []string{"debug", "info", "warn", "error"}

// logFormats are the values of --log-format.
var logFormats = []string{"json", "text"}

// logConfig is how a long-running command logs: --log-level and
// --log-format. Every command logs to stderr, one record per line.
type logConfig struct {
	Level  string // one of logLevels
	Format string // one of logFormats; empty: JSON unless stderr is a terminal
}

func (c *logConfig) flags(f *flagSet) {
	f.Enum(&c.Level, "log-level", "info", logLevels, "least level logged: debug, info, warn or error")
	f.Enum(&c.Format, "log-format", "", logFormats, "json (one object per line, for log pipelines) or text (key=value, for people)")
	f.setDefaultText("log-format", "json, or text when stderr is a terminal")
}

// logger returns the logger c describes, writing to w.
func (c *logConfig) logger(w io.Writer) *slog.Logger {
	return newLogger(w, c.Level, c.Format)
}

// newLogger returns a logger of the least level and the format named (an
// empty format: JSON unless w is a terminal).
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" || (format == "" && isTerminal(w)) {
		h = slog.NewTextHandler(w, opts)
	}
	// An outage or a flood of bad requests repeats one record: keep a
	// few a second, and count the rest (docs/operations.md, Logs).
	return slog.New(logs.RateLimit(h, slog.LevelInfo, repeatsPerSecond))
}

// repeatsPerSecond is how many records of one level and message are
// logged per second; the rest are counted.
const repeatsPerSecond = 20
