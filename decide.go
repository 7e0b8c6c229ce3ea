package eligo

import (
	"math"
	"math/bits"
	"time"
)

// Decision is the answer to "may this action be done now?".
type Decision struct {
	Allowed bool
	// Reason names the window that allows, the first block that forbids, or
	// ReasonOutsideWindow.
	Reason string
	// Until is the next instant at which the answer changes by the clock
	// alone; zero when it never does.
	Until time.Time
}

// Decide answers whether action may be done on o at instant now under p. It
// is pure and total: no clock, no I/O, no allocation, and every input has an
// answer (an action the policy lacks is refused with ReasonUnknownAction).
//
// The answer is constant on [now, Until) and differs at Until.
//
// The rule decided is that of the first segment that matches o
// (Policy.RulesFor), or the default one.
func Decide(o *Order, p *Policy, action string, now time.Time) Decision {
	i := p.actionIndex(action)
	if i < 0 {
		return Decision{Reason: ReasonUnknownAction}
	}
	return p.RulesFor(o)[i].Decide(o, now)
}

// Decide is Decide for one action rule, whichever segment it belongs to.
func (a *ActionPolicy) Decide(o *Order, now time.Time) Decision {
	if a.Once && o.HasTaken(a.Name) {
		// Taken once: refused from now on, whatever the clock says.
		return Decision{Reason: ReasonAlreadyTaken}
	}
	t := now.UnixNano()
	in := instantsOf(o, a)
	// The statuses do not change with time, so which blocks match them is
	// settled once; only their From bounds are checked per instant.
	var matching uint64
	for i := range a.blocks {
		if a.blocks[i].matchesStatus(o) {
			matching |= 1 << i
		}
	}
	allowed, reason := a.evaluate(matching, &in, t)
	d := Decision{Allowed: allowed, Reason: reason}
	// The answer depends on time only through comparisons with the bounds,
	// so it can change only at a bound. Walk them in order until one does.
	for {
		next, ok := a.nextBound(matching, &in, t)
		if !ok {
			return d
		}
		if al, r := a.evaluate(matching, &in, next); al != allowed || r != reason {
			d.Until = time.Unix(0, next).UTC()
			return d
		}
		t = next
	}
}

// evaluate is the answer at instant t (Unix nanoseconds), without Until,
// given the set of blocks whose statuses match (bit i for blocks[i]).
func (a *ActionPolicy) evaluate(matching uint64, in *instants, t int64) (bool, string) {
	for m := matching; m != 0; m &= m - 1 {
		b := &a.blocks[bits.TrailingZeros64(m)]
		if b.From.IsSet() {
			from, ok := b.From.at(in)
			if !ok || t < from {
				continue
			}
		}
		return false, b.Name
	}
	for i := range a.windows {
		w := &a.windows[i]
		from, ok := w.From.at(in)
		if !ok || t < from {
			continue
		}
		if w.To.IsSet() {
			to, ok := w.To.at(in)
			if !ok || t >= to {
				continue
			}
		}
		return true, w.Name
	}
	return false, ReasonOutsideWindow
}

// nextBound returns the earliest bound of the rule that lies after t.
func (a *ActionPolicy) nextBound(matching uint64, in *instants, t int64) (int64, bool) {
	next := int64(math.MaxInt64)
	for m := matching; m != 0; m &= m - 1 {
		if b := &a.blocks[bits.TrailingZeros64(m)]; b.From.IsSet() {
			next = earliestAfter(next, b.From, in, t)
		}
	}
	for i := range a.windows {
		next = earliestAfter(next, a.windows[i].From, in, t)
		next = earliestAfter(next, a.windows[i].To, in, t)
	}
	return next, next != math.MaxInt64
}

// earliestAfter returns b's instant if it lies after t and before next, and
// next otherwise.
func earliestAfter(next int64, b bound, in *instants, t int64) int64 {
	if v, ok := b.at(in); ok && v > t && v < next {
		return v
	}
	return next
}
