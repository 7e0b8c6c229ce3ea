package main

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// orderPolls holds what one customer's map page read.
type orderPolls struct {
	mu  sync.Mutex
	obs []observation
}

// observation is one eligibility answer and when it was asked for.
type observation struct {
	sent     time.Time
	version  int64
	asOf     time.Time
	decision actionDecision
}

// poll reads eligibility every Poll interval, as the map page does, until
// ctx ends.
func (sim *simulation) poll(ctx context.Context, o *simOrder, promisedAt time.Time, polls *orderPolls) {
	tick := time.NewTicker(sim.cfg.Poll)
	defer tick.Stop()
	for {
		sim.read(ctx, o, promisedAt, polls)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (sim *simulation) read(ctx context.Context, o *simOrder, _ time.Time, polls *orderPolls) {
	sent := time.Now()
	var doc eligibilityDoc
	code, err := sim.api.do(ctx, http.MethodGet, "/v1/orders/"+o.id+"/eligibility", o.token, nil, &doc)
	if ctx.Err() != nil {
		return
	}
	sim.sum.Reads.Add(1)
	if err != nil || code != http.StatusOK {
		sim.sum.Errors.Add(1)
		return
	}
	polls.mu.Lock()
	polls.obs = append(polls.obs, observation{sent: sent, version: doc.Version, asOf: doc.AsOf, decision: doc.Actions["cancel"]})
	polls.mu.Unlock()
}

// simVersion is the ground truth of one version of an order.
type simVersion struct {
	driver    int
	cancelled bool
	acked     time.Time
}

// check judges everything the order's customer saw, once every write has
// been acknowledged, against the article's rule written out independently
// of the server's policy engine.
func (sim *simulation) check(o *simOrder, promisedAt time.Time, polls *orderPolls) {
	o.mu.Lock()
	defer o.mu.Unlock()
	history, ok := sim.history(o)
	if !ok {
		return
	}
	sim.checkCancel(o, promisedAt, history)

	polls.mu.Lock()
	defer polls.mu.Unlock()
	shown, hidden := false, false
	for _, ob := range polls.obs {
		if ob.version < 1 || ob.version > int64(len(history)) {
			sim.sum.wrong("%s: read version %d, but only %d exist", o.id, ob.version, len(history))
			continue
		}
		// Fresh: no older than the newest write acknowledged before the read.
		for v := len(history); v > int(ob.version); v-- {
			if history[v-1].acked.Before(ob.sent) {
				sim.sum.wrong("%s: read version %d after version %d was acknowledged", o.id, ob.version, v)
				break
			}
		}
		st := history[ob.version-1]
		allowed, reason := expectedCancel(st, ob.asOf, promisedAt)
		if ob.decision.Allowed != allowed || ob.decision.Reason != reason {
			sim.sum.wrong("%s: version %d at %s answered %v/%s, expected %v/%s", o.id, ob.version, ob.asOf.Format(time.RFC3339Nano), ob.decision.Allowed, ob.decision.Reason, allowed, reason)
		}
		if ob.decision.Allowed {
			shown = true
		} else if shown && ob.decision.Reason == "driver_at_doorstep" {
			hidden = true
		}
	}
	if shown {
		sim.sum.Shown.Add(1)
	}
	if hidden {
		sim.sum.Hidden.Add(1)
	}
}

// history rebuilds the order's versions from the acknowledged writes; it
// reports a gap or a version written twice as a wrong answer.
func (sim *simulation) history(o *simOrder) ([]simVersion, bool) {
	n := int64(0)
	for _, w := range o.writes {
		n = max(n, w.version)
	}
	if o.cancel != nil && o.cancel.code == http.StatusOK {
		n = max(n, o.cancel.version)
	}
	history := make([]simVersion, n)
	seen := make([]bool, n)
	set := func(v int64, sv simVersion) bool {
		if v < 1 || v > n || seen[v-1] {
			sim.sum.wrong("%s: version %d written twice or out of range", o.id, v)
			return false
		}
		seen[v-1], history[v-1] = true, sv
		return true
	}
	for _, w := range o.writes {
		if w.outcome == "applied" && !set(w.version, simVersion{driver: w.driver, acked: w.acked}) {
			return nil, false
		}
	}
	if c := o.cancel; c != nil && c.code == http.StatusOK {
		if !set(c.version, simVersion{cancelled: true, acked: c.received}) {
			return nil, false
		}
	}
	for v := range history {
		if !seen[v] {
			sim.sum.wrong("%s: version %d is missing", o.id, v+1)
			return nil, false
		}
		if history[v].cancelled && v > 0 {
			history[v].driver = history[v-1].driver
		}
		if v > 0 && history[v-1].cancelled {
			sim.sum.wrong("%s: version %d was written after the cancel", o.id, v+1)
			return nil, false
		}
	}
	return history, true
}

// checkCancel judges the cancel against the race with the driver: it wins
// only if the promise was broken and the arrival was not applied before it;
// a refusal must name what stopped it.
func (sim *simulation) checkCancel(o *simOrder, promisedAt time.Time, history []simVersion) {
	c := o.cancel
	for _, w := range o.writes {
		if w.outcome == "stale" && (c == nil || c.code != http.StatusOK) {
			sim.sum.wrong("%s: an event was stale on an order that was never cancelled", o.id)
		}
	}
	if c == nil {
		return
	}
	arrived := history[len(history)-1].driver >= arrivedIndex
	switch {
	case c.code == http.StatusOK:
		before := history[c.version-2]
		if c.received.Before(promisedAt) || before.driver >= arrivedIndex {
			sim.sum.wrong("%s: cancel won though the promise was not broken or the driver had arrived", o.id)
		}
	case c.reason == "outside_window":
		if !c.sent.Before(promisedAt) {
			sim.sum.wrong("%s: cancel refused as outside_window after the promise", o.id)
		}
	case c.reason == "driver_at_doorstep" || c.reason == "delivered":
		if !arrived {
			sim.sum.wrong("%s: cancel refused as %s, but the driver never arrived", o.id, c.reason)
		}
	default:
		sim.sum.wrong("%s: cancel refused with unexpected reason %q", o.id, c.reason)
	}
}

// expectedCancel is the article's rule: cancel once the promise is broken,
// never once the driver is at the doorstep or the order is over.
func expectedCancel(st simVersion, at, promisedAt time.Time) (bool, string) {
	switch {
	case st.cancelled:
		return false, "cancelled"
	case st.driver >= deliveredIndex:
		return false, "delivered"
	case st.driver >= arrivedIndex:
		return false, "driver_at_doorstep"
	case at.Before(promisedAt):
		return false, "outside_window"
	}
	return true, "sla_breached"
}
