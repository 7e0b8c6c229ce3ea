package sqlite

import (
	"math"
	"time"

	"github.com/eligo/eligo"
)

// The instants that Unix nanoseconds in an int64 can hold.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as Unix nanoseconds for a column, or nil for the zero
// time. A time out of range is EINVALID and names the field.
func nanos(field string, t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, eligo.Errorf(eligo.EINVALID, "%s %s is out of range; expected a time between %d and %d",
			field, t.UTC().Format(time.RFC3339Nano), minTime.Year(), maxTime.Year())
	}
	return t.UnixNano(), nil
}

// scanOrder and scanVersion read one row of orderColumns and of
// versionColumns, their times as Unix nanoseconds.
var (
	scanOrder   = eligo.OrderScanner(fromNanos)
	scanVersion = eligo.VersionScanner(fromNanos)
)

// fromNanos is the inverse of nanos: a UTC time, or the zero time for NULL
// (nil).
func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}
