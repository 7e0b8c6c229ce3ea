package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/eligo/eligo"
)

// The value of an order's key is its version in decimal, a colon, and the
// snapshot in a fixed binary layout:
//
//	"42:" format(1) status(1) driver_status(1) payment_status(1)
//	      placed_at(8) promised_at(8) payment_timeout_at(8) updated_at(8)
//	      len(id)(1) id len(customer_id)(1) customer_id
//
// and, in format 2 only, what a policy reads of the order besides:
//
//	count(1) { len(key)(2) key len(value)(2) value }  attributes
//	count(1) { len(name)(1) name at(8) }              deadlines
//	count(1) { len(action)(1) action }                taken
//
// An order with no attributes, deadlines or taken actions is written in
// format 1, as before they existed, so that a build that knows only
// format 1 still reads it during a rolling upgrade; format 2 with all three
// counts zero is refused, so that every value has one encoding.
//
// Times are Unix nanoseconds, big-endian, math.MinInt64 for a zero time;
// lengths are big-endian. The decimal version in front is what the Put
// script compares (and what a person sees with redis-cli GET); the binary
// part decodes without allocating for an order in format 1, since the ids
// are slices of the value string (in format 2, the slices of attributes,
// deadlines and taken actions are allocated; their strings are slices too).
const (
	snapshotFormat      = 1
	snapshotFormatExtra = 2
)

// fixedLen is the length of the binary part before the ids.
const fixedLen = 1 + 3 + 4*8

// errBadSnapshot is returned for a value this build cannot read.
var errBadSnapshot = errors.New("redis: the order's value is not a snapshot this build can read")

// appendSnapshot appends the encoded value of o to b.
func appendSnapshot(b []byte, o *eligo.Order) []byte {
	extra := hasExtra(o)
	format := byte(snapshotFormat)
	if extra {
		format = snapshotFormatExtra
	}
	b = strconv.AppendInt(b, o.Version, 10)
	b = append(b, ':', format, byte(o.Status), byte(o.DriverStatus), byte(o.PaymentStatus))
	for _, t := range [4]time.Time{o.PlacedAt, o.PromisedAt, o.PaymentTimeoutAt, o.UpdatedAt} {
		b = binary.BigEndian.AppendUint64(b, uint64(unixNano(t)))
	}
	b = append(b, byte(len(o.ID)))
	b = append(b, o.ID...)
	b = append(b, byte(len(o.CustomerID)))
	b = append(b, o.CustomerID...)
	if !extra {
		return b
	}
	b = append(b, byte(len(o.Attributes)))
	for _, a := range o.Attributes {
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Key)))
		b = append(b, a.Key...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	b = append(b, byte(len(o.Deadlines)))
	for _, d := range o.Deadlines {
		b = append(b, byte(len(d.Name)))
		b = append(b, d.Name...)
		b = binary.BigEndian.AppendUint64(b, uint64(unixNano(d.At)))
	}
	b = append(b, byte(len(o.Taken)))
	for _, a := range o.Taken {
		b = append(b, byte(len(a)))
		b = append(b, a...)
	}
	return b
}

// hasExtra reports whether o needs format 2: it has attributes, deadlines
// or taken actions.
func hasExtra(o *eligo.Order) bool {
	return len(o.Attributes) > 0 || len(o.Deadlines) > 0 || len(o.Taken) > 0
}

// decodeSnapshot decodes a value written by appendSnapshot. The ids of the
// result are substrings of v.
func decodeSnapshot(v string) (eligo.Order, error) {
	var o eligo.Order
	colon := 0
	for colon < len(v) && v[colon] >= '0' && v[colon] <= '9' {
		colon++
	}
	if colon == 0 || colon > 19 || colon >= len(v) || v[colon] != ':' || v[0] == '0' {
		return o, errBadSnapshot
	}
	version, err := strconv.ParseInt(v[:colon], 10, 64)
	if err != nil {
		return o, errBadSnapshot
	}
	p := v[colon+1:]
	if len(p) < fixedLen+2 || p[0] != snapshotFormat && p[0] != snapshotFormatExtra {
		return o, errBadSnapshot
	}
	format := p[0]
	o.Version = version
	o.Status, o.DriverStatus, o.PaymentStatus = eligo.Status(p[1]), eligo.DriverStatus(p[2]), eligo.PaymentStatus(p[3])
	o.PlacedAt = fromUnixNano(be64(p[4:]))
	o.PromisedAt = fromUnixNano(be64(p[12:]))
	o.PaymentTimeoutAt = fromUnixNano(be64(p[20:]))
	o.UpdatedAt = fromUnixNano(be64(p[28:]))
	p = p[fixedLen:]
	if o.ID, p, err = cutID(p); err != nil {
		return o, err
	}
	if o.CustomerID, p, err = cutID(p); err != nil {
		return o, err
	}
	if format == snapshotFormatExtra {
		if p, err = decodeExtra(&o, p); err != nil {
			return o, err
		}
	}
	if p != "" {
		return o, errBadSnapshot
	}
	return o, nil
}

// decodeExtra decodes the attributes, deadlines and taken actions of
// format 2 off the front of p into o, and returns the rest.
func decodeExtra(o *eligo.Order, p string) (string, error) {
	var n int
	var ok bool
	if n, p, ok = cutCount(p); !ok {
		return "", errBadSnapshot
	}
	if n > 0 {
		o.Attributes = make([]eligo.Attribute, n)
		for i := range o.Attributes {
			a := &o.Attributes[i]
			if a.Key, p, ok = cutString16(p); !ok {
				return "", errBadSnapshot
			}
			if a.Value, p, ok = cutString16(p); !ok {
				return "", errBadSnapshot
			}
		}
	}
	if n, p, ok = cutCount(p); !ok {
		return "", errBadSnapshot
	}
	if n > 0 {
		o.Deadlines = make([]eligo.Deadline, n)
		for i := range o.Deadlines {
			d := &o.Deadlines[i]
			if d.Name, p, ok = cutString8(p); !ok || len(p) < 8 {
				return "", errBadSnapshot
			}
			d.At, p = fromUnixNano(be64(p)), p[8:]
		}
	}
	if n, p, ok = cutCount(p); !ok {
		return "", errBadSnapshot
	}
	if n > 0 {
		o.Taken = make([]string, n)
		for i := range o.Taken {
			if o.Taken[i], p, ok = cutString8(p); !ok {
				return "", errBadSnapshot
			}
		}
	}
	if !hasExtra(o) {
		return "", errBadSnapshot // format 1 encodes such an order
	}
	return p, nil
}

// cutCount splits a one-byte count off the front of p.
func cutCount(p string) (int, string, bool) {
	if p == "" {
		return 0, "", false
	}
	return int(p[0]), p[1:], true
}

// cutString8 splits a string with a one-byte length off the front of p.
func cutString8(p string) (s, rest string, ok bool) {
	if p == "" || len(p) < 1+int(p[0]) {
		return "", "", false
	}
	n := 1 + int(p[0])
	return p[1:n], p[n:], true
}

// cutString16 splits a string with a two-byte length off the front of p.
func cutString16(p string) (s, rest string, ok bool) {
	if len(p) < 2 {
		return "", "", false
	}
	n := 2 + (int(p[0])<<8 | int(p[1]))
	if len(p) < n {
		return "", "", false
	}
	return p[2:n], p[n:], true
}

// cutID splits a length-prefixed id off the front of p.
func cutID(p string) (id, rest string, err error) {
	if p == "" || len(p) < 1+int(p[0]) {
		return "", "", errBadSnapshot
	}
	n := 1 + int(p[0])
	return p[1:n], p[n:], nil
}

// checkEncodable reports an order the layout cannot hold. Domain
// validation bounds ids at 128 bytes, so this only guards against misuse.
func checkEncodable(o *eligo.Order) error {
	if len(o.ID) > 255 || len(o.CustomerID) > 255 {
		return fmt.Errorf("redis: order %.40q: ids longer than 255 bytes cannot be stored", o.ID)
	}
	if o.Version < 1 {
		return fmt.Errorf("redis: order %q: version %d is not positive", o.ID, o.Version)
	}
	// The domain bounds these far below the layout's limits (16
	// attributes of 64 characters, 8 deadlines of 32 bytes, action names
	// of 64 bytes).
	if len(o.Attributes) > 255 || len(o.Deadlines) > 255 || len(o.Taken) > 255 {
		return fmt.Errorf("redis: order %q: more than 255 attributes, deadlines or taken actions cannot be stored", o.ID)
	}
	for _, a := range o.Attributes {
		if len(a.Key) > math.MaxUint16 || len(a.Value) > math.MaxUint16 {
			return fmt.Errorf("redis: order %q: an attribute longer than %d bytes cannot be stored", o.ID, math.MaxUint16)
		}
	}
	for _, d := range o.Deadlines {
		if len(d.Name) > 255 {
			return fmt.Errorf("redis: order %q: a deadline name longer than 255 bytes cannot be stored", o.ID)
		}
	}
	for _, a := range o.Taken {
		if len(a) > 255 {
			return fmt.Errorf("redis: order %q: an action name longer than 255 bytes cannot be stored", o.ID)
		}
	}
	return nil
}

func be64(s string) int64 {
	_ = s[7]
	return int64(uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
		uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7]))
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
