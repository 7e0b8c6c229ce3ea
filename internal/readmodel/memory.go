// Package readmodel holds the in-process read model: one snapshot per order,
// version-guarded, in a sharded map. It is the embedded default behind
// eligo.ReadModel; the eligibility read path is a lookup here and a call to
// eligo.Decide.
package readmodel

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/eligo/eligo"
)

const shardCount = 64

// Memory is an in-process eligo.ReadModel. The zero value is not usable;
// call NewMemory.
type Memory struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu     sync.RWMutex
	orders map[string]eligo.Order
}

// NewMemory returns an empty read model.
func NewMemory() *Memory {
	m := &Memory{seed: maphash.MakeSeed()}
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
