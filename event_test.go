package eligo_test

import (
	"testing"

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

func TestEventValidateReservedPrefix(t *testing.T) {
	t.Parallel()
	e := eligo.Event{EventID: eligo.InternalEventIDPrefix + "job-1-payment_recheck", OrderID: "o-1", Type: eligo.EventPayment, Status: "PAID"}
	err := e.Validate()
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	require.Contains(t, eligo.ErrorMessage(err), "reserved")
	e.EventID = "job-1-payment_recheck"
	require.NoError(t, e.Validate())
}
