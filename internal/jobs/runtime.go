package jobs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"

	"github.com/eligo/eligo"
)

// RuntimeConfig configures a Runtime.
type RuntimeConfig struct {
	Client ClientConfig
	// Workers, when set, makes the runtime work jobs; nil makes it
	// insert-only (the API of `eligo serve --workers=false`), still able to
	// count jobs and serve River UI.
	Workers *WorkersConfig
	// Registerer receives the job metrics; nil registers none.
	Registerer prometheus.Registerer
	// Queue, when set, is the store on the same database, which reads the
	// queue by kind for eligo_job_queue_depth and
	// eligo_job_queue_lateness_seconds; nil leaves those out.
	Queue QueueStore
	// StopTimeout bounds Run's stop at shutdown, running jobs included
	// (default 10 s; see Run).
	StopTimeout time.Duration
}

// Runtime is River on one backend with its transaction type hidden, so the
// process wiring does not care which store it runs on: the client that works
// jobs (or only reads them), the metrics and River UI.
type Runtime struct {
	Metrics *Metrics
	working bool
	run     func(ctx context.Context) error
	insert  func(ctx context.Context, params []river.InsertManyParams) error
	ui      func(logger *slog.Logger, prefix string) (*riverui.Handler, error)
}

// NewRuntime builds a Runtime on driver, whose pool must be set. The
// payment re-check worker reports to the runtime's Metrics.
func NewRuntime[TTx any](driver riverdriver.Driver[TTx], cfg *RuntimeConfig) (*Runtime, error) {
	var client *river.Client[TTx]
	m, err := NewMetrics(cfg.Registerer, func(ctx context.Context) (map[rivertype.JobState]int, error) {
		if client == nil {
			return nil, errors.New("jobs: client not ready")
		}
		return CountFunc(client)(ctx)
	}, queueFunc(cfg.Queue))
	if err != nil {
		return nil, err
	}
	cc := cfg.Client
	if cfg.Workers != nil {
		wc := *cfg.Workers
		wc.Metrics = m
		if cc.Workers, err = NewWorkers[TTx](wc); err != nil {
			return nil, err
		}
		if r := wc.Retention; r != nil {
			cc.PeriodicJobs = append(slices.Clip(cc.PeriodicJobs), RetentionPeriodicJob(defaulted(r.Interval, DefaultRetentionInterval)))
		}
	} else {
		cc.Workers = nil
	}
	if client, err = NewClient(driver, &cc); err != nil {
		return nil, err
	}
	stop := cfg.StopTimeout
	if stop <= 0 {
		stop = 10 * time.Second
	}
	r := &Runtime{Metrics: m, working: cfg.Workers != nil}
	r.run = func(ctx context.Context) error {
		if !r.working {
			<-ctx.Done()
			return nil
		}
		return Run(ctx, client, m, stop)
	}
	r.insert = func(ctx context.Context, params []river.InsertManyParams) error {
		_, err := client.InsertMany(ctx, params)
		return err
	}
	r.ui = func(logger *slog.Logger, prefix string) (*riverui.Handler, error) {
		return riverui.NewHandler(&riverui.HandlerOpts{
			Endpoints: riverui.NewEndpoints(client, nil),
			Logger:    logger,
			Prefix:    prefix,
		})
	}
	return r, nil
}

// queueFunc returns the reading of s's queue, or nil without a store.
func queueFunc(s QueueStore) func(ctx context.Context) (eligo.JobQueue, error) {
	if s == nil {
		return nil
	}
	return s.JobQueue
}

// Working reports whether the runtime works jobs.
func (r *Runtime) Working() bool { return r.working }

// Run works jobs until ctx ends, then stops gracefully. A runtime without
// workers just waits for ctx.
func (r *Runtime) Run(ctx context.Context) error { return r.run(ctx) }

// InsertMany inserts jobs in a transaction of their own, for work that
// no change of an order causes (an embedder's, a backfill). Jobs caused by
// a change are inserted by the store's hook, in the change's transaction.
func (r *Runtime) InsertMany(ctx context.Context, params []river.InsertManyParams) error {
	return r.insert(ctx, params)
}

// UI returns River UI mounted at prefix (such as "/riverui"), started: it
// serves until ctx ends. The caller guards it: River UI can cancel, retry
// and delete jobs.
func (r *Runtime) UI(ctx context.Context, logger *slog.Logger, prefix string) (http.Handler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := r.ui(logger, prefix)
	if err != nil {
		return nil, err
	}
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	return h, nil
}
