package loadgen

import (
	"time"

	"github.com/eligo/eligo"
)

// The reasons of the built-in cancel rule (eligo.DefaultPolicyJSON).
const (
	reasonSLABreached      = "sla_breached"
	reasonOutsideWindow    = eligo.ReasonOutsideWindow
	reasonCancelled        = "cancelled"
	reasonDelivered        = "delivered"
	reasonExpired          = "expired"
	reasonDriverAtDoorstep = "driver_at_doorstep"
	reasonPaymentExpired   = "payment_expired"
)

// state is the ground truth of one version of an order: what the writes
// acknowledged so far made of it.
type state struct {
	driver    eligo.DriverStatus
	payment   eligo.PaymentStatus
	cancelled bool
	expired   bool // by the server, at the payment timeout
}

// terminal reports whether no event can change the order any more.
func (s state) terminal() bool {
	return s.cancelled || s.expired || s.driver >= eligo.DriverDelivered
}

// anchors are the instants of an order that the cancel rule reads.
type anchors struct {
	promisedAt       time.Time
	paymentTimeoutAt time.Time // zero when the order was paid at create
}

// answer is one action's decision as the contract spells it.
type answer struct {
	allowed bool
	reason  string
	until   time.Time // zero: the clock alone never changes it
}

func (a answer) String() string {
	s := "allowed/" + a.reason
	if !a.allowed {
		s = "refused/" + a.reason
	}
	if a.until.IsZero() {
		return s + " until null"
	}
	return s + " until " + a.until.UTC().Format(time.RFC3339Nano)
}

// expectCancel is the cancel rule of the built-in policy, written out from
// the article independently of eligo.Decide so that a bug there is caught
// here: cancel once the promise is broken, never once the driver is at the
// doorstep, the order is over, or its payment is still unpaid (pending or
// failed) past the payment timeout, expired by the server or not. The
// blocks are checked in the policy's order.
func expectCancel(s state, an anchors, t time.Time) (bool, string) {
	switch {
	case s.cancelled:
		return false, reasonCancelled
	case s.driver >= eligo.DriverDelivered:
		return false, reasonDelivered
	case s.payment != eligo.PaymentPaid && !an.paymentTimeoutAt.IsZero() && !t.Before(an.paymentTimeoutAt):
		return false, reasonPaymentExpired
	case s.expired:
		return false, reasonExpired
	case s.driver == eligo.DriverArrivedAtDoorstep:
		return false, reasonDriverAtDoorstep
	case t.Before(an.promisedAt):
		return false, reasonOutsideWindow
	}
	return true, reasonSLABreached
}

// expect is the whole expected answer at t, with until: the first anchor
// after t at which the rule answers differently.
func expect(s state, an anchors, t time.Time) answer {
	allowed, reason := expectCancel(s, an, t)
	a := answer{allowed: allowed, reason: reason}
	for _, b := range an.boundsAfter(t) {
		if al, r := expectCancel(s, an, b); al != allowed || r != reason {
			a.until = b
			break
		}
	}
	return a
}

// boundsAfter returns the order's anchors that lie after t, earliest first.
func (an anchors) boundsAfter(t time.Time) []time.Time {
	var out []time.Time
	for _, b := range [...]time.Time{an.promisedAt, an.paymentTimeoutAt} {
		if !b.IsZero() && b.After(t) {
			out = append(out, b)
		}
	}
	if len(out) == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// answersDuring returns every answer the rule gives for s at some instant
// of [from, to]: the answer at from and at each anchor inside the span.
func answersDuring(s state, an anchors, from, to time.Time) []answer {
	out := []answer{expect(s, an, from)}
	for _, b := range an.boundsAfter(from) {
		if !b.After(to) {
			out = append(out, expect(s, an, b))
		}
	}
	return out
}

// sameAnswer compares two answers; untils compare as instants.
func sameAnswer(a, b answer) bool {
	return a.allowed == b.allowed && a.reason == b.reason && a.until.Equal(b.until)
}
