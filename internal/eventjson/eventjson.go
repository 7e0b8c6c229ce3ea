// Package eventjson is the wire shape of one fulfillment event: an element
// of the body of POST /v1/events, and the value of one Kafka record. Both
// ways in decode it with Decode, so an event means the same whichever way it
// came.
//
//	{"event_id":"e-1","order_id":"ord-1","type":"driver_status",
//	 "status":"ARRIVED_AT_DOORSTEP","occurred_at":"2025-03-14T12:01:00Z"}
//
// occurred_at is optional; the other fields are checked by
// eligo.Event.Validate, not here.
package eventjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// Event is one event as JSON.
type Event struct {
	EventID    string    `json:"event_id"`
	OrderID    string    `json:"order_id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	OccurredAt time.Time `json:"occurred_at,omitzero"` // optional; absent means the receiver's now
}

// Decode decodes exactly one event object from data, strictly: unknown
// fields, anything but one JSON object, and trailing data are EINVALID
// errors that say what was wrong. An event without occurred_at gets now.
func Decode(data []byte, now time.Time) (eligo.Event, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return eligo.Event{}, eligo.Errorf(eligo.EINVALID, "an event must be one JSON object with event_id, order_id, type and status")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Event
	if err := dec.Decode(&e); err != nil {
		return eligo.Event{}, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return eligo.Event{}, eligo.Errorf(eligo.EINVALID, "the event has data after its JSON object; send exactly one")
	}
	return e.Event(now), nil
}

// Event returns the domain event; a zero OccurredAt becomes now.
func (e *Event) Event(now time.Time) eligo.Event {
	out := eligo.Event{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Status: e.Status, OccurredAt: e.OccurredAt}
	if out.OccurredAt.IsZero() {
		out.OccurredAt = now
	}
	return out
}

// Encode returns the JSON object of e, occurred_at omitted when zero.
func Encode(e *eligo.Event) []byte {
	b, err := json.Marshal(Event{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Status: e.Status, OccurredAt: e.OccurredAt})
	if err != nil {
		// Only a time outside years 0-9999 fails to encode.
		b, _ = json.Marshal(Event{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Status: e.Status})
	}
	return b
}

// jsonError turns a decoding error into an EINVALID error a sender can act
// on, without Go type names.
func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		timeParse *time.ParseError
	)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return eligo.Errorf(eligo.EINVALID, "the event ends in the middle of its JSON object")
	case errors.As(err, &syntax):
		return eligo.Errorf(eligo.EINVALID, "the event is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		return eligo.Errorf(eligo.EINVALID, "field %q of the event is a JSON %s; expected a string", typ.Field, typ.Value)
	case errors.As(err, &timeParse):
		return eligo.Errorf(eligo.EINVALID, "occurred_at is not RFC 3339, such as 2025-01-02T15:04:05Z: %q", strings.Trim(timeParse.Value, `"`))
	}
	// Such as `json: unknown field "x"`: about the sender's input, not ours.
	return eligo.Errorf(eligo.EINVALID, "the event is not JSON of the expected shape: %s", strings.TrimPrefix(err.Error(), "json: "))
}
