package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func driverEvent(status string) *eligo.Event {
	return &eligo.Event{EventID: "e-" + status, OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: status}
}

func TestApplyEventMovesOnlyForward(t *testing.T) {
	t.Parallel()
	o := order()
	var err error
	for _, s := range []string{"ASSIGNED", "AT_STORE", "ARRIVED_AT_DOORSTEP"} {
		o, err = eligo.ApplyEvent(o, driverEvent(s))
		require.NoError(t, err)
	}
	require.Equal(t, eligo.DriverArrivedAtDoorstep, o.DriverStatus)

	// The bug this pins: a late PICKED_UP must never undo the arrival.
	late, err := eligo.ApplyEvent(o, driverEvent("PICKED_UP"))
	require.NoError(t, err)
	require.True(t, eligo.SameState(&o, &late))
	again, _ := eligo.ApplyEvent(o, driverEvent("ARRIVED_AT_DOORSTEP"))
	require.True(t, eligo.SameState(&o, &again), "a repeated status changes nothing")

	done, err := eligo.ApplyEvent(o, driverEvent("DELIVERED"))
	require.NoError(t, err)
	require.Equal(t, eligo.StatusDelivered, done.Status, "a driver DELIVERED delivers the order")
	require.Equal(t, eligo.DriverDelivered, done.DriverStatus)
}

func TestApplyEventPayment(t *testing.T) {
	t.Parallel()
	o := order()
	o.PaymentStatus = eligo.PaymentPending
	pay := func(o eligo.Order, s string) eligo.Order {
		out, err := eligo.ApplyEvent(o, &eligo.Event{EventID: "p", OrderID: o.ID, Type: eligo.EventPayment, Status: s})
		require.NoError(t, err)
		return out
	}
	failed := pay(o, "FAILED")
	require.Equal(t, eligo.PaymentFailed, failed.PaymentStatus)
	paid := pay(failed, "PAID")
	require.Equal(t, eligo.PaymentPaid, paid.PaymentStatus, "a failed payment may still be paid")
	require.Equal(t, eligo.PaymentPaid, pay(paid, "FAILED").PaymentStatus, "paid is final")
	require.Equal(t, eligo.PaymentPaid, pay(paid, "PENDING").PaymentStatus)
}

func TestApplyEventTerminalOrderIgnoresEvents(t *testing.T) {
	t.Parallel()
	o := order()
	o.Status = eligo.StatusCancelled
	out, err := eligo.ApplyEvent(o, driverEvent("ARRIVED_AT_DOORSTEP"))
	require.NoError(t, err)
	require.True(t, eligo.SameState(&o, &out))
}

func TestApplyEventRejectsBadEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   eligo.Event
	}{
		{"no event id", eligo.Event{OrderID: "o", Type: "driver_status", Status: "ASSIGNED"}},
		{"no order id", eligo.Event{EventID: "e", Type: "driver_status", Status: "ASSIGNED"}},
		{"unknown type", eligo.Event{EventID: "e", OrderID: "o", Type: "gps", Status: "ASSIGNED"}},
		{"unknown driver status", eligo.Event{EventID: "e", OrderID: "o", Type: "driver_status", Status: "LOST"}},
		{"driver none is not a status", eligo.Event{EventID: "e", OrderID: "o", Type: "driver_status", Status: ""}},
		{"payment status on a driver event", eligo.Event{EventID: "e", OrderID: "o", Type: "driver_status", Status: "PAID"}},
		{"id with a slash", eligo.Event{EventID: "e/1", OrderID: "o", Type: "payment", Status: "PAID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := order()
			out, err := eligo.ApplyEvent(o, &tt.ev)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
			require.Equal(t, o, out, "a rejected event changes nothing")
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	o := order()

	_, err := eligo.Cancel(o, p, t0.Add(time.Minute))
	require.Equal(t, eligo.ECONFLICT, eligo.ErrorCode(err))
	require.Equal(t, "outside_window", eligo.ErrorReason(err))

	c, err := eligo.Cancel(o, p, o.PromisedAt)
	require.NoError(t, err)
	require.Equal(t, eligo.StatusCancelled, c.Status)

	again, err := eligo.Cancel(c, p, o.PromisedAt.Add(time.Hour))
	require.NoError(t, err, "cancelling a cancelled order is not an error")
	require.Equal(t, c, again)

	o.DriverStatus = eligo.DriverArrivedAtDoorstep
	_, err = eligo.Cancel(o, p, o.PromisedAt.Add(time.Minute))
	require.Equal(t, "driver_at_doorstep", eligo.ErrorReason(err))
}

func TestExpire(t *testing.T) {
	t.Parallel()
	o := order()
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(5*time.Minute)
	require.Equal(t, eligo.StatusPlaced, eligo.Expire(o, t0.Add(5*time.Minute-1)).Status)
	require.Equal(t, eligo.StatusExpired, eligo.Expire(o, t0.Add(5*time.Minute)).Status)
	o.PaymentStatus = eligo.PaymentPaid
	require.Equal(t, eligo.StatusPlaced, eligo.Expire(o, t0.Add(time.Hour)).Status, "a paid order never expires")
}

func TestNewOrder(t *testing.T) {
	t.Parallel()
	o, err := eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: "c", PromisedAt: t0.Add(time.Minute)}, t0)
	require.NoError(t, err)
	require.Equal(t, eligo.PaymentPaid, o.PaymentStatus, "no payment timeout means paid")
	require.Equal(t, int64(1), o.Version)
	require.Equal(t, t0, o.PlacedAt, "placed_at defaults to now")

	o, err = eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: "c", PromisedAt: t0.Add(time.Minute), PaymentTimeoutAt: t0.Add(time.Minute)}, t0)
	require.NoError(t, err)
	require.Equal(t, eligo.PaymentPending, o.PaymentStatus)

	for name, p := range map[string]eligo.NewOrderParams{
		"missing promised_at":      {ID: "o", CustomerID: "c"},
		"missing id":               {CustomerID: "c", PromisedAt: t0},
		"missing customer":         {ID: "o", PromisedAt: t0},
		"promise before placement": {ID: "o", CustomerID: "c", PlacedAt: t0, PromisedAt: t0.Add(-time.Second)},
		"id with a space":          {ID: "o 1", CustomerID: "c", PromisedAt: t0},
	} {
		_, err := eligo.NewOrder(&p, t0)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), name)
	}
}

func TestEventValidateReservedPrefix(t *testing.T) {
	t.Parallel()
	e := eligo.Event{EventID: eligo.InternalEventIDPrefix + "job-1-payment_recheck", OrderID: "o-1", Type: eligo.EventPayment, Status: "PAID"}
	err := e.Validate()
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	require.Contains(t, eligo.ErrorMessage(err), "reserved")
	e.EventID = "job-1-payment_recheck"
	require.NoError(t, e.Validate())
}
