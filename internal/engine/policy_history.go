package engine

import (
	"context"

	"github.com/eligo/eligo"
)

// StoredPolicy returns the store's record of the policy in force when it
// is a stored one (sequence number above 0): who applied it, where, with
// which build and when. ok is false for a policy the store does not hold
// (the built-in one, or a --policy file read at start, as version 0).
func (e *Engine) StoredPolicy(ctx context.Context) (sp eligo.StoredPolicy, p *eligo.Policy, ok bool, err error) {
	p = e.Policy()
	seq := p.Version().Seq
	if seq == 0 {
		return eligo.StoredPolicy{}, p, false, nil
	}
	sps, err := e.ListPolicies(ctx, &eligo.ListPoliciesParams{BeforeSeq: seq + 1, Limit: 1})
	if err != nil {
		return eligo.StoredPolicy{}, p, false, err
	}
	if len(sps) == 0 || sps[0].Seq != seq {
		return eligo.StoredPolicy{}, p, false, eligo.Errorf(eligo.EINTERNAL, "the policy in force is version %d, which the store does not hold", seq)
	}
	return sps[0], p, true, nil
}

// ListPolicies returns the stored versions of the policy, newest first
// (eligo.PolicyStore's ListPolicies).
func (e *Engine) ListPolicies(ctx context.Context, p *eligo.ListPoliciesParams) ([]eligo.StoredPolicy, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	sctx, span := startStoreCall(ctx, "ListPolicies", nil)
	sps, err := e.cfg.Store.ListPolicies(sctx, p)
	endStoreCall(span, err)
	return sps, err
}
