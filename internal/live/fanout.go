package live

import (
	"context"
)

// Fanout carries change notices between the replicas of a deployment, so
// that a change committed by one reaches subscribers connected to another.
// A notice names the order and the version it reached; the replicas that
// watch the order read the snapshot from the shared read model.
//
// Implementations: Local (one process, the embedded default) and, for
// several replicas, Redis pub/sub in internal/redis.
type Fanout interface {
	// Publish announces that the order reached version. The hub calls it
	// after every commit on this replica, from the committing goroutine, so
	// it must not block: an implementation that talks to a server queues
	// the notice and sends it from its own goroutine.
	Publish(orderID string, version int64)

	// Listen calls deliver for each notice published by any replica (its
	// own included is harmless: the hub ignores versions it already has)
	// until ctx is done, then returns nil. An error means notices can no
	// longer be received. deliver may block briefly on the read model.
	Listen(ctx context.Context, deliver func(orderID string, version int64)) error
}

// Local is the Fanout of a single process: every change is committed here
// and reaches the hub through OrderChanged, so there is nothing to carry.
type Local struct{}

// Publish does nothing.
func (Local) Publish(string, int64) {}

// Listen waits until ctx is done.
func (Local) Listen(ctx context.Context, _ func(string, int64)) error {
	<-ctx.Done()
	return nil
}
