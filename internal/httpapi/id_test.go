package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Ids with invalid UTF-8 were decoded to U+FFFD, so "ord-\xff" and
// "ord-\xfe" were the same order and an event for one was applied to the
// other. Bodies and paths refuse them with 400, naming the character and
// its byte position (a body with invalid UTF-8 anywhere, an id included, is
// refused by the strict JSON reader, which names the byte).
func TestInvalidIDsAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const promised = `"promised_at":"2025-03-14T12:10:00Z"`
	p := requireProblem(t, b.post(t, "/v1/orders", "{\"id\":\"ord-\xff\",\"customer_id\":\"c\","+promised+"}"), http.StatusBadRequest)
	require.Equal(t, "https://eligo.dev/problems/invalid", p["type"])
	require.Contains(t, p["detail"], "at byte 12): invalid UTF-8")
	p = requireProblem(t, b.post(t, "/v1/orders", "{\"id\":\"ord-\\ud800\",\"customer_id\":\"c\","+promised+"}"), http.StatusBadRequest)
	require.Contains(t, p["detail"], "invalid")
	p = requireProblem(t, b.post(t, "/v1/orders", "{\"id\":\"ord-1\",\"customer_id\":\"c\\u200b\","+promised+"}"), http.StatusBadRequest)
	require.Contains(t, p["detail"], "U+200B at byte 1")

	p = requireProblem(t, b.post(t, "/v1/events", event("e-1", "ord-\xfe", "ASSIGNED")), http.StatusBadRequest)
	require.Contains(t, p["detail"], "invalid UTF-8")
	resp := b.post(t, "/v1/events", event("e-1", "ord-\u200b", "ASSIGNED"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	require.Contains(t, string(resp.body), `"outcome":"rejected"`)
	require.Contains(t, string(resp.body), "U+200B at byte 4")

	for path, detail := range map[string]string{
		"/v1/orders/ord-%FF":                "invalid UTF-8 (byte 0xFF) at byte 4",
		"/v1/orders/ord-%EF%BF%BD":          "U+FFFD at byte 4",
		"/v1/orders/%E2%80%AEdro":           "U+202E at byte 0",
		"/v1/orders/ord-%C2%A0/eligibility": "U+00A0 at byte 4",
		"/v1/orders/ord-%C2%85/versions":    "U+0085 at byte 4",
	} {
		p := requireProblem(t, b.get(t, path), http.StatusBadRequest)
		require.Contains(t, p["detail"], detail, path)
	}
	// Pins: nothing reached the store, and a valid id still works.
	b.createOrder(t, "ord-1", "c", time.Date(2025, 3, 14, 12, 10, 0, 0, time.UTC))
	requireProblem(t, b.get(t, "/v1/orders/ord-2"), http.StatusNotFound)
}
