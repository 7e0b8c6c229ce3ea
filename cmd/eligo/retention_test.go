package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// `eligo serve` with workers runs a retention pass shortly after it starts
// (River's leader schedules it), and says so on /metrics.
func TestServeRunsRetentionOnStart(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(srv.url + "/metrics")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "\neligo_retention_passes_total 1\n") {
			require.Contains(t, string(body), `eligo_retention_oldest_seconds{table="orders"} 0`)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retention pass within 20 s\n%s", srv.output.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Contains(t, srv.output.String(), `"retention":"ended orders 720h0m0s, versions 2160h0m0s, event ids 168h0m0s"`)
}

// A window of processed event ids under an hour would let a redelivered
// event apply twice: serve and worker refuse it, saying why.
func TestRetainEventIDsUnderAnHourIsRefused(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"serve", "worker"} {
		env := testEnv(map[string]string{"ELIGO_RETAIN_EVENT_IDS": "30m"})
		err := run(context.Background(), []string{"eligo", cmd, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, env, io.Discard, io.Discard)
		require.Error(t, err, cmd)
		require.Contains(t, err.Error(), "--retain-event-ids", cmd)
		require.Contains(t, err.Error(), "at least 1h0m0s", cmd)
	}
}
