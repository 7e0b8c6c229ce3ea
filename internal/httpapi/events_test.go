package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func results(t *testing.T, resp *response) []any {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	return resp.json(t)["results"].([]any)
}

func TestEventsOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	// A single object is accepted as well as an array.
	require.Equal(t, []any{map[string]any{"event_id": "e-1", "outcome": "applied", "version": float64(2)}},
		results(t, b.post(t, "/v1/events", event("e-1", "ord-1", "ARRIVED_AT_DOORSTEP"))))

	require.Equal(t, []any{
		map[string]any{"event_id": "e-1", "outcome": "duplicate"},
		// Pins monotonicity: a late PICKED_UP never undoes the arrival.
		map[string]any{"event_id": "e-2", "outcome": "stale"},
	}, results(t, b.post(t, "/v1/events", "["+event("e-1", "ord-1", "ARRIVED_AT_DOORSTEP")+","+event("e-2", "ord-1", "PICKED_UP")+"]")))

	require.Equal(t, "ARRIVED_AT_DOORSTEP", b.get(t, "/v1/orders/ord-1").json(t)["driver_status"])
}

func TestEventsBatchWithBadEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	b.createOrder(t, "ord-2", "cust-9", t0.Add(10*time.Minute))

	body := `[` +
		event("e-1", "ord-1", "ASSIGNED") + `,` +
		event("e-2", "ord-1", "TELEPORTED") + `,` +
		event("e-3", "ord-404", "ASSIGNED") + `,` +
		`{"event_id":"e-4","order_id":"ord-2","type":"refund","status":"PAID"},` +
		`{"event_id":"e-5","order_id":"ord-2","type":"payment","status":"PAID","occurred_at":"2025-03-14T11:59:00Z"}` +
		`]`
	res := results(t, b.post(t, "/v1/events", body))
	require.Len(t, res, 5)
	outcomes := make([]string, len(res))
	for i, r := range res {
		m := r.(map[string]any)
		require.Equal(t, "e-"+string(rune('1'+i)), m["event_id"], "results are in input order")
		outcomes[i] = m["outcome"].(string)
		if outcomes[i] == "rejected" {
			require.NotEmpty(t, m["error"])
			require.NotContains(t, m, "version")
		} else {
			require.NotContains(t, m, "error")
		}
	}
	require.Equal(t, []string{"applied", "rejected", "rejected", "rejected", "stale"}, outcomes)
	require.Contains(t, res[1].(map[string]any)["error"], `unknown driver status "TELEPORTED"`)

	require.Equal(t, "ASSIGNED", b.get(t, "/v1/orders/ord-1").json(t)["driver_status"])
}

func TestEventsMalformedBatchAppliesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	tests := []struct{ name, body, detail string }{
		{"second event malformed", `[` + event("e-1", "ord-1", "ASSIGNED") + `,{"event_id":"e-2",` + `]`, ""},
		{"unknown field", `[` + event("e-1", "ord-1", "ASSIGNED") + `,{"event_id":"e-2","order_id":"ord-1","type":"payment","status":"PAID","extra":1}]`,
			`event [1] has an unknown member "extra"; expected only event_id, order_id, type, status, attributes, name, at and occurred_at`},
		{"member name in another case", `[` + event("e-1", "ord-1", "ASSIGNED") + `,{"event_id":"e-2","Order_ID":"ord-1","type":"payment","status":"PAID"}]`,
			`event [1] has the member "Order_ID"; member names are case-sensitive: send "order_id"`},
		{"member twice", `{"event_id":"e-2","order_id":"ord-1","type":"payment","status":"PAID","status":"FAILED"}`,
			`the event has the member "status" twice; send each member once`},
		{"empty occurred_at", `{"event_id":"e-2","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":""}`,
			`occurred_at of the event is ""; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"number in occurred_at", `{"event_id":"e-2","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":1741953660}`,
			`field "occurred_at" of the event is a JSON number; expected a string`},
		{"bad occurred_at", `[` + event("e-1", "ord-1", "ASSIGNED") + `,{"event_id":"e-2","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":"yesterday"}]`,
			`occurred_at of event [1] is "yesterday"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"empty array", `[]`, "the batch holds 0 events; send 1 to 1000"},
		{"not an object", `"ASSIGNED"`, "the event is a JSON string; expected an object with event_id, order_id, type, status, attributes, name, at and occurred_at"},
		{"trailing data", event("e-1", "ord-1", "ASSIGNED") + `x`, "the event has data after its JSON value; send exactly one"},
		{"number where a string goes", `[{"event_id":1,"order_id":"ord-1","type":"payment","status":"PAID"}]`,
			`field "event_id" of event [0] is a JSON number; expected a string`},
		{"not an event in the array", `[` + event("e-1", "ord-1", "ASSIGNED") + `,7]`, "event [1] is a JSON number; expected an object with event_id, order_id, type, status, attributes, name, at and occurred_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.store.updates.Load()
			p := requireProblem(t, b.post(t, "/v1/events", tt.body), http.StatusBadRequest)
			if tt.detail != "" {
				require.Equal(t, tt.detail, p["detail"])
			}
			require.Equal(t, before, b.store.updates.Load(), "a refused body reaches the store")
		})
	}
	require.Nil(t, b.get(t, "/v1/orders/ord-1").json(t)["driver_status"])

	t.Run("too many events", func(t *testing.T) {
		body := []byte{'['}
		for i := range 1001 {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, event("e", "ord-1", "ASSIGNED")...)
		}
		body = append(body, ']')
		p := requireProblem(t, b.post(t, "/v1/events", string(body)), http.StatusBadRequest)
		require.Equal(t, "the batch holds 1001 events; send 1 to 1000", p["detail"])
	})
}
