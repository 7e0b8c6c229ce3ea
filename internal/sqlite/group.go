package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroupRows bounds the rows (creates, and updates of UpdateOrders) that
// one group transaction gathers, and so how long a write that arrives while
// it runs waits for it. A single write larger than the bound is a group of
// its own.
const maxGroupRows = 1000

// groupCommit gathers the store's writes into transactions: the group
// commit of CreateOrder and UpdateOrders.
//
// The writer connection runs one transaction at a time. A write is queued;
// whoever holds the turn (a channel of capacity one, the writer's token)
// runs one BEGIN IMMEDIATE transaction with every write queued so far, up
// to maxGroupRows, and commits it once. There is no timer: a write that
// finds no transaction in flight takes the turn and begins at once, alone;
// the writes that arrive while a transaction runs form the next group,
// which the first of them to get the turn runs. Under load a write waits
// for at most the transaction in flight and its own, and every group pays
// one BEGIN, one COMMIT and one handoff of the connection instead of one
// per write.
//
// Each write of a group of more than one runs inside its own SAVEPOINT,
// with its own clock reading and its own call of the jobs hook, so a write
// that fails (an error of its own, or of its jobs) is rolled back to its
// savepoint and rejects only itself; the others commit. Writes run in
// queue order, each one seeing the rows of those before it, so a
// read-decide-write (an event, a cancel) still decides against the state it
// commits on top of. An error of the transaction itself (BEGIN, COMMIT, or a
// failure that ends the transaction, such as a full disk) is the error of
// every write of the group: none of them is applied.
//
// A write's context bounds its wait, not the group's statements: a write
// whose context ends before its turn comes is withdrawn, returns the
// context's error and is never applied. The group's statements run under a
// context with the latest deadline of its writes, so one caller going away
// cannot interrupt the others' transaction.
type groupCommit struct {
	store *Store
	turn  chan struct{} // capacity 1: held while a goroutine runs a group

	mu    sync.Mutex
	queue []*groupWrite // waiting for a group, in arrival order
}

// groupWrite is one queued write: apply does its work in the transaction.
type groupWrite struct {
	ctx   context.Context
	rows  int
	apply func(w *writeTx) error

	state atomic.Int32  // writeWaiting, then writeStarted or writeWithdrawn
	done  chan struct{} // closed once err is final (not when withdrawn by the caller)
	err   error
}

// States of a groupWrite.
const (
	writeWaiting   int32 = iota // queued; it may still be withdrawn
	writeStarted                // its work began in a transaction: the outcome comes with the group's
	writeWithdrawn              // its context ended first; it is never applied
)

func newGroupCommit(s *Store) *groupCommit {
	return &groupCommit{store: s, turn: make(chan struct{}, 1)}
}

// write runs apply, which writes rows rows, in a group transaction and
// returns its error: apply's own, the jobs hook's, the transaction's, or
// ctx's when ctx ended before the write began.
func (g *groupCommit) write(ctx context.Context, rows int, apply func(w *writeTx) error) error {
	wr := &groupWrite{ctx: ctx, rows: rows, apply: apply, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, wr)
	g.mu.Unlock()
	for {
		select {
		case <-wr.done:
			return wr.outcome()
		case g.turn <- struct{}{}:
			g.lead(wr)
		case <-ctx.Done():
			if wr.state.CompareAndSwap(writeWaiting, writeWithdrawn) {
				g.remove(wr)
				return fmt.Errorf("sqlite: write withdrawn while waiting for the writer: %w", context.Cause(ctx))
			}
			// Its work began: the outcome comes with the transaction's,
			// which is not long.
			<-wr.done
			return wr.outcome()
		}
	}
}

// lead runs the next group, unless a group before this turn ran wr, and
// gives the turn back.
func (g *groupCommit) lead(wr *groupWrite) {
	defer func() { <-g.turn }()
	select {
	case <-wr.done:
	default:
		g.runGroup()
	}
}

// outcome returns the write's error; a panic of its work, which the
// goroutine running the group recovered, goes on in the write's own.
func (wr *groupWrite) outcome() error {
	if p, ok := wr.err.(*writePanic); ok {
		panic(p.value)
	}
	return wr.err
}

// writePanic is the error of a write whose work (its Apply, or the jobs
// hook) panicked: that write is rolled back, and its caller panics with
// value.
type writePanic struct{ value any }

func (p *writePanic) Error() string { return fmt.Sprintf("sqlite: the write panicked: %v", p.value) }

// take removes the next group from the queue: the writes queued first,
// up to maxGroupRows rows (at least one write), skipping withdrawn ones.
func (g *groupCommit) take() []*groupWrite {
	g.mu.Lock()
	defer g.mu.Unlock()
	var group []*groupWrite
	rows, n := 0, 0
	for ; n < len(g.queue); n++ {
		wr := g.queue[n]
		if wr.state.Load() == writeWithdrawn {
			continue
		}
		if len(group) > 0 && rows+wr.rows > maxGroupRows {
			break
		}
		group = append(group, wr)
		rows += wr.rows
	}
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	return group
}

// remove takes a withdrawn write out of the queue, unless a group took it
// first (and will skip it).
func (g *groupCommit) remove(wr *groupWrite) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if i := slices.Index(g.queue, wr); i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
	}
}

// runGroup runs the next group, if any, in one transaction and delivers
// each write's outcome. The caller holds the turn.
func (g *groupCommit) runGroup() {
	group := g.take()
	if len(group) == 0 {
		return
	}
	delivered := false
	defer func() {
		if !delivered { // the store's own code panicked: none of the group committed
			start(group)
			for _, wr := range group {
				if wr.state.Load() == writeStarted {
					wr.err = errGroupPanicked
					close(wr.done)
				}
			}
		}
	}()
	ctx, cancel := groupContext(group)
	defer cancel()
	started, err := g.store.runGroup(ctx, group)
	for _, wr := range started {
		if err != nil {
			wr.err = err
		}
		close(wr.done)
	}
	delivered = true
}

// errGroupPanicked is the error of the writes of a group whose transaction
// panicked (outside the writes' own work).
var errGroupPanicked = errors.New("sqlite: the transaction of this write's group panicked; it was rolled back")

// groupContext returns the context of a group's statements: none of its
// writes can cancel it, and its deadline is the latest of theirs (none when
// one of them has none).
func groupContext(group []*groupWrite) (context.Context, context.CancelFunc) {
	var latest time.Time
	for _, wr := range group {
		d, ok := wr.ctx.Deadline()
		if !ok {
			return context.WithCancel(context.Background())
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(context.Background(), latest)
}

// runGroup runs the writes of group in one transaction and returns those
// that started (each with its own error, if any, in err) and the error of
// the transaction, which is theirs too when set. A write whose context has
// ended by its turn is withdrawn with that error and does not start.
func (s *Store) runGroup(ctx context.Context, group []*groupWrite) (started []*groupWrite, err error) {
	w, err := s.beginWrite(ctx)
	if err != nil {
		return start(group), err
	}
	defer w.rollback()
	savepoints := len(group) > 1
	for _, wr := range group {
		if err := wr.ctx.Err(); err != nil {
			if wr.state.CompareAndSwap(writeWaiting, writeWithdrawn) {
				wr.err = fmt.Errorf("sqlite: write withdrawn while waiting for the writer: %w", context.Cause(wr.ctx))
				close(wr.done)
			}
			continue
		}
		if !wr.state.CompareAndSwap(writeWaiting, writeStarted) {
			continue // its caller withdrew it
		}
		started = append(started, wr)
		var txErr error
		w.callerCtx = wr.ctx
		wr.err, txErr = w.run(wr.apply, savepoints)
		if txErr != nil {
			return append(started, start(group)...), txErr
		}
		if wr.err != nil && !savepoints {
			return started, nil // alone: rolled back, with its own error
		}
	}
	if err := w.tx.Commit(); err != nil {
		return started, fmt.Errorf("sqlite: commit: %w", err)
	}
	return started, nil
}

// start marks the writes of group that are still waiting as started and
// returns them: they get the outcome of a transaction that failed before
// their turn.
func start(group []*groupWrite) []*groupWrite {
	var started []*groupWrite
	for _, wr := range group {
		if wr.state.CompareAndSwap(writeWaiting, writeStarted) {
			started = append(started, wr)
		}
	}
	return started
}
