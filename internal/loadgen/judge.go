package loadgen

import (
	"fmt"
	"sort"
	"time"
)

// finish checks an order whose story is over.
func (r *runner) finish(o *order) {
	r.check(o, true)
	r.orderDone()
}

func (r *runner) orderDone() {
	if r.remaining.Add(-1) == 0 {
		close(r.allDone)
	}
}

// check judges everything about the order once: its writes, its reads,
// its streams; then lets go of them.
func (r *runner) check(o *order, complete bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.checked || o.placed.IsZero() {
		return
	}
	o.checked = true
	h, found := buildHistory(o.anchors, o.writes, r.cfg.ClockTolerance)
	c := &checker{h: h, found: found}
	for i := range o.writes {
		switch w := &o.writes[i]; w.kind {
		case writeCancel:
			c.cancel(w)
		case writeDriver, writePayment:
			c.event(w)
		}
	}
	for i := range o.reads {
		c.read(&o.reads[i])
	}
	c.etags(o.reads)
	for _, s := range o.streams {
		c.stream(s)
		pushLatencies(c, s, r.cfg.PushTimeout, &r.st.pushLat, &r.st.pushAfterAck, &r.st.boundaryLat, &r.st.pushBeforeAck)
	}
	if h.last() > 0 && h.at(h.last()).expired {
		r.st.expiries.Add(1)
	}
	shown, hidden := buttonSeen(o.reads, o.streams)
	if shown {
		r.st.shown.Add(1)
	}
	if hidden {
		r.st.hidden.Add(1)
	}
	if complete {
		r.st.finished.Add(1)
	}
	r.st.unchecked.Add(int64(c.unchecked))
	for _, f := range c.found {
		r.wrongNow(f.kind, "%s: %s", o.id, f.msg)
	}
	o.writes, o.reads, o.streams = nil, nil, nil
}

// buttonSeen reports whether the customer ever saw the Cancel button, and
// whether they then saw it hidden by the driver's arrival.
func buttonSeen(reads []readObs, streams []*stream) (shown, hidden bool) {
	type seen struct {
		at time.Time
		a  answer
	}
	var all []seen
	for _, ob := range reads {
		all = append(all, seen{ob.recv, ob.ans})
	}
	for _, s := range streams {
		for _, d := range s.docs {
			all = append(all, seen{d.recv, d.ans})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	for _, s := range all {
		if s.a.allowed {
			shown = true
		} else if shown && s.a.reason == reasonDriverAtDoorstep {
			hidden = true
		}
	}
	return shown, hidden
}

// wrongNow counts one wrong answer and keeps the first few for the report.
func (r *runner) wrongNow(kind, format string, args ...any) {
	r.st.wrong.add(kind, 1)
	r.st.samplesMu.Lock()
	defer r.st.samplesMu.Unlock()
	if len(r.st.samples) < maxSamples {
		r.st.samples = append(r.st.samples, kind+": "+fmt.Sprintf(format, args...))
	}
}

const maxSamples = 20
