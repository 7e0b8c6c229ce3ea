package loadgen

import (
	"time"

	"github.com/eligo/eligo"
)

// readObs is one eligibility answer a viewer got: a document (200) or a
// 304, for which version and ans are those of the document the viewer held.
type readObs struct {
	sent, recv  time.Time
	notModified bool
	version     int64
	asOf        time.Time // zero on a 304
	ans         answer
	maxAge      int    // Cache-Control max-age in seconds; -1 when absent
	etag        string // on a 200
}

// pushObs is one document received on the live stream.
type pushObs struct {
	recv    time.Time
	version int64
	asOf    time.Time
	ans     answer
}

// stream is one chat viewer's live session.
type stream struct {
	sent   time.Time // when the request was sent
	closed time.Time
	// complete is set when the stream stayed open until the order's last
	// acknowledged write plus the push timeout, so a missing last version
	// is a loss and not a cut.
	complete bool
	docs     []pushObs
}

// checker judges one order's answers against its history.
type checker struct {
	h     *history
	found []finding
	// unchecked counts answers that name a version an unanswered write may
	// have made: neither right nor wrong.
	unchecked int
}

func (c *checker) wrong(kind, format string, args ...any) {
	c.found = append(c.found, wrongf(kind, format, args...))
}

// known resolves v for an answer of the given kind and reports whether it
// can be judged.
func (c *checker) known(kind string, v int64, at time.Time) bool {
	ok, f := c.h.lookup(v, at)
	if f != nil {
		c.wrong(kind, "%s", f.msg)
	}
	if !ok && f == nil {
		c.unchecked++
	}
	return ok
}

// read judges one eligibility answer.
func (c *checker) read(ob *readObs) {
	if ob.notModified {
		c.notModified(ob)
		return
	}
	if !c.known(kindRead, ob.version, ob.asOf) {
		return
	}
	tol := c.h.tol
	if fresh := c.h.newestAckedBefore(ob.sent); ob.version < fresh {
		c.wrong(kindRead, "read sent at %s answered version %d, but version %d had been acknowledged before", stamp(ob.sent), ob.version, fresh)
	}
	if v := c.h.at(ob.version); v.sent.After(ob.recv) {
		c.wrong(kindRead, "version %d arrived at %s, before its write (%s) was sent", ob.version, stamp(ob.recv), v.by)
	}
	if ob.asOf.Before(ob.sent.Add(-tol-time.Millisecond)) || ob.asOf.After(ob.recv.Add(tol)) {
		c.wrong(kindRead, "as_of %s lies outside the request's span [%s, %s] (tolerance %s)", stamp(ob.asOf), stamp(ob.sent), stamp(ob.recv), tol)
	}
	want := expect(c.h.at(ob.version).state, c.h.an, ob.asOf)
	if !sameAnswer(ob.ans, want) {
		c.wrong(kindRead, "version %d at %s answered %s; the rule says %s", ob.version, stamp(ob.asOf), ob.ans, want)
	}
	if !want.until.IsZero() && ob.maxAge > 0 && ob.asOf.Add(time.Duration(ob.maxAge)*time.Second).After(want.until) {
		c.wrong(kindRead, "max-age=%d at %s lets a cache serve the answer past until %s", ob.maxAge, stamp(ob.asOf), stamp(want.until))
	}
}

// notModified judges a 304: the document the viewer held must still be the
// current one at some instant of the request.
func (c *checker) notModified(ob *readObs) {
	if !c.known(kindNotModified, ob.version, ob.recv) {
		return
	}
	if fresh := c.h.newestAckedBefore(ob.sent); ob.version < fresh {
		c.wrong(kindNotModified, "304 for version %d to a request sent at %s, but version %d had been acknowledged before", ob.version, stamp(ob.sent), fresh)
		return
	}
	tol := c.h.tol
	for _, a := range answersDuring(c.h.at(ob.version).state, c.h.an, ob.sent.Add(-tol), ob.recv.Add(tol)) {
		if sameAnswer(a, ob.ans) {
			return
		}
	}
	c.wrong(kindNotModified, "304 between %s and %s kept %s for version %d; the rule says %s", stamp(ob.sent), stamp(ob.recv), ob.ans, ob.version, expect(c.h.at(ob.version).state, c.h.an, ob.recv))
}

// etags checks that two documents with the same ETag say the same thing,
// so that a 304 never hides a change.
func (c *checker) etags(reads []readObs) {
	seen := map[string]*readObs{}
	for i := range reads {
		ob := &reads[i]
		if ob.notModified || ob.etag == "" {
			continue
		}
		if prev, ok := seen[ob.etag]; ok && (prev.version != ob.version || !sameAnswer(prev.ans, ob.ans)) {
			c.wrong(kindRead, "ETag %s was given to version %d (%s) and to version %d (%s)", ob.etag, prev.version, prev.ans, ob.version, ob.ans)
		}
		seen[ob.etag] = ob
	}
}

// stream judges every document pushed on one live session: each must be
// true of its version at its as_of, versions never go back, and a stream
// that stayed open long enough ends at the order's last version.
func (c *checker) stream(s *stream) {
	tol := c.h.tol
	var prev int64
	for i := range s.docs {
		d := &s.docs[i]
		if d.version < prev {
			c.wrong(kindStream, "the stream went back from version %d to %d", prev, d.version)
		}
		prev = max(prev, d.version)
		if !c.known(kindPush, d.version, d.asOf) {
			continue
		}
		if v := c.h.at(d.version); v.sent.After(d.recv) {
			c.wrong(kindPush, "version %d was pushed at %s, before its write (%s) was sent", d.version, stamp(d.recv), v.by)
		}
		if d.asOf.Before(s.sent.Add(-tol-time.Millisecond)) || d.asOf.After(d.recv.Add(tol)) {
			c.wrong(kindPush, "pushed as_of %s lies outside [%s, %s] (tolerance %s)", stamp(d.asOf), stamp(s.sent), stamp(d.recv), tol)
		}
		if want := expect(c.h.at(d.version).state, c.h.an, d.asOf); !sameAnswer(d.ans, want) {
			c.wrong(kindPush, "pushed version %d at %s said %s; the rule says %s", d.version, stamp(d.asOf), d.ans, want)
		}
	}
	if s.complete && !c.h.uncertain && prev < c.h.last() && !(prev == c.h.last()-1 && c.h.at(c.h.last()).by == "system expiry") {
		c.wrong(kindStream, "the stream ended at version %d; the order is at version %d", prev, c.h.last())
	}
}

// cancel judges the outcome of pressing Cancel against the race with the
// driver: it may win only if some instant of the request allowed it on the
// version it replaced, and a refusal must name a reason that a version
// current during the request gives at some instant of it.
func (c *checker) cancel(w *write) {
	tol := c.h.tol
	from, to := w.sent.Add(-tol), w.acked.Add(tol)
	switch w.outcome {
	case outcomeApplied:
		if w.version < 2 || w.version > c.h.last() {
			return // the history reported it
		}
		before := c.h.at(w.version - 1)
		for _, a := range answersDuring(before.state, c.h.an, from, to) {
			if a.allowed {
				return
			}
		}
		c.wrong(kindCancel, "cancel sent at %s won over version %d (%s), which the rule refuses: %s", stamp(w.sent), w.version-1, before.by, expect(before.state, c.h.an, w.sent))
	case outcomeRefused:
		if w.reason == reasonExpired {
			c.h.inferExpiry(w.acked)
		}
		lo, hi := c.h.newestAckedBefore(w.sent), c.h.newestSentBefore(w.acked)
		for v := max(lo, 1); v <= hi; v++ {
			for _, a := range answersDuring(c.h.at(v).state, c.h.an, from, to) {
				if !a.allowed && a.reason == w.reason {
					return
				}
			}
		}
		if c.h.uncertain {
			c.unchecked++
			return
		}
		c.wrong(kindCancel, "cancel sent at %s was refused as %q, which no version from %d to %d gives then", stamp(w.sent), w.reason, lo, hi)
	}
}

// event judges an event's outcome. The generator sends each order's events
// once, in order, and never one that names a status the order has passed,
// so "stale" is right only when the order was over by the time the event
// was answered, and "duplicate" or "rejected" never is.
func (c *checker) event(w *write) {
	switch w.outcome {
	case outcomeStale:
		for v := c.h.last(); v >= 1; v-- {
			if x := c.h.at(v); x.terminal() && !x.sent.After(w.acked) {
				return
			}
		}
		if c.h.inferExpiry(w.acked) || c.h.uncertain {
			return
		}
		c.wrong(kindEvent, "%s sent at %s was answered stale, but the order was not over", w, stamp(w.sent))
	case outcomeDuplicate:
		c.wrong(kindEvent, "%s sent once at %s was answered duplicate", w, stamp(w.sent))
	case outcomeRejected:
		c.wrong(kindEvent, "%s sent at %s was rejected: %s", w, stamp(w.sent), w.reason)
	}
}

// stamp formats an instant for a finding.
func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000000") }

// parseDriver and parsePayment turn status names into the domain's values;
// the generator only sends names it knows.
func parseDriver(s string) uint8 {
	v, _ := eligo.ParseDriverStatus(s)
	return uint8(v)
}

func parsePayment(s string) uint8 {
	v, _ := eligo.ParsePaymentStatus(s)
	return uint8(v)
}
