package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func runFake(t *testing.T, bug string, live bool) *Report {
	t.Helper()
	srv := newFakeServer(t, bug, live)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rep, err := Run(ctx, fakeConfig(srv.URL))
	require.NoError(t, err)
	return rep
}

// A correct server gets no wrong answers, with or without the live stream:
// the checker does not cry wolf.
func TestRunCorrectServer(t *testing.T) {
	t.Parallel()
	for _, live := range []bool{true, false} {
		t.Run(map[bool]string{true: "live", false: "no_live"}[live], func(t *testing.T) {
			t.Parallel()
			rep := runFake(t, bugNone, live)
			require.Zero(t, rep.Wrong, "%v\n%s", rep.WrongSamples, rep.Text())
			require.Zero(t, rep.Errors, rep.Text())
			require.EqualValues(t, 30, rep.Orders.Placed)
			require.EqualValues(t, 30, rep.Orders.Finished, rep.Text())
			require.Positive(t, rep.Cancels.Won+rep.Cancels.Refused)
			require.Positive(t, rep.NotModifiedShare, "map pages send If-None-Match")
			if live {
				require.True(t, rep.Push.Used, rep.Text())
				require.Positive(t, rep.Push.Samples, rep.Text())
			} else {
				require.False(t, rep.Push.Used)
				require.Contains(t, rep.Push.Note, "404")
				require.Contains(t, rep.Text(), "live push: skipped")
			}
		})
	}
}

// Each deliberately wrong server is caught, with the wrong answers counted
// under the kind that names its bug.
func TestRunCatchesWrongServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bug  string
		kind string
	}{
		// The article's whole point: the button must vanish at the doorstep.
		{bugAllowedAtDoorstep, kindRead},
		// The arrival race: a cancel after the arrival must lose.
		{bugCancelAtDoorstep, kindCancel},
		// A cache that lags one version behind an acknowledged write.
		{bugStaleRead, kindRead},
		// A 304 that hides a change.
		{bugBlind304, kindNotModified},
		// A stream that stops at the arrival: the button never vanishes.
		{bugStreamStalls, kindStream},
		// A clock (or rule) off by a second.
		{bugEarlyButton, kindRead},
		// No until: a reader cannot know when to ask again.
		{bugUntilMissing, kindRead},
		// Versions that skip: the history is not whole.
		{bugLostVersion, kindHistory},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			t.Parallel()
			rep := runFake(t, tt.bug, true)
			require.Positive(t, rep.Wrong, rep.Text())
			require.Positive(t, rep.WrongByKind[tt.kind], "%v", rep.WrongByKind)
			require.Contains(t, rep.Text(), "WRONG ANSWERS: ")
			require.NotEmpty(t, rep.WrongSamples)
		})
	}
}

func TestReportJSONAndSnapshot(t *testing.T) {
	t.Parallel()
	rep := runFake(t, bugNone, false)
	js := string(rep.JSON())
	for _, field := range []string{`"requests_per_second"`, `"p99_ms"`, `"not_modified_share"`, `"wrong_answers": 0`, `"errors_by_kind"`, `"push"`} {
		require.Contains(t, js, field)
	}
	line := rep.Snapshot().Line()
	require.True(t, strings.HasPrefix(line, "placed 30 | buttons shown "), line)
	require.Contains(t, line, "errors 0 | wrong answers 0")
}
