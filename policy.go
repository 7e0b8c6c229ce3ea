package eligo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// ReasonOutsideWindow is the reason Decide gives when no block applies and no
// window is open.
const ReasonOutsideWindow = "outside_window"

// ReasonUnknownAction is the reason Decide gives for an action the policy
// does not name.
const ReasonUnknownAction = "unknown_action"

// anchor names one of the order's timestamps that a bound is relative to.
type anchor uint8

// The anchors. anchorNone marks an unset bound.
const (
	anchorNone anchor = iota
	anchorPlacedAt
	anchorPromisedAt
	anchorPaymentTimeoutAt
)

var anchorNames = [...]string{"", "placed_at", "promised_at", "payment_timeout_at"}

// bound is an instant relative to an order: an anchor plus an offset, written
// "promised_at", "placed_at+60s" or "promised_at-5m".
type bound struct {
	anchor anchor
	Offset time.Duration
}

// IsSet reports whether the bound names an anchor.
func (b bound) IsSet() bool { return b.anchor != anchorNone }

// String returns the bound in the policy file's syntax.
func (b bound) String() string {
	name := anchorNames[b.anchor]
	switch {
	case b.Offset > 0:
		return name + "+" + b.Offset.String()
	case b.Offset < 0:
		return name + b.Offset.String()
	}
	return name
}

// instants holds an order's anchor timestamps in Unix nanoseconds, indexed
// by anchor, so Decide converts each timestamp once. noInstant marks a
// timestamp the order lacks.
type instants [4]int64

const noInstant = math.MinInt64

func instantsOf(o *Order) instants {
	return instants{noInstant, unixNano(o.PlacedAt), unixNano(o.PromisedAt), unixNano(o.PaymentTimeoutAt)}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noInstant
	}
	return t.UnixNano()
}

// at returns the bound's instant in Unix nanoseconds, and false when the
// anchor is unset or the order lacks that timestamp.
func (b bound) at(in *instants) (int64, bool) {
	v := in[b.anchor]
	if v == noInstant {
		return 0, false
	}
	return v + int64(b.Offset), true
}

// maxOffsetText is maxOffset as a policy file writes it.
const maxOffsetText = "87600h"

// parseBound parses "anchor", "anchor+duration" or "anchor-duration". The
// duration is at most ten years (87600h) either way, so that no bound can
// overflow on any order.
func parseBound(s string) (bound, error) {
	name, offset := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		name, offset = s[:i], s[i:]
	}
	var b bound
	for i, n := range anchorNames[1:] {
		if n == name {
			b.anchor = anchor(i + 1)
		}
	}
	if b.anchor == anchorNone {
		return bound{}, Errorf(EINVALID, "unknown timestamp %q in %q; expected placed_at, promised_at or payment_timeout_at, optionally followed by +DURATION or -DURATION", name, s)
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
// order; then the first open window allows.
type ActionPolicy struct {
	Name    string
	windows []window
	blocks  []block
}

// Policy is the set of action rules. Build one with DefaultPolicy or
// ParsePolicy; a Policy is read-only once built and safe to share.
type Policy struct {
	Actions []ActionPolicy // sorted by name
}

// Action returns the rule for the named action, or nil.
func (p *Policy) Action(name string) *ActionPolicy {
	for i := range p.Actions {
		if p.Actions[i].Name == name {
			return &p.Actions[i]
		}
	}
	return nil
}

// ActionNames returns the policy's action names, sorted.
func (p *Policy) ActionNames() []string {
	names := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		names[i] = a.Name
	}
	return names
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

type policyFile struct {
	Actions map[string]actionFile `json:"actions"`
}

type actionFile struct {
	Windows []windowFile `json:"windows"`
	Blocks  []blockFile  `json:"blocks"`
}

type windowFile struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

type blockFile struct {
	Name          string   `json:"name"`
	Status        []string `json:"status"`
	DriverStatus  []string `json:"driver_status"`
	PaymentStatus []string `json:"payment_status"`
	From          string   `json:"from"`
}

// ParsePolicy parses and validates a policy file in JSON (see
// DefaultPolicyJSON for the shape). Unknown fields, unknown statuses and
// timestamps, duplicate or malformed names, and windows that close before
// they open are all rejected with an EINVALID error that names the place.
func ParsePolicy(data []byte) (*Policy, error) {
	var f policyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(EINVALID, "policy is not valid JSON of the expected shape: %v", err)
	}
	if dec.More() {
		return nil, Errorf(EINVALID, "policy has data after its JSON object")
	}
	if len(f.Actions) == 0 {
		return nil, Errorf(EINVALID, "policy names no actions; expected at least one under \"actions\"")
	}
	p := &Policy{}
	for name, af := range f.Actions {
		a, err := parseAction(name, &af)
		if err != nil {
			return nil, err
		}
		p.Actions = append(p.Actions, a)
	}
	sort.Slice(p.Actions, func(i, j int) bool { return p.Actions[i].Name < p.Actions[j].Name })
	return p, nil
}

func parseAction(name string, af *actionFile) (ActionPolicy, error) {
	where := "actions." + name
	if err := validateRuleName(where, name); err != nil {
		return ActionPolicy{}, err
	}
	if len(af.Windows) == 0 {
		return ActionPolicy{}, Errorf(EINVALID, "%s has no windows, so it could never be allowed", where)
	}
	a := ActionPolicy{Name: name}
	seen := map[string]bool{}
	for i, wf := range af.Windows {
		w, err := parseWindow(fmt.Sprintf("%s.windows[%d]", where, i), &wf)
		if err != nil {
			return ActionPolicy{}, err
		}
		if seen[w.Name] {
			return ActionPolicy{}, Errorf(EINVALID, "%s: name %q is used twice", where, w.Name)
		}
		seen[w.Name] = true
		a.windows = append(a.windows, w)
	}
	if len(af.Blocks) > maxBlocks {
		return ActionPolicy{}, Errorf(EINVALID, "%s has %d blocks; the limit is %d", where, len(af.Blocks), maxBlocks)
	}
	for i, bf := range af.Blocks {
		b, err := parseBlock(fmt.Sprintf("%s.blocks[%d]", where, i), &bf)
		if err != nil {
			return ActionPolicy{}, err
		}
		if seen[b.Name] {
			return ActionPolicy{}, Errorf(EINVALID, "%s: name %q is used twice", where, b.Name)
		}
		seen[b.Name] = true
		a.blocks = append(a.blocks, b)
	}
	return a, nil
}

// maxBlocks bounds the blocks of one action, so Decide can hold the set of
// matching blocks in one machine word.
const maxBlocks = 64

func parseWindow(where string, wf *windowFile) (window, error) {
	if err := validateRuleName(where+".name", wf.Name); err != nil {
		return window{}, err
	}
	if wf.From == "" {
		return window{}, Errorf(EINVALID, "%s.from is required", where)
	}
	w := window{Name: wf.Name}
	var err error
	if w.From, err = parseBound(wf.From); err != nil {
		return window{}, Errorf(EINVALID, "%s.from: %s", where, ErrorMessage(err))
	}
	if wf.To != "" {
		if w.To, err = parseBound(wf.To); err != nil {
			return window{}, Errorf(EINVALID, "%s.to: %s", where, ErrorMessage(err))
		}
		if neverOpens(w.From, w.To) {
			return window{}, Errorf(EINVALID, "%s closes (%s) before or when it opens (%s), so it could never be open", where, w.To, w.From)
		}
	}
	return w, nil
}

// neverOpens reports whether a window [from, to) is empty on every order,
// as far as that can be known without an order: when both bounds use the
// same anchor, or to uses placed_at (which no order timestamp precedes), and
// to's offset is not after from's. Bounds on promised_at and
// payment_timeout_at are not ordered by anything but the order, so such a
// window is accepted and is open only for the orders where to is after from.
func neverOpens(from, to bound) bool {
	return (to.anchor == from.anchor || to.anchor == anchorPlacedAt) && to.Offset <= from.Offset
}

func parseBlock(where string, bf *blockFile) (block, error) {
	if err := validateRuleName(where+".name", bf.Name); err != nil {
		return block{}, err
	}
	b := block{Name: bf.Name}
	for i, s := range bf.Status {
		v, err := ParseStatus(s)
		if err != nil {
			return block{}, Errorf(EINVALID, "%s.status[%d]: %s", where, i, ErrorMessage(err))
		}
		b.Statuses |= 1 << v
	}
	for i, s := range bf.DriverStatus {
		v, err := ParseDriverStatus(s)
		if err != nil {
			return block{}, Errorf(EINVALID, "%s.driver_status[%d]: %s", where, i, ErrorMessage(err))
		}
		b.DriverStatuses |= 1 << v
	}
	for i, s := range bf.PaymentStatus {
		if s == unpaidName {
			b.PaymentStatuses |= paymentUnpaid
			continue
		}
		v, err := ParsePaymentStatus(s)
		if err != nil {
			return block{}, Errorf(EINVALID, "%s.payment_status[%d]: %s, or %s for both PENDING and FAILED", where, i, ErrorMessage(err), unpaidName)
		}
		b.PaymentStatuses |= 1 << v
	}
	if bf.From != "" {
		var err error
		if b.From, err = parseBound(bf.From); err != nil {
			return block{}, Errorf(EINVALID, "%s.from: %s", where, ErrorMessage(err))
		}
	}
	return b, nil
}

func validateRuleName(where, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s: a name is required", where)
	}
	if len(name) > 64 {
		return Errorf(EINVALID, "%s: name %q is longer than 64 bytes", where, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return Errorf(EINVALID, "%s: name %q may hold only a-z, 0-9 and _", where, name)
		}
	}
	if name == ReasonOutsideWindow || name == ReasonUnknownAction {
		return Errorf(EINVALID, "%s: name %q is reserved", where, name)
	}
	return nil
}
