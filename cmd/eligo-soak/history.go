package main

import (
	"context"
	"fmt"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
)

// history is the synthetic past the soak lays down: orders numbered 0 to
// orders-1 in the order they were placed, the first orders-live of them
// ended (delivered) over span, the last live of them placed in the last
// 40 minutes and still open. Every time is a whole microsecond before now,
// and order i's life depends only on i, so the fresh store's live orders
// are the same rows as the history's.
type history struct {
	now          time.Time
	orders, live int
	span         time.Duration
}

// Times of an order's life, from its placing.
const (
	promisedAfter  = 45 * time.Minute
	assignedAfter  = 5 * time.Minute
	pickedUpAfter  = 15 * time.Minute
	deliveredAfter = 30 * time.Minute
	// liveWindow is how long before now the live orders were placed:
	// from liveWindow to liveWindow/4 ago, so their events are past.
	liveWindow = 40 * time.Minute
)

func (h *history) ended() int { return h.orders - h.live }

func orderID(i int) string    { return fmt.Sprintf("o%09d", i) }
func customerID(i int) string { return fmt.Sprintf("c%07d", i%1_000_000) }

// placedAt is when order i was placed: ended orders evenly over the span
// less an hour (so the last ends well before now), live ones evenly over
// the live window's first three quarters.
func (h *history) placedAt(i int) time.Time {
	var t time.Time
	if e := h.ended(); i < e {
		step := float64(h.span-time.Hour) / float64(e)
		t = h.now.Add(-h.span + time.Duration(float64(i)*step))
	} else {
		step := float64(liveWindow*3/4) / float64(h.live)
		t = h.now.Add(-liveWindow + time.Duration(float64(i-e)*step))
	}
	return t.Truncate(time.Microsecond)
}

// endedAt is when ended order i was delivered.
func (h *history) endedAt(i int) time.Time { return h.placedAt(i).Add(deliveredAfter) }

// plan is order i's life: an ended order is assigned, picked up (every
// other one) and delivered; a live one has had none, one or two driver
// events. Each event occurred a second before the store applied it.
func (h *history) plan(i int) bulk.Plan {
	placed := h.placedAt(i)
	id := orderID(i)
	p := bulk.Plan{
		Who: eligo.WhoService, CreatedAt: placed,
		Order: eligo.NewOrderParams{ID: id, CustomerID: customerID(i), PlacedAt: placed, PromisedAt: placed.Add(promisedAfter)},
	}
	type step struct {
		after  time.Duration
		status eligo.DriverStatus
	}
	var steps []step
	if i < h.ended() {
		steps = append(steps, step{assignedAfter, eligo.DriverAssigned})
		if i%2 == 1 {
			steps = append(steps, step{pickedUpAfter, eligo.DriverPickedUp})
		}
		steps = append(steps, step{deliveredAfter, eligo.DriverDelivered})
	} else {
		all := []step{{time.Minute, eligo.DriverAssigned}, {3 * time.Minute, eligo.DriverAtStore}}
		steps = all[:i%3]
	}
	for k, s := range steps {
		at := placed.Add(s.after)
		p.Steps = append(p.Steps, bulk.Step{At: at, Event: eligo.Event{
			EventID: fmt.Sprintf("e%09d-%d", i, k), OrderID: id, Type: eligo.EventDriverStatus,
			Status: s.status.String(), OccurredAt: at.Add(-time.Second),
		}})
	}
	return p
}

// steps is how many events order i's plan has (see plan).
func (h *history) steps(i int) int {
	if i < h.ended() {
		return 2 + i%2
	}
	return i % 3
}

// counts are the rows of a store's three tables.
type counts struct {
	Orders   int64 `json:"orders"`
	Versions int64 `json:"versions"`
	Events   int64 `json:"processed_events"`
}

// expected returns the rows plans from to to-1 make.
func (h *history) expected(from, to int) counts {
	var c counts
	for i := from; i < to; i++ {
		n := int64(h.steps(i))
		c.Orders++
		c.Versions += 1 + n
		c.Events += n
	}
	return c
}

// load lays down orders from to to-1 with bulkLoad, batch orders at a
// time, building the next batch while the store writes the last.
func (h *history) load(ctx context.Context, from, to, batch int, bulkLoad func(context.Context, *bulk.Rows) error, progress func(done int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *bulk.Rows, 1)
	free := make(chan *bulk.Rows, 2)
	free <- &bulk.Rows{Host: "soak", Build: "soak"}
	free <- &bulk.Rows{Host: "soak", Build: "soak"}
	genErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for start := from; start < to; start += batch {
			var rows *bulk.Rows
			select {
			case rows = <-free:
			case <-ctx.Done():
				genErr <- ctx.Err()
				return
			}
			rows.Reset()
			for i := start; i < min(start+batch, to); i++ {
				p := h.plan(i)
				if err := rows.Add(&p); err != nil {
					genErr <- err
					return
				}
			}
			batches <- rows
		}
		genErr <- nil
	}()
	done := 0
	for rows := range batches {
		if err := bulkLoad(ctx, rows); err != nil {
			return err
		}
		done += len(rows.Orders)
		if progress != nil {
			progress(done)
		}
		free <- rows
	}
	return <-genErr
}
