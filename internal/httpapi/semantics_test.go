package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A body over the limit is 413 Content Too Large (RFC 9110, section
// 15.5.14), not 400, on every route that reads one, and nothing is applied.
func TestBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(time.Minute))
	big := `[` + strings.Repeat(event("e-1", "ord-1", "ASSIGNED")+",", (1<<20)/60) + event("e-2", "ord-1", "ASSIGNED") + `]`
	require.Greater(t, len(big), 1<<20)
	for _, path := range []string{"/v1/events", "/v1/orders"} {
		p := requireProblem(t, b.post(t, path, big), http.StatusRequestEntityTooLarge)
		require.Equal(t, "https://eligo.dev/problems/too-large", p["type"], path)
		require.Equal(t, "the request body is larger than 1048576 bytes", p["detail"], path)
	}
	require.Equal(t, float64(1), b.get(t, "/v1/orders/ord-1").json(t)["version"], "nothing was applied")
}

// A token the live stream refuses after the access checks (it expired) is
// a token given and refused: Bearer error="invalid_token" (RFC 6750).
func TestLiveRefusedTokenIsInvalidToken(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	b.createOrder(t, "expiring", "cust-1", t0.Add(time.Minute))
	resp := b.do(t, req{method: http.MethodGet, path: "/v1/orders/expiring/live", token: b.customerToken(t, "cust-1")})
	p := requireProblem(t, resp, http.StatusUnauthorized)
	require.Equal(t, "the access token has expired; get a new one", p["detail"])
	require.Equal(t, []string{`Bearer error="invalid_token"`}, resp.Header.Values("WWW-Authenticate"))
}
