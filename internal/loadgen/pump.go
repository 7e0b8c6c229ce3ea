package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// pump is one stream of events, as one partition of fulfillment's topic:
// it posts every event that has come due in one batch, waits for the
// answer, and only then schedules each order's next event, so an order's
// events reach the server one at a time and in order.
type pump struct {
	r  *runner
	mu sync.Mutex
	q  timedQueue[pumpItem]
	w  *waiter
}

type pumpItem struct {
	o   *order
	idx int // into o.plan.events
}

func newPump(r *runner) *pump { return &pump{r: r, w: newWaiter()} }

// push schedules event idx of o at its planned moment.
func (p *pump) push(o *order, idx int) {
	p.mu.Lock()
	p.q.push(o.placed.Add(o.plan.events[idx].at), pumpItem{o, idx})
	p.mu.Unlock()
	p.w.poke()
}

// run posts batches until ctx ends.
func (p *pump) run(ctx context.Context) {
	for {
		batch := p.due()
		if len(batch) == 0 {
			p.mu.Lock()
			due, ok := p.q.next()
			p.mu.Unlock()
			if !p.w.sleep(ctx, due, ok) {
				return
			}
			continue
		}
		p.post(ctx, batch)
	}
}

// due pops up to BatchMax events that are due now.
func (p *pump) due() []timed[pumpItem] {
	p.mu.Lock()
	defer p.mu.Unlock()
	var batch []timed[pumpItem]
	now := time.Now()
	for len(batch) < p.r.cfg.BatchMax {
		if due, ok := p.q.next(); !ok || due.After(now) {
			break
		}
		batch = append(batch, p.q.pop())
	}
	return batch
}

// post sends one batch and hands each order its outcome.
func (p *pump) post(ctx context.Context, batch []timed[pumpItem]) {
	r := p.r
	sent := time.Now().UTC()
	body := make([]eventRequest, len(batch))
	for i, b := range batch {
		e := b.v.o.plan.events[b.v.idx]
		body[i] = eventRequest{EventID: fmt.Sprintf("%s-e%d", b.v.o.id, b.v.idx), OrderID: b.v.o.id, Type: e.typ, Status: e.status, OccurredAt: sent}
		r.st.eventLag.Observe(sent.Sub(b.due))
	}
	var res EventResults
	code, err := r.api.Do(ctx, http.MethodPost, "/v1/events", r.cfg.ServiceToken, body, &res)
	acked := time.Now()
	ok := r.result(ctx, &r.st.events, code, err, acked.Sub(sent), http.StatusOK)
	if ok {
		r.st.eventsSent.Add(int64(len(batch)))
	}
	if ok && len(res.Results) != len(batch) {
		r.st.errors.add("events_answer_length", 1)
		ok = false
	}
	for i, b := range batch {
		o := b.v.o
		w := o.plan.events[b.v.idx].write()
		w.sent = sent
		if !ok {
			w.outcome = outcomeUnanswered
			o.addWrite(w)
			o.writeDone()
			continue
		}
		res := res.Results[i]
		w.acked, w.outcome, w.version, w.reason = acked, res.Outcome, res.Version, res.Error
		o.addWrite(w)
		if w.outcome == outcomeApplied && b.v.idx+1 < len(o.plan.events) {
			p.push(o, b.v.idx+1)
		} else {
			o.writeDone()
		}
	}
}

// behind reports whether the most overdue event waiting in the stream is
// more than d late.
func (p *pump) behind(d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	due, ok := p.q.next()
	return ok && time.Since(due) > d
}
