package redis

import (
	"sync"
)

// queue holds change notices between the committing goroutines (or the
// subscription's reader) and the goroutine that sends (or delivers) them:
// at most one per order, the highest version, and a resync flag that stands
// for every notice that could not be kept.
type queue struct {
	mu     sync.Mutex
	cur    map[string]int64
	spare  map[string]int64
	resync bool
	max    int
	ready  chan struct{} // holds a token when something was queued since the last take
}

// batch is what one take returns.
type batch struct {
	notices map[string]int64
	resync  bool
}

func newQueue(max int) *queue {
	return &queue{cur: make(map[string]int64), spare: make(map[string]int64), max: max, ready: make(chan struct{}, 1)}
}

// add queues a notice, keeping the higher version of one already queued
// for the order. When max other orders are queued it drops the notice,
// sets the resync flag and returns false.
func (q *queue) add(id string, version int64) bool {
	q.mu.Lock()
	kept := true
	if cur, ok := q.cur[id]; ok {
		q.cur[id] = max(cur, version)
	} else if len(q.cur) < q.max {
		q.cur[id] = version
	} else {
		q.resync, kept = true, false
	}
	q.mu.Unlock()
	q.signal()
	return kept
}

// setResync queues a resync.
func (q *queue) setResync() {
	q.mu.Lock()
	q.resync = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take returns what is queued and empties the queue. The next take clears
// and reuses the batch's map: the caller must be done with it by then.
func (q *queue) take() batch {
	q.mu.Lock()
	defer q.mu.Unlock()
	b := batch{notices: q.cur, resync: q.resync}
	clear(q.spare)
	q.cur, q.spare = q.spare, q.cur
	q.resync = false
	return b
}

// len returns how many orders have a notice queued.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.cur)
}
