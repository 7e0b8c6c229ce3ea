package live

import (
	"context"
)

// Fanout brings the hub the change notices of the other replicas of a
// deployment, so that a change committed by one reaches subscribers
// connected to another. A notice names the order and the version it
// reached; the replicas that watch the order read the snapshot from the
// shared read model.
//
// Sending this replica's notices is not the hub's work: the fan-out is an
// engine listener of its own (internal/redis's Fanout.OrderChanged), in
// the API and in processes without a hub (eligo worker) alike.
//
// Implementations: Local (one process, the embedded default) and, for
// several replicas, Redis pub/sub in internal/redis.
type Fanout interface {
	// Listen calls deliver for each notice published by any replica (its
	// own included is harmless: the hub ignores versions it already has)
	// until ctx is done, then returns nil. An error means notices can no
	// longer be received. deliver may block briefly on the read model.
	Listen(ctx context.Context, deliver func(orderID string, version int64)) error
}

// Local is the Fanout of a single process: every change is committed here
// and reaches the hub through OrderChanged, and every policy change
// through PolicyChanged, so there is nothing to carry. Between processes,
// policy changes travel apart from the hub: the engine publishes a notice
// (engine.PolicyPublisher) and each replica's engine reads the store's
// current policy on hearing it (engine.FollowPolicy), which tells the hub.
type Local struct{}

// Listen waits until ctx is done.
func (Local) Listen(ctx context.Context, _ func(string, int64)) error {
	<-ctx.Done()
	return nil
}
