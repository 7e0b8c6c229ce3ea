package loadgen

import (
	"sync/atomic"
	"time"
)

// pushLatencies measures one stream: for every version written while it
// was open, from the write's send to the first document at least that new
// (into lat), and from the write's answer to that document (into afterAck,
// counting in beforeAck the documents that came first); and for every until boundary it watched at which the answer
// changes by the clock alone, from the instant to the first document as of
// it (into boundary). A boundary that went by with no document, on a
// stream that stayed open PushTimeout past it, is a wrong answer, and so is
// a version that reached the stream more than PushTimeout after its write
// was acknowledged.
func pushLatencies(c *checker, s *stream, timeout time.Duration, lat, afterAck, boundary *histogram, beforeAck *atomic.Int64) {
	if len(s.docs) == 0 {
		return
	}
	h := c.h
	j := 0
	for v := s.docs[0].version + 1; v <= h.last(); v++ {
		x := h.at(v)
		if x.acked.IsZero() {
			continue // an expiry by the server has no send instant
		}
		for j < len(s.docs) && s.docs[j].version < v {
			j++
		}
		if j == len(s.docs) {
			break // a loss, if it is one, is judged by checker.stream
		}
		lat.Observe(s.docs[j].recv.Sub(x.sent))
		late := s.docs[j].recv.Sub(x.acked)
		afterAck.Observe(late)
		if late < 0 {
			beforeAck.Add(1)
		}
		if late > timeout {
			c.wrong(kindStream, "version %d (%s) reached the stream %s after it was acknowledged; the limit is %s", v, x.by, late.Round(time.Millisecond), timeout)
		}
	}
	for _, b := range []time.Time{h.an.promisedAt, h.an.paymentTimeoutAt} {
		if b.IsZero() || !b.After(s.docs[0].recv) || (!s.closed.IsZero() && !s.closed.After(b)) {
			continue
		}
		held := int64(0)
		var next *pushObs
		for i := range s.docs {
			d := &s.docs[i]
			if d.recv.Before(b) {
				held = d.version
			} else if next == nil && !d.asOf.Before(b) {
				next = d
			}
		}
		if held < 1 || held > h.last() {
			continue
		}
		st := h.at(held).state
		if al, r := expectCancel(st, h.an, b.Add(-time.Nanosecond)); al == expect(st, h.an, b).allowed && r == expect(st, h.an, b).reason {
			continue // the answer does not change there
		}
		if next == nil || next.recv.Sub(b) > timeout {
			// Nothing as of the boundary within the timeout: wrong, unless
			// a write near the boundary may have changed the answer itself
			// or the run cut the stream first.
			cut := next == nil && !(s.complete && s.closed.Sub(b) >= timeout)
			if !cut && !h.uncertain && !wroteBetween(h, b.Add(-h.tol), b.Add(timeout)) {
				c.wrong(kindStream, "the answer changed at %s (until) and no document was pushed within %s", stamp(b), timeout)
			}
			continue
		}
		if wroteBetween(h, b.Add(-h.tol), next.recv) {
			continue // the document may be for the write, not the boundary
		}
		boundary.Observe(next.recv.Sub(b))
	}
}

// wroteBetween reports whether a write of the history was sent in [from, to].
func wroteBetween(h *history, from, to time.Time) bool {
	for i := range h.versions {
		if t := h.versions[i].sent; !t.Before(from) && !t.After(to) {
			return true
		}
	}
	return false
}
