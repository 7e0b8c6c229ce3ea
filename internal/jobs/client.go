package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// The queues of eligo's jobs. Each has its own workers, so a slow webhook
// receiver never delays a payment re-check.
const (
	QueuePayment  = "payment"
	QueueOutbound = "outbound"
	QueueWebhook  = "webhook"
	// QueueDefault runs embedders' jobs that name no queue.
	QueueDefault = river.QueueDefault
)

// WorkersConfig holds what eligo's workers need.
type WorkersConfig struct {
	Orders Orders // required
	// Payments is the payment provider; nil expires unpaid orders at their
	// timeout without asking.
	Payments *PaymentProvider
	// Publisher is the outbound sink; nil fails outbound jobs (they retry
	// and are never dropped silently).
	Publisher Publisher
	// Subscribers are the webhook receivers, with their secrets.
	Subscribers []Subscriber
	// HTTPClient sends webhooks; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// OutboundWait is how long an outbound job waits for an earlier version
	// of its order (default 1 s).
	OutboundWait time.Duration
	Metrics      *Metrics // optional
	// Retention, when set, registers the retention job; NewRuntime then
	// schedules it (on the leader only).
	Retention *RetentionConfig
	// Extra registers an embedder's own workers.
	Extra func(*river.Workers)
}

// NewWorkers registers eligo's workers for a client whose transactions are
// TTx (*sql.Tx for SQLite, pgx.Tx for PostgreSQL).
func NewWorkers[TTx any](cfg WorkersConfig) (*river.Workers, error) {
	if cfg.Orders == nil {
		return nil, fmt.Errorf("jobs: WorkersConfig.Orders is required")
	}
	ws := river.NewWorkers()
	if err := river.AddWorkerSafely(ws, &PaymentRecheckWorker{Orders: cfg.Orders, Provider: cfg.Payments, Metrics: cfg.Metrics}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(ws, &OutboundEventWorker{Publisher: cfg.Publisher, Earlier: earlierOutbound[TTx](), Wait: cfg.OutboundWait}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(ws, &WebhookWorker{Subscribers: cfg.Subscribers, Client: cfg.HTTPClient}); err != nil {
		return nil, err
	}
	if r := cfg.Retention; r != nil {
		if r.Store == nil {
			return nil, fmt.Errorf("jobs: RetentionConfig.Store is required")
		}
		if err := r.Retention.Validate(); err != nil {
			return nil, err
		}
		if err := river.AddWorkerSafely(ws, &RetentionWorker{Config: *r, Metrics: cfg.Metrics}); err != nil {
			return nil, err
		}
	}
	if cfg.Extra != nil {
		cfg.Extra(ws)
	}
	return ws, nil
}

// ClientConfig configures a River client. Zero durations mean River's
// defaults unless said otherwise.
type ClientConfig struct {
	// Workers, when set, makes a client that works jobs; nil makes an
	// insert-only client (what the API needs to enqueue and for River UI).
	Workers *river.Workers
	Logger  *slog.Logger
	// MaxWorkers is the number of jobs run at once per queue (default 100:
	// River fetches at most that many jobs per 100 ms fetch cooldown, so
	// 10 workers cap a queue near 100 jobs/s; see BENCHMARKS.md).
	MaxWorkers int
	// Queues adds queues for embedders' workers.
	Queues map[string]river.QueueConfig
	// FetchPollInterval is how often a queue polls for jobs when no
	// notification arrives (River's default 1 s).
	FetchPollInterval time.Duration
	// JobTimeout bounds one run of a job (default 1 min).
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before it is
	// taken to be lost with its worker (a killed process) and run again
	// (default 5 min; River's own default is 1 h).
	RescueStuckJobsAfter time.Duration
	// RetryPolicy replaces River's backoff (attempt^4 s with jitter).
	RetryPolicy river.ClientRetryPolicy
	// ID names the client in River's tables; default River's random id.
	ID string
	// FailureLogEvery rate-limits the WARN line of a failed job, per kind
	// (see FailureLog); default DefaultFailureLogEvery.
	FailureLogEvery time.Duration
	// PollOnly keeps River off LISTEN/NOTIFY, which a pooler in
	// transaction mode (PgBouncer) cannot carry: queues poll every
	// FetchPollInterval and a new leader takes up to 5 s to be elected.
	PollOnly bool
	// PeriodicJobs are scheduled by the leader (a client with Workers).
	PeriodicJobs []*river.PeriodicJob
	// DiscardedJobRetention is how long River keeps a discarded job's row
	// (default River's 7 days; -1 forever). Completed and cancelled jobs
	// are kept DefaultFinishedJobRetention.
	DiscardedJobRetention time.Duration
}

// Defaults of ClientConfig.
const (
	DefaultMaxWorkers           = 100
	DefaultJobTimeout           = time.Minute
	DefaultRescueStuckJobsAfter = 5 * time.Minute
	// DefaultFinishedJobRetention is how long River keeps the row of a
	// completed or cancelled job: River's default, set here so that the
	// documentation and the client cannot drift apart.
	DefaultFinishedJobRetention = 24 * time.Hour
)

// NewClient returns a River client on driver.
func NewClient[TTx any](driver riverdriver.Driver[TTx], cfg *ClientConfig) (*river.Client[TTx], error) {
	rc := &river.Config{
		Logger:               cfg.Logger,
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		RetryPolicy:          cfg.RetryPolicy,
		ID:                   cfg.ID,
		PollOnly:             cfg.PollOnly,

		CompletedJobRetentionPeriod: DefaultFinishedJobRetention,
		CancelledJobRetentionPeriod: DefaultFinishedJobRetention,
		DiscardedJobRetentionPeriod: cfg.DiscardedJobRetention,
	}
	if rc.Logger == nil {
		rc.Logger = slog.New(slog.DiscardHandler)
	}
	if d := cfg.FetchPollInterval; d > 0 && d < 100*time.Millisecond {
		rc.FetchCooldown = d // River's cooldown (100 ms) may not exceed the poll interval
	}
	if rc.JobTimeout == 0 {
		rc.JobTimeout = DefaultJobTimeout
	}
	if rc.RescueStuckJobsAfter == 0 {
		rc.RescueStuckJobsAfter = max(DefaultRescueStuckJobsAfter, rc.JobTimeout)
	}
	if cfg.Workers != nil {
		rc.ErrorHandler = &FailureLog{Logger: rc.Logger, Every: cfg.FailureLogEvery}
		n := cfg.MaxWorkers
		if n <= 0 {
			n = DefaultMaxWorkers
		}
		rc.Workers = cfg.Workers
		rc.Middleware = []rivertype.Middleware{&traceMiddleware{}}
		rc.Queues = map[string]river.QueueConfig{
			QueuePayment:  {MaxWorkers: n},
			QueueOutbound: {MaxWorkers: n},
			QueueWebhook:  {MaxWorkers: n},
			QueueDefault:  {MaxWorkers: n},
		}
		rc.PeriodicJobs = cfg.PeriodicJobs
		for name, q := range cfg.Queues {
			rc.Queues[name] = q
		}
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return c, nil
}

// Run starts the client's workers, reports to m (when not nil) and works
// jobs until ctx ends; then it stops fetching and returns within
// stopTimeout whatever the jobs are doing: it waits three quarters of it
// for running jobs, then cancels them, and returns at stopTimeout even if
// some ignore the cancellation (a publish to a broker that does not
// answer). A job cut short runs again: a cancelled one is retried, and an
// abandoned one is rescued (RescueStuckJobsAfter).
func Run[TTx any](ctx context.Context, c *river.Client[TTx], m *Metrics, stopTimeout time.Duration) error {
	if m != nil {
		stop := m.Watch(c)
		defer stop()
	}
	// River cancels running jobs when the context given to Start ends; start
	// on one that does not, and stop gracefully below.
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	<-ctx.Done()
	deadline := time.Now().Add(stopTimeout)
	softCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(-stopTimeout/4))
	defer cancel()
	if err := c.Stop(softCtx); err != nil {
		hard, cancelHard := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancelHard()
		if err := c.StopAndCancel(hard); err != nil {
			return fmt.Errorf("jobs: running jobs did not stop within %s, even cancelled; they run again once rescued: %w", stopTimeout, err)
		}
	}
	return nil
}
