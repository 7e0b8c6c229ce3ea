package loadgen

import (
	"math/rand/v2"
	"time"

	"github.com/eligo/eligo"
)

// plan is one order's script. Offsets other than placeAt count from the
// moment the order is placed.
type plan struct {
	placeAt        time.Duration // from the start of the run
	promise        time.Duration
	paymentTimeout time.Duration // zero: paid at create
	events         []plannedEvent
	cancelAt       time.Duration // zero: the customer never presses Cancel
	chat           bool          // the customer watches the chat page, not the map
	openAt         time.Duration // when the chat page opens
	firstPoll      time.Duration // when the map page first reads, within one poll interval
	end            time.Duration // when the script is over
}

// plannedEvent is one event fulfillment or payments will send.
type plannedEvent struct {
	at     time.Duration
	typ    string // eligo.EventDriverStatus or eligo.EventPayment
	status string
}

func (e plannedEvent) write() write {
	if e.typ == eligo.EventPayment {
		return write{kind: writePayment, status: parsePayment(e.status)}
	}
	return write{kind: writeDriver, status: parseDriver(e.status)}
}

// makePlan scripts order i (from 0) of the run. Every offset is a whole
// number of milliseconds, as the API's instants are: as_of has millisecond
// precision, so the checks are exact only on millisecond boundaries.
func makePlan(i int, c *Config, rng *rand.Rand) plan {
	p := c.Promise.Truncate(time.Millisecond)
	frac := func(lo, hi float64) time.Duration {
		return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(p)).Truncate(time.Millisecond)
	}
	pl := plan{promise: p}
	if c.Orders > 1 {
		pl.placeAt = time.Duration(float64(c.Ramp) * float64(i) / float64(c.Orders-1))
	}
	arrive := frac(0.5, 1.5)
	paidAt := time.Duration(0)
	switch u := rng.Float64(); {
	case u < c.UnpaidShare:
		// Never paid: no driver is sent; the order lingers past its
		// timeout until the customer gives up.
		pl.paymentTimeout = p / 2
		pl.end = frac(1.1, 1.3)
	case u < c.UnpaidShare+c.PayLaterShare:
		pl.paymentTimeout = p / 2
		if rng.IntN(4) == 0 {
			pl.events = append(pl.events, plannedEvent{frac(0.02, 0.08), eligo.EventPayment, "FAILED"})
		}
		paidAt = frac(0.1, 0.3)
		pl.events = append(pl.events, plannedEvent{paidAt, eligo.EventPayment, "PAID"})
	}
	if pl.end == 0 {
		for _, s := range []struct {
			at     time.Duration
			status string
		}{
			{max(arrive/10, paidAt+time.Millisecond), "ASSIGNED"},
			{arrive / 2, "PICKED_UP"},
			{arrive, "ARRIVED_AT_DOORSTEP"},
			{arrive + p/10, "DELIVERED"},
		} {
			at := s.at.Truncate(time.Millisecond)
			if n := len(pl.events); n > 0 {
				at = max(at, pl.events[n-1].at+time.Millisecond)
			}
			pl.events = append(pl.events, plannedEvent{at, eligo.EventDriverStatus, s.status})
		}
		pl.end = pl.events[len(pl.events)-1].at
	}
	// Some customers press Cancel: most of them in the last moments before
	// the arrival or just after it, the others at any moment.
	if rng.Float64() < c.CancelShare {
		if pl.end > arrive && rng.IntN(5) < 3 {
			pl.cancelAt = arrive + time.Duration(rng.NormFloat64()*float64(p)/20)
		} else {
			pl.cancelAt = time.Duration(rng.Float64() * float64(pl.end))
		}
		pl.cancelAt = max(pl.cancelAt.Truncate(time.Millisecond), time.Millisecond)
	}
	pl.firstPoll = time.Duration(rng.Float64() * float64(c.Poll))
	if rng.Float64() < c.ChatShare {
		pl.chat = true
		pl.openAt = time.Duration((0.2 + 0.7*rng.Float64()) * float64(min(arrive, pl.end))).Truncate(time.Millisecond)
	}
	return pl
}
