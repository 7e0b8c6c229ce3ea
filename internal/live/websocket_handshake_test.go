package live

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// handshake sends an upgrade request with extra headers on a raw socket
// and returns the response head, its body read.
func handshake(t *testing.T, b *testBundle, extra http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+"/orders/ord-1", nil)
	require.NoError(t, err)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	for k, v := range extra {
		req.Header[k] = v
	}
	conn, err := net.Dial("tcp", b.srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, req.Write(conn))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, ""
	}
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// A WebSocket version other than 13 is refused with 426 and the version
// served (RFC 6455, section 4.4), as problem+json, before any slot is
// taken.
func TestWebSocketVersion(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	for _, v := range []string{"8", "12", "14", ""} {
		t.Run("version "+v, func(t *testing.T) {
			resp, body := handshake(t, b, http.Header{"Sec-Websocket-Version": {v}})
			require.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
			require.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
			require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			require.Contains(t, body, `"status":426`)
			require.Contains(t, body, "Sec-WebSocket-Version: 13")
		})
	}
	require.Zero(t, b.conns())
	resp, _ := handshake(t, b, nil)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
}
