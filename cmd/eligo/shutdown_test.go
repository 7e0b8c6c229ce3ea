package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeShutdownDelay pins the drain of `eligo serve --shutdown-delay`:
// once told to stop, /readyz answers 503 for the delay while the listener
// stays open and every other request is served on new connections; then
// the graceful shutdown begins and ends within --shutdown-timeout, even
// with a request that never finishes.
func TestServeShutdownDelay(t *testing.T) {
	t.Parallel()
	const delay, timeout = 2 * time.Second, time.Second
	rs := startServe(t, t.TempDir(), testEnv(nil), "--shutdown-delay", delay.String(), "--shutdown-timeout", timeout.String(), "--body-timeout", "1m")
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", rs.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(path string) (int, error) {
		req, err := http.NewRequest("GET", rs.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+svc)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	code, err := get("/readyz")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)

	// A request whose body never arrives: the shutdown cannot drain it and
	// must end at --shutdown-timeout anyway.
	c, err := net.Dial("tcp", strings.TrimPrefix(rs.url, "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST /v1/events HTTP/1.1\r\nHost: eligo\r\nAuthorization: Bearer "+svc+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[")
	require.NoError(t, err)

	stopped := time.Now()
	rs.stop()
	rs.stop = nil // this test waits for the end itself
	notReady := false
	for !notReady && time.Since(stopped) < delay/2 {
		code, err := get("/readyz")
		require.NoError(t, err, "the listener stays open during the delay")
		notReady = code == http.StatusServiceUnavailable
	}
	require.True(t, notReady, "/readyz answers 503 once told to stop")
	code, err = get("/v1/orders/o")
	require.NoError(t, err, "requests are still served during the delay")
	require.Equal(t, http.StatusOK, code)
	code, err = get("/healthz")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "alive while draining")
	select {
	case err := <-rs.done:
		t.Fatalf("serve ended %s after the stop, before the %s delay: %v", time.Since(stopped), delay, err)
	default:
	}

	select {
	case <-rs.done: // an error: the hanging request was cut off
	case <-time.After(delay + timeout + 10*time.Second):
		t.Fatalf("serve did not end within --shutdown-timeout after the delay\n%s", rs.output.String())
	}
	require.GreaterOrEqual(t, time.Since(stopped), delay, "the listener closed before the delay")
	_, err = get("/healthz")
	require.Error(t, err, "the listener is closed")
}

// TestSignalIsTheStopReason pins the cause the "stopped" line reports: the
// signal that ended the command.
func TestSignalIsTheStopReason(t *testing.T) {
	ctx, stop := signalContext()
	defer stop()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not end the context")
	}
	require.EqualError(t, context.Cause(ctx), "received terminated")
}
