package jobs_test

import (
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/testenv"
)

func init() { families = append(families, postgresFamily) }

// postgresFamily runs each test on a fresh schema of the test server
// (testenv: skipped without ELIGO_TEST_POSTGRES_URL, except under CI).
var postgresFamily = family{
	name: "postgres",
	open: func(t *testing.T, dsn string, enq *jobs.Enqueuer) (eligo.OrderStore, string, func(*jobs.RuntimeConfig) (*jobs.Runtime, error)) {
		if dsn == "" {
			dsn = testenv.PostgresSchemaURL(t)
		}
		ins, err := jobs.NewClient(riverpgxv5.New(nil), &jobs.ClientConfig{})
		require.NoError(t, err)
		s, err := postgres.Open(t.Context(), &postgres.Config{URL: dsn, MaxConns: 8,
			Jobs: jobs.Hook(ins, enq)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		_, err = s.Migrate(t.Context())
		require.NoError(t, err)
		m, err := rivermigrate.New(riverpgxv5.New(s.Pool()), nil)
		require.NoError(t, err)
		_, err = m.Migrate(t.Context(), rivermigrate.DirectionUp, nil)
		require.NoError(t, err)
		return s, dsn, func(cfg *jobs.RuntimeConfig) (*jobs.Runtime, error) {
			return jobs.NewRuntime(riverpgxv5.New(s.Pool()), cfg)
		}
	},
	jobs: func(t *testing.T, store eligo.OrderStore, kind string) []*rivertype.JobRow {
		c, err := river.NewClient(riverpgxv5.New(store.(*postgres.Store).Pool()), &river.Config{})
		require.NoError(t, err)
		return listJobs(t, c, kind)
	},
	exec: func(t *testing.T, store eligo.OrderStore, query string) {
		_, err := store.(*postgres.Store).Pool().Exec(t.Context(), query)
		require.NoError(t, err)
	},
}
