package live

import (
	"container/heap"
	"time"
)

// deadline is one entry of a shard's timer heap: the next boundary of a
// watched order (watch set) or the expiry of a subscriber's token (sub set).
// It lives inside the watch or subscriber it belongs to.
type deadline struct {
	at    time.Time
	index int // position in the heap; -1 when not armed
	watch *watch
	sub   *subscriber
}

// timerHeap is a min-heap of deadlines by instant: a shard's only timers.
// It is guarded by its shard's mu.
type timerHeap []*deadline

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	d := x.(*deadline)
	d.index = len(*h)
	*h = append(*h, d)
}

func (h *timerHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.index = -1
	return d
}

// set arms d at instant at, moves it there if it is armed, or disarms it
// when at is zero. It reports whether d is now the earliest deadline, so
// that the caller can wake the timer loop.
func (h *timerHeap) set(d *deadline, at time.Time) bool {
	switch {
	case at.IsZero():
		h.remove(d)
		return false
	case d.index < 0:
		d.at = at
		heap.Push(h, d)
	default:
		d.at = at
		heap.Fix(h, d.index)
	}
	return d.index == 0
}

// remove disarms d; it does nothing when d is not armed.
func (h *timerHeap) remove(d *deadline) {
	if d.index >= 0 {
		heap.Remove(h, d.index)
	}
}

// next returns the earliest armed instant, or zero when none is armed.
func (h timerHeap) next() time.Time {
	if len(h) == 0 {
		return time.Time{}
	}
	return h[0].at
}

// popDue disarms and returns the earliest deadline if it is due at now, or
// returns nil.
func (h *timerHeap) popDue(now time.Time) *deadline {
	if len(*h) == 0 || (*h)[0].at.After(now) {
		return nil
	}
	return heap.Pop(h).(*deadline)
}
