package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cancelDecision returns actions.cancel of an eligibility document.
func cancelDecision(t *testing.T, resp *response) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	actions := resp.json(t)["actions"].(map[string]any)
	return actions["cancel"].(map[string]any)
}

func TestEligibilityFlipsAtPromisedAt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)

	resp := b.get(t, "/v1/orders/ord-1/eligibility")
	doc := resp.json(t)
	require.Equal(t, "ord-1", doc["order_id"])
	require.Equal(t, float64(1), doc["version"])
	require.Equal(t, "2025-03-14T12:00:00.000Z", doc["as_of"])
	require.Equal(t, map[string]any{"allowed": false, "reason": "outside_window", "until": "2025-03-14T12:10:00Z"}, cancelDecision(t, resp))
	require.Equal(t, "private, max-age=5", resp.Header.Get("Cache-Control"))
	before := resp.Header.Get("ETag")

	// One nanosecond before the boundary the answer has not changed.
	b.clock.Set(promised.Add(-time.Nanosecond))
	resp = b.get(t, "/v1/orders/ord-1/eligibility?action=cancel")
	require.Equal(t, false, cancelDecision(t, resp)["allowed"])
	require.Equal(t, before, resp.Header.Get("ETag"), "the same answer keeps its tag")
	require.Equal(t, "private, max-age=0", resp.Header.Get("Cache-Control"), "under a second left: not cacheable")

	b.clock.Set(promised)
	resp = b.get(t, "/v1/orders/ord-1/eligibility")
	require.Equal(t, map[string]any{"allowed": true, "reason": "sla_breached", "until": nil}, cancelDecision(t, resp))
	require.NotEqual(t, before, resp.Header.Get("ETag"))
	require.Equal(t, "private, max-age=5", resp.Header.Get("Cache-Control"))
}

func TestEligibilityCaching(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{maxAge: time.Minute})
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)

	resp := b.get(t, "/v1/orders/ord-1/eligibility")
	etag := resp.Header.Get("ETag")
	// Weak: two 200s with this tag differ in as_of (RFC 9110, section 8.8.1).
	require.Regexp(t, `^W/"v1-[0-9a-z]+"$`, etag)
	strong := etag[len("W/"):]

	tests := []struct {
		name        string
		now         time.Time
		ifNoneMatch string
		status      int
		maxAge      string
	}{
		{"cap applies far from until", t0, etag, http.StatusNotModified, "60"},
		{"max-age stops at until, rounded down", promised.Add(-2500 * time.Millisecond), etag, http.StatusNotModified, "2"},
		{"exactly one second left", promised.Add(-time.Second), etag, http.StatusNotModified, "1"},
		{"weak form matches", t0, etag, http.StatusNotModified, "60"},
		{"strong form matches too: the comparison is weak", t0, strong, http.StatusNotModified, "60"},
		{"in a list", t0, `"x", ` + etag + `, "y"`, http.StatusNotModified, "60"},
		{"strong form in a list", t0, `W/"x",` + strong, http.StatusNotModified, "60"},
		{"star", t0, "*", http.StatusNotModified, "60"},
		{"another tag", t0, `"v1-other"`, http.StatusOK, "60"},
		{"malformed", t0, `v1, "v1-`, http.StatusOK, "60"},
		// Pins: after the boundary the old tag no longer matches.
		{"stale tag after until", promised, etag, http.StatusOK, "60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.clock.Set(tt.now)
			resp := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility", token: serviceToken,
				header: map[string]string{"If-None-Match": tt.ifNoneMatch}})
			require.Equal(t, tt.status, resp.StatusCode, "body: %s", resp.body)
			require.Equal(t, "private, max-age="+tt.maxAge, resp.Header.Get("Cache-Control"))
			require.NotEmpty(t, resp.Header.Get("ETag"))
			if tt.status == http.StatusNotModified {
				require.Empty(t, resp.body)
				require.Equal(t, etag, resp.Header.Get("ETag"))
			}
		})
	}
}

func TestEligibilityArrivalHidesCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)
	b.clock.Set(promised.Add(time.Minute))
	open := b.get(t, "/v1/orders/ord-1/eligibility")
	require.Equal(t, true, cancelDecision(t, open)["allowed"])

	resp := b.post(t, "/v1/events", event("e-1", "ord-1", "ARRIVED_AT_DOORSTEP"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)

	closed := b.get(t, "/v1/orders/ord-1/eligibility")
	require.Equal(t, map[string]any{"allowed": false, "reason": "driver_at_doorstep", "until": nil}, cancelDecision(t, closed))
	require.Equal(t, float64(2), closed.json(t)["version"])
	require.NotEqual(t, open.Header.Get("ETag"), closed.Header.Get("ETag"))
}

func TestEligibilityErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(time.Minute))

	p := requireProblem(t, b.get(t, "/v1/orders/ord-1/eligibility?action=refund"), http.StatusBadRequest)
	require.Equal(t, `unknown action "refund"; expected one of: cancel`, p["detail"])

	p = requireProblem(t, b.get(t, "/v1/orders/ord-2/eligibility"), http.StatusNotFound)
	require.Equal(t, "https://eligo.dev/problems/not-found", p["type"])
	require.Equal(t, "/v1/orders/ord-2/eligibility", p["instance"])
	require.Empty(t, p["reason"])
}
