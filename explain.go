package eligo

import "time"

// Explanation is why an action is answered as it is for one order at one
// instant: the decision, the segment whose rule decided it, and every
// window and block of that rule with whether it applies and when that
// next changes. It is what a support agent reads to answer "why can I not
// cancel?" (GET /v1/orders/{id}/eligibility?explain=true).
type Explanation struct {
	Action   string
	Segment  string // "" for the default rules
	AsOf     time.Time
	Decision Decision
	Windows  []RuleState
	Blocks   []RuleState // in the order they are checked; already_taken first for a "once" action
}

// RuleState is one window or block of a rule, on one order at one instant.
type RuleState struct {
	Name string
	// Matched says the rule applies at the instant: a window is open, a
	// block forbids.
	Matched bool
	// StatusMatched says, of a block, that the order's statuses are among
	// those it lists (or it lists none); it then forbids from From on.
	StatusMatched bool
	// From and To are the rule's bounds on this order as written in the
	// policy and as instants (zero when the bound is unset, or the order
	// lacks its timestamp or deadline: such a window never opens, such a
	// block never forbids).
	FromBound, ToBound string
	From, To           time.Time
	// Missing names the order's timestamps or deadlines that a bound needs
	// and the order lacks.
	Missing []string
	// Next is the next instant after AsOf at which Matched changes by the
	// clock alone; zero when it never does.
	Next time.Time
}

// Explain explains the decision for action on o at now under p. It
// reports false for an action the policy lacks. Unlike Decide it
// allocates: it is for people, not for the read path.
func Explain(o *Order, p *Policy, action string, now time.Time) (Explanation, bool) {
	i := p.actionIndex(action)
	if i < 0 {
		return Explanation{}, false
	}
	a := &p.RulesFor(o)[i]
	e := Explanation{Action: action, Segment: a.Segment, AsOf: now.UTC(), Decision: a.Decide(o, now)}
	in := instantsOf(o, a)
	t := now.UnixNano()
	if a.Once {
		e.Blocks = append(e.Blocks, RuleState{Name: ReasonAlreadyTaken, Matched: o.HasTaken(action), StatusMatched: o.HasTaken(action)})
	}
	for j := range a.blocks {
		b := &a.blocks[j]
		rs := RuleState{Name: b.Name, StatusMatched: b.matchesStatus(o), FromBound: a.boundText(b.From), From: b.From.time(&in)}
		rs.Missing = a.missing(&in, b.From)
		from, ok := b.From.at(&in)
		switch {
		case !rs.StatusMatched:
		case !b.From.IsSet():
			rs.Matched = true
		case ok:
			rs.Matched = t >= from
			if t < from {
				rs.Next = rs.From
			}
		}
		e.Blocks = append(e.Blocks, rs)
	}
	for j := range a.windows {
		w := &a.windows[j]
		rs := RuleState{Name: w.Name, FromBound: a.boundText(w.From), ToBound: a.boundText(w.To), From: w.From.time(&in), To: w.To.time(&in)}
		rs.Missing = a.missing(&in, w.From, w.To)
		from, okFrom := w.From.at(&in)
		to, okTo := w.To.at(&in)
		if okFrom && (!w.To.IsSet() || okTo) {
			rs.Matched = t >= from && (!w.To.IsSet() || t < to)
			switch {
			case t < from && (!w.To.IsSet() || from < to):
				rs.Next = rs.From
			case rs.Matched && w.To.IsSet():
				rs.Next = rs.To
			}
		}
		e.Windows = append(e.Windows, rs)
	}
	return e, true
}

// missing names the anchors of bs that the order lacks.
func (a *ActionPolicy) missing(in *instants, bs ...bound) []string {
	var names []string
	for _, b := range bs {
		if b.IsSet() && in[b.slot] == noInstant {
			names = append(names, a.anchorName(b))
		}
	}
	return names
}

// Span is one stretch of a timeline: the decision that holds on [From, To)
// (To zero: from From on, for good).
type Span struct {
	From, To time.Time
	Decision
}

// maxTimelineSpans bounds a timeline: a rule changes its answer at most
// at each of its bounds, so a real one has a handful.
const maxTimelineSpans = 1000

// Timeline returns the answers for action on o from from to to under p:
// the decisions in order, each with the span on which it holds, the first
// starting at from and the last reaching past to (or holding for good).
// It reports false for an action the policy lacks.
func Timeline(o *Order, p *Policy, action string, from, to time.Time) ([]Span, bool) {
	if p.actionIndex(action) < 0 {
		return nil, false
	}
	var spans []Span
	for t := from; len(spans) < maxTimelineSpans; {
		d := Decide(o, p, action, t)
		spans = append(spans, Span{From: t.UTC(), To: d.Until, Decision: d})
		if d.Until.IsZero() || !d.Until.Before(to) {
			break
		}
		t = d.Until
	}
	return spans, true
}
