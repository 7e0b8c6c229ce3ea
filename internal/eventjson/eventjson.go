// Package eventjson is the wire shape of one fulfillment event: an element
// of the body of POST /v1/events, and the value of one Kafka record. Both
// ways in decode it here (DecodeBatch for HTTP, Decode for a record), with
// the same rules and the same error messages, so an event means the same
// whichever way it came.
//
//	{"event_id":"e-1","order_id":"ord-1","type":"driver_status",
//	 "status":"ARRIVED_AT_DOORSTEP","occurred_at":"2025-03-14T12:01:00Z"}
//	{"event_id":"e-2","order_id":"ord-1","type":"attributes","attributes":{"city":"AMS"}}
//	{"event_id":"e-3","order_id":"ord-1","type":"deadline","name":"event_starts_at","at":"2027-01-01T20:00:00Z"}
//
// Member names match exactly (case-sensitively); a name given twice, an
// unknown name and invalid UTF-8 are refused (internal/strictjson). Every
// member is a string or null, but attributes, an object of strings (a
// value "" removes that attribute). A member the event's type does not
// take is refused, null included: status is for driver_status and payment
// events, attributes for attributes events, name and at for deadline
// events, where at is required and null removes the deadline. occurred_at
// is optional: absent or null means the receiver's now (the server's clock
// over HTTP, the record's timestamp on Kafka); any string, "" included,
// must be an RFC 3339 timestamp. The other fields are checked by
// eligo.Event.Validate, not here.
package eventjson

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/strictjson"
)

// Event is one driver status or payment event as JSON, as Encode writes
// it.
type Event struct {
	EventID    string    `json:"event_id"`
	OrderID    string    `json:"order_id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	OccurredAt time.Time `json:"occurred_at,omitzero"` // optional; absent means the receiver's now
}

// AttributesEvent is an attributes event as JSON, as Encode writes it.
type AttributesEvent struct {
	EventID    string            `json:"event_id"`
	OrderID    string            `json:"order_id"`
	Type       string            `json:"type"`       // "attributes"
	Attributes map[string]string `json:"attributes"` // nil: null
	OccurredAt time.Time         `json:"occurred_at,omitzero"`
}

// DeadlineEvent is a deadline event as JSON, as Encode writes it: At nil
// (null) removes the deadline.
type DeadlineEvent struct {
	EventID    string     `json:"event_id"`
	OrderID    string     `json:"order_id"`
	Type       string     `json:"type"` // "deadline"
	Name       string     `json:"name"`
	At         *time.Time `json:"at"`
	OccurredAt time.Time  `json:"occurred_at,omitzero"`
}

// The members of an event, in the order of eventMembers.
const (
	memberEventID = iota
	memberOrderID
	memberType
	memberStatus
	memberAttributes
	memberName
	memberAt
	memberOccurredAt
	memberCount
)

var eventMembers = [memberCount]strictjson.Member{
	{Name: "event_id"}, {Name: "order_id"}, {Name: "type"}, {Name: "status"},
	{Name: "attributes", Object: true}, {Name: "name"}, {Name: "at"}, {Name: "occurred_at"},
}

// typeMembers are the members only some event types take: each with the
// types that take it. A member given (null included) on an event of
// another type is refused, so that an event never says more than is
// applied.
var typeMembers = [...]struct {
	member int
	types  []string
}{
	{memberStatus, []string{eligo.EventDriverStatus, eligo.EventPayment, ""}},
	{memberAttributes, []string{eligo.EventAttributes}},
	{memberName, []string{eligo.EventDeadline}},
	{memberAt, []string{eligo.EventDeadline}},
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
	if err := checkTypeMembers(&ms, e.Type, what); err != nil {
		return eligo.Event{}, err
	}
	if at := ms[memberOccurredAt]; at.Set {
		var err error
		if e.OccurredAt, err = strictjson.Timestamp("occurred_at of "+what, at.Value); err != nil {
			return eligo.Event{}, err
		}
	}
	switch e.Type {
	case eligo.EventAttributes:
		if m := ms[memberAttributes]; m.Set {
			attrs, err := strictjson.Strings(m.Raw, m.Name, what)
			if err != nil {
				return eligo.Event{}, err
			}
			e.Attributes = attrs
		}
	case eligo.EventDeadline:
		e.Deadline = ms[memberName].Value
		at := ms[memberAt]
		switch {
		case at.Set:
			var err error
			if e.At, err = strictjson.Timestamp("at of "+what, at.Value); err != nil {
				return eligo.Event{}, err
			}
		case !at.Null:
			return eligo.Event{}, eligo.Errorf(eligo.EINVALID, "%s is a deadline event without at; send the deadline's new instant (RFC 3339), or null to remove it", what)
		}
	}
	return e, nil
}

// checkTypeMembers refuses a member of ms given on an event of a type
// that does not take it (typeMembers). An unknown type takes status only,
// as the other members would not be applied; Validate then refuses the
// type.
func checkTypeMembers(ms *[memberCount]strictjson.Member, typ, what string) error {
	for _, tm := range typeMembers {
		m := &ms[tm.member]
		if !m.Set && !m.Null {
			continue
		}
		if slices.Contains(tm.types, typ) || !knownType(typ) && slices.Contains(tm.types, "") {
			continue
		}
		return eligo.Errorf(eligo.EINVALID, "%s has the member %q, which an event of type %q does not take; %s", what, m.Name, typ, typeTakes(typ))
	}
	return nil
}

func knownType(typ string) bool {
	switch typ {
	case eligo.EventDriverStatus, eligo.EventPayment, eligo.EventAttributes, eligo.EventDeadline:
		return true
	}
	return false
}

// typeTakes says what an event of type typ holds beside its ids, type
// and occurred_at.
func typeTakes(typ string) string {
	switch typ {
	case eligo.EventAttributes:
		return "an attributes event holds attributes"
	case eligo.EventDeadline:
		return "a deadline event holds name and at"
	case eligo.EventDriverStatus, eligo.EventPayment:
		return "a " + typ + " event holds status"
	}
	return "expected type driver_status or payment (with status), attributes (with attributes) or deadline (with name and at)"
}

// Encode returns the JSON object of e in the shape of its type (Event,
// AttributesEvent or DeadlineEvent), occurred_at omitted when zero.
func Encode(e *eligo.Event) []byte {
	b, err := json.Marshal(wireOf(e, e.OccurredAt))
	if err != nil {
		// Only a time outside years 0-9999 fails to encode.
		b, _ = json.Marshal(wireOf(e, time.Time{}))
	}
	return b
}

func wireOf(e *eligo.Event, occurred time.Time) any {
	switch e.Type {
	case eligo.EventAttributes:
		return AttributesEvent{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Attributes: e.Attributes, OccurredAt: occurred}
	case eligo.EventDeadline:
		d := DeadlineEvent{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Name: e.Deadline, OccurredAt: occurred}
		if !e.At.IsZero() {
			at := e.At
			d.At = &at
		}
		return d
	}
	return Event{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Status: e.Status, OccurredAt: occurred}
}
