package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// policyDoc is the JSON form of one version of the policy: GET and PUT
// /v1/policy, and each of GET /v1/policy/versions. The record members
// (whodunnit, host, build, created_at) are null for a policy the store
// does not hold (seq 0: the built-in one, or a --policy file read at
// start).
type policyDoc struct {
	PolicyVersion string          `json:"policy_version"` // "SEQ-HASH12", as documents carry it
	Seq           int64           `json:"seq"`
	Hash          string          `json:"hash"` // hex SHA-256 of policy
	Whodunnit     *string         `json:"whodunnit"`
	Host          *string         `json:"host"`
	Build         *string         `json:"build"`
	CreatedAt     *time.Time      `json:"created_at"`
	Policy        json.RawMessage `json:"policy"` // the canonical policy file
}

// newPolicyDoc is the document of a policy the store does not hold.
func newPolicyDoc(p *eligo.Policy) policyDoc {
	v := p.Version()
	return policyDoc{PolicyVersion: v.String(), Seq: v.Seq, Hash: v.Hash, Policy: p.Canonical()}
}

// newStoredPolicyDoc is the document of a stored version of the policy.
func newStoredPolicyDoc(sp *eligo.StoredPolicy) policyDoc {
	created := sp.CreatedAt.UTC()
	return policyDoc{
		PolicyVersion: sp.Version().String(),
		Seq:           sp.Seq,
		Hash:          sp.Hash,
		Whodunnit:     &sp.Whodunnit,
		Host:          &sp.Host,
		Build:         &sp.Build,
		CreatedAt:     &created,
		Policy:        sp.Body,
	}
}

// handleGetPolicy answers the policy in force on this replica, the one its
// eligibility documents carry (policy_version), with the store's record of
// it. A policy applied on another replica is answered once this one has
// switched to it.
func handleGetPolicy(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sp, p, stored, err := deps.Engine.StoredPolicy(r.Context())
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		doc := newPolicyDoc(p)
		if stored {
			doc = newStoredPolicyDoc(&sp)
		}
		encode(w, r, deps.Logger, http.StatusOK, doc)
	})
}

// handlePutPolicy applies the policy file in the body: parsed and checked
// by eligo.ParsePolicy (a bad one is 400 naming the offending place, and
// nothing changes), stored as the next version with its record, and put
// in force (engine.ApplyPolicy). 201 when stored; 200 when it was the
// current policy already (the same canonical form, so the same hash).
func handlePutPolicy(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		p, err := eligo.ParsePolicy(body)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		sp, created, err := deps.Engine.ApplyPolicy(r.Context(), p, eligo.WhoService)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		encode(w, r, deps.Logger, status, newStoredPolicyDoc(&sp))
	})
}

// The page sizes of GET /v1/policy/versions.
const (
	defaultPolicyPage = 20
	maxPolicyPage     = 100
)

// policyVersionsResponse is the answer of GET /v1/policy/versions.
type policyVersionsResponse struct {
	Versions []policyDoc `json:"versions"` // newest first
	Next     *string     `json:"next"`     // the next page's path and query, null on the last
}

// handlePolicyVersions answers the stored versions of the policy, newest
// first, a page at a time: ?limit=N (1 to 100, default 20) of them, with a
// sequence number below ?before=SEQ when given. next is the next page,
// null when there is none.
func handlePolicyVersions(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params, err := policyPage(r.URL.RawQuery)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		sps, err := deps.Engine.ListPolicies(r.Context(), params)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		resp := policyVersionsResponse{Versions: make([]policyDoc, len(sps))}
		for i := range sps {
			resp.Versions[i] = newStoredPolicyDoc(&sps[i])
		}
		if n := len(sps); n == params.Limit && sps[n-1].Seq > 1 {
			next := "/v1/policy/versions?before=" + strconv.FormatInt(sps[n-1].Seq, 10) + "&limit=" + strconv.Itoa(params.Limit)
			resp.Next = &next
		}
		encode(w, r, deps.Logger, http.StatusOK, resp)
	})
}

// policyPage reads ?before= and ?limit= of GET /v1/policy/versions.
func policyPage(rawQuery string) (*eligo.ListPoliciesParams, error) {
	p := &eligo.ListPoliciesParams{Limit: defaultPolicyPage}
	before, err := auth.QueryValue(rawQuery, "before")
	if err != nil {
		return nil, err
	}
	if before != "" {
		n, ok := positiveID(before)
		if !ok {
			return nil, eligo.Errorf(eligo.EINVALID, "before %q is not a positive integer (a policy's seq)", before)
		}
		p.BeforeSeq = n
	}
	limit, err := auth.QueryValue(rawQuery, "limit")
	if err != nil {
		return nil, err
	}
	if limit != "" {
		n, ok := positiveID(limit)
		if !ok || n > maxPolicyPage {
			return nil, eligo.Errorf(eligo.EINVALID, "limit %q is not a whole number from 1 to %d", limit, maxPolicyPage)
		}
		p.Limit = int(n)
	}
	return p, nil
}
