package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv"
)

// testEnv is an environment for run: fixed credentials and nothing else.
func testEnv(extra map[string]string) func(string) string {
	env := map[string]string{
		"ELIGO_SERVICE_TOKENS":        "svc-test-token-for-the-cmd-tests",
		"ELIGO_CUSTOMER_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// runningServer is `eligo serve` started through run on port 0.
type runningServer struct {
	url    string
	stop   context.CancelFunc
	done   chan error
	output *syncBuffer // stderr
	out    *syncBuffer // stdout
}

// stdout is what serve printed on stdout up to now.
func (rs *runningServer) stdout() string { return rs.out.String() }

// syncBuffer collects what run writes from its goroutines.
type syncBuffer = testenv.SyncBuffer

// startServe runs `eligo serve` on a free port with dataDir and waits until
// /healthz answers.
func startServe(t *testing.T, dataDir string, getenv func(string) string, extraArgs ...string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	rs := &runningServer{stop: cancel, done: make(chan error, 1), output: &syncBuffer{}, out: &syncBuffer{}}
	args := append([]string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, extraArgs...)
	go func() {
		err := run(ctx, args, getenv, pw, rs.output)
		pw.Close()
		rs.done <- err
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(rs.out, sc.Text())
			if u, ok := strings.CutPrefix(sc.Text(), "eligo is serving on "); ok {
				urls <- u
			}
		}
	}()
	select {
	case rs.url = <-urls:
	case err := <-rs.done:
		t.Fatalf("serve exited early: %v\n%s", err, rs.output.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start\n%s", rs.output.String())
	}
	waitHealthy(t, rs.url)
	t.Cleanup(func() { rs.shutdown(t) })
	return rs
}

func (rs *runningServer) shutdown(t *testing.T) {
	t.Helper()
	if rs.stop == nil {
		return
	}
	rs.stop()
	rs.stop = nil
	select {
	case err := <-rs.done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/healthz never answered 200", url)
}

// call sends a JSON request with a bearer token and decodes the answer.
func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	c := newAPIClient(url[:strings.Index(url, "/v1")])
	code, err := c.do(context.Background(), method, url[strings.Index(url, "/v1"):], token, body, out)
	require.NoError(t, err)
	return code
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, dir, testEnv(nil))
	const svc = "svc-test-token-for-the-cmd-tests"

	// An order promised 1.5 s from now: the button is hidden, with until
	// pointing at the promise, and appears there with no event at all.
	placed := time.Now().UTC().Truncate(time.Millisecond)
	promised := placed.Add(1500 * time.Millisecond)
	var created map[string]any
	code := call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "ord-1", "customer_id": "cust-9", "placed_at": placed, "promised_at": promised}, &created)
	require.Equal(t, http.StatusCreated, code)
	require.Equal(t, float64(1), created["version"])

	var doc eligibilityDoc
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc))
	require.False(t, doc.Actions["cancel"].Allowed)
	require.Equal(t, "outside_window", doc.Actions["cancel"].Reason)
	require.NotNil(t, doc.Actions["cancel"].Until)
	require.True(t, promised.Equal(*doc.Actions["cancel"].Until), "until %v, want %v", doc.Actions["cancel"].Until, promised)

	time.Sleep(time.Until(promised))
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc))
	require.True(t, doc.Actions["cancel"].Allowed, "the button appears at promised_at")
	require.Equal(t, "sla_breached", doc.Actions["cancel"].Reason)

	// The driver arrives: the button is gone; a late PICKED_UP changes nothing.
	var res eventResults
	events := []map[string]any{
		{"event_id": "e-1", "order_id": "ord-1", "type": "driver_status", "status": "ARRIVED_AT_DOORSTEP"},
		{"event_id": "e-2", "order_id": "ord-1", "type": "driver_status", "status": "PICKED_UP"},
		{"event_id": "e-1", "order_id": "ord-1", "type": "driver_status", "status": "ARRIVED_AT_DOORSTEP"},
	}
	require.Equal(t, 200, call(t, "POST", srv.url+"/v1/events", svc, events, &res))
	require.Len(t, res.Results, 3)
	require.Equal(t, "applied", res.Results[0].Outcome)
	require.Equal(t, "stale", res.Results[1].Outcome)
	require.Equal(t, "duplicate", res.Results[2].Outcome)
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc))
	require.Equal(t, "driver_at_doorstep", doc.Actions["cancel"].Reason)
	require.Equal(t, int64(2), doc.Version)

	// Restart on the same data directory: everything is still there.
	srv.shutdown(t)
	srv = startServe(t, dir, testEnv(nil))
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc))
	require.Equal(t, int64(2), doc.Version)
	require.Equal(t, "driver_at_doorstep", doc.Actions["cancel"].Reason)
	var versions struct {
		Versions []struct {
			ID            int64          `json:"id"`
			Event         string         `json:"event"`
			Whodunnit     string         `json:"whodunnit"`
			ObjectChanges map[string]any `json:"object_changes"`
		} `json:"versions"`
	}
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/versions", svc, nil, &versions))
	require.Len(t, versions.Versions, 2)
	require.Equal(t, "create", versions.Versions[0].Event)
	require.Equal(t, "update", versions.Versions[1].Event)
	require.Equal(t, []any{nil, "ARRIVED_AT_DOORSTEP"}, versions.Versions[1].ObjectChanges["driver_status"])
}

func TestServeGeneratesSecretsOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	none := func(string) string { return "" }
	srv := startServe(t, dir, none)
	first, err := os.ReadFile(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "service", "--data-dir", dir}, none, &out, io.Discard))
	svc := strings.TrimSpace(out.String())
	require.Contains(t, string(first), svc)

	// The printed service token works; no token does not.
	code := call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": time.Now().Add(time.Hour)}, nil)
	require.Equal(t, http.StatusCreated, code)
	require.Equal(t, http.StatusUnauthorized, call(t, "GET", srv.url+"/v1/orders/o", "", nil, nil))

	// A customer token minted by `eligo token customer` reads its own order.
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--data-dir", dir, "--customer", "c", "--ttl", "5m"}, none, &out, io.Discard))
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/o/eligibility", strings.TrimSpace(out.String()), nil, nil))

	srv.shutdown(t)
	startServe(t, dir, none)
	again, err := os.ReadFile(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	require.Equal(t, first, again, "secrets are generated once")
}

func TestServeRejectsBadPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"actions":{"cancel":{"windows":[{"name":"w","from":"delivered_at"}]}}}`), 0o600))
	err := run(context.Background(), []string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--policy", policy}, testEnv(nil), io.Discard, io.Discard)
	require.ErrorContains(t, err, `unknown timestamp "delivered_at"`)
}

func TestServeWithPolicyFile(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil), "--policy", "../../docs/policies/reschedule.policy.json")
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, 201, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": time.Now().Add(time.Hour)}, nil))
	var doc eligibilityDoc
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/o/eligibility", svc, nil, &doc))
	require.Equal(t, "changed_mind", doc.Actions["cancel"].Reason)
	require.Equal(t, "before_pickup", doc.Actions["reschedule"].Reason)
}

func TestDemoHasNoWrongAnswers(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	err := run(context.Background(), []string{"eligo", "demo", "--addr", "127.0.0.1:0", "--orders", "40", "--promise", "2s", "--ramp", "1s", "--poll", "200ms", "--duration", "6s", "--seed", "7"}, testEnv(nil), &out, io.Discard)
	require.NoError(t, err, out.String())
	summary := out.String()[strings.LastIndex(out.String(), "summary:"):]
	var placed int
	_, err = fmt.Sscanf(summary, "summary: placed %d |", &placed)
	require.NoError(t, err, summary)
	require.GreaterOrEqual(t, placed, 40, "the first batch is placed, and more batches follow: %s", summary)
	require.Contains(t, summary, "errors 0 | wrong answers 0", summary)
	require.NotContains(t, summary, "buttons shown 0,", "some buttons should have appeared")
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"eligo", "launch"}, testEnv(nil), io.Discard, io.Discard)
	require.ErrorContains(t, err, `unknown command "launch"`)
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "version"}, testEnv(nil), &out, io.Discard))
	require.NotEmpty(t, strings.TrimSpace(out.String()))
}

// TestServeLiveStream pins the live stream through the real server: the
// current document first, a push at promised_at with no event at all, and a
// push when the driver arrives.
func TestServeLiveStream(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	const svc = "svc-test-token-for-the-cmd-tests"
	promised := time.Now().UTC().Add(time.Second).Truncate(time.Millisecond)
	require.Equal(t, 201, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": promised}, nil))

	req, err := http.NewRequest("GET", srv.url+"/v1/orders/o/live?access_token="+svc, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	docs := make(chan eligibilityDoc, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var d eligibilityDoc
				if json.Unmarshal([]byte(data), &d) == nil {
					docs <- d
				}
			}
		}
		close(docs)
	}()
	next := func() eligibilityDoc {
		t.Helper()
		select {
		case d, ok := <-docs:
			require.True(t, ok, "stream ended")
			return d
		case <-time.After(5 * time.Second):
			t.Fatal("no document pushed")
		}
		return eligibilityDoc{}
	}

	first := next()
	require.Equal(t, "outside_window", first.Actions["cancel"].Reason)
	atPromise := next()
	require.True(t, atPromise.Actions["cancel"].Allowed, "pushed at promised_at with no event")
	require.False(t, atPromise.AsOf.Before(promised))

	require.Equal(t, 200, call(t, "POST", srv.url+"/v1/events", svc, map[string]any{"event_id": "e", "order_id": "o", "type": "driver_status", "status": "ARRIVED_AT_DOORSTEP"}, nil))
	arrived := next()
	require.Equal(t, int64(2), arrived.Version)
	require.Equal(t, "driver_at_doorstep", arrived.Actions["cancel"].Reason)
}
