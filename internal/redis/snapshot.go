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
//	"42:" format(1)=1 status(1) driver_status(1) payment_status(1)
//	      placed_at(8) promised_at(8) payment_timeout_at(8) updated_at(8)
//	      len(id)(1) id len(customer_id)(1) customer_id
//
// Times are Unix nanoseconds, big-endian, math.MinInt64 for a zero time. The decimal
// version in front is what the Put script compares (and what a person sees
// with redis-cli GET); the binary part decodes without allocating, since
// the ids are slices of the value string.
const snapshotFormat = 1

// fixedLen is the length of the binary part before the ids.
const fixedLen = 1 + 3 + 4*8

// errBadSnapshot is returned for a value this build cannot read.
var errBadSnapshot = errors.New("redis: the order's value is not a snapshot this build can read")

// appendSnapshot appends the encoded value of o to b.
func appendSnapshot(b []byte, o *eligo.Order) []byte {
	b = strconv.AppendInt(b, o.Version, 10)
	b = append(b, ':', snapshotFormat, byte(o.Status), byte(o.DriverStatus), byte(o.PaymentStatus))
	for _, t := range [4]time.Time{o.PlacedAt, o.PromisedAt, o.PaymentTimeoutAt, o.UpdatedAt} {
		b = binary.BigEndian.AppendUint64(b, uint64(unixNano(t)))
	}
	b = append(b, byte(len(o.ID)))
	b = append(b, o.ID...)
	b = append(b, byte(len(o.CustomerID)))
	return append(b, o.CustomerID...)
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
	if len(p) < fixedLen+2 || p[0] != snapshotFormat {
		return o, errBadSnapshot
	}
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
	if p != "" {
		return o, errBadSnapshot
	}
	return o, nil
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
