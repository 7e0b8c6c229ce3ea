package loadgen

import (
	"sync"
	"sync/atomic"
	"time"
)

// order is one scripted order: its plan, and everything that was sent and
// seen about it, kept until it is checked.
type order struct {
	id, customer, token string
	plan                plan

	placed  time.Time // set once the create was acknowledged
	anchors anchors

	mu      sync.Mutex
	writes  []write
	reads   []readObs
	streams []*stream
	checked bool

	// The map page's copy of the document, for If-None-Match.
	viewETag    string
	viewVersion int64
	viewAns     answer

	// pending counts the writes still to come: the event chain (or, for an
	// unpaid order, its scripted end) and the cancel. writesDone is closed
	// when it reaches zero.
	pending    atomic.Int32
	writesDone chan struct{}
}

func (o *order) addWrite(w write) {
	o.mu.Lock()
	o.writes = append(o.writes, w)
	o.mu.Unlock()
}

func (o *order) addRead(r readObs) {
	o.mu.Lock()
	o.reads = append(o.reads, r)
	o.mu.Unlock()
}

// writeDone marks one of the pending writes as answered (or given up).
func (o *order) writeDone() {
	if o.pending.Add(-1) == 0 {
		close(o.writesDone)
	}
}

// over reports whether every write of the order has been answered.
func (o *order) over() bool {
	select {
	case <-o.writesDone:
		return true
	default:
		return false
	}
}

// lastAcked returns the newest version an acknowledged write got.
func (o *order) lastAcked() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := int64(0)
	for i := range o.writes {
		if o.writes[i].outcome == outcomeApplied {
			n = max(n, o.writes[i].version)
		}
	}
	return n
}
