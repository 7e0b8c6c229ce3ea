package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runDir copies testdata/run (the four files of a real tiny run of
// scripts/device-bench.sh) to a temporary directory, applies edit to the
// named file's text, and returns the directory.
func runDir(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"info.txt", "readpath.json", "livebench.txt", "load.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "run", name))
		require.NoError(t, err)
		text := string(b)
		if name == file {
			if text = edit(text); text == string(b) {
				t.Fatalf("the edit left %s as it was", name)
			}
			if text == "" {
				continue // the file is left out
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	return dir
}

func readSummary(t *testing.T, dir string) (summary, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var s summary
	require.NoError(t, json.Unmarshal(b, &s))
	text, err := os.ReadFile(filepath.Join(dir, "summary.txt"))
	require.NoError(t, err)
	return s, string(text)
}

func TestSummaryOfARealRun(t *testing.T) {
	t.Parallel()
	dir := runDir(t, "", nil)
	var out strings.Builder
	require.NoError(t, run([]string{dir}, &out))
	s, text := readSummary(t, dir)
	require.True(t, s.OK, "problems: %v", s.Problems)
	require.Empty(t, s.Problems)
	require.Equal(t, text, out.String(), "the table printed is summary.txt")
	require.Contains(t, text, "all parts ok")

	require.Equal(t, 2, s.Machine.CPUs)
	require.Equal(t, "wrk", s.ReadPath.Tool)
	require.Equal(t, 1, s.ReadPath.Rounds)
	require.Greater(t, s.ReadPath.EligibilityRPS, 0.0)
	require.Greater(t, s.ReadPath.CPURatio, 0.0)

	require.Equal(t, 200, s.Live.Connected)
	require.InDelta(t, 5.40, s.Live.KBPerConn, 1e-9)
	require.InDelta(t, 0.69, s.Live.ArrivalP50Ms, 1e-9, "690µs")
	require.InDelta(t, 22.1, s.Live.StormP99Ms, 1e-9)
	require.Equal(t, 1000, s.Live.StormApplied)
	require.Equal(t, 200, s.Live.StreamsOpen)

	require.EqualValues(t, 500, s.Load.Placed)
	require.Greater(t, s.Load.CreateRPS, 0.0)
	require.Greater(t, s.Load.EligibilityRPS, 0.0)
	require.EqualValues(t, 0, s.Load.Wrong)
}

// TestSummaryFailsLoudly: each way a run can go wrong makes the summary
// say so, summary.json's ok false, and the command fail.
func TestSummaryFailsLoudly(t *testing.T) {
	t.Parallel()
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	tests := []struct {
		name, file string
		edit       func(string) string
		problem    string
	}{
		{"a part failed", "info.txt", replace("readpath.status=ok", "readpath.status=failed (exit 1)"), "readpath: failed (exit 1)"},
		{"a part timed out", "info.txt", replace("live.status=ok", "live.status=timed out after 60 s"), "live: timed out"},
		{"a machine figure is missing", "info.txt", replace("machine.kernel=", "kernel="), "info.txt has no machine.kernel"},
		{"over the budget", "info.txt", replace("total_s=10", "total_s=500"), "over its budget"},
		{"the load report is missing", "load.json", func(string) string { return "" }, "load.json"},
		{"wrong answers", "load.json", replace(`"wrong_answers": 0`, `"wrong_answers": 3`), "3 wrong answers"},
		{"the ratio report has no rounds", "readpath.json", replace(`"median_ratio": `, `"rounds": [], "median_ratio": `), "no rounds"},
		{"the storm line changed its wording", "livebench.txt", replace("storm: 1000 changes", "storm of 1000 changes"), "no line matching \"^storm: "},
		{"documents lost", "livebench.txt", replace("after the storm: 0 of 180", "after the storm: 2 of 180"), "lost 2"},
		{"a stream closed", "livebench.txt", replace("streams still open: 200 of 200", "streams still open: 199 of 200"), "streams open 199 of 200"},
		{"fewer connected than asked", "info.txt", replace("live.subscribers=200", "live.subscribers=300"), "200 subscribers connected, the script asked for 300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := runDir(t, tt.file, tt.edit)
			err := run([]string{dir}, io.Discard)
			require.Error(t, err)
			s, text := readSummary(t, dir)
			require.False(t, s.OK)
			require.NotEmpty(t, s.Problems)
			require.Contains(t, strings.Join(s.Problems, "\n"), tt.problem)
			require.Contains(t, text, "FAILED")
			if strings.Contains(tt.problem, "failed (exit 1)") {
				require.NotContains(t, text, "eligibility req/s", "a failed part's figures are not shown")
			}
			require.Contains(t, err.Error(), tt.problem)
		})
	}
}

func TestRunNeedsTheScriptsInfo(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, run([]string{t.TempDir()}, io.Discard), "info.txt")
	require.ErrorContains(t, run(nil, io.Discard), "usage")
}
