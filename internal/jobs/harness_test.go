package jobs_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// family is one backend family: how to open its store with the jobs hook,
// and a River runtime on the same database.
type family struct {
	name string
	// open opens a store at the place named by dsn ("" for a fresh one),
	// returning it, the dsn, and a function that builds runtimes on it.
	open func(t *testing.T, dsn string, hook *jobs.Enqueuer) (eligo.OrderStore, string, func(*jobs.RuntimeConfig) (*jobs.Runtime, error))
	// jobs lists jobs of a kind.
	jobs func(t *testing.T, store eligo.OrderStore, kind string) []*rivertype.JobRow
	// exec runs raw SQL on the store's database (tests only).
	exec func(t *testing.T, store eligo.OrderStore, query string)
}

// families are the backends every test runs on; postgres_test.go adds
// PostgreSQL.
var families = []family{sqliteFamily}

var sqliteFamily = family{
	name: "sqlite",
	open: func(t *testing.T, dsn string, enq *jobs.Enqueuer) (eligo.OrderStore, string, func(*jobs.RuntimeConfig) (*jobs.Runtime, error)) {
		if dsn == "" {
			dsn = filepath.Join(t.TempDir(), "eligo.db")
		}
		// The hook's client inserts in the store's transaction and needs no
		// pool of its own.
		ins, err := jobs.NewClient(riversqlite.New(nil), &jobs.ClientConfig{})
		require.NoError(t, err)
		s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: dsn, Jobs: jobs.Hook(ins, enq)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s, dsn, func(cfg *jobs.RuntimeConfig) (*jobs.Runtime, error) {
			return jobs.NewRuntime(riversqlite.New(s.DB()), cfg)
		}
	},
	jobs: func(t *testing.T, store eligo.OrderStore, kind string) []*rivertype.JobRow {
		c, err := river.NewClient(riversqlite.New(store.(*sqlite.Store).DB()), &river.Config{})
		require.NoError(t, err)
		return listJobs(t, c, kind)
	},
	exec: func(t *testing.T, store eligo.OrderStore, query string) {
		_, err := store.(*sqlite.Store).DB().ExecContext(t.Context(), query)
		require.NoError(t, err)
	},
}

func listJobs[TTx any](t *testing.T, c *river.Client[TTx], kind string) []*rivertype.JobRow {
	t.Helper()
	res, err := c.JobList(t.Context(), river.NewJobListParams().Kinds(kind).First(10000))
	require.NoError(t, err)
	return res.Jobs
}

// testBundle is what one test works with.
type testBundle struct {
	fam    family
	dsn    string
	store  eligo.OrderStore
	engine *engine.Engine
	reg    *prometheus.Registry
	newRT  func(*jobs.RuntimeConfig) (*jobs.Runtime, error)
}

type setupOpts struct {
	enqueue jobs.EnqueueConfig
	dsn     string // reopen an existing database
}

func setup(t *testing.T, fam family, opts setupOpts) *testBundle {
	t.Helper()
	enq, err := jobs.NewEnqueuer(opts.enqueue)
	require.NoError(t, err)
	store, dsn, newRT := fam.open(t, opts.dsn, enq)
	eng, err := engine.New(engine.Config{Store: store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	return &testBundle{fam: fam, dsn: dsn, store: store, engine: eng, reg: prometheus.NewRegistry(), newRT: newRT}
}

// fastRetry retries after a fixed short delay, so tests of retries take
// moments rather than River's attempt^4 seconds.
type fastRetry struct{ delay time.Duration }

func (r fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(r.delay) }

// testClientConfig polls often and retries fast.
func testClientConfig() jobs.ClientConfig {
	return jobs.ClientConfig{
		FetchPollInterval:    50 * time.Millisecond,
		JobTimeout:           5 * time.Second,
		RescueStuckJobsAfter: 5 * time.Second,
		RetryPolicy:          fastRetry{delay: 100 * time.Millisecond},
	}
}

// work starts workers on the bundle's database until the test ends.
func (b *testBundle) work(t *testing.T, wc jobs.WorkersConfig, tweak ...func(*jobs.ClientConfig)) *jobs.Runtime {
	t.Helper()
	if wc.Orders == nil {
		wc.Orders = b.engine
	}
	cc := testClientConfig()
	for _, f := range tweak {
		f(&cc)
	}
	rt, err := b.newRT(&jobs.RuntimeConfig{Client: cc, Workers: &wc, Registerer: b.reg, StopTimeout: 7 * time.Second}) // the 2 s + 5 s it had before Run bounded its stop by it
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return rt
}

// createOrder creates an order placed now whose payment times out after
// timeout (none when zero).
func (b *testBundle) createOrder(t *testing.T, id string, timeout time.Duration) eligo.Order {
	t.Helper()
	now := time.Now()
	p := &eligo.NewOrderParams{ID: id, CustomerID: "cust-1", PlacedAt: now, PromisedAt: now.Add(10 * time.Minute)}
	if timeout != 0 {
		p.PaymentTimeoutAt = now.Add(timeout)
	}
	o, created, err := b.engine.CreateOrder(t.Context(), p, eligo.WhoService)
	require.NoError(t, err)
	require.True(t, created)
	return o
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitJobs waits until every job of kind is finalized (completed,
// cancelled or discarded) and returns them.
func (b *testBundle) waitJobs(t *testing.T, kind string, n int, within time.Duration) []*rivertype.JobRow {
	t.Helper()
	var rows []*rivertype.JobRow
	waitFor(t, within, "jobs of kind "+kind+" to finish", func() bool {
		rows = b.fam.jobs(t, b.store, kind)
		if len(rows) < n {
			return false
		}
		for _, r := range rows {
			if r.FinalizedAt == nil {
				return false
			}
		}
		return true
	})
	return rows
}

func (b *testBundle) order(t *testing.T, id string) eligo.Order {
	t.Helper()
	o, err := b.store.FindOrder(t.Context(), id)
	require.NoError(t, err)
	return o
}

func (b *testBundle) versions(t *testing.T, id string) []eligo.Version {
	t.Helper()
	vs, err := b.store.FindVersions(t.Context(), id)
	require.NoError(t, err)
	return vs
}

// forEachFamily runs test once per backend family, in parallel.
func forEachFamily(t *testing.T, test func(t *testing.T, fam family)) {
	t.Helper()
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			t.Parallel()
			test(t, fam)
		})
	}
}
