package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// An order leaves the hot set once its grace period after it ended is
// over, and is then answered from the store: the same document, byte for
// byte, with the same ETag, and a conditional request still gets 304.
// Reading it does not bring it back into the read model.
func TestEligibilityOfAnOrderPastItsGrace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)
	resp := b.post(t, "/v1/events", event("e-1", "ord-1", "DELIVERED"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	_, held, _ := b.model.Get(t.Context(), "ord-1")
	require.True(t, held, "a delivered order stays for its grace period")

	b.clock.Advance(eligo.DefaultHotGrace + time.Minute)
	hot := b.get(t, "/v1/orders/ord-1/eligibility")
	require.Equal(t, http.StatusOK, hot.StatusCode, "body: %s", hot.body)
	require.Equal(t, 1, b.model.Sweep())
	_, held, _ = b.model.Get(t.Context(), "ord-1")
	require.False(t, held, "the sweep took it out of the hot set")

	for _, from := range []string{"the store", "the engine's cache of cold orders"} {
		cold := b.get(t, "/v1/orders/ord-1/eligibility")
		require.Equal(t, http.StatusOK, cold.StatusCode, "from %s: %s", from, cold.body)
		require.Equal(t, string(hot.body), string(cold.body), "from %s", from)
		require.Equal(t, hot.Header.Get("ETag"), cold.Header.Get("ETag"), "from %s", from)
		require.NotEmpty(t, cold.Header.Get("ETag"))
	}
	notModified := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility", token: serviceToken,
		header: map[string]string{"If-None-Match": hot.Header.Get("ETag")}})
	require.Equal(t, http.StatusNotModified, notModified.StatusCode)
	customer := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility", token: b.customerToken(t, "cust-9")})
	require.Equal(t, http.StatusOK, customer.StatusCode, "the customer reads it too: %s", customer.body)
	require.Equal(t, string(hot.body), string(customer.body))

	_, held, _ = b.model.Get(t.Context(), "ord-1")
	require.False(t, held, "reading a cold order does not bring it back")
	require.Zero(t, b.model.Len())
}
