package loadgen

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// timedQueue is a min-heap of items by due time, first in first out among
// equal times.
type timedQueue[T any] struct {
	items timedItems[T]
	seq   uint64
}

type timed[T any] struct {
	due time.Time
	seq uint64
	v   T
}

type timedItems[T any] []timed[T]

func (q timedItems[T]) Len() int { return len(q) }
func (q timedItems[T]) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}
func (q timedItems[T]) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timedItems[T]) Push(x any)   { *q = append(*q, x.(timed[T])) }
func (q *timedItems[T]) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (q *timedQueue[T]) push(due time.Time, v T) {
	q.seq++
	heap.Push(&q.items, timed[T]{due: due, seq: q.seq, v: v})
}

// next returns the earliest due time, and false when the queue is empty.
func (q *timedQueue[T]) next() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].due, true
}

func (q *timedQueue[T]) pop() timed[T] { return heap.Pop(&q.items).(timed[T]) }

// waiter sleeps until the earliest item of a queue is due, waking early
// when an item is pushed.
type waiter struct {
	wake  chan struct{}
	timer *time.Timer
}

func newWaiter() *waiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &waiter{wake: make(chan struct{}, 1), timer: t}
}

// poke wakes the waiter after a push.
func (w *waiter) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// sleep waits until due (forever when !ok), a poke, or the end of ctx; it
// returns false at the end of ctx.
func (w *waiter) sleep(ctx context.Context, due time.Time, ok bool) bool {
	var tc <-chan time.Time
	if ok {
		w.timer.Reset(time.Until(due))
		tc = w.timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-tc:
	}
	return true
}

// pool runs tasks at their due time on a fixed number of workers. A task
// that comes due while every worker is busy waits, the most overdue first,
// and how late each one starts is recorded in lag.
type pool struct {
	mu      sync.Mutex
	q       timedQueue[func(due time.Time)]
	w       *waiter
	workers int
	lag     *histogram
}

func newPool(workers int, lag *histogram) *pool {
	return &pool{w: newWaiter(), workers: workers, lag: lag}
}

// at schedules fn to run at due; fn gets its due time.
func (p *pool) at(due time.Time, fn func(due time.Time)) {
	p.mu.Lock()
	p.q.push(due, fn)
	p.mu.Unlock()
	p.w.poke()
}

// run dispatches tasks until ctx ends, then waits for running ones.
func (p *pool) run(ctx context.Context) {
	work := make(chan timed[func(time.Time)])
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for t := range work {
				p.lag.Observe(time.Since(t.due))
				t.v(t.due)
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	for {
		p.mu.Lock()
		due, ok := p.q.next()
		if !ok || time.Until(due) > 0 {
			p.mu.Unlock()
			if !p.w.sleep(ctx, due, ok) {
				return
			}
			continue
		}
		t := p.q.pop()
		p.mu.Unlock()
		select {
		case work <- t:
		case <-ctx.Done():
			return
		}
	}
}

// behind reports whether the most overdue task waiting in the pool is more
// than d late.
func (p *pool) behind(d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	due, ok := p.q.next()
	return ok && time.Since(due) > d
}
