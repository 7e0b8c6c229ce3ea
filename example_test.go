package eligo_test

import (
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// Decide answers from the order's data and the instant of the read, and says
// until when the answer holds, so a reader needs no timer.
func ExampleDecide() {
	placed := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o, err := eligo.NewOrder(&eligo.NewOrderParams{
		ID:               "ord-1",
		CustomerID:       "cust-9",
		PlacedAt:         placed,
		PromisedAt:       placed.Add(10 * time.Minute),
		PaymentTimeoutAt: placed.Add(15 * time.Minute),
	}, placed)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := eligo.DefaultPolicy()
	for _, after := range []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute} {
		d := eligo.Decide(&o, p, "cancel", placed.Add(after))
		until := "never changes"
		if !d.Until.IsZero() {
			until = "until " + d.Until.Format("15:04")
		}
		fmt.Printf("%s: allowed=%t reason=%s, %s\n", placed.Add(after).Format("15:04"), d.Allowed, d.Reason, until)
	}
	// Output:
	// 12:05: allowed=false reason=outside_window, until 12:10
	// 12:10: allowed=true reason=sla_breached, until 12:15
	// 12:15: allowed=false reason=payment_expired, never changes
}

// ParsePolicy reads a policy file and refuses a bad one with an error that
// names the place.
func ExampleParsePolicy() {
	p, err := eligo.ParsePolicy([]byte(`{"actions": {"reschedule": {
	  "windows": [{"name": "before_pickup", "from": "placed_at", "to": "promised_at-2m"}],
	  "blocks": [{"name": "picked_up", "driver_status": ["PICKED_UP", "ARRIVED_AT_DOORSTEP", "DELIVERED"]}]}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ActionNames())

	placed := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "ord-1", CustomerID: "cust-9", PaymentStatus: eligo.PaymentPaid,
		PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute)}
	d := eligo.Decide(&o, p, "reschedule", placed.Add(time.Minute))
	fmt.Println(d.Allowed, d.Reason, d.Until.Format(time.Kitchen))
	o.DriverStatus = eligo.DriverPickedUp
	d = eligo.Decide(&o, p, "reschedule", placed.Add(time.Minute))
	fmt.Println(d.Allowed, d.Reason)

	_, err = eligo.ParsePolicy([]byte(`{"actions": {"cancel": {
	  "windows": [{"name": "late", "from": "promised_at"}],
	  "blocks": [{"name": "lost", "status": ["LOST"]}]}}}`))
	fmt.Println(eligo.ErrorMessage(err))
	// Output:
	// [reschedule]
	// true before_pickup 12:08PM
	// false picked_up
	// actions.cancel.blocks[0].status[0]: unknown order status "LOST"; expected one of [PLACED CANCELLED DELIVERED EXPIRED]
}
