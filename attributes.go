package eligo

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The limits on an order's attributes and named deadlines.
const (
	MaxAttributes      = 16 // attributes per order
	MaxAttributeLength = 64 // characters in an attribute key or value
	MaxDeadlines       = 8  // named deadlines per order
)

// Attribute is one of an order's attributes: a string the policy's
// segments match on (a city, a merchant, "ticketing" or "delivery").
type Attribute struct {
	Key   string
	Value string
}

// Deadline is one of an order's named deadlines: an instant, such as
// event_starts_at, that a policy bound can be relative to
// ("deadline.event_starts_at-48h").
type Deadline struct {
	Name string
	At   time.Time
}

// An order's attributes and deadlines are held sorted by key and by name,
// and never changed in place: a change makes new slices, so that copies of
// an Order stay independent.

// Attribute returns the value of the order's attribute key and whether it
// has one.
func (o *Order) Attribute(key string) (string, bool) {
	for i := range o.Attributes {
		if o.Attributes[i].Key == key {
			return o.Attributes[i].Value, true
		}
	}
	return "", false
}

// Deadline returns the order's deadline name and whether it has one.
func (o *Order) Deadline(name string) (time.Time, bool) {
	for i := range o.Deadlines {
		if o.Deadlines[i].Name == name {
			return o.Deadlines[i].At, true
		}
	}
	return time.Time{}, false
}

// HasTaken reports whether the action was taken on the order; only actions
// with "once" are recorded (see TakeAction).
func (o *Order) HasTaken(action string) bool {
	for _, a := range o.Taken {
		if a == action {
			return true
		}
	}
	return false
}

// AttributeMap returns the order's attributes as a map, nil when it has
// none.
func (o *Order) AttributeMap() map[string]string {
	if len(o.Attributes) == 0 {
		return nil
	}
	m := make(map[string]string, len(o.Attributes))
	for _, a := range o.Attributes {
		m[a.Key] = a.Value
	}
	return m
}

// DeadlineMap returns the order's deadlines as a map, nil when it has none.
func (o *Order) DeadlineMap() map[string]time.Time {
	if len(o.Deadlines) == 0 {
		return nil
	}
	m := make(map[string]time.Time, len(o.Deadlines))
	for _, d := range o.Deadlines {
		m[d.Name] = d.At
	}
	return m
}

// MakeAttributes validates m and returns it as an order holds it: sorted
// by key, nil when empty. A key or value must be 1 to 64 printable
// characters; at most 16 attributes.
func MakeAttributes(m map[string]string) ([]Attribute, error) {
	if len(m) > MaxAttributes {
		return nil, Errorf(EINVALID, "attributes has %d entries; the limit is %d", len(m), MaxAttributes)
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make([]Attribute, 0, len(m))
	for k, v := range m {
		if err := validateAttributeText("attributes key", k, k); err != nil {
			return nil, err
		}
		if err := validateAttributeText("attributes."+k, k, v); err != nil {
			return nil, err
		}
		out = append(out, Attribute{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ValidateAttributeKey checks an attribute key as MakeAttributes does (a
// policy's segment matches name keys).
func ValidateAttributeKey(where, key string) error {
	return validateAttributeText(where, key, key)
}

func validateAttributeText(where, key, s string) error {
	if s == "" {
		return Errorf(EINVALID, "%s is empty; an attribute key or value is 1 to %d printable characters", where, MaxAttributeLength)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", where)
	}
	if n := utf8.RuneCountInString(s); n > MaxAttributeLength {
		return Errorf(EINVALID, "%s is %d characters long; the limit is %d", where, n, MaxAttributeLength)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return Errorf(EINVALID, "%s %q holds %U, which is not printable", where, key, r)
		}
	}
	return nil
}

// MergeAttributes returns attrs with set applied: each key of set takes its
// value, and a key whose value is "" is removed. The result holds at most
// MaxAttributes.
func MergeAttributes(attrs []Attribute, set map[string]string) ([]Attribute, error) {
	m := make(map[string]string, len(attrs)+len(set))
	for _, a := range attrs {
		m[a.Key] = a.Value
	}
	for k, v := range set {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	if len(m) > MaxAttributes {
		return nil, Errorf(EINVALID, "the order would hold %d attributes; the limit is %d", len(m), MaxAttributes)
	}
	return MakeAttributes(m)
}

// builtinAnchor reports whether name is one of the order's own timestamps,
// which a named deadline may not shadow.
func builtinAnchor(name string) bool {
	return slices.Contains(anchorNames[1:], name)
}

// ValidateDeadlineName checks a deadline name: [a-z][a-z0-9_]{0,31}, not
// placed_at, promised_at or payment_timeout_at.
func ValidateDeadlineName(where, name string) error {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return Errorf(EINVALID, "%s %q is not a deadline name; expected [a-z][a-z0-9_]{0,31}", where, name)
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return Errorf(EINVALID, "%s %q is not a deadline name; expected [a-z][a-z0-9_]{0,31}", where, name)
		}
	}
	if builtinAnchor(name) {
		return Errorf(EINVALID, "%s %q is one of the order's own timestamps; a named deadline needs another name", where, name)
	}
	return nil
}

// MakeDeadlines validates m and returns it as an order holds it: sorted by
// name, in UTC, nil when empty. At most 8 names, each a valid deadline name
// with an instant in the years 1970 to 2200.
func MakeDeadlines(m map[string]time.Time) ([]Deadline, error) {
	if len(m) > MaxDeadlines {
		return nil, Errorf(EINVALID, "deadlines has %d entries; the limit is %d", len(m), MaxDeadlines)
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make([]Deadline, 0, len(m))
	for name, at := range m {
		if err := ValidateDeadlineName("deadline name", name); err != nil {
			return nil, err
		}
		if at.IsZero() {
			return nil, Errorf(EINVALID, "deadlines.%s has no instant", name)
		}
		if err := validateTime("deadlines."+name, at); err != nil {
			return nil, err
		}
		out = append(out, Deadline{Name: name, At: at.UTC()})
	}
	slices.SortFunc(out, func(a, b Deadline) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SetDeadline returns ds with deadline name at at, or without it when at is
// zero.
func SetDeadline(ds []Deadline, name string, at time.Time) ([]Deadline, error) {
	m := make(map[string]time.Time, len(ds)+1)
	for _, d := range ds {
		m[d.Name] = d.At
	}
	if at.IsZero() {
		delete(m, name)
	} else {
		m[name] = at
	}
	if len(m) > MaxDeadlines {
		return nil, Errorf(EINVALID, "the order would hold %d deadlines; the limit is %d", len(m), MaxDeadlines)
	}
	return MakeDeadlines(m)
}

func sameAttributes(a, b []Attribute) bool { return slices.Equal(a, b) }

func sameDeadlines(a, b []Deadline) bool {
	return slices.EqualFunc(a, b, func(x, y Deadline) bool { return x.Name == y.Name && x.At.Equal(y.At) })
}
