package live

import (
	"context"
	"slices"
	"time"

	"github.com/eligo/eligo"
)

// A policy change changes every watched order's document: its
// policy_version (eligibility.Document carries it, and it is part of the
// answer and its ETag), and for some orders their decisions and until.
// So on a change the hub re-decides every watched order under the new
// policy and pushes every document to every subscriber, as a push of kind
// "policy"; the clock's boundaries move to the new documents' until.
//
// The work is done by each shard's timer goroutine, not by the caller of
// PolicyChanged (the engine, from an HTTP request or the fan-out's
// notice): PolicyChanged marks every shard and wakes it, and returns. A
// shard marked again before it got to the work does it once, under the
// policy in force when it does; so several changes in a row coalesce.

// Policy returns the policy the hub decides under: Config.Policy until
// PolicyChanged brings a later one.
func (h *Hub) Policy() *eligo.Policy { return h.policy.Load() }

// PolicyChanged implements engine.PolicyListener: when p is later than the
// policy the hub decides under (a higher sequence number), it becomes the
// hub's, and every shard re-decides its watched orders in the background
// (redecide). An older or the same version changes nothing, so calls that
// arrive out of order from concurrent switches are harmless. It never
// waits on a lock held over I/O.
func (h *Hub) PolicyChanged(ctx context.Context, p *eligo.Policy) {
	if !h.policy.Offer(p) {
		return
	}
	h.policyAt.Store(time.Now().UnixNano())
	for i := range h.shards {
		sh := &h.shards[i]
		sh.redecide.Store(true)
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
	h.cfg.Logger.DebugContext(ctx, "live: policy changed; re-deciding the watched orders", "policy_version", p.VersionString())
}

// redecide builds the document of every order watched in sh under the
// policy in force, arms each order's boundary at its new until, and pushes
// each document to the order's subscribers. Documents are built under the
// shard's lock and written after it is let go, as fire does.
func (h *Hub) redecide(sh *shard) {
	type push struct {
		m    *message
		subs []*subscriber
	}
	cause := time.Unix(0, h.policyAt.Load())
	sh.mu.Lock()
	now := h.cfg.Now()
	pushes := make([]push, 0, len(sh.watches))
	for _, w := range sh.watches {
		pushes = append(pushes, push{h.build(sh, w, now, pushPolicy, cause), slices.Clone(w.subs)})
	}
	sh.mu.Unlock()
	for _, p := range pushes {
		for _, s := range p.subs {
			s.offer(p.m)
		}
	}
}
