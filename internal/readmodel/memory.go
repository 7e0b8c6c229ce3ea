// Package readmodel holds the in-process read models: Memory, the hot set
// (eligo.Order.Hot) in a sharded map, one snapshot per order,
// version-guarded, the embedded default behind eligo.ReadModel (the
// eligibility read path is a lookup here and a call to eligo.Decide); and
// None, which holds nothing, for a process that serves no reads (eligo
// worker without a shared model).
package readmodel

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
)

const shardCount = 64

// HotSetConfig configures a Memory.
type HotSetConfig struct {
	// Grace is how long a terminal order stays after it ended. Zero means
	// eligo.DefaultHotGrace.
	Grace time.Duration
	// Now is the model's clock; nil means time.Now.
	Now func() time.Time
	// SweepEvery is how often Run sweeps out the orders past their grace.
	// Zero means a sixtieth of Grace, between 1 s and 1 min.
	SweepEvery time.Duration
	// Registerer gets eligo_hot_orders and eligo_hot_evictions_total; nil
	// keeps them unregistered.
	Registerer prometheus.Registerer
}

// Memory is an in-process eligo.ReadModel that holds the hot set: every
// order that is not terminal, and a terminal one until its grace period
// after it ended is over (eligo.Order.HotUntil). A Put of an order out of
// the hot set stores nothing, and Sweep (run by Run) removes the orders
// whose grace has passed: a miss means "ask the store". The zero value is
// not usable; call NewMemory or NewHotSet. It is safe for concurrent use.
type Memory struct {
	seed       maphash.Seed
	shards     [shardCount]shard
	grace      time.Duration
	now        func() time.Time
	sweepEvery time.Duration
	size       atomic.Int64
	evictions  prometheus.Counter
}

type shard struct {
	mu     sync.RWMutex
	orders map[string]eligo.Order
	ending endings // the terminal orders put here, by when they leave
}

// NewMemory returns an empty hot set with the zero HotSetConfig: the
// default grace, the system clock, no metrics.
func NewMemory() *Memory {
	m, _ := NewHotSet(&HotSetConfig{}) // fails only registering metrics
	return m
}

// NewHotSet returns an empty hot set. It fails when its metrics cannot be
// registered with cfg.Registerer, or when cfg.Grace is negative.
func NewHotSet(cfg *HotSetConfig) (*Memory, error) {
	if cfg.Grace < 0 {
		return nil, errors.New("readmodel: the hot set's grace period must not be negative")
	}
	m := &Memory{seed: maphash.MakeSeed(), grace: cfg.Grace, now: cfg.Now, sweepEvery: cfg.SweepEvery}
	if m.grace == 0 {
		m.grace = eligo.DefaultHotGrace
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.sweepEvery <= 0 {
		m.sweepEvery = min(max(m.grace/60, time.Second), time.Minute)
	}
	for i := range m.shards {
		m.shards[i].orders = make(map[string]eligo.Order)
	}
	m.evictions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "eligo_hot_evictions_total",
		Help: "Orders that left the in-process read model's hot set: ended more than --hot-grace ago.",
	})
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "eligo_hot_orders",
		Help: "Orders in the in-process read model's hot set: the live ones and those that ended less than --hot-grace ago.",
	}, func() float64 { return float64(m.size.Load()) })
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{m.evictions, size} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Memory) shard(id string) *shard {
	return &m.shards[maphash.String(m.seed, id)%shardCount]
}

// Get returns the snapshot of an order in the hot set. It never fails.
func (m *Memory) Get(_ context.Context, id string) (eligo.Order, bool, error) {
	s := m.shard(id)
	s.mu.RLock()
	o, ok := s.orders[id]
	s.mu.RUnlock()
	return o, ok, nil
}

// Put stores o unless the model holds the same or a later version, or o is
// out of the hot set: then an older snapshot of o leaves the model, which
// keeps nothing of it.
func (m *Memory) Put(_ context.Context, o eligo.Order) (bool, error) {
	until, ends := o.HotUntil(m.grace)
	cold := ends && !m.now().Before(until)
	s := m.shard(o.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, held := s.orders[o.ID]
	if held && cur.Version >= o.Version {
		return false, nil
	}
	if cold {
		if held {
			delete(s.orders, o.ID)
			m.size.Add(-1)
			m.evictions.Inc()
		}
		return false, nil
	}
	s.orders[o.ID] = o
	if !held {
		m.size.Add(1)
	}
	if ends {
		s.ending.push(ending{at: until, id: o.ID})
	}
	return true, nil
}

// Len returns the number of orders held.
func (m *Memory) Len() int { return int(m.size.Load()) }

// Sweep removes the orders whose grace period is over, and returns how
// many it removed. It reads each shard's orders by when they leave, so it
// costs the orders that leave, not the orders held.
func (m *Memory) Sweep() int {
	now := m.now()
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for len(s.ending) > 0 && !now.Before(s.ending[0].at) {
			e := s.ending.pop()
			// The order may have left already (a Put out of the hot set).
			if o, ok := s.orders[e.id]; ok && !o.Hot(now, m.grace) {
				delete(s.orders, e.id)
				n++
			}
		}
		s.mu.Unlock()
	}
	m.size.Add(-int64(n))
	m.evictions.Add(float64(n))
	return n
}

// Run sweeps every HotSetConfig.SweepEvery until ctx ends, then returns
// nil: a terminal order leaves at most that long after its grace.
func (m *Memory) Run(ctx context.Context) error {
	t := time.NewTicker(m.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.Sweep()
		}
	}
}

// None is a read model that holds nothing: every Get misses and every Put
// is dropped, so every read goes to the store. It is the model of a
// process that serves no reads (eligo worker without Redis), which would
// otherwise fill a map that nobody reads.
type None struct{}

// Get misses.
func (None) Get(context.Context, string) (eligo.Order, bool, error) {
	return eligo.Order{}, false, nil
}

// Put stores nothing.
func (None) Put(context.Context, eligo.Order) (bool, error) { return false, nil }
