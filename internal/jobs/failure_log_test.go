package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/jobs"
)

// TestFailureLogIsRateLimitedPerKind pins the WARN line of a failed job:
// its kind, attempt and error; at most one line per kind per Every, the
// next one counting what was left out; a discard always logged.
func TestFailureLogIsRateLimitedPerKind(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &jobs.FailureLog{
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime})),
		Every:  10 * time.Second,
		Now:    func() time.Time { return now },
	}
	fail := func(kind string, attempt int) {
		job := &rivertype.JobRow{ID: int64(attempt), Kind: kind, Attempt: attempt, MaxAttempts: 25}
		require.Nil(t, f.HandleError(context.Background(), job, errors.New("UNKNOWN_TOPIC_OR_PARTITION")), "never cancels")
	}
	lines := func() []string {
		defer buf.Reset()
		return strings.Split(strings.TrimSpace(buf.String()), "\n")
	}

	fail("outbound_event", 1)
	require.Equal(t, []string{`level=WARN msg="job attempt failed; it will be retried" kind=outbound_event job_id=1 attempt=1 max_attempts=25 err=UNKNOWN_TOPIC_OR_PARTITION`}, lines())
	fail("outbound_event", 2)
	fail("outbound_event", 3)
	require.Empty(t, buf.String(), "within Every, a kind logs nothing more")
	fail("webhook", 1)
	require.Len(t, lines(), 1, "another kind has its own limit")

	now = now.Add(10 * time.Second)
	fail("outbound_event", 4)
	require.Equal(t, []string{`level=WARN msg="job attempt failed; it will be retried" kind=outbound_event job_id=4 attempt=4 max_attempts=25 err=UNKNOWN_TOPIC_OR_PARTITION suppressed=2`}, lines())

	job := &rivertype.JobRow{ID: 9, Kind: "outbound_event", Attempt: 25, MaxAttempts: 25}
	f.HandlePanic(context.Background(), job, "boom", "trace")
	require.Equal(t, []string{`level=ERROR msg="job failed on its last attempt and is discarded" kind=outbound_event job_id=9 attempt=25 max_attempts=25 err="panic: boom"`}, lines(),
		"a discard is logged even within Every")
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
