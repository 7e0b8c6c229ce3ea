package jobs_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/testenv"
)

// knownKinds are the kinds eligo runs, whose queue series exist from the
// start.
var knownKinds = []string{"payment_recheck", "outbound_event", "webhook", "retention"}

// queueRuntime builds an insert-only runtime with the per-kind queue
// metrics on the bundle's store, registered with the bundle's registry.
func queueRuntime(t *testing.T, b *testBundle) {
	t.Helper()
	qs, ok := b.store.(jobs.QueueStore)
	require.True(t, ok, "the %s store reads the job queue", b.fam.name)
	_, err := b.newRT(&jobs.RuntimeConfig{Registerer: b.reg, Queue: qs})
	require.NoError(t, err)
}

func TestQueueMetricsAtZeroFromStart(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{})
		queueRuntime(t, b)
		for _, kind := range knownKinds {
			for _, state := range []string{"available", "scheduled", "retryable", "running"} {
				v, ok := testenv.Metric(t, b.reg, "eligo_job_queue_depth", "kind", kind, "state", state)
				require.True(t, ok, "eligo_job_queue_depth{kind=%q,state=%q} exists", kind, state)
				require.Zero(t, v, "%s %s", kind, state)
			}
			v, ok := testenv.Metric(t, b.reg, "eligo_job_queue_lateness_seconds", "kind", kind)
			require.True(t, ok, "eligo_job_queue_lateness_seconds{kind=%q} exists", kind)
			require.Zero(t, v, kind)
		}
	})
}

// A job of each state for two kinds, finished jobs beside them, and a
// kind eligo does not run (an embedder's): the gauges count each exactly,
// and the lateness is that of the oldest available job of each kind.
func TestQueueMetricsByKind(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{})
		type row struct {
			kind, state string
			ago         int // seconds since scheduled_at; negative: in the future
		}
		for _, r := range []row{
			{"payment_recheck", "available", 30},
			{"payment_recheck", "available", 10},
			{"payment_recheck", "scheduled", -600},
			{"payment_recheck", "retryable", -60},
			{"payment_recheck", "running", 5},
			{"payment_recheck", "completed", 100},
			{"webhook", "available", 90},
			{"webhook", "running", 1},
			{"webhook", "running", 2},
			{"webhook", "scheduled", -5},
			{"webhook", "retryable", -5},
			{"webhook", "retryable", -6},
			{"webhook", "discarded", 1000},
			{"webhook", "cancelled", 1000},
			{"embedder_sync", "scheduled", -60},
		} {
			fam.exec(t, b.store, insertJobSQL(fam, r.kind, r.state, r.ago))
		}
		queueRuntime(t, b)
		depth := func(kind, state string) float64 {
			v, ok := testenv.Metric(t, b.reg, "eligo_job_queue_depth", "kind", kind, "state", state)
			require.True(t, ok, "eligo_job_queue_depth{kind=%q,state=%q} exists", kind, state)
			return v
		}
		late := func(kind string) float64 {
			v, ok := testenv.Metric(t, b.reg, "eligo_job_queue_lateness_seconds", "kind", kind)
			require.True(t, ok, "eligo_job_queue_lateness_seconds{kind=%q} exists", kind)
			return v
		}
		for _, tc := range []struct {
			kind                                 string
			available, scheduled, retryable, run float64
		}{
			{"payment_recheck", 2, 1, 1, 1},
			{"webhook", 1, 1, 2, 2},
			{"outbound_event", 0, 0, 0, 0},
			{"retention", 0, 0, 0, 0},
			{"embedder_sync", 0, 1, 0, 0},
		} {
			require.Equal(t, tc.available, depth(tc.kind, "available"), "%s available", tc.kind)
			require.Equal(t, tc.scheduled, depth(tc.kind, "scheduled"), "%s scheduled", tc.kind)
			require.Equal(t, tc.retryable, depth(tc.kind, "retryable"), "%s retryable", tc.kind)
			require.Equal(t, tc.run, depth(tc.kind, "running"), "%s running", tc.kind)
		}
		// The oldest available job, not the newest nor a running one; the
		// test's own run time is the slack.
		require.InDelta(t, 30, late("payment_recheck"), 10)
		require.InDelta(t, 90, late("webhook"), 10)
		require.Zero(t, late("outbound_event"))
		require.Zero(t, late("embedder_sync"), "no available job: not late")
	})
}

// insertJobSQL inserts a River job row of kind in state, scheduled ago
// seconds before the database's now, in the family's SQL (River writes
// SQLite times as UTC text to the millisecond).
func insertJobSQL(fam family, kind, state string, ago int) string {
	at := fmt.Sprintf(`strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '%+d seconds')`, -ago)
	args := "jsonb('{}')"
	if fam.name == "postgres" {
		at = fmt.Sprintf(`now() - interval '%d seconds'`, ago)
		args = "'{}'"
	}
	finalized := "NULL" // River's check: set exactly in the finished states
	if state == "completed" || state == "discarded" || state == "cancelled" {
		finalized = at
	}
	return fmt.Sprintf(`INSERT INTO river_job (kind, args, max_attempts, state, scheduled_at, finalized_at) VALUES ('%s', %s, 25, '%s', %s, %s)`,
		kind, args, state, at, finalized)
}
