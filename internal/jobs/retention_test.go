package jobs_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

// retentionHourAhead keeps everything for an hour (event ids the least
// allowed) and decides two hours from now: what ends in a test is then
// past retention, and live orders must survive.
func retentionHourAhead(store jobs.RetentionStore) *jobs.RetentionConfig {
	return &jobs.RetentionConfig{
		Store:     store,
		Retention: eligo.Retention{Orders: time.Hour, Versions: 0, EventIDs: time.Hour},
		Now:       func() time.Time { return time.Now().Add(2 * time.Hour) },
	}
}

// The leader runs a pass shortly after it starts: the ended order goes
// with its rows, the live one stays, and the metrics say so.
func TestRetentionJobRunsOnStart(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{})
		b.createOrder(t, "live", 0)
		b.createOrder(t, "ended", 0)
		_, err := b.engine.ApplyEvents(t.Context(), []eligo.Event{{EventID: "ev-1", OrderID: "ended",
			Type: eligo.EventDriverStatus, Status: "DELIVERED", OccurredAt: time.Now()}})
		require.NoError(t, err)

		b.work(t, jobs.WorkersConfig{Retention: retentionHourAhead(b.store)})
		waitFor(t, 30*time.Second, "a retention pass", func() bool {
			return retentionMetric(b, "eligo_retention_passes_total", "") == 1
		})
		for table, want := range map[string]float64{"orders": 1, "versions": 2, "processed_events": 1} {
			got := retentionMetric(b, "eligo_retention_deleted_total", table)
			require.Equal(t, want, got, table)
		}
		_, err = b.store.FindOrder(t.Context(), "ended")
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
		require.Equal(t, eligo.StatusPlaced, b.order(t, "live").Status)
		age := retentionMetric(b, "eligo_retention_oldest_seconds", "versions")
		require.InDelta(t, (2 * time.Hour).Seconds(), age, 60, "the live order's version, seen from two hours ahead")
		age = retentionMetric(b, "eligo_retention_oldest_seconds", "orders")
		require.Zero(t, age, "no ended order is kept")
	})
}

// A pass that runs out of time snoozes, and goes on where it was in the
// next run; the pass is counted only once it is done.
func TestRetentionPassSnoozesWhenOutOfTime(t *testing.T) {
	t.Parallel()
	b := setup(t, sqliteFamily, setupOpts{})
	for _, id := range []string{"a", "b", "c"} {
		b.createOrder(t, id, 0)
		_, err := b.engine.ApplyEvents(t.Context(), []eligo.Event{{EventID: "ev-" + id, OrderID: id,
			Type: eligo.EventDriverStatus, Status: "DELIVERED", OccurredAt: time.Now()}})
		require.NoError(t, err)
	}
	// Without ReclaimSpace, which would be out of time as well.
	store := struct{ jobs.RetentionStore }{b.store}
	w := &jobs.RetentionWorker{Config: *retentionHourAhead(store), Batch: 1, RunFor: time.Nanosecond, Pause: time.Millisecond}
	var snoozes int
	for {
		err := w.Work(t.Context(), &river.Job[jobs.RetentionArgs]{})
		if err == nil {
			break
		}
		var snooze *river.JobSnoozeError
		require.ErrorAs(t, err, &snooze)
		snoozes++
		require.Less(t, snoozes, 10)
	}
	require.Equal(t, 3, snoozes, "one run per full batch of one")
	for _, id := range []string{"a", "b", "c"} {
		_, err := b.store.FindOrder(t.Context(), id)
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err), id)
	}
}

// A retention that would let a redelivered event apply twice is refused
// before any worker starts.
func TestRetentionConfigRefusesShortEventIDWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, sqliteFamily, setupOpts{})
	_, err := jobs.NewWorkers[any](jobs.WorkersConfig{Orders: b.engine,
		Retention: &jobs.RetentionConfig{Store: b.store, Retention: eligo.Retention{EventIDs: time.Minute}}})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
}

// retentionMetric reads a retention counter or gauge (of table, when not
// empty). eligo_jobs, beside it, counts in the database on scrape with a
// deadline that a loaded machine can miss; its failure is ignored here.
func retentionMetric(b *testBundle, name, table string) float64 {
	mfs, _ := b.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if table != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != table) {
				continue
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}
