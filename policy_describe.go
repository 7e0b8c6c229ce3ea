package eligo

import "slices"

// RuleInfo describes one window or block of an action rule as the policy
// file wrote it, for people (eligo policy check): its name, its bounds in
// the file's syntax ("" when unset) and, for a block, the statuses it
// lists (none: it applies whatever the statuses).
type RuleInfo struct {
	Name          string
	From, To      string
	Status        []string
	DriverStatus  []string
	PaymentStatus []string
}

// Rules returns the rule's windows, in the order they are tried, and its
// blocks, in the order they are checked (already_taken of a "once" action
// is not among them: Decide checks it first). A block's payment statuses
// are listed one by one: UNPAID is PENDING and FAILED.
func (a *ActionPolicy) Rules() (windows, blocks []RuleInfo) {
	for _, w := range a.windows {
		windows = append(windows, RuleInfo{Name: w.Name, From: a.boundText(w.From), To: a.boundText(w.To)})
	}
	for _, b := range a.blocks {
		info := RuleInfo{Name: b.Name, From: a.boundText(b.From)}
		for i, n := range statusNames {
			if b.Statuses.Has(Status(i)) {
				info.Status = append(info.Status, n)
			}
		}
		for i, n := range driverStatusNames {
			if i > 0 && b.DriverStatuses.Has(DriverStatus(i)) {
				info.DriverStatus = append(info.DriverStatus, n)
			}
		}
		for i, n := range paymentStatusNames {
			if b.PaymentStatuses.Has(PaymentStatus(i)) {
				info.PaymentStatus = append(info.PaymentStatus, n)
			}
		}
		blocks = append(blocks, info)
	}
	return windows, blocks
}

// SameRules reports whether a and b have the same windows and blocks: a
// segment's rule for an action it does not change is the default one.
func (a *ActionPolicy) SameRules(b *ActionPolicy) bool {
	return slices.Equal(a.windows, b.windows) && slices.Equal(a.blocks, b.blocks)
}

// SegmentMatch is one condition of a segment: the order's attribute Key
// is one of Values.
type SegmentMatch struct {
	Key    string
	Values []string
}

// Match returns the segment's conditions, sorted by key; an order is in
// the segment when it meets all of them.
func (s *Segment) Match() []SegmentMatch {
	out := make([]SegmentMatch, len(s.match))
	for i, m := range s.match {
		out[i] = SegmentMatch{Key: m.key, Values: slices.Clone(m.values)}
	}
	return out
}
