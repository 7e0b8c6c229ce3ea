package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSoakTinyOnSQLite runs the whole soak, tiny, on the embedded store
// against a binary built from this tree, and checks what it reports that
// does not depend on the machine: both stores were laid down as planned
// and reached ready, and every read, live or cold, answered the document
// the store's order makes. Timings are not checked.
func TestSoakTinyOnSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	binary := filepath.Join(dir, "eligo")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", binary, "github.com/eligo/eligo/cmd/eligo").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	jsonPath := filepath.Join(dir, "soak.json")
	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"-eligo", binary, "-dir", filepath.Join(dir, "work"),
		"-orders", "2000", "-live", "100", "-days", "30", "-batch", "500", "-reads", "50", "-json", jsonPath},
		func(string) string { return "" }, &stdout, &stderr)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())

	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var rep report
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Len(t, rep.Stores, 2)
	hist, fresh := rep.Stores[0], rep.Stores[1]

	// 1,900 ended orders alternate two and three events; the 100 live
	// ones, 1900 to 1999, have i%3 events: 34 one, 33 two.
	liveEvents := int64(34 + 33*2)
	require.Equal(t, counts{Orders: 2000, Versions: 2000 + 950*2 + 950*3 + liveEvents, Events: 950*2 + 950*3 + liveEvents}, hist.Loaded)
	require.Equal(t, counts{Orders: 100, Versions: 100 + liveEvents, Events: liveEvents}, fresh.Loaded)
	require.Equal(t, hist.Planned, hist.Loaded)
	require.Equal(t, fresh.Planned, fresh.Loaded)

	for _, s := range rep.Stores {
		require.Positive(t, s.ReadySeconds, "%s reached ready", s.Name)
		require.Positive(t, s.RSSKB, "%s: the server's memory was read", s.Name)
		require.Positive(t, s.DiskBefore, s.Name)
		require.Equal(t, 50, s.LiveReads.N, s.Name)
		require.Equal(t, s.LiveReads.N, s.LiveReads.Correct, "%s: %s", s.Name, s.LiveReads.Example)
	}
	require.Equal(t, 50, hist.ColdReads.N)
	require.Equal(t, hist.ColdReads.N, hist.ColdReads.Correct, hist.ColdReads.Example)
	require.Zero(t, fresh.ColdReads.N, "the fresh store has no cold orders")
	if rep.Retention {
		for _, s := range rep.Stores {
			require.NotNil(t, s.Retention, s.Name)
		}
		r := hist.Retention
		require.Equal(t, r.ColdChecked, r.ColdKept, "orders inside retention are kept")
		require.Positive(t, r.ExpiredChecked)
		require.Equal(t, r.ExpiredChecked, r.ExpiredGone, "orders past retention are deleted")
		require.Less(t, r.After.Orders, hist.Loaded.Orders)
		require.Equal(t, fresh.Loaded.Orders, fresh.Retention.After.Orders, "no live order is deleted")
	} else {
		require.Contains(t, stdout.String(), "retention: not available in this build")
	}
}

func TestConfigRefusesBadSizes(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"MoreLiveThanOrders":   {"-orders", "10", "-live", "11"},
		"NoLive":               {"-live", "0"},
		"UnknownStore":         {"-store", "mysql"},
		"PostgresWithoutURL":   {"-store", "postgres"},
		"RetentionUnderAnHour": {"-retain-event-ids", "30m"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(t.Context(), args, func(string) string { return "" }, &out, &out)
			require.Error(t, err)
		})
	}
}
