package live

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// shardCount is how many shards the hub's state is split into, a power of
// two. Pushes for orders of different shards never take the same lock, so
// 64 keeps contention negligible well past 16 cores while costing little
// when idle: one map, one heap and one sleeping goroutine each.
const shardCount = 64

// shard is the part of the hub's state that belongs to the orders whose id
// hashes to it: their watches, the subscribers watching them, and one heap
// of deadlines (each order's next boundary, the expiry of each
// subscriber's token). Everything in it is guarded by its own mu, which is
// never held together with another shard's; its deadlines are fired by its
// own timer goroutine (runTimers), started by Hub.Run.
type shard struct {
	mu      sync.Mutex
	watches map[string]*watch        // by order id, only orders someone watches
	subs    map[*subscriber]struct{} // every open stream of these orders
	timers  timerHeap

	wake chan struct{} // the shard's earliest deadline moved earlier, or redecide was set
	// redecide is set by a policy change: the timer goroutine re-decides
	// every order watched here (Hub.redecide) when it wakes.
	redecide atomic.Bool

	// Keeps neighbouring shards' locks off one cache line, so that cores
	// taking different shards' locks do not contend on the line either.
	_ [64]byte
}

func (sh *shard) init() {
	sh.watches = make(map[string]*watch)
	sh.subs = make(map[*subscriber]struct{})
	sh.wake = make(chan struct{}, 1)
}

// shardOf returns the shard that holds order orderID.
func (h *Hub) shardOf(orderID string) *shard {
	return &h.shards[maphash.String(h.seed, orderID)&(shardCount-1)]
}

// arm sets deadline d and wakes the shard's timer goroutine when d became
// its earliest. Called with sh.mu held.
func (sh *shard) arm(d *deadline, at time.Time) {
	if sh.timers.set(d, at) {
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
}

// runTimers fires sh's deadlines as they fall due, and re-decides its
// orders after a policy change, until ctx is done.
func (h *Hub) runTimers(ctx context.Context, sh *shard) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if sh.redecide.Swap(false) {
			h.redecide(sh)
		}
		sh.mu.Lock()
		next := sh.timers.next()
		sh.mu.Unlock()
		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(next.Sub(h.cfg.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-sh.wake:
		case <-timer.C:
			h.fire(sh, h.cfg.Now())
		}
	}
}

// fire handles every deadline of sh due at now: a boundary pushes the
// order's document as of now, an expired token closes its stream.
func (h *Hub) fire(sh *shard, now time.Time) {
	type push struct {
		m    *message
		subs []*subscriber
	}
	var pushes []push
	var expired []*subscriber
	sh.mu.Lock()
	for d := sh.timers.popDue(now); d != nil; d = sh.timers.popDue(now) {
		if d.watch != nil {
			pushes = append(pushes, push{h.build(sh, d.watch, now, pushBoundary, d.at), slices.Clone(d.watch.subs)})
		} else {
			expired = append(expired, d.sub)
		}
	}
	sh.mu.Unlock()
	for _, p := range pushes {
		for _, s := range p.subs {
			s.offer(p.m)
		}
	}
	for _, s := range expired {
		s.close(ClosePolicyViolation, "access token expired", endTokenExpired)
	}
}

// ping sends a keep-alive on every stream whose ping is due at now. It
// goes shard by shard, holding one shard's lock at a time and writing
// only after letting it go.
func (h *Hub) ping(now time.Time) {
	var due []*subscriber
	for i := range h.shards {
		sh := &h.shards[i]
		due = due[:0]
		sh.mu.Lock()
		for s := range sh.subs {
			if !now.Before(s.nextPing) {
				s.nextPing = now.Add(h.cfg.PingInterval)
				due = append(due, s)
			}
		}
		sh.mu.Unlock()
		for _, s := range due {
			s.ping()
		}
	}
}

// subscribers returns every open stream, collected shard by shard.
func (h *Hub) subscribers() []*subscriber {
	var open []*subscriber
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		for s := range sh.subs {
			open = append(open, s)
		}
		sh.mu.Unlock()
	}
	return open
}

// watchedOrders returns the id of every watched order, shard by shard.
func (h *Hub) watchedOrders() []string {
	var ids []string
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		for id := range sh.watches {
			ids = append(ids, id)
		}
		sh.mu.Unlock()
	}
	return ids
}
