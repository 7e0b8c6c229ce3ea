package eligo

import (
	"strings"
	"time"
)

// Event types accepted by ApplyEvent.
const (
	EventDriverStatus = "driver_status"
	EventPayment      = "payment"
	EventAttributes   = "attributes" // sets (or, with "", removes) some of the order's attributes
	EventDeadline     = "deadline"   // sets (or, with no instant, removes) one named deadline
)

// InternalEventIDPrefix starts the event ids of the service's own changes
// (the payment re-check's). Validate refuses it in an event, so no event
// from outside (POST /v1/events, Kafka) can take such an id in advance and
// make the change a duplicate.
const InternalEventIDPrefix = "eligo:"

// Event is a fact from fulfillment or payments about one order. EventID makes
// it idempotent: an id that was processed once is never applied again.
type Event struct {
	EventID    string
	OrderID    string
	Type       string    // one of the Event constants
	Status     string    // of driver_status and payment: a DriverStatus or PaymentStatus name
	OccurredAt time.Time // when it happened: kept with the event id and on the version it causes; zero when not known

	// Attributes of an attributes event: each key takes its value, and a
	// key whose value is "" is removed.
	Attributes map[string]string
	// Deadline and At of a deadline event: the deadline's name and its
	// new instant, zero to remove it.
	Deadline string
	At       time.Time
}

// Validate checks the event's shape without looking at any order.
func (e *Event) Validate() error {
	if err := ValidateID("event_id", e.EventID); err != nil {
		return err
	}
	if strings.HasPrefix(e.EventID, InternalEventIDPrefix) {
		return Errorf(EINVALID, "event_id %q starts with %q, which is reserved for the service's own changes; use another id", e.EventID, InternalEventIDPrefix)
	}
	if err := CheckTimeRange("occurred_at", e.OccurredAt); err != nil {
		return err
	}
	if err := ValidateID("order_id", e.OrderID); err != nil {
		return err
	}
	switch e.Type {
	case EventDriverStatus:
		_, err := ParseDriverStatus(e.Status)
		return err
	case EventPayment:
		_, err := ParsePaymentStatus(e.Status)
		return err
	case EventAttributes:
		return validateAttributeSet(e.Attributes)
	case EventDeadline:
		if err := ValidateDeadlineName("name", e.Deadline); err != nil {
			return err
		}
		return CheckTimeRange("at", e.At)
	}
	return Errorf(EINVALID, "unknown event type %q; expected %q, %q, %q or %q", e.Type, EventDriverStatus, EventPayment, EventAttributes, EventDeadline)
}

// validateAttributeSet checks the attributes of an attributes event: 1 to
// 16 keys, each a valid key, each value a valid value or "" (remove).
func validateAttributeSet(set map[string]string) error {
	if len(set) == 0 || len(set) > MaxAttributes {
		return Errorf(EINVALID, "attributes has %d entries; expected 1 to %d", len(set), MaxAttributes)
	}
	for k, v := range set {
		if err := ValidateAttributeKey("attributes key", k); err != nil {
			return err
		}
		if v == "" {
			continue
		}
		if err := validateAttributeText("attributes."+k, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Detail returns what the event says beyond its type, in one string that
// is the same for the same content: the status of a driver_status or
// payment event, "key=value" pairs sorted by key (";"-separated) of an
// attributes event, "name=instant" of a deadline event. It is kept with
// the event id, so that a resend is told from another event under the id.
func (e *Event) Detail() string {
	switch e.Type {
	case EventAttributes:
		var b strings.Builder
		for i, k := range sortedKeys(e.Attributes) {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(e.Attributes[k])
		}
		return b.String()
	case EventDeadline:
		at := ""
		if !e.At.IsZero() {
			at = e.At.UTC().Format(time.RFC3339Nano)
		}
		return e.Deadline + "=" + at
	}
	return e.Status
}

// ApplyEvent returns o moved forward by e. Statuses only move forward: an
// event that names the order's current status or an earlier one, or any
// event for an order that is already over, leaves it unchanged (the caller
// reports that as stale). A driver DELIVERED also delivers the order. An
// attributes or deadline event applies as it comes (they have no order of
// their own); over the limits of an order it is rejected.
// ApplyEvent does not touch Version or UpdatedAt; the store does.
func ApplyEvent(o Order, e *Event) (Order, error) {
	if err := e.Validate(); err != nil {
		return o, err
	}
	if o.Terminal() {
		return o, nil
	}
	switch e.Type {
	case EventDriverStatus:
		s, _ := ParseDriverStatus(e.Status)
		if s > o.DriverStatus {
			o.DriverStatus = s
		}
		if s == DriverDelivered {
			o.Status = StatusDelivered
		}
	case EventPayment:
		s, _ := ParsePaymentStatus(e.Status)
		if s > o.PaymentStatus {
			o.PaymentStatus = s
		}
	case EventAttributes:
		attrs, err := MergeAttributes(o.Attributes, e.Attributes)
		if err != nil {
			return o, err
		}
		o.Attributes = attrs
	case EventDeadline:
		ds, err := SetDeadline(o.Deadlines, e.Deadline, e.At)
		if err != nil {
			return o, err
		}
		o.Deadlines = ds
	}
	return o, nil
}
