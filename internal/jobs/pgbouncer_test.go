package jobs_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/testenv"
)

// pgbouncerFamily is PostgreSQL behind PgBouncer in transaction mode with
// the settings of docs/production.md: migrations on a direct connection
// (eligo migrate), the store's URL with default_query_exec_mode=exec, and
// River in poll-only mode (--job-poll-only).
var pgbouncerFamily = family{
	name: "postgres behind pgbouncer",
	open: func(t *testing.T, dsn string, enq *jobs.Enqueuer) (eligo.OrderStore, string, func(*jobs.RuntimeConfig) (*jobs.Runtime, error)) {
		if dsn == "" {
			viaBouncer, direct := testenv.PgBouncerTransactionMode(t)
			migrated, _, _ := postgresFamily.open(t, direct, enq)
			require.NoError(t, migrated.Close())
			dsn = viaBouncer + "&default_query_exec_mode=exec"
		}
		ins, err := jobs.NewClient(riverpgxv5.New(nil), &jobs.ClientConfig{})
		require.NoError(t, err)
		s, err := postgres.Open(t.Context(), &postgres.Config{URL: dsn, MaxConns: 8, Jobs: jobs.Hook(ins, enq)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s, dsn, func(cfg *jobs.RuntimeConfig) (*jobs.Runtime, error) {
			cfg.Client.PollOnly = true
			return jobs.NewRuntime(riverpgxv5.New(s.Pool()), cfg)
		}
	},
	jobs: postgresFamily.jobs,
	exec: postgresFamily.exec,
}

// Behind PgBouncer in transaction mode, the job a write inserts in its
// transaction is worked by River polling, and its change is committed.
func TestJobsBehindPgBouncer(t *testing.T) {
	t.Parallel()
	b := setup(t, pgbouncerFamily, setupOpts{})
	b.work(t, jobs.WorkersConfig{})
	o := b.createOrder(t, "order-bouncer", time.Second)
	rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
	require.Equal(t, rivertype.JobStateCompleted, rows[0].State, "errors: %v", rows[0].Errors)
	v := requireExpiredBySystem(t, b, "order-bouncer")
	t.Logf("expired %s after the timeout, through PgBouncer", v.CreatedAt.Sub(o.PaymentTimeoutAt))
}
