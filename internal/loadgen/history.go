package loadgen

import (
	"fmt"
	"sort"
	"time"

	"github.com/eligo/eligo"
)

// writeKind says what a write was.
type writeKind uint8

const (
	writeCreate writeKind = iota
	writeDriver
	writePayment
	writeCancel
)

// Outcomes of a write, as the server answered it. The first four are the
// contract's event outcomes; a create or a cancel that won is applied.
const (
	outcomeApplied    = eligo.OutcomeApplied
	outcomeStale      = eligo.OutcomeStale
	outcomeDuplicate  = eligo.OutcomeDuplicate
	outcomeRejected   = eligo.OutcomeRejected
	outcomeRefused    = "refused"    // a cancel answered 409
	outcomeUnanswered = "unanswered" // no answer: an error, or the run ended
)

// write is one request that may change an order, and what became of it.
type write struct {
	kind        writeKind
	status      uint8     // the driver or payment status an event names
	sent, acked time.Time // acked is zero when unanswered
	outcome     string
	version     int64  // when applied
	reason      string // a refused cancel's reason, a rejected event's error
}

func (w *write) String() string {
	switch w.kind {
	case writeCreate:
		return "create"
	case writeDriver:
		return "driver " + eligo.DriverStatus(w.status).String()
	case writePayment:
		return "payment " + eligo.PaymentStatus(w.status).String()
	}
	return "cancel"
}

// version is the ground truth of one version of an order and of the write
// that made it.
type version struct {
	state
	by    string    // the write that made it; "system" for an expiry
	sent  time.Time // when that write was sent (the payment timeout for an expiry)
	acked time.Time // when its answer arrived; zero for an expiry
}

// history is an order's versions rebuilt from the writes the server
// acknowledged: versions[i] is version i+1.
type history struct {
	an       anchors
	versions []version
	// uncertain is set when a write went unanswered: the server may have
	// applied it, so versions past the known ones may exist.
	uncertain bool
	tol       time.Duration
}

// buildHistory rebuilds the versions of an order created with the given
// anchors. Every applied write must hold a distinct version, the versions
// must run from 1 without a gap, and nothing may be applied once the order
// is over; each breach is returned as a finding.
func buildHistory(an anchors, writes []write, tol time.Duration) (*history, []finding) {
	h := &history{an: an, tol: tol}
	var applied []*write
	for i := range writes {
		switch writes[i].outcome {
		case outcomeApplied:
			applied = append(applied, &writes[i])
		case outcomeUnanswered:
			h.uncertain = true
		}
	}
	sort.SliceStable(applied, func(i, j int) bool { return applied[i].version < applied[j].version })
	var found []finding
	for _, w := range applied {
		want := h.last() + 1
		if w.version < want {
			found = append(found, wrongf(kindHistory, "version %d was given to two writes (%s among them)", w.version, w))
			continue
		}
		if w.version > want {
			// An unanswered write may hold the missing version; otherwise
			// nothing can: an expiry by the server ends the order.
			if !h.uncertain {
				found = append(found, wrongf(kindHistory, "version %d is missing: the next acknowledged write (%s) got version %d", want, w, w.version))
			}
			h.uncertain = true // judge nothing past the gap
			break
		}
		v := version{by: w.String(), sent: w.sent, acked: w.acked}
		if w.kind == writeCreate {
			if want != 1 {
				found = append(found, wrongf(kindHistory, "the create got version %d, not 1", w.version))
				h.uncertain = true
				break
			}
			v.state = state{payment: eligo.PaymentPaid}
			if !an.paymentTimeoutAt.IsZero() {
				v.state.payment = eligo.PaymentPending
			}
		} else {
			if want == 1 {
				found = append(found, wrongf(kindHistory, "%s got version 1, which belongs to the create", w))
				h.uncertain = true
				break
			}
			prev := h.versions[len(h.versions)-1].state
			if prev.terminal() {
				found = append(found, wrongf(kindHistory, "%s was applied as version %d after the order was over", w, w.version))
			}
			v.state = prev.apply(w)
		}
		h.versions = append(h.versions, v)
	}
	return h, found
}

// apply returns s moved forward by the write w.
func (s state) apply(w *write) state {
	switch w.kind {
	case writeDriver:
		s.driver = max(s.driver, eligo.DriverStatus(w.status))
	case writePayment:
		s.payment = max(s.payment, eligo.PaymentStatus(w.status))
	case writeCancel:
		s.cancelled = true
	}
	return s
}

// last returns the newest known version number (0 when none).
func (h *history) last() int64 { return int64(len(h.versions)) }

// at returns version v, which the caller has checked exists.
func (h *history) at(v int64) *version { return &h.versions[v-1] }

// newestAckedBefore returns the newest version whose write was acknowledged
// before t: any answer to a request sent at t must be at least that new.
func (h *history) newestAckedBefore(t time.Time) int64 {
	for v := len(h.versions); v > 0; v-- {
		if a := h.versions[v-1].acked; !a.IsZero() && a.Before(t) {
			return int64(v)
		}
	}
	return 0
}

// newestSentBefore returns the newest version whose write had been sent by
// t: no answer received at t can be newer.
func (h *history) newestSentBefore(t time.Time) int64 {
	n := int64(0)
	for v := range h.versions {
		if !h.versions[v].sent.After(t) {
			n = int64(v + 1)
		}
	}
	return n
}

// inferExpiry accepts that the server expired the order at its payment
// timeout (the payment re-check job does): a version the load generator did
// not write, possible only as the last one, when the payment was not paid
// (pending, or failed) and at is not before the timeout. It reports whether the history
// now ends with such an expiry.
func (h *history) inferExpiry(at time.Time) bool {
	if len(h.versions) == 0 || h.an.paymentTimeoutAt.IsZero() {
		return false
	}
	last := h.versions[len(h.versions)-1]
	if last.expired {
		return true
	}
	if last.terminal() || last.payment == eligo.PaymentPaid || at.Before(h.an.paymentTimeoutAt.Add(-h.tol)) {
		return false
	}
	s := last.state
	s.expired = true
	h.versions = append(h.versions, version{state: s, by: "system expiry", sent: h.an.paymentTimeoutAt})
	return true
}

// lookup resolves a version seen in an answer at instant at. It returns
// known=false with no finding when the version may exist but is unknown
// (the history is uncertain), and a finding when it cannot exist.
func (h *history) lookup(v int64, at time.Time) (known bool, f *finding) {
	switch {
	case v >= 1 && v <= h.last():
		return true, nil
	case v == h.last()+1 && h.inferExpiry(at):
		return true, nil
	case v > h.last() && h.uncertain:
		return false, nil
	}
	return false, ptr(wrongf(kindHistory, "version %d does not exist: the acknowledged writes made %d", v, h.last()))
}

func ptr[T any](v T) *T { return &v }

// finding is one wrong answer: its kind and a sentence a person can check.
type finding struct {
	kind string
	msg  string
}

// The kinds of wrong answers, as the report counts them.
const (
	kindRead        = "read"         // an eligibility document
	kindNotModified = "not_modified" // a 304
	kindPush        = "push"         // a document on the live stream
	kindStream      = "stream"       // the stream as a whole: order, loss
	kindCancel      = "cancel"       // the outcome of pressing Cancel
	kindEvent       = "event"        // the outcome of an event
	kindHistory     = "history"      // the versions the writes were given
)

func wrongf(kind, format string, args ...any) finding {
	return finding{kind: kind, msg: fmt.Sprintf(format, args...)}
}
