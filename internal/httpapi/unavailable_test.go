package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// Issue 11.5: a store that cannot answer in time is 503 problem+json with
// Retry-After, never 500, and /readyz is false while it cannot answer and
// true again when it can.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	// What eligo.StoreCall makes of a call past the store's deadline.
	var timedOut error = eligo.Errorf(eligo.EUNAVAILABLE, "the store did not answer within 5s; retry shortly")
	b.store.fail.Store(&timedOut)
	resp := b.post(t, "/v1/events", event("e-1", "ord-1", "ASSIGNED"))
	p := requireProblem(t, resp, http.StatusServiceUnavailable)
	require.Equal(t, "https://eligo.dev/problems/unavailable", p["type"])
	require.Contains(t, p["detail"], "retry")
	require.Equal(t, "1", resp.Header.Get("Retry-After"))

	require.Equal(t, http.StatusOK, b.get(t, "/readyz").StatusCode)
	b.store.pingFail.Store(&timedOut)
	resp = b.get(t, "/readyz")
	requireProblem(t, resp, http.StatusServiceUnavailable)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	require.Equal(t, http.StatusOK, b.get(t, "/healthz").StatusCode, "liveness does not ask the store")

	b.store.pingFail.Store(nil)
	b.store.fail.Store(nil)
	require.Equal(t, http.StatusOK, b.get(t, "/readyz").StatusCode)
	require.Equal(t, "applied", results(t, b.post(t, "/v1/events", event("e-1", "ord-1", "ASSIGNED")))[0].(map[string]any)["outcome"])
}
