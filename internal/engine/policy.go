package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// DefaultPolicyPoll is how often FollowPolicy reads the store's current
// policy when no interval is given.
const DefaultPolicyPoll = 2 * time.Second

// PolicyPublisher tells the other replicas that a policy version was
// applied, so that they read it from the store at once (LoadPolicy)
// instead of at their next poll. internal/redis's Fanout is one; a single
// process needs none.
type PolicyPublisher interface {
	PublishPolicy(ctx context.Context, seq int64)
}

// PolicyListener is told when the policy in force changes, after the
// engine decides under it: the live hub re-decides every watched order
// and pushes the answers that changed. PolicyChanged must not block for
// long; ctx is not to be kept.
type PolicyListener interface {
	PolicyChanged(ctx context.Context, p *eligo.Policy)
}

// Policy returns the policy in force.
func (e *Engine) Policy() *eligo.Policy { return e.policy.Load() }

// SetPolicy makes p the policy in force if it is a later version than the
// current one (a higher sequence number), tells the policy listeners, and
// reports whether it switched. An older or the same version changes
// nothing: replicas hear of a version more than once (the fan-out, the
// store's poll), in any order.
func (e *Engine) SetPolicy(ctx context.Context, p *eligo.Policy) bool {
	if !e.policy.Offer(p) {
		return false
	}
	e.metrics.actionsAtZero(p)
	e.metrics.policySeq.Set(float64(p.Version().Seq))
	e.metrics.policyChanges.Inc()
	e.cfg.Logger.InfoContext(ctx, "policy switched", "policy_version", p.VersionString(), "actions", p.ActionNames(), "segments", len(p.Segments))
	for _, l := range e.cfg.PolicyListeners {
		l.PolicyChanged(ctx, p)
	}
	return true
}

// ApplyPolicy stores p as the new current policy (eligo.PolicyStore's
// PutPolicy, with its version record), switches this replica to it and
// returns the stored version; created is false when p was the current
// policy already. The other replicas switch when they next read the
// store's current policy (LoadPolicy), which the notice sent here through
// Config.PolicyPublisher (the fan-out) or their poll (FollowPolicy)
// prompts.
func (e *Engine) ApplyPolicy(ctx context.Context, p *eligo.Policy, who string) (eligo.StoredPolicy, bool, error) {
	sctx, span := startStoreCall(ctx, "PutPolicy", nil)
	sp, created, err := e.cfg.Store.PutPolicy(sctx, &eligo.PutPolicyParams{Policy: p, Who: who})
	endStoreCall(span, err)
	if err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	stored, err := sp.Policy()
	if err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	e.SetPolicy(ctx, stored)
	if e.cfg.PolicyPublisher != nil {
		e.cfg.PolicyPublisher.PublishPolicy(ctx, sp.Seq)
	}
	return sp, created, nil
}

// LoadPolicy reads the store's current policy and switches to it when it
// is later than the one in force; none stored changes nothing. It reports
// whether it switched.
func (e *Engine) LoadPolicy(ctx context.Context) (bool, error) {
	sctx, span := startStoreCall(ctx, "CurrentPolicy", nil)
	sp, err := e.cfg.Store.CurrentPolicy(sctx)
	endStoreCall(span, err)
	switch {
	case eligo.ErrorCode(err) == eligo.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case sp.Seq <= e.Policy().Version().Seq:
		return false, nil
	}
	p, err := sp.Policy()
	if err != nil {
		return false, fmt.Errorf("engine: load policy: %w", err)
	}
	return e.SetPolicy(ctx, p), nil
}

// FollowPolicy keeps this replica at the store's current policy until ctx
// ends, then returns nil: it reads it (LoadPolicy, one small read) every
// interval (DefaultPolicyPoll when zero or less) and whenever notices
// says a version was applied (the fan-out's policy notices; nil: none).
// Notices that arrive during a read are taken as one. So a replica switches
// at once after the notice, and within one interval without it. A store
// that fails is logged once at the start of the outage and once at its
// end, and read again at the next tick.
func (e *Engine) FollowPolicy(ctx context.Context, every time.Duration, notices <-chan struct{}) error {
	if every <= 0 {
		every = DefaultPolicyPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-notices:
		}
		_, err := e.LoadPolicy(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			e.cfg.Logger.WarnContext(ctx, "reading the store's current policy failed; the policy in force stays", "policy_version", e.Policy().VersionString(), "err", err)
		case err == nil && failing:
			e.cfg.Logger.InfoContext(ctx, "reading the store's current policy works again", "policy_version", e.Policy().VersionString())
		}
		failing = err != nil
	}
}
