package jobs_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

// figuresEnv turns on TestJobsFigures: the figures in BENCHMARKS.md
// ("Jobs") are measured, not timed tests, and take a few minutes.
const figuresEnv = "ELIGO_JOBS_FIGURES"

// noopArgs is a job that does nothing, to measure River itself.
type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// nopPublisher stands for a Kafka that answers at once.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, jobs.Payload) error { return nil }

// TestJobsFigures measures, per backend family, with production settings
// (River's 1 s fetch poll and 100 ms fetch cooldown, notifications on
// insert) unless said:
//
//   - throughput: 5,000 no-op jobs, and 5,000 outbound events (with the
//     per-order ordering check, to a publisher that answers at once),
//     inserted up front, then worked with 10 and 100 (the default) workers
//     per queue; jobs/s from start to the last done;
//   - lateness of payment re-checks: 1,000 orders whose payment timeouts
//     are spread over a minute (starting 15 s out), none paid; started
//     minus scheduled_at of each re-check, p50/p99/max.
func TestJobsFigures(t *testing.T) {
	if os.Getenv(figuresEnv) == "" {
		t.Skipf("set %s=1 to measure the figures of BENCHMARKS.md", figuresEnv)
	}
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			t.Run("Throughput", func(t *testing.T) { figureThroughput(t, fam) })
			t.Run("Lateness", func(t *testing.T) { figureLateness(t, fam) })
		})
	}
}

func figureThroughput(t *testing.T, fam family) {
	const n = 5000
	for _, tc := range []struct {
		kind       string
		maxWorkers int
	}{{"noop", 10}, {"noop", 100}, {"outbound_event", 100}} {
		kind := tc.kind
		b := setup(t, fam, setupOpts{})
		params := make([]river.InsertManyParams, n)
		for i := range params {
			if kind == "noop" {
				params[i] = river.InsertManyParams{Args: noopArgs{N: i}}
			} else {
				// 500 orders, 10 versions each: the ordering check has work.
				params[i] = river.InsertManyParams{Args: jobs.OutboundEventArgs{VersionID: int64(i + 1),
					OrderID: fmt.Sprintf("order-%03d", i%500), Event: eligo.VersionUpdate, Version: int64(i/500 + 1)}}
			}
		}
		rt, err := b.newRT(&jobs.RuntimeConfig{Client: jobs.ClientConfig{MaxWorkers: tc.maxWorkers}, Workers: &jobs.WorkersConfig{
			Orders: b.engine, Publisher: nopPublisher{}, OutboundWait: 100 * time.Millisecond,
			Extra: func(ws *river.Workers) { river.AddWorker(ws, &noopWorker{}) },
		}})
		require.NoError(t, err)
		insert(t, fam, b, params)
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- rt.Run(ctx) }()
		b.waitJobs(t, kind, n, 5*time.Minute)
		took := time.Since(start)
		cancel()
		require.NoError(t, <-done)
		t.Logf("FIGURE %s throughput %s, %d workers per queue: %d jobs in %s = %.0f jobs/s",
			fam.name, kind, tc.maxWorkers, n, took.Round(time.Millisecond), n/took.Seconds())
	}
}

// insert inserts jobs outside any change, through a client on the store's
// database.
func insert(t *testing.T, fam family, b *testBundle, params []river.InsertManyParams) {
	t.Helper()
	ins, err := b.newRT(&jobs.RuntimeConfig{})
	require.NoError(t, err)
	require.NoError(t, ins.InsertMany(t.Context(), params))
}

func figureLateness(t *testing.T, fam family) {
	const n = 1000
	b := setup(t, fam, setupOpts{})
	b.work(t, jobs.WorkersConfig{}, func(c *jobs.ClientConfig) { *c = jobs.ClientConfig{} })
	// Timeouts start 15 s out, after the creates are done, as real
	// payment timeouts (minutes) are: a job due within the scheduler's 5 s
	// look-ahead of its insert waits for the next scheduler run.
	first := time.Now().Add(15 * time.Second)
	for i := range n {
		now := time.Now()
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: fmt.Sprintf("order-%04d", i), CustomerID: "c",
			PlacedAt: now, PromisedAt: now.Add(time.Hour), PaymentTimeoutAt: first.Add(time.Duration(i) * time.Minute / n)}, eligo.WhoService)
		require.NoError(t, err)
	}
	rows := b.waitJobs(t, "payment_recheck", n, 3*time.Minute)
	late := make([]time.Duration, 0, n)
	for _, r := range rows {
		require.Equal(t, rivertype.JobStateCompleted, r.State)
		require.Equal(t, 1, r.Attempt)
		late = append(late, r.AttemptedAt.Sub(r.ScheduledAt))
	}
	slices.Sort(late)
	q := func(p float64) time.Duration { return late[int(p*float64(len(late)-1))].Round(time.Millisecond) }
	t.Logf("FIGURE %s lateness payment_recheck over %d orders (timeouts spread over 60 s): p50 %s p99 %s max %s min %s",
		fam.name, n, q(.50), q(.99), late[len(late)-1].Round(time.Millisecond), late[0].Round(time.Millisecond))
	for i := range n {
		require.Equal(t, eligo.StatusExpired, b.order(t, fmt.Sprintf("order-%04d", i)).Status)
	}
}
