// Package eligibility builds the eligibility document: the JSON answer of
// GET /v1/orders/{id}/eligibility and of every message on the live stream.
// It is on the hot path, so it encodes by hand into a caller's buffer.
package eligibility

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/eligo/eligo"
)

// asOfLayout is RFC 3339 with milliseconds, the contract's as_of format.
const asOfLayout = "2006-01-02T15:04:05.000Z07:00"

// ActionDecision is the decision for one named action.
type ActionDecision struct {
	Action string
	eligo.Decision
}

// Document is the eligibility of one order at one instant.
type Document struct {
	OrderID string
	Version int64
	AsOf    time.Time
	Actions []ActionDecision
}

// Build decides every action of p (or only action, when not "") for o at now.
// The caller checks that action exists in p.
func Build(o *eligo.Order, p *eligo.Policy, action string, now time.Time) Document {
	d := Document{OrderID: o.ID, Version: o.Version, AsOf: now.UTC()}
	if action != "" {
		if a := p.Action(action); a != nil {
			d.Actions = []ActionDecision{{Action: a.Name, Decision: a.Decide(o, now)}}
		}
		return d
	}
	d.Actions = make([]ActionDecision, len(p.Actions))
	for i := range p.Actions {
		d.Actions[i] = ActionDecision{Action: p.Actions[i].Name, Decision: p.Actions[i].Decide(o, now)}
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

// ETag returns a strong entity tag that changes whenever the version or any
// decision changes. It leaves out as_of, so an unchanged answer keeps its tag.
func (d *Document) ETag() string {
	h := fnv.New64a()
	var buf [20]byte
	for _, a := range d.Actions {
		_, _ = h.Write([]byte(a.Action))
		_, _ = h.Write([]byte(a.Reason))
		if a.Allowed {
			_, _ = h.Write([]byte{1})
		} else {
			_, _ = h.Write([]byte{0})
		}
		_, _ = h.Write(strconv.AppendInt(buf[:0], a.Until.UnixNano(), 10))
	}
	tag := make([]byte, 0, 40)
	tag = append(tag, `"v`...)
	tag = strconv.AppendInt(tag, d.Version, 10)
	tag = append(tag, '-')
	tag = strconv.AppendUint(tag, h.Sum64(), 36)
	tag = append(tag, '"')
	return string(tag)
}

// AppendJSON appends the document as JSON to dst.
func (d *Document) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"order_id":`...)
	dst = appendString(dst, d.OrderID)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, d.Version, 10)
	dst = append(dst, `,"as_of":"`...)
	dst = d.AsOf.UTC().AppendFormat(dst, asOfLayout)
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

// appendString appends s as a JSON string. Ids and rule names are plain
// ASCII in practice; anything else takes encoding/json's slower path.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
