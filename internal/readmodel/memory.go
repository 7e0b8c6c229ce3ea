// Package readmodel holds the in-process read models: Memory, one snapshot
// per order, version-guarded, in a sharded map, the embedded default behind
// eligo.ReadModel (the eligibility read path is a lookup here and a call to
// eligo.Decide); and None, which holds nothing, for a process that serves
// no reads (eligo worker without a shared model).
package readmodel

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/eligo/eligo"
)

const shardCount = 64

// Memory is an in-process eligo.ReadModel. The zero value is not usable;
// call NewMemory or NewPartialMemory.
type Memory struct {
	seed    maphash.Seed
	shards  [shardCount]shard
	partial bool
}

type shard struct {
	mu     sync.RWMutex
	orders map[string]eligo.Order
}

// NewMemory returns an empty, complete read model: it must be rebuilt from
// the store before it serves reads, and a miss then means "no such order".
func NewMemory() *Memory { return newMemory(false) }

// NewPartialMemory returns an empty, partial read model: a miss means "ask
// the store", as for a shared cache. Tests use it to stand in for one.
func NewPartialMemory() *Memory { return newMemory(true) }

func newMemory(partial bool) *Memory {
	m := &Memory{seed: maphash.MakeSeed(), partial: partial}
	for i := range m.shards {
		m.shards[i].orders = make(map[string]eligo.Order)
	}
	return m
}

func (m *Memory) shard(id string) *shard {
	return &m.shards[maphash.String(m.seed, id)%shardCount]
}

// Get returns the snapshot of an order. It never fails.
func (m *Memory) Get(_ context.Context, id string) (eligo.Order, bool, error) {
	s := m.shard(id)
	s.mu.RLock()
	o, ok := s.orders[id]
	s.mu.RUnlock()
	return o, ok, nil
}

// Put stores o unless the model holds the same or a later version.
func (m *Memory) Put(_ context.Context, o eligo.Order) (bool, error) {
	s := m.shard(o.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.orders[o.ID]; ok && cur.Version >= o.Version {
		return false, nil
	}
	s.orders[o.ID] = o
	return true, nil
}

// Partial reports whether a miss means "ask the store" (NewPartialMemory)
// rather than "no such order" (NewMemory).
func (m *Memory) Partial() bool { return m.partial }

// Len returns the number of orders held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		n += len(s.orders)
		s.mu.RUnlock()
	}
	return n
}

// None is a read model that holds nothing: every Get misses, every Put is
// dropped, and it is partial, so every read goes to the store. It is the
// model of a process that serves no reads (eligo worker without Redis),
// which would otherwise fill a map that nobody reads.
type None struct{}

// Get misses.
func (None) Get(context.Context, string) (eligo.Order, bool, error) {
	return eligo.Order{}, false, nil
}

// Put stores nothing.
func (None) Put(context.Context, eligo.Order) (bool, error) { return false, nil }

// Partial is true: a miss means "ask the store".
func (None) Partial() bool { return true }
