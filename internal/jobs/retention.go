package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/eligo/eligo"
)

// Defaults of the retention job.
const (
	DefaultRetentionInterval = time.Hour
	// DefaultRetentionBatch rows are deleted per transaction, so that no
	// transaction holds its locks for long.
	DefaultRetentionBatch = 1000
	// DefaultRetentionPause is the pause between two batches, in which
	// writes queued behind a batch's lock go first.
	DefaultRetentionPause = 20 * time.Millisecond
	// DefaultRetentionRunFor bounds one run: a pass that is not done by
	// then snoozes and goes on in the next run, well within the job
	// timeout and the rescue of stuck jobs.
	DefaultRetentionRunFor = 30 * time.Second
)

// RetentionArgs runs one retention pass. The leader's periodic job
// scheduler inserts it (RetentionPeriodicJob); it is unique while it waits
// or runs, so one pass runs at a time in the whole deployment. It runs on
// the default queue: a queue of its own would poll the database for the
// one job an hour.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "retention" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// RetentionPeriodicJob schedules a retention pass shortly after the leader
// starts and then every interval.
func RetentionPeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
		return RetentionArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "retention", RunOnStart: true})
}

// RetentionStore is what the retention job needs of the store (every
// eligo.OrderStore has it). A store that also has ReclaimSpace (SQLite)
// gives the freed pages back at the end of each pass.
type RetentionStore interface {
	DeleteEndedOrders(ctx context.Context, endedBefore time.Time, limit int) (eligo.RetentionCounts, error)
	DeleteVersions(ctx context.Context, before time.Time, limit int) (int, error)
	DeleteEventIDs(ctx context.Context, before time.Time, limit int) (int, error)
	OldestKept(ctx context.Context) (eligo.OldestKept, error)
}

// RetentionConfig turns the retention job on (WorkersConfig.Retention).
type RetentionConfig struct {
	Store     RetentionStore  // required
	Retention eligo.Retention // validated by NewWorkers
	Interval  time.Duration   // between passes; zero means DefaultRetentionInterval
	// Now is the instant a pass decides at; default time.Now.
	Now func() time.Time
}

// RetentionWorker runs RetentionArgs: it deletes what eligo.Retention says
// is past retention at the pass's start, in batches of Batch rows, one
// short transaction each, with Pause between them: ended orders (with
// their versions and event ids), then old versions, then old event ids.
// Then it reclaims space (SQLite), sets the oldest-row gauges and counts
// the pass. A run that has taken RunFor snoozes, and the next run goes on
// (what it deleted stays deleted).
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	Config  RetentionConfig
	Metrics *Metrics      // optional
	Batch   int           // default DefaultRetentionBatch
	Pause   time.Duration // default DefaultRetentionPause
	RunFor  time.Duration // default DefaultRetentionRunFor
}

// Work implements river.Worker.
func (w *RetentionWorker) Work(ctx context.Context, job *river.Job[RetentionArgs]) error {
	cut := w.Config.Retention.Cutoffs(w.now())
	deadline := time.Now().Add(defaulted(w.RunFor, DefaultRetentionRunFor))
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultRetentionBatch
	}
	steps := []struct {
		before time.Time
		delete func(context.Context, time.Time, int) (eligo.RetentionCounts, int, error)
	}{
		{cut.OrdersEndedBefore, func(ctx context.Context, t time.Time, n int) (eligo.RetentionCounts, int, error) {
			c, err := w.Config.Store.DeleteEndedOrders(ctx, t, n)
			return c, c.Orders, err
		}},
		{cut.VersionsBefore, func(ctx context.Context, t time.Time, n int) (eligo.RetentionCounts, int, error) {
			d, err := w.Config.Store.DeleteVersions(ctx, t, n)
			return eligo.RetentionCounts{Versions: d}, d, err
		}},
		{cut.EventIDsBefore, func(ctx context.Context, t time.Time, n int) (eligo.RetentionCounts, int, error) {
			d, err := w.Config.Store.DeleteEventIDs(ctx, t, n)
			return eligo.RetentionCounts{EventIDs: d}, d, err
		}},
	}
	for _, st := range steps {
		if st.before.IsZero() {
			continue // kept forever
		}
		for {
			counts, n, err := st.delete(ctx, st.before, batch)
			if err != nil {
				return err
			}
			w.Metrics.retentionDeleted(counts)
			if n < batch {
				break
			}
			if !time.Now().Before(deadline) {
				// Go on in a moment, in a new run: what is deleted stays
				// deleted, and the pass resumes where it is.
				return river.JobSnooze(w.pause())
			}
			if err := sleep(ctx, w.pause()); err != nil {
				return err
			}
		}
	}
	if r, ok := w.Config.Store.(interface{ ReclaimSpace(context.Context) error }); ok {
		rctx, cancel := context.WithDeadline(ctx, deadline)
		err := r.ReclaimSpace(rctx)
		outOfTime := rctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil && outOfTime {
			return river.JobSnooze(w.pause()) // the rest in the next run
		} else if err != nil {
			return err
		}
	}
	oldest, err := w.Config.Store.OldestKept(ctx)
	if err != nil {
		return err
	}
	w.Metrics.retentionPass(w.now(), oldest)
	return nil
}

func (w *RetentionWorker) now() time.Time {
	if w.Config.Now != nil {
		return w.Config.Now()
	}
	return time.Now()
}

func (w *RetentionWorker) pause() time.Duration { return defaulted(w.Pause, DefaultRetentionPause) }

func defaulted(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The table label of the retention metrics.
const (
	tableOrders          = "orders"
	tableVersions        = "versions"
	tableProcessedEvents = "processed_events"
)

func (m *Metrics) retentionDeleted(c eligo.RetentionCounts) {
	if m == nil {
		return
	}
	m.retDeleted.WithLabelValues(tableOrders).Add(float64(c.Orders))
	m.retDeleted.WithLabelValues(tableVersions).Add(float64(c.Versions))
	m.retDeleted.WithLabelValues(tableProcessedEvents).Add(float64(c.EventIDs))
}

func (m *Metrics) retentionPass(now time.Time, o eligo.OldestKept) {
	if m == nil {
		return
	}
	age := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return max(0, now.Sub(t).Seconds())
	}
	m.retOldest.WithLabelValues(tableOrders).Set(age(o.OrderEnded))
	m.retOldest.WithLabelValues(tableVersions).Set(age(o.Version))
	m.retOldest.WithLabelValues(tableProcessedEvents).Set(age(o.EventID))
	m.retPasses.Inc()
}
