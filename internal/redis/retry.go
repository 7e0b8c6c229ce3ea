package redis

import (
	"context"
	"sync"
	"time"

	"github.com/eligo/eligo"
)

// maxRetries bounds the orders whose failed Put waits to be retried.
const maxRetries = 1 << 16

// retries holds the snapshots whose Put failed, the newest per order, and
// puts them again from a goroutine, with backoff, until Redis takes them.
// The Put script's version guard makes a late retry harmless.
type retries struct {
	m       *ReadModel
	mu      sync.Mutex
	pending map[string]eligo.Order
	ready   chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newRetries(m *ReadModel) *retries {
	r := &retries{m: m, pending: make(map[string]eligo.Order), ready: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// add queues o, unless a newer version of it is queued. When maxRetries
// orders are queued, o is dropped: Redis may then answer an older version
// of it until its next change or the key's expiry.
func (r *retries) add(o eligo.Order) {
	r.mu.Lock()
	cur, ok := r.pending[o.ID]
	switch {
	case ok && cur.Version >= o.Version:
	case ok || len(r.pending) < maxRetries:
		r.pending[o.ID] = o
	default:
		r.m.metrics.retriesDropped.Inc()
	}
	r.m.metrics.retriesQueued.Set(float64(len(r.pending)))
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

func (r *retries) loop() {
	defer close(r.done)
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-r.stop:
			return
		case <-r.ready:
		}
		select {
		case <-r.stop:
			return
		case <-time.After(backoff):
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = make(map[string]eligo.Order, len(batch))
		r.mu.Unlock()
		failed := 0
		for _, o := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := r.m.put(ctx, &o)
			cancel()
			if err != nil {
				failed++
				r.add(o)
			}
		}
		r.mu.Lock()
		r.m.metrics.retriesQueued.Set(float64(len(r.pending)))
		r.mu.Unlock()
		if failed > 0 {
			backoff = min(2*backoff, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
	}
}

func (r *retries) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
