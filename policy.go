package eligo

import (
	"math"
	"strings"
	"time"
)

// ReasonOutsideWindow is the reason Decide gives when no block applies and no
// window is open.
const ReasonOutsideWindow = "outside_window"

// ReasonUnknownAction is the reason Decide gives for an action the policy
// does not name.
const ReasonUnknownAction = "unknown_action"

// ReasonAlreadyTaken is the reason Decide gives for a "once" action that
// was taken on the order already.
const ReasonAlreadyTaken = "already_taken"

// The slots of an order's instants that a bound can name: its three own
// timestamps, then the policy's named deadlines (slot firstDeadlineSlot+i
// for Policy.deadlines[i]). slotNone marks an unset bound.
const (
	slotNone uint8 = iota
	slotPlacedAt
	slotPromisedAt
	slotPaymentTimeoutAt
	firstDeadlineSlot
)

// maxPolicyDeadlines bounds the deadline names one policy uses, so that an
// order's instants fit in a small fixed array on Decide's stack. It is the
// most an order holds.
const maxPolicyDeadlines = MaxDeadlines

var anchorNames = [...]string{"", "placed_at", "promised_at", "payment_timeout_at"}

// deadlinePrefix starts a bound on a named deadline: "deadline.NAME".
const deadlinePrefix = "deadline."

// bound is an instant relative to an order: one of its timestamps or named
// deadlines plus an offset, written "promised_at", "placed_at+60s" or
// "deadline.event_starts_at-48h".
//
// It is two machine words, as Decide copies bounds on every read: what the
// file wrote is kept aside, in the policy's table of bound texts (text is
// its index there plus one).
type bound struct {
	slot   uint8
	text   uint16
	Offset time.Duration
}

// IsSet reports whether the bound names an anchor.
func (b bound) IsSet() bool { return b.slot != slotNone }

// instants holds an order's anchor instants in Unix nanoseconds, by slot,
// so Decide converts each timestamp once. noInstant marks one the order
// lacks.
type instants [firstDeadlineSlot + maxPolicyDeadlines]int64

const noInstant = math.MinInt64

// instantsOf fills in the order's instants for rule a: its own three
// timestamps, and the named deadlines the rule's bounds use (the other
// slots are never read).
func instantsOf(o *Order, a *ActionPolicy) (in instants) {
	in[slotNone] = noInstant
	in[slotPlacedAt] = unixNano(o.PlacedAt)
	in[slotPromisedAt] = unixNano(o.PromisedAt)
	in[slotPaymentTimeoutAt] = unixNano(o.PaymentTimeoutAt)
	for _, ref := range a.deadlines {
		v := int64(noInstant)
		for j := range o.Deadlines {
			if o.Deadlines[j].Name == ref.name {
				v = unixNano(o.Deadlines[j].At)
				break
			}
		}
		in[ref.slot] = v
	}
	return
}

// deadlineRef is a named deadline one rule uses, and its slot.
type deadlineRef struct {
	slot uint8
	name string
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noInstant
	}
	return t.UnixNano()
}

// at returns the bound's instant in Unix nanoseconds, and false when the
// bound is unset or the order lacks that timestamp or deadline.
func (b bound) at(in *instants) (int64, bool) {
	v := in[b.slot]
	if v == noInstant {
		return 0, false
	}
	return v + int64(b.Offset), true
}

// time returns the bound's instant on the order, or zero.
func (b bound) time(in *instants) time.Time {
	if v, ok := b.at(in); ok {
		return time.Unix(0, v).UTC()
	}
	return time.Time{}
}

// maxOffsetText is maxOffset as a policy file writes it.
const maxOffsetText = "87600h"

// boundTable gives the named deadlines of one policy their slots, in the
// order the file first uses them, and keeps the text of every bound as the
// file wrote it.
type boundTable struct {
	names []string
	texts []string
}

// maxBoundTexts bounds the bounds of one policy (the text index of a bound
// is 16 bits): far more than its actions, segments and rules allow.
const maxBoundTexts = 1<<16 - 1

func (t *boundTable) text(s string) (uint16, error) {
	if len(t.texts) == maxBoundTexts {
		return 0, Errorf(EINVALID, "the policy has more than %d bounds", maxBoundTexts)
	}
	t.texts = append(t.texts, s)
	return uint16(len(t.texts)), nil
}

func (t *boundTable) slot(name string) (uint8, error) {
	for i, n := range t.names {
		if n == name {
			return firstDeadlineSlot + uint8(i), nil
		}
	}
	if len(t.names) == maxPolicyDeadlines {
		return 0, Errorf(EINVALID, "the policy uses more than %d deadline names", maxPolicyDeadlines)
	}
	t.names = append(t.names, name)
	return firstDeadlineSlot + uint8(len(t.names)-1), nil
}

// parseBound parses "anchor", "anchor+duration" or "anchor-duration",
// where anchor is one of the order's timestamps or deadline.NAME. The
// duration is at most ten years (87600h) either way, so that no bound can
// overflow on any order.
func parseBound(s string, deadlines *boundTable) (bound, error) {
	name, offset := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		name, offset = s[:i], s[i:]
	}
	var b bound
	for i, n := range anchorNames[1:] {
		if n == name {
			b.slot = uint8(i + 1)
		}
	}
	if dl, ok := strings.CutPrefix(name, deadlinePrefix); ok {
		if err := ValidateDeadlineName("deadline", dl); err != nil {
			return bound{}, Errorf(EINVALID, "%s in %q", ErrorMessage(err), s)
		}
		var err error
		if b.slot, err = deadlines.slot(dl); err != nil {
			return bound{}, err
		}
	}
	if b.slot != slotNone {
		var err error
		if b.text, err = deadlines.text(s); err != nil {
			return bound{}, err
		}
	}
	if b.slot == slotNone {
		return bound{}, Errorf(EINVALID, "unknown timestamp %q in %q; expected placed_at, promised_at, payment_timeout_at or deadline.NAME, optionally followed by +DURATION or -DURATION", name, s)
	}
	if offset != "" {
		d, err := time.ParseDuration(offset)
		if err != nil {
			return bound{}, Errorf(EINVALID, "bad offset %q in %q; expected a Go duration such as +60s or -5m", offset, s)
		}
		if d > maxOffset || d < -maxOffset {
			return bound{}, Errorf(EINVALID, "offset %s in %q is out of range; expected at most %s (ten years) either way", offset, s, maxOffsetText)
		}
		b.Offset = d
	}
	return b, nil
}

// window is a named span of time, relative to the order, in which an action
// is allowed: [From, To), or [From, forever) when To is unset. A window whose
// timestamps the order lacks is never open.
type window struct {
	Name string
	From bound
	To   bound
}

// block is a named condition that forbids an action. It applies when the
// order matches any of its status sets (or always, when it has none) and, if
// From is set, from that instant on.
type block struct {
	Name            string
	Statuses        statusSet
	DriverStatuses  driverStatusSet
	PaymentStatuses paymentStatusSet
	From            bound
}

// statusSet is a set of order statuses, one bit each.
type statusSet uint8

// driverStatusSet is a set of driver statuses, one bit each.
type driverStatusSet uint8

// paymentStatusSet is a set of payment statuses, one bit each.
type paymentStatusSet uint8

// Has reports whether s contains v.
func (s statusSet) Has(v Status) bool { return s&(1<<v) != 0 }

// Has reports whether s contains v.
func (s driverStatusSet) Has(v DriverStatus) bool { return s&(1<<v) != 0 }

// Has reports whether s contains v.
func (s paymentStatusSet) Has(v PaymentStatus) bool { return s&(1<<v) != 0 }

func (b *block) matchesStatus(o *Order) bool {
	if b.Statuses == 0 && b.DriverStatuses == 0 && b.PaymentStatuses == 0 {
		return true
	}
	return b.Statuses.Has(o.Status) || b.DriverStatuses.Has(o.DriverStatus) || b.PaymentStatuses.Has(o.PaymentStatus)
}

// ActionPolicy is the rule for one action: blocks are checked first, in
// order; then the first open window allows. It also says what taking the
// action does (TakeAction).
type ActionPolicy struct {
	Name string
	// Segment is the name of the segment the rule belongs to, "" for the
	// policy's default rules.
	Segment string
	// EndsOrder says taking the action ends the order as CANCELLED (as
	// cancel does); Once that it can be taken once, after which it is
	// refused with ReasonAlreadyTaken.
	EndsOrder bool
	Once      bool
	windows   []window
	blocks    []block
	deadlines []deadlineRef // the named deadlines its bounds use
	texts     []string      // the policy's bound texts (bound.text)
}

// boundText returns b as the policy file wrote it, "" when unset.
func (a *ActionPolicy) boundText(b bound) string {
	if !b.IsSet() || b.text == 0 {
		return ""
	}
	return a.texts[b.text-1]
}

// anchorName returns the anchor of b as a file writes it: "promised_at",
// "deadline.event_starts_at".
func (a *ActionPolicy) anchorName(b bound) string {
	if b.slot < firstDeadlineSlot {
		return anchorNames[b.slot]
	}
	for _, r := range a.deadlines {
		if r.slot == b.slot {
			return deadlinePrefix + r.name
		}
	}
	return ""
}

// Policy is the set of action rules: the default rules, and segments whose
// rules apply instead to the orders they match. Build one with
// DefaultPolicy or ParsePolicy; a Policy is read-only once built and safe
// to share.
type Policy struct {
	Actions  []ActionPolicy // the default rules, sorted by name
	Segments []Segment      // checked in order; the first that matches wins

	canonical []byte // the policy file, re-encoded (Canonical)
	version   PolicyVersion
	versionID string // version.String(), kept so reads allocate nothing
}

// Action returns the default rule for the named action, or nil.
func (p *Policy) Action(name string) *ActionPolicy {
	if i := p.actionIndex(name); i >= 0 {
		return &p.Actions[i]
	}
	return nil
}

func (p *Policy) actionIndex(name string) int {
	for i := range p.Actions {
		if p.Actions[i].Name == name {
			return i
		}
	}
	return -1
}

// ActionNames returns the policy's action names, sorted.
func (p *Policy) ActionNames() []string {
	names := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		names[i] = a.Name
	}
	return names
}

// RulesFor returns the rules that apply to o: those of the first segment
// that matches it, or the default rules. Either way they hold every
// action of the policy, in the order of p.Actions.
func (p *Policy) RulesFor(o *Order) []ActionPolicy {
	for i := range p.Segments {
		if p.Segments[i].Matches(o) {
			return p.Segments[i].Actions
		}
	}
	return p.Actions
}

// Segment is a named set of orders, those whose attributes match, with
// rules of their own. Actions holds every action of the policy, in the
// order of Policy.Actions: the segment's own rule where it has one, the
// default rule otherwise.
type Segment struct {
	Name    string
	Actions []ActionPolicy
	match   []attributeMatch
}

// attributeMatch is one condition of a segment: the order's attribute key
// is one of values.
type attributeMatch struct {
	key    string
	values []string
}

// Matches reports whether o is in the segment: for every attribute the
// segment names, o has it with one of the values listed. It compares for
// equality only: strings of different lengths differ at once, which keeps
// a segment check to a few nanoseconds on the read path.
func (s *Segment) Matches(o *Order) bool {
	for i := range s.match {
		m := &s.match[i]
		found := false
		for j := range o.Attributes {
			if a := &o.Attributes[j]; a.Key == m.key {
				found = containsString(m.values, a.Value)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// DefaultPolicyJSON is the built-in policy: the rule of the ten-minute
// delivery article. Cancel is allowed once the promise is broken, and never
// once the driver is at the doorstep, the order is over, or its payment
// timed out unpaid (PENDING or FAILED, which "UNPAID" names together).
//
// payment_expired comes before expired, so that an order whose payment timed
// out is answered payment_expired both before and after the payment re-check
// job writes EXPIRED (see RecheckPayment).
const DefaultPolicyJSON = `{
  "actions": {
    "cancel": {
      "ends_order": true,
      "windows": [
        {"name": "sla_breached", "from": "promised_at"}
      ],
      "blocks": [
        {"name": "cancelled", "status": ["CANCELLED"]},
        {"name": "delivered", "status": ["DELIVERED"], "driver_status": ["DELIVERED"]},
        {"name": "payment_expired", "payment_status": ["UNPAID"], "from": "payment_timeout_at"},
        {"name": "expired", "status": ["EXPIRED"]},
        {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}
      ]
    }
  }
}`

// DefaultPolicy returns the built-in policy.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy([]byte(DefaultPolicyJSON))
	if err != nil {
		panic("eligo: built-in policy is invalid: " + err.Error())
	}
	return p
}
