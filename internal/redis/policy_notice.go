package redis

import (
	"context"
	"strconv"
	"time"
)

// A policy notice says that a replica applied a policy version; every
// replica that hears it reads the store's current policy at once
// (engine.FollowPolicy), instead of at its next poll. Notices travel on a
// channel of their own, "<prefix>:{fanout}:policy", beside the change
// notices and in the same Redis Cluster shard, so that a process that
// follows the policy without watching orders (eligo worker) is not sent
// every order's change. A notice is the sequence number; the store, not
// the notice, says what the policy is. A notice lost while a subscription
// was down is made up for when it comes back (the subscription itself
// counts as a notice), and by the poll.

// policyPublishTimeout bounds the publish of one policy notice.
const policyPublishTimeout = 2 * time.Second

// PublishPolicy implements engine.PolicyPublisher: it publishes a notice
// that policy version seq was applied, waiting for Redis for up to two
// seconds. A failure is logged; the other replicas then switch at their
// next poll.
func (f *Fanout) PublishPolicy(ctx context.Context, seq int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), policyPublishTimeout)
	defer cancel()
	cmd := f.client.B().Spublish().Channel(f.policyChannel).Message(strconv.FormatInt(seq, 10)).Build()
	if err := f.client.Do(ctx, cmd).Error(); err != nil {
		f.log.WarnContext(ctx, "redis fan-out: publishing a policy notice failed; the other replicas switch at their next poll", "seq", seq, "err", err)
	}
}

// ListenPolicy calls notice for every policy notice published by any
// replica (its own included), and after every (re)subscription, since a
// notice published while the subscription was down never arrives, until
// ctx is done; then it returns nil. notice must not block.
func (f *Fanout) ListenPolicy(ctx context.Context, notice func()) error {
	f.subscribe(ctx, f.policyChannel, func(string) { notice() }, notice)
	return nil
}
