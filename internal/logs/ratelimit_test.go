package logs_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/logs"
)

func records(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(b)
	for dec.More() {
		var m map[string]any
		require.NoError(t, dec.Decode(&m))
		out = append(out, m)
	}
	return out
}

func TestRateLimitCountsWhatItDrops(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(logs.RateLimit(slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelInfo, 3))
	sec := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	emit := func(at time.Time, level slog.Level, msg string) {
		r := slog.NewRecord(at, level, msg, 0)
		require.NoError(t, log.Handler().Handle(t.Context(), r))
	}
	for i := range 10 {
		emit(sec.Add(time.Duration(i)*time.Millisecond), slog.LevelError, "store down")
	}
	emit(sec, slog.LevelError, "another message")             // its own budget
	emit(sec, slog.LevelDebug, "store down")                  // below the minimum: always passes
	emit(sec.Add(time.Second), slog.LevelError, "store down") // a new second
	rs := records(t, &b)
	require.Len(t, rs, 3+1+1+1)
	for _, r := range rs[:3] {
		require.NotContains(t, r, "suppressed")
	}
	last := rs[len(rs)-1]
	require.Equal(t, "store down", last["msg"])
	require.EqualValues(t, 7, last["suppressed"], "the 7 dropped in the first second are counted on the next line that passes")
}

func TestRateLimitIsSharedByDerivedLoggers(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(logs.RateLimit(slog.NewJSONHandler(&b, nil), slog.LevelInfo, 2))
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for range 3 {
		for _, l := range []*slog.Logger{log.With("part", "a"), log.WithGroup("g")} {
			require.NoError(t, l.Handler().Handle(t.Context(), slog.NewRecord(at, slog.LevelWarn, "x", 0)))
		}
	}
	require.Len(t, records(t, &b), 2, "one budget per message, whichever logger writes it")
}
