package sqlite

import (
	"context"

	"github.com/eligo/eligo"
)

// TODO(stores17): the policies table. Until then the store holds no policy.

// CurrentPolicy implements eligo.PolicyStore.
func (s *Store) CurrentPolicy(ctx context.Context) (eligo.StoredPolicy, error) {
	return eligo.StoredPolicy{}, eligo.Errorf(eligo.ENOTFOUND, "no policy was applied")
}

// PutPolicy implements eligo.PolicyStore.
func (s *Store) PutPolicy(ctx context.Context, p *eligo.PutPolicyParams) (eligo.StoredPolicy, bool, error) {
	return eligo.StoredPolicy{}, false, eligo.Errorf(eligo.EINTERNAL, "sqlite: PutPolicy is not built yet")
}

// ListPolicies implements eligo.PolicyStore.
func (s *Store) ListPolicies(ctx context.Context, p *eligo.ListPoliciesParams) ([]eligo.StoredPolicy, error) {
	return []eligo.StoredPolicy{}, nil
}
