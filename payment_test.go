package eligo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// TestPaymentExpiryDoesNotDependOnTheJob pins the one notion of an unpaid
// payment: for every payment status, before and after the payment timeout,
// and whether or not the payment re-check has run (with the provider
// answering as the order stands, or FAILED), the built-in policy gives the
// same answer. From the instant the timeout passes an unpaid order (PENDING
// or FAILED) is refused as payment_expired, job or no job.
func TestPaymentExpiryDoesNotDependOnTheJob(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	timeout := t0.Add(15 * time.Minute) // after the promise at t0+10m
	before, after := timeout.Add(-time.Nanosecond), timeout
	sla := eligo.Decision{Allowed: true, Reason: "sla_breached", Until: timeout}
	expired := eligo.Decision{Reason: "payment_expired"}
	paid := eligo.Decision{Allowed: true, Reason: "sla_breached"}
	tests := []struct {
		payment eligo.PaymentStatus
		now     time.Time
		want    eligo.Decision
		expires bool // whether the job expires the order
	}{
		{eligo.PaymentPending, before, sla, false},
		{eligo.PaymentPending, after, expired, true},
		{eligo.PaymentFailed, before, sla, false},
		{eligo.PaymentFailed, after, expired, true},
		{eligo.PaymentPaid, before, paid, false},
		{eligo.PaymentPaid, after, paid, false},
	}
	for _, tt := range tests {
		o := order()
		o.PaymentStatus, o.PaymentTimeoutAt = tt.payment, timeout
		when := map[time.Time]string{before: "before", after: "after"}[tt.now]
		name := fmt.Sprintf("%s %s the timeout", tt.payment, when)
		t.Run(name+", no job", func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, eligo.Decide(&o, p, "cancel", tt.now))
		})
		for _, answer := range []eligo.PaymentStatus{eligo.PaymentPending, eligo.PaymentFailed} {
			t.Run(fmt.Sprintf("%s, job ran, provider says %s", name, answer), func(t *testing.T) {
				t.Parallel()
				next, notDue := eligo.RecheckPayment(o, answer, tt.now)
				require.Equal(t, tt.payment.Unpaid() && !tt.expires, notDue, "not due only while unpaid before the timeout")
				require.Equal(t, tt.expires, next.Status == eligo.StatusExpired)
				require.Equal(t, tt.want, eligo.Decide(&next, p, "cancel", tt.now), "the job changes the data, not the answer")
				want := tt.payment
				if tt.expires && answer > want {
					want = answer
				}
				require.Equal(t, want, next.PaymentStatus, "a FAILED answer is recorded with the expiry")
			})
		}
	}
}

func TestPaymentStatusUnpaid(t *testing.T) {
	t.Parallel()
	require.True(t, eligo.PaymentPending.Unpaid())
	require.True(t, eligo.PaymentFailed.Unpaid())
	require.False(t, eligo.PaymentPaid.Unpaid())
}

// Without a provider (the answer PENDING) the re-check expires an unpaid
// order exactly from its timeout on, and never a paid one.
func TestRecheckPaymentWithoutProvider(t *testing.T) {
	t.Parallel()
	o := order()
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(5*time.Minute)
	next, notDue := eligo.RecheckPayment(o, eligo.PaymentPending, t0.Add(5*time.Minute-1))
	require.True(t, notDue)
	require.Equal(t, o, next)
	next, notDue = eligo.RecheckPayment(o, eligo.PaymentPending, t0.Add(5*time.Minute))
	require.False(t, notDue)
	require.Equal(t, eligo.StatusExpired, next.Status)
	o.PaymentStatus = eligo.PaymentPaid
	next, _ = eligo.RecheckPayment(o, eligo.PaymentPending, t0.Add(time.Hour))
	require.Equal(t, eligo.StatusPlaced, next.Status, "a paid order never expires")
	o.PaymentStatus, o.Status = eligo.PaymentPending, eligo.StatusCancelled
	next, _ = eligo.RecheckPayment(o, eligo.PaymentPending, t0.Add(time.Hour))
	require.Equal(t, eligo.StatusCancelled, next.Status, "an order that is over stays as it is")
}
