package eligo

import "time"

// The range of an order's timestamps, in UTC: the years 1970 to 2200. The
// policy's offsets are bounded by maxOffset, so that every instant a policy
// can name lies in [minOrderTime-maxOffset, maxOrderTime+maxOffset] (the
// years 1960 to 2210), well inside what Unix nanoseconds hold (1678 to 2262):
// Decide's arithmetic cannot overflow.
var (
	minOrderTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxOrderTime = time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// maxOffset bounds the offset of a policy bound, either way: ten years.
const maxOffset = 87600 * time.Hour

// CheckTimeRange returns an EINVALID error naming field when t is set and
// falls outside the years 1970 to 2200, in UTC (not in t's own offset); a
// zero t is accepted. Order timestamps and an event's occurred_at are held
// to it.
func CheckTimeRange(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	return validateTime(field, t)
}

// validateTime checks that t lies in the range of order timestamps, in UTC
// whatever offset it was given in; name names it in the error.
func validateTime(name string, t time.Time) error {
	if t.Before(minOrderTime) || t.After(maxOrderTime) {
		return Errorf(EINVALID, "%s %s is out of range; expected a year from 1970 to 2200 in UTC", name, t.Format(time.RFC3339Nano))
	}
	return nil
}
