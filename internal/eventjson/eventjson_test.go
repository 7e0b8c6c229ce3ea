package eventjson_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eventjson"
)

var now = time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)

func TestDecode(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, time.March, 14, 12, 1, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      string
		want    eligo.Event
		wantErr string // part of the message; empty means no error
	}{
		{"Full", `{"event_id":"e-1","order_id":"ord-1","type":"driver_status","status":"ARRIVED_AT_DOORSTEP","occurred_at":"2025-03-14T12:01:00Z"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "driver_status", Status: "ARRIVED_AT_DOORSTEP", OccurredAt: at}, ""},
		{"NoOccurredAtIsNow", ` {"event_id":"e-1","order_id":"ord-1","type":"payment","status":"PAID"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "payment", Status: "PAID", OccurredAt: now}, ""},
		{"NullOccurredAtIsNow", `{"event_id":"e-1","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":null}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "payment", Status: "PAID", OccurredAt: now}, ""},
		// The shape of the fields is Validate's job, not the decoder's.
		{"UnknownTypeDecodes", `{"event_id":"e-1","order_id":"ord-1","type":"refund","status":"PAID"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "refund", Status: "PAID", OccurredAt: now}, ""},
		{"Empty", ``, eligo.Event{}, "one JSON object"},
		{"Array", `[{"event_id":"e-1"}]`, eligo.Event{}, "one JSON object"},
		{"Null", `null`, eligo.Event{}, "one JSON object"},
		{"Truncated", `{"event_id":"e-1"`, eligo.Event{}, "ends in the middle"},
		{"Syntax", `{"event_id":e-1}`, eligo.Event{}, "not valid JSON"},
		{"NumberID", `{"event_id":1}`, eligo.Event{}, `field "event_id" of the event is a JSON number`},
		{"BadTime", `{"event_id":"e-1","occurred_at":"yesterday"}`, eligo.Event{}, "not RFC 3339"},
		{"UnknownField", `{"event_id":"e-1","color":"red"}`, eligo.Event{}, `unknown field "color"`},
		{"TwoValues", `{"event_id":"e-1"}{"event_id":"e-2"}`, eligo.Event{}, "data after its JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eventjson.Decode([]byte(tt.in), now)
			if tt.wantErr != "" {
				require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
				require.Contains(t, eligo.ErrorMessage(err), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEncodeRoundTrips(t *testing.T) {
	t.Parallel()
	e := eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: "PICKED_UP",
		OccurredAt: time.Date(2025, time.March, 14, 12, 1, 0, 123456789, time.UTC)}
	got, err := eventjson.Decode(eventjson.Encode(&e), now)
	require.NoError(t, err)
	require.Equal(t, e, got)

	e.OccurredAt = time.Time{}
	require.JSONEq(t, `{"event_id":"e-1","order_id":"ord-1","type":"driver_status","status":"PICKED_UP"}`, string(eventjson.Encode(&e)))
}
