package eligo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// isTrailingData reports whether err says a JSON value was followed by
// more.
func isTrailingData(err error) bool {
	var se *jsontext.SyntacticError
	return errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value")
}

// The policy file, as JSON. Optional members are omitted when empty, so
// that re-encoding a parsed file gives its canonical form (Canonical).
type policyFile struct {
	Actions  map[string]actionFile `json:"actions"`
	Segments []segmentFile         `json:"segments,omitempty"`
}

type actionFile struct {
	EndsOrder *bool        `json:"ends_order,omitempty"`
	Once      *bool        `json:"once,omitempty"`
	Windows   []windowFile `json:"windows"`
	Blocks    []blockFile  `json:"blocks,omitempty"`
}

type segmentFile struct {
	Name    string                `json:"name"`
	Match   map[string][]string   `json:"match"`
	Actions map[string]actionFile `json:"actions"`
}

type windowFile struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

type blockFile struct {
	Name          string   `json:"name"`
	Status        []string `json:"status,omitempty"`
	DriverStatus  []string `json:"driver_status,omitempty"`
	PaymentStatus []string `json:"payment_status,omitempty"`
	From          string   `json:"from,omitempty"`
}

// The limits of a policy file.
const (
	maxSegments          = 64
	maxSegmentValues     = 64 // values listed for one attribute of a match
	maxPolicyActionCount = 64
)

// ParsePolicy parses and validates a policy file in JSON (see
// DefaultPolicyJSON and docs/policies.md for the shape). Unknown fields,
// unknown statuses, timestamps and deadline names, duplicate or malformed
// names, windows that close before they open, segments that name an
// action the default rules lack, and options a segment may not change are
// all rejected with an EINVALID error that names the place. The policy's
// version is unsequenced (Seq 0) with the hash of its canonical form.
func ParsePolicy(data []byte) (*Policy, error) {
	var f policyFile
	// Read strictly, as every body is: member names match exactly (not
	// case-insensitively), a name given twice, an unknown name and invalid
	// UTF-8 are refused, and nothing may follow the object.
	if err := jsonv2.Unmarshal(data, &f, jsonv2.RejectUnknownMembers(true)); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && isTrailingData(err) {
			return nil, Errorf(EINVALID, "policy has data after its JSON object")
		}
		return nil, Errorf(EINVALID, "policy is not valid JSON of the expected shape: %v", err)
	}
	if len(f.Actions) == 0 {
		return nil, Errorf(EINVALID, "policy names no actions; expected at least one under \"actions\"")
	}
	if len(f.Actions) > maxPolicyActionCount {
		return nil, Errorf(EINVALID, "policy names %d actions; the limit is %d", len(f.Actions), maxPolicyActionCount)
	}
	p := &Policy{}
	deadlines := &boundTable{}
	for _, name := range sortedKeys(f.Actions) {
		af := f.Actions[name]
		a, err := parseAction("actions."+name, name, &af, deadlines)
		if err != nil {
			return nil, err
		}
		p.Actions = append(p.Actions, a)
	}
	if err := p.parseSegments(f.Segments, deadlines); err != nil {
		return nil, err
	}
	for _, rules := range p.ruleSets() {
		for i := range rules {
			rules[i].deadlines = rules[i].deadlineRefs(deadlines)
			rules[i].texts = deadlines.texts
		}
	}
	canonical, err := json.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("eligo: encode policy: %w", err)
	}
	p.canonical = canonical
	sum := sha256.Sum256(canonical)
	p.setVersion(PolicyVersion{Hash: hex.EncodeToString(sum[:])})
	return p, nil
}

// deadlineRefs returns the named deadlines a's bounds use, once each.
func (a *ActionPolicy) deadlineRefs(t *boundTable) []deadlineRef {
	var refs []deadlineRef
	add := func(b bound) {
		if b.slot < firstDeadlineSlot {
			return
		}
		for _, r := range refs {
			if r.slot == b.slot {
				return
			}
		}
		refs = append(refs, deadlineRef{slot: b.slot, name: t.names[b.slot-firstDeadlineSlot]})
	}
	for _, w := range a.windows {
		add(w.From)
		add(w.To)
	}
	for _, b := range a.blocks {
		add(b.From)
	}
	return refs
}

// ruleSets returns the default rules and every segment's.
func (p *Policy) ruleSets() [][]ActionPolicy {
	sets := [][]ActionPolicy{p.Actions}
	for i := range p.Segments {
		sets = append(sets, p.Segments[i].Actions)
	}
	return sets
}

func (p *Policy) parseSegments(files []segmentFile, deadlines *boundTable) error {
	if len(files) > maxSegments {
		return Errorf(EINVALID, "policy has %d segments; the limit is %d", len(files), maxSegments)
	}
	seen := map[string]bool{}
	for i, sf := range files {
		where := fmt.Sprintf("segments[%d]", i)
		if err := validateRuleName(where+".name", sf.Name); err != nil {
			return err
		}
		if seen[sf.Name] {
			return Errorf(EINVALID, "%s: segment name %q is used twice", where, sf.Name)
		}
		seen[sf.Name] = true
		seg := Segment{Name: sf.Name}
		if len(sf.Match) == 0 {
			return Errorf(EINVALID, "%s.match is empty; a segment names at least one attribute (the default rules are for every other order)", where)
		}
		for _, key := range sortedKeys(sf.Match) {
			values := sf.Match[key]
			mwhere := where + ".match." + key
			if err := ValidateAttributeKey(where+".match key", key); err != nil {
				return err
			}
			if len(values) == 0 || len(values) > maxSegmentValues {
				return Errorf(EINVALID, "%s lists %d values; expected 1 to %d", mwhere, len(values), maxSegmentValues)
			}
			for j, v := range values {
				if err := validateAttributeText(fmt.Sprintf("%s[%d]", mwhere, j), key, v); err != nil {
					return err
				}
			}
			seg.match = append(seg.match, attributeMatch{key: key, values: values})
		}
		if len(sf.Actions) == 0 {
			return Errorf(EINVALID, "%s.actions is empty; a segment gives at least one action its own rule", where)
		}
		seg.Actions = make([]ActionPolicy, len(p.Actions))
		copy(seg.Actions, p.Actions)
		for name, af := range sf.Actions {
			awhere := where + ".actions." + name
			j := p.actionIndex(name)
			if j < 0 {
				return Errorf(EINVALID, "%s: the default rules have no action %q; a segment changes the rules of the policy's actions, it adds none", awhere, name)
			}
			if af.EndsOrder != nil || af.Once != nil {
				return Errorf(EINVALID, "%s: ends_order and once are set on the action under \"actions\" only; what taking an action does is the same for every order", awhere)
			}
			a, err := parseAction(awhere, name, &af, deadlines)
			if err != nil {
				return err
			}
			a.Segment, a.EndsOrder, a.Once = sf.Name, p.Actions[j].EndsOrder, p.Actions[j].Once
			seg.Actions[j] = a
		}
		for j := range seg.Actions {
			if seg.Actions[j].Segment == "" {
				seg.Actions[j].Segment = sf.Name
			}
		}
		p.Segments = append(p.Segments, seg)
	}
	return nil
}

func parseAction(where, name string, af *actionFile, deadlines *boundTable) (ActionPolicy, error) {
	if err := validateRuleName(where, name); err != nil {
		return ActionPolicy{}, err
	}
	if len(af.Windows) == 0 {
		return ActionPolicy{}, Errorf(EINVALID, "%s has no windows, so it could never be allowed", where)
	}
	a := ActionPolicy{Name: name, EndsOrder: name == ActionCancel}
	if af.EndsOrder != nil {
		if name == ActionCancel && !*af.EndsOrder {
			return ActionPolicy{}, Errorf(EINVALID, "%s.ends_order: cancel always ends the order (POST /v1/orders/{id}/cancel); name the action otherwise", where)
		}
		a.EndsOrder = *af.EndsOrder
	}
	if af.Once != nil {
		a.Once = *af.Once
	}
	seen := map[string]bool{}
	for i, wf := range af.Windows {
		w, err := parseWindow(fmt.Sprintf("%s.windows[%d]", where, i), &wf, deadlines)
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
		b, err := parseBlock(fmt.Sprintf("%s.blocks[%d]", where, i), &bf, deadlines)
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

func parseWindow(where string, wf *windowFile, deadlines *boundTable) (window, error) {
	if err := validateRuleName(where+".name", wf.Name); err != nil {
		return window{}, err
	}
	if wf.From == "" {
		return window{}, Errorf(EINVALID, "%s.from is required", where)
	}
	w := window{Name: wf.Name}
	var err error
	if w.From, err = parseBound(wf.From, deadlines); err != nil {
		return window{}, Errorf(EINVALID, "%s.from: %s", where, ErrorMessage(err))
	}
	if wf.To != "" {
		if w.To, err = parseBound(wf.To, deadlines); err != nil {
			return window{}, Errorf(EINVALID, "%s.to: %s", where, ErrorMessage(err))
		}
		if neverOpens(w.From, w.To) {
			return window{}, Errorf(EINVALID, "%s closes (%s) before or when it opens (%s), so it could never be open", where, wf.To, wf.From)
		}
	}
	return w, nil
}

// neverOpens reports whether a window [from, to) is empty on every order,
// as far as that can be known without an order: when both bounds use the
// same anchor, or to uses placed_at (which no order timestamp precedes), and
// to's offset is not after from's. Bounds on other anchors are not ordered
// by anything but the order, so such a window is accepted and is open only
// for the orders where to is after from.
func neverOpens(from, to bound) bool {
	return (to.slot == from.slot || to.slot == slotPlacedAt && from.slot < firstDeadlineSlot) && to.Offset <= from.Offset
}

func parseBlock(where string, bf *blockFile, deadlines *boundTable) (block, error) {
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
		if b.From, err = parseBound(bf.From, deadlines); err != nil {
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
	if name == ReasonOutsideWindow || name == ReasonUnknownAction || name == ReasonAlreadyTaken {
		return Errorf(EINVALID, "%s: name %q is reserved", where, name)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
