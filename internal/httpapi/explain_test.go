package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// segmentsPolicy gives Amsterdam five minutes more before cancel opens,
// and a refund, once, until 48 hours before the event starts.
const segmentsPolicy = `{
  "actions": {
    "cancel": {
      "ends_order": true,
      "windows": [{"name": "sla_breached", "from": "promised_at"}],
      "blocks": [{"name": "cancelled", "status": ["CANCELLED"]}, {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]
    },
    "refund": {
      "once": true,
      "windows": [{"name": "before_event", "from": "placed_at", "to": "deadline.event_starts_at-48h"}]
    }
  },
  "segments": [
    {"name": "amsterdam", "match": {"city": ["AMS"]},
     "actions": {"cancel": {"windows": [{"name": "sla_breached_grace", "from": "promised_at+5m"}], "blocks": [{"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]}}}
  ]
}`

func TestEligibilityExplain(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, segmentsPolicy)})
	resp := b.post(t, "/v1/orders", `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z",
		"attributes":{"city":"AMS"},"deadlines":{"event_starts_at":"2025-03-20T20:00:00Z"}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", resp.body)
	b.createOrder(t, "ord-2", "cust-9", t0.Add(10*time.Minute))

	got := b.get(t, "/v1/orders/ord-1/eligibility?explain=true")
	require.Equal(t, http.StatusOK, got.StatusCode, "body: %s", got.body)
	doc := got.json(t)
	require.Equal(t, "ord-1", doc["order_id"])
	explain := doc["explain"].(map[string]any)
	require.Len(t, explain, 2)
	require.Equal(t, map[string]any{
		"segment": "amsterdam",
		"windows": []any{map[string]any{"name": "sla_breached_grace", "matched": false, "from_bound": "promised_at+5m", "to_bound": nil,
			"from": "2025-03-14T12:15:00Z", "to": nil, "missing": []any{}, "next": "2025-03-14T12:15:00Z"}},
		"blocks": []any{map[string]any{"name": "driver_at_doorstep", "matched": false, "status_matched": false, "from_bound": nil,
			"from": nil, "missing": []any{}, "next": nil}},
	}, explain["cancel"])
	refund := explain["refund"].(map[string]any)
	require.Equal(t, "amsterdam", refund["segment"], "the segment's rules, its default rule for refund among them")
	require.Equal(t, map[string]any{"name": "before_event", "matched": true, "from_bound": "placed_at", "to_bound": "deadline.event_starts_at-48h",
		"from": "2025-03-14T12:00:00Z", "to": "2025-03-18T20:00:00Z", "missing": []any{}, "next": "2025-03-18T20:00:00Z"}, refund["windows"].([]any)[0])
	require.Equal(t, "already_taken", refund["blocks"].([]any)[0].(map[string]any)["name"])
	// The cache and the tag cover the explanation: it changes at 12:15,
	// when the window opens.
	require.Equal(t, "private, max-age=5", got.Header.Get("Cache-Control"))
	plain := b.get(t, "/v1/orders/ord-1/eligibility")
	require.NotContains(t, plain.json(t), "explain")
	require.NotEqual(t, plain.Header.Get("ETag"), got.Header.Get("ETag"))
	etag := got.Header.Get("ETag")
	notModified := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?explain=true", token: serviceToken, header: map[string]string{"If-None-Match": etag}})
	require.Equal(t, http.StatusNotModified, notModified.StatusCode)

	// An order without the deadline: the window never opens, and says why.
	other := b.get(t, "/v1/orders/ord-2/eligibility?explain=true&action=refund").json(t)
	require.Len(t, other["actions"], 1)
	w := other["explain"].(map[string]any)["refund"].(map[string]any)["windows"].([]any)[0].(map[string]any)
	require.Equal(t, []any{"deadline.event_starts_at"}, w["missing"])
	require.Nil(t, w["to"])
	require.Equal(t, false, w["matched"])
	require.Nil(t, other["explain"].(map[string]any)["refund"].(map[string]any)["segment"])

	t.Run("service token only", func(t *testing.T) {
		tok := b.customerToken(t, "cust-9")
		requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?explain=true", token: tok}), http.StatusForbidden)
		requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?explain=true&access_token=" + tok}), http.StatusForbidden)
		ok := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?explain=false", token: tok})
		require.Equal(t, http.StatusOK, ok.StatusCode)
		require.NotContains(t, ok.json(t), "explain")
	})
	t.Run("explain is true or false", func(t *testing.T) {
		requireProblem(t, b.get(t, "/v1/orders/ord-1/eligibility?explain=yes"), http.StatusBadRequest)
		requireProblem(t, b.get(t, "/v1/orders/ord-1/eligibility?explain=true&explain=true"), http.StatusBadRequest)
	})
}
