package loadgen

import (
	"math/bits"
	"sort"
	"sync"
	"time"
)

// histogram counts durations in buckets about 1.6% wide, from a
// microsecond to days, in constant memory. It is safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

// Bucket layout: values below 64 µs have a bucket each; above, every power
// of two is split into 64 buckets.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histBuckets = histSub + (64-histSubBits)*histSub
)

func histBucket(us uint64) int {
	if us < histSub {
		return int(us)
	}
	shift := bits.Len64(us) - histSubBits - 1
	return histSub + shift*histSub + int(us>>shift) - histSub
}

// histValue returns the middle of bucket i, in microseconds.
func histValue(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	shift := (i - histSub) / histSub
	lo := uint64(histSub+(i-histSub)%histSub) << shift
	return lo + (uint64(1)<<shift)/2
}

// Observe adds one duration; negative ones count as zero.
func (h *histogram) Observe(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.mu.Lock()
	h.counts[histBucket(us)]++
	h.n++
	h.max = max(h.max, d)
	h.mu.Unlock()
}

// Count returns how many durations were observed.
func (h *histogram) Count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Quantile returns the duration below which a fraction q of the observed
// ones lie (within the bucket width), never more than the maximum; zero
// when nothing was observed.
func (h *histogram) Quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(time.Duration(histValue(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}

// Max returns the largest duration observed.
func (h *histogram) Max() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max
}

// endpoint counts the requests to one route of the API.
type endpoint struct {
	name    string
	latency histogram
	mu      sync.Mutex
	ok      int64 // answered as expected
	errors  int64
	status  map[int]int64
}

func (e *endpoint) record(code int, took time.Duration, failed bool) {
	e.latency.Observe(took)
	e.mu.Lock()
	defer e.mu.Unlock()
	if failed {
		e.errors++
	} else {
		e.ok++
	}
	if code != 0 {
		if e.status == nil {
			e.status = map[int]int64{}
		}
		e.status[code]++
	}
}

// counts is a set of named counters, safe for concurrent use.
type counts struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counts) add(name string, n int64) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[name] += n
	c.mu.Unlock()
}

func (c *counts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

func (c *counts) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.m {
		n += v
	}
	return n
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
