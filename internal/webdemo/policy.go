package webdemo

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/httpapi"
)

// PolicyApplier applies a policy as `eligo policy apply` and PUT
// /v1/policy do: it stores it as the new current version, switches this
// replica and tells the others, whose live streams then push every answer
// that changed. *engine.Engine is one.
type PolicyApplier interface {
	ApplyPolicy(ctx context.Context, p *eligo.Policy, who string) (eligo.StoredPolicy, bool, error)
}

// PolicyChange is a policy the page offers to apply with one button, to
// show a change of the rules reach the pages that watch the orders it
// changes, with no reload.
type PolicyChange struct {
	Name   string // in the path: POST /demo/api/policy/{name}
	Title  string // the button's label
	Policy *eligo.Policy
}

// WhoDemoPage is the whodunnit of the policy versions the page applies.
const WhoDemoPage = "operator:demo-page"

// The attribute that puts an order in the demo policies' segment
// "amsterdam": city=AMS.
const (
	AmsterdamAttribute = "city"
	AmsterdamValue     = "AMS"
)

// The demo's two policies: the built-in rule, and for Amsterdam's orders
// cancel opening ten minutes after the promise (AmsterdamGracePolicyJSON,
// what `eligo demo` starts with), or at the promise as everywhere else
// (amsterdamWideJSON, the window widened).
var (
	//go:embed policies/amsterdam-grace.policy.json
	AmsterdamGracePolicyJSON []byte
	//go:embed policies/amsterdam-wide.policy.json
	amsterdamWideJSON []byte
)

// AmsterdamChanges returns the page's two buttons for the demo policies:
// widen the Amsterdam window, and narrow it again (applying the first
// policy's body again, as a rollback does: it becomes a new version).
func AmsterdamChanges() ([]PolicyChange, error) {
	grace, err := eligo.ParsePolicy(AmsterdamGracePolicyJSON)
	if err != nil {
		return nil, fmt.Errorf("webdemo: amsterdam-grace.policy.json: %w", err)
	}
	wide, err := eligo.ParsePolicy(amsterdamWideJSON)
	if err != nil {
		return nil, fmt.Errorf("webdemo: amsterdam-wide.policy.json: %w", err)
	}
	return []PolicyChange{
		{Name: "widen-amsterdam", Title: "Widen the Amsterdam window: cancel at the promise", Policy: wide},
		{Name: "narrow-amsterdam", Title: "Narrow it again: ten minutes' grace", Policy: grace},
	}, nil
}

// policyState is the answer of GET /demo/api/policy and of a change: the
// version in force and the changes on offer.
type policyState struct {
	PolicyVersion string          `json:"policy_version"`
	Changes       []changeSummary `json:"changes"`
	// Created is, after a change, whether it stored a new version (false:
	// that policy was in force already).
	Created *bool `json:"created,omitempty"`
}

type changeSummary struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// InForce says the policy in force has the same rules (the same hash).
	InForce bool `json:"in_force"`
}

func newPolicyState(cfg Config) policyState {
	cur := cfg.Decider.Policy()
	s := policyState{PolicyVersion: cur.VersionString(), Changes: []changeSummary{}}
	for _, c := range cfg.PolicyChanges {
		s.Changes = append(s.Changes, changeSummary{Name: c.Name, Title: c.Title, InForce: c.Policy.Version().Hash == cur.Version().Hash})
	}
	return s
}

// handlePolicy answers the version in force and the changes on offer
// (none without Config.Policies).
func handlePolicy(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, newPolicyState(cfg))
	})
}

// handleApplyPolicy applies one of the changes on offer, for anyone who
// asks, from the page's own origin (a browser's request from another site
// is 403): like the tokens, this is what a demo may do and a deployment
// never.
func handleApplyPolicy(cfg Config) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		var change *PolicyChange
		for i := range cfg.PolicyChanges {
			if cfg.PolicyChanges[i].Name == name {
				change = &cfg.PolicyChanges[i]
			}
		}
		if change == nil || cfg.Policies == nil {
			httpapi.WriteError(w, r, cfg.Logger, eligo.Errorf(eligo.ENOTFOUND, "the demo offers no policy change %q; GET %sapi/policy lists them", name, Prefix))
			return
		}
		sp, created, err := cfg.Policies.ApplyPolicy(r.Context(), change.Policy, WhoDemoPage)
		if err != nil {
			internalError(w, r, cfg, "applying the policy "+name, err)
			return
		}
		cfg.Logger.InfoContext(r.Context(), "demo page applied a policy", "change", name, "policy_version", sp.Version().String(), "created", created)
		s := newPolicyState(cfg)
		s.Created = &created
		writeJSON(w, http.StatusOK, s)
	})
	return http.NewCrossOriginProtection().Handler(h)
}
