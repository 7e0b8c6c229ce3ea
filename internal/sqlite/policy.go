package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/migration"
)

// The statements of the policies table (migration 0005). The policy is
// read at start and when it changes, not per request: they are not
// prepared.
const (
	currentPolicySQL = `SELECT ` + migration.PolicyColumns + ` FROM policies ORDER BY seq DESC LIMIT 1`
	listPoliciesSQL  = `SELECT ` + migration.PolicyColumns + ` FROM policies WHERE seq < ? ORDER BY seq DESC LIMIT ?`
	insertPolicySQL  = `INSERT INTO policies (` + migration.PolicyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// scanPolicy reads one row of the policy columns, created_at as Unix
// nanoseconds.
var scanPolicy = eligo.StoredPolicyScanner(fromNanos)

// CurrentPolicy returns the policy applied last, or ENOTFOUND when none
// was. See eligo.PolicyStore.
func (s *Store) CurrentPolicy(ctx context.Context) (_ eligo.StoredPolicy, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	sp, err := scanPolicy(s.reader.QueryRowContext(ctx, currentPolicySQL))
	return eligo.FoundPolicy(sp, err, sql.ErrNoRows, "sqlite: current policy")
}

// PutPolicy stores p as the next version of the policy, or returns the
// current one (created=false) when p has its hash, as eligo.DecidePutPolicy
// decides against the current policy read in the same write transaction:
// one write of a group (see groupCommit), on the one writer connection, so
// two puts never read the same current policy. See eligo.PolicyStore.
func (s *Store) PutPolicy(ctx context.Context, p *eligo.PutPolicyParams) (sp eligo.StoredPolicy, created bool, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if err := p.Validate(); err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	err = s.group.write(ctx, 1, func(w *writeTx) error {
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
	var current *eligo.StoredPolicy
	cur, err := scanPolicy(w.tx.QueryRowContext(w.ctx, currentPolicySQL))
	switch {
	case err == nil:
		current = &cur
	case !errors.Is(err, sql.ErrNoRows):
		return eligo.StoredPolicy{}, false, fmt.Errorf("sqlite: put policy: read the current one: %w", err)
	}
	sp, create, err := eligo.DecidePutPolicy(p, current, w.now, w.store.set.Host, w.store.set.Build)
	if err != nil || !create {
		return sp, false, err
	}
	created, err := nanos("created_at", sp.CreatedAt)
	if err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	if _, err := w.tx.ExecContext(w.ctx, insertPolicySQL, sp.Seq, sp.Hash, string(sp.Body), sp.Whodunnit, sp.Host, sp.Build, created); err != nil {
		return eligo.StoredPolicy{}, false, fmt.Errorf("sqlite: put policy: %w", err)
	}
	return sp, true, nil
}

// ListPolicies returns up to p.Limit stored policies below p.BeforeSeq
// (0: from the newest), newest first. Invalid params are EINVALID. See
// eligo.PolicyStore.
func (s *Store) ListPolicies(ctx context.Context, p *eligo.ListPoliciesParams) (_ []eligo.StoredPolicy, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListPolicies(p, "sqlite: list policies", scanPolicy, func(before int64) (eligo.Rows, error) {
		return s.reader.QueryContext(ctx, listPoliciesSQL, before, p.Limit)
	})
}
