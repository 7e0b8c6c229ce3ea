package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/migration"
)

// The statements of the policies table (migration 0005).
const (
	currentPolicySQL = `SELECT ` + migration.PolicyColumns + ` FROM policies ORDER BY seq DESC LIMIT 1`
	listPoliciesSQL  = `SELECT ` + migration.PolicyColumns + ` FROM policies WHERE seq < $1 ORDER BY seq DESC LIMIT $2`
	insertPolicySQL  = `INSERT INTO policies (` + migration.PolicyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	// lockPoliciesSQL makes the puts of every replica take turns: SHARE
	// ROW EXCLUSIVE conflicts with itself, so a second put waits until the
	// first has committed and then reads the policy it stored, but not
	// with the ACCESS SHARE of a read, so CurrentPolicy and ListPolicies
	// never wait. Without it two puts could read the same current policy
	// and the second would fail on the primary key.
	lockPoliciesSQL = `LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE`
)

// scanPolicy reads one row of the policy columns, created_at from
// timestamptz.
var scanPolicy = eligo.StoredPolicyScanner(utc)

// CurrentPolicy returns the policy applied last, or ENOTFOUND when none
// was. See eligo.PolicyStore.
func (s *Store) CurrentPolicy(ctx context.Context) (_ eligo.StoredPolicy, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	sp, err := scanPolicy(s.pool.QueryRow(ctx, currentPolicySQL))
	return eligo.FoundPolicy(sp, err, pgx.ErrNoRows, "postgres: current policy")
}

// PutPolicy stores p as the next version of the policy, or returns the
// current one (created=false) when p has its hash, as eligo.DecidePutPolicy
// decides against the current policy read in the same transaction, under
// the table lock that makes concurrent puts, from any replica, take turns
// (see lockPoliciesSQL). See eligo.PolicyStore.
func (s *Store) PutPolicy(ctx context.Context, p *eligo.PutPolicyParams) (_ eligo.StoredPolicy, _ bool, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if err := p.Validate(); err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	var (
		sp      eligo.StoredPolicy
		created bool
	)
	err = s.inWriteTx(ctx, func(w *writeTx) error {
		var err error
		sp, created, err = w.putPolicy(p)
		return err
	})
	if err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	return sp, created, nil
}

func (w *writeTx) putPolicy(p *eligo.PutPolicyParams) (eligo.StoredPolicy, bool, error) {
	if _, err := w.tx.Exec(w.ctx, lockPoliciesSQL); err != nil {
		return eligo.StoredPolicy{}, false, fmt.Errorf("postgres: put policy: lock: %w", err)
	}
	// The clock is read once the lock is held, so that the versions'
	// created_at follow their sequence numbers.
	w.now = w.store.clock()
	var current *eligo.StoredPolicy
	cur, err := scanPolicy(w.tx.QueryRow(w.ctx, currentPolicySQL))
	switch {
	case err == nil:
		current = &cur
	case !errors.Is(err, pgx.ErrNoRows):
		return eligo.StoredPolicy{}, false, fmt.Errorf("postgres: put policy: read the current one: %w", err)
	}
	sp, create, err := eligo.DecidePutPolicy(p, current, w.now, w.store.set.Host, w.store.set.Build)
	if err != nil || !create {
		return sp, false, err
	}
	if _, err := w.tx.Exec(w.ctx, insertPolicySQL, sp.Seq, sp.Hash, string(sp.Body), sp.Whodunnit, sp.Host, sp.Build, sp.CreatedAt); err != nil {
		return eligo.StoredPolicy{}, false, fmt.Errorf("postgres: put policy: %w", err)
	}
	return sp, true, nil
}

// ListPolicies returns up to p.Limit stored policies below p.BeforeSeq
// (0: from the newest), newest first. Invalid params are EINVALID. See
// eligo.PolicyStore.
func (s *Store) ListPolicies(ctx context.Context, p *eligo.ListPoliciesParams) (_ []eligo.StoredPolicy, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListPolicies(p, "postgres: list policies", scanPolicy, func(before int64) (eligo.Rows, error) {
		return s.pool.Query(ctx, listPoliciesSQL, before, p.Limit)
	})
}
