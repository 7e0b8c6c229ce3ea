package eligo

import (
	"strings"
	"time"
)

// Event types accepted by ApplyEvent.
const (
	EventDriverStatus = "driver_status"
	EventPayment      = "payment"
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
	Type       string    // EventDriverStatus or EventPayment
	Status     string    // a DriverStatus or PaymentStatus name
	OccurredAt time.Time // when it happened: kept with the event id and on the version it causes; zero when not known
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
	}
	return Errorf(EINVALID, "unknown event type %q; expected %q or %q", e.Type, EventDriverStatus, EventPayment)
}

// ApplyEvent returns o moved forward by e. Statuses only move forward: an
// event that names the order's current status or an earlier one, or any
// event for an order that is already over, leaves it unchanged (the caller
// reports that as stale). A driver DELIVERED also delivers the order.
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
	}
	return o, nil
}
