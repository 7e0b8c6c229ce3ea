package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
)

// TestLogsHoldNoToken runs a server at debug level through every way a
// token arrives (Authorization, the access_token parameter, the WebSocket
// subprotocol), with good and refused tokens, and greps its whole log for
// each token used.
func TestLogsHoldNoToken(t *testing.T) {
	t.Parallel()
	env := testEnv(nil)
	srv := startServe(t, t.TempDir(), env, "--log-level", "debug")
	secret := []byte(env("ELIGO_CUSTOMER_TOKEN_SECRET"))
	customer, err := auth.MintCustomerToken(secret, "cust-1", time.Hour, time.Now())
	require.NoError(t, err)
	stranger, err := auth.MintCustomerToken(secret, "cust-2", time.Hour, time.Now())
	require.NoError(t, err)
	forged, err := auth.MintCustomerToken([]byte("another-secret-0123456789abcdef0"), "cust-1", time.Hour, time.Now())
	require.NoError(t, err)
	service := env("ELIGO_SERVICE_TOKENS")
	tokens := map[string]string{"service": service, "customer": customer, "stranger": stranger, "forged": forged}

	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", service,
		map[string]any{"id": "ord-1", "customer_id": "cust-1", "promised_at": time.Now().Add(time.Hour)}, nil))
	for _, tok := range []string{customer, stranger, forged} {
		call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", tok, nil, nil)
		call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility?access_token="+tok, "", nil, nil)
		call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility?access_token="+tok+"&access_token="+tok, "", nil, nil)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.url, "http") + "/v1/orders/ord-1/live"
	c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"eligo.v1", "eligo.token." + customer}})
	require.NoError(t, err)
	_, _, err = c.Read(ctx)
	require.NoError(t, err, "the first document")
	_ = c.Close(websocket.StatusNormalClosure, "")
	_, _, err = websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"eligo.v1", "eligo.token." + forged}})
	require.Error(t, err, "a forged token is refused")
	call(t, "POST", srv.url+"/v1/orders/ord-1/cancel", stranger, nil, nil)
	require.NotEqual(t, http.StatusUnauthorized, call(t, "POST", srv.url+"/v1/orders/ord-1/cancel", customer, nil, nil), "the owner is heard")
	srv.shutdown(t)

	log := srv.output.String()
	require.Contains(t, log, `"msg":"request"`, "the requests were logged")
	for name, tok := range tokens {
		require.NotContains(t, log, tok, "the %s token is in the log", name)
		// A token's signature alone is as good as the token.
		if i := strings.LastIndexByte(tok, '.'); i > 0 {
			require.NotContains(t, log, tok[i+1:], "the %s token's signature is in the log", name)
		}
	}
}
