package eventjson_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eventjson"
)

var update = flag.Bool("update", false, "rewrite testdata/events/*.golden from the decoder")

var now = time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)

func TestDecode(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, time.March, 14, 12, 1, 0, 0, time.UTC)
	paid := func(at time.Time) eligo.Event {
		return eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "payment", Status: "PAID", OccurredAt: at}
	}
	const members = "event_id, order_id, type, status, attributes, name, at and occurred_at"
	tests := []struct {
		name    string
		in      string
		want    eligo.Event
		wantErr string // the whole message; empty means no error
	}{
		{"Full", `{"event_id":"e-1","order_id":"ord-1","type":"driver_status","status":"ARRIVED_AT_DOORSTEP","occurred_at":"2025-03-14T12:01:00Z"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "driver_status", Status: "ARRIVED_AT_DOORSTEP", OccurredAt: at}, ""},
		{"NoOccurredAtIsNow", ` {"event_id":"e-1","order_id":"ord-1","type":"payment","status":"PAID"}`, paid(now), ""},
		{"NullOccurredAtIsNow", `{"event_id":"e-1","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":null}`, paid(now), ""},
		{"OffsetIsKept", `{"event_id":"e-1","order_id":"ord-1","type":"payment","status":"PAID","occurred_at":"2025-03-14T13:01:00+01:00"}`,
			paid(time.Date(2025, time.March, 14, 13, 1, 0, 0, time.FixedZone("", 3600))), ""},
		// The shape of the fields is Validate's job, not the decoder's.
		{"UnknownTypeDecodes", `{"event_id":"e-1","order_id":"ord-1","type":"refund","status":"PAID"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "refund", Status: "PAID", OccurredAt: now}, ""},
		{"NullIDIsEmpty", `{"event_id":null,"order_id":"ord-1","type":"payment","status":"PAID"}`,
			eligo.Event{OrderID: "ord-1", Type: "payment", Status: "PAID", OccurredAt: now}, ""},

		{"Attributes", `{"event_id":"e-1","order_id":"ord-1","type":"attributes","attributes":{"city":"AMS","tier":""}}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "attributes", Attributes: map[string]string{"city": "AMS", "tier": ""}, OccurredAt: now}, ""},
		{"Deadline", `{"event_id":"e-1","order_id":"ord-1","type":"deadline","name":"event_starts_at","at":"2025-03-14T12:01:00Z"}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "deadline", Deadline: "event_starts_at", At: at, OccurredAt: now}, ""},
		{"DeadlineRemoved", `{"event_id":"e-1","order_id":"ord-1","type":"deadline","name":"event_starts_at","at":null}`,
			eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: "deadline", Deadline: "event_starts_at", OccurredAt: now}, ""},

		{"DeadlineWithoutAt", `{"event_id":"e-1","order_id":"ord-1","type":"deadline","name":"event_starts_at"}`, eligo.Event{},
			"the event is a deadline event without at; send the deadline's new instant (RFC 3339), or null to remove it"},
		{"DeadlineBadAt", `{"event_id":"e-1","type":"deadline","name":"x","at":"tomorrow"}`, eligo.Event{},
			`at of the event is "tomorrow"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"DeadlineWithStatus", `{"event_id":"e-1","type":"deadline","name":"x","at":null,"status":"PAID"}`, eligo.Event{},
			`the event has the member "status", which an event of type "deadline" does not take; a deadline event holds name and at`},
		{"DeadlineWithAttributes", `{"event_id":"e-1","type":"deadline","name":"x","at":null,"attributes":{}}`, eligo.Event{},
			`the event has the member "attributes", which an event of type "deadline" does not take; a deadline event holds name and at`},
		{"AttributesWithStatusNull", `{"event_id":"e-1","type":"attributes","attributes":{"a":"b"},"status":null}`, eligo.Event{},
			`the event has the member "status", which an event of type "attributes" does not take; an attributes event holds attributes`},
		{"AttributesWithAt", `{"event_id":"e-1","type":"attributes","attributes":{"a":"b"},"at":"2025-03-14T12:01:00Z"}`, eligo.Event{},
			`the event has the member "at", which an event of type "attributes" does not take; an attributes event holds attributes`},
		{"PaymentWithName", `{"event_id":"e-1","type":"payment","status":"PAID","name":"x"}`, eligo.Event{},
			`the event has the member "name", which an event of type "payment" does not take; a payment event holds status`},
		{"UnknownTypeWithAttributes", `{"event_id":"e-1","type":"refund","attributes":{"a":"b"}}`, eligo.Event{},
			`the event has the member "attributes", which an event of type "refund" does not take; expected type driver_status or payment (with status), attributes (with attributes) or deadline (with name and at)`},
		{"AttributesNotAnObject", `{"event_id":"e-1","type":"attributes","attributes":["a"]}`, eligo.Event{},
			`field "attributes" of the event is a JSON array; expected an object`},
		{"AttributeValueNotAString", `{"event_id":"e-1","type":"attributes","attributes":{"a":true}}`, eligo.Event{},
			`member "a" of field "attributes" of the event is a JSON boolean; expected a string`},
		{"AttributesDuplicateKey", `{"event_id":"e-1","type":"attributes","attributes":{"a":"b","a":"c"}}`, eligo.Event{},
			`the event has the member "a" twice; send each member once`},
		{"Empty", ``, eligo.Event{}, "the event is empty; expected a JSON object with " + members},
		{"Array", `[{"event_id":"e-1"}]`, eligo.Event{}, "the event is a JSON array; expected an object with " + members},
		{"NotJSON", `not json`, eligo.Event{}, "the event is not valid JSON (at byte 2): invalid character 'o' in literal null (expecting 'u')"},
		{"NotJSONInAField", `{"event_id":nope}`, eligo.Event{}, "the event is not valid JSON (at byte 14): invalid character 'o' in literal null (expecting 'u')"},
		{"Null", `null`, eligo.Event{}, "the event is a JSON null; expected an object with " + members},
		{"Truncated", `{"event_id":"e-1"`, eligo.Event{}, "the event ends in the middle of its JSON value"},
		{"Syntax", `{"event_id":e-1}`, eligo.Event{}, "the event is not valid JSON (at byte 13): invalid character 'e' at start of value"},
		{"NumberID", `{"event_id":1}`, eligo.Event{}, `field "event_id" of the event is a JSON number; expected a string`},
		{"EmptyOccurredAt", `{"event_id":"e-1","occurred_at":""}`, eligo.Event{},
			`occurred_at of the event is ""; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		// Used to answer "...: Time.UnmarshalJSON: input is not a JSON string".
		{"NumberOccurredAt", `{"event_id":"e-1","occurred_at":1741953660}`, eligo.Event{},
			`field "occurred_at" of the event is a JSON number; expected a string`},
		{"BadTime", `{"event_id":"e-1","occurred_at":"yesterday"}`, eligo.Event{},
			`occurred_at of the event is "yesterday"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"OneDigitHour", `{"event_id":"e-1","occurred_at":"2025-03-14T1:01:00Z"}`, eligo.Event{},
			`occurred_at of the event is "2025-03-14T1:01:00Z"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"UnknownField", `{"event_id":"e-1","color":"red"}`, eligo.Event{},
			`the event has an unknown member "color"; expected only ` + members},
		{"CaseVariant", `{"Event_ID":"e-1"}`, eligo.Event{},
			`the event has the member "Event_ID"; member names are case-sensitive: send "event_id"`},
		{"Duplicate", `{"event_id":"e-1","order_id":"ord-1","event_id":"e-2"}`, eligo.Event{},
			`the event has the member "event_id" twice; send each member once`},
		{"DuplicateEscaped", `{"event_id":"e-1","event\u005fid":"e-2"}`, eligo.Event{},
			`the event has the member "event_id" twice; send each member once`},
		{"DuplicateNull", `{"occurred_at":null,"occurred_at":"2025-03-14T12:01:00Z"}`, eligo.Event{},
			`the event has the member "occurred_at" twice; send each member once`},
		{"InvalidUTF8", "{\"event_id\":\"e-\xff\"}", eligo.Event{}, "the event is not valid JSON (at byte 16): invalid UTF-8"},
		{"TwoValues", `{"event_id":"e-1"}{"event_id":"e-2"}`, eligo.Event{}, "the event has data after its JSON value; send exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eventjson.Decode([]byte(tt.in), now)
			if tt.wantErr != "" {
				require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
				require.Equal(t, tt.wantErr, eligo.ErrorMessage(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeBatch(t *testing.T) {
	t.Parallel()
	ev := func(id string) string {
		return `{"event_id":"` + id + `","order_id":"ord-1","type":"payment","status":"PAID"}`
	}
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"One", ev("e-1"), 1, ""},
		{"Array", "[" + ev("e-1") + "," + ev("e-2") + "]", 2, ""},
		{"Max", "[" + ev("e-1") + "," + ev("e-2") + "," + ev("e-3") + "]", 3, ""},
		{"TooMany", "[" + ev("e-1") + "," + ev("e-2") + "," + ev("e-3") + "," + ev("e-4") + "]", 0, "the batch holds 4 events; send 1 to 3"},
		{"Empty", "[]", 0, "the batch holds 0 events; send 1 to 3"},
		{"SecondBad", "[" + ev("e-1") + `,{"Status":"PAID"}]`, 0, `event [1] has the member "Status"; member names are case-sensitive: send "status"`},
		{"NotAnEvent", "[" + ev("e-1") + ",7]", 0, "event [1] is a JSON number; expected an object with event_id, order_id, type, status, attributes, name, at and occurred_at"},
		{"Truncated", "[" + ev("e-1") + ",", 0, "the batch ends in the middle of its JSON value"},
		{"TrailingComma", "[" + ev("e-1") + ",]", 0, "the batch is not valid JSON (at byte 72): invalid character ',' at start of value"},
		{"Trailing", "[" + ev("e-1") + "] []", 0, "the batch has data after its JSON value; send exactly one"},
		// Not an array: exactly what a Kafka record gets.
		{"String", `"e-1"`, 0, "the event is a JSON string; expected an object with event_id, order_id, type, status, attributes, name, at and occurred_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eventjson.DecodeBatch([]byte(tt.in), 3, now)
			if tt.wantErr != "" {
				require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
				require.Equal(t, tt.wantErr, eligo.ErrorMessage(err))
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tt.want)
		})
	}
}

// TestGolden pins what the decoder makes of every file in testdata/events:
// NAME.golden holds the outcome of DecodeBatch (the body of POST
// /v1/events). The HTTP and Kafka tests hold their paths to the same files.
func TestGolden(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		events, err := eventjson.DecodeBatch(data, 1000, now)
		got := Outcome(events, err)
		golden := strings.TrimSuffix(path, ".json") + ".golden"
		if *update {
			require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test ./internal/eventjson -run TestGolden -update")
		require.Equal(t, string(want), got, "%s", path)
	}
}

// Outcome is the golden form of a decoding: "error: MESSAGE", or each
// event encoded on a line. The HTTP and Kafka tests write the same.
func Outcome(events []eligo.Event, err error) string {
	if err != nil {
		return "error: " + eligo.ErrorMessage(err) + "\n"
	}
	var b strings.Builder
	for i := range events {
		b.Write(eventjson.Encode(&events[i]))
		b.WriteByte('\n')
	}
	return b.String()
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

	for _, e := range []eligo.Event{
		{EventID: "e-2", OrderID: "ord-1", Type: eligo.EventAttributes, Attributes: map[string]string{"city": "AMS", "tier": ""}, OccurredAt: now},
		{EventID: "e-3", OrderID: "ord-1", Type: eligo.EventDeadline, Deadline: "event_starts_at", At: now.Add(time.Hour), OccurredAt: now},
		{EventID: "e-4", OrderID: "ord-1", Type: eligo.EventDeadline, Deadline: "event_starts_at", OccurredAt: now},
	} {
		got, err := eventjson.Decode(eventjson.Encode(&e), now)
		require.NoError(t, err, "%s", eventjson.Encode(&e))
		require.Equal(t, e, got)
	}
	e = eligo.Event{EventID: "e-4", OrderID: "ord-1", Type: eligo.EventDeadline, Deadline: "event_starts_at"}
	require.JSONEq(t, `{"event_id":"e-4","order_id":"ord-1","type":"deadline","name":"event_starts_at","at":null}`, string(eventjson.Encode(&e)))
	e = eligo.Event{EventID: "e-2", OrderID: "ord-1", Type: eligo.EventAttributes, Attributes: map[string]string{"city": "AMS"}}
	require.JSONEq(t, `{"event_id":"e-2","order_id":"ord-1","type":"attributes","attributes":{"city":"AMS"}}`, string(eventjson.Encode(&e)))
}

// goNames matches what a message must never hold: Go identifiers such as
// Time.UnmarshalJSON or eligo.Event, and package error prefixes.
// Quoted input (%q) is left out of the check.
var (
	goNames = regexp.MustCompile(`[A-Za-z]+\.[A-Z][A-Za-z]+|json:|jsontext|Go |struct|\bint64\b`)
	quoted  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
)

// FuzzDecode holds the one decoder to its rules on any input: it never
// panics; every error is EINVALID with a message free of Go names; a body
// that is not an array means the same to DecodeBatch (HTTP) as to Decode
// (Kafka); an accepted event is read the same by encoding/json (so a strict
// gateway and eligo agree) and survives Encode.
func FuzzDecode(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	require.NoError(f, err)
	for _, path := range paths {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := eventjson.DecodeBatch(data, 1000, now)
		if err != nil {
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
			msg := eligo.ErrorMessage(err)
			require.NotRegexp(t, goNames, quoted.ReplaceAllString(msg, `"…"`))
			if strings.Contains(msg, "is not valid JSON") && !strings.Contains(msg, "UTF-8") || strings.Contains(msg, "ends in the middle") {
				require.False(t, json.Valid(data), "called valid JSON invalid: %s", msg)
			}
		} else {
			require.NotEmpty(t, events)
			require.LessOrEqual(t, len(events), 1000)
		}
		isArray := bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("["))
		if !isArray {
			e, err1 := eventjson.Decode(data, now)
			require.Equal(t, Outcome(events, err), Outcome([]eligo.Event{e}[:min(1, boolInt(err1 == nil))], err1))
		}
		if err != nil {
			return
		}
		type v1Event struct {
			EventID    string            `json:"event_id"`
			OrderID    string            `json:"order_id"`
			Type       string            `json:"type"`
			Status     string            `json:"status"`
			Attributes map[string]string `json:"attributes"`
			Name       string            `json:"name"`
			At         *string           `json:"at"`
			OccurredAt *string           `json:"occurred_at"`
		}
		var v1 []v1Event
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if isArray {
			require.NoError(t, dec.Decode(&v1), "encoding/json refuses what eventjson accepts")
		} else {
			v1 = make([]v1Event, 1)
			require.NoError(t, dec.Decode(&v1[0]), "encoding/json refuses what eventjson accepts")
		}
		require.Len(t, v1, len(events))
		for i, e := range events {
			require.Equal(t, v1[i].EventID, e.EventID)
			require.Equal(t, v1[i].OrderID, e.OrderID)
			require.Equal(t, v1[i].Type, e.Type)
			require.Equal(t, v1[i].Status, e.Status)
			require.Equal(t, v1[i].Attributes, e.Attributes)
			require.Equal(t, v1[i].Name, e.Deadline)
			require.Equal(t, v1[i].At == nil, e.At.IsZero())
			if v1[i].OccurredAt == nil {
				require.Equal(t, now, e.OccurredAt)
			} else {
				at, err := time.Parse(time.RFC3339Nano, *v1[i].OccurredAt)
				require.NoError(t, err)
				require.True(t, at.Equal(e.OccurredAt))
			}
			back, err := eventjson.Decode(eventjson.Encode(&e), now)
			if e.OccurredAt.Year() >= 0 && e.OccurredAt.Year() <= 9999 {
				require.NoError(t, err)
				require.True(t, back.OccurredAt.Equal(e.OccurredAt))
				back.OccurredAt = e.OccurredAt
				require.Equal(t, e, back)
			}
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
