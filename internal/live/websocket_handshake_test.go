package live

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
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
// served (RFC 6455, section 4.4), before any slot is taken (httpapi writes
// the refusal as problem+json: TestLiveWebSocketVersionIsProblem).
func TestWebSocketVersion(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	for _, v := range []string{"8", "12", "14", ""} {
		t.Run("version "+v, func(t *testing.T) {
			resp, body := handshake(t, b, http.Header{"Sec-Websocket-Version": {v}})
			require.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
			require.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
			require.Contains(t, body, "Sec-WebSocket-Version: 13")
		})
	}
	require.Zero(t, b.conns())
	resp, _ := handshake(t, b, nil)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
}

// The subprotocol: eligo.v1 is answered when offered, alone or beside a
// token (which is never echoed); a client that offers only other
// subprotocols is told which to offer, instead of an upgrade its browser
// would fail for want of one; no offer is an upgrade without one.
func TestWebSocketSubprotocol(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	cases := []struct {
		name     string
		offered  []string // Sec-WebSocket-Protocol headers
		status   int
		protocol string // the Sec-WebSocket-Protocol answered
	}{
		{"none", nil, http.StatusSwitchingProtocols, ""},
		{"eligo.v1", []string{"eligo.v1"}, http.StatusSwitchingProtocols, Subprotocol},
		{"eligo.v1 and a token", []string{"eligo.v1, eligo.token.eyJhbGciOi.eyJzdWIiOi.c2ln"}, http.StatusSwitchingProtocols, Subprotocol},
		{"token first, in two headers", []string{"eligo.token.abc", "chat, eligo.v1"}, http.StatusSwitchingProtocols, Subprotocol},
		{"unknown only", []string{"chat"}, http.StatusBadRequest, ""},
		{"token without eligo.v1", []string{"eligo.token.abc"}, http.StatusBadRequest, ""},
		{"another version", []string{"eligo.v2"}, http.StatusBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var h http.Header
			if tc.offered != nil {
				h = http.Header{"Sec-Websocket-Protocol": tc.offered}
			}
			resp, body := handshake(t, b, h)
			require.Equal(t, tc.status, resp.StatusCode, body)
			require.Equal(t, tc.protocol, resp.Header.Get("Sec-WebSocket-Protocol"))
			if tc.status != http.StatusSwitchingProtocols {
				require.Contains(t, body, "offer eligo.v1")
			}
		})
	}
}

// A real client that offers eligo.v1 and a token connects, is answered
// eligo.v1 and reads the document.
func TestWebSocketSubprotocolClient(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c, resp, err := websocket.Dial(context.Background(), wsURL(b, "ord-1"), &websocket.DialOptions{
		Subprotocols: []string{Subprotocol, "eligo.token.eyJhbGciOi.eyJzdWIiOi.c2ln"},
	})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, Subprotocol, resp.Header.Get("Sec-WebSocket-Protocol"))
	require.Equal(t, Subprotocol, c.Subprotocol())
	require.EqualValues(t, 1, readWS(t, c).Version)
}
