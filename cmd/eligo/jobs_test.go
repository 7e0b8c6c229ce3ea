package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const jobsTestToken = "svc-test-token-for-the-cmd-tests"

// apiCall sends a request with the service token and decodes a JSON
// answer into out (when not nil).
func apiCall(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+jobsTestToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

type versionsDoc struct {
	Versions []struct {
		ID        int64  `json:"id"`
		Whodunnit string `json:"whodunnit"`
	} `json:"versions"`
}

// createUnpaid creates an order whose payment times out after d.
func createUnpaid(t *testing.T, url, id string, d time.Duration) {
	t.Helper()
	now := time.Now().UTC()
	code := apiCall(t, "POST", url+"/v1/orders", map[string]any{"id": id, "customer_id": "cust-1",
		"placed_at": now, "promised_at": now.Add(time.Hour), "payment_timeout_at": now.Add(d)}, nil)
	require.Equal(t, http.StatusCreated, code)
}

// waitExpiredBySystem waits until the order's versions show the system's
// expiry.
func waitExpiredBySystem(t *testing.T, url, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var vs versionsDoc
		require.Equal(t, 200, apiCall(t, "GET", url+"/v1/orders/"+id+"/versions", nil, &vs))
		if len(vs.Versions) == 2 {
			require.Equal(t, "system", vs.Versions[1].Whodunnit)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s did not expire: %+v", id, vs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeRunsJobs: `eligo serve` works jobs by default: an unpaid order
// expires, subscribers get signed webhooks, River UI is behind the service
// token and /metrics shows the jobs.
func TestServeRunsJobs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hooks []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, r.Header.Get("Eligo-Signature")+" "+string(body))
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	dir := t.TempDir()
	hooksFile := filepath.Join(dir, "webhooks.json")
	require.NoError(t, os.WriteFile(hooksFile, fmt.Appendf(nil, `[{"url":%q,"secret":"0123456789abcdef"}]`, receiver.URL), 0o600))

	srv := startServe(t, dir, testEnv(map[string]string{"ELIGO_WEBHOOKS": hooksFile}))
	createUnpaid(t, srv.url, "ord-1", time.Second)
	waitExpiredBySystem(t, srv.url, "ord-1")
	var o map[string]any
	require.Equal(t, 200, apiCall(t, "GET", srv.url+"/v1/orders/ord-1", nil, &o))
	require.Equal(t, "EXPIRED", o["status"], "the read model moved forward")

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(hooks) == 2
	}, 10*time.Second, 50*time.Millisecond, "a webhook for the create and one for the expiry")
	mu.Lock()
	require.True(t, strings.HasPrefix(hooks[0], "v1="), hooks[0])
	require.Contains(t, hooks[0], `"event":"create"`)
	mu.Unlock()

	// River UI: a service token as the Basic password or Bearer token
	// opens it; nothing else does.
	for _, tt := range []struct {
		name string
		set  func(r *http.Request)
		want int
	}{
		{"no credentials", func(r *http.Request) {}, http.StatusUnauthorized},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("ops", "nope") }, http.StatusUnauthorized},
		{"basic", func(r *http.Request) { r.SetBasicAuth("ops", jobsTestToken) }, http.StatusOK},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+jobsTestToken) }, http.StatusOK},
	} {
		req, err := http.NewRequestWithContext(context.Background(), "GET", srv.url+"/riverui/", nil)
		require.NoError(t, err)
		tt.set(req)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, tt.want, resp.StatusCode, tt.name)
	}
	// Every job completes (River marks them in batches, just after): the
	// re-check, two webhooks, and the retention pass run at start.
	scrape := func() string {
		resp, err := http.Get(srv.url + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		metrics, _ := io.ReadAll(resp.Body)
		return string(metrics)
	}
	require.Eventually(t, func() bool { return strings.Contains(scrape(), `eligo_jobs{state="completed"} 4`) },
		15*time.Second, 500*time.Millisecond)
	metrics := scrape()
	for _, m := range []string{`eligo_job_attempts_total{kind="payment_recheck",result="completed"} 1`, `eligo_job_lateness_seconds_count{kind="webhook"} 2`} {
		require.Contains(t, metrics, m)
	}

	req, _ := http.NewRequest("GET", srv.url+"/riverui/api/jobs?state=completed&limit=10", nil)
	req.SetBasicAuth("ops", jobsTestToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, string(body))
	require.Contains(t, string(body), "payment_recheck")

}

// TestWorkerApart: `eligo serve --workers=false` enqueues and `eligo
// worker` works, on the same data directory.
func TestWorkerApart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, dir, testEnv(nil), "--workers=false")
	createUnpaid(t, srv.url, "ord-1", 500*time.Millisecond)
	time.Sleep(time.Second)
	var vs versionsDoc
	require.Equal(t, 200, apiCall(t, "GET", srv.url+"/v1/orders/ord-1/versions", nil, &vs))
	require.Len(t, vs.Versions, 1, "no workers in the API process")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"eligo", "worker", "--addr", "127.0.0.1:0", "--data-dir", dir}, testEnv(nil), out, out)
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, out.String())
	})
	waitExpiredBySystem(t, srv.url, "ord-1")
	require.Contains(t, out.String(), "eligo worker is running")
}

// River's services log "context canceled" when they are stopped: that is a
// shutdown, not an error (ci-container.sh fails on any ERROR line, and the
// periodic job enqueuer logged one on SIGTERM soon after start). Real
// errors still pass, and so do warnings.
func TestRiverLoggerDropsCancellations(t *testing.T) {
	var b syncBuffer
	log := riverLogger(slog.New(slog.NewJSONHandler(&b, nil)))
	log.Error("maintenance.PeriodicJobEnqueuer: Error starting transaction", "error", "context canceled")
	log.Error("producer: Error fetching jobs", "error", fmt.Errorf("fetch: %w", context.Canceled))
	log.Info("River client started") // below WARN: dropped
	log.Error("producer: Error fetching jobs", "error", "disk I/O error")
	log.Warn("job stuck", "err", "timeout")
	out := b.String()
	require.NotContains(t, out, "context canceled")
	require.NotContains(t, out, "River client started")
	require.Contains(t, out, "disk I/O error")
	require.Contains(t, out, "job stuck")
}
