package eligo_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

var t0 = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

func order() eligo.Order {
	return eligo.Order{
		ID: "ord-1", CustomerID: "cust-9", PaymentStatus: eligo.PaymentPaid,
		PlacedAt: t0, PromisedAt: t0.Add(10 * time.Minute), Version: 1, UpdatedAt: t0,
	}
}

func TestDecideDefaultPolicy(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	tests := []struct {
		name    string
		mutate  func(o *eligo.Order)
		at      time.Duration // after placed_at
		allowed bool
		reason  string
		until   time.Duration // after placed_at; 0 means none
	}{
		{"before the promise: hidden until promised_at", nil, 5 * time.Minute, false, "outside_window", 10 * time.Minute},
		{"exactly at promised_at: shown", nil, 10 * time.Minute, true, "sla_breached", 0},
		{"one nanosecond before promised_at: hidden", nil, 10*time.Minute - 1, false, "outside_window", 10 * time.Minute},
		{"after the promise: shown", nil, 11 * time.Minute, true, "sla_breached", 0},
		{"driver at doorstep hides it", func(o *eligo.Order) { o.DriverStatus = eligo.DriverArrivedAtDoorstep }, 11 * time.Minute, false, "driver_at_doorstep", 0},
		{"driver picked up does not", func(o *eligo.Order) { o.DriverStatus = eligo.DriverPickedUp }, 11 * time.Minute, true, "sla_breached", 0},
		{"delivered by the driver", func(o *eligo.Order) { o.DriverStatus = eligo.DriverDelivered }, 11 * time.Minute, false, "delivered", 0},
		{"delivered order", func(o *eligo.Order) { o.Status = eligo.StatusDelivered }, 11 * time.Minute, false, "delivered", 0},
		{"cancelled order", func(o *eligo.Order) { o.Status = eligo.StatusCancelled }, 11 * time.Minute, false, "cancelled", 0},
		// A cancelled order also at the doorstep reports the status first.
		{"cancelled beats doorstep", func(o *eligo.Order) {
			o.Status, o.DriverStatus = eligo.StatusCancelled, eligo.DriverArrivedAtDoorstep
		}, 11 * time.Minute, false, "cancelled", 0},
		{"expired order", func(o *eligo.Order) { o.Status = eligo.StatusExpired }, 11 * time.Minute, false, "expired", 0},
		{"pending payment before its timeout: window still decides", func(o *eligo.Order) {
			o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(15*time.Minute)
		}, 11 * time.Minute, true, "sla_breached", 15 * time.Minute},
		{"pending payment past its timeout", func(o *eligo.Order) {
			o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(5*time.Minute)
		}, 6 * time.Minute, false, "payment_expired", 0},
		{"paid order ignores its timeout", func(o *eligo.Order) {
			o.PaymentTimeoutAt = t0.Add(5 * time.Minute)
		}, 6 * time.Minute, false, "outside_window", 10 * time.Minute},
		// Both boundaries ahead: the payment timeout comes first but it
		// changes only the reason, so until is that instant.
		{"pending payment, both ahead", func(o *eligo.Order) {
			o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(3*time.Minute)
		}, time.Minute, false, "outside_window", 3 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := order()
			if tt.mutate != nil {
				tt.mutate(&o)
			}
			d := eligo.Decide(&o, p, "cancel", t0.Add(tt.at))
			require.Equal(t, tt.allowed, d.Allowed)
			require.Equal(t, tt.reason, d.Reason)
			if tt.until == 0 {
				require.True(t, d.Until.IsZero(), "until = %v, want none", d.Until)
			} else {
				require.Equal(t, t0.Add(tt.until), d.Until)
			}
		})
	}
}

func TestDecideUnknownAction(t *testing.T) {
	t.Parallel()
	o := order()
	d := eligo.Decide(&o, eligo.DefaultPolicy(), "refund", t0)
	require.Equal(t, eligo.Decision{Reason: eligo.ReasonUnknownAction}, d)
}

// propertyPolicy has overlapping windows, a closing window and a timed block,
// so boundaries that change nothing and boundaries that do are interleaved.
const propertyPolicy = `{"actions": {
  "cancel": {
    "windows": [{"name": "sla_breached", "from": "promised_at"}],
    "blocks": [
      {"name": "cancelled", "status": ["CANCELLED", "DELIVERED", "EXPIRED"]},
      {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP", "DELIVERED"]},
      {"name": "payment_expired", "payment_status": ["PENDING"], "from": "payment_timeout_at"}
    ]},
  "reschedule": {
    "windows": [
      {"name": "early", "from": "placed_at", "to": "placed_at+60s"},
      {"name": "grace", "from": "placed_at+30s", "to": "promised_at-2m"},
      {"name": "late", "from": "promised_at+5m"}
    ],
    "blocks": [
      {"name": "picked_up", "driver_status": ["PICKED_UP", "ARRIVED_AT_DOORSTEP", "DELIVERED"]},
      {"name": "too_late", "from": "placed_at+20m"}
    ]}
}}`

// TestDecideProperty checks, on random orders and instants, that the answer
// is constant on [now, until) and differs at until, and that with no until
// it never changes afterwards.
func TestDecideProperty(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(propertyPolicy))
	require.NoError(t, err)
	policies := []*eligo.Policy{eligo.DefaultPolicy(), p}
	rng := rand.New(rand.NewPCG(1, 2))
	sec := func(n int) time.Duration { return time.Duration(rng.IntN(n)) * time.Second }

	for i := 0; i < 20000; i++ {
		o := order()
		o.PromisedAt = t0.Add(sec(1200))
		o.Status = eligo.Status(rng.IntN(4))
		o.DriverStatus = eligo.DriverStatus(rng.IntN(6))
		o.PaymentStatus = eligo.PaymentStatus(rng.IntN(3))
		if rng.IntN(2) == 0 {
			o.PaymentTimeoutAt = t0.Add(sec(1200))
		}
		pol := policies[rng.IntN(2)]
		for _, action := range pol.ActionNames() {
			now := t0.Add(sec(1800) - 5*time.Minute)
			d := eligo.Decide(&o, pol, action, now)
			same := func(at time.Time) bool {
				x := eligo.Decide(&o, pol, action, at)
				return x.Allowed == d.Allowed && x.Reason == d.Reason
			}
			end := d.Until
			if end.IsZero() {
				end = now.Add(time.Hour)
			} else {
				require.False(t, same(d.Until), "answer must differ at until: %+v at %v", o, now)
				require.True(t, same(d.Until.Add(-1)), "answer must hold just before until")
			}
			for k := 0; k < 8; k++ {
				at := now.Add(time.Duration(rng.Int64N(int64(end.Sub(now)) + 1)))
				if at.Equal(d.Until) {
					continue
				}
				require.True(t, same(at), "answer changed inside [now, until): order %+v action %s now %v at %v", o, action, now, at)
			}
		}
	}
}

// Decide is on every read and allocates nothing; the benchmark reports
// allocations but cannot fail, so this pins it, for every reason of the
// built-in policy and for a custom one.
func TestDecideAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	custom, err := eligo.ParsePolicy([]byte(propertyPolicy))
	require.NoError(t, err)
	o := order()
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(15*time.Minute)
	for _, p := range []*eligo.Policy{eligo.DefaultPolicy(), custom} {
		for _, action := range append(p.ActionNames(), "refund") {
			for _, at := range []time.Duration{0, 5 * time.Minute, 11 * time.Minute, 16 * time.Minute} {
				now := t0.Add(at)
				allocs := testing.AllocsPerRun(100, func() { eligo.Decide(&o, p, action, now) })
				require.Zero(t, allocs, "Decide(%s) at +%s allocates", action, at)
			}
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	p := eligo.DefaultPolicy()
	o := order()
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(15*time.Minute)
	now := t0.Add(5 * time.Minute)
	b.ReportAllocs()
	var d eligo.Decision
	for b.Loop() {
		d = eligo.Decide(&o, p, "cancel", now)
	}
	_ = d
}
