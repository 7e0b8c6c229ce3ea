package eligo

import (
	"context"
	"slices"
	"time"
)

// PolicyStore keeps the policy's versions: the current one and its
// history, each with the record of who applied it, where and with which
// build, like an order's version. Both stores implement it beside
// OrderStore (internal/storetest checks them).
type PolicyStore interface {
	// CurrentPolicy returns the policy applied last, or ENOTFOUND when none
	// was ever applied (the service then runs its --policy file or the
	// built-in policy, as version 0).
	CurrentPolicy(ctx context.Context) (StoredPolicy, error)

	// PutPolicy stores p as the new current policy, with the next sequence
	// number, in one transaction, and returns it with created=true. A
	// policy whose hash is the current one's is not stored again: the
	// current one comes back with created=false. Invalid params are
	// EINVALID; the store does not parse the body (the domain did).
	PutPolicy(ctx context.Context, p *PutPolicyParams) (sp StoredPolicy, created bool, err error)

	// ListPolicies returns up to p.Limit stored policies with a sequence
	// number below p.BeforeSeq (0: from the newest), newest first.
	ListPolicies(ctx context.Context, p *ListPoliciesParams) ([]StoredPolicy, error)
}

// StoredPolicy is one version of the policy as the store keeps it.
type StoredPolicy struct {
	Seq       int64
	Hash      string // hex SHA-256 of Body
	Body      []byte // the canonical policy file (Policy.Canonical)
	Whodunnit string
	Host      string
	Build     string
	CreatedAt time.Time
}

// Version returns the stored policy's version.
func (sp *StoredPolicy) Version() PolicyVersion { return PolicyVersion{Seq: sp.Seq, Hash: sp.Hash} }

// Policy parses the stored body and returns it as version Seq. A body
// that no longer parses, or whose hash is not the one stored, is an
// EINTERNAL error: the store holds what this build cannot run.
func (sp *StoredPolicy) Policy() (*Policy, error) {
	p, err := ParsePolicy(sp.Body)
	if err != nil {
		return nil, Errorf(EINTERNAL, "stored policy %d does not parse with this build: %s", sp.Seq, ErrorMessage(err))
	}
	if p.Version().Hash != sp.Hash {
		return nil, Errorf(EINTERNAL, "stored policy %d has hash %s, but its body hashes to %s", sp.Seq, sp.Hash, p.Version().Hash)
	}
	return p.WithSeq(sp.Seq), nil
}

// PutPolicyParams are the inputs of PolicyStore.PutPolicy: a parsed
// policy, so that what is stored always parses, and the whodunnit.
type PutPolicyParams struct {
	Policy *Policy
	Who    string
}

// Validate checks the params of PutPolicy.
func (p *PutPolicyParams) Validate() error {
	if p == nil || p.Policy == nil || len(p.Policy.Canonical()) == 0 {
		return Errorf(EINVALID, "put policy: a parsed policy is required")
	}
	if p.Who == "" {
		return Errorf(EINVALID, "put policy: whodunnit is required")
	}
	return nil
}

// ListPoliciesParams page through the stored policies, newest first.
type ListPoliciesParams struct {
	BeforeSeq int64 // 0: from the newest
	Limit     int
}

// Validate checks the params of ListPolicies: a limit below 1 is EINVALID.
func (p *ListPoliciesParams) Validate() error {
	if p == nil || p.Limit < 1 {
		return Errorf(EINVALID, "list policies: limit must be at least 1")
	}
	if p.BeforeSeq < 0 {
		return Errorf(EINVALID, "list policies: before must not be negative")
	}
	return nil
}

// DecidePutPolicy decides a PutPolicy of p against the current stored
// policy (nil when none was applied), at the store's instant now, for a
// store that records host and build on its versions: the current one, with
// create false, when p has its hash (applying the same rules again stores
// nothing); otherwise the next version, sequence number current+1 (1 for
// the first), with create true, for the store to insert in the same
// transaction in which it read current. Invalid params are EINVALID.
func DecidePutPolicy(p *PutPolicyParams, current *StoredPolicy, now time.Time, host, build string) (sp StoredPolicy, create bool, err error) {
	if err := p.Validate(); err != nil {
		return StoredPolicy{}, false, err
	}
	hash := p.Policy.Version().Hash
	var seq int64 = 1
	if current != nil {
		if current.Hash == hash {
			return *current, false, nil
		}
		seq = current.Seq + 1
	}
	return StoredPolicy{
		Seq: seq, Hash: hash, Body: slices.Clone(p.Policy.Canonical()), Whodunnit: p.Who,
		Host: host, Build: build, CreatedAt: now.UTC(),
	}, true, nil
}
