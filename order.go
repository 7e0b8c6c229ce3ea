package eligo

import (
	"fmt"
	"time"
)

// Status is the lifecycle state of an order.
type Status uint8

// The order statuses. Every status other than PLACED is terminal.
const (
	StatusPlaced Status = iota
	StatusCancelled
	StatusDelivered
	StatusExpired
)

var statusNames = [...]string{"PLACED", "CANCELLED", "DELIVERED", "EXPIRED"}

// DriverStatus is where the driver is with the order. Statuses are ordered:
// an order's driver status only ever moves to a later one.
type DriverStatus uint8

// The driver statuses, in the order they happen.
const (
	DriverNone DriverStatus = iota
	DriverAssigned
	DriverAtStore
	DriverPickedUp
	DriverArrivedAtDoorstep
	DriverDelivered
)

var driverStatusNames = [...]string{"", "ASSIGNED", "AT_STORE", "PICKED_UP", "ARRIVED_AT_DOORSTEP", "DELIVERED"}

// PaymentStatus is the state of the order's payment. Statuses are ordered
// PENDING < FAILED < PAID: a failed payment may still be paid, a paid one is
// final.
type PaymentStatus uint8

// The payment statuses, in the order they may happen.
const (
	PaymentPending PaymentStatus = iota
	PaymentFailed
	PaymentPaid
)

var paymentStatusNames = [...]string{"PENDING", "FAILED", "PAID"}

// String returns the status name, as it appears in JSON.
func (s Status) String() string { return enumName(statusNames[:], uint8(s)) }

// String returns the driver status name, or "" for DriverNone.
func (s DriverStatus) String() string { return enumName(driverStatusNames[:], uint8(s)) }

// String returns the payment status name, as it appears in JSON.
func (s PaymentStatus) String() string { return enumName(paymentStatusNames[:], uint8(s)) }

// ParseStatus parses an order status name such as "PLACED".
func ParseStatus(s string) (Status, error) {
	v, err := parseEnum(statusNames[:], "order status", s)
	return Status(v), err
}

// ParseDriverStatus parses a driver status name such as "ARRIVED_AT_DOORSTEP".
// The empty string is not accepted: DriverNone is the absence of a status.
func ParseDriverStatus(s string) (DriverStatus, error) {
	v, err := parseEnum(driverStatusNames[1:], "driver status", s)
	return DriverStatus(v + 1), err
}

// ParsePaymentStatus parses a payment status name such as "PAID".
func ParsePaymentStatus(s string) (PaymentStatus, error) {
	v, err := parseEnum(paymentStatusNames[:], "payment status", s)
	return PaymentStatus(v), err
}

func enumName(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("UNKNOWN(%d)", v)
}

func parseEnum(names []string, what, s string) (uint8, error) {
	for i, n := range names {
		if n == s {
			return uint8(i), nil
		}
	}
	return 0, Errorf(EINVALID, "unknown %s %q; expected one of %v", what, s, names)
}

// Order is the snapshot of one order: what the read model holds and what
// Decide reads. It is a plain value; copies are independent.
type Order struct {
	ID               string
	CustomerID       string
	Status           Status
	DriverStatus     DriverStatus
	PaymentStatus    PaymentStatus
	PlacedAt         time.Time
	PromisedAt       time.Time
	PaymentTimeoutAt time.Time // zero when the order has no payment timeout
	Version          int64     // 1 on create, +1 per change
	UpdatedAt        time.Time
	// Attributes are what the policy's segments match on, sorted by key;
	// Deadlines the named instants its bounds may use, sorted by name;
	// Taken the "once" actions taken, sorted. None is ever changed in
	// place (see attributes.go), so copies stay independent.
	Attributes []Attribute
	Deadlines  []Deadline
	Taken      []string
}

// Terminal reports whether the order has reached a final status.
func (o *Order) Terminal() bool { return o.Status != StatusPlaced }

// NewOrderParams are the inputs of creating an order.
type NewOrderParams struct {
	ID               string
	CustomerID       string
	PlacedAt         time.Time // zero means now
	PromisedAt       time.Time
	PaymentTimeoutAt time.Time // zero means the order is already paid
	Attributes       map[string]string
	Deadlines        map[string]time.Time
}

// NewOrder validates p and returns version 1 of the order at instant now.
// An order created without a payment timeout is PAID; with one, PENDING.
func NewOrder(p *NewOrderParams, now time.Time) (Order, error) {
	if err := ValidateID("order id", p.ID); err != nil {
		return Order{}, err
	}
	if err := ValidateID("customer_id", p.CustomerID); err != nil {
		return Order{}, err
	}
	if p.PromisedAt.IsZero() {
		return Order{}, Errorf(EINVALID, "promised_at is required")
	}
	placed := p.PlacedAt
	if placed.IsZero() {
		placed = now
	}
	for name, t := range map[string]time.Time{"placed_at": placed, "promised_at": p.PromisedAt, "payment_timeout_at": p.PaymentTimeoutAt} {
		if t.IsZero() {
			continue
		}
		if err := validateTime(name, t); err != nil {
			return Order{}, err
		}
	}
	if p.PromisedAt.Before(placed) {
		return Order{}, Errorf(EINVALID, "promised_at (%s) is before placed_at (%s)", p.PromisedAt.Format(time.RFC3339Nano), placed.Format(time.RFC3339Nano))
	}
	if !p.PaymentTimeoutAt.IsZero() && p.PaymentTimeoutAt.Before(placed) {
		return Order{}, Errorf(EINVALID, "payment_timeout_at is before placed_at")
	}
	attrs, err := MakeAttributes(p.Attributes)
	if err != nil {
		return Order{}, err
	}
	deadlines, err := MakeDeadlines(p.Deadlines)
	if err != nil {
		return Order{}, err
	}
	o := Order{
		ID:               p.ID,
		CustomerID:       p.CustomerID,
		Status:           StatusPlaced,
		PaymentStatus:    PaymentPaid,
		PlacedAt:         placed.UTC(),
		PromisedAt:       p.PromisedAt.UTC(),
		PaymentTimeoutAt: p.PaymentTimeoutAt.UTC(),
		Version:          1,
		UpdatedAt:        now.UTC(),
		Attributes:       attrs,
		Deadlines:        deadlines,
	}
	if !p.PaymentTimeoutAt.IsZero() {
		o.PaymentStatus = PaymentPending
	} else {
		o.PaymentTimeoutAt = time.Time{}
	}
	return o, nil
}

// SameCreation reports whether o is what creating p would have made, so a
// repeated create is answered with the existing order instead of a conflict.
// A zero PlacedAt in p matches any placed_at.
func (o *Order) SameCreation(p *NewOrderParams) bool {
	return o.ID == p.ID && o.CustomerID == p.CustomerID &&
		(p.PlacedAt.IsZero() || o.PlacedAt.Equal(p.PlacedAt)) &&
		o.PromisedAt.Equal(p.PromisedAt) && o.PaymentTimeoutAt.Equal(p.PaymentTimeoutAt) &&
		sameAsMap(o.Attributes, p.Attributes) && sameDeadlineMap(o.Deadlines, p.Deadlines)
}

func sameAsMap(attrs []Attribute, m map[string]string) bool {
	if len(attrs) != len(m) {
		return false
	}
	for _, a := range attrs {
		if v, ok := m[a.Key]; !ok || v != a.Value {
			return false
		}
	}
	return true
}

func sameDeadlineMap(ds []Deadline, m map[string]time.Time) bool {
	if len(ds) != len(m) {
		return false
	}
	for _, d := range ds {
		if at, ok := m[d.Name]; !ok || !at.Equal(d.At) {
			return false
		}
	}
	return true
}
