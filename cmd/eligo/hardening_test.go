package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeHardening pins the guards of a real `eligo serve`, in front of
// its outer mux (River UI, demo page): an unclean path is a problem+json
// 404, not the mux's 307; a body that does not arrive within
// --body-timeout is answered 400 and its connection closed, while a normal
// client is served; --max-conns is published as a metric.
func TestServeHardening(t *testing.T) {
	t.Parallel()
	rs := startServe(t, t.TempDir(), testEnv(nil), "--body-timeout", "300ms", "--max-conns", "64")
	addr := strings.TrimPrefix(rs.url, "http://")

	raw := func(request string) (*http.Response, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
		_, err = io.WriteString(c, request)
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "no answer")
		return resp, br
	}

	resp, _ := raw("GET /v1/./orders/x HTTP/1.1\r\nHost: eligo\r\nAuthorization: Bearer svc-test-token-for-the-cmd-tests\r\n\r\n")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.Empty(t, resp.Header.Get("Location"))

	slow, br := raw("POST /v1/events HTTP/1.1\r\nHost: eligo\r\nAuthorization: Bearer svc-test-token-for-the-cmd-tests\r\n" +
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[")
	body, err := io.ReadAll(slow.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, slow.StatusCode, "body: %s", body)
	require.Contains(t, string(body), "the request body did not arrive within 300ms")
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the slow connection stays open")

	var metrics string
	mresp, err := http.Get(rs.url + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(mresp.Body)
	require.NoError(t, err)
	_ = mresp.Body.Close()
	metrics = string(b)
	require.Contains(t, metrics, "eligo_http_max_connections 64")
	require.Contains(t, metrics, "eligo_http_open_connections ")
}
