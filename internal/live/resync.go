package live

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// A fan-out between processes can miss notices: its connection to the
// server drops and is made again, or a replica's outbound queue overflows.
// The hub then re-reads every order it watches (RefreshAll) and pushes
// those that moved on. Nothing else is needed to recover, since every
// message is the whole state.

// ResyncFanout is a Fanout that says when it may have missed notices. The
// hub's Run calls ListenResync instead of Listen on a Fanout that
// implements it.
type ResyncFanout interface {
	Fanout
	// ListenResync is Listen that also calls resync whenever notices may
	// have been missed: after each (re)subscription, and when another
	// replica reports that it dropped some. resync may block on the read
	// model.
	ListenResync(ctx context.Context, deliver func(orderID string, version int64), resync func()) error
}

// listenFanout runs the Fanout's listener for Run.
func (h *Hub) listenFanout(ctx context.Context) error {
	deliver := func(id string, v int64) { h.remoteChanged(ctx, id, v) }
	if rf, ok := h.cfg.Fanout.(ResyncFanout); ok {
		return rf.ListenResync(ctx, deliver, func() { h.RefreshAll(ctx) })
	}
	return h.cfg.Fanout.Listen(ctx, deliver)
}

// RefreshAll re-reads every watched order from the read model and pushes
// the document of each that is newer than what its watchers have. It
// returns how many orders it read.
func (h *Hub) RefreshAll(ctx context.Context) int {
	ids := h.watchedOrders()
	for _, id := range ids {
		if ctx.Err() != nil {
			return 0
		}
		o, ok, err := h.cfg.ReadModel.Get(ctx, id)
		if err != nil {
			h.cfg.Logger.WarnContext(ctx, "live: read model get failed while refreshing", "order_id", id, "err", err)
			continue
		}
		if ok {
			h.advance(o, time.Now(), trace.SpanContext{})
		}
	}
	return len(ids)
}
