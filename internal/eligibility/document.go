// Package eligibility builds the eligibility document: the JSON answer of
// GET /v1/orders/{id}/eligibility and of every message on the live stream.
// It is on the hot path, so it encodes by hand into a caller's buffer.
package eligibility

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// ActionDecision is the decision for one named action.
type ActionDecision struct {
	Action string
	eligo.Decision
}

// Document is the eligibility of one order at one instant.
type Document struct {
	OrderID string
	Version int64
	// PolicyVersion is the version of the policy the decisions were made
	// under (eligo.Policy.VersionString): part of the answer and its ETag,
	// so a policy change is a new answer.
	PolicyVersion string
	AsOf          time.Time
	Actions       []ActionDecision
}

// Build decides every action of p (or only action, when not "") for o at now.
// The caller checks that action exists in p.
func Build(o *eligo.Order, p *eligo.Policy, action string, now time.Time) Document {
	return BuildInto(nil, o, p, action, now)
}

// BuildInto is Build appending the decisions to dst[:0], so a hot caller can
// pass a stack array and allocate nothing.
func BuildInto(dst []ActionDecision, o *eligo.Order, p *eligo.Policy, action string, now time.Time) Document {
	d := Document{OrderID: o.ID, Version: o.Version, PolicyVersion: p.VersionString(), AsOf: now.UTC(), Actions: dst[:0]}
	rules := p.RulesFor(o)
	for i := range rules {
		if a := &rules[i]; action == "" || a.Name == action {
			d.Actions = append(d.Actions, ActionDecision{Action: a.Name, Decision: a.Decide(o, now)})
		}
	}
	return d
}

// Until returns the earliest instant at which any decision changes by the
// clock alone, or zero when none does.
func (d *Document) Until() time.Time {
	var u time.Time
	for _, a := range d.Actions {
		if !a.Until.IsZero() && (u.IsZero() || a.Until.Before(u)) {
			u = a.Until
		}
	}
	return u
}

// ETag returns a weak entity tag (W/"v<version>-<hash>") that changes
// whenever the version, the policy version or any decision changes. It leaves out as_of, so an
// unchanged answer keeps its tag; two answers with the same tag then differ
// in as_of, which is why the tag is weak (RFC 9110, section 8.8.1): it
// names equivalent answers, not identical bytes, and is compared weakly
// (If-None-Match).
func (d *Document) ETag() string {
	var buf [48]byte
	return string(d.AppendETag(buf[:0]))
}

// AppendETag appends the ETag to dst.
func (d *Document) AppendETag(dst []byte) []byte {
	h := fnvString(fnvOffset, d.PolicyVersion)
	for _, a := range d.Actions {
		h = fnvString(h, a.Action)
		h = fnvString(h, a.Reason)
		if a.Allowed {
			h = fnvByte(h, 1)
		} else {
			h = fnvByte(h, 0)
		}
		for u := uint64(a.Until.UnixNano()); u != 0; u >>= 8 {
			h = fnvByte(h, byte(u))
		}
		h = fnvByte(h, 0xff) // separates one action from the next
	}
	dst = append(dst, `W/"v`...)
	dst = strconv.AppendInt(dst, d.Version, 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, h, 36)
	return append(dst, '"')
}

// FNV-1a, 64 bits, inline so hashing allocates nothing.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return fnvByte(h, 0)
}

// AppendJSON appends the document as JSON to dst.
func (d *Document) AppendJSON(dst []byte) []byte {
	dst = d.AppendJSONHead(dst)
	dst = appendMillis(dst, d.AsOf)
	return d.AppendJSONTail(dst)
}

// AppendJSONHead appends the JSON that comes before the as_of instant;
// AppendJSONTail the JSON after it. Neither depends on AsOf, so a caller
// may keep them for a document whose decisions do not change and add
// only the instant (AppendAsOf) to each answer.
func (d *Document) AppendJSONHead(dst []byte) []byte {
	dst = append(dst, `{"order_id":`...)
	dst = appendString(dst, d.OrderID)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, d.Version, 10)
	dst = append(dst, `,"policy_version":`...)
	dst = appendString(dst, d.PolicyVersion)
	return append(dst, `,"as_of":"`...)
}

// AppendAsOf appends the as_of instant as AppendJSON writes it.
func (d *Document) AppendAsOf(dst []byte) []byte { return appendMillis(dst, d.AsOf) }

// AppendJSONTail appends the JSON that comes after the as_of instant.
func (d *Document) AppendJSONTail(dst []byte) []byte {
	dst = append(dst, `","actions":{`...)
	for i, a := range d.Actions {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, a.Action)
		dst = append(dst, `:{"allowed":`...)
		dst = strconv.AppendBool(dst, a.Allowed)
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, a.Reason)
		dst = append(dst, `,"until":`...)
		if a.Until.IsZero() {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '"')
			dst = a.Until.UTC().AppendFormat(dst, time.RFC3339Nano)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

// SameAnswer reports whether d and e give the same answer apart from as_of:
// the same order, version, policy version and decisions, so the same ETag, JSON head and
// tail.
func (d *Document) SameAnswer(e *Document) bool {
	if d.OrderID != e.OrderID || d.Version != e.Version || d.PolicyVersion != e.PolicyVersion || len(d.Actions) != len(e.Actions) {
		return false
	}
	for i := range d.Actions {
		a, b := &d.Actions[i], &e.Actions[i]
		if a.Action != b.Action || a.Allowed != b.Allowed || a.Reason != b.Reason || !a.Until.Equal(b.Until) {
			return false
		}
	}
	return true
}

// appendString appends s as a JSON string. Ids and rule names are plain
// ASCII in practice; anything else takes encoding/json's slower path.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// A copy: what json.Marshal is given escapes, and s would
			// take with it the document it came from, which a hot
			// caller keeps on its stack.
			b, _ := json.Marshal(strings.Clone(s))
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendMillis appends t in UTC as RFC 3339 with milliseconds
// ("2006-01-02T15:04:05.000Z"), the contract's as_of format. It is
// time.AppendFormat's answer for years 0 to 9999, in a fraction of its time.
func appendMillis(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1e6, 3)
	return append(dst, 'Z')
}

// appendDigits appends v, 0 <= v < 10^width, zero-padded to width digits.
func appendDigits(dst []byte, v, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}
