package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/readmodel"
)

// A browser's WebSocket may carry the access token as the subprotocol
// eligo.token.<token>, beside eligo.v1, so that it stays out of the URL.
// It is read only on a WebSocket upgrade, and a header's token wins.
func TestLiveTokenInSubprotocol(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "mine", "cust-1", promised)
	b.createOrder(t, "theirs", "cust-2", promised)
	b.clock.Set(t0.Add(-2 * time.Hour))
	expired := b.customerToken(t, "cust-1")
	b.clock.Set(promised.Add(-time.Minute))
	mine := b.customerToken(t, "cust-1")

	upgrade := func(protocols string) map[string]string {
		return map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Protocol": protocols}
	}
	tests := []struct {
		name   string
		req    req
		status int
	}{
		{"token beside eligo.v1", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1, eligo.token." + mine)}, 200},
		{"token first", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.token." + mine + ", eligo.v1")}, 200},
		{"service token", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1, eligo.token." + serviceToken)}, 200},
		{"header wins", req{method: "GET", path: "/v1/orders/mine/live", token: serviceToken, header: upgrade("eligo.v1, eligo.token.guess")}, 200},

		{"other customer's order", req{method: "GET", path: "/v1/orders/theirs/live", header: upgrade("eligo.v1, eligo.token." + mine)}, 403},
		{"expired token", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1, eligo.token." + expired)}, 401},
		{"unknown token", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1, eligo.token.guess")}, 401},
		{"empty token", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1, eligo.token.")}, 401},
		{"eligo.v1 alone", req{method: "GET", path: "/v1/orders/mine/live", header: upgrade("eligo.v1")}, 401},
		{"not an upgrade", req{method: "GET", path: "/v1/orders/mine/live", header: map[string]string{"Sec-WebSocket-Protocol": "eligo.v1, eligo.token." + mine}}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, tt.req)
			if tt.status >= 400 {
				requireProblem(t, resp, tt.status)
				return
			}
			require.Equal(t, tt.status, resp.StatusCode, "body: %s", resp.body)
		})
	}
	require.Equal(t, []string{"mine/cust-1", "mine/cust-1", "mine/", "mine/"}, b.live.served)
}

// End to end with the live hub: a browser-like client offers eligo.v1 and
// eligo.token.<jwt> on a URL without a token, is answered eligo.v1 and
// reads the order's document; the token is in no log line.
func TestLiveWebSocketWithSubprotocolToken(t *testing.T) {
	t.Parallel()
	var now atomic.Pointer[func() time.Time]
	hub, err := live.New(live.Config{ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(),
		Now: func() time.Time { return (*now.Load())() }})
	require.NoError(t, err)
	b := setup(t, setupOpts{streamer: hub, logLevel: slog.LevelDebug})
	clock := b.clock.Now
	now.Store(&clock)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, hub.Shutdown(ctx))
	})
	b.createOrder(t, "mine", "cust-1", t0.Add(10*time.Minute))
	mine := b.customerToken(t, "cust-1")

	url := "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/v1/orders/mine/live"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"eligo.v1", "eligo.token." + mine}})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, "eligo.v1", resp.Header.Get("Sec-WebSocket-Protocol"))
	typ, data, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	require.Contains(t, string(data), `"order_id":"mine"`)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	require.Contains(t, b.logs.String(), "/v1/orders/mine/live", "the request is logged")
	require.NotContains(t, b.logs.String(), mine)
}

// The live hub's refusal of a WebSocket version other than 13 is written
// by the API's one problem+json writer: 426, type upgrade-required, with
// the version served.
func TestLiveWebSocketVersionIsProblem(t *testing.T) {
	t.Parallel()
	hub, err := live.New(live.Config{ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	b := setup(t, setupOpts{streamer: hub})
	b.createOrder(t, "mine", "cust-1", t0.Add(10*time.Minute))
	resp := b.do(t, req{method: "GET", path: "/v1/orders/mine/live", token: serviceToken, header: map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "8"}})
	p := requireProblem(t, resp, http.StatusUpgradeRequired)
	require.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
	require.Equal(t, "https://eligo.dev/problems/upgrade-required", p["type"])
	require.EqualValues(t, 426, p["status"])
}
