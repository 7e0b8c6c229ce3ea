package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateOrderWithAttributesAndDeadlines(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, segmentsPolicy)})
	resp := b.post(t, "/v1/orders", `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z",
		"attributes":{"city":"AMS","merchant":"m-17"},"deadlines":{"event_starts_at":"2025-03-20T21:00:00+01:00"}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", resp.body)
	doc := resp.json(t)
	require.Equal(t, map[string]any{"city": "AMS", "merchant": "m-17"}, doc["attributes"])
	require.Equal(t, map[string]any{"event_starts_at": "2025-03-20T20:00:00Z"}, doc["deadlines"], "in UTC")
	require.Equal(t, []any{}, doc["taken"])

	el := b.get(t, "/v1/orders/ord-1/eligibility").json(t)["actions"].(map[string]any)
	require.Equal(t, map[string]any{"allowed": true, "reason": "before_event", "until": "2025-03-18T20:00:00Z"}, el["refund"], "the deadline is in force")
	require.Equal(t, "2025-03-14T12:15:00Z", el["cancel"].(map[string]any)["until"], "the segment is in force")

	many := make([]string, 17)
	for i := range many {
		many[i] = `"k` + string(rune('a'+i)) + `":"v"`
	}
	for name, tt := range map[string]struct{ members, detail string }{
		"too many attributes":        {`"attributes":{` + strings.Join(many, ",") + `}`, "attributes has 17 entries; the limit is 16"},
		"an attribute not a string":  {`"attributes":{"city":1}`, `member "city" of field "attributes" of the request body is a JSON number; expected a string`},
		"attributes not an object":   {`"attributes":"city=AMS"`, `field "attributes" of the request body is a JSON string; expected an object`},
		"an empty attribute value":   {`"attributes":{"city":""}`, "attributes.city is empty; an attribute key or value is 1 to 64 printable characters"},
		"a deadline not a timestamp": {`"deadlines":{"event_starts_at":"tomorrow"}`, `deadlines.event_starts_at is "tomorrow"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		"a deadline name":            {`"deadlines":{"Event":"2025-03-20T20:00:00Z"}`, `deadline name "Event" is not a deadline name; expected [a-z][a-z0-9_]{0,31}`},
		"a built-in anchor":          {`"deadlines":{"promised_at":"2025-03-20T20:00:00Z"}`, `deadline name "promised_at" is one of the order's own timestamps; a named deadline needs another name`},
		"deadlines not an object":    {`"deadlines":["x"]`, `field "deadlines" of the request body is a JSON array; expected an object`},
	} {
		body := `{"id":"ord-bad","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z",` + tt.members + `}`
		p := requireProblem(t, b.post(t, "/v1/orders", body), http.StatusBadRequest)
		require.Equal(t, tt.detail, p["detail"], name)
	}
	requireProblem(t, b.get(t, "/v1/orders/ord-bad"), http.StatusNotFound)
}

// A create repeated with the same attributes and deadlines is the same
// order (200). Needs the store to keep them (stores17).
func TestCreateOrderWithAttributesRepeated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z","attributes":{"city":"AMS"},"deadlines":{"event_starts_at":"2025-03-20T20:00:00Z"}}`
	first := b.post(t, "/v1/orders", body)
	require.Equal(t, http.StatusCreated, first.StatusCode, "body: %s", first.body)
	again := b.post(t, "/v1/orders", body)
	require.Equal(t, http.StatusOK, again.StatusCode, "body: %s", again.body)
	require.JSONEq(t, string(first.body), string(again.body))
	requireProblem(t, b.post(t, "/v1/orders", strings.Replace(body, "AMS", "BER", 1)), http.StatusConflict)
}

// Attributes and deadline events over POST /v1/events change the order,
// and so the answers: a deadline moves until, attributes move the order
// into a segment.
func TestAttributesAndDeadlineEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, segmentsPolicy)})
	b.createOrder(t, "ord-d", "cust-9", t0.Add(10*time.Minute))
	b.createOrder(t, "ord-a", "cust-9", t0.Add(10*time.Minute))
	refund := func(id string) any {
		return b.get(t, "/v1/orders/"+id+"/eligibility").json(t)["actions"].(map[string]any)["refund"]
	}
	require.Equal(t, map[string]any{"allowed": false, "reason": "outside_window", "until": nil}, refund("ord-d"), "no deadline: never opens")

	got := results(t, b.post(t, "/v1/events", `{"event_id":"d-1","order_id":"ord-d","type":"deadline","name":"event_starts_at","at":"2025-03-20T20:00:00Z"}`))
	require.Equal(t, "applied", got[0].(map[string]any)["outcome"], "%v", got)
	require.Equal(t, map[string]any{"allowed": true, "reason": "before_event", "until": "2025-03-18T20:00:00Z"}, refund("ord-d"))
	require.Equal(t, map[string]any{"event_starts_at": "2025-03-20T20:00:00Z"}, b.get(t, "/v1/orders/ord-d").json(t)["deadlines"])

	got = results(t, b.post(t, "/v1/events", `[{"event_id":"a-1","order_id":"ord-a","type":"attributes","attributes":{"city":"AMS"}}]`))
	require.Equal(t, "applied", got[0].(map[string]any)["outcome"], "%v", got)
	require.Equal(t, map[string]any{"city": "AMS"}, b.get(t, "/v1/orders/ord-a").json(t)["attributes"])
	cancel := b.get(t, "/v1/orders/ord-a/eligibility").json(t)["actions"].(map[string]any)["cancel"].(map[string]any)
	require.Equal(t, "2025-03-14T12:15:00Z", cancel["until"], "in the amsterdam segment")

	// Refused whole: a member the type does not take.
	p := requireProblem(t, b.post(t, "/v1/events", `{"event_id":"a-2","order_id":"ord-a","type":"attributes","attributes":{"city":"AMS"},"status":"PAID"}`), http.StatusBadRequest)
	require.Equal(t, `the event has the member "status", which an event of type "attributes" does not take; an attributes event holds attributes`, p["detail"])
	// Rejected alone: over the limits of an order.
	got = results(t, b.post(t, "/v1/events", `{"event_id":"a-3","order_id":"ord-a","type":"attributes","attributes":{"city":"`+strings.Repeat("x", 65)+`"}}`))
	require.Equal(t, "rejected", got[0].(map[string]any)["outcome"])
}

// A deadline event with at null removes the deadline, and the answer
// goes back to never opening; a second attributes event keeps the
// attributes the first set. Needs the store to keep them (stores17).
func TestDeadlineEventRemoves(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, segmentsPolicy)})
	b.createOrder(t, "ord-d", "cust-9", t0.Add(10*time.Minute))
	results(t, b.post(t, "/v1/events", `[{"event_id":"d-1","order_id":"ord-d","type":"deadline","name":"event_starts_at","at":"2025-03-20T20:00:00Z"},
		{"event_id":"a-1","order_id":"ord-d","type":"attributes","attributes":{"city":"AMS"}}]`))
	got := results(t, b.post(t, "/v1/events", `{"event_id":"d-2","order_id":"ord-d","type":"deadline","name":"event_starts_at","at":null}`))
	require.Equal(t, "applied", got[0].(map[string]any)["outcome"], "%v", got)
	o := b.get(t, "/v1/orders/ord-d").json(t)
	require.Equal(t, map[string]any{}, o["deadlines"])
	require.Equal(t, map[string]any{"city": "AMS"}, o["attributes"])
	refund := b.get(t, "/v1/orders/ord-d/eligibility").json(t)["actions"].(map[string]any)["refund"]
	require.Equal(t, map[string]any{"allowed": false, "reason": "outside_window", "until": nil}, refund)
}
