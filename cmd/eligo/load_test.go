package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/loadgen"
)

// `eligo load` against `eligo serve`: every answer of the real server is
// right, and the report says so in JSON.
//
// Not parallel: the run has 8 s to place and finish its 80 orders, which
// the package's parallel tests (replicas, demos) would starve; run alone
// first, it takes about 5 s.
func TestLoadAgainstServe(t *testing.T) {
	srv := startServe(t, t.TempDir(), testEnv(nil))
	var out, errOut syncBuffer
	err := run(context.Background(), []string{"eligo", "load", "--url", srv.url, "--json", "--seed", "5",
		"--orders", "80", "--duration", "8s", "--promise", "1s", "--ramp", "500ms", "--poll", "100ms", "--chat-share", "0.3"}, testEnv(nil), &out, &errOut)
	require.NoError(t, err, errOut.String())
	var rep loadgen.Report
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep), out.String())
	require.Zero(t, rep.Wrong, "%v", rep.WrongSamples)
	// A 503 (with Retry-After, tried again by the client) is the server
	// refusing for now on an overloaded machine, which the contract allows;
	// any other error is not.
	if n := rep.ErrorsByKind["http_503"]; n > 0 {
		t.Logf("%d requests still answered 503 after their retries (%d retried)", n, rep.Retried503)
	}
	require.Equal(t, rep.ErrorsByKind["http_503"], rep.Errors, "%v; the server's warnings and errors:\n%s", rep.ErrorsByKind, logLines(srv.output.String(), `"level":"WARN"`, `"level":"ERROR"`))
	require.EqualValues(t, 80, rep.Orders.Placed)
	require.EqualValues(t, 80, rep.Orders.Finished)
	require.Positive(t, rep.Cancels.Won+rep.Cancels.Refused)
	require.Positive(t, rep.NotModifiedShare)
	require.Len(t, rep.Endpoints, 4+boolInt(rep.Push.Used))
	if !rep.Push.Used {
		require.Contains(t, rep.Push.Note, "/live") // until the live stream is served
	}
}

// The credentials come from the server's data directory, never created
// by load; without any, load says what it needs.
func TestLoadCredentials(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	err := run(context.Background(), []string{"eligo", "load", "--orders", "1"}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, "needs the service token and the customer-token secret")
	err = run(context.Background(), []string{"eligo", "load", "--data-dir", t.TempDir()}, none, io.Discard, io.Discard)
	require.ErrorContains(t, err, "no secrets.json")

	dir := t.TempDir()
	srv := startServe(t, dir, none) // generates the secrets
	var out strings.Builder
	err = run(context.Background(), []string{"eligo", "load", "--url", srv.url, "--data-dir", dir,
		"--orders", "10", "--duration", "5s", "--promise", "300ms", "--ramp", "100ms", "--poll", "50ms"}, none, &out, io.Discard)
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), "WRONG ANSWERS: 0;")
	require.Contains(t, out.String(), "orders: 10 placed of 10")
}

func TestLoadRatio(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	var out strings.Builder
	// The server runs in this process, so its CPU time is this process's.
	err := run(context.Background(), []string{"eligo", "load", "--url", srv.url, "--ratio", "--server-pid", strconv.Itoa(os.Getpid()),
		"--ratio-rounds", "2", "--ratio-phase", "200ms", "--ratio-orders", "20", "--ratio-conns", "4"}, testEnv(nil), &out, io.Discard)
	require.NoError(t, err)
	require.Contains(t, out.String(), "ratio (median of rounds)")
	require.Contains(t, out.String(), "errors 0")
	require.Contains(t, out.String(), "server CPU per request")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The API client and documents the tests in this package use, from the
// load generator.
type (
	eligibilityDoc = loadgen.Document
	eventResults   = loadgen.EventResults
)

type apiClient struct{ *loadgen.Client }

func newAPIClient(base string) *apiClient { return &apiClient{loadgen.NewClient(base, 8, 0)} }

func (c *apiClient) do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	return c.Do(ctx, method, path, token, body, out)
}

// logLines returns the lines of log that hold any of marks.
func logLines(log string, marks ...string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		for _, m := range marks {
			if strings.Contains(line, m) {
				b.WriteString(line)
				break
			}
		}
	}
	return b.String()
}
