package eligo

import (
	"slices"
	"time"
)

// Cancel returns o cancelled if p allows cancel at instant now. An order that
// is already cancelled is returned unchanged with no error, so a repeated
// cancel is answered with the same document. A refusal is an ECONFLICT
// *Error whose Reason is the decision's reason.
func Cancel(o Order, p *Policy, now time.Time) (Order, error) {
	if o.Status == StatusCancelled {
		return o, nil
	}
	if d := Decide(&o, p, "cancel", now); !d.Allowed {
		return o, &Error{Code: ECONFLICT, Message: "cancel is not allowed for order " + o.ID + " now", Reason: d.Reason}
	}
	o.Status = StatusCancelled
	return o, nil
}

// VersionMatch is a precondition on an order's version (If-Match over
// HTTP): Any matches every existing order, otherwise the order's version
// must be one of Versions.
type VersionMatch struct {
	Any      bool
	Versions []int64
}

// Matches reports whether an order at version satisfies m.
func (m *VersionMatch) Matches(version int64) bool {
	return m.Any || slices.Contains(m.Versions, version)
}

// CancelIfMatch is Cancel under the precondition m (nil: none), checked on
// o as the store holds it under the order's lock, before the policy: an
// order at a version m does not name is an EPRECONDITION *Error and stays
// as it is. An order that is cancelled already is returned unchanged
// whatever m says: the cancel asked for has been applied (RFC 9110,
// section 13.1.1, allows the 2xx).
func CancelIfMatch(o Order, p *Policy, now time.Time, m *VersionMatch) (Order, error) {
	if m != nil && o.Status != StatusCancelled && !m.Matches(o.Version) {
		return o, Errorf(EPRECONDITION, "order %q has changed: it is at version %d, not one the precondition names; read it again before cancelling", o.ID, o.Version)
	}
	return Cancel(o, p, now)
}
