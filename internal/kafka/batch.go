package kafka

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
)

// finishTimeout bounds each attempt to dead-letter and commit a batch whose
// events the store has committed; those steps run on even when Run's
// context ends, so a graceful shutdown leaves no batch half done.
const finishTimeout = 10 * time.Second

// process applies one polled batch, dead-letters its bad records and
// commits its offsets, in that order. An error means the offsets were not
// committed and Run should stop.
//
// The batch's events are split by partition into Config.Parallel groups,
// applied in as many transactions at once. Records are keyed by order id,
// so each order is in one partition, the groups touch disjoint orders, and
// the transactions never wait for each other's row locks.
//
// The batch is a span, and each record one (see startRecord); the store
// transaction of a group is a span under the batch's, linked to its
// records', and each event's change is published under its record's span.
func (c *Consumer) process(ctx context.Context, recs []*kgo.Record) error {
	start := time.Now()
	ctx, batchSpan := c.startBatch(ctx, len(recs))
	defer batchSpan.End()
	traced := batchSpan.IsRecording()
	groups := make([]applyGroup, c.cfg.Parallel)
	var dead []deadLetter
	for _, r := range recs {
		rctx, rspan := ctx, trace.Span(nil)
		if traced {
			rctx, rspan = c.startRecord(ctx, r)
		}
		e, err := decodeRecord(r)
		if err != nil {
			if rspan != nil {
				failSpan(rspan, err)
				rspan.End()
			}
			dead = append(dead, deadLetter{rec: r, reason: reasonUndecodable, err: err})
			continue
		}
		g := &groups[int(r.Partition)%len(groups)]
		g.events, g.from = append(g.events, e), append(g.from, r)
		if rspan != nil {
			g.ctxs, g.spans = append(g.ctxs, rctx), append(g.spans, rspan)
		}
	}
	defer func() {
		for i := range groups {
			for _, s := range groups[i].spans {
				s.End()
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range groups {
		if g := &groups[i]; len(g.events) > 0 {
			wg.Go(func() { g.err = c.applyGroup(ctx, g) })
		}
	}
	wg.Wait()
	for i := range groups {
		if err := groups[i].err; err != nil {
			return err
		}
		dead = append(dead, groups[i].dead...)
	}
	slices.SortFunc(dead, func(a, b deadLetter) int {
		return cmp.Or(cmp.Compare(a.rec.Partition, b.rec.Partition), cmp.Compare(a.rec.Offset, b.rec.Offset))
	})
	if err := c.produceDeadLetters(ctx, dead); err != nil {
		return err
	}
	if c.beforeCommit != nil {
		if err := c.beforeCommit(); err != nil {
			return err
		}
	}
	c.commit(ctx)
	c.metrics.records.Add(float64(len(recs)))
	c.metrics.batchSeconds.Observe(time.Since(start).Seconds())
	return nil
}

// applyGroup is the events of some partitions of a batch, applied in one
// transaction, and what came of them.
type applyGroup struct {
	events []eligo.Event
	from   []*kgo.Record // the record of each event
	dead   []deadLetter  // the events the engine rejected
	err    error
	// ctxs and spans are the span of each event's record, when tracing is
	// on.
	ctxs  []context.Context
	spans []trace.Span
}

// applyGroup applies g's events and notes the rejected ones in g.dead.
func (c *Consumer) applyGroup(ctx context.Context, g *applyGroup) error {
	if g.ctxs != nil {
		ctx = engine.WithEventContexts(ctx, g.ctxs)
	}
	results, err := c.apply(ctx, g.events)
	if err != nil {
		return err
	}
	for i, res := range results {
		if res.Outcome == eligo.OutcomeRejected {
			if g.spans != nil {
				failSpan(g.spans[i], res.Err)
			}
			g.dead = append(g.dead, deadLetter{rec: g.from[i], reason: reasonRejected, err: res.Err})
		}
	}
	return nil
}

// apply applies the events in one transaction, retrying with backoff while
// the store fails, until ctx ends. The batch's records are not committed
// meanwhile: a failing store blocks the partitions, it skips nothing. An
// attempt under way when ctx ends runs to its end (within finishTimeout),
// so a graceful shutdown finishes its batch rather than rolling it back.
func (c *Consumer) apply(ctx context.Context, events []eligo.Event) ([]engine.EventResult, error) {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		results, err := c.cfg.Applier.ApplyEvents(actx, events)
		cancel()
		if err == nil {
			return results, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.metrics.applyErrors.Inc()
		c.log.ErrorContext(ctx, "kafka: applying a batch failed; retrying it", "events", len(events), "attempt", attempt+1, "err", err)
		if !sleep(ctx, backoff(attempt)) {
			return nil, ctx.Err()
		}
	}
}

// commit commits the offsets of everything polled. A failure is logged, not
// returned: the records will be delivered again, and their event ids make
// them duplicates.
func (c *Consumer) commit(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := c.client.CommitUncommittedOffsets(cctx); err != nil {
		c.metrics.commitErrors.Inc()
		c.log.WarnContext(ctx, "kafka: committing offsets failed; the batch will be delivered again", "err", err)
	}
}

// backoff is the wait before retry attempt+1: 100ms doubling to 10s.
func backoff(attempt int) time.Duration {
	return min(100*time.Millisecond<<min(attempt, 7), 10*time.Second)
}

// sleep waits d or until ctx ends, and reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
