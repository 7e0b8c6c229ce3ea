package engine

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/eligo/eligo"
)

// DefaultColdCacheSize is the default of Config.ColdCacheSize.
const DefaultColdCacheSize = 10_000

// coldCache holds the latest orders read from the store that were out of
// the hot set (eligo.Order.Hot), so that the map page of an order that
// ended long ago, polled again and again, costs a memory read rather than
// a store read each time; the least recently read leave first. Such an
// order is terminal, and a terminal order never changes again, so an entry
// is never stale and no replica needs to tell another. It never enters the
// read model: the hot set stays the live orders and the grace period. A
// nil cache holds nothing.
type coldCache struct {
	orders *lru.Cache[string, eligo.Order]
}

// newColdCache returns a cache of size orders, or nil (none) when size is
// negative; zero means DefaultColdCacheSize.
func newColdCache(size int) (*coldCache, error) {
	if size < 0 {
		return nil, nil
	}
	if size == 0 {
		size = DefaultColdCacheSize
	}
	c, err := lru.New[string, eligo.Order](size)
	if err != nil {
		return nil, err
	}
	return &coldCache{orders: c}, nil
}

func (c *coldCache) get(id string) (eligo.Order, bool) {
	if c == nil {
		return eligo.Order{}, false
	}
	return c.orders.Get(id)
}

func (c *coldCache) add(o eligo.Order) {
	if c != nil {
		c.orders.Add(o.ID, o)
	}
}
