package httpapi

import "time"

// Exported for the external tests.
var (
	DecodeEvents      = decodeEvents
	DecodeCreateOrder = decodeCreateOrder
	EtagWeakMatch     = etagWeakMatch
	NewCacheHeader    = func(maxAge time.Duration) func(until, now time.Time) string {
		c := newCacheControl(maxAge)
		return func(until, now time.Time) string { return c.header(until, now)[0] }
	}
)
