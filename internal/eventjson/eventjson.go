// Package eventjson is the wire shape of one fulfillment event: an element
// of the body of POST /v1/events, and the value of one Kafka record. Both
// ways in decode it here (DecodeBatch for HTTP, Decode for a record), with
// the same rules and the same error messages, so an event means the same
// whichever way it came.
//
//	{"event_id":"e-1","order_id":"ord-1","type":"driver_status",
//	 "status":"ARRIVED_AT_DOORSTEP","occurred_at":"2025-03-14T12:01:00Z"}
//
// Member names match exactly (case-sensitively); a name given twice, an
// unknown name and invalid UTF-8 are refused (internal/strictjson). Every
// member is a string. occurred_at is optional: absent or null means the
// receiver's now (the server's clock over HTTP, the record's timestamp on
// Kafka); any string, "" included, must be an RFC 3339 timestamp. The other
// fields are checked by eligo.Event.Validate, not here.
package eventjson

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/strictjson"
)

// Event is one event as JSON, as Encode writes it.
type Event struct {
	EventID    string    `json:"event_id"`
	OrderID    string    `json:"order_id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	OccurredAt time.Time `json:"occurred_at,omitzero"` // optional; absent means the receiver's now
}

// The members of an event, in the order of eventMembers.
const (
	memberEventID = iota
	memberOrderID
	memberType
	memberStatus
	memberOccurredAt
	memberCount
)

var eventMembers = [memberCount]strictjson.Member{
	{Name: "event_id"}, {Name: "order_id"}, {Name: "type"}, {Name: "status"}, {Name: "occurred_at"},
}

// Decode decodes exactly one event object from data (a Kafka record's
// value). An event without occurred_at gets now. Every error is EINVALID
// and says what was wrong.
func Decode(data []byte, now time.Time) (eligo.Event, error) {
	const what = "the event"
	dec := strictjson.NewDecoder(data)
	e, err := readEvent(dec, what, now)
	if err != nil {
		return eligo.Event{}, err
	}
	if err := strictjson.End(dec, what); err != nil {
		return eligo.Event{}, err
	}
	return e, nil
}

// DecodeBatch decodes a body of POST /v1/events: one event object, decoded
// exactly as Decode does, or an array of 1 to max of them. Any error is
// EINVALID and refuses the whole body.
func DecodeBatch(data []byte, max int, now time.Time) ([]eligo.Event, error) {
	dec := strictjson.NewDecoder(data)
	if dec.PeekKind() != '[' {
		e, err := Decode(data, now)
		if err != nil {
			return nil, err
		}
		return []eligo.Event{e}, nil
	}
	const what = "the batch"
	if _, err := dec.ReadToken(); err != nil {
		return nil, strictjson.Error(err, what)
	}
	var events []eligo.Event
	n := 0
	for ; ; n++ {
		switch dec.PeekKind() {
		case ']':
		case 0: // an error, which the read returns
			_, err := dec.ReadToken()
			return nil, strictjson.Error(err, what)
		default:
			if n >= max {
				// Count the rest for the message; decode no more.
				if err := dec.SkipValue(); err != nil {
					return nil, strictjson.Error(err, what)
				}
				continue
			}
			e, err := readEvent(dec, "event ["+strconv.Itoa(n)+"]", now)
			if err != nil {
				return nil, err
			}
			events = append(events, e)
			continue
		}
		break
	}
	if _, err := dec.ReadToken(); err != nil { // the ']'
		return nil, strictjson.Error(err, what)
	}
	if err := strictjson.End(dec, what); err != nil {
		return nil, err
	}
	if n == 0 || n > max {
		return nil, eligo.Errorf(eligo.EINVALID, "the batch holds %d events; send 1 to %d", n, max)
	}
	return events, nil
}

// readEvent reads one event object; what names it in error messages.
func readEvent(dec *jsontext.Decoder, what string, now time.Time) (eligo.Event, error) {
	ms := eventMembers
	if err := strictjson.ReadObject(dec, what, ms[:]); err != nil {
		return eligo.Event{}, err
	}
	e := eligo.Event{
		EventID:    ms[memberEventID].Value,
		OrderID:    ms[memberOrderID].Value,
		Type:       ms[memberType].Value,
		Status:     ms[memberStatus].Value,
		OccurredAt: now,
	}
	if at := ms[memberOccurredAt]; at.Set {
		var err error
		if e.OccurredAt, err = strictjson.Timestamp("occurred_at of "+what, at.Value); err != nil {
			return eligo.Event{}, err
		}
	}
	return e, nil
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
