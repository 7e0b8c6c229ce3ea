package auth

import (
	"crypto/sha256"
	"sync"
)

// The cache of verified customer tokens holds up to maxCached tokens: those
// of at most maxCachedLen bytes by themselves (eligo's are about 200
// bytes), longer ones, such as identity providers' tokens, by their
// SHA-256 (a few MiB in all). Only tokens whose signature verified are
// cached.
const (
	maxCached    = 1 << 16
	maxCachedLen = 512
)

// cacheKey is a token as the cache finds it: itself when short, its
// digest when long.
type cacheKey struct {
	token string            // when !long
	sum   [sha256.Size]byte // when long
	long  bool
}

// cacheEntry is a verified customer token.
type cacheEntry struct {
	p Principal
	// keyed is true for a token verified with a KeySet's key, whose
	// generation was gen: once the set drops or replaces a key, such a
	// token is verified again.
	keyed bool
	gen   uint64
}

// tokenCache caches customer tokens whose signature was checked, so a
// customer polling eligibility pays for the signature and JSON once per
// token. Expiry is checked on every use. The zero value is empty.
type tokenCache struct {
	mu    sync.RWMutex
	short map[string]*cacheEntry
	long  map[[sha256.Size]byte]*cacheEntry
}

// get returns the entry of k, nil when there is none. Entries are never
// changed once cached.
func (c *tokenCache) get(k *cacheKey) *cacheEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k.long {
		return c.long[k.sum]
	}
	return c.short[k.token]
}

// put caches a verified token. When the cache is full it drops an
// arbitrary entry (map iteration starts at a random place).
func (c *tokenCache) put(k *cacheKey, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.short == nil {
		c.short = make(map[string]*cacheEntry)
		c.long = make(map[[sha256.Size]byte]*cacheEntry)
	}
	if len(c.short)+len(c.long) >= maxCached {
		if len(c.short) >= len(c.long) {
			for t := range c.short {
				delete(c.short, t)
				break
			}
		} else {
			for s := range c.long {
				delete(c.long, s)
				break
			}
		}
	}
	if k.long {
		c.long[k.sum] = e
	} else {
		c.short[k.token] = e
	}
}

func (c *tokenCache) drop(k *cacheKey) {
	c.mu.Lock()
	if k.long {
		delete(c.long, k.sum)
	} else {
		delete(c.short, k.token)
	}
	c.mu.Unlock()
}
