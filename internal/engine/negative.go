package engine

import (
	"sync"
	"time"
)

// Defaults of Config.NegativeTTL and Config.NegativeSize.
const (
	DefaultNegativeTTL  = 2 * time.Second
	DefaultNegativeSize = 100_000
)

// negativeCache holds, for a while, the order ids that neither the read
// model nor the store held, so that reading an unknown id again and
// again (any customer can) costs a memory read rather than a store
// transaction. A nil cache holds nothing.
//
// It is consulted only after the read model answered "absent", never
// instead of it. An order created on any replica is put in the shared read
// model before its creation is answered, so every replica finds it there at
// once, whatever this cache says; and this replica forgets the id on every
// change it publishes. What an entry can cost is an order whose Put failed
// (the read model away on the creating replica): "not found" here until
// the entry expires, NegativeTTL at most, or until the Put's retry lands.
// So the TTL is short, and no fan-out message is needed.
type negativeCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	expires map[string]time.Time
}

// newNegativeCache returns a cache, or nil (none) when ttl is negative.
func newNegativeCache(ttl time.Duration, size int) *negativeCache {
	if ttl < 0 {
		return nil
	}
	if ttl == 0 {
		ttl = DefaultNegativeTTL
	}
	if size <= 0 {
		size = DefaultNegativeSize
	}
	return &negativeCache{ttl: ttl, max: size, expires: make(map[string]time.Time)}
}

// has reports whether id is known not to exist at instant now.
func (c *negativeCache) has(id string, now time.Time) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.expires[id]
	if ok && !now.Before(exp) {
		delete(c.expires, id)
		return false
	}
	return ok
}

// add notes that id did not exist at instant now. When the cache is full,
// the expired entries go, and when too few had, an eighth of the entries,
// arbitrary ones.
func (c *negativeCache) add(id string, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.expires[id]; !ok && len(c.expires) >= c.max {
		for k, exp := range c.expires {
			if !now.Before(exp) {
				delete(c.expires, k)
			}
		}
		// None expired (many distinct ids): drop an eighth, so that the
		// scan above runs once per max/8 adds, not once per add.
		for k := range c.expires {
			if len(c.expires) < c.max-c.max/8 {
				break
			}
			delete(c.expires, k)
		}
	}
	c.expires[id] = now.Add(c.ttl)
}

// forget drops id: the order exists now.
func (c *negativeCache) forget(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.expires, id)
	c.mu.Unlock()
}
